"""Token benchmarks: ratios against raw primitives measured in the same run.

Run: `python benchmarks/bench_tokens.py` (starts its own redis-server on a free port when
`redis-server` is on PATH; the Redis part is reported as skipped otherwise).

1. Cache hit from memory: `TokenProvider.get()` vs a plain dict lookup of the token.
2. Cache hit from Redis: `TokenProvider.get()` on a `RedisTokenStore` vs a raw redis-py GET
   of the same key with the same client settings (target ≤ 1.2×).
3. 1,000 asyncio tasks on an expired token: exactly one fetch; the time to serve all of them
   vs one fetch alone (target ≤ 1.5×).
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bisnap import (
    AccessToken,
    AsyncTokenProvider,
    TokenProvider,
    generate_key_pair,
)
from bisnap.tokens import token_store_key

BASE = "https://bench.invalid"
CLIENT_KEY = "G-BENCH"
FETCH_LATENCY = 0.05  # seconds the mock token endpoint takes to answer
KEYS = generate_key_pair()


def _answer(number: int) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "responseCode": "2007300",
            "responseMessage": "Successful",
            "accessToken": f"bench-token-{number}",
            "tokenType": "Bearer",
            "expiresIn": "900",
        },
    )


def _best_per_call(fn: Callable[[], object], calls: int, rounds: int = 5) -> float:
    """Best-of-rounds seconds per call."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def _sync_provider(**options: object) -> TokenProvider:
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        return _answer(count)

    return TokenProvider(
        base_url=BASE,
        client_key=CLIENT_KEY,
        private_key=KEYS.private_key,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
        **options,  # type: ignore[arg-type]
    )


def bench_memory() -> None:
    provider = _sync_provider()
    token = provider.get()
    plain = {token_store_key(BASE, CLIENT_KEY): token}
    key = token_store_key(BASE, CLIENT_KEY)
    calls = 200_000
    baseline = _best_per_call(lambda: plain[key], calls)
    ours = _best_per_call(provider.get, calls)
    print("1. cache hit from memory")
    print(f"   dict lookup           {baseline * 1e6:8.3f} µs")
    print(f"   TokenProvider.get()   {ours * 1e6:8.3f} µs   (aim < 2 µs)")
    print(f"   ratio                 {ours / baseline:8.1f}×")
    provider.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def bench_redis() -> None:
    print("2. cache hit from Redis")
    executable = shutil.which("redis-server")
    if executable is None:
        print("   skipped: redis-server is not on PATH")
        return
    import redis

    from bisnap.stores.redis import RedisTokenStore

    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen(  # noqa: S603 - redis-server from PATH, fixed args
            [
                executable,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                tmp,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            url = f"redis://127.0.0.1:{port}/0"
            for _ in range(500):  # wait (bounded) until the server answers
                try:
                    if redis.Redis.from_url(url, socket_timeout=0.2).ping():
                        break
                except redis.RedisError:
                    time.sleep(0.01)
            for label, encryption_key in (("plain", None), ("Fernet", _fernet_key())):
                store = RedisTokenStore.from_url(
                    url, encryption_key=encryption_key, prefix=f"bench-{label}:"
                )
                provider = _sync_provider(store=store)
                provider.get()
                raw = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
                redis_key = store.token_key(token_store_key(BASE, CLIENT_KEY))
                calls = 5_000
                baseline, ours = float("inf"), float("inf")
                for _ in range(3):  # interleave, so both share the machine's noise
                    baseline = min(baseline, _best_per_call(_getter(raw, redis_key), calls, 2))
                    ours = min(ours, _best_per_call(provider.get, calls, rounds=2))
                ratio = ours / baseline
                print(f"   [{label}] raw GET     {baseline * 1e6:8.1f} µs")
                print(f"   [{label}] get()       {ours * 1e6:8.1f} µs")
                print(f"   [{label}] ratio       {ratio:8.2f}×   (target ≤ 1.2×)")
                provider.close()
                store.close()
                raw.close()
        finally:
            server.kill()
            server.wait()


def _getter(client: redis.Redis, key: str) -> Callable[[], object]:
    return lambda: client.get(key)


def _fernet_key() -> bytes:
    from cryptography.fernet import Fernet

    return Fernet.generate_key()


async def _one_fetch() -> float:
    """Seconds for one get() on an empty cache (the fetch alone)."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(FETCH_LATENCY)
        return _answer(1)

    async with AsyncTokenProvider(
        base_url=BASE,
        client_key=CLIENT_KEY,
        private_key=KEYS.private_key,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    ) as provider:
        start = time.perf_counter()
        await provider.get()
        return time.perf_counter() - start


async def _crowd(callers: int) -> tuple[float, int, int]:
    """Seconds for `callers` tasks on an expired token; (seconds, fetches, distinct tokens)."""
    fetches = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(FETCH_LATENCY)
        return _answer(fetches)

    from bisnap import AsyncMemoryTokenStore

    store = AsyncMemoryTokenStore()
    expired = AccessToken.create(
        "old",
        expires_in=timedelta(seconds=900),
        obtained_at=datetime.now(UTC) - timedelta(hours=1),
    )
    await store.save(token_store_key(BASE, CLIENT_KEY), expired)
    async with AsyncTokenProvider(
        base_url=BASE,
        client_key=CLIENT_KEY,
        private_key=KEYS.private_key,
        store=store,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    ) as provider:
        start = time.perf_counter()
        tokens = await asyncio.gather(*(provider.get() for _ in range(callers)))
        elapsed = time.perf_counter() - start
    return elapsed, fetches, len({t.reveal() for t in tokens})


def bench_crowd() -> None:
    callers = 1_000
    alone = min(asyncio.run(_one_fetch()) for _ in range(3))
    runs = [asyncio.run(_crowd(callers)) for _ in range(3)]
    crowd, fetches, distinct = min(runs)
    print(f"3. {callers} concurrent tasks on an expired token")
    latency = f"(endpoint latency {FETCH_LATENCY * 1e3:.0f} ms)"
    print(f"   one fetch alone       {alone * 1e3:8.1f} ms  {latency}")
    print(f"   {callers} tasks          {crowd * 1e3:8.1f} ms  fetches={fetches} tokens={distinct}")
    print(f"   ratio                 {crowd / alone:8.2f}×   (target ≤ 1.5×)")
    if fetches != 1 or distinct != 1:
        raise SystemExit("FAILED: more than one fetch for the crowd")


def main() -> None:
    print(f"bisnap token benchmarks (python {sys.version.split()[0]})")
    bench_memory()
    bench_redis()
    bench_crowd()


if __name__ == "__main__":
    main()
