"""Objects several products share: the answer envelope, refunds, cancels, pay options."""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Amount, Model

__all__ = [
    "CancelResponse",
    "OriginalExternalIdInfo",
    "PayOptionAdditionalInfo",
    "PayOptionDetail",
    "RefundHistory",
    "RefundResponse",
    "SnapResult",
]


class SnapResult(Model, kw_only=True):
    """What every SNAP answer carries: `responseCode` and `responseMessage`."""

    response_code: str | None = None
    response_message: str | None = None


class RefundHistory(Model, kw_only=True):
    """One refund of a payment, as status answers and notifications list it."""

    refund_no: str | None = None
    partner_reference_no: str | None = None
    refund_amount: Amount | None = None
    refund_status: str | None = None
    refund_date: str | None = None
    reason: str | None = None


class RefundResponse(SnapResult, kw_only=True):
    """The answer to a refund (QRIS, direct debit, pre-auth)."""

    original_partner_reference_no: str | None = None
    original_reference_no: str | None = None
    original_external_id: str | None = None
    refund_no: str | None = None
    partner_refund_no: str | None = None
    refund_amount: Amount | None = None
    refund_time: str | None = None
    reason: str | None = None
    additional_info: dict[str, Any] | None = None


class CancelResponse(SnapResult, kw_only=True):
    """The answer to a cancel (QRIS, direct debit)."""

    original_partner_reference_no: str | None = None
    original_reference_no: str | None = None
    original_external_id: str | None = None
    cancel_time: str | None = None
    transaction_date: str | None = None
    reason: str | None = None
    additional_info: dict[str, Any] | None = None


class PayOptionAdditionalInfo(Model, kw_only=True):
    """GoPay tokenization details of a pay option."""

    payment_option_token: str | None = None
    recurring: str | None = None
    promotion_ids: list[str] | None = None

    secret_fields = frozenset({"payment_option_token"})


class PayOptionDetail(Model, kw_only=True):
    """How a payment is paid: method (`GOPAY`), option (`GOPAY_WALLET`...), amount."""

    pay_method: str
    pay_option: str
    trans_amount: Amount | None = None
    fee_amount: Amount | None = None
    additional_info: PayOptionAdditionalInfo | None = None


class OriginalExternalIdInfo(Model, kw_only=True):
    """`additionalInfo.originalExternalId`: the X-EXTERNAL-ID of the original call."""

    original_external_id: str | None = None
