"""Payouts: account inquiries, transfers (intrabank, interbank, VA, e-money top-up),
balance and transfer status.

Every completed transfer sends a Payouts notification: a snake_case body signed with
`Iris-Signature` (not SNAP), to the payout notification URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bisnap.emulator.handlers._registry import handler
from bisnap.emulator.handlers.va import pay_va
from bisnap.emulator.records import (
    CallContext,
    Notice,
    Outcome,
    PayoutNotice,
    Transfer,
    fail,
    get_field,
    money,
    not_found,
    parse_amount,
)
from bisnap.timestamps import format_timestamp

if TYPE_CHECKING:
    from bisnap.emulator.state import EmulatorState

__all__ = ["payout_notice"]

# SNAP: Midtrans sandbox beneficiaries (midtrans-reporting-payouts.md §3.11).
_KNOWN_ACCOUNTS = {
    "1111222233333": "Mandiri Simulator A",
    "2222333344444": "Mandiri Simulator B",
    "4111111111": "Permata Simulator A",
    "111112222222": "Danamon Simulator A",
    "00010000": "BNI Simulator A",
    "111112222233333": "BRI Simulator A",
    "0011223344": "BCA Simulator A",
    "222233334444": "CIMB Simulator A",
    "08123450000": "Gopay Simulator A",
}


def _account_name(account: str) -> str | None:
    if account.startswith("404"):
        return None
    return _KNOWN_ACCOUNTS.get(account, f"BISNAP SIMULATOR {account[-4:]}")


@handler("external_account_inquiry")
def _account_inquiry(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    account = str(body.get("beneficiaryAccountNo"))
    name = _account_name(account)
    if name is None:
        return fail(404, "11")  # Invalid Account
    return Outcome(
        body={
            "referenceNo": state.next_ref("AI"),
            "beneficiaryAccountName": name,
            "beneficiaryAccountNo": account,
            "beneficiaryBankCode": body.get("beneficiaryBankCode"),
        }
    )


@handler("emoney_account_inquiry")
def _emoney_inquiry(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    number = str(body.get("customerNumber"))
    name = _account_name(number)
    if name is None:
        return fail(404, "11")
    return Outcome(
        body={
            "referenceNo": state.next_ref("EI"),
            "customerNumber": number,
            "customerName": name,
            "amount": body.get("amount"),
            "additionalInfo": body.get("additionalInfo", {}),
        }
    )


@handler("va_inquiry_intrabank")
def _va_inquiry(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    number = str(body.get("virtualAccountNo"))
    va = state.va_by_number(number)
    name = str(va.data.get("virtualAccountName")) if va else _account_name(number)
    if name is None:
        return fail(404, "11")
    data: dict[str, Any] = {
        "partnerServiceId": body.get("partnerServiceId"),
        "customerNo": body.get("customerNo"),
        "virtualAccountNo": number,
        "virtualAccountName": name,
        "inquiryRequestId": state.next_ref("IQ"),
    }
    if va is not None:
        data["totalAmount"] = money(va.amount, va.currency)
    return Outcome(body={"virtualAccountData": data})


def _payout(
    state: EmulatorState,
    body: Mapping[str, Any],
    ctx: CallContext,
    service_code: str,
    amount_at: str,
    beneficiary: str,
    remark: Any = None,
) -> Outcome | Transfer:
    amount = parse_amount(body, amount_at)
    if isinstance(amount, Outcome):
        return amount
    partner_ref = str(body.get("partnerReferenceNo"))
    if any(t.partner_reference_no == partner_ref for t in state.transfers.values()):
        return fail(409, "01")
    if amount[0] > state.balance:
        return fail(403, "14")  # Insufficient Funds
    state.balance -= amount[0]
    transfer = Transfer(
        state.next_ref("TF"), partner_ref, service_code, amount[0], amount[1], beneficiary, ctx.now
    )
    state.transfers[transfer.reference_no] = transfer
    state.record_event(
        "DISBURSEMENT",
        transfer.reference_no,
        partner_ref,
        amount[0],
        time=ctx.now,
        channel="PT. BANK CENTRAL ASIA TBK.",
        remark=remark,
        accountNo=beneficiary,
    )
    return transfer


def payout_notice(transfer: Transfer) -> PayoutNotice:
    """The Payouts notification of a completed transfer (signed with `Iris-Signature`)."""
    # SNAP: payout notification payload reference_no, amount, status, updated_at and,
    # on SNAP, partner_reference_no (midtrans-reporting-payouts.md §6.1).
    return PayoutNotice(
        {
            "reference_no": transfer.reference_no,
            "amount": f"{transfer.amount:.2f}",
            "status": "completed",
            "updated_at": format_timestamp(transfer.created),
            "partner_reference_no": transfer.partner_reference_no,
        }
    )


def _transfer_body(transfer: Transfer, body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "referenceNo": transfer.reference_no,
        "partnerReferenceNo": transfer.partner_reference_no,
        "amount": money(transfer.amount, transfer.currency),
        "beneficiaryAccountNo": transfer.beneficiary,
        "sourceAccountNo": body.get("sourceAccountNo"),
        "transactionDate": body.get("transactionDate") or format_timestamp(transfer.created),
        "latestTransactionStatus": "00",
        "transactionStatusDesc": "Success",
    }


@handler("intrabank_transfer")
def _intrabank(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    done = _payout(
        state, body, ctx, "17", "amount", str(body.get("beneficiaryAccountNo")), body.get("remark")
    )
    if isinstance(done, Outcome):
        return done
    return Outcome(body=_transfer_body(done, body), notices=[payout_notice(done)])


@handler("interbank_transfer")
def _interbank(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    done = _payout(
        state,
        body,
        ctx,
        "18",
        "amount",
        str(body.get("beneficiaryAccountNo")),
        get_field(body, "additionalInfo.remark"),
    )
    if isinstance(done, Outcome):
        return done
    out = _transfer_body(done, body)
    out["beneficiaryAccountName"] = body.get("beneficiaryAccountName")
    out["beneficiaryBankCode"] = body.get("beneficiaryBankCode")
    return Outcome(body=out, notices=[payout_notice(done)])


@handler("va_payment_intrabank")
def _va_payment(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    number = str(body.get("virtualAccountNo"))
    at = next((f for f in ("paidAmount", "amount", "totalAmount") if f in body), None)
    va = state.va_by_number(number)
    if at is None and va is not None:
        body = {**body, "paidAmount": money(va.amount, va.currency)}
        at = "paidAmount"
    if at is None:
        return fail(400, "02", "paidAmount")
    done = _payout(state, body, ctx, "33", at, number)
    if isinstance(done, Outcome):
        return done
    notices: list[Notice] = [payout_notice(done)]
    if va is not None and va.status == "03":
        _summary, paid = pay_va(state, number, ctx.now)
        if paid is not None:
            notices.append(paid)
    return Outcome(
        body={
            "virtualAccountData": {
                "partnerServiceId": body.get("partnerServiceId"),
                "customerNo": body.get("customerNo"),
                "virtualAccountNo": number,
                "partnerReferenceNo": done.partner_reference_no,
                "referenceNo": done.reference_no,
                "paidAmount": money(done.amount, done.currency),
            }
        },
        notices=notices,
    )


@handler("emoney_topup")
def _emoney_topup(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    done = _payout(
        state, body, ctx, "38", "amount", str(body.get("customerNumber")), body.get("notes")
    )
    if isinstance(done, Outcome):
        return done
    return Outcome(
        body={
            "referenceNo": done.reference_no,
            "partnerReferenceNo": done.partner_reference_no,
            "customerNumber": done.beneficiary,
            "amount": money(done.amount, done.currency),
            "additionalInfo": body.get("additionalInfo", {}),
        },
        notices=[payout_notice(done)],
    )


@handler("balance_inquiry")
def _balance(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    balance = money(state.balance)
    return Outcome(
        body={
            "accountNo": body.get("accountNo"),
            "name": "bisnap emulator merchant",
            "accountInfos": [
                {
                    "balanceType": "Cash",
                    "amount": balance,
                    "availableBalance": balance,
                    "status": "0001",
                },
            ],
        }
    )


@handler("transfer_status")
def _transfer_status(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    ref = body.get("originalPartnerReferenceNo")
    code = str(body.get("serviceCode"))
    for transfer in state.transfers.values():
        if transfer.partner_reference_no == ref and transfer.service_code == code:
            return Outcome(
                body={
                    "originalReferenceNo": transfer.reference_no,
                    "originalPartnerReferenceNo": transfer.partner_reference_no,
                    "serviceCode": transfer.service_code,
                    "transactionDate": format_timestamp(transfer.created),
                    "amount": money(transfer.amount, transfer.currency),
                    "beneficiaryAccountNo": transfer.beneficiary,
                    "latestTransactionStatus": "00",
                    "transactionStatusDesc": "Success",
                }
            )
    return not_found()
