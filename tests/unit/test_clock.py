"""The injected clock and SNAP's Jakarta day (bisnap.clock)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

import pytest

from bisnap.clock import (
    JAKARTA,
    Clock,
    FixedClock,
    SystemClock,
    end_of_jakarta_day,
    jakarta_day,
    jakarta_day_and_end,
)
from bisnap.errors import ConfigurationError

T0 = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)


def test_jakarta_is_wib_utc_plus_seven() -> None:
    assert JAKARTA.utcoffset(None) == timedelta(hours=7)
    assert JAKARTA.tzname(None) == "WIB"


def test_system_clock_is_aware_utc_and_a_clock() -> None:
    now = SystemClock().now()
    assert now.utcoffset() == timedelta(0)
    assert isinstance(SystemClock(), Clock)
    assert repr(SystemClock()) == "SystemClock()"


def test_fixed_clock_stands_still_until_moved() -> None:
    clock = FixedClock(T0)
    assert clock.now() == clock.now() == T0
    clock.advance(timedelta(seconds=90))
    assert clock.now() == datetime(2024, 3, 5, 10, 38, 46, tzinfo=UTC)
    clock.advance(timedelta(minutes=-2))
    assert clock.now() == datetime(2024, 3, 5, 10, 36, 46, tzinfo=UTC)
    clock.set(datetime(2030, 1, 1, tzinfo=JAKARTA))
    assert clock.now() == datetime(2029, 12, 31, 17, 0, tzinfo=UTC)
    assert isinstance(clock, Clock)
    assert repr(clock) == "FixedClock('2030-01-01T00:00:00+07:00')"


def test_fixed_clock_advances_exactly_under_threads() -> None:
    clock = FixedClock(T0)

    def tick() -> None:
        for _ in range(500):
            clock.advance(timedelta(microseconds=1))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == T0 + timedelta(microseconds=2000)


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> None:
        return None

    def dst(self, dt: datetime | None) -> None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "none"


@pytest.mark.parametrize(
    "bad",
    [
        datetime(2024, 3, 5, 10, 0),  # noqa: DTZ001 (a naive datetime is the point)
        datetime(2024, 3, 5, tzinfo=_NoOffset()),
        "2024-03-05",
        0,
    ],
    ids=["naive", "tzinfo-without-offset", "str", "int"],
)
def test_fixed_clock_rejects_what_is_not_an_aware_datetime(bad: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FixedClock(bad)
    assert caught.value.hint
    clock = FixedClock(T0)
    with pytest.raises(ConfigurationError):
        clock.set(bad)
    assert clock.now() == T0


@pytest.mark.parametrize(
    ("at", "day", "end"),
    [
        # 16:59:59 UTC is 23:59:59 WIB: still the 5th in Jakarta.
        (
            datetime(2024, 3, 5, 16, 59, 59, tzinfo=UTC),
            "2024-03-05",
            datetime(2024, 3, 6, 0, 0, tzinfo=JAKARTA),
        ),
        # 17:00 UTC is midnight WIB: the 6th has begun in Jakarta while UTC is on the 5th.
        (
            datetime(2024, 3, 5, 17, 0, tzinfo=UTC),
            "2024-03-06",
            datetime(2024, 3, 7, 0, 0, tzinfo=JAKARTA),
        ),
        # Another zone: 08:00 at -05:00 is 20:00 WIB the same day.
        (
            datetime(2024, 2, 28, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2024-02-28",
            datetime(2024, 2, 29, 0, 0, tzinfo=JAKARTA),
        ),
        # Leap day rolls to March.
        (
            datetime(2024, 2, 29, 12, 0, tzinfo=JAKARTA),
            "2024-02-29",
            datetime(2024, 3, 1, 0, 0, tzinfo=JAKARTA),
        ),
    ],
)
def test_jakarta_day_and_its_end(at: datetime, day: str, end: datetime) -> None:
    assert jakarta_day(at) == day
    assert end_of_jakarta_day(at) == end
    assert jakarta_day_and_end(at) == (day, end)


def test_jakarta_day_never_overflows_at_the_ends_of_the_range() -> None:
    last = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    assert jakarta_day(last) == "9999-12-31"
    assert end_of_jakarta_day(last) == datetime.max.replace(tzinfo=JAKARTA)
    first = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=12)))
    assert jakarta_day(first) == "0001-01-01"
    assert end_of_jakarta_day(first) == datetime(1, 1, 2, tzinfo=JAKARTA)
