"""Emulator throughput: signed service calls per second on loopback, against a baseline.

Run: `python benchmarks/bench_emulator.py [--requests 20000] [--concurrency 16]`.

The emulator runs in this process (uvicorn in a thread, one worker); the load generator
(`emulator_loadgen.py`) runs as a separate process and stops by itself (bounded count and
time). For each uvicorn HTTP implementation (h11, and httptools from the emulator extra)
and each event loop (asyncio, and uvloop from the extra where it installs) it measures:

- baseline: `POST /_bench/ping`, a trivial Starlette route on the same server;
- signed:   `POST /v1.0/balance-inquiry`, every request freshly signed (new X-EXTERNAL-ID,
            HMAC-SHA512 over the body) and checked in full (token, headers, signature,
            fields, external-id uniqueness), answering `2001100`.

Each line prints requests/s, p50 and p99 latency, the server's CPU time per request (what
the machine's other load barely moves; 1 s / that = one worker's CPU-bound ceiling), and
signed/baseline as a ratio; the
target is >= 2,000 signed requests/s at concurrency 16 on 2 cores (`--cpus 0,1` pins the
whole benchmark, server and load generator, to those CPUs).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bisnap.clock import FixedClock
from bisnap.emulator import Emulator, EmulatorConfig, ThreadedServer, create_app
from bisnap.timestamps import parse_timestamp

LOADGEN = Path(__file__).with_name("emulator_loadgen.py")
TS = "2024-03-05T10:00:00+07:00"


async def ping(request: Request) -> Response:
    """The baseline: read the body, answer a fixed JSON."""
    await request.body()
    return Response(b'{"responseCode":"2000000"}', media_type="application/json")


def run_load(job: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run the load generator process with `job`; return its result.

    Adds `server_cpu_us`: this process's CPU time (the server thread; the main thread only
    waits) per request, warm-up included: a figure the machine's other load barely moves.
    """
    cpu = time.process_time()
    done = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(LOADGEN)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    used = time.process_time() - cpu
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    served = result["requests"] + int(job["warmup"])
    result["server_cpu_us"] = used / served * 1e6 if served else 0.0
    return result


def measure(
    http: str, loop: str, args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Baseline and signed results for one uvicorn HTTP implementation and event loop."""
    clock = FixedClock(parse_timestamp(TS))  # every request carries the same valid timestamp
    emulator = Emulator(EmulatorConfig(clock=clock))
    app = create_app(emulator, extra_routes=[Route("/_bench/ping", ping, methods=["POST"])])
    token = emulator.tokens.mint().value
    creds = emulator.credentials
    base_job: dict[str, Any] = {
        "host": "127.0.0.1",
        "concurrency": args.concurrency,
        "requests": args.requests,
        "warmup": args.warmup,
        "max_seconds": args.max_seconds,
        "partner_id": creds.partner_id,
        "channel_id": creds.channel_id,
    }
    with ThreadedServer(app, http=http, loop=loop) as server:
        base_job["port"] = server.port
        baseline = run_load(
            {**base_job, "path": "/_bench/ping", "mode": "plain", "expect": "2000000"},
            timeout=args.max_seconds * 2 + 60,
        )
        signed = run_load(
            {
                **base_job,
                "path": "/v1.0/balance-inquiry",
                "mode": "signed",
                "expect": "2001100",
                "token": token,
                "client_secret": creds.client_secret.reveal(),
            },
            timeout=args.max_seconds * 2 + 60,
        )
    return baseline, signed


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument(
        "--cpus", default=None, help="pin this process and the load generator, e.g. 0,1"
    )
    args = parser.parse_args()
    if args.cpus:
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})  # inherited by children
    impls = ["h11"] + (["httptools"] if importlib.util.find_spec("httptools") else [])
    loops = ["asyncio"] + (["uvloop"] if importlib.util.find_spec("uvloop") else [])
    cpus = len(os.sched_getaffinity(0))
    print(
        f"emulator throughput, loopback, concurrency {args.concurrency}, {cpus} CPUs, "
        f"{args.requests} requests after {args.warmup} warm-up (load generator: own process)"
    )
    head = f"{'http':<10} {'loop':<8} {'route':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    print(f"{head} {'errors':>7} {'server CPU/req':>15}")
    for http in impls:
        for loop in loops:
            baseline, signed = measure(http, loop, args)
            for name, result in (
                ("baseline /_bench/ping", baseline),
                ("signed balance-inquiry", signed),
            ):
                print(
                    f"{http:<10} {loop:<8} {name:<24} {result['rps']:>9.0f} "
                    f"{result['p50_ms']:>8.2f} {result['p99_ms']:>8.2f} {result['errors']:>7} "
                    f"{result['server_cpu_us']:>12.0f} us"
                )
            ratio = signed["rps"] / baseline["rps"] if baseline["rps"] else 0.0
            ceiling = 1e6 / signed["server_cpu_us"] if signed["server_cpu_us"] else 0.0
            print(
                f"{http:<10} {loop:<8} signed/baseline {ratio:.2f}; "
                f"signed {signed['rps']:.0f} req/s (target: >= 2000); one worker's CPU "
                f"ceiling {ceiling:.0f} req/s"
            )
    if "httptools" not in impls:
        print("httptools is not installed: only h11 measured (pip install 'bisnap[emulator]')")


if __name__ == "__main__":
    main()
