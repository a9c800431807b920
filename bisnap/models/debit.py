"""Direct debit (GoPay / ShopeePay / DANA deeplink, GoPay tokenization non pre-auth).

Payment (54), Status (55), Refund (58), Cancel (57).
"""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Amount, Model
from bisnap.models.common import (
    CancelResponse,
    PayOptionDetail,
    RefundHistory,
    RefundResponse,
    SnapResult,
)

__all__ = [
    "DebitCancelRequest",
    "DebitCancelResponse",
    "DebitPaymentAdditionalInfo",
    "DebitPaymentRequest",
    "DebitPaymentResponse",
    "DebitPaymentResultInfo",
    "DebitRefundRequest",
    "DebitRefundResponse",
    "DebitStatusAdditionalInfo",
    "DebitStatusRequest",
    "DebitStatusResponse",
    "UrlParam",
    "UserPaymentDetail",
]


class UrlParam(Model, kw_only=True):
    """Where the customer returns: `type` `PAY_RETURN`, `is_deeplink` `Y` or `N`."""

    url: str
    type: str
    is_deeplink: str


class DebitPaymentAdditionalInfo(Model, kw_only=True):
    """`additionalInfo` of a direct debit payment."""

    merchant_cross_reference_id: str | None = None
    lang: str | None = None
    customer_details: dict[str, Any] | None = None
    items: list[dict[str, Any]] | None = None
    metadata: dict[str, Any] | None = None


class DebitPaymentRequest(Model, kw_only=True):
    """Direct Debit Payment: what to charge and how (`pay_option_details`)."""

    partner_reference_no: str
    charge_token: str | None = None
    merchant_id: str | None = None
    sub_merchant_id: str | None = None
    valid_up_to: str | None = None
    url_params: list[UrlParam] | None = None
    pay_option_details: list[PayOptionDetail]
    additional_info: DebitPaymentAdditionalInfo | None = None

    secret_fields = frozenset({"charge_token"})


class DebitPaymentResultInfo(Model, kw_only=True):
    """`additionalInfo` of the payment answer."""

    gross_amount: Amount | None = None
    payment_type: str | None = None
    transaction_time: str | None = None
    valid_up_to: str | None = None


class DebitPaymentResponse(SnapResult, kw_only=True):
    """The answer to Direct Debit Payment: send the customer to `web_redirect_url`."""

    reference_no: str | None = None
    partner_reference_no: str | None = None
    web_redirect_url: str | None = None
    app_redirect_url: str | None = None
    additional_info: DebitPaymentResultInfo | None = None


class DebitStatusRequest(Model, kw_only=True):
    """Direct Debit Status: an original id and `service_code` `"54"`."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    service_code: str
    transaction_date: str | None = None
    merchant_id: str | None = None
    additional_info: dict[str, Any] | None = None


class UserPaymentDetail(Model, kw_only=True):
    """How the customer paid (`additionalInfo.userPaymentDetails[]`)."""

    pay_method: str | None = None
    pay_option: str | None = None
    amount: Amount | None = None


class DebitStatusAdditionalInfo(Model, kw_only=True):
    """`additionalInfo` of a direct debit status."""

    user_payment_details: list[UserPaymentDetail] | None = None
    refund_history: list[RefundHistory] | None = None
    total_refund_amount: Amount | None = None


class DebitStatusResponse(SnapResult, kw_only=True):
    """The answer to Direct Debit Status (`latest_transaction_status`)."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    service_code: str | None = None
    latest_transaction_status: str | None = None
    transaction_status_desc: str | None = None
    amount: Amount | None = None
    trans_amount: Amount | None = None
    fee_amount: Amount | None = None
    paid_time: str | None = None
    merchant_id: str | None = None
    refund_history: list[RefundHistory] | None = None
    additional_info: DebitStatusAdditionalInfo | None = None


class DebitRefundRequest(Model, kw_only=True):
    """Direct Debit Refund: leave `refund_amount` out for a full refund."""

    original_reference_no: str | None = None
    original_external_id: str | None = None
    original_partner_reference_no: str
    partner_refund_no: str
    refund_amount: Amount | None = None
    reason: str | None = None
    additional_info: dict[str, Any] | None = None


class DebitRefundResponse(RefundResponse, kw_only=True):
    """The answer to Direct Debit Refund."""


class DebitCancelRequest(Model, kw_only=True):
    """Direct Debit Cancel."""

    original_reference_no: str | None = None
    original_external_id: str | None = None
    original_partner_reference_no: str
    reason: str | None = None
    additional_info: dict[str, Any] | None = None


class DebitCancelResponse(CancelResponse, kw_only=True):
    """The answer to Direct Debit Cancel."""
