"""Notifications: signed with the provider key the emulator publishes, retried on schedule.

Signatures are checked with raw `cryptography` (not bisnap) against the public key from
`GET /_emulator/credentials`, and again with bisnap's NotificationVerifier.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap.clock import FixedClock
from bisnap.emulator import (
    RETRY_SCHEDULE,
    Emulator,
    EmulatorConfig,
    EmulatorCredentials,
    create_app,
)
from bisnap.emulator.caller import MerchantCaller
from bisnap.notifications import NotificationVerifier
from bisnap.timestamps import parse_timestamp
from tests.integration._merchant import PREFIX, START, Setup, emulator_and_merchant

pytestmark = pytest.mark.anyio

CREDS = EmulatorCredentials.generate()


async def _setup(scale: float = 1.0) -> AsyncIterator[Setup]:
    async with emulator_and_merchant(CREDS, retry_time_scale=scale) as value:
        yield value


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    async for value in _setup():
        yield value


def _published_key(credentials: dict[str, Any]) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(credentials["providerPublicKey"].encode())
    assert isinstance(key, rsa.RSAPublicKey)
    return key


def _verify_raw(key: rsa.RSAPublicKey, path: str, headers: dict[str, str], body: bytes) -> None:
    """SHA256withRSA over POST:path:sha256hex(minify(body)):X-TIMESTAMP, independently."""
    # The emulator sends compact JSON, so minify(body) is the body itself.
    digest = hashlib.sha256(body).hexdigest()
    string_to_sign = f"POST:{path}:{digest}:{headers['x-timestamp']}".encode()
    key.verify(
        base64.b64decode(headers["x-signature"]),
        string_to_sign,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


VA = {
    "partnerServiceId": "   70012",
    "customerNo": "0000000001",
    "virtualAccountNo": "   700120000000001",
    "virtualAccountName": "Budi",
    "trxId": "order-1",
    "totalAmount": {"value": "10000.00", "currency": "IDR"},
    "additionalInfo": {"bank": "bca", "merchantId": "G000000001"},
}


async def test_va_notification_is_signed_with_the_published_key(setup: Setup) -> None:
    await setup.call("create_va", VA)
    paid = await setup.client.post(
        "/_emulator/pay", json={"virtualAccountNo": VA["virtualAccountNo"]}
    )
    assert paid.json()["notification"]["delivered"] is True
    assert len(setup.merchant.received) == 1
    path, headers, body = setup.merchant.received[0]
    assert path == PREFIX + "/v1.0/transfer-va/payment"
    assert headers["content-type"] == "application/json"
    assert headers["x-partner-id"] == CREDS.partner_id
    assert headers["x-external-id"].isdigit()
    parse_timestamp(headers["x-timestamp"])
    published = (await setup.client.get("/_emulator/credentials")).json()
    _verify_raw(_published_key(published), "/v1.0/transfer-va/payment", headers, body)
    verifier = NotificationVerifier(
        public_key=published["providerPublicKey"], clock=setup.clock, path_prefix=PREFIX
    )
    notification = verifier.verify(method="POST", path=path, headers=headers, body=body)
    assert notification.payment_flag_status == "00"
    assert notification.virtual_account_no == VA["virtualAccountNo"]
    assert notification.trx_id == "order-1"


async def test_qris_and_debit_notifications(setup: Setup) -> None:
    key = _published_key((await setup.client.get("/_emulator/credentials")).json())
    money = {"value": "5000.00", "currency": "IDR"}
    qr = await setup.call(
        "qris_generate", {"partnerReferenceNo": "qr-1", "amount": money, "merchantId": "G1"}
    )
    await setup.client.post("/_emulator/pay", json={"referenceNo": qr["referenceNo"]})
    await setup.call(
        "debit_payment",
        {"partnerReferenceNo": "dd-1", "payOptionDetails": [{"transAmount": money}]},
    )
    await setup.client.post("/_emulator/pay", json={"partnerReferenceNo": "dd-1"})
    paths = [path for path, _, _ in setup.merchant.received]
    assert paths == [PREFIX + "/v1.0/qr/qr-mpm-notify", PREFIX + "/v1.0/debit/notify"]
    for path, headers, body in setup.merchant.received:
        _verify_raw(key, path.removeprefix(PREFIX), headers, body)


async def test_va_payment_intrabank_notifies_in_the_background(setup: Setup) -> None:
    await setup.call("create_va", VA)
    await setup.call(
        "va_payment_intrabank",
        {
            "partnerReferenceNo": "tf-1",
            "partnerServiceId": "00000000",
            "customerNo": "00000000",
            "virtualAccountNo": VA["virtualAccountNo"],
        },
    )
    await setup.emulator.drain()
    assert [p for p, _, _ in setup.merchant.received] == [PREFIX + "/v1.0/transfer-va/payment"]


async def test_retry_schedule_after_non_200(setup: Setup) -> None:
    setup.merchant.statuses = [500, 503, 404]  # three failures, then 200
    await setup.call("create_va", VA)
    paid = await setup.client.post(
        "/_emulator/pay", json={"virtualAccountNo": VA["virtualAccountNo"]}
    )
    assert paid.json()["notification"]["delivered"] is False
    await setup.emulator.drain()
    delivery = setup.emulator.notifier.deliveries[0]
    assert delivery.delivered
    assert [a.status_code for a in delivery.attempts] == [500, 503, 404, 200]
    assert setup.slept == [120.0, 600.0, 1800.0]
    received = setup.merchant.received
    assert len({h["x-external-id"] for _, h, _ in received}) == 1, "one dedup key"
    stamps = [parse_timestamp(h["x-timestamp"]) for _, h, _ in received]
    assert [b - a for a, b in itertools.pairwise(stamps)] == [
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
    ]
    key = _published_key((await setup.client.get("/_emulator/credentials")).json())
    for path, headers, body in received:
        _verify_raw(key, path.removeprefix(PREFIX), headers, body)
    state = (await setup.client.get("/_emulator/state")).json()
    assert state["deliveries"][0]["delivered"] is True
    assert len(state["deliveries"][0]["attempts"]) == 4


async def test_gives_up_after_five_retries(setup: Setup) -> None:
    setup.merchant.statuses = [500] * 10
    await setup.call("create_va", VA)
    await setup.client.post("/_emulator/pay", json={"virtualAccountNo": VA["virtualAccountNo"]})
    await setup.emulator.drain()
    delivery = setup.emulator.notifier.deliveries[0]
    assert delivery.gave_up and not delivery.delivered
    assert len(delivery.attempts) == 6
    assert [timedelta(seconds=s) for s in setup.slept] == list(RETRY_SCHEDULE)


async def test_schedule_compressed_by_time_scale() -> None:
    async for setup in _setup(scale=1 / 60):
        setup.merchant.statuses = [500] * 10
        await setup.call("create_va", VA)
        await setup.client.post("/_emulator/pay", json={"virtualAccountNo": VA["virtualAccountNo"]})
        await setup.emulator.drain()
        assert setup.slept == pytest.approx([2.0, 10.0, 30.0, 90.0, 210.0])


async def test_unreachable_merchant_counts_as_failure() -> None:
    clock = FixedClock(START)
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as notify_client:
        emulator = Emulator(
            EmulatorConfig(
                credentials=CREDS,
                clock=clock,
                notify_url="http://127.0.0.1:9",
                notify_client=notify_client,
                sleep=fake_sleep,
            )
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(emulator)),
            base_url="http://e",
            headers=emulator.admin_headers(),
        ) as client:
            caller = MerchantCaller(CREDS, clock)
            headers, body = caller.token_request()
            token = (
                await client.post("/v1.0/access-token/b2b", headers=headers, content=body)
            ).json()["accessToken"]
            headers, body = caller.service_request(
                "/v1.0/transfer-va/create-va", VA, access_token=token
            )
            await client.post("/v1.0/transfer-va/create-va", headers=headers, content=body)
            paid = await client.post(
                "/_emulator/pay", json={"virtualAccountNo": VA["virtualAccountNo"]}
            )
            assert paid.json()["notification"]["attempts"][0]["error"] == "ConnectError"
            await emulator.drain()
    assert len(slept) == 5
    assert emulator.notifier.deliveries[0].gave_up


async def test_no_notify_url_is_recorded(setup: Setup) -> None:
    await setup.client.post("/_emulator/notify-url", json={"url": None})
    await setup.call("create_va", VA)
    paid = await setup.client.post(
        "/_emulator/pay", json={"virtualAccountNo": VA["virtualAccountNo"]}
    )
    assert paid.json()["notification"]["gaveUp"] is True
    assert setup.merchant.received == []
