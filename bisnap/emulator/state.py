"""What the emulator remembers, and the answer of every catalogue entry. No I/O here.

Each catalogue entry has a handler `(state, body, call) -> Outcome`: it reads the parsed
request body (already authenticated by the app), changes the state and says what to answer
(HTTP status, SNAP case code, body fields). The flows:

- VA: create → (customer pays, `pay()`) → status 00 / delete → 05.
- QRIS and direct debit: generate/payment (03/01) → `pay()` → 00 → refund → 04;
  cancel before payment → 05.
- GoPay tokenization pre-auth: auth payment (01) → capture (00) → refund (04); void → 05.
- Account linking: binding issues a customer token; inquiry and unbinding use it.
- Payouts: a balance that transfers (intrabank, interbank, VA, e-money top-up) reduce;
  transfer status finds them; account inquiry answers a name.
- Reporting: transaction history lists and details what happened.
"""

from __future__ import annotations

import secrets as _random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bisnap.catalogue import NOTIFICATIONS, NotificationEndpoint
from bisnap.clock import jakarta_day
from bisnap.responses import TRANSACTION_STATUSES
from bisnap.timestamps import format_timestamp

__all__ = [
    "STATUS_DESCRIPTIONS",
    "CallContext",
    "EmulatorState",
    "Outcome",
    "PaymentNotice",
    "get_field",
]

#: The status names (one table, in bisnap.responses).
STATUS_DESCRIPTIONS = TRANSACTION_STATUSES

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

_NOTIFY = {n.name: n for n in NOTIFICATIONS}


def get_field(body: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path (`"totalAmount.value"`), or None when absent."""
    node: Any = body
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


@dataclass(frozen=True)
class CallContext:
    """What the app knows about an authenticated call besides its body."""

    partner_id: str
    external_id: str
    now: datetime
    customer_token: str | None = None


@dataclass(frozen=True)
class PaymentNotice:
    """A notification to send after a state change: which endpoint, which body."""

    endpoint: NotificationEndpoint
    body: dict[str, Any]


@dataclass
class Outcome:
    """An answer: HTTP status + case code (service code comes from the route), body fields.

    `detail` goes into `responseMessage` after the standard message (e.g. the field name
    of `400xx02 Invalid Mandatory Field {field}`).
    """

    status: int = 200
    case: str = "00"
    body: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    notice: PaymentNotice | None = None

    @property
    def ok(self) -> bool:
        """True for 2xx."""
        return 200 <= self.status < 300


def _fail(status: int, case: str, detail: str | None = None) -> Outcome:
    return Outcome(status=status, case=case, detail=detail)


def _not_found() -> Outcome:
    return _fail(404, "01")


def _amount(body: Mapping[str, Any], dotted: str) -> tuple[Decimal, str] | Outcome:
    raw = get_field(body, dotted)
    if raw is None:
        return _fail(400, "02", dotted)
    node = raw if isinstance(raw, Mapping) else {"value": raw}
    try:
        value = Decimal(str(node.get("value")))
    except (InvalidOperation, ValueError):
        return _fail(400, "01", f"{dotted}.value" if isinstance(raw, Mapping) else dotted)
    if not value.is_finite() or value < 0:
        return _fail(400, "01", dotted)
    return value, str(node.get("currency") or "IDR")


def _money(value: Decimal, currency: str = "IDR") -> dict[str, str]:
    return {"value": f"{value:.2f}", "currency": currency}


@dataclass
class _VirtualAccount:
    data: dict[str, Any]
    amount: Decimal
    currency: str
    created: datetime
    status: str = "03"
    paid_amount: Decimal | None = None
    paid_time: datetime | None = None
    payment_request_id: str | None = None
    reference_no: str = ""


@dataclass
class _Payment:
    kind: str  # "qris", "debit", "auth"
    reference_no: str
    partner_reference_no: str
    external_id: str
    amount: Decimal
    currency: str
    merchant_id: str
    created: datetime
    status: str
    paid_time: datetime | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def refunded(self) -> Decimal:
        return sum((Decimal(r["refundAmount"]["value"]) for r in self.refunds), Decimal(0))


@dataclass
class _Transfer:
    reference_no: str
    partner_reference_no: str
    service_code: str
    amount: Decimal
    currency: str
    beneficiary: str
    created: datetime


class EmulatorState:
    """The emulator's memory: VAs, payments, bindings, payouts, history, seen external ids.

    Thread-safe: every public method takes one lock. `handle()` answers a catalogue call;
    `pay()` is the admin "customer pays" action.
    """

    def __init__(self, *, balance: Decimal = Decimal("1000000000.00")) -> None:
        self._lock = threading.RLock()
        self.balance = balance
        self._seq = 0
        self._prefix = "".join(_random.choice("0123456789") for _ in range(4))
        self.vas: dict[str, _VirtualAccount] = {}
        self.payments: dict[str, _Payment] = {}
        self.transfers: dict[str, _Transfer] = {}
        self.bindings: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self._seen: dict[tuple[str, str, str], tuple[str, str, Outcome | None]] = {}
        self._seen_day = ""

    # --- ids and idempotency ----------------------------------------------------------------

    def _next_ref(self, prefix: str = "EMU") -> str:
        self._seq += 1
        return f"{prefix}{self._prefix}{self._seq:010d}"

    def claim_external_id(
        self, ctx: CallContext, endpoint: str, body_sha256: str, *, replay: bool
    ) -> Outcome | None:
        """Record X-EXTERNAL-ID for this partner and Jakarta day.

        Returns None when the id is new. For a reused id: the earlier answer when `replay`
        is allowed and the same endpoint got the same body (Midtrans replays payment APIs),
        otherwise `409xx00 Conflict`.
        """
        # SNAP: X-EXTERNAL-ID is unique per partner per day; reuse is 409xx00 Conflict
        # (snap-standard.md §1.3), payment APIs replay (midtrans-core.md §4.1).
        day = jakarta_day(ctx.now)
        key = (day, ctx.partner_id, ctx.external_id)
        with self._lock:
            if day != self._seen_day:
                self._seen = {k: v for k, v in self._seen.items() if k[0] >= day}
                self._seen_day = day
            seen = self._seen.get(key)
            if seen is None:
                self._seen[key] = (endpoint, body_sha256, None)
                return None
        if replay and seen[0] == endpoint and seen[1] == body_sha256 and seen[2] is not None:
            return seen[2]
        return _fail(409, "00", "Cannot use same X-EXTERNAL-ID in same day")

    def remember(self, ctx: CallContext, outcome: Outcome) -> None:
        """Keep the answer to an external id, for idempotent replays."""
        key = (jakarta_day(ctx.now), ctx.partner_id, ctx.external_id)
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None:
                replayable = Outcome(outcome.status, outcome.case, outcome.body, outcome.detail)
                self._seen[key] = (seen[0], seen[1], replayable)

    # --- dispatch ------------------------------------------------------------------------

    def handle(self, name: str, body: dict[str, Any], ctx: CallContext) -> Outcome:
        """Answer the catalogue entry `name` for an authenticated, validated request."""
        handler = _HANDLERS.get(name)
        if handler is None:
            return _fail(405, "00")
        with self._lock:
            return handler(self, body, ctx)

    def _event(self, kind: str, ref: str, partner_ref: str, amount: Decimal, **extra: Any) -> None:
        self.history.append(
            {
                "type": kind,
                "referenceNo": ref,
                "partnerReferenceNo": partner_ref,
                "amount": amount,
                **extra,
            }
        )

    def _find_payment(self, body: Mapping[str, Any], kind: str) -> _Payment | None:
        ref = get_field(body, "originalReferenceNo")
        if ref and ref in self.payments and self.payments[ref].kind == kind:
            return self.payments[ref]
        partner = get_field(body, "originalPartnerReferenceNo")
        xid = get_field(body, "originalExternalId") or get_field(
            body, "additionalInfo.originalExternalId"
        )
        for payment in self.payments.values():
            if payment.kind != kind:
                continue
            if ref and payment.reference_no == ref:
                return payment
            if not ref and partner and payment.partner_reference_no == partner:
                return payment
            if not ref and not partner and xid and payment.external_id == xid:
                return payment
        return None

    # --- admin: the customer pays ------------------------------------------------------------

    def pay(
        self,
        *,
        now: datetime,
        virtual_account_no: str | None = None,
        reference_no: str | None = None,
        partner_reference_no: str | None = None,
    ) -> tuple[dict[str, Any], PaymentNotice | None]:
        """Simulate the customer paying a VA or a QRIS/direct-debit payment.

        Returns a summary and the notification to send. Raises LookupError when nothing
        matches and ValueError when it cannot be paid (already paid, canceled).
        """
        with self._lock:
            if virtual_account_no is not None:
                return self._pay_va(virtual_account_no, now)
            for payment in self.payments.values():
                if payment.kind == "auth":
                    continue
                if reference_no is not None and payment.reference_no == reference_no:
                    return self._pay_payment(payment, now)
                if (
                    partner_reference_no is not None
                    and payment.partner_reference_no == partner_reference_no
                ):
                    return self._pay_payment(payment, now)
        raise LookupError("no VA or payment matches")

    def va_by_number(self, number: str) -> _VirtualAccount | None:
        """The VA with this number: the newest pending one, else the newest (None if none).

        Numbers compare without the left padding of `partnerServiceId`.
        """
        wanted = number.strip()
        found = [v for v in self.vas.values() if _same_number(v.data, wanted)]
        pending = [v for v in found if v.status == "03"]
        candidates = pending or found
        return candidates[-1] if candidates else None

    def _pay_va(self, number: str, now: datetime) -> tuple[dict[str, Any], PaymentNotice | None]:
        va = self.va_by_number(number)
        if va is None:
            raise LookupError(f"no VA {number!r}")
        if va.status != "03":
            raise ValueError(f"VA is {STATUS_DESCRIPTIONS.get(va.status, va.status)}")
        va.status, va.paid_amount, va.paid_time = "00", va.amount, now
        va.payment_request_id = self._next_ref("PAY")
        data = va.data
        self._event(
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
            "paidAmount": _money(va.amount, va.currency),
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
        return summary, PaymentNotice(_NOTIFY["va_payment"], body)

    def _pay_payment(
        self, payment: _Payment, now: datetime
    ) -> tuple[dict[str, Any], PaymentNotice | None]:
        if payment.status not in ("01", "03"):
            raise ValueError(f"payment is {STATUS_DESCRIPTIONS.get(payment.status)}")
        payment.status, payment.paid_time = "00", now
        channel = "qris" if payment.kind == "qris" else "gopay"
        self._event(
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
        amount = _money(payment.amount, payment.currency)
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
            return summary, PaymentNotice(_NOTIFY["qris_notify"], body)
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
                "totalRefundAmount": _money(Decimal(0), payment.currency),
                "userPaymentDetails": [
                    {"payMethod": "GOPAY", "payOption": "GOPAY_WALLET", "amount": amount}
                ],
            },
        }
        return summary, PaymentNotice(_NOTIFY["debit_notify"], body)

    # --- snapshot --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready view of the state (customer tokens masked)."""
        with self._lock:
            return {
                "balance": _money(self.balance),
                "virtualAccounts": [
                    {
                        "virtualAccountNo": v.data.get("virtualAccountNo"),
                        "trxId": v.data.get("trxId"),
                        "amount": _money(v.amount, v.currency),
                        "paymentFlagStatus": v.status,
                    }
                    for v in self.vas.values()
                ],
                "payments": [
                    {
                        "kind": p.kind,
                        "referenceNo": p.reference_no,
                        "partnerReferenceNo": p.partner_reference_no,
                        "amount": _money(p.amount, p.currency),
                        "latestTransactionStatus": p.status,
                    }
                    for p in self.payments.values()
                ],
                "transfers": [
                    {
                        "referenceNo": t.reference_no,
                        "partnerReferenceNo": t.partner_reference_no,
                        "serviceCode": t.service_code,
                        "amount": _money(t.amount, t.currency),
                        "beneficiary": t.beneficiary,
                    }
                    for t in self.transfers.values()
                ],
                "bindings": len(self.bindings),
                "history": len(self.history),
            }


Handler = Callable[[EmulatorState, dict[str, Any], CallContext], Outcome]
_HANDLERS: dict[str, Handler] = {}


def _handler(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _HANDLERS[name] = func
        return func

    return register


# --- virtual account ----------------------------------------------------------------------


def _same_number(data: Mapping[str, Any], wanted: str) -> bool:
    return str(data.get("virtualAccountNo", "")).strip() == wanted


def _va_for(
    state: EmulatorState, body: Mapping[str, Any], trx_field: str
) -> _VirtualAccount | None:
    """The VA a status/delete call names: its trxId, and the same VA number."""
    va = state.vas.get(str(body.get(trx_field)))
    if va is None or not _same_number(va.data, str(body.get("virtualAccountNo", "")).strip()):
        return None
    return va


def _va_data(va: _VirtualAccount, **extra: Any) -> dict[str, Any]:
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


@_handler("create_va")
def _create_va(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    amount = _amount(body, "totalAmount")
    if isinstance(amount, Outcome):
        return amount
    # SNAP: trxId is unique (midtrans-core.md §4.2); VAs are kept by it.
    key = str(body.get("trxId"))
    if key in state.vas:
        return _fail(409, "01", "trxId")
    expired = body.get("expiredDate") or format_timestamp(ctx.now + timedelta(hours=24))
    data = dict(body)
    data["expiredDate"] = expired
    va = _VirtualAccount(
        data=data,
        amount=amount[0],
        currency=amount[1],
        created=ctx.now,
        reference_no=state._next_ref("VA"),
    )
    state.vas[key] = va
    return Outcome(body={"virtualAccountData": data})


@_handler("va_status")
def _va_status(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    va = _va_for(state, body, "inquiryRequestId")
    if va is None:
        return _not_found()
    # SNAP: paymentFlagStatus 00 success / 03 pending / 05 canceled / 08 expired
    # (midtrans-core.md §4.2).
    reason = STATUS_DESCRIPTIONS.get(va.status, "")
    extra: dict[str, Any] = {
        "inquiryRequestId": body.get("inquiryRequestId"),
        "paymentFlagStatus": va.status,
        "paymentFlagReason": {"english": reason, "indonesia": reason},
        "totalAmount": _money(va.amount, va.currency),
        "trxDateTime": format_timestamp(va.created),
        "transactionDate": format_timestamp(va.paid_time or va.created),
        "additionalInfo": va.data.get("additionalInfo", {}),
    }
    if va.paid_amount is not None:
        extra["paidAmount"] = _money(va.paid_amount, va.currency)
        extra["paymentRequestId"] = va.payment_request_id
    return Outcome(body={"virtualAccountData": _va_data(va, **extra)})


@_handler("delete_va")
def _delete_va(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    va = _va_for(state, body, "trxId")
    if va is None:
        return _not_found()
    if va.status == "00":
        return _fail(404, "14")  # Paid Bill
    va.status = "05"
    return Outcome(body={"virtualAccountData": _va_data(va)})


# --- payments: QRIS, direct debit, tokenization ---------------------------------------------


def _new_payment(
    state: EmulatorState,
    kind: str,
    body: Mapping[str, Any],
    ctx: CallContext,
    amount_at: str,
    status: str,
) -> _Payment | Outcome:
    amount = _amount(body, amount_at)
    if isinstance(amount, Outcome):
        return amount
    partner_ref = str(body.get("partnerReferenceNo", ""))
    if any(
        p.kind == kind and p.partner_reference_no == partner_ref and p.status != "05"
        for p in state.payments.values()
    ):
        return _fail(409, "01")
    payment = _Payment(
        kind=kind,
        reference_no=state._next_ref({"qris": "QR", "debit": "DD", "auth": "AU"}[kind]),
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


def _status_body(payment: _Payment, service_code: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "originalReferenceNo": payment.reference_no,
        "originalPartnerReferenceNo": payment.partner_reference_no,
        "originalExternalId": payment.external_id,
        "serviceCode": service_code,
        "latestTransactionStatus": payment.status,
        "transactionStatusDesc": STATUS_DESCRIPTIONS[payment.status],
        "amount": _money(payment.amount, payment.currency),
        "merchantId": payment.merchant_id,
        "additionalInfo": {
            "refundHistory": payment.refunds,
            "totalRefundAmount": _money(payment.refunded, payment.currency),
        },
    }
    if payment.paid_time is not None:
        body["paidTime"] = format_timestamp(payment.paid_time)
    return body


def _refund(
    state: EmulatorState, payment: _Payment | None, body: Mapping[str, Any], ctx: CallContext
) -> Outcome:
    if payment is None:
        return _not_found()
    if payment.status not in ("00", "04"):
        return _fail(404, "00")  # Invalid Transaction Status
    remaining = payment.amount - payment.refunded
    if get_field(body, "refundAmount") is None:
        value, currency = remaining, payment.currency
    else:
        amount = _amount(body, "refundAmount")
        if isinstance(amount, Outcome):
            return amount
        value, currency = amount
    if value <= 0 or value > remaining:
        return _fail(404, "13")  # Invalid Amount
    refund = {
        "refundNo": state._next_ref("RF"),
        "partnerRefundNo": body.get("partnerRefundNo"),
        "refundAmount": _money(value, currency),
        "refundTime": format_timestamp(ctx.now),
        "reason": body.get("reason"),
    }
    payment.refunds.append(refund)
    # SNAP: a (partial) refund is latestTransactionStatus 04 (midtrans-core.md §6).
    payment.status = "04"
    state._event(
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


def _cancel(payment: _Payment | None, ctx: CallContext, reason: Any = None) -> Outcome:
    if payment is None:
        return _not_found()
    if payment.status not in ("01", "03"):
        return _fail(405, "01")  # Requested Operation Is Not Allowed
    payment.status = "05"
    return Outcome(
        body={
            "originalReferenceNo": payment.reference_no,
            "originalPartnerReferenceNo": payment.partner_reference_no,
            "cancelTime": format_timestamp(ctx.now),
            **({"reason": reason} if reason else {}),
        }
    )


@_handler("qris_generate")
def _qris_generate(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = _new_payment(state, "qris", body, ctx, "amount", "03")
    if isinstance(payment, Outcome):
        return payment
    content = f"00020101021226620014COM.GO-JEK.WWW0118{payment.reference_no}5303360"
    return Outcome(
        body={
            "referenceNo": payment.reference_no,
            "partnerReferenceNo": payment.partner_reference_no,
            "qrContent": content,
            "qrUrl": f"https://emulator.invalid/qris/{payment.reference_no}",
            "merchantName": "bisnap emulator",
            "storeId": payment.merchant_id,
            "additionalInfo": {"acquirer": {"id": "gopay"}},
        }
    )


@_handler("qris_query")
def _qris_query(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state._find_payment(body, "qris")
    if payment is None:
        return _not_found()
    return Outcome(body=_status_body(payment, "47"))


@_handler("qris_refund")
def _qris_refund(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    return _refund(state, state._find_payment(body, "qris"), body, ctx)


@_handler("qris_cancel")
def _qris_cancel(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    return _cancel(state._find_payment(body, "qris"), ctx, body.get("reason"))


@_handler("debit_payment")
def _debit_payment(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    options = body.get("payOptionDetails")
    first = options[0] if isinstance(options, list) and options else {}
    if not isinstance(first, Mapping) or first.get("transAmount") is None:
        return _fail(400, "02", "payOptionDetails.transAmount")
    merged = {**body, "transAmount": first["transAmount"]}
    payment = _new_payment(state, "debit", merged, ctx, "transAmount", "01")
    if isinstance(payment, Outcome):
        return payment
    return Outcome(
        body={
            "referenceNo": payment.reference_no,
            "partnerReferenceNo": payment.partner_reference_no,
            "webRedirectUrl": f"https://emulator.invalid/gopay/{payment.reference_no}",
            "appRedirectUrl": "",
            "additionalInfo": {
                "grossAmount": _money(payment.amount, payment.currency),
                "paymentType": "gopay",
                "transactionTime": format_timestamp(ctx.now),
                "validUpTo": body.get("validUpTo")
                or format_timestamp(ctx.now + timedelta(minutes=15)),
            },
        }
    )


@_handler("debit_status")
def _debit_status(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state._find_payment(body, "debit")
    if payment is None:
        return _not_found()
    out = _status_body(payment, "54")
    out["transAmount"] = out["amount"]
    return Outcome(body=out)


@_handler("debit_refund")
def _debit_refund(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    return _refund(state, state._find_payment(body, "debit"), body, ctx)


@_handler("debit_cancel")
def _debit_cancel(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    return _cancel(state._find_payment(body, "debit"), ctx)


# --- account linking -------------------------------------------------------------------------


@_handler("account_binding")
def _account_binding(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    token = "cust-" + _random.token_urlsafe(24)
    reference = state._next_ref("BD")
    state.bindings[token] = {
        "referenceNo": reference,
        "merchantId": body.get("merchantId"),
        "accountId": "acc-" + reference,
        "balance": Decimal("5000000.00"),
    }
    return Outcome(
        body={
            "referenceNo": reference,
            "partnerReferenceNo": body.get("partnerReferenceNo", reference),
            "accessTokenInfo": {
                "accessToken": token,
                "expiresIn": "900",
                "tokenStatus": "ACTIVE",
            },
            "additionalInfo": {"accountId": "acc-" + reference},
        }
    )


def _binding_for(
    state: EmulatorState, body: Mapping[str, Any], ctx: CallContext
) -> tuple[str, dict[str, Any]] | None:
    if ctx.customer_token is not None and ctx.customer_token in state.bindings:
        return ctx.customer_token, state.bindings[ctx.customer_token]
    account = get_field(body, "additionalInfo.accountId")
    for token, binding in state.bindings.items():
        if account and binding["accountId"] == account:
            return token, binding
    return None


@_handler("account_binding_inquiry")
def _account_binding_inquiry(
    state: EmulatorState, body: dict[str, Any], ctx: CallContext
) -> Outcome:
    found = _binding_for(state, body, ctx)
    if found is None:
        return _fail(401, "04")  # Customer Token Not Found
    token, binding = found
    return Outcome(
        body={
            "additionalInfo": {
                "accessToken": token,
                "paymentType": "gopay",
                "paymentOptions": [
                    {
                        "name": "GOPAY_WALLET",
                        "active": True,
                        "balance": {"value": int(binding["balance"]), "currency": "IDR"},
                        "token": "pot-" + binding["referenceNo"],
                    },
                ],
            },
        }
    )


@_handler("account_unbinding")
def _account_unbinding(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    found = _binding_for(state, body, ctx)
    if found is None:
        return _fail(401, "04")
    token, binding = found
    del state.bindings[token]
    return Outcome(
        body={"referenceNo": binding["referenceNo"], "merchantId": body.get("merchantId")}
    )


@_handler("auth_payment")
def _auth_payment(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = _new_payment(state, "auth", body, ctx, "amount", "01")
    if isinstance(payment, Outcome):
        return payment
    return Outcome(
        body={
            "referenceNo": payment.reference_no,
            "partnerReferenceNo": payment.partner_reference_no,
            "amount": _money(payment.amount, payment.currency),
            "additionalInfo": {"transactionTime": format_timestamp(ctx.now)},
        }
    )


@_handler("auth_query")
def _auth_query(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state._find_payment(body, "auth")
    if payment is None:
        return _not_found()
    return Outcome(body=_status_body(payment, "63"))


@_handler("auth_capture")
def _auth_capture(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state._find_payment(body, "auth")
    if payment is None:
        return _not_found()
    if payment.status != "01":
        return _fail(404, "00")
    amount = _amount(body, "captureAmount")
    if isinstance(amount, Outcome):
        return amount
    if amount[0] != payment.amount:
        return _fail(404, "13")  # full capture only (midtrans-core.md §4.6)
    payment.status, payment.paid_time = "00", ctx.now
    state._event(
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
            "captureNo": state._next_ref("CP"),
            "partnerCaptureNo": body.get("partnerCaptureNo"),
            "captureAmount": _money(payment.amount, payment.currency),
            "captureTime": format_timestamp(ctx.now),
        }
    )


@_handler("auth_void")
def _auth_void(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    payment = state._find_payment(body, "auth")
    outcome = _cancel(payment, ctx, body.get("reason"))
    if outcome.ok and payment is not None:
        outcome.body.update(
            {
                "voidNo": state._next_ref("VD"),
                "partnerVoidNo": body.get("partnerVoidNo"),
                "voidAmount": _money(payment.amount, payment.currency),
                "voidTime": outcome.body.pop("cancelTime"),
            }
        )
    return outcome


@_handler("auth_refund")
def _auth_refund(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    return _refund(state, state._find_payment(body, "auth"), body, ctx)


# --- reporting ---------------------------------------------------------------------------------


def _history_item(event: Mapping[str, Any]) -> dict[str, Any]:
    # SNAP: transaction history item (midtrans-reporting-payouts.md §4.1, §4.3).
    kind = event["type"]
    snap_type = {"PAYMENT": "PAYMENT", "REFUND": "PAYMENT", "DISBURSEMENT": "SEND_MONEY"}[kind]
    status = {"PAYMENT": "SETTLEMENT", "REFUND": "REFUND", "DISBURSEMENT": "COMPLETED"}[kind]
    item: dict[str, Any] = {
        "dateTime": format_timestamp(event["time"]),
        "amount": _money(event["amount"]),
        "status": "SUCCESS",
        "type": snap_type,
        "additionalInfo": {
            "referenceNo": event["referenceNo"],
            "partnerReferenceNo": event["partnerReferenceNo"],
            "status": status,
            "type": "DISBURSEMENT" if kind == "DISBURSEMENT" else "PAYMENT",
            "channel": event.get("channel", ""),
            "fee": _money(Decimal(0)),
        },
    }
    if "accountNo" in event:
        item["additionalInfo"]["accountNo"] = event["accountNo"]
    if kind == "DISBURSEMENT":
        item["remark"] = event.get("remark") or "Payout"
    return item


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@_handler("transaction_history_list")
def _history_list(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    size = max(1, min(_int(body.get("pageSize"), 10), 50))
    page = max(0, _int(body.get("pageNumber"), 0))
    events = state.history
    partner = body.get("partnerReferenceNo")
    if partner:
        events = [e for e in events if e["partnerReferenceNo"] == partner]
    if get_field(body, "additionalInfo.sortOrder") != "ASC":
        events = list(reversed(events))
    chunk = events[page * size : (page + 1) * size]
    return Outcome(body={"detailData": [_history_item(e) for e in chunk]})


@_handler("transaction_history_detail")
def _history_detail(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    ref = get_field(body, "additionalInfo.referenceNo")
    for event in state.history:
        if event["referenceNo"] == ref:
            item = _history_item(event)
            extra = item.pop("additionalInfo")
            extra["updatedTime"] = item["dateTime"]
            return Outcome(
                body={
                    "referenceNo": ref,
                    "partnerReferenceNo": event["partnerReferenceNo"],
                    **item,
                    "additionalInfo": extra,
                }
            )
    return _not_found()


# --- payouts -----------------------------------------------------------------------------------


def _account_name(account: str) -> str | None:
    if account.startswith("404"):
        return None
    return _KNOWN_ACCOUNTS.get(account, f"BISNAP SIMULATOR {account[-4:]}")


@_handler("external_account_inquiry")
def _account_inquiry(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    account = str(body.get("beneficiaryAccountNo"))
    name = _account_name(account)
    if name is None:
        return _fail(404, "11")  # Invalid Account
    return Outcome(
        body={
            "referenceNo": state._next_ref("AI"),
            "beneficiaryAccountName": name,
            "beneficiaryAccountNo": account,
            "beneficiaryBankCode": body.get("beneficiaryBankCode"),
        }
    )


@_handler("emoney_account_inquiry")
def _emoney_inquiry(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    number = str(body.get("customerNumber"))
    name = _account_name(number)
    if name is None:
        return _fail(404, "11")
    return Outcome(
        body={
            "referenceNo": state._next_ref("EI"),
            "customerNumber": number,
            "customerName": name,
            "amount": body.get("amount"),
            "additionalInfo": body.get("additionalInfo", {}),
        }
    )


@_handler("va_inquiry_intrabank")
def _va_inquiry(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    number = str(body.get("virtualAccountNo"))
    va = state.va_by_number(number)
    name = str(va.data.get("virtualAccountName")) if va else _account_name(number)
    if name is None:
        return _fail(404, "11")
    data: dict[str, Any] = {
        "partnerServiceId": body.get("partnerServiceId"),
        "customerNo": body.get("customerNo"),
        "virtualAccountNo": number,
        "virtualAccountName": name,
        "inquiryRequestId": state._next_ref("IQ"),
    }
    if va is not None:
        data["totalAmount"] = _money(va.amount, va.currency)
    return Outcome(body={"virtualAccountData": data})


def _payout(
    state: EmulatorState,
    body: Mapping[str, Any],
    ctx: CallContext,
    service_code: str,
    amount_at: str,
    beneficiary: str,
    remark: Any = None,
) -> Outcome | _Transfer:
    amount = _amount(body, amount_at)
    if isinstance(amount, Outcome):
        return amount
    partner_ref = str(body.get("partnerReferenceNo"))
    if any(t.partner_reference_no == partner_ref for t in state.transfers.values()):
        return _fail(409, "01")
    if amount[0] > state.balance:
        return _fail(403, "14")  # Insufficient Funds
    state.balance -= amount[0]
    transfer = _Transfer(
        state._next_ref("TF"), partner_ref, service_code, amount[0], amount[1], beneficiary, ctx.now
    )
    state.transfers[transfer.reference_no] = transfer
    state._event(
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


def _transfer_body(transfer: _Transfer, body: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "referenceNo": transfer.reference_no,
        "partnerReferenceNo": transfer.partner_reference_no,
        "amount": _money(transfer.amount, transfer.currency),
        "beneficiaryAccountNo": transfer.beneficiary,
        "sourceAccountNo": body.get("sourceAccountNo"),
        "transactionDate": body.get("transactionDate") or format_timestamp(transfer.created),
        "latestTransactionStatus": "00",
        "transactionStatusDesc": "Success",
    }


@_handler("intrabank_transfer")
def _intrabank(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    done = _payout(
        state, body, ctx, "17", "amount", str(body.get("beneficiaryAccountNo")), body.get("remark")
    )
    return done if isinstance(done, Outcome) else Outcome(body=_transfer_body(done, body))


@_handler("interbank_transfer")
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
    return Outcome(body=out)


@_handler("va_payment_intrabank")
def _va_payment(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    number = str(body.get("virtualAccountNo"))
    at = next((f for f in ("paidAmount", "amount", "totalAmount") if f in body), None)
    va = state.va_by_number(number)
    if at is None and va is not None:
        body = {**body, "paidAmount": _money(va.amount, va.currency)}
        at = "paidAmount"
    if at is None:
        return _fail(400, "02", "paidAmount")
    done = _payout(state, body, ctx, "33", at, number)
    if isinstance(done, Outcome):
        return done
    notice = None
    if va is not None and va.status == "03":
        _summary, notice = state._pay_va(number, ctx.now)
    return Outcome(
        body={
            "virtualAccountData": {
                "partnerServiceId": body.get("partnerServiceId"),
                "customerNo": body.get("customerNo"),
                "virtualAccountNo": number,
                "partnerReferenceNo": done.partner_reference_no,
                "referenceNo": done.reference_no,
                "paidAmount": _money(done.amount, done.currency),
            }
        },
        notice=notice,
    )


@_handler("emoney_topup")
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
            "amount": _money(done.amount, done.currency),
            "additionalInfo": body.get("additionalInfo", {}),
        }
    )


@_handler("balance_inquiry")
def _balance(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    money = _money(state.balance)
    return Outcome(
        body={
            "accountNo": body.get("accountNo"),
            "name": "bisnap emulator merchant",
            "accountInfos": [
                {
                    "balanceType": "Cash",
                    "amount": money,
                    "availableBalance": money,
                    "status": "0001",
                },
            ],
        }
    )


@_handler("transfer_status")
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
                    "amount": _money(transfer.amount, transfer.currency),
                    "beneficiaryAccountNo": transfer.beneficiary,
                    "latestTransactionStatus": "00",
                    "transactionStatusDesc": "Success",
                }
            )
    return _not_found()
