"""The fuzz suite in CI: every target, a bounded number of examples, only bisnap errors.

The full run is `python benchmarks/fuzz.py --examples 100000` (the same targets).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.property.fuzz_targets import TARGETS, Target, outcome

#: Examples per target in CI (the RSA signing targets cost ~1 ms an example).
CI_EXAMPLES = 60


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_only_bisnap_errors(target: Target) -> None:
    @settings(
        max_examples=CI_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(target.strategy)
    def probe(example: Any) -> None:
        err = outcome(target, example)
        if err is not None:
            raise AssertionError(
                f"{target.name}: {type(err).__name__}: {err} for input {example!r}"[:2000]
            ) from err

    probe()
