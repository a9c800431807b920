"""bisnap.jsonout: the one compact-JSON writer gives json.dumps's bytes exactly.

Expected bytes come from the standard library's `json.dumps(..., separators=(",", ":"),
ensure_ascii=False)`, never from the function under test.
"""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bisnap.jsonout import compact_json, compact_json_fast


def _stdlib(value: Any, *, ensure_ascii: bool = False) -> bytes:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii)
    return text.encode("utf-8")


_text = st.text(st.characters(codec="utf-8"), max_size=20)
_scalars = st.none() | st.booleans() | st.integers() | _text
_json = st.recursive(
    _scalars | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_compact_json_is_json_dumps(value: Any) -> None:
    assert compact_json(value) == _stdlib(value)
    assert compact_json(value, ensure_ascii=True) == _stdlib(value, ensure_ascii=True)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_text, _scalars, max_size=8))
def test_flat_objects_take_the_fast_path_with_the_same_bytes(value: dict[str, Any]) -> None:
    assert compact_json(value) == _stdlib(value)
    assert compact_json_fast(value) == _stdlib(value)


def test_key_order_and_non_ascii_are_kept() -> None:
    value = {"z": "é", "a": "日本", "m": "\u2028", "c": "\x7f\x00\n"}
    assert compact_json(value) == (
        '{"z":"é","a":"日本","m":"\u2028","c":"\x7f\\u0000\\n"}'.encode()
    )
    assert compact_json(value, ensure_ascii=True).isascii()


class _Level(enum.IntEnum):
    HIGH = 3


class _Loud(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        {"big": 2**64, "small": -(2**63) - 1, "edge": 2**64 - 1},
        {"level": _Level.HIGH},
        {"name": _Loud("x")},
        {"amount": 1e16, "tiny": 5e-324},
        {1: "int key", False: "bool key", None: "null key"},
        [{"a": 1}, "b"],
    ],
)
def test_values_json_spells_its_own_way_match_json(value: Any) -> None:
    assert compact_json(value) == _stdlib(value)


def test_errors_are_json_dumps_errors() -> None:
    with pytest.raises(ValueError):
        compact_json({"amount": math.nan}, allow_nan=False)
    assert compact_json({"amount": math.nan}) == b'{"amount":NaN}'
    with pytest.raises(TypeError):
        compact_json({"tags": {"a", "b"}})
    with pytest.raises(TypeError):
        compact_json({"raw": b"x"})
    with pytest.raises(UnicodeEncodeError):
        compact_json({"bad": "\ud800"})


def test_fast_writer_escapes_a_lone_surrogate_instead_of_failing() -> None:
    out = compact_json_fast({"bad": "\ud800", "ok": "é"})
    assert out.isascii()
    assert json.loads(out) == {"bad": "\ud800", "ok": "é"}
    nested = {"items": [{"name": "é", "n": 1}], "ok": True}
    assert compact_json_fast(nested) == _stdlib(nested)
