"""Byte-exact minify: remove JSON's insignificant whitespace and change nothing else.

SNAP hashes `minify(RequestBody)`. bisnap never re-serialises: key order, duplicate keys,
escapes (`\\u00e9`, `\\/`, `\\"`), number spellings (`1.50`, `1e+10`, `-0`) and raw UTF-8
survive byte for byte. Only space, tab, CR and LF outside string literals are removed.
"""

from __future__ import annotations

import json
from typing import NoReturn

from bisnap._jsonscan import first_bad_offset
from bisnap.errors import BodyNotJSONError, BodyTypeError

__all__ = ["minify", "minify_unchecked"]

# SNAP: minify(RequestBody) drops whitespace outside string values only; keys keep their
# order; an absent body is the empty string (shared/spec/snap-standard.md §1.2 note 2, §4.4).
#
# How, at C speed: once the body is known to be valid JSON, escaped backslashes and escaped
# quotes are swapped for control bytes (which valid JSON never carries raw), so that every
# remaining `"` delimits a string. Splitting on `"` then puts the text outside strings at the
# even positions: those pieces lose their whitespace, the strings are kept as they are.
_WHITESPACE = b" \t\r\n"
_ESCAPED_BACKSLASH, _BACKSLASH_MARK = b"\\\\", b"\x01\x01"
_ESCAPED_QUOTE, _QUOTE_MARK = b'\\"', b"\x02\x02"
_JOIN = b"\x00"


def _reject_constant(name: str) -> NoReturn:
    # Python's json accepts NaN/Infinity; JSON text does not.
    raise ValueError(name)


def _validate(raw: bytes) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BodyNotJSONError("invalid UTF-8", offset=err.start) from err
    if text.startswith("\ufeff"):
        raise BodyNotJSONError("a UTF-8 byte order mark", offset=0)
    try:
        json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        found = first_bad_offset(text)
        reason, index = found if found is not None else ("not JSON", 0)
        offset = len(text[:index].encode("utf-8", "surrogatepass"))
        raise BodyNotJSONError(reason, offset=offset) from err


def minify(body: bytes | str | None) -> bytes:
    """Return the minified JSON text of `body`, as bytes.

    `body` is the exact body as sent or received: bytes (UTF-8), str, or None. `None`, an
    empty body and a body of whitespace only give `b""` (SNAP hashes the empty string).

    ```python
    >>> minify(b'{ "a" : "x y",\\n  "b": 1.50 }')
    b'{"a":"x y","b":1.50}'
    ```

    Raises:
        BodyTypeError: `body` is a dict or another object, not the bytes or text sent.
        BodyNotJSONError: the body is not JSON text (truncated, form-encoded, trailing
            garbage, unbalanced, not UTF-8); `.offset` is the byte offset of the problem.
    """
    if body is None:
        return b""
    if isinstance(body, str):
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as err:
            raise BodyNotJSONError("a lone surrogate, not UTF-8", offset=err.start) from err
    elif isinstance(body, bytes | bytearray | memoryview):
        raw = bytes(body)
    else:
        raise BodyTypeError(f"body must be bytes, str or None, not {type(body).__name__}")
    if not raw.strip(_WHITESPACE):
        return b""
    _validate(raw)
    return _strip_outside_strings(raw)


def minify_unchecked(body: bytes | str | None) -> bytes:
    """`minify` without the JSON check, for callers that parse the body right after.

    The result equals `minify(body)` whenever `body` is JSON text; for anything else it is
    unspecified (no error is raised). Use `minify` unless the JSON is parsed anyway.
    """
    if body is None:
        return b""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    if not raw.strip(_WHITESPACE):
        return b""
    return _strip_outside_strings(raw)


def _strip_outside_strings(raw: bytes) -> bytes:
    if b" " not in raw and b"\n" not in raw and b"\r" not in raw and b"\t" not in raw:
        return raw  # no whitespace anywhere: already minified
    original = raw
    escaped = b"\\" in raw
    if escaped:
        raw = raw.replace(_ESCAPED_BACKSLASH, _BACKSLASH_MARK).replace(_ESCAPED_QUOTE, _QUOTE_MARK)
    pieces = raw.split(b'"')
    outside = _JOIN.join(pieces[0::2])
    stripped = outside.translate(None, _WHITESPACE)
    if len(stripped) == len(outside):
        return original  # already compact: nothing outside strings to remove
    pieces[0::2] = stripped.split(_JOIN)
    out = b'"'.join(pieces)
    if escaped:
        out = out.replace(_BACKSLASH_MARK, _ESCAPED_BACKSLASH).replace(_QUOTE_MARK, _ESCAPED_QUOTE)
    return out
