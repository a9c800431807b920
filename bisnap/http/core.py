"""The client's pure core: build a request, parse the answer, decide what happens next.

Nothing here does I/O. `SnapClient`, `AsyncSnapClient` and `SnapAuth` call these functions
and only add sending (and sleeping, and fetching tokens) around them:

```
serialize_body → resolve_target → prepare → (send) → parse_response → next_step
```

The body is serialised once; every attempt of one call sends the same bytes with the same
X-EXTERNAL-ID and a fresh X-TIMESTAMP and X-SIGNATURE.
"""

from __future__ import annotations

import json
import logging
import random as _random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

import httpx

from bisnap import canonical
from bisnap.catalogue import Endpoint, by_name, by_path
from bisnap.errors import (
    ApiError,
    BadRequestError,
    CallContext,
    CallError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    HeaderError,
    InputError,
    InvalidTokenError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
    UnauthorizedError,
)
from bisnap.headers import (
    AUTHORIZATION,
    AUTHORIZATION_CUSTOMER,
    CHANNEL_ID,
    CONTENT_TYPE,
    X_EXTERNAL_ID,
    X_PARTNER_ID,
    X_SIGNATURE,
    X_TIMESTAMP,
    build_service_headers,
    redact_headers,
)
from bisnap.profiles import ProviderProfile
from bisnap.responses import ResponseCode, parse_response_code
from bisnap.secrets import AccessToken, Secret
from bisnap.signing import Encoding, SignatureTrace, encode_signature, hmac_sha512
from bisnap.tokens import mask_secret_fields, mask_secret_values

__all__ = [
    "AsyncTokenSource",
    "Body",
    "CustomerToken",
    "PreparedRequest",
    "RetryMode",
    "RetryPolicy",
    "SignedBody",
    "SnapResponse",
    "Step",
    "Target",
    "TokenSource",
    "needs_token_refresh",
    "next_step",
    "parse_response",
    "parse_retry_after",
    "prepare",
    "request_headers_for_auth",
    "resolve_target",
    "retry_mode",
    "serialize_body",
    "sign_attempt",
    "sign_body",
    "sign_request",
    "signed_body",
    "status_check_body",
    "status_target",
    "status_verdict",
    "transport_error",
]

logger = logging.getLogger("bisnap.http")

#: A request body: a JSON-able mapping or list (serialised once, compact UTF-8), or the exact
#: bytes/str to send, or None for no body.
Body = Mapping[str, Any] | Sequence[Any] | bytes | str | None
#: A B2B2C customer token (sent as `Authorization-Customer: Bearer …`).
CustomerToken = str | Secret | AccessToken
#: How a call may be re-sent after a 5xx or a lost answer.
RetryMode = Literal["replay", "status_first", "safe", "never"]


@runtime_checkable
class TokenSource(Protocol):
    """Where a sync client gets its B2B access token (e.g. `bisnap.tokens.TokenProvider`)."""

    def get(self) -> AccessToken:
        """A valid access token (cached or freshly fetched)."""
        ...

    def invalidate(self, token: AccessToken) -> object:
        """Forget `token` (the provider rejected it) so that `get()` fetches a new one."""
        ...


@runtime_checkable
class AsyncTokenSource(Protocol):
    """Where an async client gets its B2B access token (e.g. `AsyncTokenProvider`)."""

    async def get(self) -> AccessToken:
        """A valid access token (cached or freshly fetched)."""
        ...

    async def invalidate(self, token: AccessToken) -> object:
        """Forget `token` (the provider rejected it) so that `get()` fetches a new one."""
        ...


# --- retry policy ----------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with jittered exponential backoff; one policy for service calls and
    access-token fetches.

    `max_attempts` counts every send of one call, the first included; the one re-send after
    a token refresh is extra. The base delay before attempt n+1 is
    `min(max_backoff, backoff * multiplier ** (n - 1))` (`delay`); `pause` takes up to
    `jitter` (a fraction) off it at random, so that many clients failing together do not
    retry together. A `Retry-After` answer is honoured when it is at most
    `max_retry_after` seconds (a longer one stops the retries). `random` is the source of
    jitter in [0, 1) (tests pass `lambda: 0.0` for the bare schedule).
    """

    max_attempts: int = 3
    backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 8.0
    jitter: float = 0.2
    max_retry_after: float = 30.0
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(
                f"max_attempts is {self.max_attempts}", hint="Use 1 for no retries."
            )
        if self.backoff < 0 or self.multiplier < 1 or self.max_backoff < 0:
            raise ConfigurationError("backoff values must be >= 0 (multiplier >= 1)")
        if not 0 <= self.jitter <= 1 or self.max_retry_after < 0:
            raise ConfigurationError(
                "jitter must be within 0..1 and max_retry_after >= 0",
                hint="e.g. RetryPolicy(jitter=0.2, max_retry_after=30).",
            )

    def delay(self, attempts_made: int) -> float:
        """Seconds to wait after `attempts_made` sends, before the next one (no jitter)."""
        return min(self.max_backoff, self.backoff * self.multiplier ** max(0, attempts_made - 1))

    def pause(
        self,
        attempts_made: int,
        *,
        retry_after: float | None = None,
        remaining: float | None = None,
    ) -> float | None:
        """Seconds to sleep before the next attempt, or None: do not retry.

        None when `attempts_made` used up `max_attempts`, when the provider's Retry-After
        (`retry_after`, seconds) exceeds `max_retry_after`, or when the wait would not end
        before a deadline `remaining` seconds away.
        """
        if attempts_made >= self.max_attempts:
            return None
        wait = self.delay(attempts_made)
        if self.jitter:
            wait *= 1.0 - self.jitter * self.random()
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            wait = max(wait, retry_after)
        if remaining is not None and wait >= remaining:
            return None
        return wait


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks to wait: delta-seconds or an HTTP-date.

    None for an absent or unreadable value; a date in the past gives 0.
    """
    # RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds.
    if value is None:
        return None
    text = value.strip()
    if text.isdigit() and text.isascii():
        return float(int(text[:12]))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_mode(endpoint: Endpoint | None) -> RetryMode:
    """How a call to `endpoint` may be re-sent after a 5xx or a lost answer.

    `replay`: same X-EXTERNAL-ID and bytes (the provider replays, it does not charge twice);
    `status_first`: ask the status endpoint first (Payouts); `safe`: a read-only call;
    `never`: raise.
    """
    if endpoint is None:
        return "never"
    # SNAP: Midtrans treats a re-sent X-EXTERNAL-ID on payment APIs as an idempotent replay
    # (midtrans-core.md §4.1).
    if endpoint.idempotent_replay:
        return "replay"
    # SNAP: after a 5xx on a transfer, call Transfer Status Inquiry before re-sending
    # (midtrans-reporting-payouts.md §5).
    if endpoint.moves_money and endpoint.status_endpoint == "transfer_status":
        return "status_first"
    if endpoint.moves_money:
        return "never"
    return "safe" if endpoint.read_only else "never"


# --- the request ---------------------------------------------------------------------------


def serialize_body(body: Body) -> bytes:
    """The bytes to send: compact UTF-8 JSON in key order; bytes/str as given; None → b"".

    Raises:
        InputError: the body cannot be written as JSON (NaN, a set, a lone surrogate, ...).
    """
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytearray | memoryview):
        raise InputError(
            f"body is a {type(body).__name__}", hint="Pass bytes (or a dict to serialise)."
        )
    try:
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except (TypeError, ValueError) as err:
        raise InputError(
            f"body cannot be serialised as JSON: {type(err).__name__}",
            hint="Use str, int, float (finite), bool, None, list and dict values only.",
        ) from err


@dataclass(frozen=True)
class Target:
    """Where one call goes: the endpoint (if known), method, URL and how it may be retried."""

    endpoint: Endpoint | None
    method: str
    url: httpx.URL
    signed: bool
    mode: RetryMode
    query_body: bool = False  # the body travels as query parameters (Get Auth Code)

    @property
    def label(self) -> str:
        """The catalogue name, or `METHOD path` for a call outside the catalogue."""
        if self.endpoint is not None:
            return self.endpoint.name
        return f"{self.method} {self.url.path}"


def _join(base_url: str, path: str) -> httpx.URL:
    if "://" not in base_url:
        raise ConfigurationError(
            f"base URL {base_url!r} has no scheme", hint="Use e.g. https://merchants.midtrans.com"
        )
    if not path.startswith("/"):
        raise InputError(f"path {path!r} does not start with '/'", hint="Pass e.g. '/v1.0/x'.")
    return httpx.URL(base_url.rstrip("/") + path)


def resolve_target(
    *,
    profile: ProviderProfile,
    base_url: str,
    app_base_url: str | None = None,
    name: str | None = None,
    method: str | None = None,
    path: str | None = None,
) -> Target:
    """The target of a catalogue call (`name`) or of a generic `method` + `path` call.

    A generic path is sent as given under the base URL (no profile prefix); if it is a
    catalogue path with the catalogue's method, that endpoint's retry rules apply.

    Raises:
        ConfigurationError: unknown endpoint name or a base URL without a scheme.
        InputError: a path that does not start with '/'.
    """
    if name is not None:
        try:
            endpoint = by_name(name)
        except KeyError as err:
            raise ConfigurationError(f"no catalogue endpoint {name!r}") from err
        base = (app_base_url or base_url) if endpoint.host == "app" else base_url
        url = _join(base, profile.service_path(endpoint.path, endpoint.name))
        return Target(
            endpoint=endpoint,
            method=endpoint.method,
            url=url,
            signed=endpoint.signed,
            mode=retry_mode(endpoint),
            query_body=endpoint.method == "GET",
        )
    if method is None or path is None:
        raise ConfigurationError("pass an endpoint name, or a method and a path")
    verb = method.strip().upper()
    known = by_path(path)
    if known is not None and known.method != verb:
        known = None
    return Target(
        endpoint=known,
        method=verb,
        url=_join(base_url, path),
        signed=True,
        mode=retry_mode(known),
    )


@dataclass(frozen=True, repr=False)
class PreparedRequest:
    """One attempt, ready to send: exact URL, bytes and headers, and the signature trace."""

    method: str
    url: httpx.URL
    content: bytes
    headers: dict[str, str]
    trace: SignatureTrace | None
    external_id: str | None
    attempt: int

    def __repr__(self) -> str:
        return (
            f"PreparedRequest({self.method} {self.url.raw_path.decode('ascii')!r}, "
            f"content=<{len(self.content)} bytes>, external_id={self.external_id!r}, "
            f"attempt={self.attempt})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickle never carries the access token: Authorization headers are redacted and
        # the trace (its string to sign holds the token) is left out; token members of the
        # body (authCode, refreshToken) are masked.
        return (
            PreparedRequest,
            (
                self.method,
                self.url,
                mask_secret_fields(self.content),
                redact_headers(self.headers),
                None,
                self.external_id,
                self.attempt,
            ),
        )


@dataclass(frozen=True, repr=False)
class SignedBody:
    """What every attempt of one call shares: the URL and bytes sent, and the signed stages
    that do not change between attempts (method and path as signed, minified body, its
    SHA-256). Built once per call by `sign_body`; an attempt only adds the timestamp and
    token (`sign_attempt`)."""

    url: httpx.URL | None  # None when only signed, not sent by bisnap (`sign_request`)
    content: bytes
    method: str
    path: str
    minified: bytes
    body_sha256: str

    def __repr__(self) -> str:
        return (
            f"SignedBody({self.method} {self.path!r}, content=<{len(self.content)} bytes>, "
            f"body_sha256={self.body_sha256!r})"
        )


def sign_body(target: Target, content: bytes, *, profile: ProviderProfile) -> SignedBody:
    """Validate, minify and hash the body of a call once, for all its attempts.

    A GET body becomes the query string (Get Auth Code); an unsigned call is not hashed.

    Raises:
        BodyNotJSONError: `content` is not JSON (bytes given by the caller).
        InputError: a GET body that is not a flat JSON object.
    """
    url = target.url
    if target.query_body:
        url = _with_query(url, content)
        content = b""
    if not target.signed:
        return SignedBody(url, content, target.method, url.path, b"", "")
    return signed_body(target.method, url.raw_path.decode("ascii"), content, profile, url=url)


def signed_body(
    method: str,
    raw_path: str,
    content: bytes,
    profile: ProviderProfile,
    *,
    url: httpx.URL | None = None,
) -> SignedBody:
    """The stages of `content` sent as `method raw_path`, for any number of signatures.

    Raises:
        BodyNotJSONError: `content` is not JSON.
        InputError: a method or path that cannot be signed.
    """
    minified, digest = canonical.minified_and_hash(content)
    # SNAP: EndpointUrl is the relative path as sent, query included unless the provider
    # signs the bare path (snap-standard.md §1.2 note 1, §4.4).
    path = canonical.signed_path(raw_path, include_query=profile.include_query)
    return SignedBody(url, content, canonical.signed_method(method), path, minified, digest)


def sign_request(
    *,
    method: str,
    raw_path: str,
    content: bytes,
    timestamp: str,
    access_token: AccessToken,
    client_secret: Secret,
    profile: ProviderProfile,
) -> SignatureTrace:
    """Sign one request exactly as it goes on the wire (HMAC-SHA512 over `content`).

    Raises:
        BodyNotJSONError: `content` is not JSON (bytes given by the caller).
    """
    body = signed_body(method, raw_path, content, profile)
    return sign_attempt(
        body,
        timestamp=timestamp,
        access_token=access_token,
        client_secret=client_secret,
        encoding=profile.signature_encoding,
    )


def sign_attempt(
    body: SignedBody,
    *,
    timestamp: str,
    access_token: AccessToken,
    client_secret: Secret,
    encoding: Encoding,
) -> SignatureTrace:
    """The HMAC-SHA512 signature of one attempt: the string to sign from `body`'s stages
    plus this attempt's timestamp and token (nothing is minified or hashed again).

    Raises:
        SecretFormatError: an empty token, or one starting with 'Bearer '.
    """
    token = canonical.signed_token(access_token)
    string_to_sign = canonical.format_symmetric(
        body.method, body.path, token, body.body_sha256, timestamp
    )
    return SignatureTrace(
        kind="service",
        string_to_sign=string_to_sign,
        signature=encode_signature(hmac_sha512(string_to_sign, client_secret), encoding),
        encoding=encoding,
        minified_body=body.minified,
        body_sha256=body.body_sha256,
        method=body.method,
        path=body.path,
        timestamp=timestamp,
        _token=token,
    )


def prepare(
    target: Target,
    content: bytes | SignedBody,
    *,
    profile: ProviderProfile,
    timestamp: str,
    access_token: AccessToken | None,
    client_secret: Secret,
    partner_id: str,
    channel_id: str,
    external_id: str,
    attempt: int = 1,
    customer_token: CustomerToken | None = None,
    device_id: str | None = None,
    headers: Mapping[str, str] | None = None,
    origin: str | None = None,
) -> PreparedRequest:
    """Build attempt `attempt` of a call: URL, body bytes, signed headers and trace.

    `content` is the body bytes, or the `SignedBody` built once for all attempts.

    Raises:
        HeaderError: a B2B2C endpoint without `customer_token`/`device_id`.
        BodyNotJSONError: bytes given by the caller that are not JSON.
        InputError: a GET body that is not a flat JSON object.
    """
    body = (
        content if isinstance(content, SignedBody) else sign_body(target, content, profile=profile)
    )
    url = body.url if body.url is not None else target.url
    endpoint = target.endpoint
    extra = dict(profile.extra_headers)
    if headers:
        extra.update(headers)
    if not target.signed:
        return PreparedRequest(target.method, url, body.content, extra, None, None, attempt)
    if (
        endpoint is not None
        and customer_token is None
        and endpoint.customer_token
        and not endpoint.customer_token_optional
    ):
        raise HeaderError(
            f"{endpoint.name} needs a customer token",
            header=AUTHORIZATION_CUSTOMER,
            hint="Pass customer_token= (Account Binding's accessTokenInfo.accessToken) "
            "and device_id=.",
        )
    if access_token is None:
        raise ConfigurationError(f"{target.label} is signed but no access token was given")
    trace = sign_attempt(
        body,
        timestamp=timestamp,
        access_token=access_token,
        client_secret=client_secret,
        encoding=profile.signature_encoding,
    )
    built = build_service_headers(
        timestamp=timestamp,
        signature=trace.signature,
        partner_id=partner_id,
        external_id=external_id,
        channel_id=channel_id,
        access_token=access_token,
        customer_token=customer_token,
        device_id=device_id,
        origin=origin,
        origin_header=profile.origin_header,
        extra=extra,
    )
    return PreparedRequest(target.method, url, body.content, built, trace, external_id, attempt)


def _with_query(url: httpx.URL, content: bytes) -> httpx.URL:
    if not content:
        return url
    try:
        params = json.loads(content)
    except ValueError as err:
        raise InputError("a GET body must be a JSON object of query parameters") from err
    if not isinstance(params, dict) or any(
        isinstance(v, dict | list) or v is None for v in params.values()
    ):
        raise InputError(
            "a GET body must be a flat object of query parameters",
            hint="Pass e.g. {'redirectUrl': '...', 'scopes': 'DEFAULT'}.",
        )
    return url.copy_merge_params({k: _query_text(v) for k, v in params.items()})


def _query_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- the answer ------------------------------------------------------------------------


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


def _error_class(code: ResponseCode) -> type[ApiError]:
    status = code.http_status
    if status == 401:
        # SNAP: 401xx00 Unauthorized (signature, credentials); 401xx01..04 token errors
        # (snap-standard.md §2.1).
        return InvalidTokenError if code.case in ("01", "02", "03", "04") else UnauthorizedError
    if status >= 500:
        return ServerError
    return {
        400: BadRequestError,
        403: ForbiddenError,
        404: NotFoundError,
        409: ConflictError,
        429: RateLimitError,
    }.get(status, ApiError)


def _status_class(status_code: int) -> type[ApiError]:
    if status_code >= 500:
        return ServerError
    if status_code == 429:
        return RateLimitError
    return ApiError


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
        return _status_class(status_code)(
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
        return _status_class(status_code)(
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
    cls = _error_class(code)
    hint = _REBIND_HINT if cls is InvalidTokenError and code.case in ("02", "04") else None
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
        return _error_class(code)(
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


def needs_token_refresh(error: CallError) -> bool:
    """True for 401xx01 Invalid Token (B2B) and 401xx03 Token Not Found (B2B)."""
    # SNAP: 401xx01/401xx03 are B2B token errors; 401xx02/04 concern the customer token,
    # which a new B2B token does not fix (snap-standard.md §2.1).
    return (
        isinstance(error, InvalidTokenError)
        and error.code is not None
        and error.code.case in ("01", "03")
    )


# --- what next -------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """What a shell does after one attempt."""

    action: Literal["return", "raise", "refresh", "retry", "check_status"]
    delay: float = 0.0


_RETURN = Step("return")
_RAISE = Step("raise")


def next_step(
    mode: RetryMode,
    outcome: SnapResponse | CallError,
    *,
    attempt: int,
    refreshed: bool,
    policy: RetryPolicy,
    retry_after: float | None = None,
) -> Step:
    """Decide what follows attempt `attempt` (1-based) of a call in retry mode `mode`.

    `retry_after` is the answer's Retry-After in seconds (`parse_retry_after`), if any.
    """
    if isinstance(outcome, SnapResponse):
        return _RETURN
    if needs_token_refresh(outcome):
        return _RAISE if refreshed else Step("refresh")
    if isinstance(outcome, TransportError) and not outcome.retryable:
        return _RAISE
    if isinstance(outcome, ConnectionFailedError):
        # Nothing left the machine, so re-sending cannot double anything.
        return _retry(policy.pause(attempt))
    if not isinstance(outcome, ServerError | TransportError | RateLimitError):
        return _RAISE
    if attempt >= policy.max_attempts:
        return _RAISE
    if mode in ("safe", "replay"):
        return _retry(policy.pause(attempt, retry_after=retry_after))
    if mode == "status_first" and not isinstance(outcome, RateLimitError):
        return Step("check_status")
    return _RAISE


def _retry(wait: float | None) -> Step:
    return _RAISE if wait is None else Step("retry", wait)


def status_check_body(endpoint: Endpoint | None, content: bytes) -> dict[str, str] | None:
    """The status-inquiry body for a money movement sent as `content`, or None if unknown."""
    if endpoint is None or endpoint.status_endpoint != "transfer_status":
        return None
    try:
        sent = json.loads(content)
    except ValueError:
        return None
    reference = sent.get("partnerReferenceNo") if isinstance(sent, dict) else None
    if not isinstance(reference, str) or not reference:
        return None
    # SNAP: Transfer Status Inquiry takes the original partnerReferenceNo and the original
    # call's service code (midtrans-reporting-payouts.md §3.8).
    return {"originalPartnerReferenceNo": reference, "serviceCode": endpoint.service_code}


def status_target(target: Target, profile: ProviderProfile, base_url: str) -> Target | None:
    """The target of the status endpoint that settles `target`, or None."""
    if target.endpoint is None or target.endpoint.status_endpoint is None:
        return None
    return resolve_target(profile=profile, base_url=base_url, name=target.endpoint.status_endpoint)


def status_verdict(answer: SnapResponse | CallError) -> Literal["exists", "absent", "unknown"]:
    """What a status answer says about the original call: it exists, it does not, or unknown."""
    if isinstance(answer, SnapResponse):
        return "exists"
    # SNAP: 404xx01 Transaction Not Found (snap-standard.md §2.1; Payouts "Specified payout
    # not found", midtrans-reporting-payouts.md §5).
    if isinstance(answer, NotFoundError) and answer.code is not None and answer.code.case == "01":
        return "absent"
    return "unknown"


def request_headers_for_auth(
    headers: Mapping[str, str],
    *,
    timestamp: str,
    trace: SignatureTrace,
    access_token: AccessToken,
    partner_id: str | None,
    channel_id: str | None,
    external_id: str | None,
    json_body: bool = True,
) -> dict[str, str]:
    """The headers `SnapAuth` sets on a request: signature ones always, ids only if absent."""
    present = {k.lower() for k in headers}
    out = {
        X_TIMESTAMP: timestamp,
        X_SIGNATURE: trace.signature,
        AUTHORIZATION: access_token.authorization(),
    }
    for name, value in (
        (X_PARTNER_ID, partner_id),
        (CHANNEL_ID, channel_id),
        (X_EXTERNAL_ID, external_id),
        (CONTENT_TYPE, "application/json" if json_body else None),
    ):
        if value and name.lower() not in present:
            out[name] = value
    return out
