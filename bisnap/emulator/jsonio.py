"""The emulator's JSON in one place: compact bytes out, bounded and checked bytes in.

`compact(value)` is the emulator's writer (`bisnap.jsonout.compact_json_fast`, the package's
one compact-JSON home): UTF-8, no whitespace, non-ASCII kept (every answer, notification
and signed test request). `read_body(request, limit)` reads a request body
without ever holding more than `limit` bytes (Content-Length checked first, then the
streamed chunks counted), and `parse_object(raw)` turns it into a JSON object or says why
not, never raising (deep nesting, bad UTF-8 and numbers Python refuses included).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from bisnap.jsonout import compact_json_fast

__all__ = [
    "DEFAULT_MAX_BODY",
    "MAX_DEPTH",
    "BodyTooLarge",
    "NotAnObject",
    "compact",
    "parse_object",
    "read_body",
]

#: The default request-body limit: 1 MiB.
DEFAULT_MAX_BODY = 1024 * 1024

#: Containers nested deeper than this are refused as a bad request.
MAX_DEPTH = 64

#: Compact UTF-8 JSON: the bytes to sign and send (see `bisnap.jsonout.compact_json_fast`).
compact = compact_json_fast


class BodyTooLarge(Exception):  # noqa: N818 - an outcome, answered 413 by the app
    """The request body is over the limit (declared or streamed)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


class NotAnObject(Exception):  # noqa: N818 - an outcome, answered 400xx00 by the app
    """The body is not a JSON object (not JSON, too deep, not UTF-8, an array...)."""


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused as soon as it is known to be over `limit` bytes.

    A Content-Length over the limit is refused before anything is read; a streamed
    (chunked) body is counted chunk by chunk and refused at the first byte past the limit.

    Raises:
        BodyTooLarge: over the limit.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        text = declared.strip()
        # A malformed Content-Length never reaches here (the HTTP server answers 400), but
        # a long digit string must not cost an int() of thousands of digits.
        if text.isdigit() and (len(text) > 18 or int(text) > limit):
            raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        if chunk:
            chunks.append(chunk)
    return b"".join(chunks)


def _refuse_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity are Python's extension, not JSON.
    raise ValueError(f"{name} is not JSON")


def _depth_ok(value: Any, depth: int = 0) -> bool:
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, dict):
        return all(_depth_ok(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return all(_depth_ok(v, depth + 1) for v in value)
    return True


def parse_object(raw: bytes, *, empty: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object in `raw`; an empty or blank body is `empty` (when given).

    Raises:
        NotAnObject: not UTF-8 JSON, nested deeper than `MAX_DEPTH`, or not an object.
    """
    if empty is not None and not raw.strip():
        return empty
    try:
        # SNAP: bodies are UTF-8 JSON (snap-standard.md §1.1); decoded first so that
        # json.loads does not guess UTF-16/32.
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
        raise NotAnObject(type(err).__name__) from None
    if not isinstance(value, dict):
        raise NotAnObject("not an object")
    if not _depth_ok(value):
        raise NotAnObject("nested too deep")
    return value
