"""Account linking (GoPay tokenization): Get Auth Code (10), Binding (07), Inquiry (08),
Unbinding (09).
"""

from __future__ import annotations

from typing import Any

from bisnap.models._base import Model
from bisnap.models.common import SnapResult

__all__ = [
    "AccessTokenInfo",
    "AccountBindingInquiryRequest",
    "AccountBindingInquiryResponse",
    "AccountBindingRequest",
    "AccountBindingResponse",
    "AccountUnbindingRequest",
    "AccountUnbindingResponse",
    "Balance",
    "BindingInquiryInfo",
    "BindingInquiryResult",
    "GetAuthCodeRequest",
    "GetAuthCodeResponse",
    "PaymentOption",
]


class GetAuthCodeRequest(Model, kw_only=True):
    """Get Auth Code (query parameters of a GET on the app host).

    `seamless_data` is e.g. `mobileNumber=62822999999&paymentType=gopay`
    (`bisnap.linking.seamless_data`); `seamless_sign` is its SHA256withRSA signature in
    base64 (`bisnap.linking.seamless_sign`; the client computes it when it holds the
    private key and it is left out). Both are URL-encoded on the way, once.
    """

    redirect_url: str
    scopes: str
    state: str
    merchant_id: str
    seamless_data: str
    seamless_sign: str | None = None
    lang: str | None = None

    secret_fields = frozenset({"seamless_data"})


class GetAuthCodeResponse(Model, kw_only=True):
    """What the 302 of Get Auth Code says (read from its `Location`, not from a body).

    `location` is where to send the customer (GoPay's PIN/OTP page). When the redirect
    already points back to the merchant (after the customer finished, or the emulator),
    `auth_code`, `state` and `result`/`success` are read from it; check `state` against
    the one you sent. Other query parameters are in `extra`.
    """

    location: str | None = None
    auth_code: str | None = None
    state: str | None = None
    result: str | None = None
    success: str | None = None

    secret_fields = frozenset({"auth_code", "location"})


class AccountBindingRequest(Model, kw_only=True):
    """Account Binding: the `auth_code` from the redirect, `grant_type` `AUTHORIZATION_CODE`."""

    merchant_id: str
    auth_code: str
    grant_type: str | None = None
    additional_info: dict[str, Any] | None = None

    secret_fields = frozenset({"auth_code"})


class AccessTokenInfo(Model, kw_only=True):
    """The customer token (`Authorization-Customer`) an Account Binding answer carries."""

    access_token: str | None = None
    expires_in: str | int | None = None
    refresh_token: str | None = None
    token_status: str | None = None

    secret_fields = frozenset({"access_token", "refresh_token"})


class AccountBindingResponse(SnapResult, kw_only=True):
    """The answer to Account Binding: `access_token_info.access_token` is the customer token."""

    reference_no: str | None = None
    partner_reference_no: str | None = None
    access_token_info: AccessTokenInfo | None = None
    link_id: str | None = None
    additional_info: dict[str, Any] | None = None


class BindingInquiryInfo(Model, kw_only=True):
    """`additionalInfo.accountId`: swap a legacy `account_id` for a BI-SNAP token."""

    account_id: str | None = None


class AccountBindingInquiryRequest(Model, kw_only=True):
    """Account Binding Inquiry (with the customer token, or a legacy `account_id`)."""

    additional_info: BindingInquiryInfo | None = None


class Balance(Model, kw_only=True):
    """A balance: Midtrans sends `value` as a number (Long) here, not a string."""

    value: str | int | None = None
    currency: str | None = None


class PaymentOption(Model, kw_only=True):
    """One way the linked account can pay (`GOPAY_WALLET`, `PAY_LATER`...) and its token."""

    name: str | None = None
    active: bool | None = None
    balance: Balance | None = None
    token: str | None = None

    secret_fields = frozenset({"token"})


class BindingInquiryResult(Model, kw_only=True):
    """`additionalInfo` of the inquiry answer: the current customer token and pay options."""

    access_token: str | None = None
    payment_type: str | None = None
    payment_options: list[PaymentOption] | None = None

    secret_fields = frozenset({"access_token"})


class AccountBindingInquiryResponse(SnapResult, kw_only=True):
    """The answer to Account Binding Inquiry (call it before each payment: tokens change)."""

    additional_info: BindingInquiryResult | None = None


class AccountUnbindingRequest(Model, kw_only=True):
    """Account Unbinding (with the customer token)."""

    merchant_id: str
    additional_info: dict[str, Any] | None = None


class AccountUnbindingResponse(SnapResult, kw_only=True):
    """The answer to Account Unbinding."""

    reference_no: str | None = None
    merchant_id: str | None = None
    additional_info: dict[str, Any] | None = None
