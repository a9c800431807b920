"""Virtual account: Create VA (27), VA Inquiry Status (26), Delete VA (31).

```python
from bisnap.models import Amount, CreateVaRequest, CreateVaAdditionalInfo
request = CreateVaRequest(
    partner_service_id="   70012", customer_no="0000000001",
    virtual_account_no="   700120000000001", virtual_account_name="Budi Santoso",
    trx_id="order-1", total_amount=Amount(value="150000.00", currency="IDR"),
    additional_info=CreateVaAdditionalInfo(merchant_id="G123", bank="bca"),
)
```
"""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Amount, Model
from bisnap.models.common import SnapResult

__all__ = [
    "CreateVaAdditionalInfo",
    "CreateVaRequest",
    "CreateVaResponse",
    "DeleteVaRequest",
    "DeleteVaResponse",
    "MandiriBillInfo",
    "PaymentFlagReason",
    "VaFlags",
    "VaMerchantInfo",
    "VaStatusAdditionalInfo",
    "VaStatusRequest",
    "VaStatusResponse",
    "VirtualAccountData",
]


class MandiriBillInfo(Model, kw_only=True):
    """`additionalInfo.mandiri`: bill lines shown by Mandiri (1 and 2 are mandatory there)."""

    bill_info1: str | None = None
    bill_info2: str | None = None
    bill_info3: str | None = None
    bill_info4: str | None = None
    bill_info5: str | None = None
    bill_info6: str | None = None
    bill_info7: str | None = None
    bill_info8: str | None = None


class VaFlags(Model, kw_only=True):
    """`additionalInfo.flags`."""

    should_randomize_va_number: bool | None = None


class CreateVaAdditionalInfo(Model, kw_only=True):
    """`additionalInfo` of Create VA: the merchant id (required) and the bank."""

    merchant_id: str
    bank: str | None = None
    mandiri: MandiriBillInfo | None = None
    flags: VaFlags | None = None
    custom_field: dict[str, str] | None = None
    customer_details: dict[str, Any] | None = None
    items: list[dict[str, Any]] | None = None


class CreateVaRequest(Model, kw_only=True):
    """Create VA: `virtual_account_no` is `partner_service_id + customer_no`."""

    partner_service_id: str
    customer_no: str
    virtual_account_no: str
    virtual_account_name: str
    trx_id: str
    total_amount: Amount
    additional_info: CreateVaAdditionalInfo
    virtual_account_email: str | None = None
    virtual_account_phone: str | None = None
    expired_date: str | None = None


class PaymentFlagReason(Model, kw_only=True):
    """Why a VA is in its state, in English and Indonesian."""

    english: str | None = None
    indonesia: str | None = None


class VirtualAccountData(Model, kw_only=True):
    """`virtualAccountData` of the VA answers (`virtual_account_no` is the source of truth)."""

    partner_service_id: str | None = None
    customer_no: str | None = None
    virtual_account_no: str | None = None
    virtual_account_name: str | None = None
    trx_id: str | None = None
    inquiry_request_id: str | None = None
    payment_request_id: str | None = None
    total_amount: Amount | None = None
    paid_amount: Amount | None = None
    payment_flag_status: str | None = None
    payment_flag_reason: PaymentFlagReason | None = None
    expired_date: str | None = None
    trx_date_time: str | None = None
    transaction_date: str | None = None
    reference_no: str | None = None
    additional_info: dict[str, Any] | None = None


class CreateVaResponse(SnapResult, kw_only=True):
    """The answer to Create VA."""

    virtual_account_data: VirtualAccountData | None = None
    additional_info: dict[str, Any] | None = None


class VaStatusAdditionalInfo(Model, kw_only=True):
    """`additionalInfo` of VA Inquiry Status (`page`/`page_size` for multi-use VAs)."""

    merchant_id: str | None = None
    page: int | None = None
    page_size: int | None = None


class VaStatusRequest(Model, kw_only=True):
    """VA Inquiry Status: `inquiry_request_id` is the VA's `trxId`."""

    partner_service_id: str
    customer_no: str
    virtual_account_no: str
    inquiry_request_id: str
    payment_request_id: str | None = None
    additional_info: VaStatusAdditionalInfo | None = None


class VaStatusResponse(SnapResult, kw_only=True):
    """The answer to VA Inquiry Status (`virtual_account_data.payment_flag_status`)."""

    virtual_account_data: VirtualAccountData | None = None
    additional_info: dict[str, Any] | None = None


class VaMerchantInfo(Model, kw_only=True):
    """`additionalInfo.merchantId`."""

    merchant_id: str | None = None


class DeleteVaRequest(Model, kw_only=True):
    """Delete VA (sent as POST by Midtrans)."""

    partner_service_id: str
    customer_no: str
    virtual_account_no: str
    trx_id: str
    additional_info: VaMerchantInfo | None = None


class DeleteVaResponse(SnapResult, kw_only=True):
    """The answer to Delete VA."""

    virtual_account_data: VirtualAccountData | None = None
    additional_info: dict[str, Any] | None = None
