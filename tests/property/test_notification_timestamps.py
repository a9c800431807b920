"""A verifier remembers the last X-TIMESTAMP; it must answer as a fresh one would.

Any sequence of notifications (timestamps repeated, alternating, across Jakarta midnight,
in other offsets, malformed) with the clock moving, reading in any zone, and any window:
one long-lived verifier gives every call the same outcome as a new verifier made for that
call alone with a clock reading the same instant in WIB: the same error, or the same
replay keys and expiry. Signatures are made with raw `cryptography`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bisnap import BisnapError, FixedClock, TimestampFormatError, parse_timestamp
from bisnap.clock import JAKARTA
from bisnap.notifications import NotificationVerifier
from bisnap.notifications._checks import parse_header_timestamp
from tests.property._notify import PATH, PUBLIC, Recording, sign

BODY = b'{"latestTransactionStatus":"00","amount":{"value":"1.00","currency":"IDR"}}'
TIMESTAMPS = [
    "2024-03-05T23:59:58+07:00",
    "2024-03-06T00:00:01+07:00",  # the next Jakarta day
    "2024-03-05T16:59:59Z",  # 23:59:59 in Jakarta, spelled in UTC
    "2024-03-05T17:00:00.000Z",  # 00:00:00 the next day in Jakarta
    "2024-03-05T23:59:58.500+07:00",
    "2024-03-06T06:00:01+14:00",  # odd offsets take the reference parser
    "2024-03-05 23:59:58+07:00",  # malformed: a space for the T
    "2024-03-05T23:59:58+0700",
]


class Shifting(tzinfo):
    """A zone with a rule: UTC+01:00, then UTC+02:00 from the wall time 2024-03-05 18:00
    (17:00 UTC: a DST-like change in the middle of the instants below)."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        if dt is not None and (dt.year, dt.month, dt.day, dt.hour) >= (2024, 3, 5, 18):
            return timedelta(hours=2)
        return timedelta(hours=1)

    def dst(self, dt: datetime | None) -> timedelta:
        return self.utcoffset(dt) - timedelta(hours=1)

    def tzname(self, dt: datetime | None) -> str:
        return "SHIFT"


INSTANTS = [
    datetime(2024, 3, 5, 23, 59, 50, tzinfo=JAKARTA),
    datetime(2024, 3, 6, 0, 0, 5, tzinfo=JAKARTA),
    datetime(2024, 3, 6, 0, 10, 0, tzinfo=JAKARTA),
    datetime(2024, 3, 7, 0, 0, 0, tzinfo=JAKARTA),
]
# Each instant as clocks in other zones read it: the verifier keeps its instants in a
# clock's fixed offset, and must give the same answers whatever zone the clock reads in.
ZONES = [JAKARTA, UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), Shifting()]
CLOCKS = [at.astimezone(zone) for at in INSTANTS for zone in ZONES]
WINDOWS = [timedelta(minutes=5), timedelta(0), timedelta(hours=2), None]


SIGNATURES = {ts: sign(BODY, ts) for ts in TIMESTAMPS}


Outcome = tuple[str, object]


def _outcome(verifier: NotificationVerifier, store: Recording, timestamp: str, n: int) -> Outcome:
    headers = {
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": SIGNATURES[timestamp],
        "X-PARTNER-ID": "G123",
        "X-EXTERNAL-ID": f"ext-{n}",
    }
    before = len(store.claims)
    try:
        notification = verifier.verify(method="POST", path=PATH, headers=headers, body=BODY)
    except BisnapError as err:
        return type(err).__name__, str(err)
    return "ok", (notification.timestamp, store.claims[before:])


@settings(max_examples=200, deadline=None)
@given(
    window=st.sampled_from(WINDOWS),
    calls=st.lists(
        st.tuples(st.sampled_from(TIMESTAMPS), st.sampled_from(CLOCKS)), min_size=1, max_size=8
    ),
)
def test_a_remembered_timestamp_answers_as_a_fresh_verifier(
    window: timedelta | None, calls: list[tuple[str, datetime]]
) -> None:
    clock = FixedClock(CLOCKS[0])
    store = Recording()
    kept = NotificationVerifier(public_key=PUBLIC, clock=clock, window=window, replay_store=store)
    for n, (timestamp, now) in enumerate(calls):
        clock.set(now)
        # The reference: a new verifier whose clock reads the same instant in WIB.
        fresh_store = Recording()
        fresh = NotificationVerifier(
            public_key=PUBLIC,
            clock=FixedClock(now.astimezone(JAKARTA)),
            window=window,
            replay_store=fresh_store,
        )
        assert _outcome(kept, store, timestamp, n) == _outcome(fresh, fresh_store, timestamp, n)


def test_the_window_is_read_on_every_call_for_a_remembered_timestamp() -> None:
    clock = FixedClock(datetime(2024, 3, 5, 23, 59, 58, tzinfo=JAKARTA))
    store = Recording()
    verifier = NotificationVerifier(public_key=PUBLIC, clock=clock, replay_store=store)
    timestamp = TIMESTAMPS[0]
    for n, (later, accepted) in enumerate(
        [
            (timedelta(0), True),
            (timedelta(minutes=5), True),
            (timedelta(minutes=5, seconds=1), False),
        ]
    ):
        clock.set(datetime(2024, 3, 5, 23, 59, 58, tzinfo=JAKARTA) + later)
        outcome = _outcome(verifier, store, timestamp, n)
        assert (outcome[0] == "ok") is accepted, outcome


@st.composite
def header_timestamps(draw: st.DrawFn) -> str:
    """X-TIMESTAMP-like text: mostly Midtrans's shape, often a little wrong somewhere."""
    year = draw(st.sampled_from(["0001", "0002", "2024", "9998", "9999", "0000", "20x4"]))
    month = draw(st.sampled_from(["03", "12", "00", "13", "1"]))
    day = draw(st.sampled_from(["05", "29", "30", "31", "32", "00"]))
    sep = draw(st.sampled_from(["T", "T", "T", " ", "t", "_"]))
    clock = draw(st.sampled_from(["17:37:16", "00:00:00", "23:59:59", "24:00:00", "17:60:16"]))
    clock = draw(st.sampled_from([clock, clock.replace(":", ""), clock[:5]]))
    frac = draw(st.sampled_from(["", "", ".123", ".1", ".123456", ".12a", "."]))
    zone = draw(
        st.sampled_from(
            ["+07:00", "+07:00", "Z", "+0700", "-13:59", "+13:60", "+14:00", "+15:00", "+07"]
        )
    )
    text = f"{year}-{month}-{day}{sep}{clock}{frac}{zone}"
    if draw(st.integers(min_value=0, max_value=9)) == 0:  # one character changed
        at = draw(st.integers(min_value=0, max_value=len(text) - 1))
        text = text[:at] + draw(st.sampled_from("0९+-:.Tx ")) + text[at + 1 :]
    return text


def _parsed(parse: object, text: str) -> object:
    try:
        value = parse(text)  # type: ignore[operator]
    except TimestampFormatError as err:
        return type(err).__name__, str(err)
    return value, value.utcoffset()


@settings(max_examples=2000, deadline=None)
@given(header_timestamps())
def test_the_header_fast_path_parses_as_the_reference(text: str) -> None:
    assert _parsed(parse_header_timestamp, text) == _parsed(parse_timestamp, text)
