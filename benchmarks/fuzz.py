"""The fuzz suite at full count: per target, inputs tried and non-bisnap exceptions.

Run: `python benchmarks/fuzz.py --examples 100000 [--seconds S] [--only NAME ...]`
(`--seconds` caps each target's wall time, for a run that must fit a time budget). The
targets and their hypothesis strategies are `tests/property/fuzz_targets.py` (CI runs the
same targets with a bounded count in `tests/property/test_fuzz.py`). The goal is 0
non-bisnap exceptions.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings

from tests.property.fuzz_targets import TARGETS, Target, outcome


class _OutOfTimeError(Exception):
    pass


def run(
    target: Target, examples: int, seconds: float | None = None
) -> tuple[int, list[tuple[Any, BaseException]]]:
    """Generate `examples` inputs for `target` (no shrinking), for at most `seconds`.

    Returns the number of inputs tried and the failures (input, non-bisnap exception).
    """
    tried = 0
    stop = None if seconds is None else time.perf_counter() + seconds
    failures: list[tuple[Any, BaseException]] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(target.strategy)
    def probe(example: Any) -> None:
        nonlocal tried
        if stop is not None and time.perf_counter() > stop:
            raise _OutOfTimeError
        tried += 1
        err = outcome(target, example)
        if err is not None:
            failures.append((example, err))

    with contextlib.suppress(_OutOfTimeError):
        probe()
    return tried, failures


def main() -> None:
    """Run every target (or those named with --only) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="inputs per target")
    parser.add_argument("--seconds", type=float, default=None, help="wall-time cap per target")
    parser.add_argument("--only", nargs="*", default=None, help="target names to run")
    args = parser.parse_args()
    total_tried = total_failed = 0
    print(f"{'target':<36} {'inputs tried':>13} {'non-bisnap':>11} {'seconds':>8}")
    for target in TARGETS:
        if args.only and target.name not in args.only:
            continue
        start = time.perf_counter()
        tried, failures = run(target, args.examples, args.seconds)
        elapsed = time.perf_counter() - start
        total_tried += tried
        total_failed += len(failures)
        print(f"{target.name:<36} {tried:>13,} {len(failures):>11,} {elapsed:>8.1f}", flush=True)
        kinds = Counter(type(err).__name__ for _, err in failures)
        for kind, count in kinds.most_common():
            example, err = next((e, x) for e, x in failures if type(x).__name__ == kind)
            print(f"    {count} x {kind}: {str(err)[:200]!r}")
            print(f"      first input: {example!r}"[:600])
    print(f"{'total':<36} {total_tried:>13,} {total_failed:>11,}")


if __name__ == "__main__":
    main()
