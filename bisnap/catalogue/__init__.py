"""Every SNAP endpoint bisnap knows, described once.

The client (one method per entry), the emulator (routes and checks), the response-code
parser (which service a code belongs to) and the notification answers all read this
table. Midtrans is the built-in provider: Core payments, Reporting and Payouts on BI-SNAP.

The entries live by product (`payments`, `payouts`); their shape in `types`.
"""

from __future__ import annotations

from types import MappingProxyType

from bisnap.catalogue.payments import PAYMENTS
from bisnap.catalogue.payouts import PAYOUTS, REPORTING
from bisnap.catalogue.types import Endpoint, FieldRule, NotificationEndpoint

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

#: Every endpoint: the token endpoint, Core payments (`bisnap.catalogue.payments`), then
#: Reporting and Payouts (`bisnap.catalogue.payouts`).
CATALOGUE: tuple[Endpoint, ...] = (ACCESS_TOKEN_B2B, *PAYMENTS, *REPORTING, *PAYOUTS)

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
