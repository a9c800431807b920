"""Round trips, and every one-byte change is rejected."""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

import bisnap
from bisnap.signing import decode_signature

settings.register_profile("bisnap", deadline=None, max_examples=150)
settings.load_profile("bisnap")

TS = "2024-03-05T17:37:16+07:00"


@cache
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


bodies = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none()),
    min_size=1,
    max_size=5,
).map(lambda d: json.dumps(d, indent=2, ensure_ascii=False).encode())
tokens = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789-_.", min_size=8, max_size=40
)
secrets_ = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=32)
paths = st.from_regex(r"/v1\.0/[a-z\-]{1,12}(\?[a-z]=[0-9])?", fullmatch=True)


def _flip(data: bytes, index: int) -> bytes:
    i = index % len(data)
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :]


@given(bodies, tokens, secrets_, paths)
def test_hmac_round_trip(body: bytes, token: str, secret: str, path: str) -> None:
    trace = bisnap.sign_service(
        method="POST", path=path, body=body, timestamp=TS, access_token=token, client_secret=secret
    )
    bisnap.verify_service(
        method="POST",
        path=path,
        body=body,
        timestamp=TS,
        access_token=token,
        client_secret=secret,
        signature=trace.signature,
    )


@given(
    bodies,
    tokens,
    secrets_,
    paths,
    st.integers(min_value=0),
    st.sampled_from(["body", "path", "timestamp", "token", "signature"]),
)
def test_hmac_one_byte_change_is_rejected(
    body: bytes, token: str, secret: str, path: str, index: int, what: str
) -> None:
    trace = bisnap.sign_service(
        method="POST", path=path, body=body, timestamp=TS, access_token=token, client_secret=secret
    )
    args: dict[str, Any] = dict(
        method="POST",
        path=path,
        body=body,
        timestamp=TS,
        access_token=token,
        client_secret=secret,
        signature=trace.signature,
    )
    if what == "body":
        # A change inside the minified content (whitespace changes are not changes).
        minified = trace.minified_body or b""
        changed = _flip(minified, index)
        try:
            json.loads(changed.decode("utf-8"))
        except ValueError:
            return  # no longer JSON: a different error, covered elsewhere
        args["body"] = changed
    elif what == "path":
        args["path"] = path + "x"
    elif what == "timestamp":
        args["timestamp"] = TS.replace("16+", "17+")
    elif what == "token":
        args["access_token"] = token[:-1] + ("a" if token[-1] != "a" else "b")
    else:
        raw = bytearray(trace.signature_bytes)
        raw[index % len(raw)] ^= 0x01
        args["signature"] = bytes(raw).hex()
    with pytest.raises(bisnap.SignatureMismatchError):
        bisnap.verify_service(**args)


@settings(max_examples=25)
@given(bodies, paths, st.integers(min_value=0), st.booleans())
def test_rsa_round_trip_and_change(body: bytes, path: str, index: int, flip_sig: bool) -> None:
    trace = bisnap.sign_service_asymmetric(
        method="POST", path=path, body=body, timestamp=TS, private_key=key()
    )
    bisnap.verify_service_asymmetric(
        method="POST",
        path=path,
        body=body,
        timestamp=TS,
        public_key=key().public_key(),
        signature=trace.signature,
    )
    if flip_sig:
        raw = bytearray(trace.signature_bytes)
        raw[index % len(raw)] ^= 0x80
        bad_sig, bad_path = bytes(raw).hex(), path
    else:
        bad_sig, bad_path = trace.signature, path.replace("/v1.0/", "/v1.1/")
    with pytest.raises(bisnap.SignatureMismatchError):
        bisnap.verify_service_asymmetric(
            method="POST",
            path=bad_path,
            body=body,
            timestamp=TS,
            public_key=key().public_key(),
            signature=bad_sig,
        )


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


@st.composite
def presented_signatures(draw: st.DrawFn) -> str:
    """Base64 of 256 bytes, often as sent, sometimes damaged in one place."""
    raw = draw(st.binary(min_size=254, max_size=258))
    text = base64.b64encode(raw).decode()
    change = draw(st.sampled_from(["none", "char", "drop", "add", "pad", "unicode"]))
    at = draw(st.integers(min_value=0, max_value=len(text) - 1))
    if change == "char":
        text = text[:at] + draw(st.sampled_from(_B64 + " \n-_.é")) + text[at + 1 :]
    elif change == "drop":
        text = text[:at] + text[at + 1 :]
    elif change == "add":
        text = text[:at] + draw(st.sampled_from(_B64)) + text[at:]
    elif change == "pad":
        text = text.rstrip("=") + draw(st.sampled_from(["", "=", "==", "==="]))
    elif change == "unicode":
        text = text[:at] + "\u0661" + text[at + 1 :]
    return text


def _outcome(signature: str) -> object:
    try:
        return decode_signature(signature, 256)
    except bisnap.SignatureFormatError as err:
        return type(err), str(err)


@settings(max_examples=1000)
@given(presented_signatures())
def test_signature_decoding_fast_path_agrees_with_the_careful_one(signature: str) -> None:
    # Surrounding whitespace always takes the careful path (it is stripped there); the
    # bare text takes the one-call path whenever its length is base64 of the key size.
    assert _outcome(signature) == _outcome(f" {signature}\n")
    result = _outcome(signature)
    if isinstance(result, tuple) and result[1] == "base64":
        assert base64.b64decode(signature, validate=True) == result[0]
