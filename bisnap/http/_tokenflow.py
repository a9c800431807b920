"""The access-token refresh, written once as a flow of steps (sans-I/O).

`TokenFlows` holds one provider's settings and in-process state (the refresh in flight, the
store-outage fallback) and its flows: `get` (load → decide → join or start the one refresh
→ lease → fetch with retries within one deadline → save → release) and `invalidate`. They
yield `bisnap.http._flow` steps; `TokenProvider` and `AsyncTokenProvider` perform them.
"""

from __future__ import annotations

import copy
import logging
import math
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bisnap.clock import Clock, SystemClock
from bisnap.errors import (
    BisnapError,
    ConfigurationError,
    StoreUnavailableError,
    TokenError,
    TokenExchangeError,
    TransportError,
)
from bisnap.headers import get_header
from bisnap.http._flow import Flow, Send, Sleep, StoreCall, Wait
from bisnap.http.core import RetryPolicy, parse_retry_after
from bisnap.keys import PrivateKeyInput, check_signing_key, load_private_key
from bisnap.secrets import AccessToken
from bisnap.signing import Encoding
from bisnap.stores.memory import MemoryTokenStore
from bisnap.timestamps import TimestampStyle, format_timestamp
from bisnap.tokens import (
    RefreshDecision,
    RefreshPolicy,
    StoreFallbackWarning,
    TokenRequest,
    build_token_request,
    check_grant_type_field,
    check_token_path,
    parse_token_response,
    token_store_key,
)

__all__ = ["DEFAULT_DEADLINE", "UNLOADED", "Settings", "TokenFlows", "build_settings"]

_log = logging.getLogger("bisnap.tokens")

#: Seconds one refresh may take in all (attempts, backoff, lease waits) before it fails.
DEFAULT_DEADLINE = 15.0
_LABEL = "token endpoint"
#: `TokenFlows.get` loads the token itself (the shell did not).
UNLOADED: Any = object()


# --- settings and in-process state --------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything the flow needs, validated once at construction."""

    url: str
    token_path: str
    client_key: str
    private_key: Any
    clock: Clock
    key: str
    policy: RefreshPolicy
    retry: RetryPolicy
    deadline: timedelta
    grant_type_field: str
    timestamp_style: TimestampStyle
    signature_encoding: Encoding
    lease_ttl: timedelta
    poll_interval: float
    max_polls: int
    advisory_retry_after: timedelta
    store_retry_after: timedelta
    fallback_to_memory: bool
    default_expires_in: timedelta | None

    def request(self, now: datetime) -> TokenRequest:
        return build_token_request(
            client_key=self.client_key,
            private_key=self.private_key,
            timestamp=format_timestamp(now, self.timestamp_style),
            path=self.token_path,
            grant_type_field=self.grant_type_field,
            encoding=self.signature_encoding,
        )


def build_settings(
    *,
    base_url: str,
    client_key: str,
    private_key: PrivateKeyInput,
    token_path: str,
    clock: Clock | None,
    advisory_window: timedelta,
    mandatory_window: timedelta,
    retry: RetryPolicy,
    deadline: float,
    grant_type_field: str,
    timestamp_style: TimestampStyle,
    signature_encoding: Encoding,
    fallback_to_memory: bool,
    lease_ttl: timedelta,
    poll_interval: float,
    advisory_retry_after: timedelta,
    store_retry_after: timedelta,
    default_expires_in: timedelta | None,
) -> Settings:
    if not base_url.startswith(("https://", "http://")):
        raise ConfigurationError(
            f"base_url {base_url!r} is not an http(s) URL",
            hint="e.g. https://merchants.sbx.midtrans.com",
        )
    if not client_key:
        raise ConfigurationError("client_key is empty", hint="Pass the X-CLIENT-KEY value.")
    check_token_path(token_path)
    check_grant_type_field(grant_type_field)
    if poll_interval <= 0 or lease_ttl <= timedelta(0):
        raise ConfigurationError("poll_interval and lease_ttl must be positive")
    if not 0 < deadline < 86_400:
        raise ConfigurationError(
            f"deadline is {deadline!r} seconds", hint="Use a positive number, e.g. 15."
        )
    key = load_private_key(private_key)
    check_signing_key(key)
    return Settings(
        url=base_url.rstrip("/") + token_path,
        token_path=token_path,
        client_key=client_key,
        private_key=key,
        clock=clock if clock is not None else SystemClock(),
        key=token_store_key(base_url, client_key),
        policy=RefreshPolicy(advisory=advisory_window, mandatory=mandatory_window),
        retry=retry,
        deadline=timedelta(seconds=deadline),
        grant_type_field=grant_type_field,
        timestamp_style=timestamp_style,
        signature_encoding=signature_encoding,
        lease_ttl=lease_ttl,
        poll_interval=poll_interval,
        max_polls=math.ceil(lease_ttl.total_seconds() / poll_interval) + 1,
        advisory_retry_after=advisory_retry_after,
        store_retry_after=store_retry_after,
        fallback_to_memory=fallback_to_memory,
        default_expires_in=default_expires_in,
    )


def _log_fetched(token: AccessToken) -> None:
    exp = token.expires_at.isoformat() if token.expires_at else None
    _log.info("access token fetched (sha256=%s, expires_at=%s)", token.value.fingerprint, exp)


def _log_advisory_failure(err: BisnapError, current: AccessToken) -> None:
    exp = current.expires_at.isoformat() if current.expires_at else None
    _log.warning(
        "advisory refresh of the access token failed (%s: %s); still serving the current "
        "token (sha256=%s, expires_at=%s)",
        type(err).__name__,
        err,
        current.value.fingerprint,
        exp,
    )


class _Fallback:
    """Store-outage state: when to skip the shared store for the in-process copy."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.fallback_to_memory
        self.down_until: datetime | None = None

    def skip_store(self, now: datetime) -> bool:
        return self.down_until is not None and now < self.down_until

    def mark_down(self, err: StoreUnavailableError, settings: Settings) -> None:
        if self.down_until is None:
            _log.warning("token store unavailable (%s); using the in-process token", err)
            warnings.warn(
                f"bisnap: token store unavailable ({err}); using the in-process token",
                StoreFallbackWarning,
                stacklevel=6,
            )
        self.down_until = settings.clock.now() + settings.store_retry_after

    def mark_up(self) -> None:
        if self.down_until is not None:
            _log.info("token store reachable again")
        self.down_until = None


class _Flight:
    """One refresh in flight in this process: waiters wait on `done`, then share the result."""

    __slots__ = ("done", "error", "token")

    def __init__(self, done: Any) -> None:
        self.done = done  # threading.Event or anyio.Event: set once the refresh has landed
        self.token: AccessToken | None = None
        self.error: BaseException | None = None


# --- the flow (written once) ----------------------------------------------------------------


def _retryable(err: TokenExchangeError) -> bool:
    """5xx or 429 (HTTP status or responseCode): worth another attempt."""
    status = max(err.status_code or 0, err.code.http_status if err.code is not None else 0)
    return status >= 500 or status == 429


def _no_answer(err: TransportError) -> TokenExchangeError:
    cause = err.__cause__ or err
    out = TokenExchangeError(
        f"token endpoint did not answer ({type(cause).__name__})",
        hint="Check connectivity to the provider and the base_url; timeouts are retried."
        if err.retryable
        else err.hint,
    )
    out.__cause__ = cause
    return out


def _gave_up(err: TokenExchangeError | None, attempts: int, why: str) -> TokenExchangeError:
    if err is None:
        return TokenExchangeError(
            "no access token before the refresh deadline",
            hint="Raise deadline= (seconds) or check the token endpoint and the store.",
        )
    why = f"after {attempts} attempts{why}"
    out = TokenExchangeError(
        f"{err.message} ({why})", code=err.code, status_code=err.status_code, hint=err.hint
    )
    out.__cause__ = err.__cause__ or err
    return out


def _why_stopped(retry: RetryPolicy, retry_after: float | None) -> str:
    if retry_after is not None and retry_after > retry.max_retry_after:
        return f"; the provider asked to retry after {retry_after:g} s"
    return "; no time left before the refresh deadline"


class TokenFlows:
    """The token provider's flows and in-process state, shared by both shells.

    `lock` guards the refresh in flight (a `threading.Lock` for threads; nothing for one
    event loop); `new_event` makes its `done` event.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        lock: AbstractContextManager[Any],
        new_event: Callable[[], Any],
    ) -> None:
        self.s = settings
        self.memory = MemoryTokenStore()  # the in-process copy used while the store is down
        self.fallback = _Fallback(settings)
        self.mirrored: AccessToken | None = None
        self.flight: _Flight | None = None
        self.advisory_not_before: datetime | None = None
        self._lock = lock
        self._new_event = new_event

    # -- store access, with the optional in-process fallback --------------------------------

    def load(self, now: datetime) -> Flow[AccessToken | None]:
        s, fb = self.s, self.fallback
        if fb.enabled and fb.skip_store(now):
            return self.memory.load(s.key)
        try:
            token: AccessToken | None = yield StoreCall("load", (s.key,))
        except StoreUnavailableError as err:
            if not fb.enabled:
                raise
            fb.mark_down(err, s)
            return self.memory.load(s.key)
        if fb.enabled:
            fb.mark_up()
            if token is not None and token is not self.mirrored:
                self.memory.save(s.key, token)
                self.mirrored = token
        return token

    def call(self, method: str, *args: Any, shield: bool = False, **kwargs: Any) -> Flow[Any]:
        """`method` on the store; on the in-process copy while the store is down."""
        fb = self.fallback
        if fb.enabled and fb.skip_store(self.s.clock.now()):
            return getattr(self.memory, method)(*args, **kwargs)
        try:
            return (yield StoreCall(method, args, kwargs or None, shield))
        except StoreUnavailableError as err:
            if not fb.enabled:
                raise
            fb.mark_down(err, self.s)
            return getattr(self.memory, method)(*args, **kwargs)

    def save(self, token: AccessToken) -> Flow[None]:
        yield from self.call("save", self.s.key, token)
        if self.fallback.enabled:
            self.memory.save(self.s.key, token)
            self.mirrored = token

    # -- get ----------------------------------------------------------------------------------

    def get(self, now: datetime, loaded: AccessToken | None = UNLOADED) -> Flow[AccessToken]:
        """A valid token: the cached one, or the one refresh's result for every caller.

        In the advisory window one caller refreshes while the others keep the current
        token; in the mandatory window (or with no token) everyone waits for that refresh.
        """
        s = self.s
        token = (yield from self.load(now)) if loaded is UNLOADED else loaded
        decision = s.policy.decide(token, now)
        if decision is RefreshDecision.FRESH and token is not None:
            return token
        if decision is RefreshDecision.ADVISORY and token is not None:
            if self.advisory_not_before is not None and now < self.advisory_not_before:
                return token
            flight, mine = self._join()
            if not mine:
                return token  # someone is refreshing: keep using the valid token
            return (yield from self._fly(flight, token))
        while True:
            flight, mine = self._join()
            if mine:
                return (yield from self._fly(flight, None))
            yield Wait(flight)
            shared = self._landed(flight)
            if shared is not None:
                return shared

    def _join(self) -> tuple[_Flight, bool]:
        """The refresh in flight, or a new one that this caller runs (True)."""
        with self._lock:
            if self.flight is None:
                self.flight = _Flight(self._new_event())
                return self.flight, True
            return self.flight, False

    def _fly(self, flight: _Flight, current: AccessToken | None) -> Flow[AccessToken]:
        """Run the refresh of `flight`; waiters get its token or its error."""
        try:
            token = yield from self._refresh(current)
            flight.token = token
            return token
        except BaseException as err:
            flight.error = err
            if current is None or not isinstance(err, BisnapError):
                raise
            _log_advisory_failure(err, current)
            self.advisory_not_before = self.s.clock.now() + self.s.advisory_retry_after
            return current
        finally:
            with self._lock:
                self.flight = None
            flight.done.set()

    def _landed(self, flight: _Flight) -> AccessToken | None:
        """What a waiter takes from a finished flight: a usable token, the fetcher's error
        (raised as a copy), or None to try again (the fetcher was cancelled, or its token is
        already in the mandatory window)."""
        token = flight.token
        if token is not None:
            decision = self.s.policy.decide(token, self.s.clock.now())
            return token if decision is not RefreshDecision.MANDATORY else None
        err = flight.error
        if isinstance(err, BisnapError):
            shared = copy.copy(err)
            raise shared from err
        return None

    # -- refresh (run by the one caller that owns the flight) -------------------------------

    def _settled(self, current: AccessToken | None) -> Flow[AccessToken | None]:
        """A token good enough to return without fetching, if the store now has one."""
        now = self.s.clock.now()
        token = yield from self.load(now)
        decision = self.s.policy.decide(token, now)
        if token is None or decision is RefreshDecision.MANDATORY:
            return None
        if decision is RefreshDecision.FRESH or current is None or token != current:
            return token
        return None

    def _refresh(self, current: AccessToken | None) -> Flow[AccessToken]:
        s = self.s
        deadline = s.clock.now() + s.deadline
        settled = yield from self._settled(current)
        if settled is not None:
            return settled
        for _ in range(s.max_polls):
            lease = yield from self.call("acquire_lease", s.key, ttl=s.lease_ttl)
            if lease is not None:
                try:
                    settled = yield from self._settled(current)
                    if settled is not None:
                        return settled
                    token = yield from self._fetch(deadline)
                    yield from self.save(token)
                    return token
                finally:
                    # A cancelled or failed fetcher still lets go of the lease.
                    yield from self.call("release_lease", s.key, lease, shield=True)
            if current is not None:
                return current  # advisory: another process is refreshing
            if self._remaining(deadline) <= s.poll_interval:
                break
            yield Sleep(s.poll_interval)
            settled = yield from self._settled(None)
            if settled is not None:
                return settled
        raise TokenError(
            "timed out waiting for another process to refresh the access token",
            hint="The lease holder may be stuck; check the token endpoint, lease_ttl and deadline.",
        )

    def _remaining(self, deadline: datetime) -> float:
        return (deadline - self.s.clock.now()).total_seconds()

    def _fetch(self, deadline: datetime) -> Flow[AccessToken]:
        """POST the token request: retried on 5xx, 429 and lost answers, within `deadline`."""
        s, retry = self.s, self.s.retry
        error: TokenExchangeError | None = None
        retry_after: float | None = None
        attempt, why = 0, ""
        while attempt < retry.max_attempts:
            if attempt:
                wait = retry.pause(
                    attempt, retry_after=retry_after, remaining=self._remaining(deadline)
                )
                if wait is None:
                    why = _why_stopped(retry, retry_after)
                    break
                yield Sleep(wait)
            remaining = self._remaining(deadline)
            if remaining <= 0:
                why = "; the refresh deadline passed"
                break
            attempt += 1
            sent_at = s.clock.now()
            request = s.request(sent_at)
            _log.debug("requesting an access token: %r", request)
            retry_after = None
            try:
                answer = yield Send(
                    "POST", s.url, request.body, request.headers, _LABEL, timeout=remaining
                )
            except TransportError as err:
                error = _no_answer(err)
                if not err.retryable:
                    raise error from err.__cause__
                continue
            try:
                token = parse_token_response(
                    answer.status_code,
                    answer.content,
                    obtained_at=sent_at,
                    default_expires_in=s.default_expires_in,
                )
            except TokenExchangeError as err:
                if not _retryable(err):
                    raise
                error = err
                header = get_header(answer.headers, "Retry-After")
                retry_after = parse_retry_after(header, now=s.clock.now())
                continue
            _log_fetched(token)
            return token
        raise _gave_up(error, attempt, why)

    # -- invalidate ---------------------------------------------------------------------------

    def invalidate(self, token: AccessToken) -> Flow[bool]:
        """Drop `token` if it is still the cached one (N concurrent 401s: one refetch)."""
        s, fb = self.s, self.fallback
        dropped = self.memory.discard(s.key, token)
        if fb.enabled and fb.skip_store(s.clock.now()):
            return dropped
        try:
            return bool((yield StoreCall("discard", (s.key, token)))) or dropped
        except StoreUnavailableError as err:
            if not fb.enabled:
                raise
            fb.mark_down(err, s)
            return dropped
