"""Store protocols and the in-memory implementations.

A *once-store* answers one question atomically: "is this key new? then it is mine until
`expires_at`". Replay protection (partner id + external id per day) and X-EXTERNAL-ID
uniqueness both stand on it.
"""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from typing import Protocol, runtime_checkable

from bisnap.clock import JAKARTA, Clock, SystemClock

__all__ = ["AsyncOnceStore", "MemoryOnceStore", "OnceStore", "end_of_jakarta_day"]


def end_of_jakarta_day(at: datetime) -> datetime:
    """Midnight after `at`, Jakarta time: when a per-day key may be forgotten."""
    local = at.astimezone(JAKARTA)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=JAKARTA)


@runtime_checkable
class OnceStore(Protocol):
    """Atomic first-claim of a key until an expiry (sync)."""

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed; False if it was already claimed."""
        ...


@runtime_checkable
class AsyncOnceStore(Protocol):
    """Atomic first-claim of a key until an expiry (async)."""

    async def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed; False if it was already claimed."""
        ...


class MemoryOnceStore:
    """In-process once-store (thread-safe), forgetting keys after their expiry.

    Usable from sync code (`claim`) and async code (`aclaim`, or wrap with `as_async()`).
    """

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._keys: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._claims = 0

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free (or expired) and is now claimed until `expires_at`."""
        now = self._clock.now()
        with self._lock:
            self._claims += 1
            if self._claims % 1024 == 0:
                self._purge(now)
            current = self._keys.get(key)
            if current is not None and current > now:
                return False
            self._keys[key] = expires_at
            return True

    async def aclaim(self, key: str, *, expires_at: datetime) -> bool:
        """Async form of `claim` (never blocks on I/O)."""
        return self.claim(key, expires_at=expires_at)

    def as_async(self) -> AsyncMemoryOnceStore:
        """This store behind the async protocol."""
        return AsyncMemoryOnceStore(self)

    def _purge(self, now: datetime) -> None:
        for key in [k for k, exp in self._keys.items() if exp <= now]:
            del self._keys[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def __repr__(self) -> str:
        return f"MemoryOnceStore(keys={len(self)})"


class AsyncMemoryOnceStore:
    """`MemoryOnceStore` seen through `AsyncOnceStore`."""

    def __init__(self, store: MemoryOnceStore) -> None:
        self._store = store

    async def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed."""
        return self._store.claim(key, expires_at=expires_at)

    def __repr__(self) -> str:
        return f"AsyncMemoryOnceStore({self._store!r})"
