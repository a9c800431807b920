"""Sign and verify every SNAP signature, with every stage visible.

Each call returns a frozen `SignatureTrace`: body as sent → minified body → body SHA-256 →
string to sign → signature. Verification raises; it never returns False.

```python
trace = sign_service(
    method="POST", path="/v1.0/transfer-va/create-va", body=body_bytes,
    timestamp="2024-03-05T17:37:16+07:00", access_token=token, client_secret=secret,
)
headers["X-SIGNATURE"] = trace.signature
```
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import hmac
from typing import Literal, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap import canonical
from bisnap.errors import (
    InputError,
    InputTypeError,
    SecretFormatError,
    SignatureFormatError,
    SignatureMismatchError,
)
from bisnap.keys import (
    MIN_PARTNER_KEY_BITS,
    PrivateKeyInput,
    PublicKeyInput,
    check_signing_key,
    check_verifying_key,
    fingerprint,
    load_private_key,
    load_public_key,
)
from bisnap.minify import minify, minify_unchecked
from bisnap.secrets import AccessToken, Secret, reveal
from bisnap.trace import STAGES, Encoding, SignatureTrace, Stages, trace_of

__all__ = [
    "STAGES",
    "Encoding",
    "SignatureTrace",
    "client_secret_bytes",
    "decode_signature",
    "encode_signature",
    "hmac_sha512",
    "rsa_sign",
    "rsa_verify",
    "sign_access_token",
    "sign_service",
    "sign_service_asymmetric",
    "verify_access_token",
    "verify_service",
    "verify_service_asymmetric",
]

_HMAC_BYTES = 64  # HMAC-SHA512


# --- primitives ------------------------------------------------------------------------


def encode_signature(raw: bytes, encoding: Encoding) -> str:
    """Encode raw signature bytes as base64 (Midtrans) or lowercase hex."""
    # SNAP: output encoding is not fixed by the standard; Midtrans uses base64, some
    # providers lowercase hex (snap-standard.md §1.2, §4.4).
    if encoding == "base64":
        return binascii.b2a_base64(raw, newline=False).decode("ascii")
    if encoding == "hex":
        return raw.hex()
    raise InputError(f"unknown signature encoding {encoding!r}", hint="Use 'base64' or 'hex'.")


def decode_signature(signature: str | bytes, expected_length: int) -> tuple[bytes, Encoding]:
    """Decode a presented signature, accepting base64 or hex (told apart by length).

    Raises:
        SignatureFormatError: empty, neither base64 nor hex, or the wrong length.
    """
    raw, encoding, _ = _decode_signature(signature, expected_length)
    return raw, encoding


def _decode_signature(signature: object, expected_length: int) -> tuple[bytes, Encoding, str]:
    # One decode per request: the raw bytes, the encoding and the stripped text (for the trace).
    if type(signature) is str and len(signature) == 4 * ((expected_length + 2) // 3):
        # The common case, base64 of the key's size with nothing around it, in one C call;
        # anything else takes the careful path below, which decides and words every error.
        try:
            raw = binascii.a2b_base64(signature, strict_mode=True)
        except (binascii.Error, ValueError):
            pass
        else:
            if len(raw) == expected_length:
                return raw, "base64", signature
    if type(signature) is not str:
        if isinstance(signature, bytes):
            try:
                signature = signature.decode("ascii")
            except UnicodeDecodeError as err:
                raise SignatureFormatError("signature has non-ASCII bytes") from err
        if not isinstance(signature, str):
            raise SignatureFormatError(f"signature must be a str, not {type(signature).__name__}")
    text = signature.strip()
    if not text:
        raise SignatureFormatError("signature is empty")
    if not text.isascii():
        raise SignatureFormatError("signature has non-ASCII characters")
    if len(text) == 2 * expected_length:
        try:
            return bytes.fromhex(text), "hex", text
        except ValueError:
            pass
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as err:
        raise SignatureFormatError(
            f"signature ({len(text)} characters) is neither base64 nor hex"
        ) from err
    if len(raw) != expected_length:
        raise SignatureFormatError(
            f"signature decodes to {len(raw)} bytes; expected {expected_length}"
        )
    return raw, "base64", text


def _secret_text(client_secret: str | Secret) -> str:
    value = client_secret if type(client_secret) is str else reveal(client_secret)
    if not isinstance(value, str):
        raise InputTypeError(
            f"client secret must be a str or Secret, not {type(value).__name__}",
            hint="Pass the client secret string the provider gave you.",
        )
    return value


def _hmac_sha512(client_secret: str | Secret, data: bytes) -> bytes:
    mac = _keyed_sha512(_secret_text(client_secret)).copy()
    mac.update(data)
    return mac.digest()


@functools.lru_cache(maxsize=16)
def _keyed_sha512(secret: str) -> hmac.HMAC:
    # The HMAC key schedule, computed once per client secret (a service signs many
    # requests with one secret); each signature copies it. The cache holds what the
    # caller's configuration holds already, and is never shown or pickled.
    return hmac.new(client_secret_bytes(secret), digestmod=hashlib.sha512)


def client_secret_bytes(client_secret: str | Secret) -> bytes:
    value = _secret_text(client_secret)
    if not value:
        raise SecretFormatError("client secret is empty", hint="Pass the client secret.")
    if "-----BEGIN" in value:
        raise SecretFormatError(
            "the client secret is a PEM key",
            hint=(
                "HMAC-SHA512 is keyed with the client secret string the provider gave you, "
                "not with an RSA key."
            ),
        )
    # SNAP: the HMAC key is the client secret's UTF-8 bytes, never base64-decoded
    # (snap-standard.md §4.4 "HMAC key").
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise SecretFormatError(
            "the client secret is not UTF-8 text (it holds a lone surrogate)",
            hint="Read the client secret as UTF-8 text, exactly as the provider issued it.",
        ) from None


def _not_utf8(*parts: tuple[str, str]) -> InputError:
    """The error for a string to sign that is not UTF-8: the part is named, never shown."""
    for name, value in parts:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return InputError(
                f"the {name} is not UTF-8 text (it holds a lone surrogate, e.g. from "
                "undecodable bytes)",
                hint=f"Pass the {name} exactly as sent, decoded as UTF-8.",
            )
    return InputError(
        "the string to sign is not UTF-8 text",
        hint="Pass every part exactly as sent, decoded as UTF-8.",
    )


def hmac_sha512(string_to_sign: str, client_secret: str | Secret) -> bytes:
    """HMAC-SHA512 of `string_to_sign` keyed with the client secret's UTF-8 bytes.

    Raises:
        SecretFormatError: the client secret is empty, a PEM or not UTF-8 text.
        InputError: the string to sign is not UTF-8 text.
    """
    client_secret_bytes(client_secret)  # refuse an unusable secret before the string
    try:
        data = string_to_sign.encode("utf-8")
    except UnicodeEncodeError:
        raise _not_utf8() from None
    return _hmac_sha512(client_secret, data)


def rsa_sign(data: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    """SHA256withRSA: RSASSA-PKCS1-v1_5 over SHA-256."""
    # SNAP: SHA256withRSA (snap-standard.md §1.1) = RSASSA-PKCS1-v1_5 with SHA-256.
    return private_key.sign(data, _PKCS1V15, _SHA256)


def rsa_verify(signature: bytes, data: bytes, public_key: rsa.RSAPublicKey) -> bool:
    """True when `signature` is a SHA256withRSA signature of `data`."""
    try:
        public_key.verify(signature, data, _PKCS1V15, _SHA256)
    except InvalidSignature:
        return False
    return True


_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


def _signing_key(private_key: PrivateKeyInput) -> rsa.RSAPrivateKey:
    key = load_private_key(private_key)
    check_signing_key(key)
    return key


def _verifying_key(public_key: PublicKeyInput) -> tuple[rsa.RSAPublicKey, int]:
    key = load_public_key(public_key)
    size = key.key_size
    if size < MIN_PARTNER_KEY_BITS:
        check_verifying_key(key)
    return key, size // 8


def _mismatch(
    trace: SignatureTrace, what: str, body: bytes | str | None = None, checked: bool = True
) -> SignatureMismatchError:
    if not checked:
        minify(body)  # a body that is not JSON is the better answer than "mismatch"
    # A verifier holds only the presented signature: the one stage it compares is the
    # signature itself; `explain` compares whole traces and names an earlier stage.
    return SignatureMismatchError(
        f"{what} signature does not match the request", stage="signature", trace=trace
    )


# --- the stages, computed once per kind for sign and verify ------------------------------


def _utf8(string_to_sign: str, *parts: tuple[str, str]) -> bytes:
    try:
        return string_to_sign.encode("utf-8")
    except UnicodeEncodeError:
        raise _not_utf8(*parts) from None


# --- access token ------------------------------------------------------------------------


def _access_token_stages(client_key: str, timestamp: str) -> Stages:
    ck = canonical.signed_client_key(client_key)
    ts = canonical.signed_timestamp(timestamp)
    string_to_sign = canonical.format_access_token(ck, ts)
    data = _utf8(string_to_sign, ("client key", ck), ("timestamp", ts))
    return string_to_sign, data, None, None, None, None, ts, None


def sign_access_token(
    *,
    client_key: str,
    timestamp: str,
    private_key: PrivateKeyInput,
    encoding: Encoding = "base64",
) -> SignatureTrace:
    """Sign `clientKey|X-TIMESTAMP` with SHA256withRSA for `POST …/access-token/b2b`.

    Raises:
        KeyFormatError, KeyTooSmallError: the private key is unusable or under 2048 bits.
        InputError: empty client key or timestamp, or either is not UTF-8 text.
    """
    key = _signing_key(private_key)
    stages = _access_token_stages(client_key, timestamp)
    signature = encode_signature(rsa_sign(stages[1], key), encoding)
    return trace_of("access_token", stages, signature, encoding, fingerprint(key))


def verify_access_token(
    *, client_key: str, timestamp: str, signature: str, public_key: PublicKeyInput
) -> SignatureTrace:
    """Verify an access-token request signature (what a provider or emulator does).

    Returns the trace of the verified signature.

    Raises:
        SignatureMismatchError: the signature is not over `clientKey|X-TIMESTAMP` with this key.
        SignatureFormatError: the signature is not base64/hex of the key's size.
    """
    key, size = _verifying_key(public_key)
    stages = _access_token_stages(client_key, timestamp)
    raw, encoding, text = _decode_signature(signature, size)
    trace = trace_of("access_token", stages, text, encoding, fingerprint(key))
    if not rsa_verify(raw, stages[1], key):
        raise _mismatch(trace, "access-token")
    return trace


# --- symmetric service (HMAC-SHA512) ------------------------------------------------------


def _service_stages(
    kind: Literal["service", "service_asymmetric"],
    method: str,
    path: str,
    timestamp: str,
    body: bytes | str | None,
    include_query: bool,
    check_json: bool = True,
    access_token: str | Secret | AccessToken | None = None,
) -> Stages:
    # Each input validated once; the body minified and hashed once.
    m = canonical.signed_method(method)
    p = canonical.signed_path(path, include_query=include_query)
    ts = canonical.signed_timestamp(timestamp)
    minified = minify(body) if check_json else minify_unchecked(body)
    digest = hashlib.sha256(minified).hexdigest()
    if kind == "service_asymmetric":
        token = None
        string_to_sign = canonical.format_asymmetric(m, p, digest, ts)
    else:
        token = canonical.signed_token(cast("str | Secret | AccessToken", access_token))
        string_to_sign = canonical.format_symmetric(m, p, token, digest, ts)
    try:
        data = string_to_sign.encode("utf-8")
    except UnicodeEncodeError:
        raise _not_utf8(("path", p), ("timestamp", ts), ("access token", token or "")) from None
    return string_to_sign, data, minified, digest, m, p, ts, token


def sign_service(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    access_token: str | Secret | AccessToken,
    client_secret: str | Secret,
    encoding: Encoding = "base64",
    include_query: bool = True,
) -> SignatureTrace:
    """HMAC-SHA512 service signature over `METHOD:path:token:sha256(minify(body)):timestamp`.

    `body` is the exact body sent (bytes or str, None for no body); `path` is the relative
    path as sent, query included unless `include_query=False`.

    Raises:
        BodyNotJSONError: the body is not JSON.
        SecretFormatError: token starts with 'Bearer ', client secret empty or a PEM.
        InputError: a malformed method, path or timestamp, or one that is not UTF-8 text.
    """
    stages = _service_stages(
        "service", method, path, timestamp, body, include_query, access_token=access_token
    )
    signature = encode_signature(_hmac_sha512(client_secret, stages[1]), encoding)
    return trace_of("service", stages, signature, encoding, None)


def verify_service(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    access_token: str | Secret | AccessToken,
    client_secret: str | Secret,
    signature: str,
    include_query: bool = True,
    check_json: bool = True,
) -> SignatureTrace:
    """Verify an HMAC-SHA512 service signature over the body as received (constant time).

    `check_json=False` skips the UTF-8 check of a body that verifies (for callers that
    decode the body right after, like `NotificationVerifier`); a body that does not verify
    is still reported as `BodyNotJSONError` when it is not JSON.

    Raises:
        SignatureMismatchError: the signature does not match.
        SignatureFormatError: not base64/hex of 64 bytes.
        BodyNotJSONError: the body is not JSON.
    """
    stages = _service_stages(
        "service", method, path, timestamp, body, include_query, check_json, access_token
    )
    presented, encoding, text = _decode_signature(signature, _HMAC_BYTES)
    expected = _hmac_sha512(client_secret, stages[1])
    trace = trace_of("service", stages, text, encoding, None)
    if not hmac.compare_digest(presented, expected):
        raise _mismatch(trace, "HMAC-SHA512 service", body, check_json)
    return trace


# --- asymmetric service (SHA256withRSA), also provider notifications -------------------


def sign_service_asymmetric(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    private_key: PrivateKeyInput,
    encoding: Encoding = "base64",
    include_query: bool = True,
) -> SignatureTrace:
    """SHA256withRSA over `METHOD:path:sha256(minify(body)):timestamp` (no token).

    This is the standard's asymmetric service signature and how Midtrans signs the
    notifications it sends to merchants.

    Raises:
        KeyFormatError, KeyTooSmallError: the private key is unusable or under 2048 bits.
        BodyNotJSONError: the body is not JSON.
        InputError: a malformed method, path or timestamp, or one that is not UTF-8 text.
    """
    key = _signing_key(private_key)
    stages = _service_stages("service_asymmetric", method, path, timestamp, body, include_query)
    signature = encode_signature(rsa_sign(stages[1], key), encoding)
    return trace_of("service_asymmetric", stages, signature, encoding, fingerprint(key))


def verify_service_asymmetric(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    public_key: PublicKeyInput,
    signature: str,
    include_query: bool = True,
    check_json: bool = True,
) -> SignatureTrace:
    """Verify a SHA256withRSA service or notification signature over the body as received.

    `check_json=False`: as for `verify_service`.

    Raises:
        SignatureMismatchError: the signature does not match.
        SignatureFormatError: not base64/hex of the key's size.
        BodyNotJSONError: the body is not JSON.
    """
    key = load_public_key(public_key)
    bits = key.key_size
    if bits < MIN_PARTNER_KEY_BITS:
        check_verifying_key(key)
    stages = _service_stages(
        "service_asymmetric", method, path, timestamp, body, include_query, check_json
    )
    raw, encoding, text = _decode_signature(signature, bits // 8)
    trace = trace_of("service_asymmetric", stages, text, encoding, None)
    try:
        key.verify(raw, stages[1], _PKCS1V15, _SHA256)
    except InvalidSignature:
        raise _mismatch(trace, "SHA256withRSA service", body, check_json) from None
    return trace
