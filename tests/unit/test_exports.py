"""`bisnap/__init__.py` re-exports by a written rule and stays in step with the modules.

The rule is in `bisnap/__init__.py`'s docstring; `TOP_LEVEL` below is that rule as a list: a
name added to the top level has to be placed in one of its groups here, on purpose.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pathlib
import pkgutil
import re
import typing

import bisnap
import bisnap.errors

PACKAGE = pathlib.Path(bisnap.__file__).parent
REPO = PACKAGE.parent

#: The rule of `bisnap/__init__.py`, group by group.
TOP_LEVEL: dict[str, frozenset[str]] = {
    "sign / verify / minify": frozenset(
        {
            "EMPTY_BODY_SHA256",
            "SignatureTrace",
            "TimestampStyle",
            "ExternalIdGenerator",
            "build_access_token_headers",
            "build_service_headers",
            "format_timestamp",
            "minify",
            "parse_timestamp",
            "redact_headers",
            "sign_access_token",
            "sign_service",
            "sign_service_asymmetric",
            "verify_access_token",
            "verify_service",
            "verify_service_asymmetric",
        }
    ),
    "keys": frozenset(
        {
            "KeyDescription",
            "KeyPair",
            "describe_key",
            "fingerprint",
            "generate_key_pair",
            "keys_match",
            "load_private_key",
            "load_public_key",
        }
    ),
    "clients, token providers and their stores": frozenset(
        {
            "AccessToken",
            "AsyncMemoryTokenStore",
            "AsyncSnapClient",
            "AsyncTokenProvider",
            "AsyncTokenStore",
            "MemoryOnceStore",
            "MemoryTokenStore",
            "OnceStore",
            "RefreshPolicy",
            "RetryPolicy",
            "Secret",
            "SnapAuth",
            "SnapClient",
            "SnapResponse",
            "TokenProvider",
            "TokenRequest",
            "TokenStore",
            "TypedResponse",
            "build_b2b2c_token_request",
            "build_token_request",
            "customer_token_from_binding",
            "parse_b2b2c_token_response",
            "parse_token_response",
        }
    ),
    "notifications": frozenset(
        {
            "AsyncNotificationVerifier",
            "Notification",
            "NotificationReply",
            "NotificationVerifier",
            "reply_for_error",
            "success_reply",
            "verify_core_notification",
            "verify_iris_signature",
            "verify_payout_notification",
        }
    ),
    "explain": frozenset(
        {"Explanation", "explain_access_token", "explain_service", "explain_service_asymmetric"}
    ),
    "errors and warnings": frozenset(
        name for name in bisnap.errors.__all__ if name != "CallContext"
    )
    | {"StoreFallbackWarning"},
    "clock": frozenset({"JAKARTA", "Clock", "FixedClock", "SystemClock"}),
}

#: Old import paths kept for users and older docs; bisnap itself never imports them.
SHIMS = {"bisnap.rawhttp": "bisnap.cli.rawhttp", "bisnap.demo": "bisnap.cli.demo"}


def test_all_is_sorted_unique_and_importable() -> None:
    names = list(bisnap.__all__)
    assert names == sorted(names, key=lambda n: (not n.isupper(), n[0].islower(), n))
    assert len(names) == len(set(names))
    for name in names:
        assert getattr(bisnap, name) is not None


def test_top_level_is_exactly_the_written_rule() -> None:
    grouped = frozenset().union(*TOP_LEVEL.values())
    assert set(bisnap.__all__) - grouped == set(), "place the new name in a group of the rule"
    assert grouped - set(bisnap.__all__) == set(), "a name of the rule is not exported"
    assert len(bisnap.__all__) <= 101


def test_every_error_class_and_warning_is_exported() -> None:
    for name in dir(bisnap.errors):
        obj = getattr(bisnap.errors, name)
        if (
            inspect.isclass(obj)
            and obj.__module__ == "bisnap.errors"
            and issubclass(obj, (bisnap.BisnapError, Warning))
            and not name.startswith("_")
        ):
            assert name in bisnap.__all__ or name == "InvalidTokenError", name


def test_return_types_of_exported_functions_are_exported() -> None:
    for name in bisnap.__all__:
        obj = getattr(bisnap, name)
        if not inspect.isfunction(obj):
            continue
        returned = typing.get_type_hints(obj).get("return")
        for kind in (returned, *typing.get_args(returned)):
            if isinstance(kind, type) and kind.__module__.startswith("bisnap"):
                assert kind.__name__ in bisnap.__all__, f"{name} returns {kind.__name__}"


def test_names_the_docs_use_at_the_top_level_exist() -> None:
    documents = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for document in documents:
        text = document.read_text("utf-8")
        for match in re.finditer(r"""(?<![\w."'])bisnap\.([A-Za-z_]\w*)(?![\w*])""", text):
            assert hasattr(bisnap, match.group(1)) or importlib.util.find_spec(
                f"bisnap.{match.group(1)}"
            ), f"{document.name} uses bisnap.{match.group(1)}"
        for match in re.finditer(r"^from bisnap import ([\w, ]+)$", text, re.MULTILINE):
            for name in (part.split()[0] for part in match.group(1).split(",")):
                assert hasattr(bisnap, name) or importlib.util.find_spec(f"bisnap.{name}"), (
                    f"{document.name} imports {name} from bisnap"
                )


def test_every_module_declares_all_and_its_names_exist() -> None:
    optional = {"bisnap.stores.redis", "bisnap.__main__"}
    for info in pkgutil.walk_packages(bisnap.__path__, "bisnap."):
        if info.name in optional or info.name.split(".")[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{info.name} has no __all__"
        for name in exported:
            assert hasattr(module, name), f"{info.name}.__all__ names missing {name}"


def test_reexports_are_the_module_objects() -> None:
    for name in bisnap.__all__:
        obj = getattr(bisnap, name)
        module_name = getattr(obj, "__module__", None)
        if module_name and module_name.startswith("bisnap."):
            module = importlib.import_module(module_name)
            assert getattr(module, name, obj) is obj


def test_old_paths_reexport_the_cli_modules() -> None:
    for old, new in SHIMS.items():
        shim, home = importlib.import_module(old), importlib.import_module(new)
        assert list(shim.__all__) == list(home.__all__)
        for name in home.__all__:
            assert getattr(shim, name) is getattr(home, name)


def _imports(path: pathlib.Path) -> list[tuple[str, list[str]]]:
    """(module, names) of every import in `path`, relative imports resolved."""
    found: list[tuple[str, list[str]]] = []
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = parts[: len(parts) - node.level]
                base = ".".join([*package, base] if base else package)
            found.append((base, [alias.name for alias in node.names]))
    return found


def _package_files() -> list[pathlib.Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_bisnap_never_imports_its_own_shims() -> None:
    for path in _package_files():
        if path.relative_to(PACKAGE).as_posix() in {"rawhttp.py", "demo.py"}:
            continue
        for module, names in _imports(path):
            targets = {module} | {f"{module}.{name}" for name in names}
            assert not targets & set(SHIMS), f"{path} imports a compatibility path"


def test_no_module_imports_another_modules_private_names() -> None:
    for path in _package_files():
        for module, names in _imports(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            assert not private, f"{path} imports {private} from {module}"


def test_core_modules_take_store_protocols_not_store_implementations() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "__init__.py":
            continue
        for module, _names in _imports(path):
            if module.startswith("bisnap.stores"):
                assert module == "bisnap.stores.protocols", f"{path.name} imports {module}"
