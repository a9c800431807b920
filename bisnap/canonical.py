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

from bisnap.errors import InputError, InputTypeError, SecretFormatError
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
    "signed_client_key",
    "signed_method",
    "signed_path",
    "signed_timestamp",
    "signed_token",
    "symmetric_string",
]

# SNAP: with no request body the empty string is hashed (snap-standard.md §1.2 note 2).
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def body_sha256(minified_body: bytes) -> str:
    """Lowercase hex SHA-256 of an already minified body."""
    # SNAP: Lowercase(HexEncode(SHA-256(minify(RequestBody)))) (snap-standard.md §1.2).
    return hashlib.sha256(minified_body).hexdigest()


_METHODS = {m: m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}


def signed_method(method: str) -> str:
    """The HTTP method as signed: upper-cased (`post` is signed `POST`).

    Raises:
        InputTypeError: `method` is not a str.
        InputError: not a method name (empty, digits, spaces inside).
    """
    # SNAP: HTTPMethod is upper case; Midtrans's clients upper-case it (midtrans-core.md §2.1).
    known = _METHODS.get(method) if type(method) is str else None
    if known is not None:
        return known
    if not isinstance(method, str):
        raise InputTypeError(
            f"HTTP method must be a str, not {type(method).__name__}",
            hint="Pass the request's method, e.g. 'POST' or 'GET'.",
        )
    stripped = method.strip()
    if not stripped.isalpha():
        raise InputError(
            f"HTTP method {_shown(method)!r} is not a method name",
            hint="Pass the request's method, e.g. 'POST' or 'GET'.",
        )
    return stripped.upper()


def signed_path(path: str, *, include_query: bool = True) -> str:
    """The EndpointUrl as signed: the relative path as sent, query string included.

    `include_query=False` drops `?…` for providers that sign the bare path.

    Raises:
        InputTypeError: `path` is not a str.
        InputError: not a relative path starting with '/'.
    """
    # SNAP: EndpointUrl is the complete relative path including all URL parameters
    # (snap-standard.md §1.2 note 1); some providers sign the bare path (§4.4).
    if (
        type(path) is str
        and path[:1] == "/"
        and "#" not in path
        and (include_query or "?" not in path)
    ):
        return path  # the common case: nothing to cut
    hint = "Pass the relative path as sent, e.g. '/v1.0/transfer-va/create-va?x=1'."
    if not isinstance(path, str):
        raise InputTypeError(f"path must be a str, not {type(path).__name__}", hint=hint)
    if not path.startswith("/"):
        shown = _shown(path) if len(path) < 80 else "<path>"
        if "://" in path:
            hint = "Pass only the path (and query) of the URL, without scheme and host. " + hint
        raise InputError(f"path {shown!r} is not a relative path starting with '/'", hint=hint)
    if "#" in path:
        path = path.partition("#")[0]
    if not include_query and "?" in path:
        path = path.partition("?")[0]
    return path


def signed_timestamp(timestamp: str) -> str:
    """The X-TIMESTAMP as signed: the header value verbatim, refused only when unusable.

    Raises:
        InputTypeError: not a str.
        InputError: empty, or with surrounding whitespace.
    """
    # SNAP: the signed timestamp is the header value, byte for byte (snap-standard.md §1.3),
    # so it is used verbatim; only obviously unusable values are refused here.
    if not isinstance(timestamp, str):
        raise InputTypeError(
            f"X-TIMESTAMP must be a str, not {type(timestamp).__name__}",
            hint="Format it once with bisnap.format_timestamp and sign that string.",
        )
    if not timestamp or timestamp != timestamp.strip():
        raise InputError(
            "X-TIMESTAMP is empty or has surrounding whitespace",
            hint="Sign exactly the X-TIMESTAMP header value, e.g. 2024-03-05T17:37:16+07:00.",
        )
    return timestamp


def signed_client_key(client_key: str) -> str:
    """The X-CLIENT-KEY as signed (verbatim); refused when empty.

    Raises:
        InputTypeError: not a str.
        InputError: empty.
    """
    if not isinstance(client_key, str):
        raise InputTypeError(
            f"client key must be a str, not {type(client_key).__name__}",
            hint="Pass the X-CLIENT-KEY (client ID).",
        )
    if not client_key:
        raise InputError("client key is empty", hint="Pass the X-CLIENT-KEY (client ID).")
    return client_key


def _shown(value: str) -> str:
    # Safe to print: lone surrogates (undecodable input) shown as escapes.
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def signed_token(access_token: str | Secret | AccessToken) -> str:
    """The access token as it goes into the string to sign: bare, never `Bearer …`."""
    # SNAP: AccessToken in the stringToSign is the bare token, without "Bearer "
    # (midtrans-core.md §2.1 notes).
    if type(access_token) is str:
        value = access_token
    elif isinstance(access_token, AccessToken):
        value = access_token.reveal()
    else:
        value = reveal(access_token)
    if not isinstance(value, str):
        raise InputTypeError(
            f"access token must be a str, Secret or AccessToken, not {type(value).__name__}",
            hint="Pass the bare access token from the token response.",
        )
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
    return format_access_token(signed_client_key(client_key), signed_timestamp(timestamp))


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
    return format_symmetric(
        signed_method(method),
        signed_path(path, include_query=include_query),
        signed_token(access_token),
        body_sha256,
        signed_timestamp(timestamp),
    )


def asymmetric_string(
    *, method: str, path: str, body_sha256: str, timestamp: str, include_query: bool = True
) -> str:
    """`METHOD:path:bodySha256:X-TIMESTAMP`, signed with SHA256withRSA (no token)."""
    return format_asymmetric(
        signed_method(method),
        signed_path(path, include_query=include_query),
        body_sha256,
        signed_timestamp(timestamp),
    )


#: The symmetric service string under the name the vectors and docs use.
service_string = symmetric_string


def minified_and_hash(body: bytes | str | None) -> tuple[bytes, str]:
    """Minify `body` and hash it: the first two stages of every service signature."""
    minified = minify(body)
    return minified, body_sha256(minified)
