"""Virtual accounts: create, status, delete, and the customer paying one (`pay_va`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bisnap.emulator.handlers._registry import handler
from bisnap.emulator.records import (
    NOTIFY,
    CallContext,
    Outcome,
    PaymentNotice,
    VirtualAccount,
    fail,
    money,
    not_found,
    parse_amount,
)
from bisnap.responses import TRANSACTION_STATUSES
from bisnap.timestamps import format_timestamp

if TYPE_CHECKING:
    from bisnap.emulator.state import EmulatorState

__all__ = ["pay_va"]


def pay_va(
    state: EmulatorState, number: str, now: datetime
) -> tuple[dict[str, Any], PaymentNotice | None]:
    va = state.va_by_number(number)
    if va is None:
        raise LookupError(f"no VA {number!r}")
    if va.status != "03":
        raise ValueError(f"VA is {TRANSACTION_STATUSES.get(va.status, va.status)}")
    va.status, va.paid_amount, va.paid_time = "00", va.amount, now
    va.payment_request_id = state.next_ref("PAY")
    data = va.data
    state.record_event(
        "PAYMENT",
        va.reference_no,
        str(data.get("trxId", "")),
        va.amount,
        channel="bank_transfer",
        time=now,
        accountNo=str(data["virtualAccountNo"]),
    )
    found = data.get("additionalInfo")
    info: dict[str, Any] = found if isinstance(found, dict) else {}
    # SNAP: VA payment notification body (midtrans-core.md §5).
    body = {
        "partnerServiceId": data.get("partnerServiceId"),
        "customerNo": data.get("customerNo"),
        "virtualAccountNo": data.get("virtualAccountNo"),
        "virtualAccountName": data.get("virtualAccountName"),
        "trxId": data.get("trxId"),
        "paymentRequestId": va.payment_request_id,
        "paidAmount": money(va.amount, va.currency),
        "referenceNo": va.reference_no,
        "trxDateTime": format_timestamp(now),
        "additionalInfo": {
            "bank": info.get("bank", "bca"),
            "merchantId": info.get("merchantId"),
            "paymentFlagStatus": "00",
            "paidTime": format_timestamp(now),
        },
    }
    summary = {
        "kind": "va",
        "virtualAccountNo": data.get("virtualAccountNo"),
        "trxId": data.get("trxId"),
        "paymentFlagStatus": "00",
    }
    return summary, PaymentNotice(NOTIFY["va_payment"], body)


def _same_number(data: Mapping[str, Any], wanted: str) -> bool:
    return str(data.get("virtualAccountNo", "")).strip() == wanted


def _va_for(state: EmulatorState, body: Mapping[str, Any], trx_field: str) -> VirtualAccount | None:
    """The VA a status/delete call names: its trxId, and the same VA number."""
    va = state.vas.get(str(body.get(trx_field)))
    if va is None or not _same_number(va.data, str(body.get("virtualAccountNo", "")).strip()):
        return None
    return va


def _va_data(va: VirtualAccount, **extra: Any) -> dict[str, Any]:
    data = va.data
    out: dict[str, Any] = {
        k: data.get(k)
        for k in (
            "partnerServiceId",
            "customerNo",
            "virtualAccountNo",
            "virtualAccountName",
            "trxId",
        )
        if k in data
    }
    out.update(extra)
    return out


@handler("create_va")
def _create_va(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    amount = parse_amount(body, "totalAmount")
    if isinstance(amount, Outcome):
        return amount
    # SNAP: trxId is unique (midtrans-core.md §4.2); VAs are kept by it.
    key = str(body.get("trxId"))
    if key in state.vas:
        return fail(409, "01", "trxId")
    expired = body.get("expiredDate") or format_timestamp(ctx.now + timedelta(hours=24))
    data = dict(body)
    data["expiredDate"] = expired
    va = VirtualAccount(
        data=data,
        amount=amount[0],
        currency=amount[1],
        created=ctx.now,
        reference_no=state.next_ref("VA"),
    )
    state.vas[key] = va
    return Outcome(body={"virtualAccountData": data})


@handler("va_status")
def _va_status(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    va = _va_for(state, body, "inquiryRequestId")
    if va is None:
        return not_found()
    # SNAP: paymentFlagStatus 00 success / 03 pending / 05 canceled / 08 expired
    # (midtrans-core.md §4.2).
    reason = TRANSACTION_STATUSES.get(va.status, "")
    extra: dict[str, Any] = {
        "inquiryRequestId": body.get("inquiryRequestId"),
        "paymentFlagStatus": va.status,
        "paymentFlagReason": {"english": reason, "indonesia": reason},
        "totalAmount": money(va.amount, va.currency),
        "trxDateTime": format_timestamp(va.created),
        "transactionDate": format_timestamp(va.paid_time or va.created),
        "additionalInfo": va.data.get("additionalInfo", {}),
    }
    if va.paid_amount is not None:
        extra["paidAmount"] = money(va.paid_amount, va.currency)
        extra["paymentRequestId"] = va.payment_request_id
    return Outcome(body={"virtualAccountData": _va_data(va, **extra)})


@handler("delete_va")
def _delete_va(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    va = _va_for(state, body, "trxId")
    if va is None:
        return not_found()
    if va.status == "00":
        return fail(404, "14")  # Paid Bill
    va.status = "05"
    return Outcome(body={"virtualAccountData": _va_data(va)})
