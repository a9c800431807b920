"""Legacy Midtrans signatures: Core API `signature_key` and Payouts `Iris-Signature`.

Expected values are computed here with raw `hashlib`; the docs sample's digest is checked
against the prefix and suffix the spec quotes (midtrans-core.md §6).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from bisnap import BisnapError, Secret, SignatureMismatchError
from bisnap.errors import BodyNotJSONError, InputError, SecretFormatError
from bisnap.legacy import (
    IRIS_SIGNATURE,
    core_signature_key,
    iris_signature,
    pay_account_signature_key,
    verify_core_notification,
    verify_iris_signature,
    verify_payout_notification,
)

SERVER_KEY = "askvnoibnosifnboseofinbofinfgbiufglnbfg"  # the docs sample (midtrans-core.md §6)
SENTINEL = "SENTINEL-server-key-91c3e0"
IRIS_KEY = "IRIS-merchant-d8709d85-19d6-39c4-7ff5-8eaf81ec31cd"


def sha512(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest()


def legacy_body(
    *, gross: str = '"100000.00"', key: str = SERVER_KEY, sig: str | None = None, **extra: str
) -> bytes:
    signature = sig or sha512(f"1111200{gross.strip(chr(34))}{key}".encode())
    fields = [
        '"transaction_status":"settlement"',
        '"order_id":"1111"',
        '"status_code":"200"',
        f'"gross_amount":{gross}',
        f'"signature_key":"{signature}"',
    ]
    fields += [f'"{k}":"{v}"' for k, v in extra.items()]
    return ("{\n  " + ",\n  ".join(fields) + "\n}").encode()


def test_docs_sample_matches_the_spec_digest() -> None:
    got = core_signature_key(
        order_id="1111", status_code="200", gross_amount="100000.00", server_key=SERVER_KEY
    )
    assert got == sha512(b"1111200100000.00" + SERVER_KEY.encode())
    assert got.startswith("edc076b2")
    assert got.endswith("c231")
    assert got == got.lower()
    assert len(got) == 128


def test_verify_core_notification_with_str_and_secret_keys() -> None:
    for key in (SERVER_KEY, Secret(SERVER_KEY)):
        body = verify_core_notification(legacy_body(), server_key=key)
        assert body["gross_amount"] == "100000.00"
        assert body["transaction_status"] == "settlement"


@pytest.mark.parametrize("gross", ["100000.00", "100000.0", "100000", "1.5e5"])
def test_number_gross_amount_keeps_its_spelling(gross: str) -> None:
    body = legacy_body(gross=gross)
    parsed = verify_core_notification(body, server_key=SERVER_KEY)
    assert str(parsed["gross_amount"]) == gross


def test_reformatted_amount_does_not_verify() -> None:
    # A signer that dropped the decimals (a bug seen in the wild) is rejected.
    wrong = sha512(f"1111200100000{SERVER_KEY}".encode())
    with pytest.raises(SignatureMismatchError):
        verify_core_notification(legacy_body(sig=wrong), server_key=SERVER_KEY)


def test_uppercase_presented_key_is_accepted() -> None:
    good = sha512(f"1111200100000.00{SERVER_KEY}".encode()).upper()
    verify_core_notification(legacy_body(sig=good), server_key=SERVER_KEY)


@pytest.mark.parametrize("key", [SENTINEL, Secret(SENTINEL)])
def test_mismatch_never_shows_the_server_key(key: str | Secret) -> None:
    with pytest.raises(SignatureMismatchError) as info:
        verify_core_notification(legacy_body(), server_key=key)
    for text in (str(info.value), repr(info.value), info.value.hint):
        assert SENTINEL not in text


@pytest.mark.parametrize(
    "body",
    [
        b'{"order_id":"1","status_code":"200","gross_amount":"1.00"}',
        b'{"order_id":"1","status_code":"200","gross_amount":"1.00","signature_key":5}',
    ],
)
def test_missing_signature_key(body: bytes) -> None:
    with pytest.raises(SignatureMismatchError):
        verify_core_notification(body, server_key=SERVER_KEY)


@pytest.mark.parametrize(
    "body",
    [
        b'{"status_code":"200","gross_amount":"1.00","signature_key":"ab"}',
        b'{"order_id":"1","status_code":true,"gross_amount":"1.00","signature_key":"ab"}',
    ],
)
def test_missing_or_odd_signed_field(body: bytes) -> None:
    with pytest.raises(InputError):
        verify_core_notification(body, server_key=SERVER_KEY)


@pytest.mark.parametrize("body", [b"order_id=1", b"[]", b""])
def test_not_a_json_object(body: bytes) -> None:
    with pytest.raises(BodyNotJSONError):
        verify_core_notification(body, server_key=SERVER_KEY)


@pytest.mark.parametrize("body", [{"order_id": "1"}, '{"order_id":"1"}'])
def test_body_must_be_raw_bytes(body: Any) -> None:
    with pytest.raises(InputError, match="raw request body bytes"):
        verify_core_notification(body, server_key=SERVER_KEY)


def test_empty_server_key() -> None:
    with pytest.raises(SecretFormatError):
        verify_core_notification(legacy_body(), server_key="")


def test_pay_account_notification() -> None:
    sig = sha512(f"acc-1ENABLED200{SERVER_KEY}".encode())
    raw = (
        b'{"account_id":"acc-1","account_status":"ENABLED","status_code":"200",'
        b'"signature_key":"' + sig.encode() + b'"}'
    )
    assert verify_core_notification(raw, server_key=SERVER_KEY)["account_id"] == "acc-1"
    assert (
        pay_account_signature_key(
            account_id="acc-1", account_status="ENABLED", status_code="200", server_key=SERVER_KEY
        )
        == sig
    )


# --- Payouts (Iris) ------------------------------------------------------------------------

PAYOUT = (
    b'{"reference_no":"a1b2c3d4e5","amount":"10000.00","status":"completed",'
    b'"updated_at":"2024-01-01T10:00:00+07:00","partner_reference_no":"2020102900000000000001"}'
)


def test_iris_signature_is_sha512_of_raw_body_plus_key() -> None:
    expected = sha512(PAYOUT + IRIS_KEY.encode())
    assert iris_signature(PAYOUT, merchant_key=IRIS_KEY) == expected
    assert iris_signature(PAYOUT, merchant_key=Secret(IRIS_KEY)) == expected
    verify_iris_signature(PAYOUT, signature=expected, merchant_key=IRIS_KEY)


@pytest.mark.parametrize("name", [IRIS_SIGNATURE, "iris-signature", "IRIS-SIGNATURE"])
def test_verify_payout_notification_any_header_case(name: str) -> None:
    sig = sha512(PAYOUT + IRIS_KEY.encode())
    body = verify_payout_notification(PAYOUT, headers={name: sig}, merchant_key=IRIS_KEY)
    assert body["amount"] == "10000.00"
    pairs = [("Content-Type", "application/json"), (name, sig)]
    assert verify_payout_notification(PAYOUT, headers=pairs, merchant_key=IRIS_KEY)


def test_iris_hashes_the_raw_bytes_not_the_json() -> None:
    sig = sha512(PAYOUT + IRIS_KEY.encode())
    pretty = PAYOUT.replace(b",", b", ")
    with pytest.raises(SignatureMismatchError):
        verify_payout_notification(pretty, headers={IRIS_SIGNATURE: sig}, merchant_key=IRIS_KEY)


def test_iris_is_not_hmac() -> None:
    import hmac

    mac = hmac.new(IRIS_KEY.encode(), PAYOUT, hashlib.sha512).hexdigest()
    with pytest.raises(SignatureMismatchError):
        verify_iris_signature(PAYOUT, signature=mac, merchant_key=IRIS_KEY)


@pytest.mark.parametrize("headers", [{}, {IRIS_SIGNATURE: ""}, {IRIS_SIGNATURE: "zz" * 64}])
def test_iris_missing_or_wrong_header(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureMismatchError):
        verify_payout_notification(PAYOUT, headers=headers, merchant_key=SENTINEL)


def test_iris_non_ascii_signature_is_a_mismatch() -> None:
    with pytest.raises(SignatureMismatchError):
        verify_iris_signature(PAYOUT, signature="é" * 128, merchant_key=IRIS_KEY)


def test_iris_errors_never_show_the_key() -> None:
    sig = sha512(PAYOUT + b"other")
    with pytest.raises(BisnapError) as info:
        verify_payout_notification(PAYOUT, headers={IRIS_SIGNATURE: sig}, merchant_key=SENTINEL)
    assert SENTINEL not in str(info.value) + repr(info.value) + info.value.hint
    with pytest.raises(SecretFormatError):
        iris_signature(PAYOUT, merchant_key=Secret(""))


def test_verified_payout_that_is_not_json() -> None:
    raw = b"status=completed"
    sig = sha512(raw + IRIS_KEY.encode())
    with pytest.raises(BodyNotJSONError):
        verify_payout_notification(raw, headers={IRIS_SIGNATURE: sig}, merchant_key=IRIS_KEY)
