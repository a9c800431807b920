"""TokenProvider and AsyncTokenProvider over httpx.MockTransport, with a fixed clock."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import pickle
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest

from bisnap import (
    AccessToken,
    AsyncMemoryTokenStore,
    AsyncTokenProvider,
    ConfigurationError,
    FixedClock,
    KeyPair,
    MemoryTokenStore,
    RetryPolicy,
    TokenError,
    TokenExchangeError,
    TokenProvider,
    TokenStore,
    verify_access_token,
)
from bisnap.clock import Clock
from bisnap.tokens import token_store_key

T0 = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)
BASE = "https://merchants.sbx.midtrans.com"
CLIENT_KEY = "G-UNIT-1"
PREFIX = "SENTINEL-provider-token-"


def no_jitter(max_attempts: int = 3, backoff: float = 0.5, max_backoff: float = 5.0) -> RetryPolicy:
    """The providers' default schedule with the jitter source pinned (exact delays)."""
    return RetryPolicy(
        max_attempts=max_attempts, backoff=backoff, max_backoff=max_backoff, random=lambda: 0.0
    )


class Endpoint:
    """A MockTransport handler that answers like Midtrans and counts requests."""

    def __init__(self, keys: KeyPair, *, expires_in: object = "900") -> None:
        self.keys = keys
        self.expires_in = expires_in
        self.requests: list[httpx.Request] = []
        #: Answers (status, JSON) or exceptions to give before the normal ones.
        self.script: list[tuple[int, dict[str, object]] | Exception] = []
        self.gate: Callable[[], None] | None = None
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return len(self.requests)

    def _next(self, request: httpx.Request) -> tuple[int, dict[str, object]]:
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            scripted = self.script.pop(0) if self.script else None
        if isinstance(scripted, Exception):
            raise scripted
        if scripted is not None:
            return scripted
        verify_access_token(
            client_key=request.headers["X-CLIENT-KEY"],
            timestamp=request.headers["X-TIMESTAMP"],
            signature=request.headers["X-SIGNATURE"],
            public_key=self.keys.public_key,
        )
        return 200, {
            "responseCode": "2007300",
            "responseMessage": "Successful",
            "accessToken": f"{PREFIX}{number}",
            "tokenType": "Bearer",
            "expiresIn": self.expires_in,
        }

    def handler(self, request: httpx.Request) -> httpx.Response:
        status, body = self._next(request)
        if self.gate is not None:
            self.gate()
        return httpx.Response(status, json=body)

    async def ahandler(self, request: httpx.Request) -> httpx.Response:
        status, body = self._next(request)
        return httpx.Response(status, json=body)


class Sleeps:
    """An injected sleep that records delays and never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def endpoint(token_keys: KeyPair) -> Endpoint:
    return Endpoint(token_keys)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def provider(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock, sleeps: Sleeps
) -> Iterator[TokenProvider]:
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    with TokenProvider(
        base_url=BASE,
        client_key=CLIENT_KEY,
        private_key=token_keys.private_pem(),
        clock=clock,
        http_client=client,
        sleep=sleeps,
        retry=no_jitter(),
    ) as prov:
        yield prov
    client.close()


class TokenView:
    """A `TokenProvider` or an `AsyncTokenProvider` behind the same awaited calls."""

    def __init__(self, provider: TokenProvider | AsyncTokenProvider) -> None:
        self.provider = provider

    async def get(self) -> AccessToken:
        got = self.provider.get()
        return await got if inspect.isawaitable(got) else got

    async def invalidate(self, token: AccessToken) -> bool:
        done = self.provider.invalidate(token)
        return await done if inspect.isawaitable(done) else done


Views = Callable[..., TokenView]


@pytest.fixture(params=["sync", "async"])
def views(
    request: pytest.FixtureRequest,
    endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
    sleeps: Sleeps,
) -> Iterator[Views]:
    """Build providers of one kind (the test runs for both) over `endpoint`."""
    made: list[TokenProvider | AsyncTokenProvider] = []

    def build(**options: Any) -> TokenView:
        attempts = options.pop("max_attempts", 3)
        common: dict[str, Any] = {
            "base_url": BASE,
            "client_key": CLIENT_KEY,
            "private_key": token_keys.private_pem(),
            "clock": clock,
            "retry": no_jitter(max_attempts=attempts),
            **options,
        }
        if request.param == "sync":
            http = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
            prov: TokenProvider | AsyncTokenProvider = TokenProvider(
                http_client=http, sleep=sleeps, **common
            )
        else:
            ahttp = httpx.AsyncClient(transport=httpx.MockTransport(endpoint.ahandler))
            prov = AsyncTokenProvider(http_client=ahttp, sleep=sleeps.asleep, **common)
        made.append(prov)
        return TokenView(prov)

    yield build
    for prov in made:
        if isinstance(prov, TokenProvider):
            prov.close()


@pytest.fixture
def view(views: Views) -> TokenView:
    """A provider of each kind with the default options (jitter pinned)."""
    return views()


# --- basics -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_get_fetches_once_then_serves_the_cache(
    view: TokenView, endpoint: Endpoint, clock: FixedClock
) -> None:
    first = await view.get()
    assert first.reveal() == f"{PREFIX}1"
    assert first.expires_at == T0 + timedelta(seconds=900)
    clock.advance(timedelta(seconds=600))
    assert await view.get() is first
    assert endpoint.count == 1
    request = endpoint.requests[0]
    assert request.method == "POST"
    assert request.url == f"{BASE}/v1.0/access-token/b2b"
    assert request.content == b'{"grantType":"client_credentials"}'
    assert request.headers["X-TIMESTAMP"] == "2024-03-05T17:37:16+07:00"
    assert f"{type(view.provider).__name__}(url=" in repr(view.provider)


def test_token_path_and_grant_type_field(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock
) -> None:
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    prov = TokenProvider(
        base_url=BASE + "/",
        client_key=CLIENT_KEY,
        private_key=token_keys.private_key,
        token_path="/snap/v1.0/access-token/b2b",
        grant_type_field="grant_type",
        clock=clock,
        http_client=client,
    )
    prov.get()
    assert endpoint.requests[0].url == f"{BASE}/snap/v1.0/access-token/b2b"
    assert endpoint.requests[0].content == b'{"grant_type":"client_credentials"}'
    client.close()


@pytest.mark.anyio
async def test_advisory_window_refreshes_once(
    view: TokenView, endpoint: Endpoint, clock: FixedClock
) -> None:
    await view.get()
    clock.advance(timedelta(seconds=800))  # 100 s left: advisory
    second = await view.get()
    assert second.reveal() == f"{PREFIX}2"
    assert await view.get() is second
    assert endpoint.count == 2


@pytest.mark.anyio
async def test_advisory_refresh_failure_keeps_serving_and_logs_without_token(
    view: TokenView,
    endpoint: Endpoint,
    clock: FixedClock,
    sleeps: Sleeps,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = await view.get()
    clock.advance(timedelta(seconds=800))
    endpoint.script = [(500, {"responseCode": "5007300", "responseMessage": "Err"})] * 3
    with caplog.at_level(logging.DEBUG, logger="bisnap"):
        assert await view.get() is first
    assert endpoint.count == 4
    assert sleeps.calls == [0.5, 1.0]
    assert "advisory refresh of the access token failed" in caplog.text
    assert "5007300" in caplog.text
    assert PREFIX not in caplog.text
    # Within the cool-down the failing endpoint is not hammered.
    assert await view.get() is first
    assert endpoint.count == 4
    # In the mandatory window a failure raises.
    clock.advance(timedelta(seconds=75))
    endpoint.script = [(500, {"responseCode": "5007300", "responseMessage": "Err"})] * 3
    with pytest.raises(TokenExchangeError, match="after 3 attempts") as info:
        await view.get()
    assert info.value.code is not None
    assert info.value.code.code == "5007300"


@pytest.mark.anyio
async def test_mandatory_window_and_expiry_refetch(
    view: TokenView, endpoint: Endpoint, clock: FixedClock
) -> None:
    await view.get()
    clock.advance(timedelta(seconds=875))  # 25 s left: mandatory
    assert (await view.get()).reveal() == f"{PREFIX}2"
    clock.advance(timedelta(hours=1))  # long expired
    assert (await view.get()).reveal() == f"{PREFIX}3"
    assert endpoint.count == 3


@pytest.mark.anyio
async def test_retries_5xx_and_timeouts_with_backoff(
    view: TokenView, endpoint: Endpoint, sleeps: Sleeps
) -> None:
    endpoint.script = [
        (503, {"responseCode": "5037300", "responseMessage": "Busy"}),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
    ]
    with pytest.raises(TokenExchangeError, match="after 3 attempts") as info:
        await view.get()
    assert isinstance(info.value.__cause__, httpx.ConnectError)
    assert endpoint.count == 3
    assert sleeps.calls == [0.5, 1.0]  # backoff through the injected sleep, no wall time
    assert (await view.get()).reveal() == f"{PREFIX}4"


def test_retries_then_success(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock, sleeps: Sleeps
) -> None:
    endpoint.script = [(502, {}), httpx.ReadTimeout("slow")]
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    prov = _provider(
        token_keys,
        clock,
        client,
        sleep=sleeps,
        retry=no_jitter(max_attempts=4, backoff=0.25, max_backoff=0.3),
    )
    assert prov.get().reveal() == f"{PREFIX}3"
    assert sleeps.calls == [0.25, 0.3]
    client.close()


@pytest.mark.anyio
async def test_timeouts_exhausted_raise_token_exchange_error(
    view: TokenView, endpoint: Endpoint, sleeps: Sleeps
) -> None:
    endpoint.script = [httpx.ReadTimeout("slow")] * 3
    with pytest.raises(TokenExchangeError, match="did not answer") as info:
        await view.get()
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert sleeps.calls == [0.5, 1.0]


@pytest.mark.anyio
async def test_unauthorized_is_not_retried(view: TokenView, endpoint: Endpoint) -> None:
    endpoint.script = [(401, {"responseCode": "4017300", "responseMessage": "Unauthorized"})]
    with pytest.raises(TokenExchangeError) as info:
        await view.get()
    assert endpoint.count == 1
    assert "bisnap explain token" in info.value.hint


def test_non_retryable_transport_error(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock
) -> None:
    endpoint.script = [httpx.UnsupportedProtocol("ftp")]
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    prov = _provider(token_keys, clock, client)
    with pytest.raises(TokenExchangeError, match="UnsupportedProtocol"):
        prov.get()
    assert endpoint.count == 1
    client.close()


def test_bad_signature_at_the_endpoint(token_keys: KeyPair, clock: FixedClock) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"responseCode": "4017300", "responseMessage": "Unauthorized. Signature"}
        )

    client = httpx.Client(transport=httpx.MockTransport(refuse))
    prov = TokenProvider(
        base_url=BASE,
        client_key="G",
        private_key=token_keys.private_key,
        clock=clock,
        http_client=client,
    )
    with pytest.raises(TokenExchangeError) as info:
        prov.get()
    assert info.value.code is not None
    assert info.value.code.pattern == "401xx00"
    client.close()


# --- invalidate -----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_invalidate_once_for_many_401s(view: TokenView, endpoint: Endpoint) -> None:
    failed = await view.get()
    results = [await view.invalidate(failed) for _ in range(10)]
    assert results == [True] + [False] * 9
    fresh = await view.get()
    assert fresh.reveal() == f"{PREFIX}2"
    # A late 401 for the old token does not drop the new one.
    assert await view.invalidate(failed) is False
    assert await view.get() is fresh
    assert endpoint.count == 2


def test_concurrent_401s_cause_one_refetch(provider: TokenProvider, endpoint: Endpoint) -> None:
    failed = provider.get()
    barrier = threading.Barrier(20)
    got: list[AccessToken] = []

    def on_401() -> None:
        barrier.wait(timeout=30)
        provider.invalidate(failed)
        got.append(provider.get())

    threads = [threading.Thread(target=on_401) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert endpoint.count == 2
    assert {t.reveal() for t in got} == {f"{PREFIX}2"}


# --- concurrency ------------------------------------------------------------------------------


class ThreadCountingClock(FixedClock):
    """A fixed clock that notes which threads have asked for the time."""

    def __init__(self, at: datetime, parties: int) -> None:
        super().__init__(at)
        self.parties = parties
        self.seen: set[int] = set()
        self.all_in = threading.Event()
        self._seen_lock = threading.Lock()

    def now(self) -> datetime:
        with self._seen_lock:
            self.seen.add(threading.get_ident())
            if len(self.seen) >= self.parties:
                self.all_in.set()
        return super().now()


def _provider(
    token_keys: KeyPair, clock: Clock, http_client: httpx.Client, **options: Any
) -> TokenProvider:
    """A `TokenProvider` for BASE and CLIENT_KEY over `http_client`."""
    return TokenProvider(
        base_url=BASE,
        client_key=CLIENT_KEY,
        private_key=token_keys.private_key,
        clock=clock,
        http_client=http_client,
        **options,
    )


def _async_provider(
    token_keys: KeyPair, clock: Clock, http_client: httpx.AsyncClient, **options: Any
) -> AsyncTokenProvider:
    """An `AsyncTokenProvider` for BASE and CLIENT_KEY over `http_client`."""
    return AsyncTokenProvider(
        base_url=BASE,
        client_key=CLIENT_KEY,
        private_key=token_keys.private_key,
        clock=clock,
        http_client=http_client,
        **options,
    )


def _in_threads(
    parties: int, call: Callable[[], AccessToken]
) -> tuple[list[AccessToken], list[BaseException]]:
    """Run `call` in `parties` threads released together; what they returned and raised."""
    barrier = threading.Barrier(parties)
    results: list[AccessToken] = []
    errors: list[BaseException] = []

    def caller() -> None:
        try:
            barrier.wait(timeout=60)
            results.append(call())
        except BaseException as err:  # collected and asserted by the test
            errors.append(err)

    threads = [threading.Thread(target=caller) for _ in range(parties)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_100_threads_on_an_expired_cache_make_one_request(
    endpoint: Endpoint, token_keys: KeyPair
) -> None:
    parties = 100
    clock = ThreadCountingClock(T0, parties)
    store = MemoryTokenStore()
    stale = AccessToken.create(
        "SENTINEL-stale", expires_in=timedelta(seconds=900), obtained_at=T0 - timedelta(hours=1)
    )
    store.save(token_store_key(BASE, CLIENT_KEY), stale)

    def hold_until_everyone_waits() -> None:
        # The single fetch is held until all 100 callers are inside get().
        assert clock.all_in.wait(timeout=60)

    endpoint.gate = hold_until_everyone_waits
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    prov = _provider(token_keys, clock, client, store=store)
    results, errors = _in_threads(parties, prov.get)
    assert errors == []
    assert endpoint.count == 1
    assert len(results) == parties
    assert {t.reveal() for t in results} == {f"{PREFIX}1"}
    client.close()


def test_advisory_threads_keep_serving_while_one_refreshes(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock
) -> None:
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    prov = _provider(token_keys, clock, client)
    first = prov.get()
    clock.advance(timedelta(seconds=800))
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        entered.set()
        assert release.wait(timeout=30)

    endpoint.gate = hold
    refresher_result: list[AccessToken] = []
    refresher = threading.Thread(target=lambda: refresher_result.append(prov.get()))
    refresher.start()
    assert entered.wait(timeout=30)
    # While the refresh is in flight, other callers get the still-valid token at once.
    assert [prov.get() for _ in range(5)] == [first] * 5
    release.set()
    refresher.join(timeout=30)
    assert refresher_result[0].reveal() == f"{PREFIX}2"
    assert endpoint.count == 2
    client.close()


# --- sync/async parity, configuration, secrecy --------------------------------------------------


def _params(fn: Callable[..., object]) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", ["__init__", "get", "invalidate"])
def test_sync_and_async_signatures_match(name: str) -> None:
    sync_fn = getattr(TokenProvider, name)
    async_fn = getattr(AsyncTokenProvider, name)
    assert _params(sync_fn) == _params(async_fn)
    if name != "__init__":
        assert inspect.iscoroutinefunction(async_fn)
        assert not inspect.iscoroutinefunction(sync_fn)
        sync_ret = inspect.signature(sync_fn).return_annotation
        assert sync_ret == inspect.signature(async_fn).return_annotation


def test_contract_parameter_names() -> None:
    names = [p[0] for p in _params(TokenProvider.__init__)][:9]
    assert names == [
        "self",
        "base_url",
        "client_key",
        "private_key",
        "token_path",
        "clock",
        "store",
        "http_client",
        "advisory_window",
    ]
    defaults = {p[0]: p[2] for p in _params(TokenProvider.__init__)}
    assert defaults["token_path"] == "/v1.0/access-token/b2b"
    assert defaults["clock"] is None
    assert defaults["store"] is None
    assert defaults["http_client"] is None


@pytest.mark.parametrize(
    "options",
    [
        {"base_url": "merchants.midtrans.com"},
        {"client_key": ""},
        {"token_path": "v1.0/access-token/b2b"},
        {"max_attempts": 0},
        {"poll_interval": 0},
        {"mandatory_window": timedelta(seconds=500)},
        {"grant_type_field": "grant type"},
        {"grant_type_field": ""},
        {"deadline": 0},
    ],
)
@pytest.mark.parametrize("cls", [TokenProvider, AsyncTokenProvider])
def test_bad_configuration(
    token_keys: KeyPair, options: dict[str, object], cls: type[TokenProvider]
) -> None:
    kwargs: dict[str, object] = {
        "base_url": BASE,
        "client_key": CLIENT_KEY,
        "private_key": token_keys.private_key,
    }
    kwargs.update(options)
    with pytest.raises(ConfigurationError):
        cls(**kwargs)  # type: ignore[arg-type]


def test_token_never_in_logs_reprs_or_errors(
    provider: TokenProvider,
    endpoint: Endpoint,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        token = provider.get()
        clock.advance(timedelta(seconds=800))
        endpoint.script = [(401, {"responseCode": "4017301", "responseMessage": "Invalid"})]
        assert provider.get() is token
        clock.advance(timedelta(seconds=90))
        endpoint.script = [(401, {"responseCode": "4017300", "responseMessage": "Unauthorized"})]
        with pytest.raises(TokenExchangeError) as info:
            provider.get()
    value = token.reveal()
    assert value.startswith(PREFIX)
    rendered = [
        caplog.text,
        repr(provider),
        repr(token),
        str(token),
        f"{token}",
        repr(info.value),
        str(info.value),
        info.value.hint,
    ]
    for text in rendered:
        assert PREFIX not in text
    assert "access token fetched (sha256=" in caplog.text
    with pytest.raises(TypeError):
        pickle.dumps(token)


def test_owned_http_client_is_closed(token_keys: KeyPair) -> None:
    prov = TokenProvider(base_url=BASE, client_key=CLIENT_KEY, private_key=token_keys.private_key)
    prov.close()
    assert prov._http.is_closed


def test_custom_store_protocol(endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock) -> None:
    store = MemoryTokenStore()
    assert isinstance(store, TokenStore)
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    one = _provider(token_keys, clock, client, store=store)
    two = _provider(token_keys, clock, client, store=store)
    assert one.get() is two.get()
    assert endpoint.count == 1
    client.close()


def test_lease_held_elsewhere_times_out_boundedly(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock, sleeps: Sleeps
) -> None:
    store = MemoryTokenStore()
    key = token_store_key(BASE, CLIENT_KEY)
    assert store.acquire_lease(key, ttl=timedelta(seconds=1)) is not None  # a stuck holder
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    prov = _provider(
        token_keys,
        clock,
        client,
        store=store,
        sleep=sleeps,
        lease_ttl=timedelta(seconds=1),
        poll_interval=0.25,
    )
    with pytest.raises(TokenError, match="timed out waiting"):
        prov.get()
    assert sleeps.calls == [0.25] * 5
    assert endpoint.count == 0
    client.close()


# --- async ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_retries_then_success_with_the_default_schedule(
    view: TokenView, endpoint: Endpoint, clock: FixedClock, sleeps: Sleeps
) -> None:
    endpoint.script = [(500, {}), httpx.ConnectTimeout("slow")]
    assert (await view.get()).reveal() == f"{PREFIX}3"
    assert sleeps.calls == [0.5, 1.0]
    endpoint.script = [(401, {"responseCode": "4017300", "responseMessage": "Unauthorized"})]
    clock.advance(timedelta(hours=1))
    with pytest.raises(TokenExchangeError):
        await view.get()


@pytest.mark.anyio
async def test_advisory_failure_on_lost_answers_keeps_serving(
    views: Views,
    endpoint: Endpoint,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    prov = views(max_attempts=1)
    first = await prov.get()
    clock.advance(timedelta(seconds=800))
    endpoint.script = [httpx.ReadTimeout("slow")]
    with caplog.at_level(logging.WARNING, logger="bisnap"):
        assert await prov.get() is first
    assert "advisory refresh" in caplog.text
    assert PREFIX not in caplog.text
    clock.advance(timedelta(seconds=80))
    endpoint.script = [httpx.ReadTimeout("slow")]
    with pytest.raises(TokenExchangeError, match="did not answer"):
        await prov.get()


class TaskCountingClock(FixedClock):
    """A fixed clock that notes which asyncio tasks have asked for the time."""

    def __init__(self, at: datetime, parties: int) -> None:
        super().__init__(at)
        self.parties = parties
        self.seen: set[int] = set()
        self.all_in = asyncio.Event()

    def now(self) -> datetime:
        self.seen.add(id(asyncio.current_task()))
        if len(self.seen) >= self.parties:
            self.all_in.set()
        return super().now()


@pytest.mark.anyio
async def test_100_tasks_on_an_expired_cache_make_one_request(
    endpoint: Endpoint, token_keys: KeyPair, sleeps: Sleeps
) -> None:
    parties = 100
    clock = TaskCountingClock(T0, parties)
    requests = 0

    async def gated(request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        with anyio.fail_after(60):
            await clock.all_in.wait()  # hold the one fetch until all callers are waiting
        return await endpoint.ahandler(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(gated))
    store = AsyncMemoryTokenStore()
    stale = AccessToken.create(
        "SENTINEL-stale", expires_in=timedelta(seconds=60), obtained_at=T0 - timedelta(hours=1)
    )
    await store.save(token_store_key(BASE, CLIENT_KEY), stale)
    prov = _async_provider(token_keys, clock, client, store=store, sleep=sleeps.asleep)
    start = anyio.Event()
    results: list[AccessToken] = []

    async def caller() -> None:
        await start.wait()
        results.append(await prov.get())

    async with anyio.create_task_group() as tg:
        for _ in range(parties):
            tg.start_soon(caller)
        await anyio.wait_all_tasks_blocked()
        start.set()
    assert requests == 1
    assert endpoint.count == 1
    assert len(results) == parties
    assert {t.reveal() for t in results} == {f"{PREFIX}1"}
    await client.aclose()


@pytest.mark.anyio
async def test_async_advisory_tasks_keep_serving(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock, sleeps: Sleeps
) -> None:
    release = anyio.Event()
    entered = anyio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        entered.set()
        await release.wait()
        return await endpoint.ahandler(request)

    fast = True

    async def route(request: httpx.Request) -> httpx.Response:
        return await (endpoint.ahandler(request) if fast else slow(request))

    client = httpx.AsyncClient(transport=httpx.MockTransport(route))
    prov = _async_provider(token_keys, clock, client, sleep=sleeps.asleep)
    first = await prov.get()
    clock.advance(timedelta(seconds=800))
    fast = False
    refreshed: list[AccessToken] = []

    async def refresher() -> None:
        refreshed.append(await prov.get())

    async with anyio.create_task_group() as tg:
        tg.start_soon(refresher)
        await entered.wait()
        assert [await prov.get() for _ in range(5)] == [first] * 5
        release.set()
    assert refreshed[0].reveal() == f"{PREFIX}2"
    assert endpoint.count == 2
    await client.aclose()


@pytest.mark.anyio
async def test_endpoint_sees_compact_body(view: TokenView, endpoint: Endpoint) -> None:
    await view.get()
    assert json.loads(endpoint.requests[0].content) == {"grantType": "client_credentials"}


def test_waiters_share_the_one_failure(endpoint: Endpoint, token_keys: KeyPair) -> None:
    parties = 20
    clock = ThreadCountingClock(T0, parties)
    endpoint.script = [(401, {"responseCode": "4017300", "responseMessage": "Unauthorized"})]

    def hold() -> None:
        assert clock.all_in.wait(timeout=60)

    endpoint.gate = hold
    client = httpx.Client(transport=httpx.MockTransport(endpoint.handler))
    prov = _provider(token_keys, clock, client)
    results, errors = _in_threads(parties, prov.get)
    assert results == []
    assert endpoint.count == 1  # one refused request, not one per caller
    assert len(errors) == parties
    assert all(isinstance(e, TokenExchangeError) and e.code is not None for e in errors)
    assert all(
        "bisnap explain token" in e.hint for e in errors if isinstance(e, TokenExchangeError)
    )
    client.close()


@pytest.mark.anyio
async def test_async_waiters_share_failure_and_survive_a_cancelled_fetcher(
    endpoint: Endpoint, token_keys: KeyPair, clock: FixedClock, sleeps: Sleeps
) -> None:
    release = anyio.Event()
    gate = anyio.Event()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await release.wait()  # the first fetch hangs until its task is cancelled
        if calls == 3:
            await gate.wait()  # the third is held until all callers wait for it
        return await endpoint.ahandler(request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    prov = _async_provider(token_keys, clock, client, sleep=sleeps.asleep)
    results: list[AccessToken] = []

    async def waiter() -> None:
        results.append(await prov.get())

    async with anyio.create_task_group() as tg, anyio.create_task_group() as fetcher:
        fetcher.start_soon(prov.get)
        await anyio.wait_all_tasks_blocked()
        for _ in range(10):
            tg.start_soon(waiter)
        await anyio.wait_all_tasks_blocked()
        fetcher.cancel_scope.cancel()  # the fetching task goes away mid-request
    # One waiter took over the fetch; everyone got its token.
    assert calls == 2
    assert {t.reveal() for t in results} == {f"{PREFIX}1"}
    assert len(results) == 10
    # A refusal is shared by the waiters of that flight.
    clock.advance(timedelta(hours=1))
    endpoint.script = [(401, {"responseCode": "4017300", "responseMessage": "Unauthorized"})]
    outcomes: list[BaseException] = []

    async def failing() -> None:
        try:
            await prov.get()
        except TokenExchangeError as err:
            outcomes.append(err)

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(failing)
        await anyio.wait_all_tasks_blocked()
        gate.set()
    assert len(outcomes) == 10
    assert calls == 3
    await client.aclose()
