"""What the emulator's state is made of, and the answer type every handler returns. No I/O.

`Outcome` is one answer (HTTP status, SNAP case code, body fields, notifications to send);
`CallContext` is what the app knows about an authenticated call besides its body; the
records (`VirtualAccount`, `Payment`, `Transfer`) are what the state keeps; `fail`,
`parse_amount` and `money` are the small helpers every product's handlers share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from bisnap.catalogue import NOTIFICATIONS, NotificationEndpoint

__all__ = [
    "NOTIFY",
    "CallContext",
    "Notice",
    "Outcome",
    "Payment",
    "PaymentNotice",
    "PayoutNotice",
    "Transfer",
    "VirtualAccount",
    "fail",
    "get_field",
    "money",
    "not_found",
    "parse_amount",
    "text_field",
]


#: The SNAP notifications by catalogue name.
NOTIFY = MappingProxyType({n.name: n for n in NOTIFICATIONS})


def get_field(body: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path (`"totalAmount.value"`), or None when absent."""
    node: Any = body
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def text_field(body: Mapping[str, Any], dotted: str) -> str | None:
    """The value at a dotted path as text: strings as they are, numbers spelled, else None."""
    value = get_field(body, dotted)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    return None


@dataclass(frozen=True)
class CallContext:
    """What the app knows about an authenticated call besides its body."""

    partner_id: str
    external_id: str
    now: datetime
    customer_token: str | None = None


@dataclass(frozen=True)
class PaymentNotice:
    """A SNAP notification to send after a state change: which endpoint, which body.

    `schedule` replaces the sender's retry delays for this notification (linking
    notifications retry at 20/40/80 ms).
    """

    endpoint: NotificationEndpoint
    body: dict[str, Any]
    schedule: tuple[timedelta, ...] | None = None


@dataclass(frozen=True)
class PayoutNotice:
    """A Payouts (Iris) notification: a snake_case body signed with `Iris-Signature`."""

    body: dict[str, Any]
    name: str = "payout_notify"


#: Anything the notification sender delivers.
Notice = PaymentNotice | PayoutNotice


@dataclass
class Outcome:
    """An answer: HTTP status + case code (service code comes from the route), body fields.

    `detail` goes into `responseMessage` after the standard message (e.g. the field name
    of `400xx02 Invalid Mandatory Field {field}`); `notices` are sent after answering.
    """

    status: int = 200
    case: str = "00"
    body: dict[str, Any] = field(default_factory=dict)
    detail: str | None = None
    notices: list[Notice] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True for 2xx."""
        return 200 <= self.status < 300


def fail(status: int, case: str, detail: str | None = None) -> Outcome:
    """A rejection: HTTP status + case code (+ the field or reason in the message)."""
    return Outcome(status=status, case=case, detail=detail)


def not_found() -> Outcome:
    """`404xx01 Transaction Not Found`."""
    return fail(404, "01")


def parse_amount(body: Mapping[str, Any], dotted: str) -> tuple[Decimal, str] | Outcome:
    """The `{value, currency}` at `dotted` as (Decimal, currency), or the 400 to answer."""
    raw = get_field(body, dotted)
    if raw is None:
        return fail(400, "02", dotted)
    node = raw if isinstance(raw, Mapping) else {"value": raw}
    where = f"{dotted}.value" if isinstance(raw, Mapping) else dotted
    value_text = node.get("value")
    if isinstance(value_text, bool) or not isinstance(value_text, str | int | float):
        return fail(400, "01", where)
    try:
        value = Decimal(str(value_text))
    except (InvalidOperation, ValueError):
        return fail(400, "01", where)
    if not value.is_finite() or value < 0 or value.adjusted() > 15:
        return fail(400, "01", dotted)
    currency = node.get("currency") or "IDR"
    if not isinstance(currency, str):
        return fail(400, "01", f"{dotted}.currency")
    return value, currency


def money(value: Decimal, currency: str = "IDR") -> dict[str, str]:
    """`{"value": "10000.00", "currency": "IDR"}`."""
    return {"value": f"{value:.2f}", "currency": currency}


@dataclass
class VirtualAccount:
    """A VA as created (its request body kept), and what happened to it."""

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
class Payment:
    """A QRIS, direct-debit or pre-auth ("auth") payment."""

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
        """The sum of the refunds so far."""
        return sum((Decimal(r["refundAmount"]["value"]) for r in self.refunds), Decimal(0))


@dataclass
class Transfer:
    """A payout (intrabank, interbank, VA payment, e-money top-up)."""

    reference_no: str
    partner_reference_no: str
    service_code: str
    amount: Decimal
    currency: str
    beneficiary: str
    created: datetime
