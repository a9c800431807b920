"""X-TIMESTAMP: format it the way a provider expects, parse every spelling providers send.

The string signed must be byte-identical to the header value, so bisnap formats once and
uses that string verbatim in both places.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta, timezone

from bisnap.clock import JAKARTA
from bisnap.errors import InputTypeError, TimestampFormatError

__all__ = ["TimestampStyle", "format_timestamp", "parse_timestamp"]


class TimestampStyle(enum.Enum):
    """The X-TIMESTAMP spellings providers use."""

    #: `2024-03-05T17:37:16+07:00` — the standard's samples, Midtrans docs, PHP `date("c")`.
    JAKARTA = "jakarta"
    #: `2024-03-05T17:37:16.196+07:00` — BRI OAuth, Bank Neo.
    JAKARTA_MS = "jakarta-ms"
    #: `2024-03-05T10:37:16Z` — DOKU.
    UTC_Z = "utc"
    #: `2024-03-05T10:37:16.196Z` — JavaScript `toISOString()` (Midtrans's Node client).
    UTC_Z_MS = "utc-ms"


# SNAP: X-TIMESTAMP is `yyyy-MM-ddTHH:mm:ssTZD` (shared/spec/snap-standard.md §1.3);
# variants with milliseconds and UTC `Z` are in use (snap-standard.md §4.4).
_PATTERN = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})\Z"
)


_MAX_OFFSET = timedelta(hours=14)


def format_timestamp(at: datetime, style: TimestampStyle = TimestampStyle.JAKARTA) -> str:
    """Format `at` as an X-TIMESTAMP value.

    `at` must be timezone-aware. The default is Jakarta time at whole seconds
    (`2024-03-05T17:37:16+07:00`).

    Raises:
        InputTypeError: `at` is not a datetime (or `style` not a TimestampStyle).
        TimestampFormatError: a naive datetime, or one whose Jakarta or UTC time falls
            outside the years 1-9999.
    """
    if not isinstance(at, datetime):
        raise InputTypeError(
            f"X-TIMESTAMP is formatted from a datetime, not {type(at).__name__}",
            hint="Pass a timezone-aware datetime, e.g. clock.now().",
        )
    if not isinstance(style, TimestampStyle):
        raise InputTypeError(
            f"style must be a TimestampStyle, not {type(style).__name__}",
            hint="Use e.g. TimestampStyle.JAKARTA.",
        )
    if at.tzinfo is None or at.utcoffset() is None:
        raise TimestampFormatError("cannot format a naive datetime as X-TIMESTAMP")
    try:
        return _format(at, style)
    except OverflowError as err:
        raise TimestampFormatError(
            f"{at.isoformat()} cannot be written as an X-TIMESTAMP: in Jakarta or UTC time "
            "it falls outside the years 1-9999",
            hint="Pass a realistic time (the current time, from a Clock).",
        ) from err


def _format(at: datetime, style: TimestampStyle) -> str:
    # isoformat, not strftime: the year keeps four digits (strftime writes year 1 as "1").
    if style in (TimestampStyle.JAKARTA, TimestampStyle.JAKARTA_MS):
        local = at.astimezone(JAKARTA)
        base = local.isoformat(timespec="seconds")[:19]
        if style is TimestampStyle.JAKARTA_MS:
            base += f".{local.microsecond // 1000:03d}"
        return base + "+07:00"
    utc = at.astimezone(UTC)
    base = utc.isoformat(timespec="seconds")[:19]
    if style is TimestampStyle.UTC_Z_MS:
        base += f".{utc.microsecond // 1000:03d}"
    return base + "Z"


def parse_timestamp(value: str) -> datetime:
    """Parse an X-TIMESTAMP into an aware datetime.

    Accepts `+07:00`/`+0700` offsets and `Z`, with or without a fraction of a second.
    The instant must lie between 0001-01-03 and 9999-12-29 (UTC), so that every day and
    window computed from it (its Jakarta day, the midnight after it, ± a day's window) is a
    real datetime.

    Raises:
        TimestampFormatError: anything else, including a value with no offset (with a hint);
            for a value that is not a str, the error is also a `TypeError`.
    """
    if not isinstance(value, str):
        raise _TimestampTypeError(
            f"X-TIMESTAMP must be a str, not {type(value).__name__}",
            hint="Pass the X-TIMESTAMP header value as text.",
        )
    shown = value if len(value) <= 40 else value[:40] + "…"
    match = _PATTERN.match(value)
    if match is None:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?", value):
            raise TimestampFormatError(
                f"X-TIMESTAMP {shown!r} has no UTC offset (naive time is ambiguous)"
            )
        raise TimestampFormatError(f"X-TIMESTAMP {shown!r} is not yyyy-MM-ddTHH:mm:ss±HH:MM")
    parsed = None
    if match["tz"] == "Z" or match["tz"][-2:] < "60":
        try:
            parsed = datetime.fromisoformat(value)  # C speed for the shapes matched above
        except ValueError:
            parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        offset = parsed.utcoffset()
        if offset is not None and abs(offset) <= _MAX_OFFSET:
            return _in_range(parsed, shown)
    tz_text = match["tz"]
    if tz_text == "Z":
        tz = UTC
    else:
        sign = -1 if tz_text[0] == "-" else 1
        digits = tz_text[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes > 59:
            raise TimestampFormatError(f"X-TIMESTAMP {shown!r} has an impossible UTC offset")
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    frac = match["frac"] or ""
    micro = int((frac + "000000")[:6]) if frac else 0
    try:
        year, month, day = (int(p) for p in match["date"].split("-"))
        parsed = datetime(
            year, month, day, int(match["h"]), int(match["m"]), int(match["s"]), micro, tzinfo=tz
        )
    except ValueError as err:
        raise TimestampFormatError(f"X-TIMESTAMP {shown!r} is not a real date/time") from err
    return _in_range(parsed, shown)


class _TimestampTypeError(TimestampFormatError, InputTypeError):
    """An X-TIMESTAMP that is not a str (a TimestampFormatError that is also a TypeError)."""


# Every instant bisnap derives from a timestamp (its Jakarta day, the midnight after it,
# ± a window of up to a day) must be a datetime too: the first and last two days of
# datetime's range are refused.
_EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
_LATEST = datetime(9999, 12, 29, 23, 59, 59, 999999, tzinfo=UTC)


def _in_range(parsed: datetime, shown: str) -> datetime:
    if _EARLIEST <= parsed <= _LATEST:
        return parsed
    raise TimestampFormatError(
        f"X-TIMESTAMP {shown!r} is outside the supported range (0001-01-03 to 9999-12-29 UTC)",
        hint="Send the current time; a timestamp this far off is never in the window.",
    )
