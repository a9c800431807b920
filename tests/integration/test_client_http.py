"""SnapClient, AsyncSnapClient and SnapAuth over real HTTP on 127.0.0.1.

The peer is the emulator (uvicorn in a thread) for the normal flows, and a small Starlette
app that verifies the HMAC with `bisnap.verify_service` and injects faults for retries.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bisnap import (
    AccessToken,
    AsyncSnapClient,
    ConnectionFailedError,
    NotFoundError,
    RetryPolicy,
    SignatureMismatchError,
    SnapAuth,
    SnapClient,
    TokenProvider,
    UnauthorizedError,
    verify_service,
)
from bisnap.catalogue import by_path
from bisnap.emulator import Emulator, EmulatorConfig, EmulatorCredentials, ThreadedServer
from bisnap.signing import SignatureTrace

CREDS = EmulatorCredentials.generate()
assert CREDS.partner_private_key is not None
PARTNER_KEY = CREDS.partner_private_key
VA: dict[str, Any] = {
    "partnerServiceId": "   70012",
    "customerNo": "0000012345",
    "virtualAccountNo": "   700120000012345",
    "virtualAccountName": "Jokul Doé",
    "trxId": "trx-0001",
    "totalAmount": {"value": "10000.00", "currency": "IDR"},
    "additionalInfo": {"merchantId": CREDS.merchant_id, "bank": "bca"},
}
TRANSFER: dict[str, Any] = {
    "partnerReferenceNo": "payout-42",
    "amount": {"value": "150000.00", "currency": "IDR"},
    "beneficiaryAccountNo": "8000000001",
    "beneficiaryAccountName": "Budi",
    "beneficiaryBankCode": "014",
    "sourceAccountNo": "0000000000",
    "transactionDate": "2024-03-05T17:37:16+07:00",
}


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """The emulator serving on a free loopback port."""
    emulator = Emulator(EmulatorConfig(credentials=CREDS))
    with ThreadedServer(emulator.app) as server:
        yield server.url


def _options(base_url: str, **kwargs: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "base_url": base_url,
        "client_key": CREDS.client_key,
        "private_key": CREDS.partner_private_key,
        "client_secret": CREDS.client_secret,
        "partner_id": CREDS.partner_id,
        "channel_id": CREDS.channel_id,
    }
    options.update(kwargs)
    return options


def test_sync_client_flows_against_the_emulator(emulator_url: str) -> None:
    with SnapClient(**_options(emulator_url)) as client:
        created = client.create_va({**VA, "trxId": "sync-1"}, external_id="sync-1")
        replayed = client.create_va({**VA, "trxId": "sync-1"}, external_id="sync-1")
        status = client.va_status(
            {
                "partnerServiceId": VA["partnerServiceId"],
                "customerNo": VA["customerNo"],
                "virtualAccountNo": VA["virtualAccountNo"],
                "inquiryRequestId": "sync-1",
            }
        )
        transfer = client.interbank_transfer({**TRANSFER, "partnerReferenceNo": "sync-p"})
        settled = client.transfer_status(
            {"originalPartnerReferenceNo": "sync-p", "serviceCode": "18"}
        )
        with pytest.raises(NotFoundError) as missing:
            client.transfer_status({"originalPartnerReferenceNo": "none", "serviceCode": "18"})
    assert created.code.code == "2002700"
    assert replayed.body["virtualAccountData"] == created.body["virtualAccountData"]
    assert status.body["virtualAccountData"]["paymentFlagStatus"] == "03"
    assert transfer.code.code == "2001800"
    assert settled.body["originalReferenceNo"] == transfer.body["referenceNo"]
    assert missing.value.code is not None and missing.value.code.code == "4043601"


def test_wrong_secret_is_unauthorized_with_trace(emulator_url: str) -> None:
    client = SnapClient(**_options(emulator_url, client_secret="not-the-secret"))
    with client, pytest.raises(UnauthorizedError) as info:
        client.balance_inquiry({"accountNo": "0000000000"})
    err = info.value
    assert isinstance(err.trace, SignatureTrace)
    assert err.trace.path == "/v1.0/balance-inquiry"
    assert "bisnap explain service" in err.hint


@pytest.mark.anyio
async def test_async_client_flows_against_the_emulator(emulator_url: str) -> None:
    async with AsyncSnapClient(**_options(emulator_url)) as client:
        created = await client.create_va({**VA, "trxId": "async-1"}, external_id="async-1")
        balance = await client.balance_inquiry({"accountNo": "0000000000"})
    assert created.code.code == "2002700"
    assert balance.code.code == "2001100"


def test_snap_auth_on_a_plain_httpx_client(emulator_url: str) -> None:
    with httpx.Client(base_url=emulator_url) as http:
        tokens = TokenProvider(
            base_url=emulator_url,
            client_key=CREDS.client_key,
            private_key=PARTNER_KEY,
            http_client=http,
        )
        http.auth = SnapAuth(
            client_secret=CREDS.client_secret,
            token=tokens,
            partner_id=CREDS.partner_id,
            channel_id=CREDS.channel_id,
            external_ids=None,
        )
        response = http.post(
            "/v1.0/balance-inquiry",
            json={"accountNo": "0000000000"},
            headers={"X-EXTERNAL-ID": "987654321"},
        )
    assert response.status_code == 200
    assert response.json()["responseCode"] == "2001100"


# --- a fault-injecting peer that verifies every signature -------------------------------------

TOKEN = "loopback-token"
SECRET = "loopback-secret"


class FaultyProvider:
    """Verifies the HMAC over the bytes received, answers from a per-path script."""

    def __init__(self) -> None:
        self.script: dict[str, list[tuple[int, bytes]]] = {}
        self.seen: list[dict[str, Any]] = []

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        raw_path = request.scope["raw_path"].decode("ascii")
        query = request.scope["query_string"].decode("ascii")
        path = f"{raw_path}?{query}" if query else raw_path
        self.seen.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        endpoint = by_path(request.url.path)
        service = endpoint.service_code if endpoint else "00"
        try:
            verify_service(
                method=request.method,
                path=path,
                body=body,
                timestamp=request.headers["x-timestamp"],
                access_token=TOKEN,
                client_secret=SECRET,
                signature=request.headers["x-signature"],
            )
        except SignatureMismatchError:
            return _json(401, {"responseCode": f"401{service}00", "responseMessage": "Unauth"})
        queue = self.script.get(request.url.path)
        if queue:
            status, content = queue.pop(0)
            return Response(content, status, media_type="text/html")
        return _json(200, {"responseCode": f"200{service}00", "responseMessage": "Successful"})


def _json(status: int, payload: dict[str, Any]) -> Response:
    return Response(json.dumps(payload), status, media_type="application/json")


class StaticTokens:
    """The token the faulty provider accepts."""

    def get(self) -> AccessToken:
        return AccessToken.create(TOKEN)

    def invalidate(self, token: AccessToken) -> bool:
        return False


@pytest.fixture(scope="module")
def faulty() -> Iterator[tuple[FaultyProvider, str]]:
    """The fault-injecting provider on a free loopback port."""
    provider = FaultyProvider()
    app = Starlette(routes=[Route("/{rest:path}", provider.handle, methods=["GET", "POST"])])
    with ThreadedServer(app) as server:
        yield provider, server.url


def _faulty_client(url: str, sleeps: list[float]) -> SnapClient:
    return SnapClient(
        base_url=url,
        client_key="k",
        client_secret=SECRET,
        partner_id="P1",
        channel_id="95221",
        token_provider=StaticTokens(),
        sleep=sleeps.append,
        retry=RetryPolicy(random=lambda: 0.0),  # the jitter pinned: the exact schedule
    )


def test_replay_over_http_resends_same_external_id(faulty: tuple[FaultyProvider, str]) -> None:
    provider, url = faulty
    provider.seen.clear()
    provider.script["/v1.0/transfer-va/create-va"] = [(502, b"<html>bad gateway</html>")]
    sleeps: list[float] = []
    with _faulty_client(url, sleeps) as client:
        answer = client.create_va(VA)
    first, second = provider.seen
    assert first["headers"]["x-external-id"] == second["headers"]["x-external-id"]
    assert (
        first["body"]
        == second["body"]
        == json.dumps(VA, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    )
    assert answer.attempts == 2 and sleeps == [0.5]


def test_payout_over_http_checks_status_first(faulty: tuple[FaultyProvider, str]) -> None:
    provider, url = faulty
    provider.seen.clear()
    provider.script["/v1.0/transfer-interbank"] = [(500, b"<html>oops</html>")]
    with _faulty_client(url, []) as client:
        answer = client.interbank_transfer(TRANSFER)
    assert [s["path"] for s in provider.seen] == [
        "/v1.0/transfer-interbank",
        "/v1.0/transfer/status",
    ]
    assert answer.endpoint == "transfer_status"


def test_signed_query_over_http(faulty: tuple[FaultyProvider, str]) -> None:
    _, url = faulty
    with _faulty_client(url, []) as client:
        answer = client.request("GET", "/v1.0/custom?b=2&a=x%2Fy")
    assert answer.is_success


def test_connection_refused_is_retried_then_raised() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    client = _faulty_client(f"http://127.0.0.1:{port}", sleeps)
    with client, pytest.raises(ConnectionFailedError):
        client.interbank_transfer(TRANSFER)
    assert sleeps == [0.5, 1.0]
