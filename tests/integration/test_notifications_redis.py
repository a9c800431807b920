# ruff: noqa: SIM117  (pytest.raises around a whole `with receive(...)` block reads best)
"""NotificationVerifier on a real Redis: one acceptance across 8 processes, outages → 5xx."""

from __future__ import annotations

import base64
import hashlib
import multiprocessing
import queue
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import pytest
import redis
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from redis.crc import key_slot

from bisnap import FixedClock, ReplayError, SignatureMismatchError, StoreUnavailableError
from bisnap.clock import JAKARTA
from bisnap.notifications import AsyncNotificationVerifier, NotificationVerifier
from bisnap.replies import reply_for_error
from bisnap.stores.redis import AsyncRedisOnceStore, RedisOnceStore

pytestmark = pytest.mark.redis

# Redis expires keys on its own (real) clock, so the fixed clock stands at the real now.
T0 = datetime.now(JAKARTA).replace(microsecond=0)
TS0 = T0.isoformat()
PATH = "/v1.0/debit/notify"
BODY = (
    b'{"latestTransactionStatus":"00","originalReferenceNo":"R1",'
    b'"amount":{"value":"1.00","currency":"IDR"}}'
)
WORKERS = 8


class RedisServer(Protocol):
    """What the `redis_server` fixture (tests/conftest.py) offers."""

    url: str

    def kill(self) -> None: ...
    def restart(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signed_headers(key: rsa.RSAPrivateKey, external: str, body: bytes = BODY) -> dict[str, str]:
    digest = hashlib.sha256(body).hexdigest()
    sig = key.sign(f"POST:{PATH}:{digest}:{TS0}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "X-TIMESTAMP": TS0,
        "X-SIGNATURE": base64.b64encode(sig).decode(),
        "X-PARTNER-ID": "G123",
        "X-EXTERNAL-ID": external,
    }


def _worker(
    url: str,
    public_pem: bytes,
    headers: dict[str, str],
    barrier: Any,
    results: Any,
    cluster: bool = False,
    mode: str = "verify",
    worker: int = 0,
) -> None:
    """One merchant process: builds its own verifier from the Redis URL, then verifies.

    Each worker sends the same signed notification under its own X-EXTERNAL-ID (unsigned),
    so only the signed request's key can make it a replay.
    """
    verifier = NotificationVerifier(
        public_key=public_pem,
        clock=FixedClock(T0),
        replay_store=RedisOnceStore.from_url(url, timeout=5, cluster=cluster),
    )
    headers = {**headers, "X-EXTERNAL-ID": f"{headers['X-EXTERNAL-ID']}-{worker}"}
    barrier.wait(timeout=60)
    try:
        if mode == "receive":
            with verifier.receive(method="POST", path=PATH, headers=headers, body=BODY):
                pass
        else:
            verifier.verify(method="POST", path=PATH, headers=headers, body=BODY)
    except ReplayError:
        results.put("replay")
    except Exception as err:  # reported to the parent, which fails the test
        results.put(f"error: {type(err).__name__}: {err}")
    else:
        results.put("accepted")


def _context() -> Any:
    """Worker processes forked from a server that imported this module once (fast starts).

    forkserver, not fork: the children do not inherit this process's threads and sockets.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "mode"), [("redis", "verify"), ("redis", "receive"), ("cluster", "receive")]
)
def test_eight_processes_one_acceptance(
    request: pytest.FixtureRequest,
    kind: str,
    mode: str,
    key: rsa.RSAPrivateKey,
    public_pem: bytes,
) -> None:
    cluster = kind == "cluster"
    url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
    ctx = _context()
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    headers = signed_headers(key, "20240305000000000042")
    procs = [
        ctx.Process(
            target=_worker,
            args=(url, public_pem, headers, barrier, results, cluster, mode, n),
        )
        for n in range(WORKERS)
    ]
    for proc in procs:
        proc.start()
    outcomes: list[str] = []
    try:
        for _ in range(WORKERS):
            outcomes.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"only {len(outcomes)} of {WORKERS} workers answered: {outcomes}")
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
                proc.join()
    assert Counter(outcomes) == {"accepted": 1, "replay": WORKERS - 1}, outcomes


def test_redis_replay_and_forgery(
    redis_url: str, key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    clock = FixedClock(T0)
    store = RedisOnceStore.from_url(redis_url, timeout=2)
    verifier = NotificationVerifier(public_key=public_pem, clock=clock, replay_store=store)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(SignatureMismatchError):
        verifier.verify(method="POST", path=PATH, headers=signed_headers(forger, "5"), body=BODY)
    headers = signed_headers(key, "5")
    n = verifier.verify(method="POST", path=PATH, headers=headers, body=BODY)
    assert n.original_reference_no == "R1"
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=PATH, headers=headers, body=BODY)
    store.close()


def test_redis_killed_gives_store_unavailable_and_500(
    redis_server: RedisServer, redis_url: str, key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    clock = FixedClock(T0)
    store = RedisOnceStore.from_url(redis_url, timeout=0.5)
    verifier = NotificationVerifier(public_key=public_pem, clock=clock, replay_store=store)
    verifier.verify(method="POST", path=PATH, headers=signed_headers(key, "1"), body=BODY)
    redis_server.kill()
    try:
        with pytest.raises(StoreUnavailableError) as info:
            verifier.verify(method="POST", path=PATH, headers=signed_headers(key, "2"), body=BODY)
        reply = reply_for_error(info.value, path="/hooks" + PATH, clock=clock)
        assert reply.status_code == 500
        assert reply.json() == {
            "responseCode": "5005601",
            "responseMessage": "Internal Server Error",
        }
    finally:
        redis_server.restart()
    # Back up (empty): the notification that failed is accepted on Midtrans's retry.
    verifier.verify(method="POST", path=PATH, headers=signed_headers(key, "2"), body=BODY)
    store.close()


@pytest.mark.anyio
async def test_async_redis_store(
    redis_server: RedisServer, redis_url: str, key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    clock = FixedClock(T0)
    store = AsyncRedisOnceStore.from_url(redis_url, timeout=0.5)
    verifier = AsyncNotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=store, window=timedelta(minutes=1)
    )
    headers = signed_headers(key, "77")
    await verifier.verify(method="POST", path=PATH, headers=headers, body=BODY)
    with pytest.raises(ReplayError):
        await verifier.verify(method="POST", path=PATH, headers=headers, body=BODY)
    redis_server.kill()
    try:
        with pytest.raises(StoreUnavailableError):
            await verifier.verify(
                method="POST", path=PATH, headers=signed_headers(key, "78"), body=BODY
            )
    finally:
        redis_server.restart()
        await store.aclose()


def test_receive_on_redis_commits_releases_and_leases(
    redis_url: str, key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    clock = FixedClock(T0)
    store = RedisOnceStore.from_url(redis_url, timeout=2)
    verifier = NotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=store, lease=timedelta(seconds=45)
    )
    headers = signed_headers(key, "r1")
    raw = redis.Redis.from_url(redis_url, socket_timeout=2)

    class HandlerFailedError(Exception):
        pass

    with pytest.raises(HandlerFailedError):
        with verifier.receive(method="POST", path=PATH, headers=headers, body=BODY):
            names = sorted(cast(list[bytes], raw.keys("*")))
            assert len(names) == 2  # the signed request's key and the external id's
            slots = {key_slot(n) for n in names}
            assert len(slots) == 1  # one hash slot: one script on a cluster
            for name in names:
                assert cast(bytes, raw.get(name)).startswith(b"p:")
                assert 0 < raw.pttl(name) <= 45_000  # a dead worker's claim lapses
            raise HandlerFailedError
    assert raw.keys("*") == []  # released: the provider's retry is processed
    with verifier.receive(method="POST", path=PATH, headers=headers, body=BODY) as n:
        assert n.original_reference_no == "R1"
    assert {raw.get(name) for name in raw.keys("*")} == {b"c"}
    with pytest.raises(ReplayError) as info:
        verifier.verify(method="POST", path=PATH, headers=signed_headers(key, "r2"), body=BODY)
    assert info.value.already_processed is True
    raw.close()
    store.close()


@pytest.mark.anyio
async def test_async_receive_on_the_cluster(
    redis_cluster_url: str, key: rsa.RSAPrivateKey, public_pem: bytes
) -> None:
    clock = FixedClock(T0)
    store = AsyncRedisOnceStore.from_url(redis_cluster_url, timeout=2, cluster=True)
    verifier = AsyncNotificationVerifier(public_key=public_pem, clock=clock, replay_store=store)
    headers = signed_headers(key, "c1")
    async with verifier.receive(method="POST", path=PATH, headers=headers, body=BODY) as n:
        assert n.external_id == "c1"
    with pytest.raises(ReplayError) as info:
        async with verifier.receive(
            method="POST", path=PATH, headers=signed_headers(key, "c2"), body=BODY
        ):
            pass
    assert info.value.already_processed is True
    await store.aclose()


def test_store_calls_fail_within_the_timeout_not_a_multiple(
    redis_server: RedisServer, redis_url: str
) -> None:
    timeout = 0.4
    store = RedisOnceStore.from_url(redis_url, timeout=timeout)
    kwargs = store.client.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == timeout
    assert kwargs["socket_connect_timeout"] == timeout
    assert store.client.get_retry().get_retries() == 0  # no silent retry doubling the wait
    expires = T0 + timedelta(hours=1)
    assert store.claim("warm", expires_at=expires)  # a pooled connection, then a hung server
    redis_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            store.claim_all(["a", "b"], expires_at=expires)
        elapsed = time.monotonic() - started
    finally:
        redis_server.resume()
    # A generous bound only (the machine is shared): a retry would take 2x the timeout.
    assert elapsed < timeout * 1.9, elapsed
    store.close()


@pytest.mark.anyio
async def test_async_store_calls_fail_within_the_timeout(
    redis_server: RedisServer, redis_url: str
) -> None:
    timeout = 0.4
    store = AsyncRedisOnceStore.from_url(redis_url, timeout=timeout)
    kwargs = store.client.connection_pool.connection_kwargs
    assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (timeout, timeout)
    assert store.client.get_retry().get_retries() == 0
    expires = T0 + timedelta(hours=1)
    assert await store.claim("warm", expires_at=expires)
    redis_server.pause()
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError):
            await store.begin(["a", "b"], holder="h", lease=timedelta(seconds=5))
        elapsed = time.monotonic() - started
    finally:
        redis_server.resume()
    assert elapsed < timeout * 1.9, elapsed  # a generous bound: a retry would double it
    await store.aclose()
