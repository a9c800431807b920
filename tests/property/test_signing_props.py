"""Round trips, and every one-byte change is rejected."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

import bisnap

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
