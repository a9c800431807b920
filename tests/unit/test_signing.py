"""Signing and verification: expected values come from raw hashlib/hmac/cryptography."""

from __future__ import annotations

import base64
import hashlib
import hmac
import pickle
from functools import cache

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import bisnap
from bisnap import (
    InputError,
    SecretFormatError,
    SignatureFormatError,
    SignatureMismatchError,
)

TS = "2024-03-05T17:37:16+07:00"
TOKEN = "tok-SENTINEL-4f1c2b9a77e0d3c5"
SECRET = "secret-SENTINEL-9c8b7a6d5e4f"
BODY = b'{\n  "amount": {"value": "10000.00", "currency": "IDR"},\n  "note": "a / b"\n}'
MINIFIED = b'{"amount":{"value":"10000.00","currency":"IDR"},"note":"a / b"}'


@cache
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def raw_hmac(string: str, secret: str = SECRET) -> bytes:
    return hmac.new(secret.encode(), string.encode(), hashlib.sha512).digest()


def test_sign_service_every_stage() -> None:
    trace = bisnap.sign_service(
        method="post",
        path="/v1.0/x?b=2&a=1",
        body=BODY,
        timestamp=TS,
        access_token=TOKEN,
        client_secret=SECRET,
    )
    digest = hashlib.sha256(MINIFIED).hexdigest()
    string = f"POST:/v1.0/x?b=2&a=1:{TOKEN}:{digest}:{TS}"
    assert trace.minified_body == MINIFIED
    assert trace.body_sha256 == digest
    assert trace.string_to_sign == string
    assert trace.signature == base64.b64encode(raw_hmac(string)).decode()
    assert trace.signature_bytes == raw_hmac(string)
    hex_trace = bisnap.sign_service(
        method="POST",
        path="/v1.0/x?b=2&a=1",
        body=BODY,
        timestamp=TS,
        access_token=TOKEN,
        client_secret=SECRET,
        encoding="hex",
    )
    assert hex_trace.signature == raw_hmac(string).hex()


def test_include_query_false_signs_the_bare_path() -> None:
    trace = bisnap.sign_service(
        method="GET",
        path="/v1.0/x?a=1",
        body=None,
        timestamp=TS,
        access_token=TOKEN,
        client_secret=SECRET,
        include_query=False,
    )
    assert trace.string_to_sign == f"GET:/v1.0/x:{TOKEN}:{bisnap.EMPTY_BODY_SHA256}:{TS}"


def test_empty_body_hashes_the_empty_string() -> None:
    trace = bisnap.sign_service(
        method="GET",
        path="/v1.0/x",
        body=None,
        timestamp=TS,
        access_token=TOKEN,
        client_secret=SECRET,
    )
    assert trace.body_sha256 == hashlib.sha256(b"").hexdigest() == bisnap.EMPTY_BODY_SHA256


def test_verify_service_accepts_base64_and_hex() -> None:
    string = f"POST:/v1.0/x:{TOKEN}:{hashlib.sha256(MINIFIED).hexdigest()}:{TS}"
    for sig in (base64.b64encode(raw_hmac(string)).decode(), raw_hmac(string).hex()):
        trace = bisnap.verify_service(
            method="POST",
            path="/v1.0/x",
            body=BODY,
            timestamp=TS,
            access_token=TOKEN,
            client_secret=SECRET,
            signature=sig,
        )
        assert trace.string_to_sign == string


def test_verify_service_mismatch_raises_with_trace() -> None:
    string = f"POST:/v1.0/x:{TOKEN}:{hashlib.sha256(BODY).hexdigest()}:{TS}"  # pretty body
    with pytest.raises(SignatureMismatchError) as info:
        bisnap.verify_service(
            method="POST",
            path="/v1.0/x",
            body=BODY,
            timestamp=TS,
            access_token=TOKEN,
            client_secret=SECRET,
            signature=base64.b64encode(raw_hmac(string)).decode(),
        )
    err = info.value
    assert err.stage == "signature"
    assert isinstance(err.trace, bisnap.SignatureTrace)
    assert "bisnap explain" in err.hint
    for text in (str(err), repr(err), repr(err.trace)):
        assert TOKEN not in text and SECRET not in text


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("", "empty"),
        ("not base64 !!", "neither base64 nor hex"),
        (base64.b64encode(b"x" * 63).decode(), "63 bytes"),
        (base64.b64encode(b"x" * 65).decode(), "65 bytes"),
    ],
)
def test_malformed_signatures_are_bisnap_errors(signature: str, message: str) -> None:
    with pytest.raises(SignatureFormatError, match=message):
        bisnap.verify_service(
            method="POST",
            path="/v1.0/x",
            body=BODY,
            timestamp=TS,
            access_token=TOKEN,
            client_secret=SECRET,
            signature=signature,
        )


def test_bearer_token_is_refused() -> None:
    with pytest.raises(SecretFormatError, match="Bearer") as info:
        bisnap.sign_service(
            method="POST",
            path="/v1.0/x",
            body=BODY,
            timestamp=TS,
            access_token="Bearer " + TOKEN,
            client_secret=SECRET,
        )
    assert TOKEN not in str(info.value)


def test_pem_client_secret_is_refused() -> None:
    with pytest.raises(SecretFormatError, match="PEM"):
        bisnap.sign_service(
            method="POST",
            path="/v1.0/x",
            body=BODY,
            timestamp=TS,
            access_token=TOKEN,
            client_secret="-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----",
        )


@pytest.mark.parametrize("path", ["v1.0/x", "https://merchants.midtrans.com/v1.0/x", ""])
def test_path_must_be_relative(path: str) -> None:
    with pytest.raises(InputError, match="relative path"):
        bisnap.sign_service(
            method="POST",
            path=path,
            body=BODY,
            timestamp=TS,
            access_token=TOKEN,
            client_secret=SECRET,
        )


def test_access_token_signature_every_stage() -> None:
    trace = bisnap.sign_access_token(client_key="CK-1", timestamp=TS, private_key=key())
    expected = key().sign(f"CK-1|{TS}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert trace.string_to_sign == f"CK-1|{TS}"
    assert trace.signature == base64.b64encode(expected).decode()
    assert trace.minified_body is None and trace.body_sha256 is None
    assert (
        bisnap.verify_access_token(
            client_key="CK-1", timestamp=TS, signature=expected.hex(), public_key=key().public_key()
        ).encoding
        == "hex"
    )
    with pytest.raises(SignatureMismatchError):
        bisnap.verify_access_token(
            client_key="CK-2",
            timestamp=TS,
            signature=trace.signature,
            public_key=key().public_key(),
        )


def test_asymmetric_service_every_stage() -> None:
    trace = bisnap.sign_service_asymmetric(
        method="POST", path="/v1.0/debit/notify", body=BODY, timestamp=TS, private_key=key()
    )
    string = f"POST:/v1.0/debit/notify:{hashlib.sha256(MINIFIED).hexdigest()}:{TS}"
    assert trace.string_to_sign == string
    key().public_key().verify(
        base64.b64decode(trace.signature), string.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    verified = bisnap.verify_service_asymmetric(
        method="POST",
        path="/v1.0/debit/notify",
        body=MINIFIED,
        timestamp=TS,
        public_key=key().public_key(),
        signature=trace.signature,
    )
    assert verified.body_sha256 == trace.body_sha256


def test_weak_provider_key_verifies_with_a_warning() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    string = f"POST:/cb/v1.0/transfer-va/payment:{hashlib.sha256(MINIFIED).hexdigest()}:{TS}"
    sig = small.sign(string.encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.warns(bisnap.KeyStrengthWarning, match="1024"):
        bisnap.verify_service_asymmetric(
            method="POST",
            path="/cb/v1.0/transfer-va/payment",
            body=BODY,
            timestamp=TS,
            public_key=small.public_key(),
            signature=base64.b64encode(sig).decode(),
        )


def test_check_json_false_still_reports_non_json_on_mismatch() -> None:
    with pytest.raises(bisnap.BodyNotJSONError):
        bisnap.verify_service_asymmetric(
            method="POST",
            path="/x",
            body=b"a=1&b=2",
            timestamp=TS,
            public_key=key().public_key(),
            signature=base64.b64encode(b"\0" * 256).decode(),
            check_json=False,
        )


def test_trace_masks_the_token_and_is_frozen() -> None:
    trace = bisnap.sign_service(
        method="POST",
        path="/v1.0/x",
        body=BODY,
        timestamp=TS,
        access_token=bisnap.Secret(TOKEN),
        client_secret=bisnap.Secret(SECRET),
    )
    assert TOKEN in trace.string_to_sign  # the exact string, on request
    assert TOKEN not in trace.masked_string_to_sign
    assert TOKEN not in repr(trace) and SECRET not in repr(trace)
    assert TOKEN not in str(trace.stages())
    assert TOKEN in str(trace.stages(reveal_token=True))
    with pytest.raises(AttributeError):
        trace.signature = "x"  # type: ignore[misc]
    assert SECRET.encode() not in pickle.dumps(trace.stages())


def test_trace_replace_copies_with_changes_and_refuses_unknown_fields() -> None:
    trace = bisnap.sign_service(
        method="POST",
        path="/v1.0/x",
        body=b"{}",
        timestamp="2024-03-05T17:37:16+07:00",
        access_token="tok-123456789",
        client_secret="secret",
    )
    masked = trace.replace(string_to_sign="masked", _token=None)
    assert masked.string_to_sign == "masked"
    assert masked.signature == trace.signature
    assert trace.string_to_sign != "masked"
    with pytest.raises(bisnap.BisnapError) as info:
        trace.replace(nope=1)
    assert isinstance(info.value, TypeError)
