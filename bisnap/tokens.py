"""Access tokens: build the request and parse the answer (sans-I/O), then share one token.

The pure core builds `POST …/access-token/b2b` (and `…/b2b2c`) and parses the provider's
answer into an `AccessToken`. `RefreshPolicy` decides when a token must be refreshed — one
function, used by both shells. `TokenProvider` (httpx.Client, threads) and
`AsyncTokenProvider` (httpx.AsyncClient, tasks) only load → decide → fetch → store, with at
most one fetch in flight per process and, with a shared store (Redis), one per fleet.

```python
provider = TokenProvider(
    base_url="https://merchants.sbx.midtrans.com",
    client_key="G123",
    private_key=open("private.pem", "rb").read(),
)
token = provider.get()          # cached; refreshed ahead of expiry
headers["Authorization"] = token.authorization()
```
"""

from __future__ import annotations

import copy
import enum
import hashlib
import json
import logging
import math
import re
import threading
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import anyio
import httpx

from bisnap.clock import Clock, SystemClock
from bisnap.errors import (
    BisnapError,
    ConfigurationError,
    InputError,
    StoreUnavailableError,
    TokenError,
    TokenExchangeError,
)
from bisnap.headers import build_access_token_headers, redact_headers
from bisnap.keys import PrivateKeyInput, check_signing_key, load_private_key
from bisnap.responses import ResponseCode, parse_response_code
from bisnap.secrets import AccessToken, Secret, reveal
from bisnap.signing import Encoding, SignatureTrace, sign_access_token
from bisnap.stores.memory import (
    AsyncMemoryTokenStore,
    AsyncTokenStore,
    MemoryTokenStore,
    TokenStore,
)
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp

__all__ = [
    "B2B2C_TOKEN_PATH",
    "DEFAULT_TOKEN_PATH",
    "AsyncTokenProvider",
    "RefreshDecision",
    "RefreshPolicy",
    "StoreFallbackWarning",
    "TokenProvider",
    "TokenRequest",
    "build_b2b2c_token_request",
    "build_token_request",
    "customer_token",
    "customer_token_from_binding",
    "parse_b2b2c_token_response",
    "parse_token_response",
    "token_store_key",
]

_log = logging.getLogger("bisnap.tokens")

T = TypeVar("T")
E = TypeVar("E", threading.Event, anyio.Event)

# SNAP: the access-token endpoints are `POST ../{version}/access-token/b2b` (service 73)
# and `../access-token/b2b2c` (service 74); providers prefix the path differently, so it
# is configurable (shared/spec/snap-standard.md §1.3, §4.1).
DEFAULT_TOKEN_PATH = "/v1.0/access-token/b2b"  # noqa: S105 - a path, not a secret
B2B2C_TOKEN_PATH = "/v1.0/access-token/b2b2c"  # noqa: S105 - a path, not a secret

_CLIENT_CREDENTIALS = "client_credentials"
_DIGITS = re.compile(r"[0-9]{1,9}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class StoreFallbackWarning(RuntimeWarning):
    """The shared token store is unreachable; the in-process token is used meanwhile."""


# --- sans-I/O: the request ---------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class TokenRequest:
    """A token request ready to send: method, path, headers and the exact body bytes.

    The body is serialised once; send `body` as it is. `repr()` shows the body's length only
    (a B2B2C body carries an auth code or refresh token).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    trace: SignatureTrace = field(compare=False)

    def url(self, base_url: str) -> str:
        """`base_url` (no trailing slash needed) joined with the path."""
        return base_url.rstrip("/") + self.path

    def __repr__(self) -> str:
        return (
            f"TokenRequest(method={self.method!r}, path={self.path!r}, "
            f"headers={redact_headers(self.headers)!r}, body=<{len(self.body)} bytes>)"
        )


def _check_path(path: str) -> None:
    if not path.startswith("/"):
        raise ConfigurationError(
            f"token path {path!r} does not start with '/'",
            hint="Pass the path as the provider expects it, e.g. /v1.0/access-token/b2b "
            "or /snap/v1.0/access-token/b2b.",
        )


def _check_field(name: str) -> None:
    if not _FIELD.fullmatch(name):
        raise ConfigurationError(
            f"grant type field {name!r} is not a JSON field name",
            hint="Use 'grantType' (the standard, Midtrans docs) or 'grant_type'.",
        )


def _compact(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _signed_request(
    *,
    path: str,
    body: bytes,
    client_key: str,
    private_key: PrivateKeyInput,
    timestamp: str,
    encoding: Encoding,
) -> TokenRequest:
    trace = sign_access_token(
        client_key=client_key, timestamp=timestamp, private_key=private_key, encoding=encoding
    )
    headers = build_access_token_headers(
        timestamp=timestamp, client_key=client_key, signature=trace.signature
    )
    return TokenRequest(method="POST", path=path, headers=headers, body=body, trace=trace)


def build_token_request(
    *,
    client_key: str,
    private_key: PrivateKeyInput,
    timestamp: str,
    path: str = DEFAULT_TOKEN_PATH,
    grant_type_field: str = "grantType",
    additional_info: Mapping[str, Any] | None = None,
    encoding: Encoding = "base64",
) -> TokenRequest:
    """Build the B2B access-token request (`client_credentials`), signed with the private key.

    In: the client key (X-CLIENT-KEY), the RSA private key, the X-TIMESTAMP string to send,
    the provider's token path, and the spelling of the grant-type field (`grantType`, or
    `grant_type` as Midtrans's own libraries and Bank Neo send).
    Out: a `TokenRequest` whose `body` is the compact JSON to send byte for byte.

    Raises:
        ConfigurationError: a path without a leading '/', or a bad field name.
        KeyFormatError, KeyTooSmallError: the private key is unusable.
    """
    _check_path(path)
    _check_field(grant_type_field)
    # SNAP: B2B body `{"grantType":"client_credentials"}`; Midtrans's libraries send
    # `grant_type` (snap-standard.md §1.3, midtrans-core.md §3.1).
    content: dict[str, Any] = {grant_type_field: _CLIENT_CREDENTIALS}
    if additional_info is not None:
        content["additionalInfo"] = dict(additional_info)
    return _signed_request(
        path=path,
        body=_compact(content),
        client_key=client_key,
        private_key=private_key,
        timestamp=timestamp,
        encoding=encoding,
    )


def build_b2b2c_token_request(
    *,
    client_key: str,
    private_key: PrivateKeyInput,
    timestamp: str,
    auth_code: str | Secret | None = None,
    refresh_token: str | Secret | None = None,
    path: str = B2B2C_TOKEN_PATH,
    grant_type_field: str = "grantType",
    upper_case_grant: bool = False,
    additional_info: Mapping[str, Any] | None = None,
    encoding: Encoding = "base64",
) -> TokenRequest:
    """Build the B2B2C (customer) token request: an auth code or a refresh token.

    In: exactly one of `auth_code` (grant `authorization_code`) or `refresh_token` (grant
    `refresh_token`); `upper_case_grant=True` sends `AUTHORIZATION_CODE`/`REFRESH_TOKEN`
    as the standard's table spells them. Headers and signature are the B2B ones.
    Out: a `TokenRequest` (its repr hides the body, which holds the code or token).

    Raises:
        ConfigurationError: neither or both of `auth_code` and `refresh_token`.
    """
    _check_path(path)
    _check_field(grant_type_field)
    if (auth_code is None) == (refresh_token is None):
        raise ConfigurationError(
            "a B2B2C token request needs exactly one of auth_code and refresh_token"
        )
    # SNAP: B2B2C grantType authorization_code (authCode) or refresh_token (refreshToken),
    # same headers as B2B (snap-standard.md §1.3).
    if auth_code is not None:
        grant, name, value = "authorization_code", "authCode", reveal(auth_code)
    else:
        assert refresh_token is not None  # noqa: S101 - narrowed by the check above
        grant, name, value = "refresh_token", "refreshToken", reveal(refresh_token)
    if not value:
        raise ConfigurationError(f"{name} is empty")
    content: dict[str, Any] = {
        grant_type_field: grant.upper() if upper_case_grant else grant,
        name: value,
    }
    if additional_info is not None:
        content["additionalInfo"] = dict(additional_info)
    return _signed_request(
        path=path,
        body=_compact(content),
        client_key=client_key,
        private_key=private_key,
        timestamp=timestamp,
        encoding=encoding,
    )


# --- sans-I/O: the answer -----------------------------------------------------------------


def _json_object(status_code: int, body: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise TokenExchangeError(
            f"token endpoint answered HTTP {status_code} with a body that is not JSON",
            status_code=status_code,
        ) from err
    if not isinstance(data, dict):
        raise TokenExchangeError(
            f"token endpoint answered HTTP {status_code} with JSON that is not an object",
            status_code=status_code,
        )
    return data


def _short(text: object) -> str:
    value = str(text)
    return value if len(value) <= 120 else value[:120] + "…"


def _check_answer(status_code: int, data: Mapping[str, Any]) -> ResponseCode | None:
    code: ResponseCode | None = None
    if "responseCode" in data:
        try:
            code = parse_response_code(data["responseCode"])
        except InputError as err:
            raise TokenExchangeError(
                f"token endpoint answered HTTP {status_code} with an unreadable responseCode",
                status_code=status_code,
            ) from err
    # SNAP: responseCode = HTTP status + service code + case code; it is present on a
    # failed token request (snap-standard.md §1.3, §2.1).
    if (code is not None and not code.is_success) or not 200 <= status_code < 300:
        message = data.get("responseMessage") or (code.standard_message if code else None)
        shown = f"{code.code} " if code is not None else ""
        raise TokenExchangeError(
            f"token request refused: HTTP {status_code}, responseCode {shown or '- '}"
            f"{_short(message) if message else ''}".rstrip(),
            code=code,
            status_code=status_code,
        )
    return code


def _token_value(status_code: int, data: Mapping[str, Any], code: ResponseCode | None) -> str:
    value = data.get("accessToken")
    if not isinstance(value, str) or not value:
        raise TokenExchangeError(
            "token endpoint answered success without an accessToken string",
            code=code,
            status_code=status_code,
        )
    return value


def _expires_in(value: object) -> timedelta | None:
    # SNAP: `expiresIn` is a String "900" (seconds) in the standard and at Midtrans; some
    # providers send a number (snap-standard.md §1.3, midtrans-core.md §3.1).
    seconds: int | None = None
    if isinstance(value, bool):
        seconds = None
    elif isinstance(value, int):
        seconds = value
    elif isinstance(value, float) and value.is_integer():
        seconds = int(value)
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        seconds = int(value.strip())
    if seconds is None or seconds <= 0:
        return None
    return timedelta(seconds=seconds)


def parse_token_response(
    status_code: int,
    body: bytes | str,
    *,
    obtained_at: datetime,
    kind: str = "b2b",
    default_expires_in: timedelta | None = None,
) -> AccessToken:
    """Parse a B2B access-token answer into an `AccessToken`.

    In: the HTTP status, the body as received, and `obtained_at` (the clock's time when the
    request was sent: the expiry counts from there, so it is never late). `expiresIn` may be
    the string `"900"` or a number; `default_expires_in` is used when it is absent.
    Out: the token with its type and expiry (`expires_at = obtained_at + expiresIn`).

    Raises:
        TokenExchangeError: a refusal (`.code` is the parsed responseCode; a `401xx00` hint
            says to run `bisnap explain token`), a non-JSON body, no token, or a bad expiry.
    """
    data = _json_object(status_code, body)
    code = _check_answer(status_code, data)
    value = _token_value(status_code, data, code)
    raw_expiry = data.get("expiresIn")
    expires_in = _expires_in(raw_expiry)
    if expires_in is None:
        if raw_expiry is not None or default_expires_in is None:
            raise TokenExchangeError(
                f"token endpoint answered an unusable expiresIn ({type(raw_expiry).__name__})",
                code=code,
                status_code=status_code,
                hint='expiresIn should be the lifetime in seconds, e.g. "900"; pass '
                "default_expires_in for a provider that omits it.",
            )
        expires_in = default_expires_in
    token_type = data.get("tokenType")
    return AccessToken(
        value=Secret(value),
        token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
        expires_at=obtained_at + expires_in,
        obtained_at=obtained_at,
        kind=kind,
    )


def _parse_instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except BisnapError:
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def parse_b2b2c_token_response(
    status_code: int, body: bytes | str, *, obtained_at: datetime
) -> AccessToken:
    """Parse a B2B2C (customer) token answer: `accessTokenExpiryTime` and `refreshToken`.

    In: the HTTP status, the body as received, and when the request was sent.
    Out: an `AccessToken` with `kind="customer"`, `expires_at` from `accessTokenExpiryTime`
    (ISO-8601 with an offset) and `refresh_token` (hidden like the token).

    Raises:
        TokenExchangeError: a refusal, a non-JSON body, no token, or an unreadable expiry.
    """
    data = _json_object(status_code, body)
    code = _check_answer(status_code, data)
    value = _token_value(status_code, data, code)
    # SNAP: B2B2C answers carry accessTokenExpiryTime (ISO 8601) and refreshToken instead
    # of expiresIn (snap-standard.md §1.3).
    expires_at = _parse_instant(data.get("accessTokenExpiryTime"))
    if expires_at is None:
        expires_in = _expires_in(data.get("expiresIn"))
        if expires_in is None:
            raise TokenExchangeError(
                "customer token answer has no readable accessTokenExpiryTime",
                code=code,
                status_code=status_code,
                hint="accessTokenExpiryTime is ISO-8601 with an offset, "
                "e.g. 2024-03-20T10:00:00+07:00.",
            )
        expires_at = obtained_at + expires_in
    refresh = data.get("refreshToken")
    token_type = data.get("tokenType")
    return AccessToken(
        value=Secret(value),
        token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
        expires_at=expires_at,
        obtained_at=obtained_at,
        kind="customer",
        refresh_token=Secret(refresh) if isinstance(refresh, str) and refresh else None,
    )


def customer_token(
    value: str | Secret,
    *,
    expires_at: datetime | None = None,
    obtained_at: datetime | None = None,
    refresh_token: str | Secret | None = None,
) -> AccessToken:
    """Hold a customer (B2B2C) token for `Authorization-Customer`.

    In: the token value as a provider gave it (e.g. Midtrans's account binding).
    Out: an `AccessToken` with `kind="customer"`; pass it as `customer_token=` to
    `build_service_headers`.

    Raises:
        ConfigurationError: an empty value.
    """
    plain = reveal(value)
    if not plain:
        raise ConfigurationError("the customer token is empty")
    return AccessToken(
        value=Secret(plain),
        expires_at=expires_at,
        obtained_at=obtained_at,
        kind="customer",
        refresh_token=Secret(reveal(refresh_token)) if refresh_token is not None else None,
    )


def customer_token_from_binding(
    body: Mapping[str, Any] | bytes | str, *, obtained_at: datetime | None = None
) -> AccessToken:
    """Take the customer token out of a Midtrans account-binding answer.

    In: the answer of Bind Account (`accessTokenInfo.accessToken`, with `expiresIn` and
    `refreshToken` when present) or Account Binding Inquiry (`additionalInfo.accessToken`).
    Out: an `AccessToken` with `kind="customer"`.

    Raises:
        TokenExchangeError: the answer holds no customer token.
    """
    # SNAP: Midtrans has no /access-token/b2b2c; the customer token comes from account
    # binding and travels in Authorization-Customer (midtrans-core.md §3.2, §4.5).
    data = _json_object(200, body) if isinstance(body, bytes | str) else dict(body)
    for section in ("accessTokenInfo", "additionalInfo"):
        info = data.get(section)
        if isinstance(info, Mapping) and isinstance(info.get("accessToken"), str):
            value = info["accessToken"]
            if not value:
                break
            expires_at = None
            expires_in = _expires_in(info.get("expiresIn"))
            if expires_in is not None and obtained_at is not None:
                expires_at = obtained_at + expires_in
            refresh = info.get("refreshToken")
            return customer_token(
                value,
                expires_at=expires_at,
                obtained_at=obtained_at,
                refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            )
    raise TokenExchangeError(
        "the account-binding answer holds no customer token",
        hint="Bind Account answers accessTokenInfo.accessToken; Account Binding Inquiry "
        "answers additionalInfo.accessToken.",
    )


# --- the policy: when to refresh (one place, sync and async) ------------------------------


class RefreshDecision(enum.Enum):
    """What to do with the cached token at a given time."""

    #: Use the cached token.
    FRESH = "fresh"
    #: Refresh if nobody else is; meanwhile keep using the cached (still valid) token.
    ADVISORY = "advisory"
    #: No usable token: wait for the (single) refresh.
    MANDATORY = "mandatory"


class RefreshPolicy:
    """When a token must be refreshed: the advisory and the mandatory window before expiry.

    In: `advisory` (default 120 s) and `mandatory` (default 30 s) windows. For a token whose
    whole lifetime is short, the windows shrink to at most a half / a quarter of it, so a
    60-second token is not refreshed on every call. A token without an expiry stays fresh
    until it is invalidated. Pure: no I/O, the time is passed in.

    Raises:
        ConfigurationError: negative windows, or a mandatory window wider than the advisory.
    """

    __slots__ = ("_memo", "advisory", "mandatory")

    def __init__(
        self,
        *,
        advisory: timedelta = timedelta(seconds=120),
        mandatory: timedelta = timedelta(seconds=30),
    ) -> None:
        if mandatory < timedelta(0) or advisory < mandatory:
            raise ConfigurationError(
                "refresh windows must satisfy 0 <= mandatory <= advisory",
                hint="e.g. advisory=timedelta(seconds=120), mandatory=timedelta(seconds=30).",
            )
        self.advisory = advisory
        self.mandatory = mandatory
        self._memo: tuple[AccessToken, datetime | None, datetime | None] | None = None

    def thresholds(self, token: AccessToken) -> tuple[datetime | None, datetime | None]:
        """(advisory_at, mandatory_at): from when the token is advisory / mandatory."""
        memo = self._memo
        if memo is not None and memo[0] is token:
            return memo[1], memo[2]
        expires_at = token.expires_at
        if expires_at is None:
            result: tuple[datetime | None, datetime | None] = (None, None)
        else:
            advisory, mandatory = self.advisory, self.mandatory
            if token.obtained_at is not None:
                life = expires_at - token.obtained_at
                advisory = min(advisory, life / 2)
                mandatory = min(mandatory, life / 4)
            result = (expires_at - advisory, expires_at - mandatory)
        self._memo = (token, result[0], result[1])
        return result

    def decide(self, token: AccessToken | None, now: datetime) -> RefreshDecision:
        """FRESH, ADVISORY or MANDATORY for `token` (None: no token) at `now`."""
        if token is None:
            return RefreshDecision.MANDATORY
        advisory_at, mandatory_at = self.thresholds(token)
        if mandatory_at is None or advisory_at is None:
            return RefreshDecision.FRESH
        if now >= mandatory_at or token.is_expired(now):
            return RefreshDecision.MANDATORY
        if now >= advisory_at:
            return RefreshDecision.ADVISORY
        return RefreshDecision.FRESH

    def __repr__(self) -> str:
        return (
            f"RefreshPolicy(advisory={self.advisory.total_seconds():g}s, "
            f"mandatory={self.mandatory.total_seconds():g}s)"
        )


def token_store_key(base_url: str, client_key: str) -> str:
    """The store key of a provider's token: a SHA-256 of base URL + client key (no secrets)."""
    material = f"{base_url.rstrip('/')}\n{client_key}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


# --- retries (shared by the shells) -------------------------------------------------------

_RETRYABLE_HTTPX = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def _retryable(err: TokenExchangeError) -> bool:
    """5xx (HTTP status or responseCode): worth another attempt."""
    status = err.status_code or 0
    return status >= 500 or (err.code is not None and err.code.http_status >= 500)


def _backoff(attempt: int, base: float, cap: float) -> float:
    """Delay before attempt `attempt` (1-based retry count): base·2^(n-1), capped."""
    return float(min(cap, base * (2 ** (attempt - 1))))


def _transport_error(err: httpx.HTTPError) -> TokenExchangeError:
    return TokenExchangeError(
        f"token endpoint did not answer ({type(err).__name__})",
        hint="Check connectivity to the provider and the base_url; timeouts are retried.",
    )


def _exhausted(err: TokenExchangeError, attempts: int) -> TokenExchangeError:
    out = TokenExchangeError(
        f"{err.message} (after {attempts} attempts)",
        code=err.code,
        status_code=err.status_code,
        hint=err.hint,
    )
    out.__cause__ = err.__cause__ or err
    return out


@dataclass(frozen=True)
class _Settings:
    """Everything both shells share; built once by `_settings`."""

    url: str
    token_path: str
    client_key: str
    private_key: Any
    clock: Clock
    key: str
    policy: RefreshPolicy
    grant_type_field: str
    timestamp_style: TimestampStyle
    signature_encoding: Encoding
    max_attempts: int
    backoff: float
    max_backoff: float
    lease_ttl: timedelta
    poll_interval: float
    max_polls: int
    advisory_retry_after: timedelta
    store_retry_after: timedelta
    fallback_to_memory: bool
    default_expires_in: timedelta | None

    def request(self, now: datetime) -> TokenRequest:
        return build_token_request(
            client_key=self.client_key,
            private_key=self.private_key,
            timestamp=format_timestamp(now, self.timestamp_style),
            path=self.token_path,
            grant_type_field=self.grant_type_field,
            encoding=self.signature_encoding,
        )

    def parse(self, response: httpx.Response, sent_at: datetime) -> AccessToken:
        return parse_token_response(
            response.status_code,
            response.content,
            obtained_at=sent_at,
            default_expires_in=self.default_expires_in,
        )


def _settings(
    *,
    base_url: str,
    client_key: str,
    private_key: PrivateKeyInput,
    token_path: str,
    clock: Clock | None,
    advisory_window: timedelta,
    mandatory_window: timedelta,
    max_attempts: int,
    backoff: float,
    max_backoff: float,
    grant_type_field: str,
    timestamp_style: TimestampStyle,
    signature_encoding: Encoding,
    fallback_to_memory: bool,
    lease_ttl: timedelta,
    poll_interval: float,
    advisory_retry_after: timedelta,
    store_retry_after: timedelta,
    default_expires_in: timedelta | None,
) -> _Settings:
    if not base_url.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"base_url {base_url!r} is not an http(s) URL",
            hint="e.g. https://merchants.sbx.midtrans.com",
        )
    if not client_key:
        raise ConfigurationError("client_key is empty", hint="Pass the X-CLIENT-KEY value.")
    _check_path(token_path)
    _check_field(grant_type_field)
    if max_attempts < 1:
        raise ConfigurationError("max_attempts must be at least 1")
    if poll_interval <= 0 or lease_ttl <= timedelta(0):
        raise ConfigurationError("poll_interval and lease_ttl must be positive")
    key = load_private_key(private_key)
    check_signing_key(key)
    return _Settings(
        url=base_url.rstrip("/") + token_path,
        token_path=token_path,
        client_key=client_key,
        private_key=key,
        clock=clock if clock is not None else SystemClock(),
        key=token_store_key(base_url, client_key),
        policy=RefreshPolicy(advisory=advisory_window, mandatory=mandatory_window),
        grant_type_field=grant_type_field,
        timestamp_style=timestamp_style,
        signature_encoding=signature_encoding,
        max_attempts=max_attempts,
        backoff=backoff,
        max_backoff=max_backoff,
        lease_ttl=lease_ttl,
        poll_interval=poll_interval,
        max_polls=math.ceil(lease_ttl.total_seconds() / poll_interval) + 1,
        advisory_retry_after=advisory_retry_after,
        store_retry_after=store_retry_after,
        fallback_to_memory=fallback_to_memory,
        default_expires_in=default_expires_in,
    )


def _log_fetched(token: AccessToken) -> None:
    exp = token.expires_at.isoformat() if token.expires_at else None
    _log.info("access token fetched (sha256=%s, expires_at=%s)", token.value.fingerprint, exp)


def _log_advisory_failure(err: BisnapError, current: AccessToken) -> None:
    exp = current.expires_at.isoformat() if current.expires_at else None
    _log.warning(
        "advisory refresh of the access token failed (%s: %s); still serving the current "
        "token (sha256=%s, expires_at=%s)",
        type(err).__name__,
        err,
        current.value.fingerprint,
        exp,
    )


def _warn_fallback(err: StoreUnavailableError) -> None:
    _log.warning("token store unavailable (%s); using the in-process token", err)
    warnings.warn(
        f"bisnap: token store unavailable ({err}); using the in-process token",
        StoreFallbackWarning,
        stacklevel=4,
    )


class _Fallback:
    """Store-outage state shared by the shells: when to skip the shared store."""

    def __init__(self, settings: _Settings) -> None:
        self.enabled = settings.fallback_to_memory
        self.down_until: datetime | None = None

    def skip_store(self, now: datetime) -> bool:
        return self.down_until is not None and now < self.down_until

    def mark_down(self, err: StoreUnavailableError, settings: _Settings) -> None:
        if self.down_until is None:
            _warn_fallback(err)
        self.down_until = settings.clock.now() + settings.store_retry_after

    def mark_up(self) -> None:
        if self.down_until is not None:
            _log.info("token store reachable again")
        self.down_until = None


class _Flight(Generic[E]):
    """One refresh in flight in this process: waiters wait on `done`, then share the result."""

    __slots__ = ("done", "error", "token")

    def __init__(self, done: E) -> None:
        self.done: E = done
        self.token: AccessToken | None = None
        self.error: BaseException | None = None


def _landed(flight: _Flight[Any], settings: _Settings) -> AccessToken | None:
    """What a waiter takes from a finished flight: a usable token, the fetcher's error
    (raised as a copy), or None to try again (the fetcher was cancelled, or its token is
    already in the mandatory window)."""
    token = flight.token
    if token is not None:
        decision = settings.policy.decide(token, settings.clock.now())
        if decision is not RefreshDecision.MANDATORY:
            return token
        return None
    err = flight.error
    if isinstance(err, BisnapError):
        shared = copy.copy(err)
        raise shared from err
    return None


# --- the sync shell -----------------------------------------------------------------------


class TokenProvider:
    """Hand out a valid B2B access token, fetching it once for many threads and processes.

    In: `base_url` and `token_path` (the provider's prefix, e.g. `/snap/v1.0/access-token/b2b`),
    `client_key`, `private_key` (PEM/DER/key object), an optional `clock`, `store`
    (`MemoryTokenStore` by default; `RedisTokenStore` to share across processes) and
    `http_client` (an `httpx.Client`; by default one is created with `timeout`).
    Options: `advisory_window` / `mandatory_window`, `max_attempts` with `backoff` (5xx and
    timeouts are retried through `sleep`), `grant_type_field`, `timestamp_style`,
    `fallback_to_memory` (use the in-process token, with a `StoreFallbackWarning`, while the
    shared store is unreachable), `lease_ttl` and `poll_interval` (cross-process waits).

    Raises:
        ConfigurationError, KeyFormatError, KeyTooSmallError: at construction.
    """

    def __init__(
        self,
        *,
        base_url: str,
        client_key: str,
        private_key: PrivateKeyInput,
        token_path: str = DEFAULT_TOKEN_PATH,
        clock: Clock | None = None,
        store: TokenStore | None = None,
        http_client: httpx.Client | None = None,
        advisory_window: timedelta = timedelta(seconds=120),
        mandatory_window: timedelta = timedelta(seconds=30),
        max_attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 5.0,
        sleep: Callable[[float], None] | None = None,
        timeout: float = 10.0,
        grant_type_field: str = "grantType",
        timestamp_style: TimestampStyle = TimestampStyle.JAKARTA,
        signature_encoding: Encoding = "base64",
        fallback_to_memory: bool = False,
        lease_ttl: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.05,
        advisory_retry_after: timedelta = timedelta(seconds=10),
        store_retry_after: timedelta = timedelta(seconds=5),
        default_expires_in: timedelta | None = None,
    ) -> None:
        self._s = _settings(
            base_url=base_url,
            client_key=client_key,
            private_key=private_key,
            token_path=token_path,
            clock=clock,
            advisory_window=advisory_window,
            mandatory_window=mandatory_window,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            grant_type_field=grant_type_field,
            timestamp_style=timestamp_style,
            signature_encoding=signature_encoding,
            fallback_to_memory=fallback_to_memory,
            lease_ttl=lease_ttl,
            poll_interval=poll_interval,
            advisory_retry_after=advisory_retry_after,
            store_retry_after=store_retry_after,
            default_expires_in=default_expires_in,
        )
        self._store: TokenStore = store if store is not None else MemoryTokenStore()
        self._memory = MemoryTokenStore()  # the in-process copy used while the store is down
        self._fallback = _Fallback(self._s)
        self._mirrored: AccessToken | None = None
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=timeout)
        self._sleep: Callable[[float], None] = sleep if sleep is not None else time.sleep
        self._flight_lock = threading.Lock()
        self._flight: _Flight[threading.Event] | None = None
        self._advisory_not_before: datetime | None = None

    # -- public ---------------------------------------------------------------------------

    def get(self) -> AccessToken:
        """A valid access token: the cached one, or a fresh one fetched once for everybody.

        In the advisory window one caller refreshes while the others keep the current token;
        in the mandatory window (or with no token) everyone waits for that one refresh.

        Raises:
            TokenExchangeError: the token endpoint refused (`.code`) or did not answer.
            StoreUnavailableError: the shared store is unreachable (and no fallback).
            TokenError: another process held the refresh lease too long.
        """
        s = self._s
        now = s.clock.now()
        token = self._load(now)
        decision = s.policy.decide(token, now)
        if decision is RefreshDecision.FRESH and token is not None:
            return token
        if decision is RefreshDecision.ADVISORY and token is not None:
            if self._advisory_not_before is not None and now < self._advisory_not_before:
                return token
            flight, mine = self._join()
            if not mine:
                return token  # someone is refreshing: keep using the valid token
            return self._fly(flight, token)
        while True:
            flight, mine = self._join()
            if mine:
                return self._fly(flight, None)
            flight.done.wait()
            shared = _landed(flight, s)
            if shared is not None:
                return shared

    def _join(self) -> tuple[_Flight[threading.Event], bool]:
        """The refresh in flight, or a new one that this caller runs (True)."""
        with self._flight_lock:
            if self._flight is None:
                self._flight = _Flight(threading.Event())
                return self._flight, True
            return self._flight, False

    def _fly(self, flight: _Flight[threading.Event], current: AccessToken | None) -> AccessToken:
        """Run the refresh of `flight`; waiters get its token or its error."""
        try:
            token = self._refresh(current)
            flight.token = token
            return token
        except BaseException as err:
            flight.error = err
            if current is None or not isinstance(err, BisnapError):
                raise
            _log_advisory_failure(err, current)
            self._advisory_not_before = self._s.clock.now() + self._s.advisory_retry_after
            return current
        finally:
            with self._flight_lock:
                self._flight = None
            flight.done.set()

    def invalidate(self, token: AccessToken) -> bool:
        """Forget `token` after a 401 (invalid token) from a service call.

        Only if the cached token is still `token`: N concurrent 401s for one token cause one
        refetch (the next `get()`), not N.
        Out: True if this call dropped the token.

        Raises:
            StoreUnavailableError: the shared store is unreachable (and no fallback).
        """
        dropped = self._memory.discard(self._s.key, token)
        if self._fallback.enabled and self._fallback.skip_store(self._s.clock.now()):
            return dropped
        try:
            return self._store.discard(self._s.key, token) or dropped
        except StoreUnavailableError as err:
            if not self._fallback.enabled:
                raise
            self._fallback.mark_down(err, self._s)
            return dropped

    def close(self) -> None:
        """Close the HTTP client if the provider created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> TokenProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"TokenProvider(url={self._s.url!r}, store={self._store!r}, policy={self._s.policy!r})"
        )

    # -- store access (with the optional in-process fallback) -------------------------------

    def _load(self, now: datetime) -> AccessToken | None:
        fb = self._fallback
        if fb.enabled and fb.skip_store(now):
            return self._memory.load(self._s.key)
        try:
            token = self._store.load(self._s.key)
        except StoreUnavailableError as err:
            if not fb.enabled:
                raise
            fb.mark_down(err, self._s)
            return self._memory.load(self._s.key)
        if fb.enabled:
            fb.mark_up()
            if token is not None and token is not self._mirrored:
                self._memory.save(self._s.key, token)
                self._mirrored = token
        return token

    def _call(self, op: Callable[[TokenStore], T]) -> T:
        fb = self._fallback
        if fb.enabled and fb.skip_store(self._s.clock.now()):
            return op(self._memory)
        try:
            return op(self._store)
        except StoreUnavailableError as err:
            if not fb.enabled:
                raise
            fb.mark_down(err, self._s)
            return op(self._memory)

    def _release(self, lease: str) -> None:
        self._call(lambda st: st.release_lease(self._s.key, lease))

    def _save(self, token: AccessToken) -> None:
        self._call(lambda st: st.save(self._s.key, token))
        if self._fallback.enabled:
            self._memory.save(self._s.key, token)
            self._mirrored = token

    # -- refresh (run by the one caller that owns the flight) ------------------------------

    def _settled(self, current: AccessToken | None) -> AccessToken | None:
        """A token good enough to return without fetching, if the store now has one."""
        now = self._s.clock.now()
        token = self._load(now)
        decision = self._s.policy.decide(token, now)
        if token is None or decision is RefreshDecision.MANDATORY:
            return None
        if decision is RefreshDecision.FRESH or current is None or token != current:
            return token
        return None

    def _refresh(self, current: AccessToken | None) -> AccessToken:
        s = self._s
        settled = self._settled(current)
        if settled is not None:
            return settled
        for _ in range(s.max_polls):
            lease = self._call(lambda st: st.acquire_lease(s.key, ttl=s.lease_ttl))
            if lease is not None:
                try:
                    settled = self._settled(current)
                    if settled is not None:
                        return settled
                    token = self._fetch()
                    self._save(token)
                    return token
                finally:
                    self._release(lease)
            if current is not None:
                return current  # advisory: another process is refreshing
            self._sleep(s.poll_interval)
            settled = self._settled(None)
            if settled is not None:
                return settled
        raise TokenError(
            "timed out waiting for another process to refresh the access token",
            hint="The lease holder may be stuck; check the token endpoint and lease_ttl.",
        )

    def _fetch(self) -> AccessToken:
        s = self._s
        error: TokenExchangeError | None = None
        for attempt in range(s.max_attempts):
            if attempt:
                self._sleep(_backoff(attempt, s.backoff, s.max_backoff))
            sent_at = s.clock.now()
            request = s.request(sent_at)
            _log.debug("requesting an access token: %r", request)
            try:
                response = self._http.post(s.url, content=request.body, headers=request.headers)
            except _RETRYABLE_HTTPX as err:
                error = _transport_error(err)
                error.__cause__ = err
                continue
            except httpx.HTTPError as err:
                raise _transport_error(err) from err
            try:
                token = s.parse(response, sent_at)
            except TokenExchangeError as err:
                if not _retryable(err):
                    raise
                error = err
                continue
            _log_fetched(token)
            return token
        assert error is not None  # noqa: S101 - max_attempts >= 1
        raise _exhausted(error, s.max_attempts)


# --- the async shell ----------------------------------------------------------------------


class AsyncTokenProvider:
    """`TokenProvider` for async code: the same options, `await provider.get()`.

    In: as `TokenProvider`, with an `AsyncTokenStore` (`AsyncMemoryTokenStore` by default,
    `AsyncRedisTokenStore` to share), an `httpx.AsyncClient`, and an async `sleep`.
    At most one fetch is in flight per provider, however many tasks call `get()`. Use one
    provider per event loop (its in-flight state belongs to the loop that made it).

    Raises:
        ConfigurationError, KeyFormatError, KeyTooSmallError: at construction.
    """

    def __init__(
        self,
        *,
        base_url: str,
        client_key: str,
        private_key: PrivateKeyInput,
        token_path: str = DEFAULT_TOKEN_PATH,
        clock: Clock | None = None,
        store: AsyncTokenStore | None = None,
        http_client: httpx.AsyncClient | None = None,
        advisory_window: timedelta = timedelta(seconds=120),
        mandatory_window: timedelta = timedelta(seconds=30),
        max_attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        timeout: float = 10.0,
        grant_type_field: str = "grantType",
        timestamp_style: TimestampStyle = TimestampStyle.JAKARTA,
        signature_encoding: Encoding = "base64",
        fallback_to_memory: bool = False,
        lease_ttl: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.05,
        advisory_retry_after: timedelta = timedelta(seconds=10),
        store_retry_after: timedelta = timedelta(seconds=5),
        default_expires_in: timedelta | None = None,
    ) -> None:
        self._s = _settings(
            base_url=base_url,
            client_key=client_key,
            private_key=private_key,
            token_path=token_path,
            clock=clock,
            advisory_window=advisory_window,
            mandatory_window=mandatory_window,
            max_attempts=max_attempts,
            backoff=backoff,
            max_backoff=max_backoff,
            grant_type_field=grant_type_field,
            timestamp_style=timestamp_style,
            signature_encoding=signature_encoding,
            fallback_to_memory=fallback_to_memory,
            lease_ttl=lease_ttl,
            poll_interval=poll_interval,
            advisory_retry_after=advisory_retry_after,
            store_retry_after=store_retry_after,
            default_expires_in=default_expires_in,
        )
        self._store: AsyncTokenStore = store if store is not None else AsyncMemoryTokenStore()
        self._memory = MemoryTokenStore()  # the in-process copy used while the store is down
        self._fallback = _Fallback(self._s)
        self._mirrored: AccessToken | None = None
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=timeout)
        self._sleep: Callable[[float], Awaitable[None]] = (
            sleep if sleep is not None else anyio.sleep
        )
        self._flight: _Flight[anyio.Event] | None = None
        self._advisory_not_before: datetime | None = None

    # -- public ---------------------------------------------------------------------------

    async def get(self) -> AccessToken:
        """A valid access token: the cached one, or a fresh one fetched once for all tasks.

        Raises:
            TokenExchangeError: the token endpoint refused (`.code`) or did not answer.
            StoreUnavailableError: the shared store is unreachable (and no fallback).
            TokenError: another process held the refresh lease too long.
        """
        s = self._s
        now = s.clock.now()
        token = await self._load(now)
        decision = s.policy.decide(token, now)
        if decision is RefreshDecision.FRESH and token is not None:
            return token
        if decision is RefreshDecision.ADVISORY and token is not None:
            if self._advisory_not_before is not None and now < self._advisory_not_before:
                return token
            flight, mine = self._join()
            if not mine:
                return token  # someone is refreshing: keep using the valid token
            return await self._fly(flight, token)
        while True:
            flight, mine = self._join()
            if mine:
                return await self._fly(flight, None)
            await flight.done.wait()
            shared = _landed(flight, s)
            if shared is not None:
                return shared

    def _join(self) -> tuple[_Flight[anyio.Event], bool]:
        """The refresh in flight, or a new one that this task runs (True)."""
        if self._flight is None:
            self._flight = _Flight(anyio.Event())
            return self._flight, True
        return self._flight, False

    async def _fly(self, flight: _Flight[anyio.Event], current: AccessToken | None) -> AccessToken:
        """Run the refresh of `flight`; waiters get its token or its error."""
        try:
            token = await self._refresh(current)
            flight.token = token
            return token
        except BaseException as err:
            flight.error = err
            if current is None or not isinstance(err, BisnapError):
                raise
            _log_advisory_failure(err, current)
            self._advisory_not_before = self._s.clock.now() + self._s.advisory_retry_after
            return current
        finally:
            self._flight = None
            flight.done.set()

    async def invalidate(self, token: AccessToken) -> bool:
        """Forget `token` after a 401 (invalid token), only if it is still the cached one.

        Out: True if this call dropped the token.

        Raises:
            StoreUnavailableError: the shared store is unreachable (and no fallback).
        """
        dropped = self._memory.discard(self._s.key, token)
        if self._fallback.enabled and self._fallback.skip_store(self._s.clock.now()):
            return dropped
        try:
            return await self._store.discard(self._s.key, token) or dropped
        except StoreUnavailableError as err:
            if not self._fallback.enabled:
                raise
            self._fallback.mark_down(err, self._s)
            return dropped

    async def aclose(self) -> None:
        """Close the HTTP client if the provider created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncTokenProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"AsyncTokenProvider(url={self._s.url!r}, store={self._store!r}, "
            f"policy={self._s.policy!r})"
        )

    # -- store access (with the optional in-process fallback) -------------------------------

    async def _load(self, now: datetime) -> AccessToken | None:
        fb = self._fallback
        if fb.enabled and fb.skip_store(now):
            return self._memory.load(self._s.key)
        try:
            token = await self._store.load(self._s.key)
        except StoreUnavailableError as err:
            if not fb.enabled:
                raise
            fb.mark_down(err, self._s)
            return self._memory.load(self._s.key)
        if fb.enabled:
            fb.mark_up()
            if token is not None and token is not self._mirrored:
                self._memory.save(self._s.key, token)
                self._mirrored = token
        return token

    async def _call(
        self, op: Callable[[AsyncTokenStore], Awaitable[T]], fallback: Callable[[], T]
    ) -> T:
        fb = self._fallback
        if fb.enabled and fb.skip_store(self._s.clock.now()):
            return fallback()
        try:
            return await op(self._store)
        except StoreUnavailableError as err:
            if not fb.enabled:
                raise
            fb.mark_down(err, self._s)
            return fallback()

    async def _release(self, lease: str) -> None:
        key = self._s.key
        await self._call(
            lambda st: st.release_lease(key, lease),
            lambda: self._memory.release_lease(key, lease),
        )

    async def _save(self, token: AccessToken) -> None:
        key = self._s.key
        await self._call(lambda st: st.save(key, token), lambda: self._memory.save(key, token))
        if self._fallback.enabled:
            self._memory.save(key, token)
            self._mirrored = token

    # -- refresh (run by the one task that owns the flight) ---------------------------------

    async def _settled(self, current: AccessToken | None) -> AccessToken | None:
        """A token good enough to return without fetching, if the store now has one."""
        now = self._s.clock.now()
        token = await self._load(now)
        decision = self._s.policy.decide(token, now)
        if token is None or decision is RefreshDecision.MANDATORY:
            return None
        if decision is RefreshDecision.FRESH or current is None or token != current:
            return token
        return None

    async def _refresh(self, current: AccessToken | None) -> AccessToken:
        s = self._s
        settled = await self._settled(current)
        if settled is not None:
            return settled
        for _ in range(s.max_polls):
            lease = await self._call(
                lambda st: st.acquire_lease(s.key, ttl=s.lease_ttl),
                lambda: self._memory.acquire_lease(s.key, ttl=s.lease_ttl),
            )
            if lease is not None:
                try:
                    settled = await self._settled(current)
                    if settled is not None:
                        return settled
                    token = await self._fetch()
                    await self._save(token)
                    return token
                finally:
                    with anyio.CancelScope(shield=True):  # a cancelled fetcher still lets go
                        await self._release(lease)
            if current is not None:
                return current  # advisory: another process is refreshing
            await self._sleep(s.poll_interval)
            settled = await self._settled(None)
            if settled is not None:
                return settled
        raise TokenError(
            "timed out waiting for another process to refresh the access token",
            hint="The lease holder may be stuck; check the token endpoint and lease_ttl.",
        )

    async def _fetch(self) -> AccessToken:
        s = self._s
        error: TokenExchangeError | None = None
        for attempt in range(s.max_attempts):
            if attempt:
                await self._sleep(_backoff(attempt, s.backoff, s.max_backoff))
            sent_at = s.clock.now()
            request = s.request(sent_at)
            _log.debug("requesting an access token: %r", request)
            try:
                response = await self._http.post(
                    s.url, content=request.body, headers=request.headers
                )
            except _RETRYABLE_HTTPX as err:
                error = _transport_error(err)
                error.__cause__ = err
                continue
            except httpx.HTTPError as err:
                raise _transport_error(err) from err
            try:
                token = s.parse(response, sent_at)
            except TokenExchangeError as err:
                if not _retryable(err):
                    raise
                error = err
                continue
            _log_fetched(token)
            return token
        assert error is not None  # noqa: S101 - max_attempts >= 1
        raise _exhausted(error, s.max_attempts)
