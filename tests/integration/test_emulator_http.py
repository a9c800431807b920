"""The emulator over real HTTP on 127.0.0.1: uvicorn in a thread, and `bisnap serve`."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bisnap.clock import SystemClock
from bisnap.emulator import Emulator, EmulatorConfig, EmulatorCredentials, ThreadedServer
from bisnap.emulator.caller import MerchantCaller
from bisnap.notifications import NotificationVerifier
from bisnap.replies import success_reply

CREDS = EmulatorCredentials.generate()


def test_flow_over_loopback_http() -> None:
    clock = SystemClock()
    received: list[str] = []
    arrived = threading.Event()
    verifier = NotificationVerifier(public_key=CREDS.provider_public_key, clock=clock)

    async def hook(request: Request) -> Response:
        body = await request.body()
        notification = verifier.verify(
            method="POST", path=request.url.path, headers=request.headers, body=body
        )
        received.append(str(notification.payment_flag_status))
        arrived.set()
        reply = success_reply(notification, clock=clock)
        return Response(reply.body, reply.status_code, dict(reply.headers))

    merchant_app = Starlette(routes=[Route("/v1.0/{rest:path}", hook, methods=["POST"])])
    emulator = Emulator(EmulatorConfig(credentials=CREDS))
    caller = MerchantCaller(CREDS, clock)
    with (
        ThreadedServer(emulator.app, http="h11") as provider,
        ThreadedServer(merchant_app, http="h11") as merchant,
        httpx.Client(base_url=provider.url, timeout=10, headers=emulator.admin_headers()) as client,
    ):
        assert provider.url.startswith("http://127.0.0.1:")
        headers, body = caller.token_request()
        token = client.post("/v1.0/access-token/b2b", headers=headers, content=body).json()[
            "accessToken"
        ]
        va = {
            "partnerServiceId": "   70012",
            "customerNo": "1",
            "virtualAccountNo": "   700121",
            "virtualAccountName": "Budi",
            "trxId": "t-1",
            "totalAmount": {"value": "1.00", "currency": "IDR"},
            "additionalInfo": {"merchantId": "G1"},
        }
        headers, body = caller.service_request(
            "/v1.0/transfer-va/create-va", va, access_token=token
        )
        created = client.post("/v1.0/transfer-va/create-va", headers=headers, content=body)
        assert created.json()["responseCode"] == "2002700"
        assert created.headers["x-timestamp"]
        headers["X-SIGNATURE"] = "A" * 88
        rejected = client.post("/v1.0/transfer-va/create-va", headers=headers, content=body)
        assert rejected.json()["responseCode"] == "4012700"
        client.post("/_emulator/notify-url", json={"url": merchant.url})
        paid = client.post("/_emulator/pay", json={"virtualAccountNo": "   700121"})
        assert paid.json()["notification"]["delivered"] is True
        assert arrived.wait(10)
        assert received == ["00"]
    assert not provider.running
    assert not merchant.running


def test_taken_port_is_a_configuration_error() -> None:
    from bisnap.errors import ConfigurationError

    app = Emulator(EmulatorConfig(credentials=CREDS)).app
    with ThreadedServer(app) as first, pytest.raises(ConfigurationError):
        ThreadedServer(app, port=first.port).start()


def _serve(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """Start `bisnap serve` and read its banner up to the 'Ctrl-C' line (bounded)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bisnap", "serve", "--port", "0", "--quiet", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C"):
            break
    url = next(line.split()[1] for line in lines if line.strip().startswith("listening"))
    return proc, url, lines


def _wait_ready(url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        try:
            data: dict[str, Any] = httpx.get(url + "/_emulator/credentials", timeout=2).json()
            return data
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # bounded readiness poll of the server this test started


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


@pytest.mark.slow
def test_bisnap_serve_writes_credentials_and_answers(tmp_path: Path) -> None:
    out = tmp_path / "creds"
    proc, url, lines = _serve(tmp_path, "--write-credentials", str(out))
    try:
        published = _wait_ready(url)
        ids = json.loads((out / "credentials.json").read_text())
        assert ids["clientKey"] == published["clientKey"]
        for name in (
            "client_secret.txt",
            "partner_private_key.pem",
            "provider_private_key.pem",
            "iris_merchant_key.txt",
        ):
            assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
        secret = (out / "client_secret.txt").read_text()
        banner = "\n".join(lines)
        assert secret not in banner
        assert (out / "iris_merchant_key.txt").read_text() not in banner
        admin = next(line.split()[2] for line in lines if line.strip().startswith("admin token"))
        assert httpx.get(url + "/_emulator/state").status_code == 401
        state = httpx.get(url + "/_emulator/state", headers={"X-Emulator-Admin-Token": admin})
        assert state.status_code == 200
        assert "PRIVATE KEY" not in banner
        assert published["clientKey"] in banner
        loaded = EmulatorCredentials.load_directory(out)
        caller = MerchantCaller(loaded, SystemClock())
        headers, body = caller.token_request()
        token = httpx.post(url + "/v1.0/access-token/b2b", headers=headers, content=body).json()
        assert token["responseCode"] == "2007300"
        headers, body = caller.service_request(
            "/v1.0/balance-inquiry", {"accountNo": "0"}, access_token=token["accessToken"]
        )
        answer = httpx.post(url + "/v1.0/balance-inquiry", headers=headers, content=body)
        assert answer.json()["responseCode"] == "2001100"
    finally:
        err = _stop(proc)
    assert secret not in err


@pytest.mark.slow
def test_bisnap_serve_reveal_and_given_keys(tmp_path: Path) -> None:
    CREDS.write(tmp_path)
    proc, url, lines = _serve(
        tmp_path,
        "--client-key",
        "G-GIVEN",
        "--partner-id",
        "P-GIVEN",
        "--client-secret-file",
        str(tmp_path / "client_secret.txt"),
        "--partner-public-key",
        str(tmp_path / "partner_public_key.pem"),
        "--provider-private-key",
        str(tmp_path / "provider_private_key.pem"),
        "--reveal-secrets",
    )
    try:
        published = _wait_ready(url)
        assert published["clientKey"] == "G-GIVEN"
        assert published["partnerId"] == "P-GIVEN"
        assert (
            published["providerPublicKeyFingerprint"]
            == CREDS.public_view()["providerPublicKeyFingerprint"]
        )
        assert CREDS.client_secret.reveal() in "\n".join(lines)  # asked for with --reveal
    finally:
        _stop(proc)
