"""Real HTTP on 127.0.0.1: the docs' merchant endpoints (uvicorn + FastAPI, werkzeug + Flask)
receive signed notifications over httpx and answer with bisnap's reply builders."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from werkzeug.serving import make_server

import bisnap

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
_START_TIMEOUT = 10.0


def doc_namespace(marker: str) -> dict[str, Any]:
    """Execute the docs block containing `marker` (it runs its own in-process checks)."""
    (source,) = [b for b in _BLOCK.findall(DOC.read_text("utf-8")) if marker in b]
    namespace: dict[str, Any] = {"__name__": "docs_notifications"}
    exec(compile(source, f"{DOC.name}:{marker}", "exec"), namespace)  # noqa: S102 - our docs
    return namespace


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def signed(ns: dict[str, Any], path: str, body: bytes, external: str) -> dict[str, str]:
    timestamp = bisnap.format_timestamp(ns["clock"].now())
    trace = bisnap.sign_service_asymmetric(
        method="POST",
        path=path,
        body=body,
        timestamp=timestamp,
        private_key=ns["midtrans"].private_key,
    )
    return {
        "Content-Type": "application/json",
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": trace.signature,
        "X-PARTNER-ID": "G123456789",
        "X-EXTERNAL-ID": external,
    }


@pytest.fixture(scope="module")
def fastapi_server() -> Iterator[tuple[str, dict[str, Any]]]:
    ns = doc_namespace("FastAPI(")
    port = free_port()
    config = uvicorn.Config(
        ns["app"], host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.01)  # bounded readiness poll of a server thread
    try:
        yield f"http://127.0.0.1:{port}", ns
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def flask_server() -> Iterator[tuple[str, dict[str, Any]]]:
    ns = doc_namespace("Flask(")
    server = make_server("127.0.0.1", 0, ns["app"], threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ns
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


BODY = (
    b'{ "latestTransactionStatus": "00", "originalReferenceNo": "H1",\n'
    b' "amount": {"value": "25000.00", "currency": "IDR"} }'
)


def test_fastapi_over_loopback(fastapi_server: tuple[str, dict[str, Any]]) -> None:
    base, ns = fastapi_server
    url = f"{base}/hooks/midtrans/v1.0/debit/notify"
    headers = signed(ns, "/v1.0/debit/notify", BODY, "31001")
    with httpx.Client(timeout=10) as client:
        ok = client.post(url, content=BODY, headers=headers)
        assert ok.status_code == 200
        assert ok.content == (
            b'{"responseCode":"2005600",'
            b'"responseMessage":"Request has been processed successfully"}'
        )
        assert ok.headers["content-type"] == "application/json"
        assert bisnap.parse_timestamp(ok.headers["x-timestamp"])
        assert ns["payments"]["H1"] == "00"

        # Midtrans's retry of a processed notification: success, and not processed twice.
        ns["payments"]["H1"] = "seen"
        dup = client.post(url, content=BODY, headers=headers)
        assert (dup.status_code, dup.json()["responseCode"]) == (200, "2005600")
        assert ns["payments"]["H1"] == "seen"

        second = BODY.replace(b'"H1"', b'"H2"')
        other = signed(ns, "/v1.0/debit/notify", second, "31002")
        forged = client.post(url, content=second.replace(b"25000", b"95000"), headers=other)
        assert (forged.status_code, forged.json()["responseCode"]) == (401, "4015600")
        assert client.post(url, content=second, headers=other).status_code == 200
        assert ns["payments"]["H2"] == "00"

        va = f"{base}/hooks/midtrans/v1.0/transfer-va/payment"
        missing = {k: v for k, v in other.items() if k != "X-SIGNATURE"}
        bad = client.post(va, content=BODY, headers=missing)
        assert bad.json() == {
            "responseCode": "4002502",
            "responseMessage": "Invalid Mandatory Field X-SIGNATURE",
        }


def test_flask_over_loopback(flask_server: tuple[str, dict[str, Any]]) -> None:
    base, ns = flask_server
    body = (
        b'{"partnerServiceId":"   88899","customerNo":"12","virtualAccountNo":"   8889912",'
        b'"trxId":"t-9","paidAmount":{"value":"10000.00","currency":"IDR"}}'
    )
    url = f"{base}/hooks/midtrans/v1.0/transfer-va/payment"
    headers = signed(ns, "/v1.0/transfer-va/payment", body, "41001")
    with httpx.Client(timeout=10) as client:
        ok = client.post(url, content=body, headers=headers)
        assert ok.status_code == 200, ok.text
        assert ok.json()["virtualAccountData"] == {
            "partnerServiceId": "   88899",
            "customerNo": "12",
            "virtualAccountNo": "   8889912",
            "trxId": "t-9",
        }
        dup = client.post(url, content=body, headers=headers)  # processed: success again
        assert (dup.status_code, dup.json()["responseCode"]) == (200, "2002500")
        assert dup.json()["virtualAccountData"]["trxId"] == "t-9"
        stale = dict(headers, **{"X-TIMESTAMP": "2001-01-01T00:00:00+07:00", "X-EXTERNAL-ID": "2"})
        old = client.post(url, content=body, headers=stale)
        assert old.json() == {
            "responseCode": "4002501",
            "responseMessage": "Invalid Field Format X-TIMESTAMP",
        }
