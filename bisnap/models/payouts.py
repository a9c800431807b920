"""Payouts: account inquiries, transfers, VA payments, e-money top up, balance, status.

Service codes 16, 17, 18, 32, 33, 37, 38, 11 and 36. Amounts are `Amount` in IDR.
"""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Amount, Model
from bisnap.models.common import SnapResult
from bisnap.models.va import VirtualAccountData

__all__ = [
    "AccountInfo",
    "BalanceInquiryRequest",
    "BalanceInquiryResponse",
    "EmoneyAccountInquiryRequest",
    "EmoneyAccountInquiryResponse",
    "EmoneyInquiryInfo",
    "EmoneyTopupInfo",
    "EmoneyTopupRequest",
    "EmoneyTopupResponse",
    "ExternalAccountInquiryRequest",
    "ExternalAccountInquiryResponse",
    "InterbankTransferInfo",
    "InterbankTransferRequest",
    "InterbankTransferResponse",
    "IntrabankTransferRequest",
    "IntrabankTransferResponse",
    "TransferResponse",
    "TransferStatusRequest",
    "TransferStatusResponse",
    "VaInquiryIntrabankInfo",
    "VaInquiryIntrabankRequest",
    "VaInquiryIntrabankResponse",
    "VaPaymentIntrabankRequest",
    "VaPaymentIntrabankResponse",
]


class ExternalAccountInquiryRequest(Model, kw_only=True):
    """External Account Inquiry: a 7-digit BI bank + branch code and the account number."""

    beneficiary_bank_code: str
    beneficiary_account_no: str
    additional_info: dict[str, Any] | None = None


class ExternalAccountInquiryResponse(SnapResult, kw_only=True):
    """The answer to External Account Inquiry: whose account it is."""

    reference_no: str | None = None
    beneficiary_account_name: str | None = None
    beneficiary_account_no: str | None = None
    beneficiary_bank_code: str | None = None
    beneficiary_bank_name: str | None = None
    additional_info: dict[str, Any] | None = None


class IntrabankTransferRequest(Model, kw_only=True):
    """Intrabank Transfer (no approval step: processed at once)."""

    partner_reference_no: str
    amount: Amount
    beneficiary_account_no: str
    beneficiary_email: str | None = None
    remark: str
    source_account_no: str
    transaction_date: str
    additional_info: dict[str, Any] | None = None


class TransferResponse(SnapResult, kw_only=True):
    """The answer to a transfer or top up."""

    reference_no: str | None = None
    partner_reference_no: str | None = None
    amount: Amount | None = None
    beneficiary_account_no: str | None = None
    beneficiary_bank_code: str | None = None
    source_account_no: str | None = None
    transaction_date: str | None = None
    latest_transaction_status: str | None = None
    transaction_status_desc: str | None = None
    additional_info: dict[str, Any] | None = None


class IntrabankTransferResponse(TransferResponse, kw_only=True):
    """The answer to Intrabank Transfer."""


class InterbankTransferInfo(Model, kw_only=True):
    """`additionalInfo` of Interbank Transfer: the remark lives here."""

    remark: str | None = None


class InterbankTransferRequest(Model, kw_only=True):
    """Interbank Transfer (BI-FAST when the bank supports it, else online transfer)."""

    partner_reference_no: str
    amount: Amount
    beneficiary_account_name: str
    beneficiary_account_no: str
    beneficiary_bank_code: str
    beneficiary_email: str | None = None
    remark: str | None = None
    source_account_no: str
    transaction_date: str
    additional_info: InterbankTransferInfo | None = None


class InterbankTransferResponse(TransferResponse, kw_only=True):
    """The answer to Interbank Transfer."""


class VaInquiryIntrabankInfo(Model, kw_only=True):
    """`additionalInfo.beneficiaryBankCode` of the VA inquiry."""

    beneficiary_bank_code: str


class VaInquiryIntrabankRequest(Model, kw_only=True):
    """Inquiry Payment to VA: `partner_service_id`/`customer_no` take `"00000000"`."""

    partner_service_id: str
    customer_no: str
    virtual_account_no: str
    additional_info: VaInquiryIntrabankInfo


class VaInquiryIntrabankResponse(SnapResult, kw_only=True):
    """The answer to the VA inquiry: whose VA and its `inquiry_request_id`."""

    virtual_account_data: VirtualAccountData | None = None
    additional_info: dict[str, Any] | None = None


class VaPaymentIntrabankRequest(Model, kw_only=True):
    """Payment to VA (intrabank)."""

    partner_reference_no: str
    partner_service_id: str
    customer_no: str
    virtual_account_no: str
    inquiry_request_id: str | None = None
    paid_amount: Amount | None = None
    additional_info: dict[str, Any] | None = None


class VaPaymentIntrabankResponse(SnapResult, kw_only=True):
    """The answer to Payment to VA."""

    virtual_account_data: VirtualAccountData | None = None
    additional_info: dict[str, Any] | None = None


class EmoneyInquiryInfo(Model, kw_only=True):
    """`additionalInfo.beneficiaryProvider`: `gopay`."""

    beneficiary_provider: str


class EmoneyAccountInquiryRequest(Model, kw_only=True):
    """Customer Top Up Account Inquiry: send amount `"1.00"` (not deducted)."""

    customer_number: str
    amount: Amount
    additional_info: EmoneyInquiryInfo


class EmoneyAccountInquiryResponse(SnapResult, kw_only=True):
    """The answer to the top-up account inquiry."""

    reference_no: str | None = None
    customer_number: str | None = None
    customer_name: str | None = None
    amount: Amount | None = None
    additional_info: dict[str, Any] | None = None


class EmoneyTopupInfo(Model, kw_only=True):
    """`additionalInfo` of Customer Top Up."""

    beneficiary_email: str | None = None
    beneficiary_provider: str | None = None


class EmoneyTopupRequest(Model, kw_only=True):
    """Customer Top Up."""

    partner_reference_no: str
    customer_number: str
    customer_name: str
    amount: Amount
    notes: str
    additional_info: EmoneyTopupInfo | None = None


class EmoneyTopupResponse(TransferResponse, kw_only=True):
    """The answer to Customer Top Up."""

    customer_number: str | None = None


class BalanceInquiryRequest(Model, kw_only=True):
    """Balance Inquiry: aggregators pass `"0000000000"`."""

    account_no: str
    balance_types: list[str] | None = None
    additional_info: dict[str, Any] | None = None


class AccountInfo(Model, kw_only=True):
    """One balance of the account."""

    balance_type: str | None = None
    amount: Amount | None = None
    float_amount: Amount | None = None
    hold_amount: Amount | None = None
    available_balance: Amount | None = None
    ledger_balance: Amount | None = None
    current_multilateral_limit: Amount | None = None
    registration_status_code: str | None = None
    status: str | None = None


class BalanceInquiryResponse(SnapResult, kw_only=True):
    """The answer to Balance Inquiry."""

    reference_no: str | None = None
    account_no: str | None = None
    name: str | None = None
    account_infos: list[AccountInfo] | None = None
    additional_info: dict[str, Any] | None = None


class TransferStatusRequest(Model, kw_only=True):
    """Transfer Status Inquiry: the original `partnerReferenceNo` and service code."""

    original_partner_reference_no: str
    original_reference_no: str | None = None
    original_external_id: str | None = None
    service_code: str
    transaction_date: str | None = None
    additional_info: dict[str, Any] | None = None


class TransferStatusResponse(SnapResult, kw_only=True):
    """The answer to Transfer Status Inquiry."""

    original_reference_no: str | None = None
    original_partner_reference_no: str | None = None
    original_external_id: str | None = None
    service_code: str | None = None
    transaction_date: str | None = None
    amount: Amount | None = None
    beneficiary_account_no: str | None = None
    latest_transaction_status: str | None = None
    transaction_status_desc: str | None = None
    additional_info: dict[str, Any] | None = None
