"""X-TIMESTAMP formatting and parsing; the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bisnap import (
    FixedClock,
    TimestampFormatError,
    TimestampStyle,
    format_timestamp,
    parse_timestamp,
)
from bisnap.clock import JAKARTA, SystemClock, jakarta_day

AT = datetime(2024, 3, 5, 10, 37, 16, 196_000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        (TimestampStyle.JAKARTA, "2024-03-05T17:37:16+07:00"),
        (TimestampStyle.JAKARTA_MS, "2024-03-05T17:37:16.196+07:00"),
        (TimestampStyle.UTC_Z, "2024-03-05T10:37:16Z"),
        (TimestampStyle.UTC_Z_MS, "2024-03-05T10:37:16.196Z"),
    ],
)
def test_format_styles(style: TimestampStyle, expected: str) -> None:
    assert format_timestamp(AT, style) == expected
    assert parse_timestamp(expected) == AT.replace(microsecond=196_000 if "196" in expected else 0)


def test_default_is_jakarta_whole_seconds() -> None:
    assert format_timestamp(AT) == "2024-03-05T17:37:16+07:00"
    assert format_timestamp(datetime(2024, 1, 1, 23, 0, tzinfo=UTC)) == "2024-01-02T06:00:00+07:00"


@pytest.mark.parametrize(
    ("text", "offset_minutes"),
    [
        ("2020-12-17T10:55:00+07:00", 420),
        ("2020-12-17T10:55:00+0700", 420),
        ("2020-09-22T01:51:00Z", 0),
        ("2020-09-22T01:51:00.000Z", 0),
        ("2024-10-07T08:45:22.123456Z", 0),
        ("2024-10-07T08:45:22-03:30", -210),
    ],
)
def test_parse_spellings(text: str, offset_minutes: int) -> None:
    parsed = parse_timestamp(text)
    assert parsed.utcoffset() == timedelta(minutes=offset_minutes)


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-01T10:00:00",
        "2024-01-01 10:00:00+07:00",
        "",
        "yesterday",
        "2024-13-01T00:00:00Z",
        "2024-01-01T10:00:00+25:00",
        "2024-02-30T00:00:00Z",
        " 2024-01-01T10:00:00Z",
    ],
)
def test_malformed_timestamps(text: str) -> None:
    with pytest.raises(TimestampFormatError) as info:
        parse_timestamp(text)
    assert info.value.hint and isinstance(info.value, ValueError)


def test_naive_values_are_refused() -> None:
    with pytest.raises(TimestampFormatError, match="no UTC offset"):
        parse_timestamp("2024-01-01T10:00:00")
    with pytest.raises(TimestampFormatError):
        format_timestamp(datetime(2024, 1, 1))  # noqa: DTZ001


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(AT)
    assert clock.now() == AT
    clock.advance(timedelta(seconds=90))
    assert clock.now() == AT + timedelta(seconds=90)
    clock.set(datetime(2025, 1, 1, tzinfo=timezone.utc))  # noqa: UP017
    assert clock.now().year == 2025
    with pytest.raises(ValueError):
        FixedClock(datetime(2024, 1, 1))  # noqa: DTZ001


def test_system_clock_is_aware() -> None:
    assert SystemClock().now().tzinfo is not None


def test_jakarta_day_boundary() -> None:
    assert jakarta_day(datetime(2024, 1, 1, 16, 59, 59, tzinfo=UTC)) == "2024-01-01"
    assert jakarta_day(datetime(2024, 1, 1, 17, 0, 0, tzinfo=UTC)) == "2024-01-02"
    assert JAKARTA.utcoffset(None) == timedelta(hours=7)
