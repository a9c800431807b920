"""The answer to one attempt: a `SnapResponse` on success, else the `ApiError` to raise;
and the bisnap error for an httpx failure.

Pure: no I/O. The responseCode decides, not the HTTP status (a provider may answer HTTP 200
with `4012700`); the code → error class mapping lives in `bisnap.responses`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from bisnap.errors import (
    ApiError,
    CallContext,
    ConnectionFailedError,
    InputError,
    TokenRejectedError,
    TransportError,
)
from bisnap.headers import redact_headers
from bisnap.http.request import Target
from bisnap.responses import ResponseCode, error_class, parse_response_code, status_error_class
from bisnap.signing import SignatureTrace
from bisnap.tokens import mask_secret_fields, mask_secret_values

__all__ = ["SnapResponse", "parse_response", "transport_error"]


@dataclass(frozen=True, repr=False)
class SnapResponse:
    """A successful SNAP answer.

    `code` is the parsed responseCode (`code.raw` keeps what was sent); `body` the parsed
    JSON object; `raw` the bytes received; `trace` the request's signature trace (None for an
    unsigned call); `endpoint` the catalogue name (a Payouts call settled by a status check
    returns the `transfer_status` answer, so `endpoint` says which one you hold).
    """

    status_code: int
    code: ResponseCode
    message: str
    body: dict[str, Any]
    raw: bytes
    headers: Mapping[str, str]
    trace: SignatureTrace | None = None
    endpoint: str | None = None
    external_id: str | None = None
    attempts: int = 1
    request_headers: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_success(self) -> bool:
        """True for 200xx00 and 202xx00 (in progress)."""
        return self.code.is_success

    @property
    def location(self) -> str | None:
        """The redirect target of a 3xx answer (Get Auth Code), else None."""
        for key, value in self.headers.items():
            if key.lower() == "location":
                return value
        return None

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickle never carries a token: the request's trace (its string to sign holds the
        # access token) is left out, headers are redacted, and token members of the body
        # (Account Binding's customer token) are masked.
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(
            trace=None,
            body=mask_secret_values(self.body),
            raw=mask_secret_fields(self.raw),
            headers=dict(self.headers),
            request_headers=redact_headers(self.request_headers),
        )
        return (_rebuild_response, (values,))

    def __repr__(self) -> str:
        return (
            f"SnapResponse(endpoint={self.endpoint!r}, status_code={self.status_code}, "
            f"code={self.code.code!r}, message={self.message!r}, attempts={self.attempts}, "
            f"raw=<{len(self.raw)} bytes>)"
        )


def _rebuild_response(values: dict[str, Any]) -> SnapResponse:
    return SnapResponse(**values)


_REBIND_HINT = (
    "The customer token (Authorization-Customer) is invalid or unknown: get a fresh one "
    "from Account Binding Inquiry (or bind the account again)."
)
_NOT_SNAP_HINT = (
    "The answer did not come from the SNAP API: check the base URL, a proxy or load "
    "balancer in between, and the provider's status page."
)


def _message_of(body: Mapping[str, Any]) -> str:
    message = body.get("responseMessage")
    text = message if isinstance(message, str) else ""
    return text if len(text) <= 150 else text[:150] + "…"


def parse_response(
    *,
    target: Target,
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    trace: SignatureTrace | None = None,
    external_id: str | None = None,
    attempts: int = 1,
    request_headers: Mapping[str, str] | None = None,
) -> SnapResponse | ApiError:
    """Parse an answer: a `SnapResponse` on success, else the `ApiError` to raise (returned).

    The responseCode decides (a provider may answer HTTP 200 with `4012700`); 8-digit codes
    and bare numbers are accepted; a non-JSON answer becomes an `ApiError` with the status.
    """
    label = target.label
    if 300 <= status_code < 400 and target.query_body:
        return _parse_redirect(target, status_code, headers, content, external_id, attempts)
    try:
        parsed = json.loads(content) if content else None
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, deep nesting
        parsed = None
    if not isinstance(parsed, dict):
        kind = _content_type(headers) or "no content type"
        what = "is not a JSON object" if content else "is empty"
        return status_error_class(status_code)(
            f"{label}: HTTP {status_code} answer {what} ({kind}, {len(content)} bytes)",
            status_code=status_code,
            body=content.decode("utf-8", "replace")[:500],
            trace=trace,
            hint=_NOT_SNAP_HINT,
            external_id=external_id,
            attempt=attempts,
            debug_id=_debug_id(None, headers),
        )
    raw_code = parsed.get("responseCode")
    try:
        code = parse_response_code(raw_code)
    except InputError:
        return status_error_class(status_code)(
            f"{label}: HTTP {status_code} answer has no usable responseCode",
            status_code=status_code,
            body=parsed,
            trace=trace,
            hint=_NOT_SNAP_HINT,
            external_id=external_id,
            attempt=attempts,
            debug_id=_debug_id(parsed, headers),
        )
    message = _message_of(parsed)
    if code.is_success:
        return SnapResponse(
            status_code=status_code,
            code=code,
            message=message,
            body=parsed,
            raw=content,
            headers=headers,
            trace=trace,
            endpoint=label if target.endpoint is not None else None,
            external_id=external_id,
            attempts=attempts,
            request_headers=dict(request_headers or {}),
        )
    sent_as = f" (sent as {code.raw})" if code.raw != code.code else ""
    cls = error_class(code)
    hint = _REBIND_HINT if cls is TokenRejectedError and code.case in ("02", "04") else None
    return cls(
        f"{label}: {code.code}{sent_as} {message or code.standard_message or ''}".rstrip()
        + f" (HTTP {status_code})",
        code=code,
        status_code=status_code,
        body=parsed,
        trace=trace,
        hint=hint,
        external_id=external_id,
        attempt=attempts,
        debug_id=_debug_id(parsed, headers),
    )


def _debug_id(body: Mapping[str, Any] | None, headers: Mapping[str, str]) -> str | None:
    """The provider's id of a failed request: the error body's `referenceNo`, else a
    `debug-id` / `x-request-id` header."""
    # SNAP: Midtrans error answers carry `referenceNo` as a debug id (midtrans-core.md §3.1).
    if body is not None:
        ref = body.get("referenceNo")
        if isinstance(ref, str) and ref:
            return ref[:100]
    for key, value in headers.items():
        if key.lower() in ("debug-id", "x-request-id") and value:
            return value[:100]
    return None


def _content_type(headers: Mapping[str, str]) -> str | None:
    for key, value in headers.items():
        if key.lower() == "content-type":
            return value.split(";", 1)[0].strip()
    return None


def _parse_redirect(
    target: Target,
    status_code: int,
    headers: Mapping[str, str],
    content: bytes,
    external_id: str | None,
    attempts: int,
) -> SnapResponse | ApiError:
    # SNAP: Get Auth Code answers 302; on error Location carries responseCode and
    # responseMessage as query parameters (midtrans-core.md §4.5).
    location = next((v for k, v in headers.items() if k.lower() == "location"), "")
    params = dict(parse_qsl(urlsplit(location).query))
    service = target.endpoint.service_code if target.endpoint is not None else "00"
    code = ResponseCode(200, service, "00", "")
    if "responseCode" in params:
        try:
            code = parse_response_code(params["responseCode"])
        except InputError:
            code = ResponseCode(400, service, "00", params["responseCode"])
    message = params.get("responseMessage", "Redirect")
    if not code.is_success:
        return error_class(code)(
            f"{target.label}: {code.code} {message} (HTTP {status_code} redirect)",
            code=code,
            status_code=status_code,
            body=params,
            external_id=external_id,
            attempt=attempts,
        )
    return SnapResponse(
        status_code=status_code,
        code=code,
        message=message,
        body={},
        raw=content,
        headers=dict(headers),
        endpoint=target.label,
        external_id=external_id,
        attempts=attempts,
    )


#: httpx failures after which the request may have reached the provider.
_LOST = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
#: httpx failures where nothing left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def transport_error(
    exc: httpx.HTTPError,
    *,
    target: Target | str,
    trace: SignatureTrace | None = None,
    external_id: str | None = None,
    attempt: int | None = None,
) -> TransportError:
    """The bisnap error for an httpx failure, for service calls and token fetches alike.

    `ConnectionFailedError` if nothing was sent (connect refused or timed out: safe to
    re-send); `TransportError` if the answer was lost (the request may have been
    processed); `TransportError(retryable=False)` for a failure a re-send cannot mend
    (unsupported scheme, a local protocol error). Raise it `from exc`.
    """
    label = target if isinstance(target, str) else target.label
    name = type(exc).__name__
    context: CallContext = {"trace": trace, "external_id": external_id, "attempt": attempt}
    if isinstance(exc, _NOT_SENT):
        text = f"{label}: could not connect ({name}); the request was not sent"
        return ConnectionFailedError(text, **context)
    if isinstance(exc, _LOST):
        text = f"{label}: no answer ({name}); the request may have been processed"
        return TransportError(text, **context)
    context["hint"] = "A re-send will not help: check the URL (scheme, host) and HTTP settings."
    return TransportError(f"{label}: the request failed ({name})", retryable=False, **context)
