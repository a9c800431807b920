"""QRIS MPM: Generate (47), Query (51), Refund (78), Cancel (77)."""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Amount, Model
from bisnap.models.common import CancelResponse, RefundHistory, RefundResponse, SnapResult

__all__ = [
    "QrisCancelRequest",
    "QrisCancelResponse",
    "QrisGenerateAdditionalInfo",
    "QrisGenerateRequest",
    "QrisGenerateResponse",
    "QrisQueryAdditionalInfo",
    "QrisQueryRequest",
    "QrisQueryResponse",
    "QrisRefundRequest",
    "QrisRefundResponse",
]


class QrisGenerateAdditionalInfo(Model, kw_only=True):
    """`additionalInfo.acquirer`: `gopay` (default) or `AIRPAY SHOPEE`."""

    acquirer: str | None = None


class QrisGenerateRequest(Model, kw_only=True):
    """Generate QRIS: `partner_reference_no` should equal the X-EXTERNAL-ID."""

    partner_reference_no: str
    amount: Amount
    merchant_id: str
    terminal_id: str | None = None
    sub_merchant_id: str | None = None
    store_id: str | None = None
    validity_period: str | None = None
    fee_amount: Amount | None = None
    additional_info: QrisGenerateAdditionalInfo | None = None


class QrisGenerateResponse(SnapResult, kw_only=True):
    """The answer to Generate QRIS: the QR text, its URL and (Midtrans) a base64 image."""

    reference_no: str | None = None
    partner_reference_no: str | None = None
    qr_content: str | None = None
    qr_url: str | None = None
    qr_image: str | None = None
    merchant_name: str | None = None
    store_id: str | None = None
    terminal_id: str | None = None
    additional_info: dict[str, Any] | None = None


class QrisQueryRequest(Model, kw_only=True):
    """QRIS Query: one of the original ids (priority: reference, partner reference, external)."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    service_code: str
    merchant_id: str
    additional_info: dict[str, Any] | None = None


class QrisQueryAdditionalInfo(Model, kw_only=True):
    """`additionalInfo` of a QRIS status: refunds so far."""

    refund_history: list[RefundHistory] | None = None
    total_refund_amount: Amount | None = None


class QrisQueryResponse(SnapResult, kw_only=True):
    """The answer to QRIS Query (`latest_transaction_status`: 00 paid, 03 pending...)."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    service_code: str | None = None
    latest_transaction_status: str | None = None
    transaction_status_desc: str | None = None
    paid_time: str | None = None
    amount: Amount | None = None
    fee_amount: Amount | None = None
    terminal_id: str | None = None
    merchant_id: str | None = None
    additional_info: QrisQueryAdditionalInfo | None = None


class QrisRefundRequest(Model, kw_only=True):
    """QRIS Refund: `partner_refund_no` should equal the X-EXTERNAL-ID."""

    merchant_id: str
    original_partner_reference_no: str
    partner_refund_no: str
    original_reference_no: str | None = None
    original_external_id: str | None = None
    refund_amount: Amount | None = None
    reason: str | None = None
    additional_info: dict[str, Any] | None = None


class QrisRefundResponse(RefundResponse, kw_only=True):
    """The answer to QRIS Refund."""


class QrisCancelRequest(Model, kw_only=True):
    """QRIS Cancel: a reason and one of the original ids."""

    merchant_id: str
    reason: str
    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    amount: Amount | None = None
    additional_info: dict[str, Any] | None = None


class QrisCancelResponse(CancelResponse, kw_only=True):
    """The answer to QRIS Cancel."""
