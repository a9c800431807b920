"""GoPay tokenization pre-auth: Payment (63), Query (64), Capture (65), Void (67), Refund (69)."""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Amount, Model
from bisnap.models.common import (
    OriginalExternalIdInfo,
    PayOptionDetail,
    RefundHistory,
    RefundResponse,
    SnapResult,
)

__all__ = [
    "AuthCaptureRequest",
    "AuthCaptureResponse",
    "AuthPaymentAdditionalInfo",
    "AuthPaymentRequest",
    "AuthPaymentResponse",
    "AuthQueryAdditionalInfo",
    "AuthQueryRequest",
    "AuthQueryResponse",
    "AuthRefundRequest",
    "AuthRefundResponse",
    "AuthVoidRequest",
    "AuthVoidResponse",
]


class AuthPaymentAdditionalInfo(Model, kw_only=True):
    """`additionalInfo` of Auth Payment."""

    merchant_cross_reference_id: str | None = None
    pay_option_details: PayOptionDetail | None = None


class AuthPaymentRequest(Model, kw_only=True):
    """Auth Payment (reserve funds; needs the customer token)."""

    partner_reference_no: str
    merchant_id: str
    amount: Amount
    title: str
    items: list[dict[str, Any]] | None = None
    additional_info: AuthPaymentAdditionalInfo | None = None


class AuthPaymentResponse(SnapResult, kw_only=True):
    """The answer to Auth Payment."""

    reference_no: str | None = None
    partner_reference_no: str | None = None
    amount: Amount | None = None
    additional_info: dict[str, Any] | None = None


class AuthQueryRequest(Model, kw_only=True):
    """Auth Query: one of the original ids."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    additional_info: OriginalExternalIdInfo | None = None


class AuthQueryAdditionalInfo(Model, kw_only=True):
    """`additionalInfo` of an Auth Query answer."""

    refund_history: list[RefundHistory] | None = None
    total_refund_amount: Amount | None = None


class AuthQueryResponse(SnapResult, kw_only=True):
    """The answer to Auth Query (`latest_transaction_status` 00/01/04/05/06/07/08/09)."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    service_code: str | None = None
    latest_transaction_status: str | None = None
    transaction_status_desc: str | None = None
    amount: Amount | None = None
    merchant_id: str | None = None
    additional_info: AuthQueryAdditionalInfo | None = None


class AuthCaptureRequest(Model, kw_only=True):
    """Auth Capture (full capture only)."""

    original_reference_no: str | None = None
    original_external_id: str | None = None
    original_partner_reference_no: str
    merchant_id: str
    partner_capture_no: str
    capture_amount: Amount
    title: str | None = None
    additional_info: OriginalExternalIdInfo | None = None


class AuthCaptureResponse(SnapResult, kw_only=True):
    """The answer to Auth Capture."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    capture_no: str | None = None
    partner_capture_no: str | None = None
    capture_amount: Amount | None = None
    capture_time: str | None = None
    additional_info: dict[str, Any] | None = None


class AuthVoidRequest(Model, kw_only=True):
    """Auth Void (release the reserved funds)."""

    original_reference_no: str | None = None
    original_external_id: str | None = None
    original_partner_reference_no: str
    merchant_id: str
    partner_void_no: str
    void_amount: Amount | None = None
    reason: str | None = None
    additional_info: OriginalExternalIdInfo | None = None


class AuthVoidResponse(SnapResult, kw_only=True):
    """The answer to Auth Void."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    void_no: str | None = None
    partner_void_no: str | None = None
    void_amount: Amount | None = None
    void_time: str | None = None
    reason: str | None = None
    additional_info: dict[str, Any] | None = None


class AuthRefundRequest(Model, kw_only=True):
    """Auth Refund (of a captured payment)."""

    original_reference_no: str | None = None
    original_external_id: str | None = None
    original_partner_reference_no: str
    partner_refund_no: str
    refund_amount: Amount | None = None
    reason: str | None = None
    additional_info: OriginalExternalIdInfo | None = None


class AuthRefundResponse(RefundResponse, kw_only=True):
    """The answer to Auth Refund."""
