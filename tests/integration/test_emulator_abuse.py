"""The emulator survives abuse: body limits, hostile JSON, admin protection, redirects.

In-process (httpx on ASGITransport) for the answers; a real `bisnap serve` subprocess on
loopback for the memory bound, so its resident memory is measured apart from the test's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from bisnap.catalogue import by_name
from bisnap.cli import main
from bisnap.clock import JAKARTA, FixedClock
from bisnap.emulator import (
    ADMIN_TOKEN_HEADER,
    DEFAULT_MAX_BODY,
    Emulator,
    EmulatorConfig,
    EmulatorCredentials,
    create_app,
)
from bisnap.emulator.caller import MerchantCaller, compact
from bisnap.errors import ConfigurationError

START = datetime(2024, 3, 5, 10, 0, 0, tzinfo=JAKARTA)
CREDS = EmulatorCredentials.generate()
ADMIN_TOKEN = "abuse-test-admin-token-0x41"
DEEP = b"[" * 1500 + b"]" * 1500
DEEP_OBJECT = b'{"a":' * 600 + b"1" + b"}" * 600


@dataclass
class Setup:
    emulator: Emulator
    client: httpx.AsyncClient
    caller: MerchantCaller
    token: str = ""

    def signed(self, name: str, raw: bytes) -> tuple[str, dict[str, str]]:
        """Path and headers of a correctly signed call of `name` carrying `raw`."""
        endpoint = by_name(name)
        headers, _ = self.caller.service_request(endpoint.path, {}, access_token=self.token)
        # Signed independently over the bytes as they are (hostile bodies do not minify).
        digest = hashlib.sha256(raw).hexdigest()
        text = f"POST:{endpoint.path}:{self.token}:{digest}:{headers['X-TIMESTAMP']}"
        secret = CREDS.client_secret.reveal().encode()
        mac = hmac.new(secret, text.encode(), hashlib.sha512).digest()
        headers["X-SIGNATURE"] = base64.b64encode(mac).decode()
        return endpoint.path, headers


def _app(**config: Any) -> tuple[Emulator, httpx.ASGITransport]:
    clock = config.pop("clock", FixedClock(START))
    emulator = Emulator(
        EmulatorConfig(credentials=CREDS, clock=clock, admin_token=ADMIN_TOKEN, **config)
    )
    return emulator, httpx.ASGITransport(app=create_app(emulator))


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    emulator, transport = _app(max_body=4096)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        caller = MerchantCaller(CREDS, emulator.clock)
        headers, body = caller.token_request()
        answer = await client.post("/v1.0/access-token/b2b", headers=headers, content=body)
        yield Setup(emulator, client, caller, answer.json()["accessToken"])


def _admin(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {ADMIN_TOKEN_HEADER: ADMIN_TOKEN, **(extra or {})}


# --- request-body limit ------------------------------------------------------------------


@pytest.mark.anyio
async def test_declared_body_over_the_limit_is_413_before_reading(setup: Setup) -> None:
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(4):
            read.append(1)
            yield b"x" * 4096

    path, headers = setup.signed("balance_inquiry", b'{"accountNo":"0"}')
    headers["Content-Length"] = str(4 * 4096)
    answer = await setup.client.post(path, headers=headers, content=body())
    assert answer.status_code == 413
    data = answer.json()
    assert data["responseCode"] == "4131100"
    assert data["responseMessage"] == "Request Entity Too Large"
    assert data["referenceNo"]
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-timestamp"]
    assert read == [], "refused from Content-Length, before any chunk was read"


@pytest.mark.anyio
async def test_streamed_body_is_counted_chunk_by_chunk(setup: Setup) -> None:
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for _ in range(100):
            read.append(1)
            yield b" " * 1000

    path, headers = setup.signed("balance_inquiry", b'{"accountNo":"0"}')
    answer = await setup.client.post(path, headers=headers, content=body())
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert answer.status_code == 413
    assert answer.json()["responseCode"] == "4131100"
    assert len(read) == 5, "refused at the first chunk past the 4096-byte limit"


@pytest.mark.anyio
async def test_every_route_kind_has_the_limit(setup: Setup) -> None:
    big = b'{"grantType":"client_credentials","pad":"' + b"x" * 5000 + b'"}'
    headers, _ = setup.caller.token_request()
    token = await setup.client.post("/v1.0/access-token/b2b", headers=headers, content=big)
    assert (token.status_code, token.json()["responseCode"]) == (413, "4137300")
    pay = await setup.client.post("/_emulator/pay", headers=_admin(), content=big)
    assert (pay.status_code, pay.json()["responseCode"]) == (413, "4130000")
    url = await setup.client.post("/_emulator/notify-url", headers=_admin(), content=big)
    assert url.status_code == 413


@pytest.mark.anyio
async def test_body_at_the_limit_is_accepted(setup: Setup) -> None:
    raw = b'{"accountNo":"0","pad":"' + b"x" * (4096 - 26) + b'"}'
    assert len(raw) == 4096
    path, headers = setup.signed("balance_inquiry", raw)
    answer = await setup.client.post(path, headers=headers, content=raw)
    assert answer.json()["responseCode"] == "2001100", answer.text


def test_default_limit_is_one_mib_and_configurable_in_range() -> None:
    assert DEFAULT_MAX_BODY == 1024 * 1024
    assert Emulator(EmulatorConfig(credentials=CREDS)).config.max_body == DEFAULT_MAX_BODY
    for bad in (0, -1, 10**12):
        with pytest.raises(ConfigurationError):
            Emulator(EmulatorConfig(credentials=CREDS, max_body=bad))
    with pytest.raises(ConfigurationError):
        Emulator(EmulatorConfig(credentials=CREDS, token_ttl=timedelta(days=10**6)))


# --- hostile JSON ------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJECT, b'{"a":1}\x00', b"\xff\xfe{}", b"[1,2]"])
async def test_hostile_bodies_are_bad_requests_on_signed_routes(setup: Setup, raw: bytes) -> None:
    path, headers = setup.signed("balance_inquiry", raw)
    answer = await setup.client.post(path, headers=headers, content=raw)
    assert answer.status_code == 400, answer.text
    assert answer.json()["responseCode"] == "4001100"


@pytest.mark.anyio
@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJECT, b"not json", b"\xff", b"[1]", b'"s"'])
async def test_hostile_bodies_are_bad_requests_on_the_token_route(setup: Setup, raw: bytes) -> None:
    headers, _ = setup.caller.token_request()
    answer = await setup.client.post("/v1.0/access-token/b2b", headers=headers, content=raw)
    assert (answer.status_code, answer.json()["responseCode"]) == (400, "4007300")


@pytest.mark.anyio
@pytest.mark.parametrize("route", ["/_emulator/pay", "/_emulator/notify-url"])
@pytest.mark.parametrize("raw", [DEEP, DEEP_OBJECT, b"not json", b"\xff\xfe", b"[]"])
async def test_hostile_bodies_are_bad_requests_on_admin_routes(
    setup: Setup, route: str, raw: bytes
) -> None:
    answer = await setup.client.post(route, headers=_admin(), content=raw)
    assert (answer.status_code, answer.json()["responseCode"]) == (400, "4000000")


@pytest.mark.anyio
async def test_wrong_json_types_are_invalid_field_format(setup: Setup) -> None:
    pay = await setup.client.post("/_emulator/pay", headers=_admin(), json={"virtualAccountNo": 5})
    assert (pay.status_code, pay.json()["responseCode"]) == (400, "4000001")
    url = await setup.client.post("/_emulator/notify-url", headers=_admin(), json={"url": 5})
    assert (url.status_code, url.json()["responseCode"]) == (400, "4000001")
    va = {
        "partnerServiceId": "   70012",
        "customerNo": "1",
        "virtualAccountNo": 5,
        "virtualAccountName": "Budi",
        "trxId": "t-1",
        "totalAmount": {"value": "1.00", "currency": "IDR"},
        "additionalInfo": {"merchantId": "G1"},
    }
    for body, field in (
        (va, "virtualAccountNo"),
        ({**va, "virtualAccountNo": "   700121", "trxId": ["x"]}, "trxId"),
        ({**va, "virtualAccountNo": "   700121", "totalAmount": {"value": 1}}, "value"),
    ):
        raw = compact(body)
        path, headers = setup.signed("create_va", raw)
        answer = await setup.client.post(path, headers=headers, content=raw)
        assert (answer.status_code, answer.json()["responseCode"]) == (400, "4002701"), body
        assert field in answer.json()["responseMessage"]
    query = {"originalReferenceNo": {"a": 1}, "serviceCode": "54"}
    raw = compact(query)
    path, headers = setup.signed("debit_status", raw)
    answer = await setup.client.post(path, headers=headers, content=raw)
    assert (answer.status_code, answer.json()["responseCode"]) == (400, "4005501")
    for raw in (b'{"pageSize":1e999,"pageNumber":[1]}', b'{"pageSize":-1e308,"pageNumber":1e400}'):
        path, headers = setup.signed("transaction_history_list", raw)
        answer = await setup.client.post(path, headers=headers, content=raw)
        assert answer.json()["responseCode"] == "2001200", answer.text


@pytest.mark.anyio
async def test_a_huge_amount_exponent_is_refused_not_expanded(setup: Setup) -> None:
    va = {
        "partnerServiceId": "   70012",
        "customerNo": "1",
        "virtualAccountNo": "   700121",
        "virtualAccountName": "Budi",
        "trxId": "t-1",
        "totalAmount": {"value": "1e999999999", "currency": "IDR"},
        "additionalInfo": {"merchantId": "G1"},
    }
    raw = compact(va)
    path, headers = setup.signed("create_va", raw)
    answer = await setup.client.post(path, headers=headers, content=raw)
    assert (answer.status_code, answer.json()["responseCode"]) == (400, "4002701")


# --- admin routes ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_admin_routes_need_the_token(setup: Setup) -> None:
    for headers in ({}, {ADMIN_TOKEN_HEADER: "wrong"}, {"Authorization": "Bearer wrong"}):
        for method, route in (
            ("POST", "/_emulator/pay"),
            ("POST", "/_emulator/notify-url"),
            ("GET", "/_emulator/notify-url"),
            ("GET", "/_emulator/state"),
        ):
            answer = await setup.client.request(
                method, route, headers=headers, json={"virtualAccountNo": "1"}
            )
            assert answer.status_code == 401, (route, headers)
            assert answer.json()["responseCode"] == "4010000"
            assert ADMIN_TOKEN not in answer.text
    ok = await setup.client.get("/_emulator/state", headers=_admin())
    assert ok.status_code == 200
    bearer = await setup.client.get(
        "/_emulator/state", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert bearer.status_code == 200
    public = await setup.client.get("/_emulator/credentials")
    assert public.status_code == 200
    assert "providerPublicKey" in public.json()


def test_generated_admin_token_is_exposed_by_create_app() -> None:
    emulator = Emulator(EmulatorConfig(credentials=CREDS))
    app = create_app(emulator)
    assert len(emulator.admin_token) >= 24
    assert app.state.admin_token == emulator.admin_token
    assert emulator.admin_headers() == {ADMIN_TOKEN_HEADER: emulator.admin_token}
    assert Emulator(EmulatorConfig(credentials=CREDS)).admin_token != emulator.admin_token


@pytest.mark.anyio
async def test_admin_routes_answer_loopback_callers_only() -> None:
    emulator, _ = _app()
    app = create_app(emulator)
    for client_addr, expected in (
        (("203.0.113.9", 4000), 403),
        (("10.0.0.2", 4000), 403),
        (("::ffff:10.0.0.2", 4000), 403),
        (("::1", 4000), 200),
        (("::ffff:127.0.0.1", 4000), 200),
        (("127.0.0.1", 4000), 200),
    ):
        transport = httpx.ASGITransport(app=app, client=client_addr)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
            answer = await client.get("/_emulator/state", headers=_admin())
            assert answer.status_code == expected, client_addr
            if expected == 403:
                assert answer.json()["responseCode"] == "4030001"


@pytest.mark.anyio
async def test_no_admin_leaves_the_routes_out() -> None:
    _, transport = _app(admin=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        for route in ("/_emulator/pay", "/_emulator/notify-url"):
            assert (await client.post(route, headers=_admin(), json={})).status_code == 404
        assert (await client.get("/_emulator/state", headers=_admin())).status_code == 404
        assert (await client.get("/_emulator/credentials")).status_code == 200


# --- redirect URLs -----------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,hi",
        "ftp://example.com/x",
        "//evil.example/x",
        "https://",
        "http:///path",
        "https://good.example/\\x",
        "https://good.example/ x",
    ],
)
async def test_get_auth_code_redirects_to_http_urls_only(setup: Setup, url: str) -> None:
    params = {
        "redirectUrl": url,
        "scopes": "DEFAULT",
        "state": "s1",
        "merchantId": "m",
        "seamlessData": "d",
        "seamlessSign": "s",
    }
    answer = await setup.client.get("/v1.0/get-auth-code", params=params)
    assert (answer.status_code, answer.json()["responseCode"]) == (400, "4001001")
    assert "location" not in answer.headers


@pytest.mark.anyio
async def test_get_auth_code_still_redirects_to_https(setup: Setup) -> None:
    params = {
        "redirectUrl": "https://merchant.example/back?x=1",
        "scopes": "DEFAULT",
        "state": "s1",
        "merchantId": "m",
        "seamlessData": "d",
        "seamlessSign": "s",
    }
    answer = await setup.client.get("/v1.0/get-auth-code", params=params)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith("https://merchant.example/back?x=1&authCode=")


# --- CLI option ranges -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "-1"], "--port"),
        (["--token-ttl", "99999999999999999999999"], "--token-ttl"),
        (["--token-ttl", "0"], "--token-ttl"),
        (["--retry-scale", "inf"], "--retry-scale"),
        (["--retry-scale", "nan"], "--retry-scale"),
        (["--max-body", "0"], "--max-body"),
        (["--max-body", "99999999999999"], "--max-body"),
        (["--balance", "1e999999999"], "--balance"),
        (["--notify-url", "javascript:x"], "--notify-url"),
    ],
)
def test_serve_option_ranges_are_clear_errors(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", *argv]) == 2
    err = capsys.readouterr().err
    assert option in err
    assert "internal error" not in err
    assert "Traceback" not in err


# --- memory under 8 concurrent 50 MB bodies ----------------------------------------------

_FIFTY_MB = 50 * 1024 * 1024
_CHUNK = b"x" * 65536


def _rss_peak_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM in /proc status")


def _flood(port: int, path: str, *, chunked: bool, admin_token: str) -> bytes:
    """Stream 50 MB at the server (64 KiB at a time, never held whole) and read its answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer: list[bytes] = []

    def read() -> None:
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                answer.append(data)
        except OSError:
            return

    reader = threading.Thread(target=read)
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % _FIFTY_MB
    head = (
        b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"X-Emulator-Admin-Token: %s\r\n%s\r\n\r\n"
    )
    try:
        sock.sendall(head % (path.encode(), admin_token.encode(), framing))
        reader.start()
        sent = 0
        while sent < _FIFTY_MB:
            piece = b"%x\r\n%s\r\n" % (len(_CHUNK), _CHUNK) if chunked else _CHUNK
            sock.sendall(piece)
            sent += len(_CHUNK)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection after its 413: expected
    finally:
        if reader.is_alive() or reader.ident is not None:
            reader.join(60)
        sock.close()
    return b"".join(answer)


@pytest.mark.slow
@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_memory_stays_under_100_mb_with_8_concurrent_50_mb_bodies(http: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bisnap", "serve", "--port", "0", "--quiet", "--http", http],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert proc.stdout is not None
        port, admin_token = 0, ""
        for line in proc.stdout:
            if line.strip().startswith("listening"):
                port = int(line.rsplit(":", 1)[1])
            if line.strip().startswith("admin token"):
                admin_token = line.split()[2]
            if line.startswith("Ctrl-C"):
                break
        assert port, "the server printed no address"
        deadline = time.monotonic() + 30
        while True:  # bounded readiness poll of the server this test started
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        routes = ["/v1.0/balance-inquiry", "/v1.0/access-token/b2b", "/_emulator/pay"]
        answers: list[bytes] = [b""] * 8

        def one(i: int) -> None:
            answers[i] = _flood(port, routes[i % 3], chunked=i % 2 == 0, admin_token=admin_token)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        peak = _rss_peak_kib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    refused = [a for a in answers if a.startswith(b"HTTP/1.1 413 ")]
    assert len(refused) == 8, [a[:40] for a in answers]
    for answer in refused:
        body = answer.split(b"\r\n\r\n", 1)[1]
        assert json.loads(body)["responseCode"].startswith("413")
    assert peak < 100 * 1024, f"peak resident memory {peak} KiB"


def test_no_admin_token_or_iris_key_in_a_repr() -> None:
    config = EmulatorConfig(credentials=CREDS, admin_token=ADMIN_TOKEN, iris_merchant_key="IRIS-k")
    emulator = Emulator(config)
    for text in (repr(config), repr(emulator), repr(emulator.notifier), str(config)):
        assert ADMIN_TOKEN not in text
        assert "IRIS-k" not in text
