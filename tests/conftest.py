"""Shared fixtures: a real `redis-server` for the whole session, and the anyio backend.

`redis_server` starts the Debian `redis-server` on a free loopback port (no persistence,
temp dir), waits until it answers PING (bounded poll), and stops it at the end. Outage
tests call `.kill()` / `.restart()`, or `.pause()` / `.resume()` (SIGSTOP: a hung server).
`redis_url` flushes DB 0 (resuming or restarting the server if a previous test paused or
killed it) and returns `redis://127.0.0.1:PORT/0`. `redis_cluster` is a real three-master
Redis Cluster (`redis-server --cluster-enabled yes` ×3 joined by `redis-cli --cluster
create`); `redis_cluster_url` flushes it and names its first node.

If `redis-server` is not on PATH the fixture FAILS (never skips): install it with
`apt-get install -y redis-server`.

`token_endpoint` is a real HTTP access-token endpoint on 127.0.0.1 (stdlib http.server in
a thread) that verifies the RSA signature with the partner's public key and answers like
Midtrans (`2007300` … `"expiresIn":"900"`, or `4017300` on a bad signature). It counts
requests; `.hold()` makes it wait for `.release()` before answering.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bisnap import BisnapError, KeyPair, generate_key_pair, verify_access_token

_READY_TIMEOUT = 10.0  # seconds the readiness poll may take before the fixture fails


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _free_cluster_port() -> int:
    """A free loopback port P <= 55535 whose bus port P + 10000 is free too (cluster nodes)."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        candidate = 20000 + port % 30000
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as a:
                a.bind(("127.0.0.1", candidate))
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as b:
                    b.bind(("127.0.0.1", candidate + 10000))
        except OSError:
            continue
        return candidate
    raise RuntimeError("no free loopback port pair for a Redis Cluster node")


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
            sock.settimeout(0.5)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _send(port: int, command: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
        sock.settimeout(2.0)
        sock.sendall(command)
        return sock.recv(256)


class RedisServer:
    """A `redis-server` process on a loopback port, controllable from tests."""

    def __init__(self, executable: str, directory: Path, port: int | None = None) -> None:
        self.executable = executable
        self.directory = directory
        self.port = port if port is not None else _free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._extra: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:PORT/0`."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def alive(self) -> bool:
        """True while the server process runs."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server and wait (bounded) until it answers PING.

        Raises:
            RuntimeError: the server exited or did not answer within the timeout.
        """
        self.start_with(*self._extra)

    def start_with(self, *extra: str) -> None:
        """`start()` with extra `redis-server` options (kept for restarts)."""
        self._extra = extra
        if self.alive:
            return
        log = (self.directory / "redis.log").open("ab")
        self._proc = subprocess.Popen(
            [
                self.executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--protected-mode",
                "no",
                "--loglevel",
                "warning",
                *extra,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with {self._proc.returncode}; "
                    f"see {self.directory / 'redis.log'}"
                )
            if _ping(self.port):
                return
            time.sleep(0.02)  # bounded readiness poll of a child process
        self.kill()
        raise RuntimeError(f"redis-server did not answer PING on port {self.port} in time")

    def kill(self) -> None:
        """Kill the server at once (SIGKILL) to simulate an outage."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGCONT)
            self._proc.kill()
            self._proc.wait(timeout=10)
        self._proc = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections open, nothing answers — a hung Redis."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Undo `pause()` (SIGCONT)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        """Kill (if running) and start again on the same port (the data is gone)."""
        self.kill()
        self.start()

    def flush(self) -> None:
        """FLUSHALL, resuming or starting the server first if it is paused or down."""
        self.resume()
        if not self.alive:
            self.start()
        reply = _send(self.port, b"FLUSHALL\r\n")
        if not reply.startswith(b"+OK"):
            raise RuntimeError(f"FLUSHALL failed: {reply!r}")

    def __repr__(self) -> str:
        return f"RedisServer(url={self.url!r}, alive={self.alive})"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the session (fails, never skips, when it is missing)."""
    executable = shutil.which("redis-server")
    if executable is None:
        pytest.fail(
            "redis-server is not on PATH: install it (`apt-get install -y redis-server`); "
            "the Redis tests never skip.",
            pytrace=False,
        )
    server = RedisServer(executable, tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session server's URL, with an empty database (restarted if a test killed it)."""
    redis_server.flush()
    return redis_server.url


class RedisClusterServers:
    """Three `redis-server --cluster-enabled yes` masters on loopback, joined into a cluster.

    Started with `redis-cli --cluster create ... --cluster-replicas 0`; ready once every
    node reports `cluster_state:ok` (bounded poll). `url` names the first node (redis-py
    discovers the others).
    """

    def __init__(self, executable: str, cli: str, directory: Path) -> None:
        self.nodes = [
            RedisServer(executable, directory / f"node{i}", _free_cluster_port()) for i in range(3)
        ]
        self.cli = cli

    @property
    def url(self) -> str:
        """`redis://127.0.0.1:PORT/0` of the first node."""
        return self.nodes[0].url

    def start(self) -> None:
        """Start the three nodes, create the cluster, wait until it is ok (bounded).

        Raises:
            RuntimeError: a node did not start, or the cluster was not ok in time.
        """
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            node.start_with(
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                str(node.directory / "nodes.conf"),
                "--cluster-node-timeout",
                "5000",
            )
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        created = subprocess.run(
            [
                self.cli,
                "--cluster",
                "create",
                *addresses,
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if created.returncode != 0:
            raise RuntimeError(f"redis-cli --cluster create failed: {created.stdout!r}")
        deadline = time.monotonic() + _READY_TIMEOUT * 3
        while time.monotonic() < deadline:
            if all(self._state_ok(node.port) for node in self.nodes):
                return
            time.sleep(0.05)  # bounded readiness poll of child processes
        raise RuntimeError("the Redis cluster did not reach cluster_state:ok in time")

    @staticmethod
    def _state_ok(port: int) -> bool:
        try:
            return b"cluster_state:ok" in _send(port, b"CLUSTER INFO\r\n")
        except OSError:
            return False

    def flush(self) -> None:
        """FLUSHALL on every master."""
        for node in self.nodes:
            reply = _send(node.port, b"FLUSHALL\r\n")
            if not reply.startswith(b"+OK"):
                raise RuntimeError(f"FLUSHALL failed on {node.port}: {reply!r}")

    def kill(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.kill()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """A real three-master Redis Cluster on loopback for the session (fails, never skips)."""
    executable, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if executable is None or cli is None:
        pytest.fail(
            "redis-server and redis-cli are not on PATH: install them "
            "(`apt-get install -y redis-server`); the Redis tests never skip.",
            pytrace=False,
        )
    cluster = RedisClusterServers(executable, cli, tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.kill()


@pytest.fixture
def redis_cluster_url(redis_cluster: RedisClusterServers) -> str:
    """The session cluster's URL (any node), with every master flushed."""
    redis_cluster.flush()
    return redis_cluster.url


@pytest.fixture
def anyio_backend() -> str:
    """Run `@pytest.mark.anyio` tests on asyncio."""
    return "asyncio"


# --- a real access-token endpoint ----------------------------------------------------------

TOKEN_CLIENT_KEY = "G-TEST-CLIENT-1"


class TokenEndpoint:
    """A loopback SNAP access-token endpoint (verifies SHA256withRSA with the public key)."""

    def __init__(self, keys: KeyPair, *, path: str = "/v1.0/access-token/b2b") -> None:
        self.keys = keys
        self.path = path
        self.client_key = TOKEN_CLIENT_KEY
        self.expires_in: object = "900"
        self.token_prefix = "SENTINEL-TOKEN-"
        self.requests: list[dict[str, Any]] = []
        #: Answers to give before the normal ones: (HTTP status, JSON body) each.
        self.scripted: list[tuple[int, dict[str, Any]]] = []
        #: Called (in the server thread) before each answer; may block, bounded.
        self.before_answer: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._gate = threading.Event()
        self._gate.set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def count(self) -> int:
        """How many token requests arrived."""
        with self._lock:
            return len(self.requests)

    def hold(self) -> None:
        """Make requests wait (bounded) until `release()`."""
        self._gate.clear()

    def release(self) -> None:
        """Let held requests answer."""
        self._gate.set()

    def start(self) -> None:
        """Serve in a daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self._gate.set()
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append({"headers": headers, "body": body})
            number = len(self.requests)
            scripted = self.scripted.pop(0) if self.scripted else None
        if self.before_answer is not None:
            self.before_answer()
        self._gate.wait(timeout=30)
        if scripted is not None:
            return scripted
        try:
            verify_access_token(
                client_key=headers.get("x-client-key", ""),
                timestamp=headers.get("x-timestamp", ""),
                signature=headers.get("x-signature", ""),
                public_key=self.keys.public_key,
            )
        except BisnapError:
            return 401, {"responseCode": "4017300", "responseMessage": "Unauthorized. Signature"}
        if headers.get("x-client-key") != self.client_key:
            return 401, {"responseCode": "4017300", "responseMessage": "Unauthorized. Unknown"}
        return 200, {
            "responseCode": "2007300",
            "responseMessage": "Successful",
            "accessToken": f"{self.token_prefix}{number}",
            "tokenType": "Bearer",
            "expiresIn": self.expires_in,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path != endpoint.path:
                    status, answer = 404, {"responseCode": "4047300", "responseMessage": "?"}
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    status, answer = endpoint._answer(headers, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@pytest.fixture(scope="session")
def token_keys() -> KeyPair:
    """One RSA-2048 partner key pair for the session."""
    return generate_key_pair()


@pytest.fixture
def token_endpoint(token_keys: KeyPair) -> Iterator[TokenEndpoint]:
    """A fresh loopback token endpoint (request count starts at 0)."""
    endpoint = TokenEndpoint(token_keys)
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()
