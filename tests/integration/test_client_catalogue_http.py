"""Every catalogue entry through SnapClient and AsyncSnapClient over real HTTP on 127.0.0.1.

One flow, written once as a generator of steps, is driven by a sync driver and an async
driver against a fresh emulator each (uvicorn in a thread). Each step names a client method
and a body; the driver calls it and sends the answer back into the flow, which asserts on
what the provider answered and moves on. The flow ends by checking that it called every
catalogue entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bisnap import AsyncSnapClient, SnapClient, SnapResponse
from bisnap.catalogue import ACCESS_TOKEN_B2B, CATALOGUE, by_name
from bisnap.emulator import EmulatorCredentials
from tests.integration._catalogue_flow import (
    ADMIN,
    Call,
    Flow,
    Pay,
    awalk,
    client_options,
    serve_emulator,
    walk,
)

CREDS = EmulatorCredentials.generate()
MID = CREDS.merchant_id
MONEY = {"value": "5000.00", "currency": "IDR"}


def _va(n: int, amount: str = "150000.00") -> dict[str, Any]:
    return {
        "partnerServiceId": "   70012",
        "customerNo": f"{n:010d}",
        "virtualAccountNo": f"   70012{n:010d}",
        "virtualAccountName": "Budi Santoso",
        "trxId": f"order-{n}",
        "totalAmount": {"value": amount, "currency": "IDR"},
        "additionalInfo": {"bank": "bca", "merchantId": MID},
    }


def _va_key(n: int, *, status: bool = False) -> dict[str, Any]:
    body = _va(n)
    out = {k: body[k] for k in ("partnerServiceId", "customerNo", "virtualAccountNo")}
    if status:
        out["inquiryRequestId"] = body["trxId"]
    else:
        out["trxId"] = body["trxId"]
    return out


def flow() -> Flow:
    """The whole catalogue, in an order the provider's state allows."""
    called: set[str] = set()

    def call(name: str, body: Any, **options: Any) -> Call:
        called.add(name)
        return Call(name, body, options)

    # Virtual account: create -> pending -> paid; another deleted.
    created = yield call("create_va", _va(1))
    assert created.body["virtualAccountData"]["trxId"] == "order-1"
    pending = yield call("va_status", _va_key(1, status=True))
    assert pending.body["virtualAccountData"]["paymentFlagStatus"] == "03"
    yield Pay({"virtualAccountNo": _va(1)["virtualAccountNo"]})
    paid = yield call("va_status", _va_key(1, status=True))
    assert paid.body["virtualAccountData"]["paymentFlagStatus"] == "00"
    yield call("create_va", _va(2))
    yield call("delete_va", _va_key(2))

    # QRIS: pending -> paid -> refunded; another canceled.
    qr = yield call(
        "qris_generate", {"partnerReferenceNo": "qr-1", "amount": MONEY, "merchantId": MID}
    )
    query = {"originalReferenceNo": qr.body["referenceNo"], "merchantId": MID, "serviceCode": "47"}
    assert (yield call("qris_query", query)).body["latestTransactionStatus"] == "03"
    yield Pay({"referenceNo": qr.body["referenceNo"]})
    assert (yield call("qris_query", query)).body["latestTransactionStatus"] == "00"
    yield call(
        "qris_refund",
        {
            "merchantId": MID,
            "originalPartnerReferenceNo": "qr-1",
            "originalReferenceNo": qr.body["referenceNo"],
            "partnerRefundNo": "rf-1",
            "refundAmount": MONEY,
        },
    )
    yield call("qris_generate", {"partnerReferenceNo": "qr-2", "amount": MONEY, "merchantId": MID})
    yield call(
        "qris_cancel",
        {"merchantId": MID, "reason": "changed mind", "originalPartnerReferenceNo": "qr-2"},
    )

    # Direct debit: initiated -> paid -> refunded; another canceled.
    option = [{"payMethod": "GOPAY", "payOption": "GOPAY", "transAmount": MONEY}]
    dd = yield call(
        "debit_payment",
        {"partnerReferenceNo": "dd-1", "merchantId": MID, "payOptionDetails": option},
    )
    status = {"originalReferenceNo": dd.body["referenceNo"], "serviceCode": "54"}
    assert (yield call("debit_status", status)).body["latestTransactionStatus"] == "01"
    yield Pay({"partnerReferenceNo": "dd-1"})
    yield call(
        "debit_refund",
        {
            "originalReferenceNo": dd.body["referenceNo"],
            "originalPartnerReferenceNo": "dd-1",
            "partnerRefundNo": "rf-2",
        },
    )
    assert (yield call("debit_status", status)).body["latestTransactionStatus"] == "04"
    dd2 = yield call(
        "debit_payment",
        {"partnerReferenceNo": "dd-2", "merchantId": MID, "payOptionDetails": option},
    )
    yield call(
        "debit_cancel",
        {"originalReferenceNo": dd2.body["referenceNo"], "originalPartnerReferenceNo": "dd-2"},
    )

    # Account linking and GoPay tokenization (B2B2C with the customer token).
    auth_url = yield call(
        "get_auth_code",
        {
            "redirectUrl": "https://merchant.example/back",
            "scopes": "DEFAULT",
            "state": "csrf-1",
            "merchantId": "uuid-1",
            "seamlessData": "x",
            "seamlessSign": "y",
        },
    )
    assert auth_url.status_code == 302 and "authCode=" in (auth_url.location or "")
    bound = yield call(
        "account_binding",
        {"merchantId": "uuid-1", "authCode": "abc", "grantType": "AUTHORIZATION_CODE"},
    )
    customer = bound.body["accessTokenInfo"]["accessToken"]
    b2b2c = {"customer_token": customer, "device_id": "android-1"}
    yield call("account_binding_inquiry", {}, **b2b2c)
    auth = yield call(
        "auth_payment",
        {"partnerReferenceNo": "au-1", "merchantId": MID, "amount": MONEY, "title": "Ride"},
        **b2b2c,
    )
    aq = {"originalReferenceNo": auth.body["referenceNo"]}
    assert (yield call("auth_query", aq)).body["latestTransactionStatus"] == "01"
    original = {
        "originalReferenceNo": auth.body["referenceNo"],
        "originalPartnerReferenceNo": "au-1",
    }
    yield call(
        "auth_capture",
        {**original, "merchantId": MID, "partnerCaptureNo": "cp-1", "captureAmount": MONEY},
    )
    yield call("auth_refund", {**original, "partnerRefundNo": "rf-3", "refundAmount": MONEY})
    assert (yield call("auth_query", aq)).body["latestTransactionStatus"] == "04"
    auth2 = yield call(
        "auth_payment",
        {"partnerReferenceNo": "au-2", "merchantId": MID, "amount": MONEY, "title": "Ride"},
        **b2b2c,
    )
    yield call(
        "auth_void",
        {
            "originalReferenceNo": auth2.body["referenceNo"],
            "originalPartnerReferenceNo": "au-2",
            "merchantId": MID,
            "partnerVoidNo": "vd-1",
        },
    )
    yield call("account_unbinding", {"merchantId": "uuid-1"}, **b2b2c)

    # Payouts: the balance moves by what was sent.
    before = yield call("balance_inquiry", {"accountNo": "0000000000"})
    yield call(
        "external_account_inquiry",
        {"beneficiaryBankCode": "0140246", "beneficiaryAccountNo": "0011223344"},
    )
    transfer = {
        "partnerReferenceNo": "tf-1",
        "amount": {"value": "100000.00", "currency": "IDR"},
        "beneficiaryAccountNo": "0011223344",
        "remark": "payout",
        "sourceAccountNo": "0000000000",
        "transactionDate": "2024-03-05T10:00:00+07:00",
    }
    yield call("intrabank_transfer", transfer)
    yield call(
        "interbank_transfer",
        {
            **transfer,
            "partnerReferenceNo": "tf-2",
            "beneficiaryAccountName": "Someone",
            "beneficiaryBankCode": "0020307",
        },
    )
    yield call("create_va", _va(3, amount="20000.00"))
    placeholder = {
        "partnerServiceId": "00000000",
        "customerNo": "00000000",
        "virtualAccountNo": _va(3)["virtualAccountNo"],
    }
    yield call(
        "va_inquiry_intrabank",
        {**placeholder, "additionalInfo": {"beneficiaryBankCode": "0130000"}},
    )
    yield call("va_payment_intrabank", {**placeholder, "partnerReferenceNo": "tf-3"})
    yield call(
        "emoney_account_inquiry",
        {
            "customerNumber": "08123450000",
            "amount": {"value": "1.00", "currency": "IDR"},
            "additionalInfo": {"beneficiaryProvider": "gopay"},
        },
    )
    yield call(
        "emoney_topup",
        {
            "partnerReferenceNo": "tf-4",
            "customerNumber": "08123450000",
            "customerName": "Gopay Simulator A",
            "amount": {"value": "50000.00", "currency": "IDR"},
            "notes": "top up",
        },
    )
    after = yield call("balance_inquiry", {"accountNo": "0000000000"})
    moved = float(before.body["accountInfos"][0]["amount"]["value"]) - float(
        after.body["accountInfos"][0]["amount"]["value"]
    )
    assert moved == 270000.0  # 100000 + 100000 + 20000 + 50000
    found = yield call(
        "transfer_status", {"originalPartnerReferenceNo": "tf-1", "serviceCode": "17"}
    )
    assert found.body["amount"]["value"] == "100000.00"

    # Reporting: what happened.
    listed = yield call("transaction_history_list", {"pageSize": 50})
    item = next(
        i for i in listed.body["detailData"] if i["additionalInfo"]["partnerReferenceNo"] == "tf-1"
    )
    yield call(
        "transaction_history_detail",
        {
            "originalPartnerReferenceNo": "tf-1",
            "additionalInfo": {"referenceNo": item["additionalInfo"]["referenceNo"]},
        },
    )
    return called


def _check(step: Call, answer: SnapResponse) -> None:
    endpoint = by_name(step.name)
    if endpoint.host == "app":
        return  # a 302 redirect, checked in the flow
    assert answer.code.code == endpoint.success_code, (step.name, answer.code, answer.message)
    assert answer.status_code == 200
    assert answer.trace is not None and answer.trace.path == endpoint.path


def _everything(called: set[str]) -> None:
    assert called == {e.name for e in CATALOGUE if e is not ACCESS_TOKEN_B2B}


@pytest.fixture
def provider() -> Iterator[str]:
    """A fresh emulator on a free loopback port."""
    with serve_emulator(CREDS) as url:
        yield url


def test_sync_client_calls_every_catalogue_entry(provider: str) -> None:
    with (
        SnapClient(**client_options(provider, CREDS)) as client,
        httpx.Client(base_url=provider, headers=ADMIN) as admin,
    ):
        _everything(walk(flow(), client, admin, _check))


@pytest.mark.anyio
async def test_async_client_calls_every_catalogue_entry(provider: str) -> None:
    async with (
        AsyncSnapClient(**client_options(provider, CREDS)) as client,
        httpx.AsyncClient(base_url=provider, headers=ADMIN) as admin,
    ):
        _everything(await awalk(flow(), client, admin, _check))
