"""Flask: a view decorator that verifies, handles and answers notifications.

```python
from flask import Flask

receiver = NotificationReceiver(verifier)  # sync verifier, RedisOnceStore in production
app = Flask(__name__)


@app.post("/hooks/midtrans/<path:rest>")
@notification_view(receiver)
def on_notification(notification: Notification | LegacyNotification) -> None:
    record(notification)  # raise to answer 500 and have Midtrans retry
```

The view reads the RAW body (`request.get_data()`), runs the receiver and returns the
exact SNAP reply. The path checked is `request.script_root + request.path`, the path
Midtrans called. Needs Flask (`pip install 'bisnap[flask]'`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, request

from bisnap.integrations._core import NotificationReceiver, SyncHandler
from bisnap.replies import NotificationReply

__all__ = ["notification_view", "to_response"]

View = Callable[..., Response]


def to_response(reply: NotificationReply) -> Response:
    """The Flask `Response` for a `NotificationReply` (status, headers, exact body)."""
    return Response(reply.body, status=reply.status_code, headers=dict(reply.headers))


def notification_view(receiver: NotificationReceiver) -> Callable[[SyncHandler], View]:
    """Decorator: turn `handler(notification)` into a Flask view (URL arguments ignored)."""

    def decorate(handler: SyncHandler) -> View:
        @functools.wraps(handler)
        def view(**_url_arguments: Any) -> Response:
            reply = receiver.handle(
                method=request.method,
                path=request.script_root + request.path,
                headers=list(request.headers.items()),
                body=request.get_data(cache=False),
                handler=handler,
            )
            return to_response(reply)

        return view

    return decorate
