"""bisnap's encoder models give the bytes the real encoders gave (vectors/encoders.json).

The expected bytes were produced by the real Python `json`, Node's `JSON.stringify`, PHP's
`json_encode` and Go's `encoding/json` (see vectors/tools/generate.py); nothing here
computes them. Node re-derives its own outputs in tests/vectors/test_node.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bisnap.explain.encoders import ENCODERS, parse_body
from bisnap.minify import minify

ENCODERS_FILE = Path(__file__).resolve().parents[2] / "vectors" / "encoders.json"
BY_NAME = {e.name: e for e in ENCODERS}


def _doc() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ENCODERS_FILE.read_text("utf-8"))
    return data


def _cases() -> list[Any]:
    doc = _doc()
    return [
        pytest.param(case["body"], name, case["outputs"][name], id=f"{case['id']}-{name}")
        for case in doc["cases"]
        for name in doc["encoders"]
    ]


def test_every_real_encoder_is_modelled() -> None:
    names = _doc()["encoders"]
    assert set(names) <= set(BY_NAME)
    families = {BY_NAME[n].family for n in names}
    assert families == {"python", "js", "php", "go"}
    assert len(names) >= 35


@pytest.mark.parametrize(("body", "name", "expected"), _cases())
def test_encoder_matches_the_real_one(body: str, name: str, expected: str | None) -> None:
    parsed = parse_body(minify(body.encode("utf-8")))
    assert parsed is not None
    got = BY_NAME[name].encode(parsed)
    want = None if expected is None else expected.encode("utf-8")
    assert got == want
