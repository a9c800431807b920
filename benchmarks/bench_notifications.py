"""Benchmark: NotificationVerifier.verify against the raw primitives, measured in one run.

1. `verify` of a ~1 KB notification with an in-memory replay store, against the raw work
   every verifier must do: base64-decode the signature, sha256 the body, build the string
   to sign, RSA-verify it (`cryptography`), `json.loads` the body and insert a replay key
   into a set. CPU time (`time.process_time`), rounds interleaved, the best kept. Each
   call verifies its own signed request (the same one twice is a replay). Twice: with
   X-TIMESTAMP shared by the burst (a batch sent in one second: the verifier remembers
   the last one parsed), and with every call its own X-TIMESTAMP (nothing remembered).
2. With the Redis replay store: the cost `verify` adds over the in-memory run (its two
   keys claimed by one Lua script), against one raw redis-py `SET key 1 NX PXAT` round
   trip, in wall-clock time. The script starts its own
   `redis-server` on a free loopback port and stops it at the end.

Prints ratios only (plus the absolute times they come from); it asserts nothing about
speed. Run: `.venv/bin/python benchmarks/bench_notifications.py [--quick]`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap import Clock, FixedClock, MemoryOnceStore, SystemClock
from bisnap.clock import JAKARTA
from bisnap.notifications import NotificationVerifier

PATH = "/v1.0/debit/notify"


def notification_body() -> bytes:
    """A ~1 KB debit notification, compact as Midtrans sends it."""
    body = {
        "createdTime": "2024-03-05T17:30:00+07:00",
        "latestTransactionStatus": "00",
        "transactionStatusDesc": "SUCCESS",
        "originalReferenceNo": "A120240305173000123456789",
        "originalPartnerReferenceNo": "order-2024-03-05-000042",
        "originalExternalId": "20240305173000000000000042",
        "merchantId": "G123456789",
        "amount": {"value": "150000.00", "currency": "IDR"},
        "finishedTime": "2024-03-05T17:37:10+07:00",
        "additionalInfo": {
            "userPaymentDetails": [
                {"payMethod": "GOPAY", "payOption": "GOPAY_WALLET", "transAmount": "150000.00"}
            ],
            "refundHistory": [
                {
                    "refundNo": "96194816941239812",
                    "partnerReferenceNo": "239850918204981205970",
                    "refundAmount": {"value": "10000.00", "currency": "IDR"},
                    "refundStatus": "00",
                    "refundDate": "2024-03-05T17:40:16+07:00",
                    "reason": "Customer complaint: item arrived damaged",
                }
            ],
            "totalRefundAmount": {"value": "10000.00", "currency": "IDR"},
            "customField": {"note": "caf\u00e9 / toko", "tags": ["a", "b", "c"]},
            "fraudStatus": "accept",
            "validUpTo": "2024-03-06T17:30:00+07:00",
            "padding": "x" * 230,
        },
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def best(
    fn: Callable[[int], None],
    n: int,
    repeat: int,
    setup: Callable[[], None] | None = None,
    timer: Callable[[], float] = time.process_time,
) -> float:
    """Best-of-`repeat` seconds per call of `fn` run `n` times (fn gets the index).

    `setup` runs before each timed repeat, outside the timing. `timer` is CPU time by
    default (the work itself, not the machine's other load); the Redis part passes the
    wall clock, since a round trip is mostly waiting.
    """
    times = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        start = timer()
        for i in range(n):
            fn(i)
        times.append((timer() - start) / n)
    return min(times)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; yields its URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit("redis-server is not on PATH (apt-get install -y redis-server)")
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(  # noqa: S603 - a fixed local executable
            [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                        s.sendall(b"PING\r\n")
                        if s.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start")
                time.sleep(0.02)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    parser.add_argument("--no-redis", action="store_true", help="skip the Redis part")
    parser.add_argument(
        "--system-clock",
        action="store_true",
        help="verifiers read SystemClock (UTC) instead of a FixedClock at the same instant",
    )
    args = parser.parse_args()
    n, repeat, rounds = (300, 3, 1) if args.quick else (1000, 3, 4)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = notification_body()
    # Stand at the real now so Redis (which expires keys on its own clock) keeps the keys.
    now = datetime.now(JAKARTA).replace(microsecond=0)
    timestamp = now.isoformat()
    print(f"body: {len(body)} bytes; RSA-2048; best of {rounds}x{repeat} runs of {n} calls")

    # Every verify call needs its own signed request (the same one twice is a replay):
    # a pool of distinct bodies, each signed, made before any timing. Notifications sent
    # together share X-TIMESTAMP's second; the `spread` pool gives every call its own
    # X-TIMESTAMP (milliseconds apart), the case where nothing about it is remembered.
    def signed_pool(size: int, *, spread: bool) -> list[tuple[bytes, str, str]]:
        pool = []
        for j in range(size):
            b = body.replace(b"000000000042", f"{j:012d}".encode())
            stamp = (
                (now - timedelta(milliseconds=j)).isoformat(timespec="milliseconds")
                if spread
                else timestamp
            )
            sts = f"POST:{PATH}:{hashlib.sha256(b).hexdigest()}:{stamp}"
            sig = key.sign(sts.encode(), padding.PKCS1v15(), hashes.SHA256())
            pool.append((b, base64.b64encode(sig).decode(), stamp))
        return pool

    pools = {"burst": signed_pool(n, spread=False), "spread": signed_pool(n, spread=True)}
    pool = pools["burst"]
    seen: set[bytes] = set()

    def raw_over(chosen: list[tuple[bytes, str, str]]) -> Callable[[int], None]:
        def raw(i: int) -> None:
            b, s64, stamp = chosen[i]
            sig = base64.b64decode(s64)
            sts = f"POST:{PATH}:{hashlib.sha256(b).hexdigest()}:{stamp}".encode()
            public.verify(sig, sts, padding.PKCS1v15(), hashes.SHA256())
            json.loads(b)
            seen.add(sts)

        return raw

    raw = raw_over(pool)

    def headers(entry: tuple[bytes, str, str], i: int, run: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-TIMESTAMP": entry[2],
            "X-SIGNATURE": entry[1],
            "X-PARTNER-ID": "G123456789",
            "X-EXTERNAL-ID": f"{run}{i:012d}",
        }

    # A FixedClock standing at the real now (WIB), or the real clock (UTC): the window is
    # checked against it on every call either way.
    clock: Clock = SystemClock() if args.system_clock else FixedClock(now)

    batches = iter(range(1_000_000))
    prepared: list[dict[str, str]] = []
    current = {"pool": pool}

    def fresh_ids() -> None:
        # A new X-EXTERNAL-ID for every call, made before the timing starts; a fresh
        # replay store too, since the pool's signed requests are reused between repeats.
        batch = next(batches)
        chosen = current["pool"]
        prepared[:] = [headers(chosen[j], j, f"b{batch}-") for j in range(n)]
        memory.verifier = in_memory()

    class Holder:
        """The verifier under test (the in-memory one is made anew per repeat)."""

        def __init__(self, verifier: NotificationVerifier) -> None:
            self.verifier = verifier

    def run_verify(holder: Holder) -> Callable[[int], None]:
        def call(i: int) -> None:
            holder.verifier.verify(
                method="POST", path=PATH, headers=prepared[i], body=current["pool"][i][0]
            )

        return call

    def in_memory() -> NotificationVerifier:
        return NotificationVerifier(
            public_key=pem,
            clock=clock,
            replay_store=MemoryOnceStore(clock=clock),
            window=timedelta(minutes=5),
        )

    def fresh_over(name: str) -> Callable[[], None]:
        def setup() -> None:
            current["pool"] = pools[name]
            fresh_ids()

        return setup

    memory = Holder(in_memory())
    fresh_ids()
    raw(0)
    run_verify(memory)(0)
    # Interleaved rounds, keeping each measurement's best: shared machines drift.
    raw_spread = raw_over(pools["spread"])
    t_raw = t_mem = t_raw_spread = t_spread = float("inf")
    for _ in range(rounds):
        t_raw = min(t_raw, best(raw, n, repeat))
        t_mem = min(t_mem, best(run_verify(memory), n, repeat, fresh_over("burst")))
        t_raw_spread = min(t_raw_spread, best(raw_spread, n, repeat))
        t_spread = min(t_spread, best(run_verify(memory), n, repeat, fresh_over("spread")))
    current["pool"] = pool
    print("X-TIMESTAMP shared by the burst (as Midtrans sends a batch):")
    print(f"raw b64+sha256+RSA+json+set    {t_raw * 1e6:7.1f} us  (CPU time)")
    print(f"verify, in-memory replay store {t_mem * 1e6:8.1f} us")
    print(f"ratio verify / raw             {t_mem / t_raw:8.3f}x   (target <= 1.3x)")
    print("every call its own X-TIMESTAMP (nothing remembered):")
    print(f"raw b64+sha256+RSA+json+set    {t_raw_spread * 1e6:7.1f} us  (CPU time)")
    print(f"verify, in-memory replay store {t_spread * 1e6:8.1f} us")
    print(f"ratio verify / raw             {t_spread / t_raw_spread:8.3f}x   (target <= 1.3x)")

    if args.no_redis:
        return
    import redis

    from bisnap.stores.redis import RedisOnceStore

    with redis_server() as url:
        store = RedisOnceStore.from_url(url, timeout=2)
        via_redis = Holder(
            NotificationVerifier(
                public_key=pem, clock=clock, replay_store=store, window=timedelta(minutes=5)
            )
        )
        client = redis.Redis.from_url(url, socket_timeout=2)
        pxat = int((now + timedelta(days=1)).timestamp() * 1000)

        keys = iter(range(10**9))

        def raw_set(_: int) -> None:
            client.set(f"raw:{next(keys)}", b"1", nx=True, pxat=pxat)

        fresh_ids()
        client.flushall()
        raw_set(0)
        run_verify(via_redis)(0)
        expires = now + timedelta(days=1)

        def claim(_: int) -> None:
            store.claim(f"claim:{next(keys)}", expires_at=expires)

        def fresh_redis() -> None:
            fresh_ids()
            client.flushall()  # the pool's signed requests are reused between repeats

        wall = time.perf_counter
        t_set = t_red = t_claim = t_mem = float("inf")
        for _ in range(rounds):
            t_set = min(t_set, best(raw_set, n, repeat, timer=wall))
            t_claim = min(t_claim, best(claim, n, repeat, timer=wall))
            t_red = min(t_red, best(run_verify(via_redis), n, repeat, fresh_redis, wall))
            t_mem = min(t_mem, best(run_verify(memory), n, repeat, fresh_ids, wall))
        print("Redis part: wall-clock time (a round trip is mostly waiting)")
        added = t_red - t_mem
        print(f"raw redis-py SET NX PXAT       {t_set * 1e6:8.1f} us")
        print(f"RedisOnceStore.claim alone     {t_claim * 1e6:8.1f} us")
        print(f"verify, Redis replay store     {t_red * 1e6:8.1f} us")
        print(f"added by Redis per notification {added * 1e6:7.1f} us")
        print(f"ratio added / raw SET          {added / t_set:8.3f}x")
        print(f"ratio claim / raw SET          {t_claim / t_set:8.3f}x")
        store.close()
        client.close()


if __name__ == "__main__":
    main()
