"""Access tokens, sans-I/O: build the request, parse the answer, decide when to refresh.

This module does no I/O (no httpx, no anyio): it builds `POST …/access-token/b2b` (and
`…/b2b2c`), parses the provider's answer (status + body bytes) into an `AccessToken`, and
`RefreshPolicy` decides when a token must be refreshed. The providers that share one token
per process and fleet, `TokenProvider` (threads) and `AsyncTokenProvider` (tasks), live with
the HTTP shells in `bisnap.http.tokens`, driven by one refresh flow; they are importable
from here and from `bisnap` as before.

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

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bisnap.errors import (
    BisnapError,
    ConfigurationError,
    InputError,
    TokenExchangeError,
)
from bisnap.headers import build_access_token_headers, redact_headers
from bisnap.jsonout import compact_json
from bisnap.keys import PrivateKeyInput
from bisnap.refresh import RefreshDecision, RefreshPolicy, token_store_key
from bisnap.responses import ResponseCode, parse_response_code
from bisnap.secrets import AccessToken, Secret, reveal
from bisnap.signing import Encoding, SignatureTrace, sign_access_token
from bisnap.timestamps import parse_timestamp

if TYPE_CHECKING:
    from bisnap.http.tokens import AsyncTokenProvider, TokenProvider

__all__ = [
    "B2B2C_TOKEN_PATH",
    "DEFAULT_TOKEN_PATH",
    "SECRET_FIELDS",
    "AsyncTokenProvider",
    "RefreshDecision",
    "RefreshPolicy",
    "StoreFallbackWarning",
    "TokenProvider",
    "TokenRequest",
    "build_b2b2c_token_request",
    "build_token_request",
    "check_grant_type_field",
    "check_token_path",
    "customer_token",
    "customer_token_from_binding",
    "mask_secret_fields",
    "mask_secret_values",
    "parse_b2b2c_token_response",
    "parse_token_response",
    "token_store_key",
]

# SNAP: the access-token endpoints are `POST ../{version}/access-token/b2b` (service 73)
# and `../access-token/b2b2c` (service 74); providers prefix the path differently, so it
# is configurable (shared/spec/snap-standard.md §1.3, §4.1).
DEFAULT_TOKEN_PATH = "/v1.0/access-token/b2b"  # noqa: S105 - a path, not a secret
B2B2C_TOKEN_PATH = "/v1.0/access-token/b2b2c"  # noqa: S105 - a path, not a secret

_CLIENT_CREDENTIALS = "client_credentials"
_DIGITS = re.compile(r"[0-9]{1,9}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Members of SNAP bodies whose string value is a credential (masked in pickles): the
#: tokens and auth codes, and what charges a customer's linked account (GoPay
#: tokenization's `chargeToken` and `paymentOptionToken`, midtrans-core.md §4.3) or
#: proves a customer (`otp`).
SECRET_FIELDS = frozenset(
    {"accessToken", "refreshToken", "authCode", "chargeToken", "paymentOptionToken", "otp"}
)
_SECRET_MEMBER = re.compile(
    rb'("(?:' + b"|".join(sorted(name.encode() for name in SECRET_FIELDS)) + rb')"\s*:\s*)'
    rb'"(?:[^"\\]|\\.)*"'
)


def mask_secret_fields(body: bytes) -> bytes:
    """`body` (JSON bytes) with the string value of every `SECRET_FIELDS` member masked.

    For copies that leave the process (pickles); the bytes sent or verified are never
    changed.
    """
    return _SECRET_MEMBER.sub(rb'\1"[masked]"', body)


def mask_secret_values(data: Any) -> Any:
    """A copy of parsed JSON with the string value of every `SECRET_FIELDS` member masked."""
    if isinstance(data, Mapping):
        return {
            k: "[masked]" if k in SECRET_FIELDS and isinstance(v, str) else mask_secret_values(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask_secret_values(v) for v in data]
    return data


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

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickle (cache, task queue, multiprocessing) never carries the auth code or
        # refresh token of a B2B2C body: their values are masked.
        masked = mask_secret_fields(self.body)
        return (TokenRequest, (self.method, self.path, dict(self.headers), masked, self.trace))


def check_token_path(path: str) -> None:
    """Refuse a token path that does not start with '/'.

    Raises:
        ConfigurationError: the path is relative.
    """
    if not path.startswith("/"):
        raise ConfigurationError(
            f"token path {path!r} does not start with '/'",
            hint="Pass the path as the provider expects it, e.g. /v1.0/access-token/b2b "
            "or /snap/v1.0/access-token/b2b.",
        )


def check_grant_type_field(name: str) -> None:
    """Refuse a grant-type field spelling that is not a JSON field name.

    Raises:
        ConfigurationError: e.g. an empty name or one with a space.
    """
    if not _FIELD.fullmatch(name):
        raise ConfigurationError(
            f"grant type field {name!r} is not a JSON field name",
            hint="Use 'grantType' (the standard, Midtrans docs) or 'grant_type'.",
        )


def _signed_request(
    content: dict[str, Any],
    additional_info: Mapping[str, Any] | None,
    path: str,
    client_key: str,
    private_key: PrivateKeyInput,
    timestamp: str,
    encoding: Encoding,
) -> TokenRequest:
    """The token request with body `content` (+ `additionalInfo`), as compact JSON."""
    if additional_info is not None:
        content["additionalInfo"] = dict(additional_info)
    body = compact_json(content)
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
    check_token_path(path)
    check_grant_type_field(grant_type_field)
    # SNAP: B2B body `{"grantType":"client_credentials"}`; Midtrans's libraries send
    # `grant_type` (snap-standard.md §1.3, midtrans-core.md §3.1).
    content: dict[str, Any] = {grant_type_field: _CLIENT_CREDENTIALS}
    return _signed_request(
        content, additional_info, path, client_key, private_key, timestamp, encoding
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
    check_token_path(path)
    check_grant_type_field(grant_type_field)
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
    return _signed_request(
        content, additional_info, path, client_key, private_key, timestamp, encoding
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


def __getattr__(name: str) -> Any:
    # The providers do I/O, so they live in bisnap.http.tokens; imported lazily here so that
    # `bisnap.tokens.TokenProvider` keeps working without an import cycle.
    if name in ("TokenProvider", "AsyncTokenProvider"):
        from bisnap.http import tokens as _providers

        return getattr(_providers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
