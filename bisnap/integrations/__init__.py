"""Drop-in notification endpoints for the web frameworks merchants run.

Each framework has its own module, imported only when you use it (the framework is an
optional extra, never a bisnap dependency):

```
module                          what                                        extra
bisnap.integrations.starlette   notification_endpoint, snap_client_lifespan  emulator
bisnap.integrations.fastapi     the same + SnapClientDep                     fastapi
bisnap.integrations.flask       notification_view                            flask
bisnap.integrations.django      notification_view, async_notification_view  django
```

They all stand on `NotificationReceiver` / `AsyncNotificationReceiver` (this package, no
framework): verify the raw body with the verifier's `receive`, run your handler with the
typed `Notification`, commit the replay claim only when the handler returned, and answer
with the SNAP reply. With `server_key=` and/or `iris_merchant_key=` the same endpoint
also takes legacy Core API (`signature_key`) and Payouts (`Iris-Signature`) notifications
and hands your handler a `LegacyNotification`, so one URL serves both during a migration.
"""

from __future__ import annotations

from bisnap.integrations._core import (
    AsyncNotificationReceiver,
    LegacyKind,
    LegacyNotification,
    NotificationReceiver,
    Received,
    legacy_success_reply,
)

__all__ = [
    "AsyncNotificationReceiver",
    "LegacyKind",
    "LegacyNotification",
    "NotificationReceiver",
    "Received",
    "legacy_success_reply",
]
