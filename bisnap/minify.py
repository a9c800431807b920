"""Byte-exact minify: remove JSON's insignificant whitespace and change nothing else.

SNAP hashes `minify(RequestBody)`. bisnap never re-serialises: key order, duplicate keys,
escapes (`\\u00e9`, `\\/`, `\\"`), number spellings (`1.50`, `1e+10`, `-0`, a 5,000-digit
integer) and raw UTF-8 survive byte for byte. Only space, tab, CR and LF outside string
literals are removed.

How, at C speed: `msgspec.json.format(raw, indent=-1)` validates the JSON grammar and copies
every token verbatim in one C pass; a body with non-ASCII bytes is then checked to be UTF-8
(msgspec copies string bytes as they are). The pure-Python scanner in `bisnap._jsonscan` is
the reference implementation: it answers every body msgspec refuses, so errors carry its
reason and byte offset, and the valid bodies msgspec refuses are still accepted:

- lone-surrogate escapes (`"\\ud800"`), which Python's `json` accepts too: bisnap keeps them
  (the escape is six ASCII bytes, hashed as sent);
- nesting deeper than msgspec's C recursion limit allows: bodies nested up to
  `MAX_DEPTH` (1,000) objects/arrays deep are minified by the reference scanner; deeper is
  `BodyNotJSONError("nested too deeply")`. No body ever raises `RecursionError`.
"""

from __future__ import annotations

import codecs
import re
import sys

import msgspec

from bisnap._jsonscan import MAX_DEPTH, JSONScanError, reference_minify_text
from bisnap.errors import BodyNotJSONError, BodyTypeError

__all__ = ["MAX_DEPTH", "minify", "minify_reference", "minify_unchecked"]

# SNAP: minify(RequestBody) drops whitespace outside string values only; keys keep their
# order; an absent body is the empty string (shared/spec/snap-standard.md §1.2 note 2, §4.4).
_format = msgspec.json.format
_DecodeError = msgspec.DecodeError
_CHUNK = 1 << 20  # UTF-8 check of big bodies in 1 MiB steps: memory stays ~1x the body
# Lenient strip for minify_unchecked's non-JSON bodies: whitespace outside "…" runs goes.
_STRING_OR_SPACE = re.compile(rb'("(?:[^"\\]|\\.)*"?)|[ \t\r\n]+', re.DOTALL)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _raw_bytes(body: object) -> bytes:
    """The bytes of a bytes-like body; anything else is a BodyTypeError."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
        return bytes(body)
    raise BodyTypeError(f"body must be bytes, str or None, not {type(body).__name__}")


def _encode_text(body: str) -> bytes:
    try:
        return body.encode("utf-8")
    except UnicodeEncodeError as err:
        offset = len(body[: err.start].encode("utf-8", "surrogatepass"))
        raise BodyNotJSONError("a lone surrogate, not UTF-8", offset=offset) from err


def _utf8_error(raw: bytes) -> int | None:
    """The byte offset of the first invalid UTF-8 sequence, None when `raw` is UTF-8."""
    # msgspec copies string bytes verbatim, so only a body with bytes >= 0x80 needs a check.
    if raw.isascii():
        return None
    try:
        if len(raw) <= _CHUNK:
            raw.decode("utf-8")
        else:
            decoder = codecs.getincrementaldecoder("utf-8")()
            view = memoryview(raw)
            for start in range(0, len(raw), _CHUNK):
                decoder.decode(view[start : start + _CHUNK], final=start + _CHUNK >= len(raw))
    except UnicodeDecodeError:
        try:
            raw.decode("utf-8")  # the error path: once more, whole, for the exact offset
        except UnicodeDecodeError as err:
            return err.start
    return None


def minify_reference(raw: bytes) -> bytes:
    """Minify `raw` with the pure-Python reference scanner (slow; the specification).

    `minify` gives the same bytes or the same error for every input; it calls this for the
    bodies msgspec refuses.

    Raises:
        BodyNotJSONError: not JSON text; `.reason` and `.offset` (bytes) say what and where.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BodyNotJSONError("invalid UTF-8", offset=err.start) from err
    if not text.strip(" \t\r\n"):
        return b""
    if text.startswith("\ufeff"):
        raise BodyNotJSONError("a UTF-8 byte order mark", offset=0)
    try:
        out = reference_minify_text(text)
    except JSONScanError as bad:
        raise BodyNotJSONError(bad.reason, offset=len(text[: bad.pos].encode("utf-8"))) from None
    return out.encode("utf-8")


# msgspec stops at Python's recursion limit: about 1,000 levels on 3.11 with the default
# limit, so it never goes past MAX_DEPTH there. Where it may go deeper (a raised limit,
# Python 3.12+'s C limit), a body with more than MAX_DEPTH brackets takes the reference
# path, so the limit is the same everywhere.
_DEPTH_UNGUARDED = sys.version_info < (3, 12)
_recursion_limit = sys.getrecursionlimit


def _too_deep(raw: bytes) -> bool:
    if _DEPTH_UNGUARDED and sys.getrecursionlimit() <= MAX_DEPTH:
        return False
    return raw.count(b"[") + raw.count(b"{") > MAX_DEPTH


def _minify_bytes(raw: bytes, *, check_utf8: bool) -> bytes:
    try:
        out = _format(raw, indent=-1)
    except (_DecodeError, RecursionError):
        return minify_reference(raw)
    if check_utf8:
        bad = _utf8_error(raw)
        if bad is not None:
            raise BodyNotJSONError("invalid UTF-8", offset=bad)
    if _too_deep(raw):
        return minify_reference(raw)
    return out


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
            garbage, unbalanced, not UTF-8, nested deeper than `MAX_DEPTH`); `.offset` is
            the byte offset of the problem.
    """
    if type(body) is bytes:  # the hot path, inlined: one C pass, a UTF-8 check if needed
        try:
            out: bytes = _format(body, indent=-1)
        except (_DecodeError, RecursionError):
            return minify_reference(body)
        if not body.isascii():
            if len(body) <= _CHUNK:
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError as err:
                    raise BodyNotJSONError("invalid UTF-8", offset=err.start) from None
            else:
                bad = _utf8_error(body)
                if bad is not None:
                    raise BodyNotJSONError("invalid UTF-8", offset=bad)
        if _DEPTH_UNGUARDED and _recursion_limit() <= MAX_DEPTH:
            return out
        return minify_reference(body) if _too_deep(body) else out
    if body is None:
        return b""
    if isinstance(body, str):
        return _minify_bytes(_encode_text(body), check_utf8=False)
    return _minify_bytes(_raw_bytes(body), check_utf8=True)


def minify_unchecked(body: bytes | str | None) -> bytes:
    """`minify` for callers that verify a signature first and parse the body right after.

    For JSON text the result equals `minify(body)` (the UTF-8 check is skipped: the caller's
    own decode reports bad UTF-8). For other text (a form-encoded body a sender signed) it
    is the body with whitespace removed outside `"…"` runs, so the signature can be checked
    before the caller's parser reports that the body is not JSON.

    Raises:
        BodyTypeError: `body` is not bytes, str or None.
        BodyNotJSONError: the body holds a raw control byte (NUL, …) that no JSON or text
            body carries.
    """
    if type(body) is bytes:  # the hot path (a notification verifier), inlined
        try:
            formatted: bytes = _format(body, indent=-1)
        except (_DecodeError, RecursionError):
            return _lenient(body)
        if _DEPTH_UNGUARDED and _recursion_limit() <= MAX_DEPTH:
            return formatted
        return _lenient(body) if _too_deep(body) else formatted
    if body is None:
        return b""
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else _raw_bytes(body)
    try:
        out = _format(raw, indent=-1)
    except (_DecodeError, RecursionError):
        return _lenient(raw)
    if _too_deep(raw):
        return _lenient(raw)
    return out


def _lenient(raw: bytes) -> bytes:
    try:
        return minify_reference(raw)
    except BodyNotJSONError:
        pass
    control = _CONTROL.search(raw)
    if control is not None:
        raise BodyNotJSONError("a control byte outside JSON text", offset=control.start())
    return _STRING_OR_SPACE.sub(rb"\1", raw)
