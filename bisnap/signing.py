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

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap import canonical
from bisnap.errors import (
    InputError,
    SecretFormatError,
    SignatureFormatError,
    SignatureMismatchError,
)
from bisnap.keys import (
    PrivateKeyInput,
    PublicKeyInput,
    check_signing_key,
    check_verifying_key,
    fingerprint,
    load_private_key,
    load_public_key,
)
from bisnap.minify import minify, minify_unchecked
from bisnap.secrets import AccessToken, Secret, mask, reveal

__all__ = [
    "STAGES",
    "Encoding",
    "SignatureTrace",
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

Encoding = Literal["base64", "hex"]
Kind = Literal["access_token", "service", "service_asymmetric"]

#: The stage names, in order, as used by vectors, the CLI and `SignatureMismatchError.stage`.
STAGES = ("minifiedBody", "bodySha256", "stringToSign", "signature")

_HMAC_BYTES = 64  # HMAC-SHA512


@dataclass(frozen=True, repr=False)
class SignatureTrace:
    """Every stage of one signature computation.

    `minified_body` and `body_sha256` are None for the access-token signature.
    `string_to_sign` is the exact string signed; it contains the access token for the
    symmetric service signature, so `repr()` and `masked_string_to_sign` mask that segment.
    """

    kind: Kind
    string_to_sign: str
    signature: str
    encoding: Encoding
    minified_body: bytes | None = None
    body_sha256: str | None = None
    method: str | None = None
    path: str | None = None
    timestamp: str | None = None
    key_fingerprint: str | None = None
    _token: str | None = field(default=None, compare=False)

    @property
    def masked_string_to_sign(self) -> str:
        """The string to sign with the access-token segment masked."""
        if self._token:
            return self.string_to_sign.replace(f":{self._token}:", f":{mask(self._token)}:", 1)
        return self.string_to_sign

    @property
    def signature_bytes(self) -> bytes:
        """The raw signature bytes (decoded from base64 or hex)."""
        if self.encoding == "hex":
            return bytes.fromhex(self.signature)
        return base64.b64decode(self.signature)

    def stages(self, *, reveal_token: bool = False) -> dict[str, Any]:
        """The stages under the vectors' camelCase names (token masked unless asked)."""
        out: dict[str, Any] = {}
        if self.minified_body is not None:
            out["minifiedBody"] = self.minified_body.decode("utf-8", "backslashreplace")
            out["bodySha256"] = self.body_sha256
        out["stringToSign"] = self.string_to_sign if reveal_token else self.masked_string_to_sign
        out["signature"] = self.signature
        out["encoding"] = self.encoding
        return out

    def __repr__(self) -> str:
        body = None
        if self.minified_body is not None:
            body = f"<{len(self.minified_body)} bytes>"
        return (
            f"SignatureTrace(kind={self.kind!r}, minified_body={body}, "
            f"body_sha256={self.body_sha256!r}, string_to_sign={self.masked_string_to_sign!r}, "
            f"signature={self.signature!r}, encoding={self.encoding!r})"
        )


# --- primitives ------------------------------------------------------------------------


def encode_signature(raw: bytes, encoding: Encoding) -> str:
    """Encode raw signature bytes as base64 (Midtrans) or lowercase hex."""
    # SNAP: output encoding is not fixed by the standard; Midtrans uses base64, some
    # providers lowercase hex (snap-standard.md §1.2, §4.4).
    if encoding == "base64":
        return base64.b64encode(raw).decode("ascii")
    if encoding == "hex":
        return raw.hex()
    raise InputError(f"unknown signature encoding {encoding!r}", hint="Use 'base64' or 'hex'.")


def decode_signature(signature: str | bytes, expected_length: int) -> tuple[bytes, Encoding]:
    """Decode a presented signature, accepting base64 or hex (told apart by length).

    Raises:
        SignatureFormatError: empty, neither base64 nor hex, or the wrong length.
    """
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
    if len(text) == 2 * expected_length:
        try:
            return bytes.fromhex(text), "hex"
        except ValueError:
            pass
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise SignatureFormatError(
            f"signature ({len(text)} characters) is neither base64 nor hex"
        ) from err
    if len(raw) != expected_length:
        raise SignatureFormatError(
            f"signature decodes to {len(raw)} bytes; expected {expected_length}"
        )
    return raw, "base64"


def _secret_bytes(client_secret: str | Secret) -> bytes:
    value = reveal(client_secret)
    if not isinstance(value, str) or not value:
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
    return value.encode("utf-8")


def hmac_sha512(string_to_sign: str, client_secret: str | Secret) -> bytes:
    """HMAC-SHA512 of `string_to_sign` keyed with the client secret's UTF-8 bytes."""
    return hmac.new(
        _secret_bytes(client_secret), string_to_sign.encode("utf-8"), hashlib.sha512
    ).digest()


def rsa_sign(data: bytes, private_key: rsa.RSAPrivateKey) -> bytes:
    """SHA256withRSA: RSASSA-PKCS1-v1_5 over SHA-256."""
    # SNAP: SHA256withRSA (snap-standard.md §1.1) = RSASSA-PKCS1-v1_5 with SHA-256.
    return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def rsa_verify(signature: bytes, data: bytes, public_key: rsa.RSAPublicKey) -> bool:
    """True when `signature` is a SHA256withRSA signature of `data`."""
    try:
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _signing_key(private_key: PrivateKeyInput) -> rsa.RSAPrivateKey:
    key = load_private_key(private_key)
    check_signing_key(key)
    return key


def _verifying_key(public_key: PublicKeyInput) -> rsa.RSAPublicKey:
    key = load_public_key(public_key)
    check_verifying_key(key)
    return key


def _mismatch(
    trace: SignatureTrace, what: str, body: bytes | str | None = None, checked: bool = True
) -> SignatureMismatchError:
    if not checked:
        minify(body)  # a body that is not JSON is the better answer than "mismatch"
    return SignatureMismatchError(
        f"{what} signature does not match the request", stage="signature", trace=trace
    )


# --- access token ------------------------------------------------------------------------


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
        InputError: empty client key or timestamp.
    """
    key = _signing_key(private_key)
    string_to_sign = canonical.access_token_string(client_key, timestamp)
    raw = rsa_sign(string_to_sign.encode("utf-8"), key)
    return SignatureTrace(
        kind="access_token",
        string_to_sign=string_to_sign,
        signature=encode_signature(raw, encoding),
        encoding=encoding,
        timestamp=timestamp,
        key_fingerprint=fingerprint(key),
    )


def verify_access_token(
    *, client_key: str, timestamp: str, signature: str, public_key: PublicKeyInput
) -> SignatureTrace:
    """Verify an access-token request signature (what a provider or emulator does).

    Returns the trace of the verified signature.

    Raises:
        SignatureMismatchError: the signature is not over `clientKey|X-TIMESTAMP` with this key.
        SignatureFormatError: the signature is not base64/hex of the key's size.
    """
    key = _verifying_key(public_key)
    string_to_sign = canonical.access_token_string(client_key, timestamp)
    raw, encoding = decode_signature(signature, key.key_size // 8)
    trace = SignatureTrace(
        kind="access_token",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        timestamp=timestamp,
        key_fingerprint=fingerprint(key),
    )
    if not rsa_verify(raw, string_to_sign.encode("utf-8"), key):
        raise _mismatch(trace, "access-token")
    return trace


# --- symmetric service (HMAC-SHA512) ------------------------------------------------------


def _service_parts(
    method: str, path: str, body: bytes | str | None, include_query: bool, check_json: bool = True
) -> tuple[str, str, bytes, str]:
    minified = minify(body) if check_json else minify_unchecked(body)
    return (
        canonical.signed_method(method),
        canonical.signed_path(path, include_query=include_query),
        minified,
        canonical.body_sha256(minified),
    )


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
    """
    m, p, minified, digest = _service_parts(method, path, body, include_query)
    token = canonical.signed_token(access_token)
    string_to_sign = canonical.symmetric_string(
        method=m, path=p, access_token=token, body_sha256=digest, timestamp=timestamp
    )
    raw = hmac_sha512(string_to_sign, client_secret)
    return SignatureTrace(
        kind="service",
        string_to_sign=string_to_sign,
        signature=encode_signature(raw, encoding),
        encoding=encoding,
        minified_body=minified,
        body_sha256=digest,
        method=m,
        path=p,
        timestamp=timestamp,
        _token=token,
    )


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

    `check_json=False` skips the JSON check of a body that verifies (for callers that parse
    the body right after, like `NotificationVerifier`); a body that does not verify is still
    reported as `BodyNotJSONError` when it is not JSON.

    Raises:
        SignatureMismatchError: the signature does not match.
        SignatureFormatError: not base64/hex of 64 bytes.
        BodyNotJSONError: the body is not JSON.
    """
    m, p, minified, digest = _service_parts(method, path, body, include_query, check_json)
    token = canonical.signed_token(access_token)
    presented, encoding = decode_signature(signature, _HMAC_BYTES)
    string_to_sign = canonical.symmetric_string(
        method=m, path=p, access_token=token, body_sha256=digest, timestamp=timestamp
    )
    expected = hmac_sha512(string_to_sign, client_secret)
    trace = SignatureTrace(
        kind="service",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        minified_body=minified,
        body_sha256=digest,
        method=m,
        path=p,
        timestamp=timestamp,
        _token=token,
    )
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
    """
    key = _signing_key(private_key)
    m, p, minified, digest = _service_parts(method, path, body, include_query)
    string_to_sign = canonical.asymmetric_string(
        method=m, path=p, body_sha256=digest, timestamp=timestamp
    )
    raw = rsa_sign(string_to_sign.encode("utf-8"), key)
    return SignatureTrace(
        kind="service_asymmetric",
        string_to_sign=string_to_sign,
        signature=encode_signature(raw, encoding),
        encoding=encoding,
        minified_body=minified,
        body_sha256=digest,
        method=m,
        path=p,
        timestamp=timestamp,
        key_fingerprint=fingerprint(key),
    )


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
    key = _verifying_key(public_key)
    m, p, minified, digest = _service_parts(method, path, body, include_query, check_json)
    raw, encoding = decode_signature(signature, key.key_size // 8)
    string_to_sign = canonical.asymmetric_string(
        method=m, path=p, body_sha256=digest, timestamp=timestamp
    )
    trace = SignatureTrace(
        kind="service_asymmetric",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        minified_body=minified,
        body_sha256=digest,
        method=m,
        path=p,
        timestamp=timestamp,
        key_fingerprint=None,
    )
    if not rsa_verify(raw, string_to_sign.encode("utf-8"), key):
        raise _mismatch(trace, "SHA256withRSA service", body, check_json)
    return trace
