"""Compact JSON writing in one place: the bytes bisnap sends, stores and answers with.

- `compact_json(value)` is exactly `json.dumps(value, separators=(",", ":"),
  ensure_ascii=False).encode("utf-8")` (key order kept, non-ASCII written as UTF-8), with
  `allow_nan=False` on request. A flat object of strings, integers, booleans and nulls (a
  token request, a stored token record, a notification acknowledgement) is written by
  msgspec's C encoder, which gives the same bytes several times faster; anything else
  goes through `json`.
- `compact_json_fast(value)` always uses msgspec (the emulator's answers): the same bytes for
  everything the emulator writes, except that a float may be spelled `1e308` rather than
  `1e+308`, and a lone surrogate makes the whole document fall back to `\\u` escapes.

```python
from bisnap.jsonout import compact_json

compact_json({"grantType": "client_credentials", "note": "café"})
# b'{"grantType":"client_credentials","note":"caf\\xc3\\xa9"}'
```
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

__all__ = ["compact_json", "compact_json_fast"]

_encode = msgspec.json.Encoder().encode
_SCALARS = (str, bool, type(None))
_INT_RANGE = range(-(2**63), 2**64)


def _flat(value: dict[Any, Any]) -> bool:
    # Only exact types whose msgspec spelling is json's: no floats (`1e16` vs `1e+16`, NaN),
    # no subclasses (an IntEnum, a str subclass with its own __str__), no non-str keys.
    for key, item in value.items():
        if type(key) is not str:
            return False
        kind = type(item)
        if kind is int:
            if item not in _INT_RANGE:
                return False
        elif kind not in _SCALARS:
            return False
    return True


def compact_json(value: Any, *, allow_nan: bool = True, ensure_ascii: bool = False) -> bytes:
    """`value` as compact UTF-8 JSON, byte for byte what `json.dumps` writes.

    `ensure_ascii=True` writes non-ASCII as `\\u` escapes (pure-ASCII bytes).

    Raises:
        TypeError: a value JSON cannot carry (a set, bytes, ...).
        ValueError: NaN or an infinity with `allow_nan=False`, a circular reference, or a
            lone surrogate (`UnicodeEncodeError`).
    """
    if not ensure_ascii and type(value) is dict and _flat(value):
        try:
            return _encode(value)
        except UnicodeEncodeError:
            pass  # a lone surrogate: json raises the same error below
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii, allow_nan=allow_nan)
    return text.encode("utf-8")


def compact_json_fast(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON by msgspec's C encoder (about 10x `json.dumps`).

    The same bytes as `compact_json` for strings, integers, booleans, nulls, lists and
    objects with string keys; a float may be spelled `1e308` rather than `1e+308`. A string
    holding a lone surrogate (which a request may carry as `\\ud800`) makes the whole
    document fall back to `\\u` escapes, still valid JSON. Never raises for those values.
    """
    try:
        return _encode(value)
    except (UnicodeEncodeError, msgspec.EncodeError, TypeError):
        try:
            return compact_json(value)
        except UnicodeEncodeError:
            return compact_json(value, ensure_ascii=True)
