"""Emulator completeness: linking and payout notifications, QRIS image and terminal, debit
payment details, debug ids on errors.

In-process: the emulator and a recording merchant on httpx.ASGITransport, a FixedClock.
Linking notifications are verified by bisnap's NotificationVerifier; payout notifications
by `bisnap.legacy.verify_payout_notification` and by an independent SHA-512.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bisnap.emulator import (
    LINKING_RETRY_SCHEDULE,
    EmulatorCredentials,
)
from bisnap.errors import SignatureMismatchError
from bisnap.legacy import verify_payout_notification
from bisnap.notifications import NotificationVerifier
from tests.integration._merchant import PREFIX, Merchant, Setup, emulator_and_merchant

pytestmark = pytest.mark.anyio

CREDS = EmulatorCredentials.generate(merchant_id="G000000042")
PAYOUTS = "/hooks/iris"
IRIS_KEY = "IRIS-merchant-test-d8709d85"
MONEY = {"value": "5000.00", "currency": "IDR"}


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    merchant = Merchant(answer=b'{"responseCode":"2008800"}')
    async with emulator_and_merchant(
        CREDS,
        merchant,
        payout_notify_url="http://merchant" + PAYOUTS,
        iris_merchant_key=IRIS_KEY,
    ) as value:
        yield value


def _verifier(setup: Setup) -> NotificationVerifier:
    return NotificationVerifier(
        public_key=CREDS.provider_public_key, clock=setup.clock, path_prefix=PREFIX
    )


# --- account linking -----------------------------------------------------------------------


async def test_binding_and_unbinding_send_verified_linking_notifications(setup: Setup) -> None:
    bound = await setup.call("account_binding", {"merchantId": "handle-1", "authCode": "a"})
    customer = bound["accessTokenInfo"]["accessToken"]
    await setup.emulator.drain()
    await setup.call("account_unbinding", {"merchantId": "handle-1"}, customer_token=customer)
    await setup.emulator.drain()
    assert setup.paths() == [PREFIX + "/v1.0/registration-account/notify"] * 2
    verifier = _verifier(setup)
    statuses = []
    for path, headers, body in setup.merchant.received:
        notification = verifier.verify(method="POST", path=path, headers=headers, body=body)
        assert notification.service_code == "88"
        info = notification.body["additionalInfo"]
        assert info["accessToken"] == customer
        assert info["merchantId"] == CREDS.merchant_id
        assert info["subMerchantId"] == "handle-1"
        assert info["paymentType"] == "gopay"
        statuses.append(info["accountStatus"])
    assert statuses == ["ENABLED", "DISABLED"]
    deliveries = setup.emulator.notifier.deliveries
    assert [d.name for d in deliveries] == ["account_linking_notify"] * 2
    assert all(d.delivered for d in deliveries)


async def test_linking_notifications_retry_at_20_40_80_ms(setup: Setup) -> None:
    setup.merchant.statuses = [500, 503, 500, 500]
    await setup.call("account_binding", {"merchantId": "handle-1", "authCode": "a"})
    await setup.emulator.drain()
    assert tuple(timedelta(milliseconds=m) for m in (20, 40, 80)) == LINKING_RETRY_SCHEDULE
    assert setup.slept == [0.02, 0.04, 0.08]
    (delivery,) = setup.emulator.notifier.deliveries
    assert len(delivery.attempts) == 4
    assert delivery.gave_up and not delivery.delivered


async def test_a_failed_binding_sends_nothing(setup: Setup) -> None:
    await setup.call("account_unbinding", {"merchantId": "m"}, expect="4010904")
    await setup.emulator.drain()
    assert setup.merchant.received == []


# --- payouts -------------------------------------------------------------------------------


def _transfer(ref: str, value: str = "25000.00") -> dict[str, Any]:
    return {
        "partnerReferenceNo": ref,
        "amount": {"value": value, "currency": "IDR"},
        "beneficiaryAccountNo": "1111222233333",
        "beneficiaryAccountName": "Mandiri Simulator A",
        "beneficiaryBankCode": "0080000",
        "remark": "payout",
        "sourceAccountNo": "0000000000",
        "transactionDate": "2024-03-05T10:00:00+07:00",
    }


async def test_every_transfer_sends_an_iris_signed_payout_notification(setup: Setup) -> None:
    intra = await setup.call("intrabank_transfer", _transfer("po-1"))
    inter = await setup.call("interbank_transfer", _transfer("po-2", "1000.50"))
    topup = await setup.call(
        "emoney_topup",
        {
            "partnerReferenceNo": "po-3",
            "customerNumber": "08123450000",
            "customerName": "Gopay Simulator A",
            "amount": MONEY,
            "notes": "top up",
        },
    )
    await setup.emulator.drain()
    assert setup.paths() == [PAYOUTS] * 3
    expected = [
        (intra["referenceNo"], "po-1", "25000.00"),
        (inter["referenceNo"], "po-2", "1000.50"),
        (topup["referenceNo"], "po-3", "5000.00"),
    ]
    for (_, headers, body), (reference, partner_ref, amount) in zip(
        setup.merchant.received, expected, strict=True
    ):
        assert "x-signature" not in headers
        # Independently: lowerhex(SHA-512(raw body + Iris merchant key)).
        assert headers["iris-signature"] == hashlib.sha512(body + IRIS_KEY.encode()).hexdigest()
        data = verify_payout_notification(body, headers=headers, merchant_key=IRIS_KEY)
        assert data == {
            "reference_no": reference,
            "amount": amount,
            "status": "completed",
            "updated_at": "2024-03-05T10:00:00+07:00",
            "partner_reference_no": partner_ref,
        }
        with pytest.raises(SignatureMismatchError):
            verify_payout_notification(body, headers=headers, merchant_key="IRIS-merchant-other")
    assert setup.emulator.iris_merchant_key.reveal() == IRIS_KEY


async def test_va_payment_sends_the_payout_and_the_va_notification(setup: Setup) -> None:
    va = {
        "partnerServiceId": "   70012",
        "customerNo": "0000000001",
        "virtualAccountNo": "   700120000000001",
        "virtualAccountName": "Budi",
        "trxId": "order-1",
        "totalAmount": {"value": "10000.00", "currency": "IDR"},
        "additionalInfo": {"bank": "bca", "merchantId": "G000000001"},
    }
    await setup.call("create_va", va)
    await setup.call(
        "va_payment_intrabank",
        {
            "partnerReferenceNo": "po-va",
            "partnerServiceId": va["partnerServiceId"],
            "customerNo": va["customerNo"],
            "virtualAccountNo": va["virtualAccountNo"],
        },
    )
    await setup.emulator.drain()
    assert sorted(setup.paths()) == sorted([PAYOUTS, PREFIX + "/v1.0/transfer-va/payment"])
    for path, headers, body in setup.merchant.received:
        if path == PAYOUTS:
            data = verify_payout_notification(body, headers=headers, merchant_key=IRIS_KEY)
            assert data["partner_reference_no"] == "po-va"
            assert data["amount"] == "10000.00"
        else:
            notification = _verifier(setup).verify(
                method="POST", path=path, headers=headers, body=body
            )
            assert notification.payment_flag_status == "00"


async def test_payout_notifications_wait_for_a_payout_url(setup: Setup) -> None:
    await setup.client.post("/_emulator/notify-url", json={"payoutUrl": None})
    await setup.call("intrabank_transfer", _transfer("po-9"))
    await setup.emulator.drain()
    assert setup.merchant.received == []
    (delivery,) = setup.emulator.notifier.deliveries
    assert delivery.gave_up
    assert delivery.attempts[0].error == "no payout notification URL registered"
    answer = await setup.client.post(
        "/_emulator/notify-url", json={"payoutUrl": "http://merchant" + PAYOUTS}
    )
    assert answer.json() == {
        "url": "http://merchant" + PREFIX,
        "payoutUrl": "http://merchant" + PAYOUTS,
    }
    await setup.call("intrabank_transfer", _transfer("po-10"))
    await setup.emulator.drain()
    assert setup.paths() == [PAYOUTS]


async def test_a_refused_transfer_sends_nothing(setup: Setup) -> None:
    await setup.call("intrabank_transfer", _transfer("big", "9000000000.00"), expect="4031714")
    await setup.emulator.drain()
    assert setup.merchant.received == []


# --- response fields -----------------------------------------------------------------------


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, size, idat = 8, (0, 0), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, chunk = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + chunk), kind
        if kind == b"IHDR":
            size = struct.unpack(">II", chunk[:8])
        if kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height = size
    assert len(zlib.decompress(idat)) == height * (width + 1)  # 8-bit grey, one filter byte
    return size


async def test_qris_generate_has_a_png_qr_image_and_query_a_terminal(setup: Setup) -> None:
    made = await setup.call(
        "qris_generate",
        {"partnerReferenceNo": "qr-1", "amount": MONEY, "merchantId": "G1", "terminalId": "T7"},
    )
    width, height = _png_size(base64.b64decode(made["qrImage"], validate=True))
    assert width == height > 0
    other = await setup.call(
        "qris_generate", {"partnerReferenceNo": "qr-2", "amount": MONEY, "merchantId": "G1"}
    )
    assert other["qrImage"] != made["qrImage"]
    for ref, terminal in ((made["referenceNo"], "T7"), (other["referenceNo"], "A01")):
        query = {"originalReferenceNo": ref, "merchantId": "G1", "serviceCode": "47"}
        status = await setup.call("qris_query", query)
        assert status["terminalId"] == terminal


async def test_debit_status_has_user_payment_details(setup: Setup) -> None:
    await setup.call(
        "debit_payment",
        {
            "partnerReferenceNo": "dd-1",
            "payOptionDetails": [
                {"payMethod": "GOPAY", "payOption": "PAY_LATER", "transAmount": MONEY}
            ],
        },
    )
    query = {"originalPartnerReferenceNo": "dd-1", "originalExternalId": "x", "serviceCode": "54"}
    before = await setup.call("debit_status", query)
    assert before["additionalInfo"]["userPaymentDetails"] == []
    await setup.client.post("/_emulator/pay", json={"partnerReferenceNo": "dd-1"})
    after = await setup.call("debit_status", query)
    assert after["latestTransactionStatus"] == "00"
    assert after["additionalInfo"]["userPaymentDetails"] == [
        {"payMethod": "GOPAY", "payOption": "PAY_LATER", "amount": MONEY}
    ]
    (_, _, body) = setup.merchant.received[0]
    notification = _verifier(setup).verify(
        method="POST",
        path=PREFIX + "/v1.0/debit/notify",
        headers=setup.merchant.received[0][1],
        body=body,
    )
    assert notification.body["additionalInfo"]["userPaymentDetails"] == [
        {"payMethod": "GOPAY", "payOption": "PAY_LATER", "amount": MONEY}
    ]


async def test_error_answers_carry_a_reference_no_debug_id(setup: Setup) -> None:
    seen = set()
    for _ in range(2):
        answer = await setup.call(
            "va_status",
            {
                "partnerServiceId": "   70012",
                "customerNo": "1",
                "virtualAccountNo": "   700121",
                "inquiryRequestId": "nope",
            },
            expect="4042601",
        )
        seen.add(str(uuid.UUID(answer["referenceNo"])))
    headers, body = setup.caller.token_request()
    headers["X-SIGNATURE"] = "A" * 344
    token = (
        await setup.client.post("/v1.0/access-token/b2b", headers=headers, content=body)
    ).json()
    assert token["responseCode"] == "4017300"
    seen.add(str(uuid.UUID(token["referenceNo"])))
    assert len(seen) == 3
    ok = await setup.call("balance_inquiry", {"accountNo": "0"})
    assert "referenceNo" not in ok
