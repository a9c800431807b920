"""Redis once-store and token store against a real redis-server (the `redis_server` fixture)."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import anyio
import pytest
import redis
from cryptography.fernet import Fernet

from bisnap import AccessToken, ExternalIdGenerator, FixedClock, StoreUnavailableError
from bisnap.errors import ConfigurationError
from bisnap.stores.base import AsyncOnceStore, OnceStore
from bisnap.stores.memory import AsyncTokenStore, TokenStore
from bisnap.stores.redis import (
    AsyncRedisOnceStore,
    AsyncRedisTokenStore,
    RedisOnceStore,
    RedisTokenStore,
)

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)
SENTINEL = "SENTINEL-redis-token-6f1d2c"


class RedisServer(Protocol):
    """What the `redis_server` fixture (tests/conftest.py) offers."""

    url: str
    port: int

    def kill(self) -> None: ...
    def restart(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


class RedisCluster(Protocol):
    """What the `redis_cluster` fixture (tests/conftest.py) offers: its three masters."""

    @property
    def nodes(self) -> Sequence[RedisServer]: ...


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    yield client
    client.close()


def _token(value: str = SENTINEL, *, expires_in: int = 900) -> AccessToken:
    # Expiry in the real future: Redis keeps it with a TTL to that expiry.
    now = datetime.now(UTC)
    return AccessToken.create(value, expires_in=timedelta(seconds=expires_in), obtained_at=now)


# --- once-store -------------------------------------------------------------------------


def test_once_store_claims_each_key_once(redis_url: str, raw: redis.Redis) -> None:
    store = RedisOnceStore.from_url(redis_url)
    assert isinstance(store, OnceStore)
    until = datetime.now(UTC) + timedelta(minutes=5)
    assert store.claim("a", expires_at=until) is True
    assert store.claim("a", expires_at=until) is False
    assert store.claim("b", expires_at=until) is True
    # SET NX PXAT: the TTL runs to the expiry given.
    ttl_ms = raw.pttl("bisnap:once:a")
    assert 0 < ttl_ms <= 300_000
    store.close()


def test_once_store_prefix(redis_url: str, raw: redis.Redis) -> None:
    store = RedisOnceStore.from_url(redis_url, prefix="app1:")
    store.claim("k", expires_at=datetime.now(UTC) + timedelta(minutes=1))
    assert raw.exists("app1:once:k") == 1
    store.close()


def test_client_without_timeout_is_refused(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    with pytest.raises(ConfigurationError, match="socket_timeout"):
        RedisOnceStore(client)
    client.close()


@pytest.mark.anyio
async def test_async_once_store(redis_url: str) -> None:
    store = AsyncRedisOnceStore.from_url(redis_url)
    assert isinstance(store, AsyncOnceStore)
    until = datetime.now(UTC) + timedelta(minutes=5)
    assert await store.claim("x", expires_at=until) is True
    assert await store.claim("x", expires_at=until) is False
    await store.aclose()


def test_once_store_outage_raises_store_unavailable(
    redis_server: RedisServer, redis_url: str
) -> None:
    server = redis_server
    store = RedisOnceStore.from_url(redis_url, timeout=0.3)
    server.kill()
    try:
        with pytest.raises(StoreUnavailableError) as info:
            store.claim("k", expires_at=datetime.now(UTC) + timedelta(minutes=1))
        assert isinstance(info.value.__cause__, redis.RedisError | OSError)
        assert "Redis" in str(info.value)
    finally:
        server.restart()
    # After the restart the same store works again.
    assert store.claim("k2", expires_at=datetime.now(UTC) + timedelta(minutes=1)) is True
    store.close()


def _bounded(fn: Callable[[], object], *, limit: float = 15.0) -> BaseException | None:
    """Run `fn` in a thread; fail if it does not return within `limit` (a hang guard)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as err:  # handed back to the test
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=limit)
    assert outcome, "the Redis call hung"
    return outcome[0]


def test_hung_redis_times_out_as_store_unavailable(
    redis_server: RedisServer, redis_url: str
) -> None:
    once = RedisOnceStore.from_url(redis_url, timeout=0.2)
    tokens = RedisTokenStore.from_url(redis_url, timeout=0.2)
    assert tokens.load("k") is None  # connections are open before the server freezes
    redis_server.pause()
    try:
        until = datetime.now(UTC) + timedelta(minutes=1)
        err = _bounded(lambda: once.claim("k", expires_at=until))
        assert isinstance(err, StoreUnavailableError)
        assert isinstance(err.__cause__, redis.TimeoutError | redis.ConnectionError)
        err = _bounded(lambda: tokens.load("k"))
        assert isinstance(err, StoreUnavailableError)
    finally:
        redis_server.resume()
    once.close()
    tokens.close()


# --- token store ----------------------------------------------------------------------------


def test_token_store_round_trip_with_ttl(redis_url: str, raw: redis.Redis) -> None:
    store = RedisTokenStore.from_url(redis_url)
    assert isinstance(store, TokenStore)
    token = _token(expires_in=600)
    assert store.load("k1") is None
    store.save("k1", token)
    loaded = store.load("k1")
    assert loaded == token
    assert loaded is not None
    assert loaded.expires_at == token.expires_at
    assert loaded.obtained_at == token.obtained_at
    assert loaded.kind == "b2b"
    assert store.load("k1") is loaded  # an unchanged value is not decoded again
    assert 590_000 < raw.pttl("bisnap:token:k1") <= 600_000
    store.close()


def test_token_store_keeps_customer_refresh_token(redis_url: str) -> None:
    store = RedisTokenStore.from_url(redis_url)
    token = AccessToken.create(
        SENTINEL,
        expires_in=timedelta(days=15),
        obtained_at=datetime.now(UTC),
        kind="customer",
        refresh_token="SENTINEL-refresh",
    )
    store.save("c", token)
    loaded = store.load("c")
    assert loaded is not None
    assert loaded.kind == "customer"
    assert loaded.refresh_token is not None
    assert loaded.refresh_token.reveal() == "SENTINEL-refresh"
    store.close()


def test_token_without_expiry_gets_a_default_ttl(redis_url: str, raw: redis.Redis) -> None:
    store = RedisTokenStore.from_url(redis_url)
    store.save("n", AccessToken.create(SENTINEL))
    assert 0 < raw.pttl("bisnap:token:n") <= 900_000
    store.close()


def test_token_encrypted_at_rest(redis_url: str, raw: redis.Redis) -> None:
    key = Fernet.generate_key()
    store = RedisTokenStore.from_url(redis_url, encryption_key=key)
    store.save("e", _token())
    stored = raw.get("bisnap:token:e")
    assert stored is not None
    assert SENTINEL.encode() not in stored
    assert b"SENTINEL" not in stored
    other_process = RedisTokenStore.from_url(redis_url, encryption_key=[Fernet.generate_key(), key])
    loaded = other_process.load("e")
    assert loaded is not None
    assert loaded.reveal() == SENTINEL
    assert "encrypted=True" in repr(store)
    store.close()
    other_process.close()


def test_unreadable_tokens_are_misses_logged_without_value(
    redis_url: str, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    encrypted = RedisTokenStore.from_url(redis_url, encryption_key=Fernet.generate_key())
    plain = RedisTokenStore.from_url(redis_url)
    wrong_key = RedisTokenStore.from_url(redis_url, encryption_key=Fernet.generate_key())
    encrypted.save("x", _token())
    plain.save("y", _token())
    raw.set("bisnap:token:z", b"garbage")
    with caplog.at_level(logging.WARNING, logger="bisnap"):
        assert plain.load("x") is None  # encrypted, no key
        assert wrong_key.load("x") is None  # wrong key
        assert encrypted.load("y") is None  # plain, but encryption is required
        assert plain.load("z") is None
    assert "unreadable token" in caplog.text
    assert SENTINEL not in caplog.text
    for store in (encrypted, plain, wrong_key):
        store.close()


def test_bad_encryption_key(redis_url: str) -> None:
    with pytest.raises(ConfigurationError, match="Fernet") as info:
        RedisTokenStore.from_url(redis_url, encryption_key="SENTINEL-not-a-key")
    assert "SENTINEL" not in str(info.value)
    with pytest.raises(ConfigurationError):
        RedisTokenStore.from_url(redis_url, encryption_key=[])


def test_token_store_discard_only_the_same_token(redis_url: str) -> None:
    store = RedisTokenStore.from_url(redis_url, encryption_key=Fernet.generate_key())
    old, new = _token("SENTINEL-old"), _token("SENTINEL-new")
    store.save("d", new)
    assert store.discard("d", old) is False
    assert store.load("d") == new
    assert store.discard("d", new) is True
    assert store.load("d") is None
    assert store.discard("d", new) is False
    store.close()


def test_token_store_lease(redis_url: str, raw: redis.Redis) -> None:
    one = RedisTokenStore.from_url(redis_url)
    two = RedisTokenStore.from_url(redis_url)
    lease = one.acquire_lease("l", ttl=timedelta(seconds=5))
    assert lease is not None
    assert two.acquire_lease("l", ttl=timedelta(seconds=5)) is None
    assert 0 < raw.pttl("bisnap:token:l:lease") <= 5000
    two.release_lease("l", "not-the-holder")
    assert two.acquire_lease("l", ttl=timedelta(seconds=5)) is None
    one.release_lease("l", lease)
    assert two.acquire_lease("l", ttl=timedelta(seconds=5)) is not None
    one.close()
    two.close()


def test_token_store_outage(redis_server: RedisServer, redis_url: str) -> None:
    store = RedisTokenStore.from_url(redis_url, timeout=0.3)
    redis_server.kill()
    try:
        for call in (
            lambda: store.load("k"),
            lambda: store.save("k", _token()),
            lambda: store.discard("k", _token()),
            lambda: store.acquire_lease("k", ttl=timedelta(seconds=1)),
            lambda: store.release_lease("k", "x"),
        ):
            err = _bounded(call)
            assert isinstance(err, StoreUnavailableError)
            assert SENTINEL not in str(err)
    finally:
        redis_server.restart()
    store.close()


@pytest.mark.anyio
async def test_async_token_store(redis_url: str) -> None:
    store = AsyncRedisTokenStore.from_url(redis_url, encryption_key=Fernet.generate_key())
    assert isinstance(store, AsyncTokenStore)
    token = _token()
    assert await store.load("a") is None
    await store.save("a", token)
    assert await store.load("a") == token
    lease = await store.acquire_lease("a", ttl=timedelta(seconds=5))
    assert lease is not None
    assert await store.acquire_lease("a", ttl=timedelta(seconds=5)) is None
    await store.release_lease("a", lease)
    assert await store.discard("a", token) is True
    assert await store.load("a") is None
    assert "AsyncRedisTokenStore" in repr(store)
    await store.aclose()


@pytest.mark.anyio
async def test_async_stores_outage(redis_server: RedisServer, redis_url: str) -> None:
    store = AsyncRedisTokenStore.from_url(redis_url, timeout=0.3)
    once = AsyncRedisOnceStore.from_url(redis_url, timeout=0.3)
    redis_server.kill()
    try:
        with anyio.fail_after(15):
            with pytest.raises(StoreUnavailableError):
                await store.load("k")
            with pytest.raises(StoreUnavailableError):
                await store.save("k", _token())
            with pytest.raises(StoreUnavailableError):
                await store.discard("k", _token())
            with pytest.raises(StoreUnavailableError):
                await store.acquire_lease("k", ttl=timedelta(seconds=1))
            with pytest.raises(StoreUnavailableError):
                await store.release_lease("k", "x")
            with pytest.raises(StoreUnavailableError):
                await once.claim("k", expires_at=datetime.now(UTC) + timedelta(minutes=1))
    finally:
        redis_server.restart()
    await store.aclose()
    await once.aclose()


# --- X-EXTERNAL-ID unique per day across processes --------------------------------------------


def _restarting_counter() -> Callable[[], str]:
    """Every generator makes the same sequence 0, 1, 2, ...: each value collides."""
    counter = iter(range(10**6))
    return lambda: f"{next(counter):016d}"


def test_external_ids_never_collide_across_generators(redis_url: str) -> None:
    # Redis expires the claims by its own (real) clock: the generators use the real clock.
    generators = [
        ExternalIdGenerator(
            registry=RedisOnceStore.from_url(redis_url),
            factory=_restarting_counter(),
            max_attempts=1000,
        )
        for _ in range(4)
    ]
    ids: list[str] = []
    ids_lock = threading.Lock()
    barrier = threading.Barrier(len(generators))

    def draw(gen: ExternalIdGenerator) -> None:
        barrier.wait(timeout=30)
        for _ in range(50):
            value = gen.next()
            with ids_lock:
                ids.append(value)

    threads = [threading.Thread(target=draw, args=(g,)) for g in generators]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(ids) == 200
    assert sorted(ids) == [f"{n:016d}" for n in range(200)]


def test_a_past_day_claim_does_not_block_today(redis_url: str) -> None:
    # A claim for a day that is over has already expired in Redis.
    gen = ExternalIdGenerator(
        registry=RedisOnceStore.from_url(redis_url),
        clock=FixedClock(T0),
        factory=lambda: "0" * 16,
        max_attempts=2,
    )
    assert gen.next() == "0" * 16
    assert gen.next() == "0" * 16


_ID_WORKER = """
import sys
from bisnap import ExternalIdGenerator
from bisnap.stores.redis import RedisOnceStore

url, count = sys.argv[1], int(sys.argv[2])
counter = iter(range(10**6))
gen = ExternalIdGenerator(
    registry=RedisOnceStore.from_url(url, timeout=2.0),
    factory=lambda: f"{next(counter):016d}",  # every process makes the same sequence
    max_attempts=100_000,
)
for _ in range(count):
    print(gen.next())
"""


@pytest.mark.slow
def test_external_ids_never_collide_across_processes(redis_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _ID_WORKER, redis_url, "150"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=ROOT,
        )
        for _ in range(4)
    ]
    ids: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        ids.extend(out.decode().split())
    assert len(ids) == 600
    assert sorted(ids) == [f"{n:016d}" for n in range(600)]
    # The default generator (random prefix + counter) shares the same registry too.
    gen = ExternalIdGenerator(registry=RedisOnceStore.from_url(redis_url))
    fresh = {gen.next() for _ in range(100)}
    assert len(fresh) == 100
    assert not fresh & set(ids)


def _sockets_to(ports: set[int]) -> int:
    """How many established TCP sockets this process holds to `ports` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port in ports and fields[3] == "01":  # ESTABLISHED
                    inodes.add(fields[9])
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:[") and target[8:-1] in inodes:
                count += 1
    return count


def test_closing_a_cluster_store_closes_every_node_connection(
    redis_cluster: RedisCluster, redis_cluster_url: str
) -> None:
    # redis-py's RedisCluster.close() leaves the nodes' pooled connections open for the
    # garbage collector (then a ResourceWarning, an error under -W error, blamed on whatever
    # runs at that moment). A store's close() must leave no connection open, on any master.
    ports = {node.port for node in redis_cluster.nodes}
    gc.collect()
    before = _sockets_to(ports)
    later = datetime.now(UTC) + timedelta(hours=1)
    once = RedisOnceStore.from_url(redis_cluster_url, timeout=2, cluster=True)
    tokens = RedisTokenStore.from_url(redis_cluster_url, timeout=2, cluster=True)
    for tag in "abcdefghijklmnop":  # hash tags spread over the three masters
        assert once.claim_all([f"{{{tag}}}:1", f"{{{tag}}}:2"], expires_at=later) == "claimed"
        token = AccessToken.create(
            SENTINEL, expires_in=timedelta(hours=1), obtained_at=datetime.now(UTC)
        )
        tokens.save(tag, token)
        assert tokens.load(tag) is not None
    assert _sockets_to(ports) > before  # the stores did connect to the cluster
    once.close()
    tokens.close()
    assert _sockets_to(ports) == before
    # A store refused after its cluster client connected closes that client too.
    with pytest.raises(ConfigurationError, match="Fernet"):
        RedisTokenStore.from_url(
            redis_cluster_url, timeout=2, cluster=True, encryption_key="SENTINEL-not-a-key"
        )
    assert _sockets_to(ports) == before
