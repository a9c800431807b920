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


# --- Go 1.22 and later ----------------------------------------------------------------------
# Go 1.22 writes backspace and form feed as \b and \f (golang/go CL 521675, "encoding/json:
# encode \b and \f as '\b' and '\f' in JSON strings"; the Go 1.22 release notes); Go 1.21 and
# older wrote \u0008 and \u000c, which is what the go1.19 outputs in encoders.json show. Other
# controls stay \u00XX, and <, >, & stay \u003c, \u003e, \u0026 in both. The expected bytes
# below are written by hand from those rules.

GO_BODY = '{"z":"a\\bb\\u000cc","ctl":"\\u0001\\u0008","h":"<&>","n":1.50}'
GO_1_22 = {
    "go json.Marshal(struct)": (
        b'{"z":"a\\bb\\fc","ctl":"\\u0001\\b","h":"\\u003c\\u0026\\u003e","n":1.50}'
    ),
    "go json.Marshal(map[string]interface{})": (
        b'{"ctl":"\\u0001\\b","h":"\\u003c\\u0026\\u003e","n":1.5,"z":"a\\bb\\fc"}'
    ),
    'go json.MarshalIndent(struct, "", "  ")': (
        b'{\n  "z": "a\\bb\\fc",\n  "ctl": "\\u0001\\b",\n  "h": "\\u003c\\u0026\\u003e",\n'
        b'  "n": 1.50\n}'
    ),
    'go json.MarshalIndent(map[string]interface{}, "", "  ")': (
        b'{\n  "ctl": "\\u0001\\b",\n  "h": "\\u003c\\u0026\\u003e",\n  "n": 1.5,\n'
        b'  "z": "a\\bb\\fc"\n}'
    ),
}


@pytest.mark.parametrize("name", sorted(GO_1_22))
def test_go_1_22_writes_backspace_and_form_feed_short(name: str) -> None:
    parsed = parse_body(minify(GO_BODY.encode("utf-8")))
    assert parsed is not None
    assert BY_NAME[name].encode(parsed) == GO_1_22[name]


@pytest.mark.parametrize("name", sorted(GO_1_22))
def test_go_1_21_and_older_wrote_them_as_unicode_escapes(name: str) -> None:
    parsed = parse_body(minify(GO_BODY.encode("utf-8")))
    assert parsed is not None
    old = BY_NAME["go<=1.21 " + name.removeprefix("go ")]
    expected = GO_1_22[name].replace(b"\\b", b"\\u0008").replace(b"\\f", b"\\u000c")
    assert old.encode(parsed) == expected
    assert old.family == "go"
    assert old.pretty == BY_NAME[name].pretty


def test_both_go_versions_are_modelled_and_todays_go_comes_first() -> None:
    names = [e.name for e in ENCODERS if e.family == "go"]
    assert names == [*GO_1_22, *("go<=1.21 " + n.removeprefix("go ") for n in GO_1_22)]


def test_the_committed_go_outputs_are_labelled_go_1_21() -> None:
    doc = _doc()
    assert doc["tools"]["go"].startswith("go1.19")
    go_names = [n for n in doc["encoders"] if BY_NAME[n].family == "go"]
    assert go_names and all(n.startswith("go<=1.21 ") for n in go_names)
