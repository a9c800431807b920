"""The strings SNAP signs, each built in exactly one place.

```
access token          clientKey|X-TIMESTAMP
symmetric service     METHOD:path:accessToken:lowerhex(sha256(minify(body))):X-TIMESTAMP
asymmetric service    METHOD:path:lowerhex(sha256(minify(body))):X-TIMESTAMP
```

The asymmetric form is also what Midtrans (and DANA, Winpay) sign notifications with.

Two layers, one format: `format_*` join parts that are already as signed, checking nothing
(explain builds deliberate mistakes with them; hot paths call them after validating each
input once); the checked builders (`access_token_string`, `symmetric_string`,
`asymmetric_string`) validate every part, then call the same formatter.
"""

from __future__ import annotations

import hashlib

from bisnap.errors import InputError, SecretFormatError
from bisnap.minify import minify
from bisnap.secrets import AccessToken, Secret, reveal

__all__ = [
    "EMPTY_BODY_SHA256",
    "access_token_string",
    "asymmetric_string",
    "body_sha256",
    "format_access_token",
    "format_asymmetric",
    "format_symmetric",
    "minified_and_hash",
    "service_string",
    "signed_method",
    "signed_path",
    "signed_token",
    "symmetric_string",
]

# SNAP: with no request body the empty string is hashed (snap-standard.md §1.2 note 2).
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def body_sha256(minified_body: bytes) -> str:
    """Lowercase hex SHA-256 of an already minified body."""
    # SNAP: Lowercase(HexEncode(SHA-256(minify(RequestBody)))) (snap-standard.md §1.2).
    return hashlib.sha256(minified_body).hexdigest()


def signed_method(method: str) -> str:
    """The HTTP method as signed: upper-cased (`post` is signed `POST`)."""
    # SNAP: HTTPMethod is upper case; Midtrans's clients upper-case it (midtrans-core.md §2.1).
    if not isinstance(method, str) or not method.strip() or not method.strip().isalpha():
        raise InputError(
            f"HTTP method {method!r} is not a method name",
            hint="Pass the request's method, e.g. 'POST' or 'GET'.",
        )
    return method.strip().upper()


def signed_path(path: str, *, include_query: bool = True) -> str:
    """The EndpointUrl as signed: the relative path as sent, query string included.

    `include_query=False` drops `?…` for providers that sign the bare path.
    """
    # SNAP: EndpointUrl is the complete relative path including all URL parameters
    # (snap-standard.md §1.2 note 1); some providers sign the bare path (§4.4).
    if not isinstance(path, str) or not path.startswith("/"):
        shown = path if isinstance(path, str) and len(path) < 80 else "<path>"
        hint = "Pass the relative path as sent, e.g. '/v1.0/transfer-va/create-va?x=1'."
        if isinstance(path, str) and "://" in path:
            hint = "Pass only the path (and query) of the URL, without scheme and host. " + hint
        raise InputError(f"path {shown!r} is not a relative path starting with '/'", hint=hint)
    path = path.split("#", 1)[0]
    if not include_query:
        path = path.split("?", 1)[0]
    return path


def signed_token(access_token: str | Secret | AccessToken) -> str:
    """The access token as it goes into the string to sign: bare, never `Bearer …`."""
    # SNAP: AccessToken in the stringToSign is the bare token, without "Bearer "
    # (midtrans-core.md §2.1 notes).
    value = access_token.reveal() if isinstance(access_token, AccessToken) else reveal(access_token)
    if not value:
        raise SecretFormatError(
            "access token is empty", hint="Fetch a B2B access token first (TokenProvider)."
        )
    if value[:7].lower() == "bearer ":
        raise SecretFormatError(
            "access token starts with 'Bearer '",
            hint=(
                "The string to sign carries the bare token; 'Bearer ' belongs only in the "
                "Authorization header. Pass the token without the prefix."
            ),
        )
    return value


def format_access_token(client_key: str, timestamp: str) -> str:
    """`clientKey|timestamp` from parts as signed, checking nothing."""
    # SNAP: stringToSign = client_ID + "|" + X-TIMESTAMP (snap-standard.md §1.2).
    return f"{client_key}|{timestamp}"


def format_symmetric(
    method: str, path: str, access_token: str, body_sha256: str, timestamp: str
) -> str:
    """`METHOD:path:accessToken:bodySha256:timestamp` from parts as signed, checking nothing."""
    # SNAP: symmetric transaction signature (snap-standard.md §1.2, mode 1).
    return f"{method}:{path}:{access_token}:{body_sha256}:{timestamp}"


def format_asymmetric(method: str, path: str, body_sha256: str, timestamp: str) -> str:
    """`METHOD:path:bodySha256:timestamp` from parts as signed, checking nothing."""
    # SNAP: asymmetric transaction signature (snap-standard.md §1.2, mode 2) and provider
    # notifications (snap-standard.md §4.3, midtrans-core.md §5).
    return f"{method}:{path}:{body_sha256}:{timestamp}"


def access_token_string(client_key: str, timestamp: str) -> str:
    """`clientKey|X-TIMESTAMP`, the string signed for the access-token request."""
    if not isinstance(client_key, str) or not client_key:
        raise InputError("client key is empty", hint="Pass the X-CLIENT-KEY (client ID).")
    _check_timestamp_text(timestamp)
    return format_access_token(client_key, timestamp)


def symmetric_string(
    *,
    method: str,
    path: str,
    access_token: str | Secret | AccessToken,
    body_sha256: str,
    timestamp: str,
    include_query: bool = True,
) -> str:
    """`METHOD:path:accessToken:bodySha256:X-TIMESTAMP`, signed with HMAC-SHA512."""
    _check_timestamp_text(timestamp)
    return format_symmetric(
        signed_method(method),
        signed_path(path, include_query=include_query),
        signed_token(access_token),
        body_sha256,
        timestamp,
    )


def asymmetric_string(
    *, method: str, path: str, body_sha256: str, timestamp: str, include_query: bool = True
) -> str:
    """`METHOD:path:bodySha256:X-TIMESTAMP`, signed with SHA256withRSA (no token)."""
    _check_timestamp_text(timestamp)
    return format_asymmetric(
        signed_method(method),
        signed_path(path, include_query=include_query),
        body_sha256,
        timestamp,
    )


#: The symmetric service string under the name the vectors and docs use.
service_string = symmetric_string


def _check_timestamp_text(timestamp: str) -> None:
    # SNAP: the signed timestamp is the header value, byte for byte (snap-standard.md §1.3),
    # so it is used verbatim; only obviously unusable values are refused here.
    if not isinstance(timestamp, str) or not timestamp or timestamp != timestamp.strip():
        raise InputError(
            "X-TIMESTAMP is empty or has surrounding whitespace",
            hint="Sign exactly the X-TIMESTAMP header value, e.g. 2024-03-05T17:37:16+07:00.",
        )


def minified_and_hash(body: bytes | str | None) -> tuple[bytes, str]:
    """Minify `body` and hash it: the first two stages of every service signature."""
    minified = minify(body)
    return minified, body_sha256(minified)
