"""Fixtures for the framework integrations: a stand-in Midtrans key, signed deliveries, a
recording handler, and the fixed clock every app under test reads."""

from __future__ import annotations

from datetime import datetime

import pytest

from bisnap import JAKARTA, FixedClock, KeyPair, generate_key_pair
from tests.integration.frameworks._support import Deliveries, Recorder


@pytest.fixture(scope="session")
def midtrans() -> KeyPair:
    """The stand-in for Midtrans's notification key pair."""
    return generate_key_pair()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 5, 10, 15, 0, tzinfo=JAKARTA))


@pytest.fixture
def deliveries(midtrans: KeyPair, clock: FixedClock) -> Deliveries:
    return Deliveries(midtrans, clock)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
