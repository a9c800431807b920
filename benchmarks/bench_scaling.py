"""How minify scales: 100 B to 10 MB pretty bodies against the json round trip.

Run: `python benchmarks/bench_scaling.py [--rounds N]`. For each size: bisnap's CPU time,
the round trip's (`json.dumps(json.loads(b), separators=(",", ":"), ensure_ascii=False)`,
which validates too), their ratio; and at 10 MB the peak Python memory of each call
(tracemalloc), as a multiple of the body size. Targets: ratio ≤ 0.25× at every size from
1 KB, linear growth, peak ≤ 3× the body at 10 MB.
"""

from __future__ import annotations

import argparse
import functools
import tracemalloc
from collections.abc import Callable

from bench_core import body_of, calls_for, interleaved, json_round_trip

import bisnap

SIZES = (("100 B", 100), ("1 KB", 1 << 10), ("10 KB", 10 << 10), ("100 KB", 100 << 10))
BIG = (("1 MB", 1 << 20), ("10 MB", 10 << 20))


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak Python memory allocated while `fn` runs (tracemalloc), in bytes."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def main() -> None:
    """Print the scaling table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (best kept)")
    args = parser.parse_args()
    head = f"{'size':<8} {'body bytes':>11} {'minify':>13} {'round trip':>13} {'ratio':>7}"
    print(head + f" {'µs/KB':>7}")
    for label, size in SIZES + BIG:
        body = body_of(size, pretty=True)
        ours_fn = functools.partial(bisnap.minify, body)
        base_fn = functools.partial(json_round_trip, body)
        rounds = args.rounds if size < (1 << 20) else max(3, args.rounds // 2)
        ours, base = interleaved(ours_fn, base_fn, calls_for(0.05, base_fn), rounds)
        per_kb = ours / (len(body) / 1024)
        print(
            f"{label:<8} {len(body):>11,} {ours:>10.1f} µs {base:>10.1f} µs "
            f"{ours / base:>6.3f}× {per_kb:>7.2f}"
        )
    body = body_of(10 << 20, pretty=True)
    ours_peak = peak_bytes(functools.partial(bisnap.minify, body))
    base_peak = peak_bytes(functools.partial(json_round_trip, body))
    print(
        f"peak Python memory at 10 MB (tracemalloc, body {len(body):,} B): "
        f"minify {ours_peak / 2**20:.1f} MiB ({ours_peak / len(body):.2f}× the body; target ≤ 3×), "
        f"round trip {base_peak / 2**20:.1f} MiB ({base_peak / len(body):.2f}×)"
    )


if __name__ == "__main__":
    main()
