"""RSA keys in every form they arrive in, shown only as fingerprints.

`load_private_key` and `load_public_key` take PKCS#8 and PKCS#1 PEM, DER, the bare base64
body of either, PEM pasted with literal `\\n` escapes or CRLF line ends (as keys arrive from
environment variables), SPKI and `RSA PUBLIC KEY` public keys, X.509 certificates, and
password-protected private keys.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, cast

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap.errors import (
    InputError,
    InputTypeError,
    KeyFormatError,
    KeyStrengthWarning,
    KeyTooSmallError,
    NotPicklableError,
)

__all__ = [
    "MAX_GENERATED_KEY_BITS",
    "MIN_PARTNER_KEY_BITS",
    "KeyDescription",
    "KeyPair",
    "PrivateKeyInput",
    "PublicKeyInput",
    "describe_key",
    "fingerprint",
    "generate_key_pair",
    "keys_match",
    "load_private_key",
    "load_public_key",
    "private_key_to_pem",
    "public_key_to_pem",
]

# SNAP: Midtrans requires a merchant RSA key of at least 2048 bits, PKCS#8 PEM
# (midtrans-core.md §1.2); provider keys of 1024 bits exist (Winpay, snap-standard.md §4.3).
MIN_PARTNER_KEY_BITS = 2048

PrivateKeyInput = rsa.RSAPrivateKey | bytes | str | os.PathLike[str]
PublicKeyInput = (
    rsa.RSAPublicKey | rsa.RSAPrivateKey | x509.Certificate | bytes | str | os.PathLike[str]
)

# A str key that holds no PEM and fits on one line may be the path of a key file.
_PATH_MAX = 4096
_KEY_SUFFIXES = (".pem", ".key", ".der", ".crt", ".cer", ".pub", ".p8", ".txt")


def _key_data(data: object, what: str) -> bytes | str:
    """The key material of `data`: the text or bytes given, or a key file's bytes.

    `data` is PEM/DER/base64 text or bytes, a `pathlib.Path`, or a str naming an existing
    file. A str that looks like a path (a directory separator, a key-file suffix) but names
    no file is reported with the path, not as undecodable key text.

    Raises:
        InputTypeError: `data` is not bytes, str or a path.
        KeyFormatError: a path that is not a readable file.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    if isinstance(data, os.PathLike):
        return _read_key_file(os.fspath(data), what)
    if not isinstance(data, str):
        raise InputTypeError(
            f"the {what} must be PEM/DER text or bytes, a path or a key object, "
            f"not {type(data).__name__}",
            hint="Pass the PEM text, the DER bytes, or the key file's path.",
        )
    if "-----" in data or "\n" in data or len(data) > _PATH_MAX or not data.strip():
        return data
    candidate = data.strip()
    if "\n" in candidate:
        return data
    expanded = os.path.expanduser(candidate)
    try:
        is_file = os.path.isfile(expanded)
    except ValueError:  # an embedded NUL: not a path
        return data
    if is_file:
        return _read_key_file(expanded, what)
    if os.path.isdir(expanded):
        raise KeyFormatError(f"the {what} path {candidate!r} is a directory, not a key file")
    return data


def _looks_like_path(text: str) -> bool:
    text = text.strip()
    if not text or "\n" in text or len(text) > _PATH_MAX:
        return False
    return (
        text.startswith(("/", "./", "../", "~", ".\\"))
        or "\\" in text
        or text.lower().endswith(_KEY_SUFFIXES)
        or (os.sep in text and " " not in text and "." in text.rsplit(os.sep, 1)[-1])
    )


def _no_key_file(text: str, what: str) -> KeyFormatError:
    path = text.strip()
    return KeyFormatError(
        f"the {what} looks like a file path, but there is no file at {path!r}",
        hint="Check the path (relative paths start from the current directory), or pass the "
        "key's PEM text instead.",
    )


def _read_key_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as err:
        raise KeyFormatError(
            f"the {what} file {path!r} does not exist",
            hint="Check the path (relative paths start from the current directory).",
        ) from err
    except IsADirectoryError as err:
        raise KeyFormatError(f"the {what} path {path!r} is a directory, not a key file") from err
    except OSError as err:
        raise KeyFormatError(
            f"cannot read the {what} file {path!r} ({err.strerror})",
            hint="Check the file's permissions.",
        ) from err


# Concrete key classes already seen: `type(x) in set` is ~20x cheaper than the ABC
# isinstance check on every signature.
_PRIVATE_TYPES: set[type] = set()
_PUBLIC_TYPES: set[type] = set()

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


def _normalise(data: bytes | str) -> bytes:
    """Undo what environment variables and copy-paste do to a key."""
    if isinstance(data, str):
        text = data.strip().strip("'\"").strip()
        # Literal backslash-n sequences, as in KEY="-----BEGIN...\n...".
        text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\r", "\n")
        raw = text.encode("utf-8", "replace")
    else:
        raw = bytes(data)
        if raw.startswith(b"-----") or raw.lstrip().startswith(b"-----"):
            raw = raw.strip().replace(b"\\r\\n", b"\n").replace(b"\\n", b"\n")
    if b"-----BEGIN" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        match = _PEM_BLOCK.search(raw)
        if match is None:
            raise KeyFormatError("PEM text has a BEGIN line but no matching END line")
        label, body = match.group(1), match.group(2)
        headers_end = body.find(b"\n\n")
        if b"Proc-Type" in body and headers_end != -1:
            # Legacy encrypted PEM: keep its headers, rebuild the lines.
            return raw[match.start() : match.end()] + b"\n"
        b64 = re.sub(rb"\s+", b"", body)
        lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
        return (
            b"-----BEGIN "
            + label
            + b"-----\n"
            + b"\n".join(lines)
            + b"\n-----END "
            + label
            + b"-----\n"
        )
    return raw


def _der_from(raw: bytes) -> bytes | None:
    """Bytes that are DER already, or the bare base64 of DER."""
    if raw[:1] == b"\x30":
        return raw
    try:
        return base64.b64decode(re.sub(rb"\s+", b"", raw), validate=True)
    except (binascii.Error, ValueError):
        return None


def _password(password: bytes | str | None) -> bytes | None:
    if password is None or isinstance(password, bytes):
        return password
    if not isinstance(password, str):
        raise InputTypeError(f"a key password is bytes or str, not {type(password).__name__}")
    try:
        return password.encode("utf-8")
    except UnicodeEncodeError as err:
        raise KeyFormatError("the key password is not UTF-8 text") from err


def load_private_key(
    data: PrivateKeyInput, *, password: bytes | str | None = None
) -> rsa.RSAPrivateKey:
    """Load an RSA private key from any of the forms in the module docstring.

    Raises:
        KeyFormatError: not a key, a public key, not RSA, wrong or missing password.
    """
    if type(data) in _PRIVATE_TYPES:
        return data  # type: ignore[return-value]  # a concrete RSAPrivateKey type seen before
    if isinstance(data, rsa.RSAPrivateKey):
        _PRIVATE_TYPES.add(type(data))
        return data
    if isinstance(data, rsa.RSAPublicKey | x509.Certificate):
        raise KeyFormatError(
            "a public key was given where the private key is needed",
            hint="Signing needs your private key; the public key is what you register.",
        )
    material = _key_data(data, "private key")
    if password is None:
        return _load_private_cached(material)
    return _load_private(material, _password(password))


@functools.lru_cache(maxsize=32)
def _load_private_cached(data: bytes | str) -> rsa.RSAPrivateKey:
    return _load_private(data, None)


def _load_private(data: bytes | str, password: bytes | None) -> rsa.RSAPrivateKey:
    raw = _normalise(data)
    if not raw:
        raise KeyFormatError("the private key is empty")
    try:
        if raw.startswith(b"-----BEGIN"):
            label = raw.split(b"-----", 2)[1].decode("ascii", "replace")
            if "PUBLIC KEY" in label or "CERTIFICATE" in label:
                raise KeyFormatError(
                    f"this is a {label.removeprefix('BEGIN ').lower()}, not a private key",
                    hint="Signing needs your private key ('BEGIN PRIVATE KEY').",
                )
            key = serialization.load_pem_private_key(raw, password=password)
        else:
            der = _der_from(raw)
            if der is None:
                if isinstance(data, str) and _looks_like_path(data):
                    raise _no_key_file(data, "private key")
                raise KeyFormatError("the private key is neither PEM, DER nor base64 DER")
            key = serialization.load_der_private_key(der, password=password)
    except KeyFormatError:
        raise
    except TypeError as err:
        message = str(err).lower()
        if "password was not given" in message:
            raise KeyFormatError(
                "the private key is encrypted and no password was given",
                hint="Pass password=... (or --key-password-file on the CLI).",
            ) from err
        raise KeyFormatError(
            "a password was given but the private key is not encrypted",
            hint="Leave the password out for this key.",
        ) from err
    except ValueError as err:
        if password is not None and "password" in str(err).lower():
            raise KeyFormatError(
                "the password does not decrypt the private key",
                hint="Check the password (it was sent separately from the key).",
            ) from err
        raise KeyFormatError(
            "the private key could not be parsed (damaged PEM/DER, or not a private key)"
        ) from err
    except UnsupportedAlgorithm as err:
        raise KeyFormatError("the private key uses an unsupported algorithm") from err
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KeyFormatError(
            f"SNAP signs with RSA, but this is a {type(key).__name__} key",
            hint="Generate an RSA 2048 key: `bisnap keys generate`.",
        )
    return key


def load_public_key(data: PublicKeyInput) -> rsa.RSAPublicKey:
    """Load an RSA public key: SPKI or `RSA PUBLIC KEY` PEM/DER/base64, or a certificate.

    A private key is accepted too (its public half is used).

    Raises:
        KeyFormatError: not a key, not RSA, damaged.
    """
    if type(data) in _PUBLIC_TYPES:
        return data  # type: ignore[return-value]  # a concrete RSAPublicKey type seen before
    if isinstance(data, rsa.RSAPublicKey):
        _PUBLIC_TYPES.add(type(data))
        return data
    if isinstance(data, rsa.RSAPrivateKey):
        return data.public_key()
    if isinstance(data, x509.Certificate):
        return _rsa_public(data.public_key())
    return _load_public_cached(_key_data(data, "public key"))


@functools.lru_cache(maxsize=64)
def _load_public_cached(data: bytes | str) -> rsa.RSAPublicKey:
    raw = _normalise(data)
    if not raw:
        raise KeyFormatError("the public key is empty")
    try:
        if raw.startswith(b"-----BEGIN"):
            label = raw.split(b"-----", 2)[1].decode("ascii", "replace")
            if "CERTIFICATE" in label:
                return _rsa_public(x509.load_pem_x509_certificate(raw).public_key())
            if "PRIVATE KEY" in label:
                return _load_private(raw, None).public_key()
            return _rsa_public(serialization.load_pem_public_key(raw))
        der = _der_from(raw)
        if der is None:
            if isinstance(data, str) and _looks_like_path(data):
                raise _no_key_file(data, "public key")
            raise KeyFormatError("the public key is neither PEM, DER nor base64 DER")
        for loader in (_der_public, _der_certificate, _der_private_public):
            key = loader(der)
            if key is not None:
                return key
        raise KeyFormatError("the public key could not be parsed (damaged DER or base64)")
    except KeyFormatError:
        raise
    except (ValueError, UnsupportedAlgorithm, TypeError) as err:
        raise KeyFormatError("the public key could not be parsed (damaged PEM/DER)") from err


def _der_public(der: bytes) -> rsa.RSAPublicKey | None:
    try:
        return _rsa_public(serialization.load_der_public_key(der))
    except (ValueError, UnsupportedAlgorithm):
        return None


def _der_certificate(der: bytes) -> rsa.RSAPublicKey | None:
    try:
        return _rsa_public(x509.load_der_x509_certificate(der).public_key())
    except ValueError:
        return None


def _der_private_public(der: bytes) -> rsa.RSAPublicKey | None:
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return key.public_key() if isinstance(key, rsa.RSAPrivateKey) else None


def _rsa_public(key: object) -> rsa.RSAPublicKey:
    if not isinstance(key, rsa.RSAPublicKey):
        raise KeyFormatError(
            f"SNAP verifies RSA signatures, but this is a {type(key).__name__} key",
            hint="Use the provider's RSA public key (e.g. Midtrans: Dashboard > Access Keys).",
        )
    return key


def check_signing_key(key: rsa.RSAPrivateKey) -> None:
    """Refuse a partner private key under 2048 bits.

    Raises:
        KeyTooSmallError: the key is too small for SNAP providers.
    """
    if key.key_size < MIN_PARTNER_KEY_BITS:
        raise KeyTooSmallError(
            f"the private key has {key.key_size} bits; SNAP partners need at least "
            f"{MIN_PARTNER_KEY_BITS}"
        )


def check_verifying_key(key: rsa.RSAPublicKey) -> None:
    """Warn (`KeyStrengthWarning`) when a provider public key is under 2048 bits."""
    if key.key_size < MIN_PARTNER_KEY_BITS:
        warnings.warn(
            f"the public key has only {key.key_size} bits (SNAP partners use >= 2048); "
            "the signature is still verified",
            KeyStrengthWarning,
            stacklevel=3,
        )


def _spki_der(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> bytes:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def fingerprint(key: PublicKeyInput | rsa.RSAPrivateKey) -> str:
    """`SHA256:` + lowercase hex SHA-256 of the key's SPKI DER: how bisnap shows a key.

    For a private key, the fingerprint of its public half (so the two can be compared).
    """
    if type(key) in _PRIVATE_TYPES or isinstance(key, rsa.RSAPrivateKey):
        return _private_fingerprint(cast(rsa.RSAPrivateKey, key))
    resolved: rsa.RSAPublicKey | rsa.RSAPrivateKey
    if isinstance(key, bytes | str) and b"PRIVATE" in _normalise(key)[:40]:
        resolved = load_private_key(key)
    else:
        resolved = load_public_key(key)
    return "SHA256:" + hashlib.sha256(_spki_der(resolved)).hexdigest()


@functools.lru_cache(maxsize=32)
def _private_fingerprint(key: rsa.RSAPrivateKey) -> str:
    # Keyed by the key object (hashed by identity): signing with one loaded key pays the
    # SPKI encoding once, not per signature.
    return "SHA256:" + hashlib.sha256(_spki_der(key)).hexdigest()


def keys_match(private_key: PrivateKeyInput, public_key: PublicKeyInput) -> bool:
    """True when `public_key` is the public half of `private_key`."""
    return _spki_der(load_private_key(private_key)) == _spki_der(load_public_key(public_key))


def private_key_to_pem(key: rsa.RSAPrivateKey, *, pkcs1: bool = False) -> bytes:
    """PEM of a private key: PKCS#8 `PRIVATE KEY` (default) or PKCS#1 `RSA PRIVATE KEY`."""
    fmt = (
        serialization.PrivateFormat.TraditionalOpenSSL
        if pkcs1
        else serialization.PrivateFormat.PKCS8
    )
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def public_key_to_pem(key: rsa.RSAPublicKey | rsa.RSAPrivateKey, *, pkcs1: bool = False) -> bytes:
    """PEM of a public key: SPKI `PUBLIC KEY` (default) or PKCS#1 `RSA PUBLIC KEY`."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    fmt = (
        serialization.PublicFormat.PKCS1
        if pkcs1
        else serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.public_bytes(serialization.Encoding.PEM, fmt)


@dataclass(frozen=True, repr=False)
class KeyPair:
    """A generated key pair. Its repr shows the fingerprint only."""

    private_key: rsa.RSAPrivateKey

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        """The public half."""
        return self.private_key.public_key()

    def private_pem(self) -> bytes:
        """PKCS#8 PEM of the private key (keep it secret)."""
        return private_key_to_pem(self.private_key)

    def public_pem(self) -> bytes:
        """SPKI PEM of the public key: what Midtrans's credential exchange registers."""
        return public_key_to_pem(self.private_key)

    @property
    def fingerprint(self) -> str:
        """The public key's fingerprint."""
        return fingerprint(self.private_key)

    def __repr__(self) -> str:
        return f"KeyPair(bits={self.private_key.key_size}, fingerprint={self.fingerprint!r})"

    def __reduce__(self) -> NoReturn:
        raise NotPicklableError(
            "a KeyPair holds a private key and cannot be pickled; write private_pem() to a "
            "file with restricted permissions instead"
        )


#: The largest key `generate_key_pair` makes (bigger keys take minutes and no provider asks).
MAX_GENERATED_KEY_BITS = 8192


def generate_key_pair(bits: int = 2048) -> KeyPair:
    """Generate the RSA pair Midtrans's credential exchange asks for (2048 bits, e = 65537).

    Raises:
        KeyTooSmallError: `bits` under 2048.
        InputError: `bits` over 8192 (`MAX_GENERATED_KEY_BITS`).
        InputTypeError: `bits` is not an int.
    """
    if not isinstance(bits, int) or isinstance(bits, bool):
        raise InputTypeError(f"bits must be an int, not {type(bits).__name__}")
    if bits < MIN_PARTNER_KEY_BITS:
        raise KeyTooSmallError(f"{bits} bits is too small; SNAP partners need at least 2048")
    if bits > MAX_GENERATED_KEY_BITS:
        raise InputError(
            f"{bits} bits is more than bisnap generates (at most {MAX_GENERATED_KEY_BITS})",
            hint="Use 2048 (what SNAP providers ask for), 3072 or 4096.",
        )
    return KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=bits))


@dataclass(frozen=True)
class KeyDescription:
    """What a key file holds, without its material."""

    kind: str  # "private", "public" or "certificate"
    format: str  # "pkcs8", "pkcs1", "spki", "x509", "pkcs8-encrypted"
    encoding: str  # "pem", "der" or "base64"
    bits: int
    fingerprint: str


def describe_key(
    data: bytes | str | os.PathLike[str], *, password: bytes | str | None = None
) -> KeyDescription:
    """Tell what kind of key `data` is (format, size, fingerprint) without showing it.

    Raises:
        KeyFormatError: not a key bisnap can read.
    """
    raw = _normalise(_key_data(data, "key"))
    if raw.startswith(b"-----BEGIN"):
        encoding = "pem"
        label = raw.split(b"-----", 2)[1].decode("ascii", "replace").removeprefix("BEGIN ")
        fmt, kind = {
            "PRIVATE KEY": ("pkcs8", "private"),
            "ENCRYPTED PRIVATE KEY": ("pkcs8-encrypted", "private"),
            "RSA PRIVATE KEY": ("pkcs1", "private"),
            "PUBLIC KEY": ("spki", "public"),
            "RSA PUBLIC KEY": ("pkcs1", "public"),
            "CERTIFICATE": ("x509", "certificate"),
        }.get(label, ("unknown", "unknown"))
        if kind == "unknown":
            raise KeyFormatError(f"'{label}' is not a key bisnap reads")
    else:
        encoding = "der" if raw[:1] == b"\x30" else "base64"
        der = _der_from(raw)
        if der is None:
            raise KeyFormatError("not PEM, DER or base64 DER")
        fmt, kind = _sniff_der(der)
    if kind == "private":
        key: rsa.RSAPrivateKey | rsa.RSAPublicKey = load_private_key(raw, password=password)
    else:
        key = load_public_key(raw)
    return KeyDescription(kind, fmt, encoding, key.key_size, fingerprint(key))


def _sniff_der(der: bytes) -> tuple[str, str]:
    try:
        serialization.load_der_private_key(der, password=None)
    except TypeError:
        return "pkcs8-encrypted", "private"
    except (ValueError, UnsupportedAlgorithm):
        pass
    else:
        # PKCS#8 wraps an AlgorithmIdentifier (a SEQUENCE) after the version INTEGER.
        return (
            ("pkcs8", "private")
            if b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" in der[:32]
            else ("pkcs1", "private")
        )
    if _der_public(der) is not None:
        spki = b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" in der[:32]
        return ("spki" if spki else "pkcs1"), "public"
    if _der_certificate(der) is not None:
        return "x509", "certificate"
    raise KeyFormatError("the DER data is not a key or certificate bisnap reads")
