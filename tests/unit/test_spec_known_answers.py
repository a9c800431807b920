"""Known answers: every VERIFIED entry of shared/spec, through bisnap's public API.

Expected values are the published ones, copied from the spec files; nothing here is
computed by the function under test.
"""

from __future__ import annotations

from typing import Any

import pytest

import bisnap
from bisnap import canonical
from tests._spec import by_kind

MIDTRANS = "midtrans-vectors.json"
EXTERNAL = "external-vectors.json"


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [str(e.get("id") or e.get("source") or e.get("source_url"))[-60:] for e in entries]


TOKEN_ENTRIES = by_kind(MIDTRANS, "access_token_b2b_sha256withrsa") + by_kind(
    MIDTRANS, "access_token_signature_sha256withrsa"
)


def test_every_verified_entry_is_covered() -> None:
    kinds = {
        "access_token_b2b_sha256withrsa",
        "access_token_signature_sha256withrsa",
        "transaction_symmetric_hmac_sha512",
        "service_signature_hmac_sha512",
        "notification_signature_sha256withrsa_generate",
    }
    assert sum(len(by_kind(MIDTRANS, k)) for k in kinds) == 6
    assert len(by_kind(EXTERNAL, "body_hash_sha256_minified")) == 1
    assert len(by_kind(EXTERNAL, "notification_signature_sha256withrsa_verify")) == 1


@pytest.mark.parametrize("entry", TOKEN_ENTRIES, ids=_ids(TOKEN_ENTRIES))
def test_access_token_signature(entry: dict[str, Any]) -> None:
    inputs, expected = entry["inputs"], entry["expected"]
    pem = inputs.get("private_key_pem") or inputs["private_key_pem_pkcs8"]
    client_key = inputs.get("x_client_key") or inputs["client_key"]
    trace = bisnap.sign_access_token(
        client_key=client_key, timestamp=inputs["x_timestamp"], private_key=pem
    )
    assert trace.string_to_sign == inputs["string_to_sign"]
    assert trace.signature == expected["x_signature_base64"]
    public = expected.get("derived_public_key_pem") or inputs.get("public_key_pem")
    public = public or bisnap.load_private_key(pem).public_key()
    verified = bisnap.verify_access_token(
        client_key=client_key,
        timestamp=inputs["x_timestamp"],
        signature=expected["x_signature_base64"],
        public_key=public,
    )
    assert verified.encoding == "base64"
    if "x_signature_hex_reference" in expected:
        hex_sig = expected["x_signature_hex_reference"]
        assert (
            bisnap.sign_access_token(
                client_key=client_key,
                timestamp=inputs["x_timestamp"],
                private_key=pem,
                encoding="hex",
            ).signature
            == hex_sig
        )
        assert (
            bisnap.verify_access_token(
                client_key=client_key,
                timestamp=inputs["x_timestamp"],
                signature=hex_sig,
                public_key=public,
            ).encoding
            == "hex"
        )


def test_midtrans_docs_hmac_from_its_string_to_sign() -> None:
    (entry,) = by_kind(MIDTRANS, "transaction_symmetric_hmac_sha512")
    inputs, expected = entry["inputs"], entry["expected"]
    # The docs publish the body hash, not the body: build the string from the pieces.
    string_to_sign = canonical.symmetric_string(
        method=inputs["http_method"],
        path=inputs["endpoint_url"],
        access_token=inputs["access_token"],
        body_sha256=inputs["body_sha256_lower_hex"],
        timestamp=inputs["x_timestamp"],
    )
    assert string_to_sign == inputs["string_to_sign"]
    raw = bisnap.signing.hmac_sha512(string_to_sign, inputs["client_secret"])
    assert bisnap.signing.encode_signature(raw, "base64") == expected["x_signature_base64"]
    assert raw.hex() == expected["x_signature_hex_reference"]


def test_midtrans_demo_hmac_from_pretty_body() -> None:
    (entry,) = by_kind(MIDTRANS, "service_signature_hmac_sha512")
    inputs, expected = entry["inputs"], entry["expected"]
    trace = bisnap.sign_service(
        method=inputs["method"],
        path=inputs["path"],
        body=inputs["body_as_written"],
        timestamp=inputs["x_timestamp"],
        access_token=inputs["access_token"],
        client_secret=inputs["client_secret"],
    )
    assert trace.minified_body == inputs["body_minified"].encode()
    assert trace.body_sha256 == expected["body_sha256_hex"]
    assert trace.string_to_sign == expected["string_to_sign"]
    assert trace.signature == expected["x_signature_base64"]
    bisnap.verify_service(
        method=inputs["method"],
        path=inputs["path"],
        body=inputs["body_as_written"].encode(),
        timestamp=inputs["x_timestamp"],
        access_token=inputs["access_token"],
        client_secret=inputs["client_secret"],
        signature=expected["x_signature_base64"],
    )


def test_midtrans_demo_notification() -> None:
    (entry,) = by_kind(MIDTRANS, "notification_signature_sha256withrsa_generate")
    inputs, expected = entry["inputs"], entry["expected"]
    (token_entry,) = [
        e
        for e in by_kind(MIDTRANS, "access_token_signature_sha256withrsa")
        if "Demo" in e["source"]
    ]
    private = token_entry["inputs"]["private_key_pem_pkcs8"]
    trace = bisnap.sign_service_asymmetric(
        method=inputs["method"],
        path=inputs["path"],
        body=inputs["body_as_written"],
        timestamp=inputs["x_timestamp"],
        private_key=private,
    )
    assert trace.minified_body == inputs["body_minified"].encode()
    assert trace.body_sha256 == expected["body_sha256_hex"]
    assert trace.string_to_sign == expected["string_to_sign"]
    assert trace.signature == expected["x_signature_base64"]
    verified = bisnap.verify_service_asymmetric(
        method=inputs["method"],
        path=inputs["path"],
        body=inputs["body_as_written"].encode(),
        timestamp=inputs["x_timestamp"],
        public_key=inputs["public_key_pem"],
        signature=expected["x_signature_base64"],
    )
    assert verified.string_to_sign == expected["string_to_sign"]


def test_doku_body_hash() -> None:
    (entry,) = by_kind(EXTERNAL, "body_hash_sha256_minified")
    inputs, expected = entry["inputs"], entry["expected"]
    minified = bisnap.minify(inputs["body_pretty"])
    assert minified == inputs["body_minified"].encode()
    digest = canonical.body_sha256(minified)
    assert digest == expected["lowercase_hex_sha256_of_minified_body"]


def test_dana_notification() -> None:
    (entry,) = by_kind(EXTERNAL, "notification_signature_sha256withrsa_verify")
    inputs = entry["inputs"]
    assert entry["expected"]["signature_valid"] is True
    trace = bisnap.verify_service_asymmetric(
        method=inputs["http_method"],
        path=inputs["relative_path"],
        body=inputs["body"].encode(),
        timestamp=inputs["x_timestamp"],
        public_key=inputs["public_key_pem"],
        signature=inputs["x_signature_base64"],
    )
    # The body is already minified: minify must not touch the escaped quotes in extendInfo.
    assert trace.minified_body == inputs["body"].encode()
    with pytest.raises(bisnap.SignatureMismatchError):
        bisnap.verify_service_asymmetric(
            method=inputs["http_method"],
            path=inputs["relative_path"] + "x",
            body=inputs["body"].encode(),
            timestamp=inputs["x_timestamp"],
            public_key=inputs["public_key_pem"],
            signature=inputs["x_signature_base64"],
        )
