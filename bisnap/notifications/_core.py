"""`VerifierCore`: the configuration and the pure steps both notification verifiers run.

Steps 1-4 of the check (headers, X-TIMESTAMP, window, signature), the replay keys, and
the replay claims as store calls (`StoreCall`: method, args, kwargs) with what each answer
means. The sync and async verifiers (`bisnap.notifications.verify`) only perform those
calls, directly or awaited.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any, Final, Generic, NoReturn, TypeVar

from bisnap import canonical
from bisnap.catalogue import NotificationEndpoint, notification_by_path
from bisnap.clock import JAKARTA, Clock, end_of_jakarta_day, jakarta_day_and_end
from bisnap.errors import (
    BisnapError,
    BodyNotJSONError,
    ConfigurationError,
    HeaderError,
    InputError,
    NotPicklableError,
    ReplayError,
    SignatureFormatError,
    SignatureMismatchError,
    TimestampFormatError,
    TimestampOutOfWindowError,
)
from bisnap.headers import X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP
from bisnap.keys import PublicKeyInput, check_verifying_key, load_public_key
from bisnap.minify import minify, minify_unchecked
from bisnap.notifications._checks import (
    DEFAULT_LEASE,
    DEFAULT_WINDOW,
    FOREIGN,
    LAST_INSTANT,
    MALFORMED,
    ONE_DAY,
    ONE_SECOND,
    ROUTES,
    Checked,
    HeaderLayouts,
    build_notification,
    check_lease,
    check_prefix,
    check_window,
    no_claim_store,
    parse_header_timestamp,
    required_headers,
    shown_path,
    unusable_body,
)
from bisnap.notifications.model import (
    Notification,
    TraceStages,
    require_raw_body,
    trace_from_stages,
)
from bisnap.signing import decode_signature, rsa_verify
from bisnap.stores.protocols import ClaimState

#: One store call a flow asks its shell to perform: (method, args, kwargs).
StoreCall = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]

_S = TypeVar("_S")


#: An X-TIMESTAMP and what follows from it alone (`VerifierCore._stamp`): the text, the
#: instant as parsed, the instant in WIB, its Jakarta day, the replay keys' hash tag for
#: that day, the day's end, and when its replay keys lapse (None: no window). A plain
#: tuple: one is built per X-TIMESTAMP on the hot path.
_Stamp = tuple[str, datetime, datetime, str, str, datetime, datetime | None]

# `Checked(...)` without its generated Python-level __new__ (one per notification).
_checked: Final = tuple.__new__

_NO_STAMP: Final[_Stamp] = ("", LAST_INSTANT, LAST_INSTANT, "", "", LAST_INSTANT, None)
_NO_DAY: Final = (LAST_INSTANT, LAST_INSTANT, "", "")


class VerifierCore(Generic[_S]):
    """The configuration and the pure steps both verifiers share.

    `_S` is the replay store a verifier takes; each shell adopts it (`_adopt_store`).
    """

    def __reduce__(self) -> NoReturn:
        # It holds a replay store (locks, a Redis connection): build one per process.
        raise NotPicklableError(
            f"a {type(self).__name__} cannot be pickled: it holds a replay store",
            hint="Build the verifier in each process (e.g. at app start-up).",
        )

    _store: Any
    _claims: Any  # the store when it can hold a claim in progress (receive), else None
    _claimer: Any  # what verify calls claim_all on: the store, or an adapter over claim()

    if TYPE_CHECKING:

        @staticmethod
        def _adopt_store(replay_store: _S | None, clock: Clock) -> tuple[Any, Any, Any]: ...

    def __init__(
        self,
        *,
        public_key: PublicKeyInput,
        clock: Clock,
        window: timedelta | None = DEFAULT_WINDOW,
        replay_store: _S | None = None,
        path_prefix: str | None = None,
        namespace: str = "bisnap:notify",
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self._public_key = load_public_key(public_key)
        check_verifying_key(self._public_key)
        self._key_bytes = self._public_key.key_size // 8
        if not callable(getattr(clock, "now", None)):
            raise ConfigurationError(
                "clock has no now()", hint="Pass bisnap.SystemClock() (or a FixedClock in tests)."
            )
        self._clock = clock
        self._window = check_window(window)
        self._negative_window = -self._window if self._window is not None else timedelta(0)
        self._margin = self._window + ONE_SECOND if self._window is not None else None
        self._prefix = check_prefix(path_prefix)
        self._namespace = namespace
        self._lease = check_lease(lease)
        self._last_day: tuple[datetime, datetime, str, str] = _NO_DAY
        self._last_stamp: _Stamp = _NO_STAMP
        # The zone the remembered instants are kept in: the one the clock reads in (WIB until
        # it reads otherwise), so the window's arithmetic with the clock skips offset lookups.
        self._zone: tzinfo = JAKARTA
        self._routes: dict[str, tuple[str, NotificationEndpoint | None]] = {}
        self._layouts: HeaderLayouts = {}
        self._store, self._claims, self._claimer = self._adopt_store(replay_store, clock)
        self._claim_all = self._claimer.claim_all

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
                f"request path {shown_path(path)!r} does not start with path_prefix {prefix!r}",
                hint="Mount the notification handler under the prefix you registered with "
                "Midtrans, or correct path_prefix.",
            )
        return rest

    def _day_of(self, timestamp: datetime) -> tuple[str, datetime, str]:
        # Notifications arrive on the same day one after another: keep the last day, its
        # end (in the verifier's zone) and its keys' hash tag.
        start, end, day, tag = self._last_day
        if start <= timestamp < end:
            return day, end, tag
        day, end = jakarta_day_and_end(timestamp)
        start = end - ONE_DAY
        with suppress(OverflowError):  # at the ends of datetime's range: as clamped, in WIB
            start, end = start.astimezone(self._zone), end.astimezone(self._zone)
        tag = self._tag(day)
        self._last_day = (start, end, day, tag)
        return day, end, tag

    def _rezone(self, zone: tzinfo) -> None:
        # The clock reads in another fixed offset: keep the remembered instants in it from now
        # on (an offset equal to the current one, under another object, changes nothing).
        # Only fixed offsets: between two datetimes of one tzinfo Python subtracts wall
        # times, which across a DST change in a zone with rules is not the time elapsed.
        if type(zone) is not timezone or zone == self._zone:
            return
        self._zone = zone
        self._last_stamp = _NO_STAMP
        self._last_day = _NO_DAY

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
        # The path as signed, validated once here (the hot path reads it from the memo).
        signed = canonical.signed_path(self.signed_path(path))
        route = (signed, notification_by_path(signed))
        if len(self._routes) >= ROUTES:
            self._routes.clear()
        self._routes[path] = route
        return route

    def _check(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: object,
    ) -> Checked:
        raw = body if type(body) is bytes else require_raw_body(body)
        route = self._routes.get(path) if type(path) is str else None
        signed_path, service = route if route is not None else self._route(path)
        timestamp_text, signature, partner_id, external_id = required_headers(
            headers, self._layouts
        )

        # Notifications arrive in bursts stamped with the same second: the last X-TIMESTAMP
        # is remembered with all that follows from it alone (parsed, the instant in the
        # verifier's zone, day, keys' hash tag and expiry). The clock is read, and the window
        # checked, every call.
        now = self._clock.now()
        zone = now.tzinfo
        if zone is not self._zone and zone is not None:
            self._rezone(zone)
        stamp = self._last_stamp
        if stamp[0] != timestamp_text:
            stamp = self._stamp(timestamp_text)
        _, timestamp, local, day, tag, end_of_day, expires_at = stamp
        window = self._window
        if window is not None:
            skew = now - local
            if skew > window:
                raise TimestampOutOfWindowError(direction="too old", skew=skew, window=window)
            if skew < self._negative_window:
                raise TimestampOutOfWindowError(direction="too new", skew=skew, window=window)

        # SNAP: notification signature = SHA256withRSA over
        # POST:EndpointUrl:lowerhex(sha256(minify(body))):X-TIMESTAMP, EndpointUrl being the
        # path after the merchant's prefix (midtrans-core.md §5 "Signature", "EndpointUrl");
        # the path was validated by canonical.signed_path when its route was found.
        signed_method = canonical.signed_method(method)
        try:
            minified = minify_unchecked(raw)
        except BisnapError:
            raise
        except FOREIGN as err:  # unauthenticated bytes: a bad request, never a crash
            raise unusable_body(err) from err
        digest = hashlib.sha256(minified).hexdigest()
        try:
            raw_signature, encoding = decode_signature(signature, self._key_bytes)
        except SignatureFormatError as err:
            raise HeaderError(
                f"{MALFORMED} {X_SIGNATURE}: {err}", header=X_SIGNATURE, hint=err.hint
            ) from err
        string_to_sign = canonical.format_asymmetric(
            signed_method, signed_path, digest, timestamp_text
        )
        try:
            signed = string_to_sign.encode("utf-8")
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
        if not rsa_verify(raw_signature, signed, self._public_key):
            raise self._mismatch(raw, stages, signed_path)

        if expires_at is None:  # no window: until the later of the two Jakarta days' ends
            expires_at = max(end_of_day, end_of_jakarta_day(now))
        keys = (
            f"{tag}:signed:{hashlib.sha256(signed).hexdigest()}",
            f"{tag}:{len(partner_id)}:{partner_id}:{external_id}",
        )
        return _checked(
            Checked,
            (
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
            ),
        )

    def _stamp(self, timestamp_text: str) -> _Stamp:
        # X-TIMESTAMP parsed once, and everything that depends on it alone.
        try:
            timestamp = parse_header_timestamp(timestamp_text)
        except TimestampFormatError as err:
            raise HeaderError(
                f"{MALFORMED} {X_TIMESTAMP}: {err}", header=X_TIMESTAMP, hint=err.hint
            ) from err
        # The instant in the verifier's zone, the clock's: arithmetic between datetimes that
        # share one tzinfo object skips the offset lookups (the day's end is in it too).
        try:
            local = timestamp.astimezone(self._zone)
        except OverflowError:  # at the ends of datetime's range: the instant as parsed
            local = timestamp
        # SNAP: X-EXTERNAL-ID is unique per partner per day (snap-standard.md §1.3;
        # midtrans-core.md §5 "Replay / timestamp"). The keys live to the end of the
        # timestamp's Jakarta day, and at least until the window would reject the request,
        # so a copy replayed just after midnight is still caught.
        day, end_of_day, tag = self._day_of(local)
        expires_at: datetime | None = None
        margin = self._margin
        if margin is not None:
            try:
                expires_at = local + margin
            except OverflowError:
                expires_at = LAST_INSTANT
            if expires_at < end_of_day:
                expires_at = end_of_day
        stamp = (timestamp_text, timestamp, local, day, tag, end_of_day, expires_at)
        self._last_stamp = stamp
        return stamp

    # --- the replay claims, as store calls: the sync and async shells only perform them ---

    def _claim(self, checked: Checked) -> Any:
        """`verify`: claim both keys, committed at once (all or none).

        The store's answer, or its awaitable: the async shell awaits it. Called directly,
        not as a `StoreCall`: this is the one store call on every notification's path.
        """
        return self._claim_all(checked.keys, expires_at=checked.expires_at)

    def _accepted(self, checked: Checked, state: ClaimState) -> Notification:
        """The notification when its keys were free, else the replay."""
        if state != "claimed":
            raise self._replayed(checked, state)
        return build_notification(checked)

    def _begin_step(self, checked: Checked, holder: str) -> StoreCall:
        """`receive`: hold both keys in progress for `holder` (all or none)."""
        claims = self._claims
        if claims is None:
            raise no_claim_store(self._store)
        return claims.begin, (checked.keys,), {"holder": holder, "lease": self._lease}

    def _held(self, checked: Checked, state: ClaimState) -> None:
        """`receive` goes on when the keys were free (the shell parses the body inside its
        block, so a body that is not JSON releases them too)."""
        if state != "claimed":
            raise self._replayed(checked, state)

    def _release(self, checked: Checked, holder: str) -> StoreCall:
        """`receive`'s block raised: free the keys for the provider's retry."""
        return self._claims.release, (checked.keys,), {"holder": holder}

    def _commit(self, checked: Checked, holder: str) -> StoreCall:
        """`receive`'s block succeeded: the keys are processed until they expire."""
        kwargs = {"holder": holder, "expires_at": checked.expires_at}
        return self._claims.commit, (checked.keys,), kwargs

    def _mismatch(
        self, raw: bytes, stages: TraceStages, signed_path: str
    ) -> BodyNotJSONError | SignatureMismatchError:
        try:
            minify(raw)  # a body that is not JSON is the better answer than "mismatch"
        except BodyNotJSONError as err:
            return err
        except FOREIGN as err:
            return unusable_body(err)
        known = notification_by_path(signed_path)
        if known is not None and signed_path != known.path:
            hint = (
                f"Midtrans signs the path after the prefix you registered ({known.path!r}), "
                f"not {shown_path(signed_path)!r}: pass path_prefix="
                f"{signed_path[: -len(known.path)]!r} to the verifier."
            )
        else:
            hint = (
                "Check that this is Midtrans's public key for this environment (sandbox or "
                "production), that the body passed is the raw request body, and that "
                "path_prefix strips exactly the prefix you registered."
            )
        return SignatureMismatchError(
            "notification signature does not match",
            stage="signature",
            trace=trace_from_stages(stages),
            hint=hint,
        )

    def _replayed(self, checked: Checked, state: ClaimState) -> ReplayError:
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
