"""Token providers sharing a token through a real Redis (the `redis_server` fixture)."""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
import redis
from cryptography.fernet import Fernet

from bisnap import (
    AccessToken,
    AsyncTokenProvider,
    FixedClock,
    KeyPair,
    StoreFallbackWarning,
    StoreUnavailableError,
    TokenProvider,
)
from bisnap.stores.redis import AsyncRedisTokenStore, RedisTokenStore
from bisnap.tokens import token_store_key

pytestmark = pytest.mark.redis


class RedisServer(Protocol):
    """What the `redis_server` fixture (tests/conftest.py) offers."""

    url: str
    port: int

    def kill(self) -> None: ...
    def restart(self) -> None: ...


class Endpoint(Protocol):
    """What the `token_endpoint` fixture (tests/conftest.py) offers."""

    base_url: str
    client_key: str
    requests: list[dict[str, Any]]
    before_answer: Any

    @property
    def count(self) -> int: ...


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


@pytest.fixture
def clock() -> FixedClock:
    # Redis expires keys by its own clock, so the fixed clock starts at the real time.
    return FixedClock(datetime.now(UTC))


@pytest.fixture
def stores(redis_url: str) -> Iterator[Callable[..., RedisTokenStore]]:
    """Make RedisTokenStores on the test's Redis; all are closed afterwards."""
    made: list[RedisTokenStore] = []

    def make(**options: Any) -> RedisTokenStore:
        store = RedisTokenStore.from_url(redis_url, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    yield client
    client.close()


_OPEN: list[TokenProvider] = []


@pytest.fixture(autouse=True)
def _close_providers() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _provider(
    endpoint: Endpoint,
    keys: KeyPair,
    store: RedisTokenStore,
    clock: FixedClock,
    **options: Any,
) -> TokenProvider:
    provider = TokenProvider(
        base_url=endpoint.base_url,
        client_key=endpoint.client_key,
        private_key=keys.private_key,
        clock=clock,
        store=store,
        **options,
    )
    _OPEN.append(provider)
    return provider


def test_two_providers_share_one_token(
    stores: Callable[..., RedisTokenStore],
    raw: redis.Redis,
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
) -> None:
    key = Fernet.generate_key()
    one = _provider(token_endpoint, token_keys, stores(encryption_key=key), clock)
    two = _provider(token_endpoint, token_keys, stores(encryption_key=key), clock)
    first = one.get()
    assert two.get() == first
    assert token_endpoint.count == 1
    # Stored under a hash of base_url + client key, encrypted, with a TTL to the expiry.
    redis_key = (
        f"bisnap:token:{token_store_key(token_endpoint.base_url, token_endpoint.client_key)}"
    )
    stored = raw.get(redis_key)
    assert stored is not None
    assert b"SENTINEL" not in stored
    assert token_endpoint.client_key not in redis_key
    assert 890_000 < raw.pttl(redis_key) <= 900_000
    # A 401 seen by one invalidates for all; the next get() of anyone refetches once.
    assert two.invalidate(first) is True
    assert one.invalidate(first) is False
    second = one.get()
    assert two.get() == second
    assert second.reveal() == "SENTINEL-TOKEN-2"
    assert token_endpoint.count == 2


def test_waiter_reads_the_token_another_process_fetched(
    stores: Callable[..., RedisTokenStore],
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
) -> None:
    store = stores()
    other = stores()
    key = token_store_key(token_endpoint.base_url, token_endpoint.client_key)
    lease = other.acquire_lease(key, ttl=timedelta(seconds=30))  # "another process" fetches
    assert lease is not None
    theirs = AccessToken.create(
        "SENTINEL-theirs", expires_in=timedelta(seconds=900), obtained_at=clock.now()
    )
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 3:  # the other process finishes while we poll
            other.save(key, theirs)
            other.release_lease(key, lease)

    provider = _provider(token_endpoint, token_keys, store, clock, sleep=sleep)
    got = provider.get()
    assert got == theirs
    assert polls == [0.05, 0.05, 0.05]
    assert token_endpoint.count == 0


def test_waiter_takes_over_an_expired_lease(
    stores: Callable[..., RedisTokenStore],
    raw: redis.Redis,
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
) -> None:
    key = token_store_key(token_endpoint.base_url, token_endpoint.client_key)
    raw.set(f"bisnap:token:{key}:lease", "crashed-holder", px=60_000)
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        raw.delete(f"bisnap:token:{key}:lease")  # the lease runs out

    provider = _provider(token_endpoint, token_keys, stores(), clock, sleep=sleep)
    assert provider.get().reveal() == "SENTINEL-TOKEN-1"
    assert polls == [0.05]
    assert raw.exists(f"bisnap:token:{key}:lease") == 0  # released after the fetch


def test_advisory_while_another_process_refreshes(
    stores: Callable[..., RedisTokenStore],
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
) -> None:
    store = stores()
    provider = _provider(token_endpoint, token_keys, store, clock)
    first = provider.get()
    clock.advance(timedelta(seconds=800))
    key = token_store_key(token_endpoint.base_url, token_endpoint.client_key)
    assert stores().acquire_lease(key, ttl=timedelta(seconds=30))
    assert provider.get() == first  # no waiting, no fetch
    assert token_endpoint.count == 1


def test_redis_down_raises_store_unavailable(
    redis_server: RedisServer,
    stores: Callable[..., RedisTokenStore],
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
) -> None:
    provider = _provider(token_endpoint, token_keys, stores(timeout=0.3), clock)
    token = provider.get()
    redis_server.kill()
    try:
        with pytest.raises(StoreUnavailableError) as info:
            provider.get()
        assert "SENTINEL" not in str(info.value)
        with pytest.raises(StoreUnavailableError):
            provider.invalidate(token)
    finally:
        redis_server.restart()
    assert token_endpoint.count == 1


def test_redis_down_falls_back_to_the_in_process_token(
    redis_server: RedisServer,
    stores: Callable[..., RedisTokenStore],
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bisnap")
    provider = _provider(
        token_endpoint,
        token_keys,
        stores(timeout=0.3),
        clock,
        fallback_to_memory=True,
    )
    token = provider.get()
    redis_server.kill()
    try:
        with pytest.warns(StoreFallbackWarning, match="token store unavailable"):
            assert provider.get() == token
        # While the store is marked down it is not asked again (no warning, no delay).
        assert provider.get() == token
        clock.advance(timedelta(seconds=870))  # mandatory: fetched with the in-process lease
        fresh = provider.get()
        assert fresh.reveal() == "SENTINEL-TOKEN-2"
        assert provider.invalidate(fresh) is True
        assert provider.get().reveal() == "SENTINEL-TOKEN-3"
    finally:
        redis_server.restart()
    clock.advance(timedelta(seconds=10))  # past store_retry_after: Redis is asked again
    back = provider.get()  # Redis lost its data in the restart: one fetch, stored there
    assert back.reveal() == "SENTINEL-TOKEN-4"
    assert (
        stores().load(token_store_key(token_endpoint.base_url, token_endpoint.client_key)) == back
    )
    assert "SENTINEL-TOKEN" not in caplog.text
    assert "token store reachable again" in caplog.text


def test_redis_down_before_any_token_with_fallback(
    redis_server: RedisServer,
    stores: Callable[..., RedisTokenStore],
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
) -> None:
    provider = _provider(
        token_endpoint,
        token_keys,
        stores(timeout=0.3),
        clock,
        fallback_to_memory=True,
    )
    redis_server.kill()
    try:
        with pytest.warns(StoreFallbackWarning):
            token = provider.get()
        assert token.reveal() == "SENTINEL-TOKEN-1"
        assert provider.get() is token
    finally:
        redis_server.restart()


@pytest.mark.anyio
async def test_async_providers_share_and_fall_back(
    redis_server: RedisServer,
    redis_url: str,
    token_endpoint: Endpoint,
    token_keys: KeyPair,
    clock: FixedClock,
) -> None:
    made: list[AsyncRedisTokenStore] = []

    def make(**options: Any) -> AsyncTokenProvider:
        store = AsyncRedisTokenStore.from_url(redis_url, timeout=0.3)
        made.append(store)
        return AsyncTokenProvider(
            base_url=token_endpoint.base_url,
            client_key=token_endpoint.client_key,
            private_key=token_keys.private_key,
            clock=clock,
            store=store,
            **options,
        )

    one, two, strict = make(fallback_to_memory=True), make(), make()
    first = await one.get()
    assert await two.get() == first
    assert await strict.get() == first
    assert token_endpoint.count == 1
    redis_server.kill()
    try:
        with pytest.warns(StoreFallbackWarning):
            assert await one.get() == first
        with pytest.raises(StoreUnavailableError):
            await strict.get()
        with pytest.raises(StoreUnavailableError):
            await strict.invalidate(first)
        assert await one.invalidate(first) is True
        assert (await one.get()).reveal() == "SENTINEL-TOKEN-2"
    finally:
        redis_server.restart()
    for provider in (one, two, strict):
        await provider.aclose()
    for store in made:
        await store.aclose()


def _token_worker(
    url: str,
    base_url: str,
    client_key: str,
    pem_path: str,
    kind: str,
    ready: Any,
    results: Any,
) -> None:
    """One process with its own provider and Redis client: reports the token it got."""
    on_cluster = kind == "cluster"
    try:
        provider = TokenProvider(
            base_url=base_url,
            client_key=client_key,
            private_key=Path(pem_path).read_bytes(),
            store=RedisTokenStore.from_url(url, timeout=2.0, cluster=on_cluster),
            poll_interval=0.01,
        )
        ready.put(1)
        results.put(provider.get().value.fingerprint)
    except Exception as err:  # reported to the parent, which fails the test
        results.put(f"error: {type(err).__name__}: {err}")


def _context() -> Any:
    """Worker processes forked from a server that imported this module once (fast starts).

    forkserver, not fork: the children do not inherit this process's threads and sockets.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


@pytest.fixture(params=["redis", "cluster"])
def backend(request: pytest.FixtureRequest) -> tuple[str, str]:
    """(url, kind): the session redis-server, or the three-master Redis Cluster."""
    if request.param == "cluster":
        return request.getfixturevalue("redis_cluster_url"), "cluster"
    return request.getfixturevalue("redis_url"), "redis"


@pytest.mark.slow
def test_eight_processes_one_token_request(
    backend: tuple[str, str], token_endpoint: Endpoint, token_keys: KeyPair, tmp_path: Path
) -> None:
    redis_url, kind = backend
    processes = 8
    pem = tmp_path / "partner.pem"
    pem.write_bytes(token_keys.private_pem())
    pem.chmod(0o600)
    held = threading.Event()

    def hold_until_all_processes_are_in() -> None:
        # The one fetch answers only when all 8 processes have started get().
        if held.is_set():
            return
        held.set()
        for _ in range(processes):
            ready.get(timeout=60)

    token_endpoint.before_answer = hold_until_all_processes_are_in
    ctx = _context()
    # Readiness goes through a queue, not Redis: a redis-py RedisCluster client in this
    # process leaves a socket for the garbage collector even after close() (redis-py 8.1),
    # which the suite's "warnings are errors" then blames on whichever test runs next.
    ready, results = ctx.Queue(), ctx.Queue()
    args = (redis_url, token_endpoint.base_url, token_endpoint.client_key, str(pem), kind)
    procs = [
        ctx.Process(target=_token_worker, args=(*args, ready, results)) for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    outputs = []
    try:
        for _ in range(processes):
            outputs.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"only {len(outputs)} of {processes} processes answered: {outputs}")
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
    assert token_endpoint.count == 1
    assert outputs == [_fingerprint("SENTINEL-TOKEN-1")] * processes
