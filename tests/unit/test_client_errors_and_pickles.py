"""What a failed call carries, what a pickle never carries, and one body hash per call."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bisnap import (
    ApiError,
    CallError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    FixedClock,
    KeyPair,
    SnapAuth,
    SnapClient,
    SnapResponse,
    TokenProvider,
    TransportError,
    UnauthorizedError,
    build_b2b2c_token_request,
    build_token_request,
    canonical,
)
from bisnap.http.core import PreparedRequest, prepare, resolve_target
from bisnap.profiles import MIDTRANS
from bisnap.secrets import AccessToken, Secret
from tests.unit.conftest import (
    SECRET,
    VA_BODY,
    FakeTokens,
    Shell,
    SnapMock,
    snap_json,
)

B2B_TOKEN = "SENTINEL-b2b-access-token-5e1"
CUSTOMER_TOKEN = "SENTINEL-customer-token-77a"
AUTH_CODE = "SENTINEL-auth-code-19c"
REFRESH = "SENTINEL-refresh-token-c04"
T0 = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)


def _no_sentinel(data: bytes) -> None:
    assert b"SENTINEL" not in data, data


# --- errors carry data -------------------------------------------------------------------------


def test_transport_error_stands_beside_api_error() -> None:
    assert not issubclass(TransportError, ApiError)
    assert issubclass(TransportError, CallError) and issubclass(ApiError, CallError)
    assert issubclass(ConnectionFailedError, TransportError)


@pytest.mark.anyio
async def test_api_error_carries_external_id_attempt_and_debug_id(shell: Shell) -> None:
    mock = SnapMock()
    mock.on(
        "/create-va",
        snap_json(409, "4092700", "Conflict", referenceNo="dbg-19352694"),
    )
    async with shell.client(mock) as client:
        with pytest.raises(ConflictError) as info:
            await client.create_va(VA_BODY, external_id="xid-42")
    err = info.value
    assert err.external_id == "xid-42" and err.attempt == 1
    assert err.debug_id == "dbg-19352694"
    clone = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own data
    assert (clone.external_id, clone.attempt, clone.debug_id) == ("xid-42", 1, "dbg-19352694")


@pytest.mark.anyio
async def test_debug_id_from_a_header_and_the_last_attempt(shell: Shell) -> None:
    mock = SnapMock()
    failing = httpx.Response(500, json={"responseCode": "5002600"}, headers={"debug-id": "h-7"})
    mock.on("/transfer-va/status", failing, failing, failing)
    async with shell.client(mock) as client:
        with pytest.raises(ApiError) as info:
            await client.va_status({"trxId": "t"})
    assert info.value.attempt == 3 and info.value.debug_id == "h-7"


@pytest.mark.anyio
async def test_transport_errors_carry_the_call_and_catch_as_call_error(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/registration-account-binding", httpx.ReadTimeout("lost"))
    async with shell.client(mock) as client:
        with pytest.raises(CallError) as info:
            await client.account_binding({"merchantId": "m"}, external_id="xid-7")
    err = info.value
    assert isinstance(err, TransportError) and not isinstance(err, ApiError)
    assert err.external_id == "xid-7" and err.attempt == 1 and err.retryable
    assert err.code is None and err.status_code is None
    assert isinstance(err.__cause__, httpx.ReadTimeout)


@pytest.mark.anyio
async def test_a_failure_a_resend_cannot_mend_is_not_retried(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/transfer-va/status", *[httpx.UnsupportedProtocol("ftp")] * 3)
    sleeps: list[float] = []
    async with shell.client(mock, sleeps=sleeps) as client:
        with pytest.raises(TransportError) as info:
            await client.va_status({"trxId": "t"})
    assert not info.value.retryable and "UnsupportedProtocol" in str(info.value)
    assert len(mock.requests) == 1 and sleeps == []


# --- one body hash per call --------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_body_is_minified_and_hashed_once_for_all_attempts(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bytes | str | None] = []
    real = canonical.minified_and_hash

    def counting(body: bytes | str | None) -> tuple[bytes, str]:
        calls.append(body)
        return real(body)

    monkeypatch.setattr(canonical, "minified_and_hash", counting)
    mock = SnapMock()
    mock.on("/create-va", (500, {"responseCode": "5002701"}), httpx.ReadTimeout("lost"))
    async with shell.client(mock) as client:
        answer = await client.create_va(VA_BODY)
    assert answer.attempts == 3
    assert len(calls) == 1  # three attempts, one minify + hash
    # ... and every attempt was signed afresh, verified by the mock over the bytes sent.
    assert len(mock.traces) == 3
    assert len({t.signature for t in mock.traces}) == 3
    assert {t.body_sha256 for t in mock.traces} == {answer.trace.body_sha256}


# --- no secret in a pickle ---------------------------------------------------------------------


def test_b2b2c_token_requests_pickle_with_the_code_masked(token_keys: KeyPair) -> None:
    for secret in ({"auth_code": Secret(AUTH_CODE)}, {"refresh_token": REFRESH}):
        request = build_b2b2c_token_request(
            client_key="G1",
            private_key=token_keys.private_key,
            timestamp="2024-03-05T17:37:16+07:00",
            **secret,
        )
        assert b"SENTINEL" in request.body  # the bytes sent are the real ones
        data = pickle.dumps(request)
        _no_sentinel(data)
        clone = pickle.loads(data)  # noqa: S301 - our own data
        assert b'"[masked]"' in clone.body and clone.headers == request.headers
    plain = build_token_request(
        client_key="G1", private_key=token_keys.private_key, timestamp="2024-03-05T17:37:16+07:00"
    )
    assert pickle.loads(pickle.dumps(plain)) == plain  # noqa: S301 - nothing secret to mask


@pytest.mark.anyio
async def test_responses_and_errors_pickle_without_tokens(shell: Shell) -> None:
    mock = SnapMock(valid_tokens=(B2B_TOKEN,))
    mock.on(
        "/registration-account-binding",
        snap_json(
            200,
            "2000700",
            "Successful",
            referenceNo="r-1",
            accessTokenInfo={"accessToken": CUSTOMER_TOKEN, "refreshToken": REFRESH},
        ),
    )
    async with shell.client(mock, tokens=FakeTokens(B2B_TOKEN)) as client:
        answer = await client.account_binding({"merchantId": "m", "authCode": AUTH_CODE})
    assert isinstance(answer, SnapResponse) and answer.trace is not None
    data = pickle.dumps(answer)
    _no_sentinel(data)
    clone = pickle.loads(data)  # noqa: S301 - our own data
    assert clone.code == answer.code and clone.trace is None
    assert clone.body["accessTokenInfo"]["accessToken"] == "[masked]"
    assert clone.body["referenceNo"] == "r-1"

    mock = SnapMock(valid_tokens=(B2B_TOKEN,), secret="another-secret")
    async with shell.client(mock, tokens=FakeTokens(B2B_TOKEN)) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.create_va(VA_BODY)
    assert info.value.trace is not None
    _no_sentinel(pickle.dumps(info.value))


def test_prepared_requests_pickle_without_the_token() -> None:
    target = resolve_target(profile=MIDTRANS, base_url="https://x.test", name="create_va")
    prepared = prepare(
        target,
        b'{"a":1}',
        profile=MIDTRANS,
        timestamp="2024-03-05T17:37:16+07:00",
        access_token=AccessToken.create(B2B_TOKEN),
        client_secret=Secret(SECRET),
        partner_id="P",
        channel_id="95221",
        external_id="x-1",
    )
    assert B2B_TOKEN in prepared.headers["Authorization"]
    data = pickle.dumps(prepared)
    _no_sentinel(data)
    clone = pickle.loads(data)  # noqa: S301 - our own data
    assert isinstance(clone, PreparedRequest) and clone.content == prepared.content
    assert clone.trace is None and clone.external_id == "x-1"


def test_objects_holding_credentials_refuse_to_pickle(token_keys: KeyPair) -> None:
    holders: list[Any] = [
        SnapClient(
            base_url="sandbox",
            client_key="G1",
            client_secret=SECRET,
            partner_id="P",
            channel_id="95221",
            token_provider=FakeTokens(),
        ),
        TokenProvider(
            base_url="https://x.test",
            client_key="G1",
            private_key=token_keys.private_key,
            clock=FixedClock(T0 + timedelta(0)),
        ),
        SnapAuth(client_secret=SECRET, token=AccessToken.create(B2B_TOKEN)),
    ]
    for holder in holders:
        with pytest.raises(ConfigurationError, match="cannot be pickled"):
            pickle.dumps(holder)
        close = getattr(holder, "close", None)
        if close is not None:
            close()
