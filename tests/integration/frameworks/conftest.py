"""Fixtures for the framework integrations: a stand-in Midtrans key, signed deliveries, a
recording handler, and the fixed clock every app under test reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bisnap import JAKARTA, FixedClock, KeyPair, generate_key_pair
from tests.integration.frameworks._support import Deliveries, Recorder


@pytest.fixture(scope="session")
def midtrans() -> KeyPair:
    """The stand-in for Midtrans's notification key pair."""
    return generate_key_pair()


@pytest.fixture(scope="session")
def forger() -> KeyPair:
    """A key that is not Midtrans's."""
    return generate_key_pair()


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    """The clock of the apps under test and of the deliveries (one per module, like the apps:
    a test that advances it puts it back)."""
    return FixedClock(datetime(2026, 3, 5, 10, 15, 0, tzinfo=JAKARTA))


@pytest.fixture(autouse=True)
def _next_second(clock: FixedClock) -> None:
    """Each test signs at its own X-TIMESTAMP: the apps live for the module, and a signed
    request seen by an earlier test is a replay (the replay key covers the signature)."""
    clock.advance(timedelta(seconds=1))


@pytest.fixture(scope="module")
def deliveries(midtrans: KeyPair, clock: FixedClock) -> Deliveries:
    return Deliveries(midtrans, clock)


@pytest.fixture
def recorder(handler_slot: list[Recorder]) -> Recorder:
    """A fresh recording handler, installed in the (module-scoped) apps under test."""
    fresh = Recorder()
    handler_slot[0] = fresh
    return fresh


@pytest.fixture(scope="module")
def handler_slot() -> list[Recorder]:
    """Where the apps under test find the current test's recorder."""
    return [Recorder()]
