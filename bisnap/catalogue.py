"""Every SNAP endpoint bisnap knows, described once.

The client (one method per entry), the emulator (routes and checks), the response-code
parser (which service a code belongs to) and the notification answers all read this
table. Midtrans is the built-in provider: Core payments, Reporting and Payouts on BI-SNAP.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "ACCESS_TOKEN_B2B",
    "CATALOGUE",
    "NOTIFICATIONS",
    "Endpoint",
    "FieldRule",
    "NotificationEndpoint",
    "by_name",
    "by_path",
    "by_service_code",
    "notification_by_path",
]


#: What a `FieldRule` checks.
RuleCheck = Literal[
    "amount",
    "currency",
    "partner_service_id",
    "va_number",
    "timestamp",
    "max_length",
    "digits",
    "choice",
    "range",
]


@dataclass(frozen=True)
class FieldRule:
    """A documented format of one body field, checked by the client before sending.

    `path` is the dotted camelCase body path (`[]` steps into every item of a list, e.g.
    `payOptionDetails[].transAmount.value`). `check` says what is checked:

    - `amount`: a string `^\\d+\\.\\d\\d$` (`"10000.00"`, never a number);
    - `currency`: three capital letters (`"IDR"`);
    - `partner_service_id`: 8 characters, the number left-padded with spaces (`"   70012"`);
    - `va_number`: `partnerServiceId + customerNo`, at most `limit` characters;
    - `timestamp`: ISO-8601 with seconds and an offset (`2024-03-05T10:00:00+07:00`);
    - `max_length`: a string of at most `limit` characters;
    - `digits`: a string of exactly `limit` digits;
    - `choice`: one of `choices`;
    - `range`: an integer (or digit string) from `minimum` to `limit`.

    A field that is absent is not checked here (`required_fields` says what must be there).
    """

    path: str
    check: RuleCheck
    limit: int | None = None
    minimum: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        """The rule in words, as error messages and docs show it."""
        return _RULE_TEXT[self.check].format(
            limit=self.limit, minimum=self.minimum, choices=", ".join(self.choices)
        )


_RULE_TEXT: dict[str, str] = {
    "amount": "a decimal string with two places, ^\\d+\\.\\d\\d$ (e.g. 10000.00)",
    "currency": "three capital letters (e.g. IDR)",
    "partner_service_id": "8 characters, the number left-padded with spaces (e.g. '   70012')",
    "va_number": "partnerServiceId + customerNo, at most {limit} characters",
    "timestamp": "ISO-8601 with seconds and an offset (e.g. 2024-03-05T10:00:00+07:00)",
    "max_length": "a string of at most {limit} characters",
    "digits": "a string of exactly {limit} digits",
    "choice": "one of {choices}",
    "range": "an integer from {minimum} to {limit}",
}


def _amount(path: str) -> tuple[FieldRule, FieldRule]:
    return (FieldRule(f"{path}.value", "amount"), FieldRule(f"{path}.currency", "currency"))


def _max(limit: int, *paths: str) -> tuple[FieldRule, ...]:
    return tuple(FieldRule(path, "max_length", limit) for path in paths)


def _times(*paths: str) -> tuple[FieldRule, ...]:
    return tuple(FieldRule(path, "timestamp") for path in paths)


_SERVICE_CODE = FieldRule("serviceCode", "digits", 2)
_PSID = FieldRule("partnerServiceId", "partner_service_id")


@dataclass(frozen=True)
class Endpoint:
    """One SNAP API the merchant calls.

    `path` is the path after the provider's base URL (Midtrans has no extra prefix).
    `required_fields` are dotted body paths the provider rejects a request without
    (`400xx02 Invalid Mandatory Field`); `one_of` lists groups of which at least one
    member is required (e.g. `originalReferenceNo` or `originalExternalId`); `rules` are
    the documented formats of fields (`FieldRule`). The client checks all three before
    sending (`bisnap.validation`); the emulator answers `400xx02` for the first two.
    """

    name: str
    method: str
    path: str
    service_code: str
    product: str
    title: str
    required_fields: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    customer_token: bool = False  # Authorization-Customer + X-DEVICE-ID
    customer_token_optional: bool = False
    host: str = "api"  # "api" (merchants.*) or "app" (merchants-app.*, Get Auth Code)
    signed: bool = True
    idempotent_replay: bool = False  # same X-EXTERNAL-ID re-sent = replay, not a new charge
    moves_money: bool = False  # a timeout must not be blindly re-sent
    status_endpoint: str | None = None  # what to ask before retrying a money movement
    read_only: bool = False  # a status or inquiry: safe to re-send after a 5xx or timeout
    rules: tuple[FieldRule, ...] = ()

    @property
    def success_code(self) -> str:
        """`200` + service code + `00`."""
        # SNAP: responseCode = HTTP status + service code + case code (snap-standard.md §2).
        return f"200{self.service_code}00"


@dataclass(frozen=True)
class NotificationEndpoint:
    """A notification Midtrans sends to the merchant: `{prefix}` + `path`."""

    name: str
    path: str
    service_code: str
    title: str
    echo_virtual_account: bool = False  # the VA reply echoes virtualAccountData

    @property
    def success_code(self) -> str:
        """The responseCode the merchant answers with on success."""
        return f"200{self.service_code}00"


# SNAP: access token B2B, service 73 (snap-standard.md §3; midtrans-core.md §3.1).
ACCESS_TOKEN_B2B = Endpoint(
    name="access_token_b2b",
    method="POST",
    path="/v1.0/access-token/b2b",
    service_code="73",
    product="token",
    title="Access Token B2B",
    required_fields=("grantType",),
    signed=False,
    rules=(FieldRule("grantType", "choice", choices=("client_credentials",)),),
)

_ORIGINAL = ("originalReferenceNo", "originalExternalId", "additionalInfo.originalExternalId")

# SNAP: the Midtrans catalogue with service codes (midtrans-core.md §4, §4.8;
# midtrans-reporting-payouts.md §3, §4). Midtrans's delete-va is POST (midtrans-core.md §4.2).
CATALOGUE: tuple[Endpoint, ...] = (
    ACCESS_TOKEN_B2B,
    # --- Virtual account -----------------------------------------------------------------
    Endpoint(
        "create_va",
        "POST",
        "/v1.0/transfer-va/create-va",
        "27",
        "va",
        "Create VA",
        required_fields=(
            "partnerServiceId",
            "customerNo",
            "virtualAccountNo",
            "virtualAccountName",
            "trxId",
            "totalAmount.value",
            "totalAmount.currency",
            "additionalInfo.merchantId",
        ),
        idempotent_replay=True,
        rules=(
            _PSID,
            *_max(20, "customerNo"),
            FieldRule("virtualAccountNo", "va_number", 28),
            *_max(36, "trxId"),
            *_amount("totalAmount"),
            *_times("expiredDate"),
        ),
    ),
    Endpoint(
        "va_status",
        "POST",
        "/v1.0/transfer-va/status",
        "26",
        "va",
        "VA Inquiry Status",
        required_fields=("partnerServiceId", "customerNo", "virtualAccountNo", "inquiryRequestId"),
        read_only=True,
        rules=(
            _PSID,
            *_max(20, "customerNo"),
            FieldRule("virtualAccountNo", "va_number", 28),
            FieldRule("additionalInfo.pageSize", "range", 15, 1),
            FieldRule("additionalInfo.page", "range", 1_000_000, 0),
        ),
    ),
    Endpoint(
        "delete_va",
        "POST",
        "/v1.0/transfer-va/delete-va",
        "31",
        "va",
        "Delete VA",
        required_fields=("partnerServiceId", "customerNo", "virtualAccountNo", "trxId"),
        idempotent_replay=True,
        rules=(
            _PSID,
            *_max(20, "customerNo"),
            FieldRule("virtualAccountNo", "va_number", 28),
            *_max(36, "trxId"),
        ),
    ),
    # --- QRIS MPM ------------------------------------------------------------------------
    Endpoint(
        "qris_generate",
        "POST",
        "/v1.0/qr/qr-mpm-generate",
        "47",
        "qris",
        "Generate QRIS",
        required_fields=("partnerReferenceNo", "amount.value", "amount.currency", "merchantId"),
        idempotent_replay=True,
        rules=(
            *_max(36, "partnerReferenceNo"),
            *_amount("amount"),
            *_amount("feeAmount"),
            *_times("validityPeriod"),
        ),
    ),
    Endpoint(
        "qris_query",
        "POST",
        "/v1.0/qr/qr-mpm-query",
        "51",
        "qris",
        "QRIS Query",
        required_fields=("merchantId", "serviceCode"),
        one_of=(("originalReferenceNo", "originalPartnerReferenceNo", "originalExternalId"),),
        read_only=True,
        rules=(_SERVICE_CODE,),
    ),
    Endpoint(
        "qris_refund",
        "POST",
        "/v1.0/qr/qr-mpm-refund",
        "78",
        "qris",
        "QRIS Refund",
        required_fields=("merchantId", "originalPartnerReferenceNo", "partnerRefundNo"),
        idempotent_replay=True,
        moves_money=True,
        status_endpoint="qris_query",
        rules=(
            *_max(36, "partnerRefundNo"),
            *_amount("refundAmount"),
        ),
    ),
    Endpoint(
        "qris_cancel",
        "POST",
        "/v1.0/qr/qr-mpm-cancel",
        "77",
        "qris",
        "QRIS Cancel",
        required_fields=("merchantId", "reason"),
        one_of=(("originalReferenceNo", "originalPartnerReferenceNo", "originalExternalId"),),
        idempotent_replay=True,
        rules=(*_amount("amount"),),
    ),
    # --- Direct debit (GoPay / ShopeePay / DANA deeplink, GoPay tokenization) ---------------
    Endpoint(
        "debit_payment",
        "POST",
        "/v1.0/debit/payment-host-to-host",
        "54",
        "direct_debit",
        "Direct Debit Payment",
        required_fields=("partnerReferenceNo", "payOptionDetails"),
        customer_token_optional=True,
        idempotent_replay=True,
        rules=(
            *_max(64, "partnerReferenceNo"),
            *_times("validUpTo"),
            FieldRule("urlParams[].isDeeplink", "choice", choices=("Y", "N")),
            *_amount("payOptionDetails[].transAmount"),
        ),
    ),
    Endpoint(
        "debit_status",
        "POST",
        "/v1.0/debit/status",
        "55",
        "direct_debit",
        "Direct Debit Status",
        required_fields=("serviceCode",),
        one_of=(("originalReferenceNo", "originalExternalId"),),
        read_only=True,
        rules=(_SERVICE_CODE,),
    ),
    Endpoint(
        "debit_refund",
        "POST",
        "/v1.0/debit/refund",
        "58",
        "direct_debit",
        "Direct Debit Refund",
        required_fields=("originalPartnerReferenceNo", "partnerRefundNo"),
        one_of=(("originalReferenceNo", "originalExternalId"),),
        idempotent_replay=True,
        moves_money=True,
        status_endpoint="debit_status",
        rules=(*_amount("refundAmount"),),
    ),
    Endpoint(
        "debit_cancel",
        "POST",
        "/v1.0/debit/cancel",
        "57",
        "direct_debit",
        "Direct Debit Cancel",
        required_fields=("originalPartnerReferenceNo",),
        one_of=(("originalReferenceNo", "originalExternalId"),),
        idempotent_replay=True,
    ),
    # --- Account linking (GoPay tokenization) -----------------------------------------------
    Endpoint(
        "get_auth_code",
        "GET",
        "/v1.0/get-auth-code",
        "10",
        "account_linking",
        "Get Auth Code URL",
        required_fields=(
            "redirectUrl",
            "scopes",
            "state",
            "merchantId",
            "seamlessData",
            "seamlessSign",
        ),
        host="app",
        signed=False,
        rules=(
            *_max(32, "state"),
            FieldRule("lang", "choice", choices=("en", "id")),
        ),
    ),
    Endpoint(
        "account_binding",
        "POST",
        "/v1.0/registration-account-binding",
        "07",
        "account_linking",
        "Account Binding",
        required_fields=("merchantId", "authCode"),
    ),
    Endpoint(
        "account_binding_inquiry",
        "POST",
        "/v1.0/registration-account-inquiry",
        "08",
        "account_linking",
        "Account Binding Inquiry",
        customer_token=True,
        customer_token_optional=True,
        read_only=True,
    ),
    Endpoint(
        "account_unbinding",
        "POST",
        "/v1.0/registration-account-unbinding",
        "09",
        "account_linking",
        "Account Unbinding",
        required_fields=("merchantId",),
        customer_token=True,
    ),
    # --- GoPay tokenization pre-auth ---------------------------------------------------------
    Endpoint(
        "auth_payment",
        "POST",
        "/v1.0/auth/payment",
        "63",
        "tokenization",
        "Auth Payment",
        required_fields=("partnerReferenceNo", "merchantId", "amount.value", "title"),
        customer_token=True,
        idempotent_replay=True,
        rules=(
            *_max(64, "partnerReferenceNo"),
            *_amount("amount"),
        ),
    ),
    Endpoint(
        "auth_query",
        "POST",
        "/v1.0/auth/query",
        "64",
        "tokenization",
        "Auth Query",
        one_of=(("originalReferenceNo", "originalPartnerReferenceNo", *_ORIGINAL[1:]),),
        read_only=True,
    ),
    Endpoint(
        "auth_capture",
        "POST",
        "/v1.0/auth/capture",
        "65",
        "tokenization",
        "Auth Capture",
        required_fields=(
            "originalPartnerReferenceNo",
            "merchantId",
            "partnerCaptureNo",
            "captureAmount.value",
        ),
        one_of=(_ORIGINAL,),
        idempotent_replay=True,
        moves_money=True,
        status_endpoint="auth_query",
        rules=(*_amount("captureAmount"),),
    ),
    Endpoint(
        "auth_void",
        "POST",
        "/v1.0/auth/void",
        "67",
        "tokenization",
        "Auth Void",
        required_fields=("originalPartnerReferenceNo", "merchantId", "partnerVoidNo"),
        one_of=(_ORIGINAL,),
        idempotent_replay=True,
        rules=(*_amount("voidAmount"),),
    ),
    Endpoint(
        "auth_refund",
        "POST",
        "/v1.0/auth/refund",
        "69",
        "tokenization",
        "Auth Refund",
        required_fields=("originalPartnerReferenceNo", "partnerRefundNo"),
        one_of=(_ORIGINAL,),
        idempotent_replay=True,
        moves_money=True,
        status_endpoint="auth_query",
        rules=(*_amount("refundAmount"),),
    ),
    # --- Reporting ------------------------------------------------------------------------
    Endpoint(
        "transaction_history_list",
        "POST",
        "/v1.0/transaction-history-list",
        "12",
        "reporting",
        "Transaction History List",
        read_only=True,
        rules=(
            *_max(64, "partnerReferenceNo"),
            *_times("fromDateTime", "toDateTime"),
            FieldRule("pageSize", "range", 50, 1),
            FieldRule("pageNumber", "range", 1_000_000, 0),
            FieldRule("additionalInfo.sortOrder", "choice", choices=("ASC", "DESC")),
        ),
    ),
    Endpoint(
        "transaction_history_detail",
        "POST",
        "/v1.0/transaction-history-detail",
        "13",
        "reporting",
        "Transaction History Detail",
        required_fields=("originalPartnerReferenceNo", "additionalInfo.referenceNo"),
        read_only=True,
        rules=(*_max(64, "originalPartnerReferenceNo", "additionalInfo.referenceNo"),),
    ),
    # --- Payouts --------------------------------------------------------------------------
    Endpoint(
        "external_account_inquiry",
        "POST",
        "/v1.0/account-inquiry-external",
        "16",
        "payouts",
        "External Account Inquiry",
        required_fields=("beneficiaryBankCode", "beneficiaryAccountNo"),
        read_only=True,
        rules=(
            *_max(8, "beneficiaryBankCode"),
            *_max(20, "beneficiaryAccountNo"),
        ),
    ),
    Endpoint(
        "intrabank_transfer",
        "POST",
        "/v1.0/transfer-intrabank",
        "17",
        "payouts",
        "Intrabank Transfer",
        required_fields=(
            "partnerReferenceNo",
            "amount.value",
            "amount.currency",
            "beneficiaryAccountNo",
            "remark",
            "sourceAccountNo",
            "transactionDate",
        ),
        moves_money=True,
        status_endpoint="transfer_status",
        rules=(
            *_max(64, "partnerReferenceNo"),
            *_amount("amount"),
            *_max(34, "beneficiaryAccountNo"),
            *_max(50, "beneficiaryEmail", "remark"),
            *_max(19, "sourceAccountNo"),
            *_times("transactionDate"),
        ),
    ),
    Endpoint(
        "interbank_transfer",
        "POST",
        "/v1.0/transfer-interbank",
        "18",
        "payouts",
        "Interbank Transfer",
        required_fields=(
            "partnerReferenceNo",
            "amount.value",
            "amount.currency",
            "beneficiaryAccountNo",
            "beneficiaryAccountName",
            "beneficiaryBankCode",
            "sourceAccountNo",
            "transactionDate",
        ),
        moves_money=True,
        status_endpoint="transfer_status",
        rules=(
            *_max(64, "partnerReferenceNo"),
            *_amount("amount"),
            *_max(100, "beneficiaryAccountName"),
            *_max(34, "beneficiaryAccountNo"),
            *_max(8, "beneficiaryBankCode"),
            *_max(50, "beneficiaryEmail", "remark", "additionalInfo.remark"),
            *_max(19, "sourceAccountNo"),
            *_times("transactionDate"),
        ),
    ),
    Endpoint(
        "va_inquiry_intrabank",
        "POST",
        "/v1.0/transfer-va/inquiry-intrabank",
        "32",
        "payouts",
        "Inquiry Payment to VA (intrabank)",
        required_fields=(
            "partnerServiceId",
            "customerNo",
            "virtualAccountNo",
            "additionalInfo.beneficiaryBankCode",
        ),
        read_only=True,
        rules=(
            _PSID,
            *_max(20, "customerNo"),
            *_max(28, "virtualAccountNo"),
            *_max(8, "additionalInfo.beneficiaryBankCode"),
        ),
    ),
    Endpoint(
        "va_payment_intrabank",
        "POST",
        "/v1.0/transfer-va/payment-intrabank",
        "33",
        "payouts",
        "Payment to VA (intrabank)",
        required_fields=(
            "partnerReferenceNo",
            "partnerServiceId",
            "customerNo",
            "virtualAccountNo",
        ),
        moves_money=True,
        status_endpoint="transfer_status",
        rules=(
            *_max(64, "partnerReferenceNo"),
            _PSID,
            *_max(20, "customerNo"),
            *_max(28, "virtualAccountNo"),
            *_max(128, "inquiryRequestId"),
            *_amount("paidAmount"),
        ),
    ),
    Endpoint(
        "emoney_account_inquiry",
        "POST",
        "/v1.0/emoney/account-inquiry",
        "37",
        "payouts",
        "Customer Top Up Account Inquiry",
        required_fields=(
            "customerNumber",
            "amount.value",
            "amount.currency",
            "additionalInfo.beneficiaryProvider",
        ),
        read_only=True,
        rules=(
            *_max(20, "customerNumber"),
            *_amount("amount"),
            *_max(40, "additionalInfo.beneficiaryProvider"),
        ),
    ),
    Endpoint(
        "emoney_topup",
        "POST",
        "/v1.0/emoney/topup",
        "38",
        "payouts",
        "Customer Top Up",
        required_fields=(
            "partnerReferenceNo",
            "customerNumber",
            "customerName",
            "amount.value",
            "amount.currency",
            "notes",
        ),
        moves_money=True,
        status_endpoint="transfer_status",
        rules=(
            *_max(64, "partnerReferenceNo"),
            *_max(20, "customerNumber"),
            *_max(100, "customerName", "notes"),
            *_amount("amount"),
        ),
    ),
    Endpoint(
        "balance_inquiry",
        "POST",
        "/v1.0/balance-inquiry",
        "11",
        "payouts",
        "Balance Inquiry",
        required_fields=("accountNo",),
        read_only=True,
        rules=(*_max(32, "accountNo"),),
    ),
    Endpoint(
        "transfer_status",
        "POST",
        "/v1.0/transfer/status",
        "36",
        "payouts",
        "Transfer Status Inquiry",
        required_fields=("originalPartnerReferenceNo", "serviceCode"),
        read_only=True,
        rules=(
            *_max(64, "originalPartnerReferenceNo"),
            _SERVICE_CODE,
        ),
    ),
)

# SNAP: Midtrans appends these paths to the merchant's registered prefix
# (midtrans-core.md §5, §4.5 linking notification, service 88 is Midtrans's own).
NOTIFICATIONS: tuple[NotificationEndpoint, ...] = (
    NotificationEndpoint("debit_notify", "/v1.0/debit/notify", "56", "Direct Debit Notify"),
    NotificationEndpoint("qris_notify", "/v1.0/qr/qr-mpm-notify", "52", "QRIS MPM Notify"),
    NotificationEndpoint(
        "va_payment",
        "/v1.0/transfer-va/payment",
        "25",
        "VA Payment Notify",
        echo_virtual_account=True,
    ),
    NotificationEndpoint(
        "account_linking_notify",
        "/v1.0/registration-account/notify",
        "88",
        "Account Linking Notify",
    ),
)

_BY_NAME = MappingProxyType({e.name: e for e in CATALOGUE})
_BY_PATH = MappingProxyType({e.path: e for e in CATALOGUE})
_NOTIFY_BY_PATH = MappingProxyType({n.path: n for n in NOTIFICATIONS})


def by_name(name: str) -> Endpoint:
    """The endpoint called `name` (e.g. `"create_va"`). Raises KeyError if unknown."""
    return _BY_NAME[name]


def by_path(path: str) -> Endpoint | None:
    """The endpoint whose path `path` ends with (query ignored), or None."""
    bare = path.split("?", 1)[0]
    if bare in _BY_PATH:
        return _BY_PATH[bare]
    for known, endpoint in _BY_PATH.items():
        if bare.endswith(known):
            return endpoint
    return None


def by_service_code(code: str) -> tuple[Endpoint, ...]:
    """Every endpoint with service code `code` (e.g. `"27"`)."""
    return tuple(e for e in CATALOGUE if e.service_code == code)


def notification_by_path(path: str) -> NotificationEndpoint | None:
    """The notification whose path `path` ends with (after the merchant's prefix), or None."""
    bare = path.split("?", 1)[0]
    for known, notification in _NOTIFY_BY_PATH.items():
        if bare.endswith(known):
            return notification
    return None
