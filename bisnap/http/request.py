"""One request, built and signed: the body's bytes, where it goes, and each attempt's
signed headers.

Pure: no I/O. The body is serialised once; every attempt of one call sends the same bytes
with the same X-EXTERNAL-ID and a fresh X-TIMESTAMP and X-SIGNATURE:

```
serialize_body → resolve_target → sign_body (once) → prepare (per attempt)
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bisnap import canonical
from bisnap.catalogue import Endpoint, by_name, by_path
from bisnap.errors import ConfigurationError, HeaderError, InputError
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
from bisnap.http.retry import RetryMode, retry_mode
from bisnap.jsonout import compact_json
from bisnap.profiles import ProviderProfile
from bisnap.secrets import AccessToken, Secret
from bisnap.signing import Encoding, SignatureTrace, encode_signature, hmac_sha512
from bisnap.tokens import mask_secret_fields

__all__ = [
    "Body",
    "CustomerToken",
    "PreparedRequest",
    "SignedBody",
    "Target",
    "prepare",
    "request_headers_for_auth",
    "resolve_target",
    "serialize_body",
    "sign_attempt",
    "sign_body",
    "sign_request",
    "signed_body",
]

#: A request body: a JSON-able mapping or list (serialised once, compact UTF-8), or the exact
#: bytes/str to send, or None for no body.
Body = Mapping[str, Any] | Sequence[Any] | bytes | str | None
#: A B2B2C customer token (sent as `Authorization-Customer: Bearer …`).
CustomerToken = str | Secret | AccessToken


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
        return compact_json(body, allow_nan=False)
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
        # the trace (its string to sign holds the token) is left out.
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
