"""The pure steps of notification verification, shared by both verifiers.

Headers found and lowered once, X-TIMESTAMP parsed once, the configuration checked, and
the small error builders the verifiers and their replay claims share. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Final, NamedTuple

from bisnap.catalogue import NotificationEndpoint
from bisnap.errors import (
    BodyNotJSONError,
    ConfigurationError,
    HeaderError,
    InputError,
    StoreUnavailableError,
)
from bisnap.headers import X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP
from bisnap.notifications.model import (
    Notification,
    TraceStages,
    parse_json_object,
    verified_notification,
)
from bisnap.timestamps import parse_timestamp

# SNAP: notification headers (midtrans-core.md §5 "Headers"; snap-standard.md §1.3).
REQUIRED_HEADERS: Final = (X_TIMESTAMP, X_SIGNATURE, X_PARTNER_ID, X_EXTERNAL_ID)

#: The default X-TIMESTAMP window, in both directions.
DEFAULT_WINDOW: Final = timedelta(minutes=5)

#: How long `receive` holds a notification in progress before a dead worker's claim lapses.
DEFAULT_LEASE: Final = timedelta(seconds=60)

ONE_SECOND: Final = timedelta(seconds=1)
ONE_DAY: Final = timedelta(days=1)
LAST_INSTANT: Final = datetime.max.replace(tzinfo=UTC)
_MISSING = "missing header"
MALFORMED = "malformed header"
FOREIGN = (ValueError, UnicodeError, OverflowError, RecursionError)


# --- the pure steps ------------------------------------------------------------------------


class Checked(NamedTuple):
    """What steps 1-4 established: everything but the replay claim and the JSON."""

    path: str
    service: NotificationEndpoint | None
    partner_id: str
    external_id: str
    timestamp: datetime
    timestamp_text: str
    stages: TraceStages
    body: bytes
    keys: tuple[str, str]  # (the signed request's key, partner id + external id's key)
    expires_at: datetime
    day: str


_CONFLICT: Final = "\x00conflict"
ROUTES: Final = 64  # request paths remembered (a merchant serves a handful)


def _lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    # Every header name lowered once, here; duplicates with different values are marked.
    items = headers.items() if type(headers) is dict or isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    try:
        for name, value in items:
            if type(name) is not str:
                if not isinstance(name, bytes | str):
                    continue
                name = name.decode("latin-1") if isinstance(name, bytes) else str(name)
            if type(value) is not str:
                if not isinstance(value, bytes | str):
                    continue
                value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            lowered = name.lower()
            seen = out.setdefault(lowered, value)
            if seen != value:
                # Two different values for one name: which one was meant is unknowable.
                out[lowered] = _CONFLICT
    except (TypeError, ValueError) as err:
        raise InputError(
            "headers are not a mapping or a list of (name, value) pairs",
            hint="Pass request.headers as the framework gives it (or a dict).",
        ) from err
    return out


def _required(lowered: Mapping[str, str], name: str, key: str) -> str:
    value = lowered.get(key)
    if value == _CONFLICT:
        raise HeaderError(
            f"{MALFORMED} {name}: sent more than once with different values",
            header=name,
            hint=f"Send {name} once; a proxy may be adding a second copy.",
        )
    if value is None or not value.strip():
        raise HeaderError(
            f"{_MISSING} {name}",
            header=name,
            hint=f"Midtrans sends {name} on every notification; was it stripped by a proxy?",
            missing=True,
        )
    return value


def build_notification(checked: Checked) -> Notification:
    return verified_notification(
        checked.path,
        checked.service,
        checked.partner_id,
        checked.external_id,
        checked.timestamp,
        checked.timestamp_text,
        checked.stages,
        checked.body,
        parse_json_object(checked.body),
    )


# The X-TIMESTAMP shape Midtrans sends (`2024-03-05T17:37:16+07:00`, or with `.SSS`), at
# an offset under 14 hours and a year from 0002 to 9998, parsed by `fromisoformat` alone
# (C speed): the separators are checked where the shape puts them, and `fromisoformat`
# takes only ASCII digits between them, so every such value is accepted by
# `parse_timestamp` with the same result. Anything else (`Z`, `+0700`, other fractions,
# extreme years, an impossible date) goes to `parse_timestamp`, the reference, which
# decides and words every error.


def parse_header_timestamp(text: str) -> datetime:
    """X-TIMESTAMP as an aware datetime, exactly as `parse_timestamp` parses it.

    Raises:
        TimestampFormatError: as `parse_timestamp`.
    """
    n = len(text)
    if (
        (n == 25 or (n == 29 and text[19] == "."))
        and text[4] == "-"
        and text[7] == "-"
        and text[10] == "T"
        and text[13] == ":"
        and text[16] == ":"
        and text[n - 3] == ":"
        and text[n - 6] in "+-"
        and text[n - 5 : n - 3] < "14"
        and text[n - 2] < "6"
        and "0002" <= text[:4] <= "9998"
    ):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return parse_timestamp(text)


#: The spelling of each required header in a dict of given names (None: take the careful
#: path), remembered per tuple of names: a sender sends the same names every time.
HeaderLayouts = dict[tuple[object, ...], tuple[str, str, str, str] | None]
_LAYOUTS: Final = 64  # name tuples remembered per verifier (a sender has one or two)


def _layout(names: tuple[object, ...]) -> tuple[str, str, str, str] | None:
    # The names as given of the four required headers, when every name is a str and no two
    # spell one header; None sends the dict to the careful path.
    text = [name for name in names if type(name) is str]
    if len(text) != len(names):
        return None
    index = {name.lower(): name for name in text}
    if len(index) != len(text):
        return None
    try:
        return (
            index["x-timestamp"],
            index["x-signature"],
            index["x-partner-id"],
            index["x-external-id"],
        )
    except KeyError:
        return None


def required_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    layouts: HeaderLayouts | None = None,
) -> tuple[str, str, str, str]:
    """X-TIMESTAMP, X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID, each present once.

    `layouts` remembers, per tuple of header names, where the four are in a plain dict.
    """
    if type(headers) is dict:
        # The common case, a plain dict of str: its names looked up in `layouts` (found
        # once per tuple of names). Any doubt (a name that is not a str, two spellings of
        # one name, a value missing, blank or not a str) takes the careful path below,
        # which decides and words every error.
        names = tuple(headers)
        if layouts is None:
            layout = _layout(names)
        else:
            layout = layouts.get(names)
            if layout is None and names not in layouts:
                if len(layouts) >= _LAYOUTS:
                    layouts.clear()
                layout = layouts[names] = _layout(names)
        if layout is not None:
            timestamp = headers[layout[0]]
            signature = headers[layout[1]]
            partner_id = headers[layout[2]]
            external_id = headers[layout[3]]
            if (
                type(timestamp) is str
                and type(signature) is str
                and type(partner_id) is str
                and type(external_id) is str
                and timestamp.strip()
                and signature.strip()
                and partner_id.strip()
                and external_id.strip()
                and _CONFLICT not in (timestamp, signature, partner_id, external_id)
            ):
                return timestamp, signature, partner_id, external_id
    lowered = _lower_headers(headers)
    return (
        _required(lowered, X_TIMESTAMP, "x-timestamp"),
        _required(lowered, X_SIGNATURE, "x-signature"),
        _required(lowered, X_PARTNER_ID, "x-partner-id"),
        _required(lowered, X_EXTERNAL_ID, "x-external-id"),
    )


def check_window(window: object) -> timedelta | None:
    # SNAP-agnostic rule (STYLE §8): turning the window off takes an explicit None; a falsy
    # 0 is not None, and timedelta(0) means zero tolerance.
    if window is None:
        return None
    if not isinstance(window, timedelta):
        raise ConfigurationError(
            f"window must be a timedelta or None, not {type(window).__name__}",
            hint="Pass e.g. timedelta(minutes=5); None (explicitly) turns the check off.",
        )
    if window < timedelta(0):
        raise ConfigurationError("window must not be negative", hint="Pass timedelta(0) or more.")
    return window


def check_lease(lease: object) -> timedelta:
    if not isinstance(lease, timedelta) or lease < timedelta(milliseconds=1):
        raise ConfigurationError(
            f"lease must be a positive timedelta, not {lease!r}",
            hint="Pass e.g. timedelta(seconds=60): longer than your handler ever takes.",
        )
    return lease


def check_prefix(prefix: object) -> str | None:
    if prefix is None:
        return None
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise ConfigurationError(
            "path_prefix must be a path starting with '/'",
            hint="Pass the path part of the URL you registered with Midtrans, e.g. "
            "'/hooks/midtrans' for https://shop.example/hooks/midtrans.",
        )
    stripped = prefix.rstrip("/")
    return stripped or None


def shown_path(path: str) -> str:
    return path if len(path) <= 80 else path[:80] + "…"


def unusable_body(err: BaseException) -> BodyNotJSONError:
    return BodyNotJSONError(f"cannot be minified ({type(err).__name__})", offset=0)


def is_claim_store(store: object) -> bool:
    return all(
        callable(getattr(store, name, None)) for name in ("claim_all", "begin", "commit", "release")
    )


def store_failure(err: Exception) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"the replay store failed ({type(err).__name__}); the notification was not accepted"
    )


def no_claim_store(store: object) -> ConfigurationError:
    return ConfigurationError(
        f"receive() needs a replay store that can hold a claim in progress; "
        f"{type(store).__name__} only has claim()",
        hint="Use MemoryOnceStore or RedisOnceStore (they implement ClaimStore), or verify().",
    )


def note_release_failure(exc: BaseException, err: Exception) -> None:
    exc.add_note(
        f"bisnap: releasing the notification's in-progress claim failed "
        f"({type(err).__name__}); it lapses after the verifier's lease"
    )
