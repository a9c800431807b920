"""What the debugger page sends: one JSON object, read into typed inputs.

```
{"kind": "service" | "token" | "notification" | "auto",
 "request": "<a captured request: curl -v, raw HTTP, CRLF or LF>",
 "method": ..., "path": ..., "body": ..., "timestamp": ..., "signature": ..., "clientKey": ...,
 "clientSecret": ..., "accessToken": ..., "publicKey": "<PEM>", "privateKey": "<PEM>",
 "pathPrefix": ..., "noQuery": false, "host": ..., "as": "sender" | "receiver",
 "registeredClientKey": ...}
```

The captured request is read with the CLI's `--request` parser (`parse_raw_request`); a field
given one by one takes precedence over the request, as a flag does in the CLI. The client
secret and the access token go into `Secret` at once; nothing here keeps or prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bisnap.cli.rawhttp import RawRequest, parse_raw_request
from bisnap.errors import InputError
from bisnap.secrets import Secret

__all__ = ["KINDS", "DebugInputs", "DebugKind", "check_payload", "detect_kind", "read_inputs"]

DebugKind = Literal["service", "token", "notification"]
#: The kinds the API takes, as the CLI names them (`bisnap explain KIND`).
KINDS: tuple[DebugKind, ...] = ("service", "token", "notification")

_TEXT_FIELDS = (
    "request",
    "method",
    "path",
    "body",
    "timestamp",
    "signature",
    "clientKey",
    "clientSecret",
    "accessToken",
    "publicKey",
    "privateKey",
    "pathPrefix",
    "host",
    "as",
    "registeredClientKey",
    "token",
    "pem",
)


@dataclass(frozen=True, repr=False)
class DebugInputs:
    """The inputs of one explain, verify or sign call. `repr()` shows no secret."""

    kind: DebugKind
    method: str
    path: str | None
    body: bytes | None
    timestamp: str | None
    signature: str | None
    client_key: str | None
    access_token: Secret | None
    client_secret: Secret | None
    public_key: str | None
    private_key: str | None
    path_prefix: str | None
    include_query: bool
    request: RawRequest | None
    host: str | None = None
    audience: str | None = None
    registered_client_key: str | None = None

    def __repr__(self) -> str:
        return (
            f"DebugInputs(kind={self.kind!r}, method={self.method!r}, path={self.path!r}, "
            f"body=<{0 if self.body is None else len(self.body)} bytes>)"
        )


def _text(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(
            f"the field {name!r} must be a string",
            hint='Send the value as JSON text, e.g. "' + name + '": "..."',
        )
    return value


def _filled(payload: Mapping[str, Any], name: str) -> str | None:
    """A text field with surrounding whitespace removed; an empty one counts as absent."""
    value = _text(payload, name)
    if value is None or not value.strip():
        return None
    return value.strip()


def check_payload(payload: object) -> Mapping[str, Any]:
    """`payload` as a JSON object whose text fields are strings.

    Raises:
        InputError: not an object, or a text field that is not a string.
    """
    if not isinstance(payload, dict):
        raise InputError(
            "the request body must be a JSON object",
            hint='Send e.g. {"kind": "service", "request": "POST /v1.0/... HTTP/1.1\\n..."}.',
        )
    for name in _TEXT_FIELDS:
        _text(payload, name)
    return payload


def detect_kind(request: RawRequest | None, payload: Mapping[str, Any]) -> DebugKind:
    """The kind of signature a request carries, from its path and headers.

    `…/access-token/b2b` (or an X-CLIENT-KEY header with no token) is the access-token
    signature; a bearer token or a client secret makes it the HMAC service signature;
    anything else is an asymmetric service signature or a notification.
    """
    path = _filled(payload, "path") or (request.path if request else "") or ""
    if "/access-token/" in path:
        return "token"
    has_token = (request is not None and request.bearer_token is not None) or bool(
        _filled(payload, "accessToken")
    )
    if has_token or _filled(payload, "clientSecret"):
        return "service"
    client_key = _filled(payload, "clientKey") or (
        request.header("X-CLIENT-KEY") if request else None
    )
    if client_key and not path:
        return "token"
    return "notification"


def _kind(payload: Mapping[str, Any], request: RawRequest | None) -> DebugKind:
    kind = _filled(payload, "kind")
    if kind is None or kind == "auto":
        return detect_kind(request, payload)
    for known in KINDS:
        if kind == known:
            return known
    raise InputError(
        f"unknown kind {kind[:40]!r}",
        hint="kind is one of 'service', 'token', 'notification' (or 'auto').",
    )


def _token(value: str | None) -> Secret | None:
    if value is None:
        return None
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return Secret(value) if value else None


def read_inputs(payload: object) -> DebugInputs:
    """Read a page request (see the module docstring) into `DebugInputs`.

    Raises:
        InputError: a field of the wrong type, an unknown kind, or a request the CLI's
            `--request` parser refuses.
    """
    data = check_payload(payload)
    text = _text(data, "request")
    request = parse_raw_request(text) if text is not None and text.strip() else None
    method = _filled(data, "method") or (request.method if request else None) or "POST"
    path = _filled(data, "path") or (request.path if request else None)
    body_text = _text(data, "body")
    body: bytes | None
    if body_text is not None and body_text != "":
        body = body_text.encode("utf-8")
    else:
        body = request.body if request else None
    timestamp = _filled(data, "timestamp") or (request.header("X-TIMESTAMP") if request else None)
    signature = _filled(data, "signature") or (request.header("X-SIGNATURE") if request else None)
    client_key = _filled(data, "clientKey") or (request.header("X-CLIENT-KEY") if request else None)
    token = _token(_filled(data, "accessToken"))
    if token is None and request is not None:
        token = request.bearer_token
    secret_text = _text(data, "clientSecret")
    secret = Secret(secret_text.strip()) if secret_text and secret_text.strip() else None
    audience = _filled(data, "as")
    if audience is not None and audience not in ("sender", "receiver"):
        raise InputError(
            f"'as' must be 'sender' or 'receiver', not {audience[:20]!r}",
            hint="Whose words the hints use: the side that sent or that received the request.",
        )
    no_query = data.get("noQuery", False)
    if not isinstance(no_query, bool):
        raise InputError("the field 'noQuery' must be true or false")
    return DebugInputs(
        kind=_kind(data, request),
        method=method,
        path=path,
        body=body or None,
        timestamp=timestamp,
        signature=signature,
        client_key=client_key,
        access_token=token,
        client_secret=secret,
        public_key=_filled(data, "publicKey"),
        private_key=_filled(data, "privateKey"),
        path_prefix=_filled(data, "pathPrefix"),
        include_query=not no_query,
        request=request,
        host=_filled(data, "host") or (request.header("Host") if request else None),
        audience=audience,
        registered_client_key=_filled(data, "registeredClientKey"),
    )
