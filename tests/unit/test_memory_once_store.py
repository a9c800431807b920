"""`MemoryOnceStore` housekeeping: expired keys are swept, at a constant cost per claim.

A sweep reads every stored key, so it runs only when the store has doubled since the last
one. The clock is read by sweeps and by claims that meet a stored key, never for a claim
of new keys: counting `now()` calls counts the sweeps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bisnap import FixedClock, MemoryOnceStore
from bisnap.clock import JAKARTA

T0 = datetime(2024, 3, 5, 17, 0, 0, tzinfo=JAKARTA)


class CountingClock:
    """A fixed clock that counts how often it is read."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.reads = 0

    def now(self) -> datetime:
        self.reads += 1
        return self.at


def test_expired_keys_are_swept_once_the_store_has_grown() -> None:
    clock = FixedClock(T0)
    store = MemoryOnceStore(clock=clock)
    soon = T0 + timedelta(seconds=1)
    for i in range(1024):
        assert store.claim(f"old:{i}", expires_at=soon)
    assert len(store) == 1024
    clock.advance(timedelta(seconds=2))
    # The next claim finds 1,024 keys held: the expired ones are swept first.
    assert store.claim("new", expires_at=T0 + timedelta(days=1))
    assert len(store) == 1
    # A swept key is free again; the live one is not.
    assert store.claim("old:7", expires_at=T0 + timedelta(days=1))
    assert not store.claim("new", expires_at=T0 + timedelta(days=1))


def test_an_expired_key_is_free_before_any_sweep() -> None:
    clock = FixedClock(T0)
    store = MemoryOnceStore(clock=clock)
    assert store.claim_all(["a", "b"], expires_at=T0 + timedelta(seconds=1)) == "claimed"
    assert store.claim_all(["a"], expires_at=T0 + timedelta(seconds=1)) == "in_progress"
    clock.advance(timedelta(seconds=1))  # expiry is exclusive: at the instant it lapses
    assert store.claim_all(["a", "b"], expires_at=T0 + timedelta(days=1)) == "claimed"
    assert len(store) == 2


def test_sweeps_grow_apart_as_live_keys_accumulate() -> None:
    # 20,000 live keys (a busy day) in 10,000 claims of two keys each. A sweep every
    # 1,024 claims would read the whole store 9 times (quadratic); doubling sweeps at
    # 1,024, 2,048, 4,096, 8,192 and 16,384 keys: 5 reads of the clock in all.
    clock = CountingClock(T0)
    store = MemoryOnceStore(clock=clock)
    tomorrow = T0 + timedelta(days=1)
    for i in range(10_000):
        assert store.claim_all((f"s:{i}", f"p:{i}"), expires_at=tomorrow) == "claimed"
    assert len(store) == 20_000
    assert clock.reads == 5


def test_a_stored_key_is_judged_on_the_clock() -> None:
    clock = CountingClock(T0)
    store = MemoryOnceStore(clock=clock)
    assert store.claim("k", expires_at=T0 + timedelta(minutes=1))
    assert clock.reads == 0  # a new key needs no clock
    assert not store.claim("k", expires_at=T0 + timedelta(minutes=1))
    assert clock.reads == 1
    clock.at = T0 + timedelta(minutes=2)
    assert store.claim("k", expires_at=T0 + timedelta(minutes=3))


def test_processed_keys_are_swept_after_they_expire_too() -> None:
    clock = FixedClock(T0)
    store = MemoryOnceStore(clock=clock)
    soon = T0 + timedelta(seconds=5)
    assert store.begin(["x"], holder="h", lease=timedelta(seconds=1)) == "claimed"
    store.commit(["x"], holder="h", expires_at=soon)
    assert store.claim_all(["x"], expires_at=soon) == "processed"
    for i in range(1000):
        store.claim(f"k:{i}", expires_at=soon)
    clock.advance(timedelta(seconds=6))
    tomorrow = T0 + timedelta(days=1)
    for i in range(24):  # the claim that finds 1,024 keys sweeps the 1,001 expired ones
        assert store.claim(f"late:{i}", expires_at=tomorrow)
    assert len(store) == 24  # the 23 claimed before the sweep, and the one that swept
    assert store.claim_all(["x"], expires_at=tomorrow) == "claimed"
