"""One retry policy for tokens and calls: jitter, Retry-After, and the refresh deadline.

Nothing sleeps: the sleeps are recorded, the clock is a `FixedClock` the fake transport and
the recorded sleep move forward.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from bisnap import (
    AsyncTokenProvider,
    FixedClock,
    KeyPair,
    RateLimitError,
    RetryPolicy,
    TokenExchangeError,
    TokenProvider,
)
from bisnap.http.core import parse_retry_after
from tests.unit.conftest import Shell, SnapMock

T0 = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)
BASE = "https://merchants.sbx.midtrans.com"
OK = {
    "responseCode": "2007300",
    "responseMessage": "Successful",
    "accessToken": "SENTINEL-retry-token",
    "tokenType": "Bearer",
    "expiresIn": "900",
}
BUSY = {"responseCode": "5037300", "responseMessage": "Busy"}


# --- the policy ----------------------------------------------------------------------------


def test_jitter_takes_at_most_its_fraction_off_the_delay() -> None:
    assert RetryPolicy(random=lambda: 0.5).pause(1) == pytest.approx(0.45)
    assert RetryPolicy(random=lambda: 0.0).pause(2) == 1.0
    assert RetryPolicy(jitter=0).pause(3) is None  # three attempts made: no fourth
    real = RetryPolicy(max_attempts=10)
    for made in range(1, 9):
        wait = real.pause(made)
        assert wait is not None
        assert 0.8 * real.delay(made) <= wait <= real.delay(made)


def test_retry_after_lengthens_the_wait_and_a_long_one_stops_retrying() -> None:
    policy = RetryPolicy(random=lambda: 0.0, max_retry_after=30)
    assert policy.pause(1, retry_after=4.0) == 4.0
    assert policy.pause(1, retry_after=0.1) == 0.5  # never shorter than the backoff
    assert policy.pause(1, retry_after=31.0) is None
    assert policy.pause(1, remaining=0.4) is None  # would end after the deadline
    assert policy.pause(1, remaining=0.6) == 0.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        (" 120 ", 120.0),
        (format_datetime(T0 + timedelta(seconds=7), usegmt=True), 7.0),
        (format_datetime(T0 - timedelta(seconds=7), usegmt=True), 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("-1", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("٣", None),  # an Arabic-Indic digit is not delta-seconds
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=T0) == expected


@pytest.mark.parametrize(
    "options", [{"jitter": 1.5}, {"jitter": -0.1}, {"max_retry_after": -1}, {"max_attempts": 0}]
)
def test_bad_policies_are_configuration_errors(options: dict[str, Any]) -> None:
    from bisnap import ConfigurationError

    with pytest.raises(ConfigurationError):
        RetryPolicy(**options)


# --- the token refresh: Retry-After and one deadline -----------------------------------------


class Script:
    """A token endpoint answering from a list; each answer takes `takes` seconds of the clock.

    Records the read timeout each request was sent with, and honours it as a socket would:
    an answer slower than the timeout is a `ReadTimeout` when the timeout has passed.
    """

    def __init__(self, clock: FixedClock, answers: list[httpx.Response], takes: float = 0.0):
        self.clock = clock
        self.answers = answers
        self.takes = takes
        self.read_timeouts: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions["timeout"]["read"]
        self.read_timeouts.append(timeout)
        if self.takes > timeout:
            self.clock.advance(timedelta(seconds=timeout))
            raise httpx.ReadTimeout("no answer in time", request=request)
        self.clock.advance(timedelta(seconds=self.takes))
        return self.answers.pop(0) if self.answers else httpx.Response(200, json=OK)

    async def ahandle(self, request: httpx.Request) -> httpx.Response:
        return self(request)


class Waits:
    """A recorded sleep that moves the clock (nothing waits)."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))

    async def asleep(self, seconds: float) -> None:
        self(seconds)


async def _get(
    kind: str, keys: KeyPair, clock: FixedClock, script: Script, waits: Waits, **options: Any
) -> str:
    """One `get()` from a sync or an async provider over `script`; the token value."""
    common: dict[str, Any] = {
        "base_url": BASE,
        "client_key": "G-RETRY",
        "private_key": keys.private_key,
        "clock": clock,
        **options,
    }
    if kind == "sync":
        http = httpx.Client(transport=httpx.MockTransport(script), timeout=10.0)
        with TokenProvider(http_client=http, sleep=waits, **common) as provider:
            value = provider.get().reveal()
        http.close()
        return value
    ahttp = httpx.AsyncClient(transport=httpx.MockTransport(script.ahandle), timeout=10.0)
    async with AsyncTokenProvider(http_client=ahttp, sleep=waits.asleep, **common) as aprov:
        value = (await aprov.get()).reveal()
    await ahttp.aclose()
    return value


KINDS = pytest.mark.parametrize("kind", ["sync", "async"])
NO_JITTER: Callable[[], float] = lambda: 0.0  # noqa: E731 - a named constant source


@pytest.mark.anyio
@KINDS
async def test_token_refresh_honours_retry_after_seconds_and_dates(
    kind: str, token_keys: KeyPair
) -> None:
    clock = FixedClock(T0)
    date = format_datetime(T0 + timedelta(seconds=3 + 7), usegmt=True)
    script = Script(
        clock,
        [
            httpx.Response(503, json=BUSY, headers={"Retry-After": "3"}),
            httpx.Response(
                429, json=BUSY | {"responseCode": "4297300"}, headers={"Retry-After": date}
            ),
        ],
    )
    waits = Waits(clock)
    retry = RetryPolicy(random=NO_JITTER)
    value = await _get(kind, token_keys, clock, script, waits, retry=retry)
    assert value == "SENTINEL-retry-token"
    assert waits.calls == [3.0, 7.0]  # 429 is retried too


@pytest.mark.anyio
@KINDS
async def test_a_retry_after_beyond_the_cap_ends_the_refresh(
    kind: str, token_keys: KeyPair
) -> None:
    clock = FixedClock(T0)
    script = Script(clock, [httpx.Response(503, json=BUSY, headers={"Retry-After": "120"})])
    waits = Waits(clock)
    with pytest.raises(TokenExchangeError, match="retry after 120 s") as info:
        await _get(kind, token_keys, clock, script, waits, retry=RetryPolicy(max_retry_after=30))
    assert waits.calls == [] and len(script.read_timeouts) == 1
    assert info.value.code is not None and info.value.code.code == "5037300"


@pytest.mark.anyio
@KINDS
async def test_one_deadline_bounds_attempts_backoff_and_socket_timeouts(
    kind: str, token_keys: KeyPair
) -> None:
    clock = FixedClock(T0)
    # Every answer takes 2 s of the clock; the refresh may take 5 s in all.
    script = Script(clock, [httpx.Response(503, json=BUSY)] * 10, takes=2.0)
    waits = Waits(clock)
    retry = RetryPolicy(max_attempts=10, backoff=1.0, max_backoff=1.0, jitter=0)
    with pytest.raises(TokenExchangeError, match="deadline") as info:
        await _get(kind, token_keys, clock, script, waits, retry=retry, deadline=5.0)
    # t=0 send (timeout 5) -> t=2, sleep 1 -> t=3, send (timeout cut to 2) -> t=5: stop.
    assert script.read_timeouts == [5.0, 2.0]
    assert waits.calls == [1.0]
    assert "after 2 attempts" in str(info.value)
    assert clock.now() - T0 == timedelta(seconds=5)


@pytest.mark.anyio
@KINDS
async def test_default_deadline_is_fifteen_seconds(kind: str, token_keys: KeyPair) -> None:
    clock = FixedClock(T0)
    # A provider that always takes the whole 10 s timeout and then fails.
    script = Script(clock, [httpx.Response(504, json=BUSY)] * 5, takes=10.0)
    waits = Waits(clock)
    with pytest.raises(TokenExchangeError, match="deadline"):
        await _get(kind, token_keys, clock, script, waits, retry=RetryPolicy(jitter=0))
    # t=0 send (10 s) -> 504 at t=10, sleep 0.5, send with 4.5 s left -> timeout at t=15.
    assert script.read_timeouts == [10.0, 4.5]
    assert waits.calls == [0.5]
    assert clock.now() - T0 == timedelta(seconds=15)


# --- service calls: Retry-After ---------------------------------------------------------------


@pytest.mark.anyio
async def test_calls_honour_retry_after_and_give_up_on_a_long_one(shell: Shell) -> None:
    mock = SnapMock()
    mock.on(
        "/transfer-va/status",
        httpx.Response(503, json={"responseCode": "5032600"}, headers={"Retry-After": "4"}),
    )
    sleeps: list[float] = []
    async with shell.client(mock, sleeps=sleeps) as client:
        answer = await client.va_status({"trxId": "t"})
    assert answer.attempts == 2 and sleeps == [4.0]

    mock = SnapMock()
    mock.on(
        "/balance-inquiry",
        httpx.Response(429, json={"responseCode": "4291100"}, headers={"Retry-After": "3600"}),
    )
    sleeps = []
    async with shell.client(mock, sleeps=sleeps) as client:
        with pytest.raises(RateLimitError) as info:
            await client.balance_inquiry({"accountNo": "0"})
    assert len(mock.requests) == 1 and sleeps == []
    assert info.value.attempt == 1
