"""Properties of minify over generated JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bisnap import minify

settings.register_profile("bisnap", deadline=None, max_examples=150)
settings.load_profile("bisnap")

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
separators = st.sampled_from([(",", ":"), (", ", ": "), (" ,\n", " :\t"), (",\r\n", ": ")])
indents = st.one_of(st.none(), st.integers(min_value=0, max_value=4), st.just("\t"))


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _all_strings(item)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_all_strings(v)]]
    return []


@given(json_values, separators, indents, st.booleans())
def test_minify_preserves_meaning(
    value: Any, seps: tuple[str, str], indent: int | str | None, ascii_only: bool
) -> None:
    text = json.dumps(value, separators=seps, indent=indent, ensure_ascii=ascii_only)
    out = minify(text.encode("utf-8"))
    assert json.loads(out) == json.loads(text)
    # Idempotent.
    assert minify(out) == out
    # Equal to the compact dump (same escapes, same number spellings).
    compact = json.dumps(value, separators=(",", ":"), ensure_ascii=ascii_only)
    assert out == compact.encode("utf-8")


@given(st.lists(st.text(), min_size=1, max_size=6), indents)
def test_string_contents_survive_byte_for_byte(
    strings: list[str], indent: int | str | None
) -> None:
    text = json.dumps(strings, indent=indent, ensure_ascii=False)
    out = minify(text)
    # Every string literal of the input appears unchanged in the output.
    literals = re.findall(r'"(?:[^"\\]|\\.)*"', text)
    assert re.findall(r'"(?:[^"\\]|\\.)*"', out.decode("utf-8")) == literals
    assert _all_strings(json.loads(out)) == strings
