"""The generated client methods and the docs reference match the catalogue and models."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_client", ROOT / "tools" / "gen_client.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_client", module)
    spec.loader.exec_module(module)
    return module


def test_client_methods_are_up_to_date() -> None:
    gen = _generator()
    current = (ROOT / "bisnap" / "http" / "_methods.py").read_text(encoding="utf-8")
    assert current == gen.methods_source(), "run: .venv/bin/python tools/gen_client.py"


def test_docs_reference_is_up_to_date() -> None:
    gen = _generator()
    current = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")
    assert current == gen.docs_with_reference(current), "run: .venv/bin/python tools/gen_client.py"


def test_the_reference_names_every_endpoint_with_its_types() -> None:
    from bisnap.catalogue import CATALOGUE
    from bisnap.models import ENDPOINT_MODELS

    text = _generator().reference_markdown()
    for endpoint in CATALOGUE:
        request, response = ENDPOINT_MODELS[endpoint.name]
        assert f"`{endpoint.method} {endpoint.path}` | {endpoint.service_code} |" in text
        assert f"`{request.__name__}` → `{response.__name__}`" in text
