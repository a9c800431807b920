"""docs/architecture.md stays true: its SNAP rule map names every module with a citation,
and the test tree keeps its own rule (no test file imports another test file)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "bisnap"
DOC = ROOT / "docs" / "architecture.md"


def _rule_map() -> str:
    text = DOC.read_text("utf-8")
    start, end = text.index("<!-- rulemap:start -->"), text.index("<!-- rulemap:end -->")
    return text[start:end]


def test_rule_map_names_every_module_with_a_snap_citation() -> None:
    citing = {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"#\s*SNAP:", path.read_text("utf-8"))
    }
    assert len(citing) >= 20  # the grep itself works
    listed = set(re.findall(r"^- `([\w/]+\.py)` \(\d+\)$", _rule_map(), re.MULTILINE))
    missing, stale = citing - listed, listed - citing
    assert not missing, f"run `python tools/rulemap.py --write`: {sorted(missing)} not mapped"
    assert not stale, f"run `python tools/rulemap.py --write`: {sorted(stale)} cite nothing"


def test_rule_map_counts_match_the_citations() -> None:
    for module, count in re.findall(r"^- `([\w/]+\.py)` \((\d+)\)$", _rule_map(), re.MULTILINE):
        found = len(re.findall(r"#\s*SNAP:", (PACKAGE / module).read_text("utf-8")))
        assert found == int(count), f"{module}: {found} citations, the map says {count}"


def test_architecture_doc_is_linked_from_the_readme() -> None:
    assert "docs/architecture.md" in (ROOT / "README.md").read_text("utf-8")


def test_no_test_file_imports_another_test_file() -> None:
    tests = ROOT / "tests"
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                modules = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            for module in modules:
                last = module.rsplit(".", 1)[-1]
                assert not last.startswith("test_"), (
                    f"{path.relative_to(ROOT)} imports {module}: move what it shares to "
                    "conftest.py or a _support module"
                )
