"""Starlette (and FastAPI) notification endpoints and an `AsyncSnapClient` lifespan.

```python
from starlette.applications import Starlette
from starlette.routing import Route

receiver = AsyncNotificationReceiver(verifier)


@notification_endpoint(receiver)
async def on_notification(notification: Notification | LegacyNotification) -> None:
    await record(notification)  # raise to answer 500 and have Midtrans retry


app = Starlette(
    routes=[Route("/hooks/midtrans/{rest:path}", on_notification, methods=["POST"])],
    lifespan=snap_client_lifespan(make_client),
)
```

The endpoint reads the RAW body (`await request.body()`), runs the receiver and answers
with the exact SNAP reply. `snap_client_lifespan` opens one `AsyncSnapClient` when the app
starts and closes it when the app stops; handlers get it with `get_snap_client(request)`.
Needs Starlette (`pip install 'bisnap[emulator]'` or `'bisnap[fastapi]'`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from bisnap.errors import ConfigurationError
from bisnap.http.client import AsyncSnapClient
from bisnap.integrations._core import AsyncHandler, AsyncNotificationReceiver
from bisnap.replies import NotificationReply

__all__ = [
    "SNAP_CLIENT_STATE",
    "get_snap_client",
    "notification_endpoint",
    "read_request",
    "snap_client_lifespan",
    "to_response",
]

#: The lifespan state key (`request.state.<name>`) the client is stored under.
SNAP_CLIENT_STATE: Final = "snap_client"

Endpoint = Callable[[Request], Awaitable[Response]]
Lifespan = Callable[[Any], AbstractAsyncContextManager[dict[str, Any]]]


def to_response(reply: NotificationReply) -> Response:
    """The Starlette `Response` for a `NotificationReply` (status, headers, exact body)."""
    return Response(reply.body, reply.status_code, dict(reply.headers))


async def read_request(request: Request) -> dict[str, Any]:
    """`method`, `path`, `headers` and the RAW `body` of a request, as `handle` takes them."""
    return {
        "method": request.method,
        "path": request.url.path,
        "headers": request.headers.items(),
        "body": await request.body(),
    }


def notification_endpoint(
    receiver: AsyncNotificationReceiver,
) -> Callable[[AsyncHandler], Endpoint]:
    """Decorator: turn `handler(notification)` into a Starlette/FastAPI endpoint.

    The endpoint takes the `Request` only (so FastAPI adds no body parameter); mount it on
    a path that catches the SNAP suffix, e.g. `/hooks/midtrans/{rest:path}`, POST.
    """

    def decorate(handler: AsyncHandler) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            parts = await read_request(request)
            reply = await receiver.handle(handler=handler, **parts)
            return to_response(reply)

        # Not functools.wraps: FastAPI would follow __wrapped__ and read the handler's
        # parameters as request parameters.
        endpoint.__name__ = getattr(handler, "__name__", "notification_endpoint")
        endpoint.__qualname__ = getattr(handler, "__qualname__", endpoint.__name__)
        endpoint.__doc__ = getattr(handler, "__doc__", None)
        endpoint.__module__ = getattr(handler, "__module__", __name__)
        return endpoint

    return decorate


def snap_client_lifespan(
    client: AsyncSnapClient | Callable[[], AsyncSnapClient],
) -> Lifespan:
    """A lifespan that opens an `AsyncSnapClient` at start-up and closes it at shutdown.

    `client` is the client or a factory called at start-up (inside the event loop). The
    client is in the lifespan state: `request.state.snap_client` (or `get_snap_client`).
    Pass it as `Starlette(lifespan=...)` / `FastAPI(lifespan=...)`.
    """

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
        opened = client if isinstance(client, AsyncSnapClient) else client()
        if not isinstance(opened, AsyncSnapClient):
            raise ConfigurationError(
                f"snap_client_lifespan's factory returned a {type(opened).__name__}",
                hint="Return an AsyncSnapClient (the async client) from the factory.",
            )
        async with opened:
            yield {SNAP_CLIENT_STATE: opened}

    return lifespan


def get_snap_client(request: Request) -> AsyncSnapClient:
    """The `AsyncSnapClient` opened by `snap_client_lifespan` (a FastAPI dependency too).

    Raises:
        ConfigurationError: the app was not started with `snap_client_lifespan`.
    """
    found = getattr(request.state, SNAP_CLIENT_STATE, None)
    if not isinstance(found, AsyncSnapClient):
        raise ConfigurationError(
            "no AsyncSnapClient in the app's lifespan state",
            hint="Create the app with lifespan=snap_client_lifespan(...), and run it with "
            "its lifespan (TestClient as a context manager, uvicorn's default).",
        )
    return found
