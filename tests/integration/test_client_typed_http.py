"""Every catalogue entry called with its typed request, over real HTTP on 127.0.0.1.

The same flow (a generator of steps) is driven through `SnapClient` and `AsyncSnapClient`
against a fresh emulator each. Every request is a `bisnap.models` object; every answer is
read through `.data`, the endpoint's response model. Then the history is walked page by
page, and notifications are verified and confirmed by a status query.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from bisnap import AsyncSnapClient, SnapClient
from bisnap import models as m
from bisnap.catalogue import ACCESS_TOKEN_B2B, CATALOGUE, by_name
from bisnap.clock import JAKARTA, FixedClock
from bisnap.emulator import EmulatorCredentials
from bisnap.errors import RequestValidationError, VerificationError
from bisnap.http.typed import TypedResponse
from bisnap.keys import public_key_to_pem
from bisnap.notifications import NotificationVerifier
from bisnap.signing import sign_service_asymmetric
from bisnap.timestamps import format_timestamp
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


def money(value: str) -> m.Amount:
    return m.Amount(value=value, currency="IDR")


def _va(n: int, amount: str = "150000.00") -> m.CreateVaRequest:
    return m.CreateVaRequest(
        partner_service_id="   70012",
        customer_no=f"{n:010d}",
        virtual_account_no=f"   70012{n:010d}",
        virtual_account_name="Budi Santoso",
        trx_id=f"order-{n}",
        total_amount=money(amount),
        additional_info=m.CreateVaAdditionalInfo(merchant_id=MID, bank="bca"),
    )


def flow() -> Flow:
    """The whole catalogue with typed requests, in an order the provider's state allows."""
    called: set[str] = set()

    def call(name: str, body: m.Model, **options: Any) -> Call:
        called.add(name)
        return Call(name, body, options)

    va1 = _va(1)
    created: TypedResponse[m.CreateVaResponse] = yield call("create_va", va1)
    assert created.data.virtual_account_data is not None
    assert created.data.virtual_account_data.trx_id == "order-1"
    status = m.VaStatusRequest(
        partner_service_id=va1.partner_service_id,
        customer_no=va1.customer_no,
        virtual_account_no=va1.virtual_account_no,
        inquiry_request_id=va1.trx_id,
    )
    pending: TypedResponse[m.VaStatusResponse] = yield call("va_status", status)
    assert pending.data.virtual_account_data is not None
    assert pending.data.virtual_account_data.payment_flag_status == "03"
    yield Pay({"virtualAccountNo": va1.virtual_account_no})
    paid: TypedResponse[m.VaStatusResponse] = yield call("va_status", status)
    assert paid.data.virtual_account_data is not None
    assert paid.data.virtual_account_data.payment_flag_status == "00"
    va2 = _va(2)
    yield call("create_va", va2)
    yield call(
        "delete_va",
        m.DeleteVaRequest(
            partner_service_id=va2.partner_service_id,
            customer_no=va2.customer_no,
            virtual_account_no=va2.virtual_account_no,
            trx_id=va2.trx_id,
        ),
    )

    qr: TypedResponse[m.QrisGenerateResponse] = yield call(
        "qris_generate",
        m.QrisGenerateRequest(
            partner_reference_no="qr-1", amount=money("5000.00"), merchant_id=MID
        ),
    )
    assert qr.data.reference_no and qr.data.qr_content
    query = m.QrisQueryRequest(
        original_reference_no=qr.data.reference_no, service_code="47", merchant_id=MID
    )
    before: TypedResponse[m.QrisQueryResponse] = yield call("qris_query", query)
    assert before.data.latest_transaction_status == "03"
    yield Pay({"referenceNo": qr.data.reference_no})
    after: TypedResponse[m.QrisQueryResponse] = yield call("qris_query", query)
    assert after.data.latest_transaction_status == "00" and after.data.amount == money("5000.00")
    refund: TypedResponse[m.QrisRefundResponse] = yield call(
        "qris_refund",
        m.QrisRefundRequest(
            merchant_id=MID,
            original_partner_reference_no="qr-1",
            original_reference_no=qr.data.reference_no,
            partner_refund_no="rf-1",
            refund_amount=money("5000.00"),
        ),
    )
    assert refund.data.refund_amount == money("5000.00")
    yield call(
        "qris_generate",
        m.QrisGenerateRequest(
            partner_reference_no="qr-2", amount=money("5000.00"), merchant_id=MID
        ),
    )
    yield call(
        "qris_cancel",
        m.QrisCancelRequest(
            merchant_id=MID, reason="changed mind", original_partner_reference_no="qr-2"
        ),
    )

    option = m.PayOptionDetail(
        pay_method="GOPAY", pay_option="GOPAY", trans_amount=money("5000.00")
    )
    dd: TypedResponse[m.DebitPaymentResponse] = yield call(
        "debit_payment",
        m.DebitPaymentRequest(
            partner_reference_no="dd-1", merchant_id=MID, pay_option_details=[option]
        ),
    )
    assert dd.data.web_redirect_url and dd.data.reference_no
    dd_status = m.DebitStatusRequest(original_reference_no=dd.data.reference_no, service_code="54")
    initiated: TypedResponse[m.DebitStatusResponse] = yield call("debit_status", dd_status)
    assert initiated.data.latest_transaction_status == "01"
    yield Pay({"partnerReferenceNo": "dd-1"})
    yield call(
        "debit_refund",
        m.DebitRefundRequest(
            original_reference_no=dd.data.reference_no,
            original_partner_reference_no="dd-1",
            partner_refund_no="rf-2",
        ),
    )
    refunded: TypedResponse[m.DebitStatusResponse] = yield call("debit_status", dd_status)
    assert refunded.data.latest_transaction_status == "04"
    dd2: TypedResponse[m.DebitPaymentResponse] = yield call(
        "debit_payment",
        m.DebitPaymentRequest(
            partner_reference_no="dd-2", merchant_id=MID, pay_option_details=[option]
        ),
    )
    yield call(
        "debit_cancel",
        m.DebitCancelRequest(
            original_reference_no=dd2.data.reference_no, original_partner_reference_no="dd-2"
        ),
    )

    # Account linking: seamlessSign left out, the client signs seamlessData with its key.
    auth_url: TypedResponse[m.GetAuthCodeResponse] = yield call(
        "get_auth_code",
        m.GetAuthCodeRequest(
            redirect_url="https://merchant.example/back",
            scopes="DEFAULT",
            state="csrf-1",
            merchant_id="uuid-1",
            seamless_data="mobileNumber=62822999999&paymentType=gopay",
        ),
    )
    assert auth_url.status_code == 302
    assert auth_url.data.state == "csrf-1" and auth_url.data.auth_code
    bound: TypedResponse[m.AccountBindingResponse] = yield call(
        "account_binding",
        m.AccountBindingRequest(
            merchant_id="uuid-1", auth_code=auth_url.data.auth_code, grant_type="AUTHORIZATION_CODE"
        ),
    )
    assert bound.data.access_token_info is not None
    customer = bound.data.access_token_info.access_token
    b2b2c = {"customer_token": customer, "device_id": "android-1"}
    inquiry: TypedResponse[m.AccountBindingInquiryResponse] = yield call(
        "account_binding_inquiry", m.AccountBindingInquiryRequest(), **b2b2c
    )
    assert inquiry.data.additional_info is not None
    (wallet,) = inquiry.data.additional_info.payment_options or []
    assert wallet.name == "GOPAY_WALLET" and wallet.balance is not None
    auth: TypedResponse[m.AuthPaymentResponse] = yield call(
        "auth_payment",
        m.AuthPaymentRequest(
            partner_reference_no="au-1", merchant_id=MID, amount=money("5000.00"), title="Ride"
        ),
        **b2b2c,
    )
    aq = m.AuthQueryRequest(original_reference_no=auth.data.reference_no)
    reserved: TypedResponse[m.AuthQueryResponse] = yield call("auth_query", aq)
    assert reserved.data.latest_transaction_status == "01"
    captured: TypedResponse[m.AuthCaptureResponse] = yield call(
        "auth_capture",
        m.AuthCaptureRequest(
            original_reference_no=auth.data.reference_no,
            original_partner_reference_no="au-1",
            merchant_id=MID,
            partner_capture_no="cp-1",
            capture_amount=money("5000.00"),
        ),
    )
    assert captured.data.capture_amount == money("5000.00")
    yield call(
        "auth_refund",
        m.AuthRefundRequest(
            original_reference_no=auth.data.reference_no,
            original_partner_reference_no="au-1",
            partner_refund_no="rf-3",
            refund_amount=money("5000.00"),
        ),
    )
    back: TypedResponse[m.AuthQueryResponse] = yield call("auth_query", aq)
    assert back.data.latest_transaction_status == "04"
    auth2: TypedResponse[m.AuthPaymentResponse] = yield call(
        "auth_payment",
        m.AuthPaymentRequest(
            partner_reference_no="au-2", merchant_id=MID, amount=money("5000.00"), title="Ride"
        ),
        **b2b2c,
    )
    voided: TypedResponse[m.AuthVoidResponse] = yield call(
        "auth_void",
        m.AuthVoidRequest(
            original_reference_no=auth2.data.reference_no,
            original_partner_reference_no="au-2",
            merchant_id=MID,
            partner_void_no="vd-1",
        ),
    )
    assert voided.data.partner_void_no == "vd-1"
    yield call("account_unbinding", m.AccountUnbindingRequest(merchant_id="uuid-1"), **b2b2c)

    balance = m.BalanceInquiryRequest(account_no="0000000000")
    first: TypedResponse[m.BalanceInquiryResponse] = yield call("balance_inquiry", balance)
    whose: TypedResponse[m.ExternalAccountInquiryResponse] = yield call(
        "external_account_inquiry",
        m.ExternalAccountInquiryRequest(
            beneficiary_bank_code="0140246", beneficiary_account_no="0011223344"
        ),
    )
    assert whose.data.beneficiary_account_no == "0011223344"
    yield call(
        "intrabank_transfer",
        m.IntrabankTransferRequest(
            partner_reference_no="tf-1",
            amount=money("100000.00"),
            beneficiary_account_no="0011223344",
            remark="payout",
            source_account_no="0000000000",
            transaction_date="2024-03-05T10:00:00+07:00",
        ),
    )
    yield call(
        "interbank_transfer",
        m.InterbankTransferRequest(
            partner_reference_no="tf-2",
            amount=money("100000.00"),
            beneficiary_account_name="Someone",
            beneficiary_account_no="0011223344",
            beneficiary_bank_code="0020307",
            source_account_no="0000000000",
            transaction_date="2024-03-05T10:00:00+07:00",
            additional_info=m.InterbankTransferInfo(remark="payout"),
        ),
    )
    va3 = _va(3, amount="20000.00")
    yield call("create_va", va3)
    yield call(
        "va_inquiry_intrabank",
        m.VaInquiryIntrabankRequest(
            partner_service_id="00000000",
            customer_no="00000000",
            virtual_account_no=va3.virtual_account_no,
            additional_info=m.VaInquiryIntrabankInfo(beneficiary_bank_code="0130000"),
        ),
    )
    yield call(
        "va_payment_intrabank",
        m.VaPaymentIntrabankRequest(
            partner_reference_no="tf-3",
            partner_service_id="00000000",
            customer_no="00000000",
            virtual_account_no=va3.virtual_account_no,
        ),
    )
    yield call(
        "emoney_account_inquiry",
        m.EmoneyAccountInquiryRequest(
            customer_number="08123450000",
            amount=money("1.00"),
            additional_info=m.EmoneyInquiryInfo(beneficiary_provider="gopay"),
        ),
    )
    yield call(
        "emoney_topup",
        m.EmoneyTopupRequest(
            partner_reference_no="tf-4",
            customer_number="08123450000",
            customer_name="Gopay Simulator A",
            amount=money("50000.00"),
            notes="top up",
        ),
    )
    last: TypedResponse[m.BalanceInquiryResponse] = yield call("balance_inquiry", balance)
    assert first.data.account_infos and last.data.account_infos
    start, end = first.data.account_infos[0].amount, last.data.account_infos[0].amount
    assert start is not None and end is not None
    assert float(start.value) - float(end.value) == 270000.0
    found: TypedResponse[m.TransferStatusResponse] = yield call(
        "transfer_status",
        m.TransferStatusRequest(original_partner_reference_no="tf-1", service_code="17"),
    )
    assert found.data.amount == money("100000.00")

    listed: TypedResponse[m.TransactionHistoryListResponse] = yield call(
        "transaction_history_list", m.TransactionHistoryListRequest(page_size=50)
    )
    items = listed.data.detail_data or []
    item = next(
        i for i in items if i.additional_info and i.additional_info.partner_reference_no == "tf-1"
    )
    assert item.additional_info is not None and item.additional_info.reference_no
    detail: TypedResponse[m.TransactionHistoryDetailResponse] = yield call(
        "transaction_history_detail",
        m.TransactionHistoryDetailRequest(
            original_partner_reference_no="tf-1",
            additional_info=m.HistoryDetailKey(reference_no=item.additional_info.reference_no),
        ),
    )
    assert detail.data.partner_reference_no == "tf-1" and detail.data.amount == money("100000.00")
    return called


def _check(step: Call, answer: Any) -> None:
    assert isinstance(answer, TypedResponse)
    endpoint = by_name(step.name)
    assert isinstance(answer.data, m.response_type(step.name))
    if endpoint.host == "app":
        return
    assert answer.code.code == endpoint.success_code, (step.name, answer.code, answer.message)
    assert answer.data.response_code == endpoint.success_code  # type: ignore[attr-defined]


def _everything(called: set[str]) -> None:
    assert called == {e.name for e in CATALOGUE if e is not ACCESS_TOKEN_B2B}


@pytest.fixture
def provider() -> Iterator[str]:
    """A fresh emulator on a free loopback port."""
    with serve_emulator(CREDS) as url:
        yield url


def _options(url: str) -> dict[str, Any]:
    return client_options(url, CREDS)


def test_sync_client_calls_every_catalogue_entry_typed(provider: str) -> None:
    with (
        SnapClient(**_options(provider)) as client,
        httpx.Client(base_url=provider, headers=ADMIN) as admin,
    ):
        _everything(walk(flow(), client, admin, _check))
        # the history, page by page (3 at a time), is the one-page list
        whole = client.transaction_history_list(m.TransactionHistoryListRequest(page_size=50))
        walked = list(client.iter_transaction_history(page_size=3))
        assert walked == (whole.data.detail_data or []) and len(walked) > 3


@pytest.mark.anyio
async def test_async_client_calls_every_catalogue_entry_typed(provider: str) -> None:
    async with (
        AsyncSnapClient(**_options(provider)) as client,
        httpx.AsyncClient(base_url=provider, headers=ADMIN) as admin,
    ):
        _everything(await awalk(flow(), client, admin, _check))
        whole = await client.transaction_history_list({"pageSize": 50})
        walked = [item async for item in client.iter_transaction_history({"pageSize": 3})]
        assert walked == (whole.data.detail_data or []) and len(walked) > 3


def test_validation_happens_before_any_network_call() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    transport = httpx.MockTransport(record)
    options = {**_options("http://127.0.0.1:9"), "http_client": httpx.Client(transport=transport)}
    with SnapClient(**options) as client:
        bad = m.QrisGenerateRequest(
            partner_reference_no="qr-1", amount=money("5000"), merchant_id=""
        )
        with pytest.raises(RequestValidationError) as info:
            client.qris_generate(bad)
        assert info.value.fields == ("merchantId", "amount.value")
        with pytest.raises(RequestValidationError):
            client.create_va({"partnerServiceId": "   70012"})
    assert seen == []  # not even the token was fetched


# --- notifications: verify, then confirm by status query -----------------------------------

NOW = datetime(2024, 3, 5, 10, 0, 0, tzinfo=JAKARTA)


def _notification(reference: str, status: str, external_id: str) -> tuple[dict[str, str], bytes]:
    fields = {
        "originalReferenceNo": reference,
        "originalPartnerReferenceNo": "dd-9",
        "latestTransactionStatus": status,
        "transactionStatusDesc": "x",
    }
    body = json.dumps(fields).encode()
    timestamp = format_timestamp(NOW)
    trace = sign_service_asymmetric(
        method="POST",
        path="/v1.0/debit/notify",
        body=body,
        timestamp=timestamp,
        private_key=CREDS.provider_private_key,
    )
    headers = {
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": trace.signature,
        "X-PARTNER-ID": CREDS.partner_id,
        "X-EXTERNAL-ID": external_id,
        "Content-Type": "application/json",
    }
    return headers, body


def test_verify_and_confirm_a_debit_notification(provider: str) -> None:
    verifier = NotificationVerifier(
        public_key=public_key_to_pem(CREDS.provider_private_key), clock=FixedClock(NOW)
    )
    with (
        SnapClient(**_options(provider)) as client,
        httpx.Client(base_url=provider, headers=ADMIN) as admin,
    ):
        option = m.PayOptionDetail(
            pay_method="GOPAY", pay_option="GOPAY", trans_amount=money("9.00")
        )
        dd = client.debit_payment(
            m.DebitPaymentRequest(
                partner_reference_no="dd-9", merchant_id=MID, pay_option_details=[option]
            )
        )
        reference = dd.data.reference_no or ""
        # A notification that claims "paid" before the customer paid is refused.
        headers, body = _notification(reference, "00", "1001")
        with pytest.raises(VerificationError) as info:
            client.verify_and_confirm(
                verifier, method="POST", path="/v1.0/debit/notify", headers=headers, body=body
            )
        assert "'01'" in str(info.value) and "'00'" in str(info.value)
        assert admin.post("/_emulator/pay", json={"partnerReferenceNo": "dd-9"}).status_code == 200
        headers, body = _notification(reference, "00", "1002")
        confirmed = client.verify_and_confirm(
            verifier, method="POST", path="/v1.0/debit/notify", headers=headers, body=body
        )
        assert confirmed.notification.external_id == "1002"
        assert confirmed.status.body["latestTransactionStatus"] == "00"
