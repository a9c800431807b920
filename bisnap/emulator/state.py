"""What the emulator remembers, and the dispatch of every catalogue call. No I/O here.

The state keeps VAs, payments, bindings, payouts, history and the X-EXTERNAL-IDs seen;
each product's handlers (`bisnap.emulator.handlers.{va,payments,binding,payouts,reporting}`)
read the parsed request body (already authenticated by the app), change the state and
say what to answer (an `Outcome`: HTTP status, SNAP case code, body fields, notifications).
The flows:

- VA: create → (customer pays, `pay()`) → status 00 / delete → 05.
- QRIS and direct debit: generate/payment (03/01) → `pay()` → 00 → refund → 04;
  cancel before payment → 05.
- GoPay tokenization pre-auth: auth payment (01) → capture (00) → refund (04); void → 05.
- Account linking: binding issues a customer token; inquiry and unbinding use it; binding
  and unbinding send the linking notification.
- Payouts: a balance that transfers (intrabank, interbank, VA, e-money top-up) reduce;
  transfer status finds them; account inquiry answers a name; each transfer sends a
  Payouts (`Iris-Signature`) notification.
- Reporting: transaction history lists and details what happened.
"""

from __future__ import annotations

import secrets as _random
import threading
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from bisnap.clock import jakarta_day
from bisnap.emulator.handlers import HANDLERS, pay_payment, pay_va
from bisnap.emulator.records import (
    CallContext,
    Notice,
    Outcome,
    Payment,
    PaymentNotice,
    PayoutNotice,
    Transfer,
    VirtualAccount,
    fail,
    get_field,
    money,
)
from bisnap.responses import TRANSACTION_STATUSES

__all__ = [
    "STATUS_DESCRIPTIONS",
    "CallContext",
    "EmulatorState",
    "Notice",
    "Outcome",
    "PaymentNotice",
    "PayoutNotice",
    "get_field",
]

#: The status names (one table, in bisnap.responses).
STATUS_DESCRIPTIONS = TRANSACTION_STATUSES


def _same_number(data: Mapping[str, Any], wanted: str) -> bool:
    return str(data.get("virtualAccountNo", "")).strip() == wanted


class EmulatorState:
    """The emulator's memory: VAs, payments, bindings, payouts, history, seen external ids.

    Thread-safe: every public method takes one lock. `handle()` answers a catalogue call;
    `pay()` is the admin "customer pays" action.
    """

    def __init__(
        self, *, balance: Decimal = Decimal("1000000000.00"), merchant_id: str = "G000000001"
    ) -> None:
        self._lock = threading.RLock()
        self.balance = balance
        self.merchant_id = merchant_id
        self._seq = 0
        self._prefix = "".join(_random.choice("0123456789") for _ in range(4))
        self.vas: dict[str, VirtualAccount] = {}
        self.payments: dict[str, Payment] = {}
        self.transfers: dict[str, Transfer] = {}
        self.bindings: dict[str, dict[str, Any]] = {}
        self.history: list[dict[str, Any]] = []
        self._seen: dict[tuple[str, str, str], tuple[str, str, Outcome | None]] = {}
        self._seen_day = ""

    # --- ids and idempotency ----------------------------------------------------------------

    def next_ref(self, prefix: str = "EMU") -> str:
        """A fresh reference number: prefix + this emulator's 4 digits + a counter."""
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
        return fail(409, "00", "Cannot use same X-EXTERNAL-ID in same day")

    def remember(self, ctx: CallContext, outcome: Outcome) -> None:
        """Keep the answer to an external id, for idempotent replays (without notices)."""
        key = (jakarta_day(ctx.now), ctx.partner_id, ctx.external_id)
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None:
                replayable = Outcome(outcome.status, outcome.case, outcome.body, outcome.detail)
                self._seen[key] = (seen[0], seen[1], replayable)

    # --- dispatch ------------------------------------------------------------------------

    def handle(self, name: str, body: dict[str, Any], ctx: CallContext) -> Outcome:
        """Answer the catalogue entry `name` for an authenticated, validated request."""
        handler = HANDLERS.get(name)
        if handler is None:
            return fail(405, "00")
        with self._lock:
            return handler(self, body, ctx)

    def record_event(
        self, kind: str, ref: str, partner_ref: str, amount: Decimal, **extra: Any
    ) -> None:
        """Add a PAYMENT, REFUND or DISBURSEMENT to the transaction history."""
        self.history.append(
            {
                "type": kind,
                "referenceNo": ref,
                "partnerReferenceNo": partner_ref,
                "amount": amount,
                **extra,
            }
        )

    def find_payment(self, body: Mapping[str, Any], kind: str) -> Payment | None:
        """The payment of `kind` a query names: original reference, partner reference or
        external id, in that priority."""
        ref = get_field(body, "originalReferenceNo")
        if isinstance(ref, str) and ref in self.payments and self.payments[ref].kind == kind:
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

    def va_by_number(self, number: str) -> VirtualAccount | None:
        """The VA with this number: the newest pending one, else the newest (None if none).

        Numbers compare without the left padding of `partnerServiceId`.
        """
        wanted = number.strip()
        found = [v for v in self.vas.values() if _same_number(v.data, wanted)]
        pending = [v for v in found if v.status == "03"]
        candidates = pending or found
        return candidates[-1] if candidates else None

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
                return pay_va(self, virtual_account_no, now)
            for payment in self.payments.values():
                if payment.kind == "auth":
                    continue
                if reference_no is not None and payment.reference_no == reference_no:
                    return pay_payment(self, payment, now)
                if (
                    partner_reference_no is not None
                    and payment.partner_reference_no == partner_reference_no
                ):
                    return pay_payment(self, payment, now)
        raise LookupError("no VA or payment matches")

    # --- snapshot --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready view of the state (customer tokens masked)."""
        with self._lock:
            return {
                "balance": money(self.balance),
                "virtualAccounts": [
                    {
                        "virtualAccountNo": v.data.get("virtualAccountNo"),
                        "trxId": v.data.get("trxId"),
                        "amount": money(v.amount, v.currency),
                        "paymentFlagStatus": v.status,
                    }
                    for v in self.vas.values()
                ],
                "payments": [
                    {
                        "kind": p.kind,
                        "referenceNo": p.reference_no,
                        "partnerReferenceNo": p.partner_reference_no,
                        "amount": money(p.amount, p.currency),
                        "latestTransactionStatus": p.status,
                    }
                    for p in self.payments.values()
                ],
                "transfers": [
                    {
                        "referenceNo": t.reference_no,
                        "partnerReferenceNo": t.partner_reference_no,
                        "serviceCode": t.service_code,
                        "amount": money(t.amount, t.currency),
                        "beneficiary": t.beneficiary,
                    }
                    for t in self.transfers.values()
                ],
                "bindings": len(self.bindings),
                "history": len(self.history),
            }
