"""The fuzz suite at full count: per target, inputs tried and non-bisnap exceptions.

Run: `python benchmarks/fuzz.py --examples 100000 [--only NAME ...]`. The targets and their
hypothesis strategies are `tests/property/fuzz_targets.py` (CI runs the same targets with a
bounded count in `tests/property/test_fuzz.py`). The goal is 0 non-bisnap exceptions.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings

from tests.property.fuzz_targets import TARGETS, Target, outcome


def run(target: Target, examples: int) -> tuple[int, list[tuple[Any, BaseException]]]:
    """Generate `examples` inputs for `target` (no shrinking); return tried and failures."""
    tried = 0
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
        tried += 1
        err = outcome(target, example)
        if err is not None:
            failures.append((example, err))

    probe()
    return tried, failures


def main() -> None:
    """Run every target (or those named with --only) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="inputs per target")
    parser.add_argument("--only", nargs="*", default=None, help="target names to run")
    args = parser.parse_args()
    total_tried = total_failed = 0
    print(f"{'target':<36} {'inputs tried':>13} {'non-bisnap':>11} {'seconds':>8}")
    for target in TARGETS:
        if args.only and target.name not in args.only:
            continue
        start = time.perf_counter()
        tried, failures = run(target, args.examples)
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
