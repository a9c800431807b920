"""FastAPI: the Starlette helpers, plus `SnapClientDep` for the lifespan's client.

```python
from fastapi import FastAPI

from bisnap.integrations.fastapi import SnapClientDep, notification_endpoint, snap_client_lifespan

app = FastAPI(lifespan=snap_client_lifespan(make_client))
receiver = AsyncNotificationReceiver(verifier)


@app.post("/hooks/midtrans/{rest:path}")
@notification_endpoint(receiver)
async def on_notification(notification: Notification | LegacyNotification) -> None:
    ...


@app.post("/orders/{order_id}/va")
async def create_va(order_id: str, snap: SnapClientDep) -> dict[str, str]:
    answer = await snap.create_va({...})
    ...
```

Needs FastAPI (`pip install 'bisnap[fastapi]'`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from bisnap.http.client import AsyncSnapClient
from bisnap.integrations.starlette import (
    SNAP_CLIENT_STATE,
    get_snap_client,
    notification_endpoint,
    read_request,
    snap_client_lifespan,
    to_response,
)

__all__ = [
    "SNAP_CLIENT_STATE",
    "SnapClientDep",
    "get_snap_client",
    "notification_endpoint",
    "read_request",
    "snap_client_lifespan",
    "to_response",
]

#: A route parameter annotated `SnapClientDep` gets the lifespan's `AsyncSnapClient`.
SnapClientDep = Annotated[AsyncSnapClient, Depends(get_snap_client)]
