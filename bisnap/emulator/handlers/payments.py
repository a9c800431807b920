"""Payments: QRIS MPM, direct debit and GoPay pre-auth (auth/capture/void/refund),
and the customer paying one (`pay_payment`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bisnap.emulator.handlers._registry import Handler, handler
from bisnap.emulator.qrimage import qr_image_base64
from bisnap.emulator.records import (
    NOTIFY,
    CallContext,
    Outcome,
    Payment,
    PaymentNotice,
    fail,
    get_field,
    money,
    not_found,
    parse_amount,
)
from bisnap.responses import TRANSACTION_STATUSES
from bisnap.timestamps import format_timestamp

if TYPE_CHECKING:
    from bisnap.emulator.state import EmulatorState

__all__ = ["pay_payment", "user_payment_details"]


def user_payment_details(payment: Payment) -> list[dict[str, Any]]:
    """`userPaymentDetails[]` of a paid direct debit: how the customer paid, and how much."""
    option = payment.extra.get("payOption", "GOPAY_WALLET")
    return [
        {
            "payMethod": "GOPAY",
            "payOption": option,
            "amount": money(payment.amount, payment.currency),
        }
    ]


def pay_payment(
    state: EmulatorState, payment: Payment, now: datetime
) -> tuple[dict[str, Any], PaymentNotice | None]:
    if payment.status not in ("01", "03"):
        raise ValueError(f"payment is {TRANSACTION_STATUSES.get(payment.status)}")
    payment.status, payment.paid_time = "00", now
    channel = "qris" if payment.kind == "qris" else "gopay"
    state.record_event(
        "PAYMENT",
        payment.reference_no,
        payment.partner_reference_no,
        payment.amount,
        channel=channel,
        time=now,
    )
    summary = {
        "kind": payment.kind,
        "referenceNo": payment.reference_no,
        "partnerReferenceNo": payment.partner_reference_no,
        "latestTransactionStatus": "00",
    }
    amount = money(payment.amount, payment.currency)
    if payment.kind == "qris":
        # SNAP: QRIS MPM notification body (midtrans-core.md §5).
        body: dict[str, Any] = {
            "originalReferenceNo": payment.reference_no,
            "originalPartnerReferenceNo": payment.partner_reference_no,
            "latestTransactionStatus": "00",
            "transactionStatusDesc": "Success",
            "amount": amount,
            "externalStoreID": payment.merchant_id,
            "additionalInfo": {
                "qris": {
                    "issuerName": "gopay",
                    "acquirerName": "gopay",
                    "transactionType": "ON-US",
                }
            },
        }
        return summary, PaymentNotice(NOTIFY["qris_notify"], body)
    # SNAP: direct debit notification body (midtrans-core.md §5).
    body = {
        "createdTime": format_timestamp(payment.created),
        "latestTransactionStatus": "00",
        "transactionStatusDesc": "Success",
        "originalReferenceNo": payment.reference_no,
        "originalPartnerReferenceNo": payment.partner_reference_no,
        "originalExternalId": payment.external_id,
        "merchantId": payment.merchant_id,
        "amount": amount,
        "finishedTime": format_timestamp(now),
        "additionalInfo": {
            "refundHistory": [],
            "totalRefundAmount": money(Decimal(0), payment.currency),
            "userPaymentDetails": user_payment_details(payment),
        },
    }
    return summary, PaymentNotice(NOTIFY["debit_notify"], body)


def _new_payment(
    state: EmulatorState,
    kind: str,
    body: Mapping[str, Any],
    ctx: CallContext,
    amount_at: str,
    status: str,
) -> Payment | Outcome:
    amount = parse_amount(body, amount_at)
    if isinstance(amount, Outcome):
        return amount
    partner_ref = str(body.get("partnerReferenceNo", ""))
    if any(
        p.kind == kind and p.partner_reference_no == partner_ref and p.status != "05"
        for p in state.payments.values()
    ):
        return fail(409, "01")
    payment = Payment(
        kind=kind,
        reference_no=state.next_ref({"qris": "QR", "debit": "DD", "auth": "AU"}[kind]),
        partner_reference_no=partner_ref,
        external_id=ctx.external_id,
        amount=amount[0],
        currency=amount[1],
        merchant_id=str(
            body.get("merchantId") or get_field(body, "additionalInfo.merchantId") or ""
        ),
        created=ctx.now,
        status=status,
    )
    state.payments[payment.reference_no] = payment
    return payment


def _status_body(payment: Payment, service_code: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "originalReferenceNo": payment.reference_no,
        "originalPartnerReferenceNo": payment.partner_reference_no,
        "originalExternalId": payment.external_id,
        "serviceCode": service_code,
        "latestTransactionStatus": payment.status,
        "transactionStatusDesc": TRANSACTION_STATUSES[payment.status],
        "amount": money(payment.amount, payment.currency),
        "merchantId": payment.merchant_id,
        "additionalInfo": {
            "refundHistory": payment.refunds,
            "totalRefundAmount": money(payment.refunded, payment.currency),
        },
    }
    if payment.paid_time is not None:
        body["paidTime"] = format_timestamp(payment.paid_time)
    return body


def _refund(
    state: EmulatorState, payment: Payment | None, body: Mapping[str, Any], ctx: CallContext
) -> Outcome:
    if payment is None:
        return not_found()
    if payment.status not in ("00", "04"):
        return fail(404, "00")  # Invalid Transaction Status
    remaining = payment.amount - payment.refunded
    if get_field(body, "refundAmount") is None:
        value, currency = remaining, payment.currency
    else:
        amount = parse_amount(body, "refundAmount")
        if isinstance(amount, Outcome):
            return amount
        value, currency = amount
    if value <= 0 or value > remaining:
        return fail(404, "13")  # Invalid Amount
    refund = {
        "refundNo": state.next_ref("RF"),
        "partnerRefundNo": body.get("partnerRefundNo"),
        "refundAmount": money(value, currency),
        "refundTime": format_timestamp(ctx.now),
        "reason": body.get("reason"),
    }
    payment.refunds.append(refund)
    # SNAP: a (partial) refund is latestTransactionStatus 04 (midtrans-core.md §6).
    payment.status = "04"
    state.record_event(
        "REFUND",
        payment.reference_no,
        payment.partner_reference_no,
        value,
        time=ctx.now,
        channel=payment.kind,
    )
    return Outcome(
        body={
            "originalReferenceNo": payment.reference_no,
            "originalPartnerReferenceNo": payment.partner_reference_no,
            **refund,
        }
    )


def _created(payment: Payment, **fields: Any) -> Outcome:
    """The answer to a new payment: its two references, then `fields`."""
    return Outcome(
        body={
            "referenceNo": payment.reference_no,
            "partnerReferenceNo": payment.partner_reference_no,
            **fields,
        }
    )


def _refund_of(kind: str) -> Handler:
    """The refund handler of payments of `kind` (the partial-refund rules are `_refund`'s)."""

    def refund(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
        return _refund(state, state.find_payment(body, kind), body, ctx)

    return refund


def _cancel(payment: Payment | None, ctx: CallContext, reason: Any = None) -> Outcome:
    if payment is None:
        return not_found()
    if payment.status not in ("01", "03"):
        return fail(405, "01")  # Requested Operation Is Not Allowed
    payment.status = "05"
    return Outcome(
        body={
            "originalReferenceNo": payment.reference_no,
            "originalPartnerReferenceNo": payment.partner_reference_no,
            "cancelTime": format_timestamp(ctx.now),
            **({"reason": reason} if reason else {}),
        }
    )


@handler("qris_generate")
def _qris_generate(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = _new_payment(state, "qris", body, ctx, "amount", "03")
    if isinstance(payment, Outcome):
        return payment
    content = f"00020101021226620014COM.GO-JEK.WWW0118{payment.reference_no}5303360"
    terminal = body.get("terminalId")
    payment.extra["terminalId"] = terminal if isinstance(terminal, str) and terminal else "A01"
    # SNAP: the generate answer carries qrContent, qrUrl and qrImage (base64)
    # (midtrans-core.md §4.3).
    return _created(
        payment,
        qrContent=content,
        qrUrl=f"https://emulator.invalid/qris/{payment.reference_no}",
        qrImage=qr_image_base64(content),
        merchantName="bisnap emulator",
        storeId=payment.merchant_id,
        additionalInfo={"acquirer": {"id": "gopay"}},
    )


@handler("qris_query")
def _qris_query(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state.find_payment(body, "qris")
    if payment is None:
        return not_found()
    # SNAP: the query answer carries terminalId (midtrans-core.md §4.3).
    out = _status_body(payment, "47")
    out["terminalId"] = payment.extra.get("terminalId", "A01")
    return Outcome(body=out)


handler("qris_refund")(_refund_of("qris"))


@handler("qris_cancel")
def _qris_cancel(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    return _cancel(state.find_payment(body, "qris"), ctx, body.get("reason"))


@handler("debit_payment")
def _debit_payment(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    options = body.get("payOptionDetails")
    first = options[0] if isinstance(options, list) and options else {}
    if not isinstance(first, Mapping) or first.get("transAmount") is None:
        return fail(400, "02", "payOptionDetails.transAmount")
    merged = {**body, "transAmount": first["transAmount"]}
    payment = _new_payment(state, "debit", merged, ctx, "transAmount", "01")
    if isinstance(payment, Outcome):
        return payment
    option = first.get("payOption")
    payment.extra["payOption"] = option if isinstance(option, str) and option else "GOPAY_WALLET"
    return _created(
        payment,
        webRedirectUrl=f"https://emulator.invalid/gopay/{payment.reference_no}",
        appRedirectUrl="",
        additionalInfo={
            "grossAmount": money(payment.amount, payment.currency),
            "paymentType": "gopay",
            "transactionTime": format_timestamp(ctx.now),
            "validUpTo": body.get("validUpTo") or format_timestamp(ctx.now + timedelta(minutes=15)),
        },
    )


@handler("debit_status")
def _debit_status(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state.find_payment(body, "debit")
    if payment is None:
        return not_found()
    out = _status_body(payment, "54")
    out["transAmount"] = out["amount"]
    # SNAP: debit/status answers additionalInfo.userPaymentDetails[] (payOptionDetails is
    # deprecated) (midtrans-core.md §4.4).
    out["additionalInfo"]["userPaymentDetails"] = (
        user_payment_details(payment) if payment.paid_time is not None else []
    )
    return Outcome(body=out)


handler("debit_refund")(_refund_of("debit"))


@handler("debit_cancel")
def _debit_cancel(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    return _cancel(state.find_payment(body, "debit"), ctx)


@handler("auth_payment")
def _auth_payment(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = _new_payment(state, "auth", body, ctx, "amount", "01")
    if isinstance(payment, Outcome):
        return payment
    return _created(
        payment,
        amount=money(payment.amount, payment.currency),
        additionalInfo={"transactionTime": format_timestamp(ctx.now)},
    )


@handler("auth_query")
def _auth_query(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state.find_payment(body, "auth")
    if payment is None:
        return not_found()
    return Outcome(body=_status_body(payment, "63"))


@handler("auth_capture")
def _auth_capture(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state.find_payment(body, "auth")
    if payment is None:
        return not_found()
    if payment.status != "01":
        return fail(404, "00")
    amount = parse_amount(body, "captureAmount")
    if isinstance(amount, Outcome):
        return amount
    if amount[0] != payment.amount:
        return fail(404, "13")  # full capture only (midtrans-core.md §4.6)
    payment.status, payment.paid_time = "00", ctx.now
    state.record_event(
        "PAYMENT",
        payment.reference_no,
        payment.partner_reference_no,
        payment.amount,
        time=ctx.now,
        channel="gopay",
    )
    return Outcome(
        body={
            "originalReferenceNo": payment.reference_no,
            "originalPartnerReferenceNo": payment.partner_reference_no,
            "captureNo": state.next_ref("CP"),
            "partnerCaptureNo": body.get("partnerCaptureNo"),
            "captureAmount": money(payment.amount, payment.currency),
            "captureTime": format_timestamp(ctx.now),
        }
    )


@handler("auth_void")
def _auth_void(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state.find_payment(body, "auth")
    outcome = _cancel(payment, ctx, body.get("reason"))
    if outcome.ok and payment is not None:
        outcome.body.update(
            {
                "voidNo": state.next_ref("VD"),
                "partnerVoidNo": body.get("partnerVoidNo"),
                "voidAmount": money(payment.amount, payment.currency),
                "voidTime": outcome.body.pop("cancelTime"),
            }
        )
    return outcome


handler("auth_refund")(_refund_of("auth"))
