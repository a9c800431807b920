"""Load generator for `bench_emulator.py`: a separate process, bounded in count and time.

Reads its job as JSON on stdin (so the client secret is never on the command line):
`{"host", "port", "path", "mode": "signed"|"plain", "concurrency", "requests", "warmup",
"max_seconds", "token", "client_secret", "partner_id", "channel_id", "expect"}`.
Keeps `concurrency` HTTP/1.1 keep-alive connections busy with raw asyncio streams (so the
generator is cheap next to the server), signs every request afresh (new X-EXTERNAL-ID and
HMAC-SHA512) in `signed` mode, and prints one JSON line: requests, seconds, rps, p50/p99
latency (ms), errors. Stops after `requests` or `max_seconds`, whichever comes first.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import sys
import time
from typing import Any

_TS = "2024-03-05T10:00:00+07:00"


def _request_factory(job: dict[str, Any]) -> Any:
    path = str(job["path"])
    host = f"{job['host']}:{job['port']}"
    body = json.dumps({"accountNo": "0000000000"}, separators=(",", ":")).encode()
    digest = hashlib.sha256(body).hexdigest()
    token = str(job.get("token", ""))
    secret = str(job.get("client_secret", "")).encode()
    counter = itertools.count(1)
    signed = job["mode"] == "signed"
    prefix = f"POST:{path}:{token}:{digest}:".encode()

    def build() -> bytes:
        xid = f"{next(counter):020d}"
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            f"X-TIMESTAMP: {_TS}",
            f"X-PARTNER-ID: {job.get('partner_id', 'p')}",
            f"X-EXTERNAL-ID: {xid}",
            f"CHANNEL-ID: {job.get('channel_id', '95221')}",
        ]
        if signed:
            mac = hmac.new(secret, prefix + _TS.encode(), hashlib.sha512).digest()
            lines.append(f"Authorization: Bearer {token}")
            lines.append(f"X-SIGNATURE: {base64.b64encode(mac).decode()}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    return build


async def _connection(
    job: dict[str, Any],
    build: Any,
    budget: list[int],
    deadline: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection(job["host"], job["port"])
    expect = str(job["expect"]).encode()
    try:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            request = build()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            payload = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200") or expect not in payload:
                errors[0] += 1
    finally:
        writer.close()
        await writer.wait_closed()


async def _phase(job: dict[str, Any], build: Any, count: int, seconds: float) -> dict[str, Any]:
    budget = [count]
    latencies: list[float] = []
    errors = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(job, build, budget, deadline, latencies, errors)
            for _ in range(int(job["concurrency"]))
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)

    def pct(p: float) -> float:
        return latencies[min(n - 1, int(p * n))] * 1000 if n else 0.0

    return {
        "requests": n,
        "seconds": round(elapsed, 3),
        "rps": round(n / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(pct(0.50), 2),
        "p99_ms": round(pct(0.99), 2),
        "errors": errors[0],
    }


async def _main(job: dict[str, Any]) -> dict[str, Any]:
    build = _request_factory(job)  # one counter: X-EXTERNAL-ID never repeats across phases
    await _phase(job, build, int(job["warmup"]), float(job["max_seconds"]))
    return await _phase(job, build, int(job["requests"]), float(job["max_seconds"]))


if __name__ == "__main__":
    spec = json.loads(sys.stdin.read())
    print(json.dumps(asyncio.run(_main(spec))))
