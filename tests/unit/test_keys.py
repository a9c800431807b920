"""Keys arrive in many forms; every one loads, and only fingerprints are shown."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

import bisnap
from bisnap import KeyFormatError, KeyTooSmallError
from bisnap.keys import describe_key, fingerprint, keys_match, load_private_key, load_public_key

Enc = serialization.Encoding
PrivFmt = serialization.PrivateFormat
PubFmt = serialization.PublicFormat


@cache
def _key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _spki_fp(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(Enc.DER, PubFmt.SubjectPublicKeyInfo)
    return "SHA256:" + hashlib.sha256(der).hexdigest()


def _private_forms(key: rsa.RSAPrivateKey) -> dict[str, bytes | str]:
    pkcs8 = key.private_bytes(Enc.PEM, PrivFmt.PKCS8, serialization.NoEncryption())
    pkcs1 = key.private_bytes(Enc.PEM, PrivFmt.TraditionalOpenSSL, serialization.NoEncryption())
    der8 = key.private_bytes(Enc.DER, PrivFmt.PKCS8, serialization.NoEncryption())
    der1 = key.private_bytes(Enc.DER, PrivFmt.TraditionalOpenSSL, serialization.NoEncryption())
    return {
        "pkcs8-pem": pkcs8,
        "pkcs1-pem": pkcs1,
        "pkcs8-pem-str": pkcs8.decode(),
        "pkcs8-der": der8,
        "pkcs1-der": der1,
        "pkcs8-bare-base64": base64.b64encode(der8).decode(),
        "pkcs1-bare-base64": base64.b64encode(der1),
        "escaped-newlines": pkcs8.decode().replace("\n", "\\n"),
        "crlf": pkcs1.replace(b"\n", b"\r\n"),
        "quoted-env": '"' + pkcs8.decode().replace("\n", "\\n") + '"',
        "one-line-body": pkcs8.decode()
        .replace("\n", " ")
        .replace("-----BEGIN PRIVATE KEY----- ", "-----BEGIN PRIVATE KEY-----\n"),
    }


def _certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bisnap test")])
    now = datetime(2024, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def _public_forms(key: rsa.RSAPrivateKey) -> dict[str, bytes | str | object]:
    pub = key.public_key()
    spki = pub.public_bytes(Enc.PEM, PubFmt.SubjectPublicKeyInfo)
    pkcs1 = pub.public_bytes(Enc.PEM, PubFmt.PKCS1)
    der = pub.public_bytes(Enc.DER, PubFmt.SubjectPublicKeyInfo)
    cert = _certificate(key)
    return {
        "spki-pem": spki,
        "rsa-public-key-pem": pkcs1,
        "spki-der": der,
        "spki-bare-base64": base64.b64encode(der).decode(),
        "pkcs1-der": pub.public_bytes(Enc.DER, PubFmt.PKCS1),
        "escaped": spki.decode().replace("\n", "\\n"),
        "crlf": spki.replace(b"\n", b"\r\n"),
        "certificate-pem": cert.public_bytes(Enc.PEM),
        "certificate-der": cert.public_bytes(Enc.DER),
        "certificate-object": cert,
        "private-key-pem": key.private_bytes(Enc.PEM, PrivFmt.PKCS8, serialization.NoEncryption()),
    }


@pytest.mark.parametrize("form", sorted(_private_forms(_key())))
def test_private_key_forms(form: str) -> None:
    key = _key()
    loaded = load_private_key(_private_forms(key)[form])
    assert loaded.private_numbers() == key.private_numbers()


@pytest.mark.parametrize("form", sorted(_public_forms(_key())))
def test_public_key_forms(form: str) -> None:
    key = _key()
    loaded = load_public_key(_public_forms(key)[form])  # type: ignore[arg-type]
    assert loaded.public_numbers() == key.public_key().public_numbers()


def test_password_protected_private_key() -> None:
    key = _key()
    pem = key.private_bytes(Enc.PEM, PrivFmt.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    assert load_private_key(pem, password="pw").private_numbers() == key.private_numbers()
    with pytest.raises(KeyFormatError, match="encrypted and no password"):
        load_private_key(pem)
    with pytest.raises(KeyFormatError, match="password does not decrypt"):
        load_private_key(pem, password="wrong")
    plain = key.private_bytes(Enc.PEM, PrivFmt.PKCS8, serialization.NoEncryption())
    with pytest.raises(KeyFormatError, match="not encrypted"):
        load_private_key(plain, password="pw")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "not a key",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        b"-----BEGIN PRIVATE KEY-----\nMIIE",
        "QUJD",
    ],
)
def test_garbage_private_keys_are_key_format_errors(data: bytes | str) -> None:
    with pytest.raises(KeyFormatError) as info:
        load_private_key(data)
    assert info.value.hint


def test_public_key_where_private_is_needed() -> None:
    spki = _key().public_key().public_bytes(Enc.PEM, PubFmt.SubjectPublicKeyInfo)
    with pytest.raises(KeyFormatError, match="not a private key"):
        load_private_key(spki)
    with pytest.raises(KeyFormatError, match="public key was given"):
        load_private_key(_key().public_key())  # type: ignore[arg-type]


def test_non_rsa_keys_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    pem = ec_key.private_bytes(Enc.PEM, PrivFmt.PKCS8, serialization.NoEncryption())
    with pytest.raises(KeyFormatError, match="RSA"):
        load_private_key(pem)
    pub = ec_key.public_key().public_bytes(Enc.PEM, PubFmt.SubjectPublicKeyInfo)
    with pytest.raises(KeyFormatError, match="RSA"):
        load_public_key(pub)


def test_small_partner_key_is_refused_for_signing() -> None:
    small = _key(1024)
    with pytest.raises(KeyTooSmallError):
        bisnap.sign_access_token(
            client_key="c", timestamp="2024-01-01T00:00:00+07:00", private_key=small
        )
    with pytest.raises(KeyTooSmallError):
        bisnap.generate_key_pair(1024)


def test_fingerprint_is_sha256_of_spki() -> None:
    key = _key()
    assert fingerprint(key) == _spki_fp(key)
    assert fingerprint(key.public_key()) == _spki_fp(key)
    assert fingerprint(_public_forms(key)["rsa-public-key-pem"]) == _spki_fp(key)  # type: ignore[arg-type]
    assert fingerprint(_private_forms(key)["pkcs1-pem"]) == _spki_fp(key)


def test_keys_match() -> None:
    assert keys_match(_key(), _key().public_key())
    assert not keys_match(_key(), _key(3072).public_key())


def test_describe_key() -> None:
    key = _key()
    forms = _private_forms(key)
    d = describe_key(forms["pkcs1-pem"])
    assert (d.kind, d.format, d.encoding, d.bits) == ("private", "pkcs1", "pem", 2048)
    assert d.fingerprint == _spki_fp(key)
    d = describe_key(forms["pkcs8-der"])
    assert (d.kind, d.format, d.encoding) == ("private", "pkcs8", "der")
    pub = _public_forms(key)
    assert describe_key(pub["spki-pem"]).format == "spki"  # type: ignore[arg-type]
    assert describe_key(pub["rsa-public-key-pem"]).format == "pkcs1"  # type: ignore[arg-type]
    assert describe_key(pub["certificate-pem"]).kind == "certificate"  # type: ignore[arg-type]
    assert describe_key(pub["spki-bare-base64"]).encoding == "base64"  # type: ignore[arg-type]


def test_generated_pair_is_what_midtrans_asks_for() -> None:
    pair = bisnap.generate_key_pair()
    assert pair.private_key.key_size == 2048
    assert pair.private_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pair.public_pem().startswith(b"-----BEGIN PUBLIC KEY-----")
    loaded = serialization.load_pem_public_key(pair.public_pem())
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.public_numbers().e == 65537
    assert "PRIVATE" not in repr(pair) and pair.fingerprint in repr(pair)
