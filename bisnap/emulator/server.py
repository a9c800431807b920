"""Run an ASGI app with uvicorn in a background thread, on a loopback port.

`bisnap demo`, the tests and the benchmark use it to run the emulator (and the demo's
merchant endpoint) in-process:

```python
with ThreadedServer(create_app(emulator)) as server:
    httpx.get(server.url + "/_emulator/credentials")
```

The socket is bound before uvicorn starts (so `port=0` gives a free port known at once);
start-up waits a bounded time for uvicorn to report it is serving; `stop()` asks uvicorn
to exit and joins the thread.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, Self

import uvicorn

from bisnap._lifecycle import StartStop
from bisnap.errors import ConfigurationError

__all__ = ["ThreadedServer", "bind_socket"]

_POLL = 0.005  # seconds between readiness checks of the server this module started


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` (IPv6 when `host` has a colon; port 0: a free one).

    Raises:
        ConfigurationError: the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio turns on TCP_NODELAY only for sockets whose proto
    # says TCP, and without it every keep-alive reply waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {host}:{port}: {err.strerror}",
            hint="Pick another --port (0 picks a free one).",
        ) from err
    return sock


class ThreadedServer(StartStop):
    """uvicorn serving `app` from a daemon thread.

    `http` is uvicorn's HTTP implementation (`"h11"`, `"httptools"` or `"auto"`), `loop`
    its event loop (`"asyncio"`, `"uvloop"` or `"auto"`);
    `log_config=None` leaves logging alone (uvicorn's own config prints access logs, which
    never include request headers).

    Raises (from `start`):
        ConfigurationError: the port cannot be bound, or the server did not start in time.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        http: str = "auto",
        loop: str = "auto",
        startup_timeout: float = 10.0,
        log_level: str = "warning",
        access_log: bool = False,
        log_config: dict[str, Any] | None = None,
    ) -> None:
        self._app = app
        self.host = host
        self._requested_port = port
        self._http = http
        self._loop = loop
        self._startup_timeout = startup_timeout
        self._log_level = log_level
        self._access_log = access_log
        self._log_config = log_config
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None
        self.port = port

    @property
    def url(self) -> str:
        """`http://host:port` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        """True while the server thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        """Bind, start uvicorn in a thread and wait (bounded) until it serves."""
        sock = bind_socket(self.host, self._requested_port)
        sock.listen(2048)
        sock.set_inheritable(True)
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            ws="none",
            http=self._http,
            loop=self._loop,
            log_level=self._log_level,
            access_log=self._access_log,
            log_config=self._log_config,
            timeout_graceful_shutdown=2,
            backlog=2048,
        )
        server = uvicorn.Server(config)
        self._server = server

        def run() -> None:
            try:
                server.run(sockets=[sock])
            except BaseException as err:  # reported by start()/stop()
                self._error = err

        self._thread = threading.Thread(target=run, name=f"bisnap-uvicorn-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigurationError(
                    f"the server on {self.url} did not start"
                    + (f": {self._error!r}" if self._error else " in time"),
                    hint="Check that the emulator extra is installed and the port is free.",
                )
            time.sleep(_POLL)  # bounded readiness poll of the thread started above
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit and wait (bounded) for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def wait(self) -> None:
        """Block until the server thread ends (Ctrl-C interrupts)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __repr__(self) -> str:
        return f"ThreadedServer(url={self.url!r}, running={self.running})"
