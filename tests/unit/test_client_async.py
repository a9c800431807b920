"""AsyncSnapClient: the same behaviour as SnapClient, awaited (over httpx.MockTransport)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bisnap import (
    AsyncSnapClient,
    ConnectionFailedError,
    InvalidTokenError,
    RetryPolicy,
    ServerError,
    UnauthorizedError,
)
from bisnap.signing import SignatureTrace
from tests.unit.test_client import (
    CHANNEL,
    CLIENT_KEY,
    PARTNER,
    SECRET,
    TRANSFER_BODY,
    VA_BODY,
    AsyncFakeTokens,
    SnapMock,
    TickingClock,
    compact,
    no_jitter,
    snap_json,
)

pytestmark = pytest.mark.anyio


def make_async_client(
    mock: SnapMock,
    *,
    tokens: AsyncFakeTokens | None = None,
    sleeps: list[float] | None = None,
    **kwargs: Any,
) -> AsyncSnapClient:
    """A sandbox AsyncSnapClient whose HTTP goes to `mock`; sleeps are recorded."""
    recorder = sleeps if sleeps is not None else []

    async def sleep(seconds: float) -> None:
        recorder.append(seconds)

    options: dict[str, Any] = {
        "base_url": "sandbox",
        "client_key": CLIENT_KEY,
        "client_secret": SECRET,
        "partner_id": PARTNER,
        "channel_id": CHANNEL,
        "token_provider": tokens or AsyncFakeTokens(),
        "clock": TickingClock(),
        "sleep": sleep,
        "http_client": httpx.AsyncClient(transport=httpx.MockTransport(mock)),
        "retry": RetryPolicy(random=no_jitter),
        # These tests send placeholder bodies on purpose (transport, retries, signing);
        # the pre-send check is tested in test_validation.py and test_client_typed_http.py.
        "validate": False,
    }
    options.update(kwargs)
    return AsyncSnapClient(**options)


async def test_create_va_signs_the_bytes_sent() -> None:
    mock = SnapMock()
    async with make_async_client(mock) as client:
        answer = await client.create_va(VA_BODY)
    (request,) = mock.requests
    assert request.content == compact(VA_BODY)
    assert request.headers["authorization"] == "Bearer token-1"
    assert answer.code.code == "2002700" and answer.endpoint == "create_va"
    assert len(mock.traces) == 1


async def test_replay_keeps_external_id_and_bytes() -> None:
    mock = SnapMock()
    mock.on("/qr/qr-mpm-refund", httpx.ReadTimeout("lost"), (500, {"responseCode": "5007801"}))
    sleeps: list[float] = []
    async with make_async_client(mock, sleeps=sleeps) as client:
        answer = await client.qris_refund({"partnerRefundNo": "r-1"})
    assert len({r.headers["x-external-id"] for r in mock.requests}) == 1
    assert len({r.content for r in mock.requests}) == 1
    assert len({r.headers["x-signature"] for r in mock.requests}) == 3
    assert answer.attempts == 3 and sleeps == [0.5, 1.0]


async def test_payout_asks_status_first() -> None:
    mock = SnapMock()
    mock.on("/transfer-interbank", httpx.ReadTimeout("lost"))
    mock.on("/transfer/status", snap_json(200, "2003600", "Successful"))
    async with make_async_client(mock) as client:
        answer = await client.interbank_transfer(TRANSFER_BODY)
    assert len(mock.sent("/transfer-interbank")) == 1
    assert answer.endpoint == "transfer_status"
    assert json.loads(mock.sent("/transfer/status")[0].content)["serviceCode"] == "18"


async def test_payout_status_absent_resends() -> None:
    mock = SnapMock()
    mock.on("/transfer-interbank", (500, {"responseCode": "5001801"}))
    mock.on("/transfer/status", snap_json(404, "4043601", "Transaction Not Found"))
    async with make_async_client(mock) as client:
        answer = await client.interbank_transfer(TRANSFER_BODY)
    first, second = mock.sent("/transfer-interbank")
    assert first.headers["x-external-id"] == second.headers["x-external-id"]
    assert answer.attempts == 2


async def test_payout_status_unknown_raises() -> None:
    mock = SnapMock()
    mock.on("/transfer-interbank", (500, {"responseCode": "5001801"}))
    mock.on("/transfer/status", *[httpx.ReadTimeout("lost")] * 3)
    async with make_async_client(mock) as client:
        with pytest.raises(ServerError):
            await client.interbank_transfer(TRANSFER_BODY)
    assert len(mock.sent("/transfer-interbank")) == 1


async def test_token_refresh_once() -> None:
    mock = SnapMock(valid_tokens=("token-2",))
    tokens = AsyncFakeTokens("token-1", "token-2")
    async with make_async_client(mock, tokens=tokens) as client:
        answer = await client.balance_inquiry({"accountNo": "0"})
    assert [t.reveal() for t in tokens.sync.invalidated] == ["token-1"]
    assert answer.attempts == 2

    mock = SnapMock(valid_tokens=())
    async with make_async_client(mock, tokens=AsyncFakeTokens("a", "b", "c")) as client:
        with pytest.raises(InvalidTokenError):
            await client.balance_inquiry({"accountNo": "0"})
    assert len(mock.requests) == 2


async def test_unauthorized_has_trace() -> None:
    mock = SnapMock(secret="other")
    async with make_async_client(mock) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.va_status({"a": 1})
    assert isinstance(info.value.trace, SignatureTrace)
    assert "bisnap explain service" in info.value.hint


async def test_non_json_answer_and_connection_failure() -> None:
    mock = SnapMock()
    mock.on("/registration-account-binding", httpx.Response(503, content=b"<html/>"))
    mock.on("/balance-inquiry", *[httpx.ConnectError("refused")] * 3)
    async with make_async_client(mock) as client:
        with pytest.raises(ServerError, match="HTTP 503"):
            await client.account_binding({"merchantId": "m"})
        with pytest.raises(ConnectionFailedError):
            await client.balance_inquiry({"accountNo": "0"})


async def test_generic_request_and_get_auth_code() -> None:
    mock = SnapMock()
    mock.on("/get-auth-code", httpx.Response(302, headers={"Location": "https://pin"}))
    async with make_async_client(mock) as client:
        answer = await client.request("POST", "/v1.0/any", {"a": 1})
        redirect = await client.get_auth_code({"state": "s"})
    assert answer.endpoint is None and answer.is_success
    assert redirect.location == "https://pin"
    assert mock.requests[1].url.host == "merchants-app.sbx.midtrans.com"


async def test_close_only_owned_client() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(SnapMock()))
    client = make_async_client(SnapMock(), http_client=http)
    await client.close()
    assert not http.is_closed
    await http.aclose()
    own = AsyncSnapClient(
        base_url="staging",
        client_key=CLIENT_KEY,
        client_secret=SECRET,
        partner_id=PARTNER,
        channel_id=CHANNEL,
        token_provider=AsyncFakeTokens(),
    )
    assert own.base_url == "https://merchants.stg.midtrans.com"
    await own.close()
