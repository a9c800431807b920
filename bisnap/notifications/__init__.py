"""Midtrans notifications: verify them, read them, answer them.

```
model     Notification, Amount, TransactionStatus; the raw-body and JSON rules
verify    NotificationVerifier / AsyncNotificationVerifier (verify, receive): the store calls
_core     the steps both verifiers share: headers, X-TIMESTAMP, window, signature, keys
_checks   the pure helpers under them: header lookup, timestamp fast path, configuration
replies   the merchant's SNAP replies (also importable as bisnap.replies)
legacy    the legacy Midtrans signatures (also importable as bisnap.legacy)
```

`bisnap.notifications` keeps every name it always offered.
"""

from bisnap.notifications.model import (
    parse_json_object,
    require_raw_body,
)
from bisnap.notifications.verify import (
    DEFAULT_LEASE,
    DEFAULT_WINDOW,
    REQUIRED_HEADERS,
    TRANSACTION_STATUSES,
    Amount,
    AsyncNotificationVerifier,
    Notification,
    NotificationVerifier,
    TransactionStatus,
)

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_WINDOW",
    "REQUIRED_HEADERS",
    "TRANSACTION_STATUSES",
    "Amount",
    "AsyncNotificationVerifier",
    "Notification",
    "NotificationVerifier",
    "TransactionStatus",
    "parse_json_object",
    "require_raw_body",
]
