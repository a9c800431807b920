"""The in-memory once-store (the protocols live in `bisnap.stores.protocols`).

A *once-store* answers one question atomically: "is this key new? then it is mine until
`expires_at`". Replay protection (the signed request, and partner id + external id per
day) and X-EXTERNAL-ID uniqueness both stand on it. `MemoryOnceStore` also implements
`ClaimStore`: claims over several keys, held in progress for a lease, then committed or
released (`NotificationVerifier.receive`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from bisnap.clock import Clock, SystemClock, end_of_jakarta_day
from bisnap.stores.protocols import AsyncOnceStore, ClaimState, OnceStore

__all__ = [
    "AsyncMemoryOnceStore",
    "AsyncOnceStore",
    "MemoryOnceStore",
    "OnceStore",
    "end_of_jakarta_day",
]

#: The stored marks: accepted at once (`claim`, `claim_all`), processed (`commit`), and
#: in progress for a holder (`begin`). Shared with the Redis store, so both read alike.
ACCEPTED: Final = "1"
PROCESSED: Final = "c"
IN_PROGRESS: Final = "p:"

_FIRST_SWEEP: Final = 1024  # keys held before the first sweep of expired ones


class MemoryOnceStore:
    """In-process once-store and claim store (thread-safe), forgetting keys after expiry.

    Usable from sync code (`claim`, `claim_all`, `begin`, `commit`, `release`) and async
    code (wrap with `as_async()`; `aclaim` stays for older callers).
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._keys: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()
        # Expired keys are swept when the store has doubled since the last sweep: each
        # sweep reads every key, so the cost per claim stays constant however many keys a
        # day holds (a fixed period would read them all every N claims: quadratic).
        self._sweep_at = _FIRST_SWEEP

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free (or expired) and is now claimed until `expires_at`."""
        return self._take((key,), ACCEPTED, expires_at) == "claimed"

    def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none."""
        stored = self._keys
        with self._lock:
            # The common case (a verified notification's keys, all new) without the clock.
            if len(stored) < self._sweep_at:
                for key in keys:
                    if key in stored:
                        break
                else:
                    entry = (ACCEPTED, expires_at)
                    for key in keys:
                        stored[key] = entry
                    return "claimed"
        return self._take(keys, ACCEPTED, expires_at)

    def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` until the lease ends, all or none."""
        return self._take(keys, IN_PROGRESS + holder, self._clock.now() + lease)

    def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at`."""
        with self._lock:
            for key in keys:
                self._keys[key] = (PROCESSED, expires_at)

    def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress."""
        mark = IN_PROGRESS + holder
        with self._lock:
            for key in keys:
                current = self._keys.get(key)
                if current is not None and current[0] == mark:
                    del self._keys[key]

    async def aclaim(self, key: str, *, expires_at: datetime) -> bool:
        """Async form of `claim` (never blocks on I/O)."""
        return self.claim(key, expires_at=expires_at)

    def as_async(self) -> AsyncMemoryOnceStore:
        """This store behind the async protocols."""
        return AsyncMemoryOnceStore(self)

    def _take(self, keys: Sequence[str], mark: str, until: datetime) -> ClaimState:
        stored = self._keys
        with self._lock:
            if len(stored) >= self._sweep_at:
                self._sweep(self._clock.now())
            state: ClaimState = "claimed"
            now = None  # read only when a key is already stored: new keys need no clock
            for key in keys:
                current = stored.get(key)
                if current is None:
                    continue
                if now is None:
                    now = self._clock.now()
                if current[1] > now:
                    if current[0] == PROCESSED:
                        return "processed"
                    state = "in_progress"
            if state == "claimed":
                entry = (mark, until)
                for key in keys:
                    stored[key] = entry
            return state

    def _sweep(self, now: datetime) -> None:
        for key in [k for k, (_, exp) in self._keys.items() if exp <= now]:
            del self._keys[key]
        self._sweep_at = max(_FIRST_SWEEP, 2 * len(self._keys))

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def __repr__(self) -> str:
        return f"MemoryOnceStore(keys={len(self)})"


class AsyncMemoryOnceStore:
    """`MemoryOnceStore` seen through `AsyncOnceStore` / `AsyncClaimStore`."""

    def __init__(self, store: MemoryOnceStore) -> None:
        self._store = store

    async def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed."""
        return self._store.claim(key, expires_at=expires_at)

    async def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none."""
        return self._store.claim_all(keys, expires_at=expires_at)

    async def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` until the lease ends, all or none."""
        return self._store.begin(keys, holder=holder, lease=lease)

    async def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at`."""
        self._store.commit(keys, holder=holder, expires_at=expires_at)

    async def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress."""
        self._store.release(keys, holder=holder)

    def __repr__(self) -> str:
        return f"AsyncMemoryOnceStore({self._store!r})"
