"""The legacy (non-SNAP) Midtrans signatures (moved to `bisnap.notifications.legacy`).

This import path keeps working: every public name is re-exported here.
"""

from bisnap.notifications.legacy import (
    IRIS_SIGNATURE,
    core_signature_key,
    iris_signature,
    pay_account_signature_key,
    verify_core_notification,
    verify_iris_signature,
    verify_payout_notification,
)

__all__ = [
    "IRIS_SIGNATURE",
    "core_signature_key",
    "iris_signature",
    "pay_account_signature_key",
    "verify_core_notification",
    "verify_iris_signature",
    "verify_payout_notification",
]
