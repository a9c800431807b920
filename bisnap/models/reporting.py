"""Reporting: Transaction History List (12) and Detail (13).

The list is paged: `page_size` at most 50, `page_number` from 0. `SnapClient.
iter_transaction_history` walks every page for you.
"""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Amount, Model
from bisnap.models.common import SnapResult

__all__ = [
    "HistoryDetailInfo",
    "HistoryDetailKey",
    "HistoryDisbursement",
    "HistoryFilter",
    "HistoryItem",
    "HistoryItemInfo",
    "HistoryPayment",
    "HistoryRefund",
    "HistoryWithdrawal",
    "StatusFilter",
    "TransactionHistoryDetailRequest",
    "TransactionHistoryDetailResponse",
    "TransactionHistoryListRequest",
    "TransactionHistoryListResponse",
]


class StatusFilter(Model, kw_only=True):
    """`additionalInfo.{payment,topUp,withdrawal,disbursement}.statuses`."""

    statuses: list[str]


class HistoryFilter(Model, kw_only=True):
    """`additionalInfo` of the list request: Midtrans types, statuses and order."""

    types: list[str] | None = None
    payment: StatusFilter | None = None
    top_up: StatusFilter | None = None
    withdrawal: StatusFilter | None = None
    disbursement: StatusFilter | None = None
    sort_order: str | None = None


class TransactionHistoryListRequest(Model, kw_only=True):
    """Transaction History List: dates within the last 6 months; sent as integers."""

    partner_reference_no: str | None = None
    from_date_time: str | None = None
    to_date_time: str | None = None
    page_size: int | None = None
    page_number: int | None = None
    additional_info: HistoryFilter | None = None


class HistoryItemInfo(Model, kw_only=True):
    """`additionalInfo` of a history item: use `status` (Midtrans's) for decisions."""

    reference_no: str | None = None
    partner_reference_no: str | None = None
    status: str | None = None
    type: str | None = None
    channel: str | None = None
    customer_email: str | None = None
    account_no: str | None = None
    fee: Amount | None = None


class HistoryItem(Model, kw_only=True):
    """One transaction of the list (`detailData[]`)."""

    date_time: str | None = None
    amount: Amount | None = None
    remark: str | None = None
    status: str | None = None
    type: str | None = None
    additional_info: HistoryItemInfo | None = None


class TransactionHistoryListResponse(SnapResult, kw_only=True):
    """One page of the list."""

    detail_data: list[HistoryItem] | None = None


class HistoryDetailKey(Model, kw_only=True):
    """`additionalInfo.referenceNo`: Midtrans's id of the transaction."""

    reference_no: str


class TransactionHistoryDetailRequest(Model, kw_only=True):
    """Transaction History Detail."""

    original_partner_reference_no: str
    additional_info: HistoryDetailKey


class HistoryRefund(Model, kw_only=True):
    """A refund in the detail's `payment.refunds[]`."""

    id: str | None = None
    amount: Amount | None = None
    reason: str | None = None
    created_time: str | None = None
    bank_confirmed_time: str | None = None
    cancelled_time: str | None = None


class HistoryPayment(Model, kw_only=True):
    """`additionalInfo.payment` (PAYMENT only); the per-channel fields are in `extra`."""

    expiry_time: str | None = None
    source: str | None = None
    refunds: list[HistoryRefund] | None = None
    customer: dict[str, Any] | None = None
    shipping_address: dict[str, Any] | None = None
    items: list[dict[str, Any]] | None = None
    promo: dict[str, Any] | None = None


class HistoryWithdrawal(Model, kw_only=True):
    """`additionalInfo.withdrawal`."""

    bank_name: str | None = None
    bank_code: str | None = None
    account_no: str | None = None
    account_name: str | None = None
    requested_time: str | None = None
    success_time: str | None = None
    failed_time: str | None = None
    cancelled_time: str | None = None


class HistoryDisbursement(Model, kw_only=True):
    """`additionalInfo.disbursement`."""

    source_bank_code: str | None = None
    source_account_no: str | None = None
    beneficiary_email: str | None = None
    beneficiary_name: str | None = None
    beneficiary_bank_code: str | None = None
    beneficiary_bank_name: str | None = None
    beneficiary_account_no: str | None = None
    requested_time: str | None = None
    approved_time: str | None = None
    rejected_time: str | None = None
    processed_time: str | None = None
    completed_time: str | None = None
    failed_time: str | None = None
    failure_message: str | None = None
    failure_code: str | None = None


class HistoryDetailInfo(Model, kw_only=True):
    """`additionalInfo` of the detail answer."""

    status: str | None = None
    type: str | None = None
    updated_time: str | None = None
    channel: str | None = None
    customer_email: str | None = None
    account_no: str | None = None
    fee: Amount | None = None
    payment: HistoryPayment | None = None
    withdrawal: HistoryWithdrawal | None = None
    disbursement: HistoryDisbursement | None = None


class TransactionHistoryDetailResponse(SnapResult, kw_only=True):
    """The answer to Transaction History Detail."""

    reference_no: str | None = None
    partner_reference_no: str | None = None
    date_time: str | None = None
    amount: Amount | None = None
    remark: str | None = None
    status: str | None = None
    type: str | None = None
    additional_info: HistoryDetailInfo | None = None
