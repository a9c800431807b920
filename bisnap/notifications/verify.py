"""Verify the notifications Midtrans sends to a merchant, then read them.

`NotificationVerifier.verify` checks, in this order, and raises at the first failure:

```
1. required headers      X-TIMESTAMP, X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID    HeaderError
2. X-TIMESTAMP parses    +07:00, .SSS+07:00, Z, .SSSZ                            HeaderError
3. inside the window     both directions ("too old" / "too new")   TimestampOutOfWindowError
4. signature             SHA256withRSA over the raw body, minified   SignatureMismatchError
5. replay                the signed request, and partner id + external id,     ReplayError
                         each once per Jakarta day
6. JSON                  parsed once, numbers never become floats         BodyNotJSONError
```

The replay claim happens only after the signature is good, so a forged request cannot
burn an external id. Two keys are claimed together: one from what is signed (method,
path, body hash, timestamp), so a genuine notification re-sent with another X-EXTERNAL-ID
or X-PARTNER-ID (neither is signed) is still a replay; and partner id + external id, as
the standard requires. `AsyncNotificationVerifier` runs the same pure steps; only the
store calls are awaited.

`verify` commits the claim at once. `receive` is a context manager that holds the claim
*in progress* while the block runs, commits it when the block succeeds and releases it
when the block raises, so a notification whose handler failed is processed again on the
provider's retry:

```python
verifier = NotificationVerifier(
    public_key=midtrans_public_pem, clock=SystemClock(),
    replay_store=RedisOnceStore.from_url("redis://localhost:6379/0"),
    path_prefix="/hooks/midtrans",
)
with verifier.receive(
    method="POST", path="/hooks/midtrans/v1.0/debit/notify",
    headers=request_headers, body=raw_body_bytes,
) as notification:
    record_payment(notification)
```
"""

from __future__ import annotations

import hashlib
import inspect
import re
import secrets as _random
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple, TypeVar

import anyio

from bisnap import canonical
from bisnap.catalogue import NotificationEndpoint, notification_by_path
from bisnap.clock import JAKARTA, Clock, end_of_jakarta_day, jakarta_day_and_end
from bisnap.errors import (
    BisnapError,
    BodyNotJSONError,
    ConfigurationError,
    HeaderError,
    InputError,
    ReplayError,
    SignatureFormatError,
    SignatureMismatchError,
    StoreUnavailableError,
    TimestampFormatError,
    TimestampOutOfWindowError,
)
from bisnap.headers import X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP
from bisnap.keys import PublicKeyInput, check_verifying_key, load_public_key
from bisnap.minify import minify, minify_unchecked
from bisnap.notifications.model import (
    TRANSACTION_STATUSES,
    Amount,
    Notification,
    TraceStages,
    TransactionStatus,
    parse_json_object,
    require_raw_body,
    trace_from_stages,
    verified_notification,
)
from bisnap.signing import SignatureTrace, decode_signature, rsa_verify
from bisnap.stores.base import MemoryOnceStore
from bisnap.stores.protocols import (
    AsyncClaimStore,
    AsyncOnceStore,
    ClaimState,
    ClaimStore,
    OnceStore,
)
from bisnap.timestamps import parse_timestamp

__all__ = [
    "DEFAULT_LEASE",
    "DEFAULT_WINDOW",
    "REQUIRED_HEADERS",
    "TRANSACTION_STATUSES",
    "Amount",
    "AsyncNotificationVerifier",
    "Notification",
    "NotificationVerifier",
    "TransactionStatus",
]

# SNAP: notification headers (midtrans-core.md §5 "Headers"; snap-standard.md §1.3).
REQUIRED_HEADERS: Final = (X_TIMESTAMP, X_SIGNATURE, X_PARTNER_ID, X_EXTERNAL_ID)

#: The default X-TIMESTAMP window, in both directions.
DEFAULT_WINDOW: Final = timedelta(minutes=5)

#: How long `receive` holds a notification in progress before a dead worker's claim lapses.
DEFAULT_LEASE: Final = timedelta(seconds=60)

_ONE_SECOND: Final = timedelta(seconds=1)
_ONE_DAY: Final = timedelta(days=1)
_LAST_INSTANT: Final = datetime.max.replace(tzinfo=UTC)
_MISSING = "missing header"
_MALFORMED = "malformed header"
_FOREIGN = (ValueError, UnicodeError, OverflowError, RecursionError)

_T = TypeVar("_T")


# --- the pure steps ------------------------------------------------------------------------


class _Checked(NamedTuple):
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
_ROUTES: Final = 64  # request paths remembered (a merchant serves a handful)


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
            f"{_MALFORMED} {name}: sent more than once with different values",
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


def _build(checked: _Checked) -> Notification:
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
# (C speed): every such value is accepted by `parse_timestamp` with the same result, so
# anything else (`Z`, `+0700`, other fractions, extreme years, an impossible date) goes to
# `parse_timestamp`, the reference, which decides and words every error.
_COMMON_TIMESTAMP: Final = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{3})?[+-](?:0\d|1[0-3]):[0-5]\d\Z", re.ASCII
)


def _parse_timestamp(text: str) -> datetime:
    if _COMMON_TIMESTAMP.match(text) is not None and "0002" <= text[:4] <= "9998":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return parse_timestamp(text)


def _required_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> tuple[str, str, str, str]:
    """X-TIMESTAMP, X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID, each present once."""
    if type(headers) is dict:
        # The common case, a plain dict of str: names lowered in one comprehension. Any
        # doubt (a name that is not a str, two spellings of one name, a value missing or
        # blank) takes the careful path below, which decides and words every error.
        try:
            lowered = dict(zip(map(str.lower, headers), headers.values(), strict=True))
        except TypeError:  # a name that is not a str
            lowered = {}
        if lowered and len(lowered) == len(headers):
            found = (
                lowered.get("x-timestamp"),
                lowered.get("x-signature"),
                lowered.get("x-partner-id"),
                lowered.get("x-external-id"),
            )
            for value in found:
                if type(value) is not str or value == _CONFLICT or not value.strip():
                    break
            else:
                return found  # type: ignore[return-value]
    lowered = _lower_headers(headers)
    return (
        _required(lowered, X_TIMESTAMP, "x-timestamp"),
        _required(lowered, X_SIGNATURE, "x-signature"),
        _required(lowered, X_PARTNER_ID, "x-partner-id"),
        _required(lowered, X_EXTERNAL_ID, "x-external-id"),
    )


def _check_window(window: object) -> timedelta | None:
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


def _check_lease(lease: object) -> timedelta:
    if not isinstance(lease, timedelta) or lease < timedelta(milliseconds=1):
        raise ConfigurationError(
            f"lease must be a positive timedelta, not {lease!r}",
            hint="Pass e.g. timedelta(seconds=60): longer than your handler ever takes.",
        )
    return lease


def _check_prefix(prefix: object) -> str | None:
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


def _shown(path: str) -> str:
    return path if len(path) <= 80 else path[:80] + "…"


def _later(at: datetime, delta: timedelta) -> datetime:
    try:
        return at + delta
    except OverflowError:
        return _LAST_INSTANT


def _unusable_body(err: BaseException) -> BodyNotJSONError:
    return BodyNotJSONError(f"cannot be minified ({type(err).__name__})", offset=0)


def _is_claim_store(store: object) -> bool:
    return all(
        callable(getattr(store, name, None)) for name in ("claim_all", "begin", "commit", "release")
    )


class _VerifierCore:
    """The configuration and the pure steps both verifiers share."""

    def __init__(
        self,
        *,
        public_key: PublicKeyInput,
        clock: Clock,
        window: timedelta | None,
        path_prefix: str | None,
        namespace: str,
        lease: timedelta,
    ) -> None:
        self._public_key = load_public_key(public_key)
        check_verifying_key(self._public_key)
        self._key_bytes = self._public_key.key_size // 8
        if not callable(getattr(clock, "now", None)):
            raise ConfigurationError(
                "clock has no now()", hint="Pass bisnap.SystemClock() (or a FixedClock in tests)."
            )
        self._clock = clock
        self._window = _check_window(window)
        self._negative_window = -self._window if self._window is not None else timedelta(0)
        self._margin = self._window + _ONE_SECOND if self._window is not None else None
        self._prefix = _check_prefix(path_prefix)
        self._namespace = namespace
        self._lease = _check_lease(lease)
        self._last_day: tuple[datetime, datetime, str, str] = (
            _LAST_INSTANT,
            _LAST_INSTANT,
            "",
            "",
        )
        self._routes: dict[str, tuple[str, NotificationEndpoint | None]] = {}

    @property
    def clock(self) -> Clock:
        """The clock the window and the replay day are read from."""
        return self._clock

    @property
    def window(self) -> timedelta | None:
        """The accepted X-TIMESTAMP skew in each direction (None: not checked)."""
        return self._window

    @property
    def path_prefix(self) -> str | None:
        """The prefix stripped from the request path to get the signed path."""
        return self._prefix

    @property
    def lease(self) -> timedelta:
        """How long `receive` holds a notification in progress (a dead worker's claim lapses)."""
        return self._lease

    def signed_path(self, path: str) -> str:
        """The path Midtrans signed: the request path with `path_prefix` removed.

        Raises:
            InputError: the request path does not start with `path_prefix`.
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise InputError(
                "the request path must be a str starting with '/'",
                hint="Pass the request's path, e.g. request.url.path (FastAPI) or "
                "request.path (Flask).",
            )
        prefix = self._prefix
        if prefix is None:
            return path
        rest = path[len(prefix) :]
        if not path.startswith(prefix) or not rest.startswith("/"):
            raise InputError(
                f"request path {_shown(path)!r} does not start with path_prefix {prefix!r}",
                hint="Mount the notification handler under the prefix you registered with "
                "Midtrans, or correct path_prefix.",
            )
        return rest

    def _day_of(self, timestamp: datetime) -> tuple[str, datetime, str]:
        # Notifications arrive on the same day one after another: keep the last day, its
        # end and its keys' hash tag.
        start, end, day, tag = self._last_day
        if start <= timestamp < end:
            return day, end, tag
        day, end = jakarta_day_and_end(timestamp)
        tag = self._tag(day)
        self._last_day = (end - _ONE_DAY, end, day, tag)
        return day, end, tag

    def _tag(self, day: str) -> str:
        return f"{{{self._namespace}:{day}}}"

    def replay_key(self, partner_id: str, external_id: str, day: str) -> str:
        """The once-store key of a notification: partner id + external id + Jakarta day.

        The `{namespace:day}` hash tag puts it in the same Redis Cluster slot as the
        signed request's key, so both are claimed by one script.
        """
        return f"{self._tag(day)}:{len(partner_id)}:{partner_id}:{external_id}"

    def request_key(self, string_to_sign: str, day: str) -> str:
        """The once-store key of what is signed: SHA-256 of the string to sign + day."""
        signed = string_to_sign.encode("utf-8", "surrogatepass")
        return f"{self._tag(day)}:signed:{hashlib.sha256(signed).hexdigest()}"

    def _route(self, path: str) -> tuple[str, NotificationEndpoint | None]:
        # The signed path and the catalogue entry of a request path, remembered for the few
        # paths a merchant serves (bounded: unknown paths cannot grow it without limit).
        route = self._routes.get(path) if type(path) is str else None
        if route is None:
            signed = self.signed_path(path)
            route = (signed, notification_by_path(signed))
            if len(self._routes) >= _ROUTES:
                self._routes.clear()
            self._routes[path] = route
        return route

    def _check(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: object,
    ) -> _Checked:
        raw = body if type(body) is bytes else require_raw_body(body)
        signed_path, service = self._route(path)
        timestamp_text, signature, partner_id, external_id = _required_headers(headers)

        try:
            timestamp = _parse_timestamp(timestamp_text)
        except TimestampFormatError as err:
            raise HeaderError(
                f"{_MALFORMED} {X_TIMESTAMP}: {err}", header=X_TIMESTAMP, hint=err.hint
            ) from err

        # The instant in WIB: arithmetic between datetimes that share one tzinfo object skips
        # the offset lookups (the day and its end are WIB too).
        if timestamp_text.endswith("+07:00"):
            local = timestamp.replace(tzinfo=JAKARTA)
        else:
            try:
                local = timestamp.astimezone(JAKARTA)
            except OverflowError:  # at the ends of datetime's range: the instant as parsed
                local = timestamp
        now = self._clock.now()
        window = self._window
        if window is not None:
            skew = now - local
            if skew > window:
                raise TimestampOutOfWindowError(direction="too old", skew=skew, window=window)
            if skew < self._negative_window:
                raise TimestampOutOfWindowError(direction="too new", skew=skew, window=window)

        stages, signed = self._verify_signature(method, signed_path, raw, timestamp_text, signature)

        # SNAP: X-EXTERNAL-ID is unique per partner per day (snap-standard.md §1.3;
        # midtrans-core.md §5 "Replay / timestamp"). The keys live to the end of the
        # timestamp's Jakarta day, and at least until the window would reject the request,
        # so a copy replayed just after midnight is still caught.
        day, end_of_day, tag = self._day_of(local)
        if self._margin is not None:
            expires_at = _later(local, self._margin)
            if expires_at < end_of_day:
                expires_at = end_of_day
        else:
            expires_at = max(end_of_day, end_of_jakarta_day(now))
        keys = (
            f"{tag}:signed:{hashlib.sha256(signed).hexdigest()}",
            f"{tag}:{len(partner_id)}:{partner_id}:{external_id}",
        )
        return _Checked(
            signed_path,
            service,
            partner_id,
            external_id,
            timestamp,
            timestamp_text,
            stages,
            raw,
            keys,
            expires_at,
            day,
        )

    def _verify_signature(
        self, method: str, path: str, raw: bytes, timestamp_text: str, signature: str
    ) -> tuple[TraceStages, bytes]:
        # SNAP: notification signature = SHA256withRSA over
        # POST:EndpointUrl:lowerhex(sha256(minify(body))):X-TIMESTAMP, EndpointUrl being the
        # path after the merchant's prefix (midtrans-core.md §5 "Signature", "EndpointUrl").
        signed_method = canonical.signed_method(method)
        signed_path = canonical.signed_path(path)
        try:
            minified = minify_unchecked(raw)
        except BisnapError:
            raise
        except _FOREIGN as err:  # unauthenticated bytes: a bad request, never a crash
            raise _unusable_body(err) from err
        digest = hashlib.sha256(minified).hexdigest()
        try:
            raw_signature, encoding = decode_signature(signature, self._key_bytes)
        except SignatureFormatError as err:
            raise HeaderError(
                f"{_MALFORMED} {X_SIGNATURE}: {err}", header=X_SIGNATURE, hint=err.hint
            ) from err
        string_to_sign = canonical.format_asymmetric(
            signed_method, signed_path, digest, timestamp_text
        )
        try:
            data = string_to_sign.encode("utf-8")
        except UnicodeEncodeError as err:
            raise InputError(
                "the request path is not valid text (a lone surrogate)",
                hint="Pass the request path as the framework decoded it.",
            ) from err
        # The trace's stages, kept as a tuple: the SignatureTrace is built only when read.
        stages: TraceStages = (
            string_to_sign,
            signature,
            encoding,
            minified,
            digest,
            signed_method,
            signed_path,
            timestamp_text,
        )
        if not rsa_verify(raw_signature, data, self._public_key):
            try:
                minify(raw)  # a body that is not JSON is the better answer than "mismatch"
            except BisnapError:
                raise
            except _FOREIGN as err:
                raise _unusable_body(err) from err
            raise self._mismatch(trace_from_stages(stages), path)
        return stages, data

    def _mismatch(self, trace: SignatureTrace, signed_path: str) -> SignatureMismatchError:
        known = notification_by_path(signed_path)
        if known is not None and signed_path != known.path:
            hint = (
                f"Midtrans signs the path after the prefix you registered ({known.path!r}), "
                f"not {_shown(signed_path)!r}: pass path_prefix="
                f"{signed_path[: -len(known.path)]!r} to the verifier."
            )
        else:
            hint = (
                "Check that this is Midtrans's public key for this environment (sandbox or "
                "production), that the body passed is the raw request body, and that "
                "path_prefix strips exactly the prefix you registered."
            )
        return SignatureMismatchError(
            "notification signature does not match", stage="signature", trace=trace, hint=hint
        )

    def _replayed(self, checked: _Checked, state: ClaimState) -> ReplayError:
        what = {
            "processed": "already processed",
            "in_progress": "already received (in progress, or accepted by verify)",
        }.get(state, "already received")
        return ReplayError(
            f"notification {what}: {X_PARTNER_ID} {checked.partner_id!r}, "
            f"{X_EXTERNAL_ID} {checked.external_id!r} on {checked.day}",
            already_processed=state == "processed",
        )

    def _repr_fields(self) -> str:
        return f"window={self._window!r}, path_prefix={self._prefix!r}"


def _store_failure(err: Exception) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"the replay store failed ({type(err).__name__}); the notification was not accepted"
    )


def _call_store(call: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    try:
        return call(*args, **kwargs)
    except BisnapError:
        raise
    except Exception as err:
        raise _store_failure(err) from err


def _no_claim_store(store: object) -> ConfigurationError:
    return ConfigurationError(
        f"receive() needs a replay store that can hold a claim in progress; "
        f"{type(store).__name__} only has claim()",
        hint="Use MemoryOnceStore or RedisOnceStore (they implement ClaimStore), or verify().",
    )


def _note_release_failure(exc: BaseException, err: Exception) -> None:
    exc.add_note(
        f"bisnap: releasing the notification's in-progress claim failed "
        f"({type(err).__name__}); it lapses after the verifier's lease"
    )


class NotificationVerifier(_VerifierCore):
    """Verify Midtrans notifications (sync): headers, window, signature, replay, JSON.

    `public_key` is Midtrans's public key (PEM, DER, base64 or a key object); `clock` is
    injected; `window` is the accepted X-TIMESTAMP skew each way (`None`, explicitly, turns
    it off; `timedelta(0)` means zero tolerance); `replay_store` is a `OnceStore` shared by
    every worker (default: a `MemoryOnceStore` on `clock`, which protects one process
    only; `receive` needs a `ClaimStore` such as `MemoryOnceStore` or `RedisOnceStore`);
    `path_prefix` is the prefix of the URL registered with Midtrans; `lease` is how long
    `receive` holds a notification in progress before a dead worker's claim lapses.

    Raises:
        ConfigurationError: a window that is not a timedelta/None, a bad prefix or lease,
            or an async replay store.
        KeyFormatError: the public key cannot be loaded.
    """

    def __init__(
        self,
        *,
        public_key: PublicKeyInput,
        clock: Clock,
        window: timedelta | None = DEFAULT_WINDOW,
        replay_store: OnceStore | None = None,
        path_prefix: str | None = None,
        namespace: str = "bisnap:notify",
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        super().__init__(
            public_key=public_key,
            clock=clock,
            window=window,
            path_prefix=path_prefix,
            namespace=namespace,
            lease=lease,
        )
        store: OnceStore = (
            replay_store if replay_store is not None else MemoryOnceStore(clock=clock)
        )
        if inspect.iscoroutinefunction(getattr(store, "claim", None)):
            raise ConfigurationError(
                "NotificationVerifier needs a sync replay store; this one is async",
                hint="Use AsyncNotificationVerifier with an async store (AsyncRedisOnceStore).",
            )
        self._store = store
        self._claims: ClaimStore | None = store if _is_claim_store(store) else None  # type: ignore[assignment]

    def verify(
        self,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
    ) -> Notification:
        """Verify one notification, claim it at once (committed), and return it parsed.

        `path` is the request path (with the prefix; it is stripped here), `headers` the
        request headers (any case), `body` the raw request body bytes. Prefer `receive`
        when the notification is processed right away: a failure while processing then
        leaves the notification to the provider's retry.

        Raises:
            HeaderError: a required header is missing or malformed (`.header` names it).
            TimestampOutOfWindowError: X-TIMESTAMP is too old or too new.
            SignatureMismatchError: the signature is not Midtrans's over this body and path.
            ReplayError: this signed request, or this partner id + external id, was already
                accepted that day (`.already_processed` as for `receive`).
            StoreUnavailableError: the replay store could not be reached (answer 5xx).
            BodyNotJSONError: the body is not a JSON object.
            InputError: `body` is not bytes, or the path is outside `path_prefix`.
        """
        checked = self._check(method, path, headers, body)
        claims = self._claims
        if claims is not None:
            try:
                state = claims.claim_all(checked.keys, expires_at=checked.expires_at)
            except BisnapError:
                raise
            except Exception as err:
                raise _store_failure(err) from err
        else:
            state = "claimed"
            for key in checked.keys:
                if not _call_store(self._store.claim, key, expires_at=checked.expires_at):
                    state = "in_progress"
                    break
        if state != "claimed":
            raise self._replayed(checked, state)
        return _build(checked)

    @contextmanager
    def receive(
        self,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
    ) -> Iterator[Notification]:
        """Verify one notification and hold it in progress while the block processes it.

        ```python
        with verifier.receive(method=..., path=..., headers=..., body=raw) as notification:
            record_payment(notification)  # raise to have the provider's retry processed
        ```

        On entry: every check of `verify`, then an in-progress claim (held for `lease`).
        A clean exit commits it (later deliveries are "already processed"); an exception
        in the block releases it and propagates, so the provider's retry is processed.

        Raises:
            ReplayError: `already_processed=True` when the notification was processed
                (`reply_for_error` answers success); False when another worker holds it
                in progress (409: the provider retries later).
            HeaderError, TimestampOutOfWindowError, SignatureMismatchError,
            StoreUnavailableError, BodyNotJSONError, InputError: as `verify`.
            ConfigurationError: the replay store has only `claim()` (not a `ClaimStore`).
        """
        checked = self._check(method, path, headers, body)
        claims = self._claims
        if claims is None:
            raise _no_claim_store(self._store)
        holder = _random.token_hex(16)
        state = _call_store(claims.begin, checked.keys, holder=holder, lease=self._lease)
        if state != "claimed":
            raise self._replayed(checked, state)
        try:
            yield _build(checked)
        except BaseException as exc:
            try:
                _call_store(claims.release, checked.keys, holder=holder)
            except StoreUnavailableError as err:
                _note_release_failure(exc, err)
            raise
        _call_store(claims.commit, checked.keys, holder=holder, expires_at=checked.expires_at)

    def __repr__(self) -> str:
        return f"NotificationVerifier({self._repr_fields()}, replay_store={self._store!r})"


async def _acall_store(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return await call(*args, **kwargs)
    except BisnapError:
        raise
    except Exception as err:
        raise _store_failure(err) from err


class AsyncNotificationVerifier(_VerifierCore):
    """`NotificationVerifier` for async code: the same steps, the store calls awaited.

    `replay_store` is an `AsyncOnceStore` (e.g. `AsyncRedisOnceStore`); a `MemoryOnceStore`
    is accepted too (default, one process only). `receive` needs an `AsyncClaimStore`
    (`AsyncRedisOnceStore`, or a `MemoryOnceStore`).

    Raises:
        ConfigurationError: as `NotificationVerifier`.
        KeyFormatError: the public key cannot be loaded.
    """

    def __init__(
        self,
        *,
        public_key: PublicKeyInput,
        clock: Clock,
        window: timedelta | None = DEFAULT_WINDOW,
        replay_store: AsyncOnceStore | MemoryOnceStore | None = None,
        path_prefix: str | None = None,
        namespace: str = "bisnap:notify",
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        super().__init__(
            public_key=public_key,
            clock=clock,
            window=window,
            path_prefix=path_prefix,
            namespace=namespace,
            lease=lease,
        )
        if replay_store is None:
            replay_store = MemoryOnceStore(clock=clock)
        if isinstance(replay_store, MemoryOnceStore):
            store: AsyncOnceStore = replay_store.as_async()
        elif inspect.iscoroutinefunction(getattr(replay_store, "claim", None)):
            store = replay_store
        else:
            raise ConfigurationError(
                "AsyncNotificationVerifier needs an async replay store (async def claim)",
                hint="Use AsyncRedisOnceStore, or NotificationVerifier with a sync store.",
            )
        self._store = store
        self._claims: AsyncClaimStore | None = store if _is_claim_store(store) else None  # type: ignore[assignment]

    async def verify(
        self,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
    ) -> Notification:
        """Verify one notification, claim it at once, and return it parsed.

        See `NotificationVerifier.verify`.

        Raises:
            HeaderError, TimestampOutOfWindowError, SignatureMismatchError, ReplayError,
            StoreUnavailableError, BodyNotJSONError, InputError: as the sync verifier.
        """
        checked = self._check(method, path, headers, body)
        claims = self._claims
        state: ClaimState
        if claims is not None:
            state = await _acall_store(
                claims.claim_all, checked.keys, expires_at=checked.expires_at
            )
        else:
            state = "claimed"
            for key in checked.keys:
                if not await _acall_store(self._store.claim, key, expires_at=checked.expires_at):
                    state = "in_progress"
                    break
        if state != "claimed":
            raise self._replayed(checked, state)
        return _build(checked)

    @asynccontextmanager
    async def receive(
        self,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
    ) -> AsyncIterator[Notification]:
        """`async with verifier.receive(...) as notification:` (see the sync `receive`).

        Raises:
            ReplayError, HeaderError, TimestampOutOfWindowError, SignatureMismatchError,
            StoreUnavailableError, BodyNotJSONError, InputError, ConfigurationError: as
            the sync verifier.
        """
        checked = self._check(method, path, headers, body)
        claims = self._claims
        if claims is None:
            raise _no_claim_store(self._store)
        holder = _random.token_hex(16)
        state = await _acall_store(claims.begin, checked.keys, holder=holder, lease=self._lease)
        if state != "claimed":
            raise self._replayed(checked, state)
        try:
            yield _build(checked)
        except BaseException as exc:
            # Shielded: a cancelled handler still releases (the store call is time-bounded).
            with anyio.CancelScope(shield=True):
                try:
                    await _acall_store(claims.release, checked.keys, holder=holder)
                except StoreUnavailableError as err:
                    _note_release_failure(exc, err)
            raise
        await _acall_store(
            claims.commit, checked.keys, holder=holder, expires_at=checked.expires_at
        )

    def __repr__(self) -> str:
        return f"AsyncNotificationVerifier({self._repr_fields()}, replay_store={self._store!r})"
