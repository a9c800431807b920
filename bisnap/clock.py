"""The clock, injected: library code reads time only through a `Clock`.

`SystemClock` is the real one; `FixedClock` is for tests (it moves only when told to).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Protocol, runtime_checkable

from bisnap.errors import ConfigurationError

__all__ = [
    "JAKARTA",
    "Clock",
    "FixedClock",
    "SystemClock",
    "end_of_jakarta_day",
    "jakarta_day",
    "jakarta_day_and_end",
]

# SNAP: X-TIMESTAMP is the client's local time; Indonesian providers use WIB, UTC+07:00
# (shared/spec/snap-standard.md §1.3, midtrans-core.md §2.2).
JAKARTA = timezone(timedelta(hours=7), "WIB")


@runtime_checkable
class Clock(Protocol):
    """Anything with `now()` returning a timezone-aware datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class SystemClock:
    """The machine's clock (UTC, aware)."""

    def now(self) -> datetime:
        """The current time in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FixedClock:
    """A clock that stands still until `advance()` or `set()` moves it. Thread-safe."""

    def __init__(self, at: datetime) -> None:
        self._at = _aware(at)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The clock's current reading."""
        with self._lock:
            return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative delta)."""
        with self._lock:
            self._at = self._at + delta

    def set(self, at: datetime) -> None:
        """Jump to `at` (timezone-aware)."""
        at = _aware(at)
        with self._lock:
            self._at = at

    def __repr__(self) -> str:
        return f"FixedClock({self.now().isoformat()!r})"


def _aware(at: object) -> datetime:
    if not isinstance(at, datetime):
        raise ConfigurationError(
            f"FixedClock needs a datetime, not {type(at).__name__}",
            hint="Pass datetime(2024, 3, 5, 10, 0, tzinfo=bisnap.JAKARTA) or another aware one.",
        )
    if at.tzinfo is None or at.utcoffset() is None:
        raise ConfigurationError(
            "FixedClock needs a timezone-aware datetime",
            hint="Give it a tzinfo: datetime(..., tzinfo=bisnap.JAKARTA) or tzinfo=UTC.",
        )
    return at


def jakarta_day(at: datetime) -> str:
    """The calendar day (YYYY-MM-DD) of `at` in Jakarta time: SNAP's "same day"."""
    return jakarta_day_and_end(at)[0]


def end_of_jakarta_day(at: datetime) -> datetime:
    """Midnight after `at`, Jakarta time: when a per-day key may be forgotten."""
    return jakarta_day_and_end(at)[1]


_LAST_INSTANT = datetime.max.replace(tzinfo=JAKARTA)


def jakarta_day_and_end(at: datetime) -> tuple[str, datetime]:
    """The Jakarta day of `at` (YYYY-MM-DD) and the midnight that ends it, in one step.

    The one home of "unique per day" (replay keys, X-EXTERNAL-ID registries). Near the
    ends of the datetime range (year 1, year 9999) the day is clamped to the range and the
    end to `datetime.max`: never an OverflowError.
    """
    # SNAP: X-EXTERNAL-ID is unique "in the same day" (snap-standard.md §1.3); bisnap
    # takes the day in WIB, the providers' local time.
    try:
        local = at.astimezone(JAKARTA)
    except OverflowError:
        local = (
            datetime.max.replace(tzinfo=JAKARTA)
            if at.year >= 9999
            else datetime.min.replace(tzinfo=JAKARTA)
        )
    day = local.date()
    try:
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=JAKARTA)
    except OverflowError:
        end = _LAST_INSTANT
    return day.isoformat(), end
