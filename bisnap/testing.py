"""Test your integration against the provider emulator: a pytest plugin, like stripe-mock.

Installing bisnap registers this plugin with pytest (entry point `pytest11`), so with the
`emulator` extra these fixtures are ready in every test:

```
snap_credentials  the session's EmulatorCredentials (both sides' ids and keys)
snap_emulator     a started SnapEmulator: url, credentials (the provider's public key
                  to verify notifications, the partner's keys), client(),
                  async_client(), serve(app) your app on loopback, pay(...) as the
                  customer; stopped after the test
snap_client       snap_emulator.client(): a SnapClient signed with the partner's keys
```

```python
def test_paying_a_va_notifies_my_app(snap_emulator):
    snap_emulator.serve(my_app, prefix="/hooks/midtrans")  # notifications go there
    snap = snap_emulator.client()
    snap.create_va({...})
    snap_emulator.pay(virtual_account_no="   700120000000042")
    assert my_database["order-1"] == "paid"
```

Everything runs in the test process: the emulator and your app are served on free
127.0.0.1 ports by background threads; nothing touches the network. Retries of a
notification your app refused are sent at once (the schedule is recorded, never waited);
`wait_for_notifications()` returns when every delivery is settled. Outside pytest, use
`SnapEmulator` as a context manager.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from bisnap._lifecycle import StartStop
from bisnap.clock import Clock, SystemClock
from bisnap.errors import ConfigurationError
from bisnap.http.client import AsyncSnapClient, SnapClient
from bisnap.keys import public_key_to_pem
from bisnap.notifications import AsyncNotificationVerifier, NotificationVerifier

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from bisnap.emulator import Emulator, EmulatorCredentials

__all__ = [
    "AppServer",
    "SnapEmulator",
    "serve_app",
    "snap_client",
    "snap_credentials",
    "snap_emulator",
]

_TIMEOUT = 10.0  # seconds: bound on any wait for the servers this module started


# --- serving an app on loopback ---------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""


class AppServer(StartStop):
    """An ASGI or WSGI app served on a free 127.0.0.1 port by a background thread.

    ASGI apps (Starlette, FastAPI, Django's ASGI handler) run under uvicorn; WSGI apps
    (Flask, Django's WSGI handler) under `wsgiref`. `url` is `http://127.0.0.1:<port>`.

    Raises (from `start`):
        ConfigurationError: the port cannot be bound or the server did not start.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.asgi = _is_asgi(app)
        self._uvicorn: Any = None
        self._wsgi: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> Self:
        """Start serving; returns when the server accepts connections."""
        if self.asgi:
            from bisnap.emulator import ThreadedServer

            server = ThreadedServer(self.app, http="h11", startup_timeout=_TIMEOUT)
            server.start()
            self._uvicorn = server
            self.url = server.url
            return self
        try:
            wsgi = make_server("127.0.0.1", 0, self.app, handler_class=_QuietHandler)
        except OSError as err:
            raise ConfigurationError(
                f"cannot listen on 127.0.0.1: {err.strerror}", hint="Free a loopback port."
            ) from err
        self._wsgi = wsgi
        self.url = f"http://127.0.0.1:{wsgi.server_address[1]}"
        # The socket is listening already: requests queue until serve_forever picks them up.
        self._thread = threading.Thread(
            target=wsgi.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and join its thread (bounded)."""
        if self._uvicorn is not None:
            self._uvicorn.stop()
            self._uvicorn = None
        if self._wsgi is not None:
            self._wsgi.shutdown()
            self._wsgi.server_close()
            self._wsgi = None
        if self._thread is not None:
            self._thread.join(_TIMEOUT)
            self._thread = None

    def __repr__(self) -> str:
        kind = "ASGI" if self.asgi else "WSGI"
        return f"AppServer({kind}, url={self.url!r})"


def _is_asgi(app: Any) -> bool:
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else type(app).__call__
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(app)


def serve_app(app: Any) -> AppServer:
    """Serve `app` (ASGI or WSGI) on a free loopback port: `with serve_app(app) as server:`."""
    return AppServer(app)


# --- the emulator -------------------------------------------------------------------------------


class _LoopRecorder:
    """ASGI wrapper remembering the server's event loop, to drain notifications on it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.loop = asyncio.get_running_loop()
        await self.app(scope, receive, send)


async def _no_wait(seconds: float) -> None:
    """Retry at once: the schedule is recorded in the delivery, never waited for."""
    await asyncio.sleep(0)


class SnapEmulator(StartStop):
    """The provider emulator served on a free loopback port, with the test-side helpers.

    `credentials` are generated unless given; `clock` is the emulator's clock (tokens,
    timestamps). Start it with `start()` or `with SnapEmulator() as emulator:`.
    """

    def __init__(
        self,
        *,
        credentials: EmulatorCredentials | None = None,
        clock: Clock | None = None,
    ) -> None:
        from bisnap.emulator import Emulator, EmulatorConfig, EmulatorCredentials

        self.clock: Clock = clock or SystemClock()
        self.credentials: EmulatorCredentials = credentials or EmulatorCredentials.generate()
        self.emulator: Emulator = Emulator(
            EmulatorConfig(credentials=self.credentials, clock=self.clock, sleep=_no_wait)
        )
        self._app = _LoopRecorder(self.emulator.app)
        self._server: AppServer | None = None
        self._http: httpx.Client | None = None
        self._served: list[AppServer] = []
        self._clients: list[SnapClient] = []

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve the emulator on 127.0.0.1 (a free port)."""
        self._server = AppServer(self._app).start()
        self._http = httpx.Client(base_url=self._server.url, timeout=_TIMEOUT)
        return self

    def stop(self) -> None:
        """Close the clients made here, stop served apps and the emulator."""
        for client in self._clients:
            client.close()
        self._clients.clear()
        for served in self._served:
            served.stop()
        self._served.clear()
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._server is not None:
            loop = self._app.loop
            if loop is not None and not loop.is_closed():
                loop.call_soon_threadsafe(self.emulator.notifier.cancel)
            self._server.stop()
            self._server = None

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` of the running emulator (the client's base URL)."""
        if self._server is None:
            raise ConfigurationError("the emulator is not running", hint="Call start() first.")
        return self._server.url

    @property
    def app(self) -> Any:
        """The emulator's ASGI app, to call it in-process without a socket:
        `httpx.AsyncClient(transport=httpx.ASGITransport(app=snap_emulator.app))`."""
        return self.emulator.app

    # -- keys ---------------------------------------------------------------------------------

    @property
    def provider_public_key(self) -> rsa.RSAPublicKey:
        """The key notifications are signed with (Midtrans's public key, in production)."""
        return self.credentials.provider_public_key

    @property
    def provider_public_pem(self) -> str:
        """`provider_public_key` as PEM text, as you would put it in your configuration."""
        return public_key_to_pem(self.credentials.provider_public_key).decode("ascii")

    @property
    def partner_private_key(self) -> rsa.RSAPrivateKey:
        """The merchant's private key the emulator has registered (signs access tokens)."""
        key = self.credentials.partner_private_key
        if key is None:
            raise ConfigurationError(
                "these credentials have no partner private key",
                hint="Use EmulatorCredentials.generate() (the default) for tests.",
            )
        return key

    # -- clients --------------------------------------------------------------------------------

    def _client_settings(self, overrides: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "base_url": self.url,
            "client_key": self.credentials.client_key,
            "client_secret": self.credentials.client_secret,
            "partner_id": self.credentials.partner_id,
            "channel_id": self.credentials.channel_id,
            "private_key": self.partner_private_key,
            "clock": self.clock,
        }
        settings.update(overrides)
        return settings

    def client(self, **overrides: Any) -> SnapClient:
        """A `SnapClient` for this emulator (closed by `stop()`); keyword arguments override."""
        client = SnapClient(**self._client_settings(overrides))
        self._clients.append(client)
        return client

    def async_client(self, **overrides: Any) -> AsyncSnapClient:
        """An `AsyncSnapClient` for this emulator; use it as `async with` (you close it)."""
        return AsyncSnapClient(**self._client_settings(overrides))

    def verifier(self, **options: Any) -> NotificationVerifier:
        """A `NotificationVerifier` trusting this emulator's key (options as the class)."""
        options.setdefault("clock", self.clock)
        return NotificationVerifier(public_key=self.provider_public_key, **options)

    def async_verifier(self, **options: Any) -> AsyncNotificationVerifier:
        """An `AsyncNotificationVerifier` trusting this emulator's key."""
        options.setdefault("clock", self.clock)
        return AsyncNotificationVerifier(public_key=self.provider_public_key, **options)

    # -- the app under test -----------------------------------------------------------------------

    def serve(self, app: Any, *, prefix: str = "") -> str:
        """Serve your app on loopback and send notifications to `<its url><prefix>`.

        `app` is ASGI or WSGI; it is stopped with the emulator. Returns the app's base URL.
        """
        served = AppServer(app).start()
        self._served.append(served)
        self.notify_to(served.url + prefix)
        return served.url

    # -- the admin routes (the customer's side), all in one place -------------------------------

    def _admin(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        from bisnap.emulator import ADMIN_PREFIX

        if self._http is None:
            raise ConfigurationError("the emulator is not running", hint="Call start() first.")
        answer = self._http.request(
            method, ADMIN_PREFIX + path, json=payload, headers=self.emulator.admin_headers()
        )
        data = answer.json()
        if answer.status_code != 200:
            error = data.get("error") if isinstance(data, dict) else None
            raise ConfigurationError(
                f"the emulator refused {method} {ADMIN_PREFIX}{path}: "
                f"HTTP {answer.status_code} {error or ''}".rstrip(),
                hint="Create the payment with the client before paying it.",
            )
        return data

    def notify_to(self, url: str | None) -> None:
        """Register the merchant URL prefix notifications are sent to (None: nowhere)."""
        self._admin("POST", "/notify-url", {"url": url})

    def pay(
        self,
        *,
        virtual_account_no: str | None = None,
        reference_no: str | None = None,
        partner_reference_no: str | None = None,
    ) -> dict[str, Any]:
        """Pay a VA / a payment as the customer would; the notification is sent at once.

        Returns the emulator's answer: `paid` and, when a URL is registered,
        `notification` (its first delivery attempt).
        """
        payload = {
            "virtualAccountNo": virtual_account_no,
            "referenceNo": reference_no,
            "partnerReferenceNo": partner_reference_no,
        }
        result: dict[str, Any] = self._admin(
            "POST", "/pay", {k: v for k, v in payload.items() if v is not None}
        )
        return result

    def state(self) -> dict[str, Any]:
        """The emulator's state: payments, VAs, `notifyUrl`, `deliveries`."""
        found: dict[str, Any] = self._admin("GET", "/state")
        return found

    def wait_for_notifications(self) -> list[dict[str, Any]]:
        """Wait (bounded) until every notification is delivered or given up; return them."""
        loop = self._app.loop
        if loop is not None and not loop.is_closed():
            done = asyncio.run_coroutine_threadsafe(self.emulator.drain(), loop)
            done.result(_TIMEOUT)
        deliveries: list[dict[str, Any]] = self.state()["deliveries"]
        return deliveries

    def __repr__(self) -> str:
        url = self._server.url if self._server is not None else None
        return f"SnapEmulator(url={url!r}, {self.credentials!r})"


# --- the pytest fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def snap_credentials() -> EmulatorCredentials:
    """Both sides' ids and keys, generated once per test session (RSA keys take time)."""
    from bisnap.emulator import EmulatorCredentials

    return EmulatorCredentials.generate()


@pytest.fixture
def snap_emulator(snap_credentials: EmulatorCredentials) -> Iterator[SnapEmulator]:
    """A started `SnapEmulator` (fresh state, the session's credentials), stopped after."""
    with SnapEmulator(credentials=snap_credentials) as emulator:
        yield emulator


@pytest.fixture
def snap_client(snap_emulator: SnapEmulator) -> SnapClient:
    """A `SnapClient` signed with the emulator's partner keys (closed after the test)."""
    return snap_emulator.client()
