"""Token providers over real HTTP on 127.0.0.1 against a signature-checking token endpoint."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest

from bisnap import (
    AsyncTokenProvider,
    FixedClock,
    KeyPair,
    RetryPolicy,
    TokenExchangeError,
    TokenProvider,
    generate_key_pair,
)

#: The providers' default schedule (0.5 s, doubling, at most 5 s) with the jitter pinned.
PINNED = RetryPolicy(backoff=0.5, max_backoff=5.0, random=lambda: 0.0)


class Endpoint(Protocol):
    """What the `token_endpoint` fixture (tests/conftest.py) offers."""

    base_url: str
    client_key: str
    token_prefix: str
    expires_in: object
    requests: list[dict[str, Any]]
    scripted: list[tuple[int, dict[str, Any]]]

    @property
    def count(self) -> int: ...

    def hold(self) -> None: ...

    def release(self) -> None: ...


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def test_sync_provider_gets_a_verified_token(
    token_endpoint: Endpoint, token_keys: KeyPair, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FixedClock(datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC))
    with (
        caplog.at_level(logging.DEBUG),
        TokenProvider(
            base_url=token_endpoint.base_url,
            client_key=token_endpoint.client_key,
            private_key=token_keys.private_pem(),
            clock=clock,
        ) as provider,
    ):
        token = provider.get()
        assert provider.get() is token
    assert token.reveal() == "SENTINEL-TOKEN-1"
    assert token.token_type == "Bearer"
    assert token.expires_at == datetime(2024, 3, 5, 10, 52, 16, tzinfo=UTC)
    assert token_endpoint.count == 1
    sent = token_endpoint.requests[0]
    assert sent["body"] == b'{"grantType":"client_credentials"}'
    assert sent["headers"]["x-timestamp"] == "2024-03-05T17:37:16+07:00"
    assert sent["headers"]["content-type"] == "application/json"
    assert "SENTINEL-TOKEN" not in caplog.text
    assert _fingerprint("SENTINEL-TOKEN-1") in caplog.text


def test_wrong_key_is_refused_with_explain_hint(token_endpoint: Endpoint) -> None:
    other = generate_key_pair()
    with (
        TokenProvider(
            base_url=token_endpoint.base_url,
            client_key=token_endpoint.client_key,
            private_key=other.private_key,
        ) as provider,
        pytest.raises(TokenExchangeError) as info,
    ):
        provider.get()
    err = info.value
    assert err.status_code == 401
    assert err.code is not None
    assert err.code.code == "4017300"
    assert "bisnap explain token" in err.hint
    assert token_endpoint.count == 1  # a 401 is not retried


def test_grant_type_spelling_and_numeric_expires_in(
    token_endpoint: Endpoint, token_keys: KeyPair
) -> None:
    token_endpoint.expires_in = 60
    clock = FixedClock(datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC))
    with TokenProvider(
        base_url=token_endpoint.base_url,
        client_key=token_endpoint.client_key,
        private_key=token_keys.private_key,
        clock=clock,
        grant_type_field="grant_type",
    ) as provider:
        token = provider.get()
    assert json.loads(token_endpoint.requests[0]["body"]) == {"grant_type": "client_credentials"}
    assert token.expires_at == datetime(2024, 3, 5, 10, 38, 16, tzinfo=UTC)


def test_server_errors_are_retried_over_http(token_endpoint: Endpoint, token_keys: KeyPair) -> None:
    token_endpoint.scripted = [
        (500, {"responseCode": "5007300", "responseMessage": "Internal Server Error"}),
        (503, {}),
    ]
    waits: list[float] = []
    with TokenProvider(
        base_url=token_endpoint.base_url,
        client_key=token_endpoint.client_key,
        private_key=token_keys.private_key,
        sleep=waits.append,
        retry=PINNED,
    ) as provider:
        assert provider.get().reveal() == "SENTINEL-TOKEN-3"
    assert waits == [0.5, 1.0]


def test_connection_refused_is_a_token_exchange_error(token_keys: KeyPair) -> None:
    waits: list[float] = []
    with (
        TokenProvider(
            base_url="http://127.0.0.1:9",  # discard port: nothing listens
            client_key="G",
            private_key=token_keys.private_key,
            sleep=waits.append,
            timeout=2.0,
            retry=PINNED,
        ) as provider,
        pytest.raises(TokenExchangeError, match="did not answer"),
    ):
        provider.get()
    assert waits == [0.5, 1.0]


@pytest.mark.anyio
async def test_async_provider_over_http(token_endpoint: Endpoint, token_keys: KeyPair) -> None:
    async with AsyncTokenProvider(
        base_url=token_endpoint.base_url,
        client_key=token_endpoint.client_key,
        private_key=token_keys.private_key,
    ) as provider:
        token = await provider.get()
        assert await provider.get() is token
        assert await provider.invalidate(token) is True
        again = await provider.get()
    assert token.reveal() == "SENTINEL-TOKEN-1"
    assert again.reveal() == "SENTINEL-TOKEN-2"
    assert token_endpoint.count == 2
    now = datetime.now(UTC)
    assert again.expires_at is not None
    assert timedelta(seconds=800) < again.expires_at - now <= timedelta(seconds=900)


def test_a_hanging_provider_fails_within_the_refresh_deadline(
    token_endpoint: Endpoint, token_keys: KeyPair
) -> None:
    token_endpoint.hold()  # every request waits: a provider that hangs
    try:
        with TokenProvider(
            base_url=token_endpoint.base_url,
            client_key=token_endpoint.client_key,
            private_key=token_keys.private_key,
            deadline=1.0,
            timeout=10.0,
        ) as provider:
            started = time.monotonic()
            with pytest.raises(TokenExchangeError, match=r"deadline|did not answer"):
                provider.get()
            elapsed = time.monotonic() - started
    finally:
        token_endpoint.release()
    # Without the deadline this waits 3 x 10 s plus backoff; the bound is generous on purpose.
    assert elapsed < 9.0
    assert token_endpoint.count >= 1
