"""Parse a captured raw HTTP request: what a user copies from their HTTP client's log.

```
POST /v1.0/transfer-va/create-va HTTP/1.1
Host: merchants.sbx.midtrans.com
X-TIMESTAMP: 2024-03-05T17:37:16+07:00
X-SIGNATURE: AbGVR3rO...
Authorization: Bearer eyJ...

{"partnerServiceId":"  088899", ...}
```

CRLF or LF line ends; a full URL in the request line is reduced to its path and query;
`curl -v` lines (`> POST ...`) and HTTP/2 pseudo-headers (`:method`, `:path`) are read
too. The body is kept byte for byte: it is what was signed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bisnap.errors import InputError, InputTypeError
from bisnap.headers import redact_headers
from bisnap.secrets import Secret

__all__ = ["RawRequest", "parse_raw_request"]

_METHOD = re.compile(r"[A-Za-z]+\Z")


@dataclass(frozen=True, repr=False)
class RawRequest:
    """A parsed request: method, path (with query), headers and the body bytes as sent.

    `bearer_token` is the token of `Authorization: Bearer …` as a `Secret`; `repr()` and
    `redacted_headers()` mask the credential headers.
    """

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    bearer_token: Secret | None = field(default=None)

    def header(self, name: str) -> str | None:
        """The first value of header `name` (case-insensitive), or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def redacted_headers(self) -> dict[str, str]:
        """The headers with `Authorization` and other credentials masked."""
        return redact_headers(self.headers)

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickle carries the headers redacted and no bearer token (caches and task
        # queues pickle without asking).
        headers = tuple(self.redacted_headers().items())
        return (RawRequest, (self.method, self.path, headers, self.body, None))

    def __repr__(self) -> str:
        size = None if self.body is None else len(self.body)
        return (
            f"RawRequest(method={self.method!r}, path={self.path!r}, "
            f"headers={self.redacted_headers()!r}, body=<{size} bytes>)"
        )


def _reduce_target(target: str) -> str:
    if "://" in target:
        try:
            parts = urlsplit(target)
        except ValueError as err:  # e.g. an unclosed IPv6 bracket: http://[::1/x
            raise InputError(
                "the request target is not a valid URL",
                hint="The request line must carry the path, e.g. '/v1.0/transfer-va/create-va'.",
            ) from err
        path = parts.path or "/"
        return path + (f"?{parts.query}" if parts.query else "")
    return target


def parse_raw_request(data: bytes | str) -> RawRequest:
    """Parse `data` (request line, headers, blank line, body) into a `RawRequest`.

    A body longer than `Content-Length` only by trailing whitespace (an editor's final
    newline) is cut to `Content-Length`; an empty body is None.

    Raises:
        InputError: no request line, a malformed request line or header line, or str input
            that is not UTF-8 text (a lone surrogate).
        InputTypeError: `data` is neither bytes nor str.
    """
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError as err:
            raise InputError(
                "the request text is not UTF-8 (it holds a lone surrogate)",
                hint="Pass the captured request as bytes, exactly as read from the file.",
            ) from err
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise InputTypeError(
            f"a raw request is bytes or str, not {type(data).__name__}",
            hint="Pass the captured request as bytes, exactly as read from the file.",
        )
    raw = raw.lstrip(b"\r\n")
    head, body = _split_head(raw)
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(
            "the request head (request line and headers) is not UTF-8 text",
            hint="Copy the request as text from your HTTP client's log.",
        ) from err
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if lines and lines[0].startswith(">"):
        lines = [line[1:].lstrip(" ") if line.startswith(">") else line for line in lines]
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise InputError(
            "the request is empty",
            hint="Paste the request line, the headers, a blank line and the body.",
        )
    method: str | None = None
    path: str | None = None
    header_lines = lines
    first = lines[0].split()
    if not lines[0].startswith(":") and ":" not in first[0]:
        if len(first) not in (2, 3) or not _METHOD.match(first[0]):
            raise InputError(
                "the first line is not a request line like 'POST /v1.0/... HTTP/1.1'",
                hint="Start the file with the request line, then the headers.",
            )
        method, path = first[0].upper(), _reduce_target(first[1])
        header_lines = lines[1:]
    headers: list[tuple[str, str]] = []
    for number, line in enumerate(header_lines, start=2):
        if line.startswith(":"):
            name, sep, value = line[1:].partition(":")
            name = ":" + name
        else:
            name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            raise InputError(
                f"line {number} is not a header line ('Name: value')",
                hint="Headers end at the first blank line; the body follows it.",
            )
        headers.append((name.strip(), value.strip()))
    pseudo = {name.lower(): value for name, value in headers if name.startswith(":")}
    if method is None:
        method = pseudo.get(":method", "").upper() or None
        path = _reduce_target(pseudo[":path"]) if ":path" in pseudo else None
    if method is None or path is None:
        raise InputError(
            "the request has no request line (method and path)",
            hint="Start the file with e.g. 'POST /v1.0/transfer-va/create-va HTTP/1.1'.",
        )
    if not path.startswith("/"):
        raise InputError(
            "the request target is not a path or URL",
            hint="The request line must carry the path, e.g. '/v1.0/transfer-va/create-va'.",
        )
    headers = [(n, v) for n, v in headers if not n.startswith(":")]
    body = _fit_body(body, headers)
    token = None
    for name, value in headers:
        if name.lower() == "authorization":
            scheme, _, credential = value.partition(" ")
            if scheme.lower() == "bearer" and credential.strip():
                token = Secret(credential.strip())
    return RawRequest(method, path, tuple(headers), body or None, token)


def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    positions = [(raw.find(sep), sep) for sep in (b"\r\n\r\n", b"\n\n", b"\n\r\n")]
    found = [(pos, sep) for pos, sep in positions if pos != -1]
    if not found:
        return raw, b""
    pos, sep = min(found)
    return raw[:pos], raw[pos + len(sep) :]


def _fit_body(body: bytes, headers: list[tuple[str, str]]) -> bytes:
    length = next((v for n, v in headers if n.lower() == "content-length"), None)
    # ASCII digits only ("²".isdigit() is true), and a length no body can exceed: a
    # 5,000-digit value is as good as no Content-Length (and int() would refuse it).
    if length is not None and length.isascii() and length.isdigit() and len(length) <= 18:
        size = int(length)
        if len(body) > size and not body[size:].strip():
            return body[:size]
    return body
