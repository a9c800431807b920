"""`TokenProvider` and `AsyncTokenProvider`: one access token for many callers, one refresh flow.

`provider.get()` (or `await provider.get()`) returns the cached token, refreshed ahead of
expiry; `provider.invalidate(token)` after a 401.

The refresh is written once, as a flow of steps (`_TokenFlows`): load from the store →
decide (`RefreshPolicy`) → join the refresh in flight or start it → acquire the store's
lease → fetch with retries (one `RetryPolicy`, one deadline) → save → release. The sync
shell performs the steps with blocking calls and `threading`, the async shell awaits them
with anyio; neither holds a rule of its own. The pure parts (request, answer, policy) are
in `bisnap.tokens`.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import anyio
import httpx

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
from bisnap.http._flow import Flow, Send, Sleep, StoreCall, Wait, adrive, drive
from bisnap.http._send import asend, send
from bisnap.http.core import RetryPolicy, parse_retry_after
from bisnap.keys import PrivateKeyInput, check_signing_key, load_private_key
from bisnap.secrets import AccessToken
from bisnap.signing import Encoding
from bisnap.stores.memory import (
    AsyncMemoryTokenStore,
    AsyncTokenStore,
    MemoryTokenStore,
    TokenStore,
)
from bisnap.timestamps import TimestampStyle, format_timestamp
from bisnap.tokens import (
    DEFAULT_TOKEN_PATH,
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

__all__ = ["DEFAULT_DEADLINE", "AsyncTokenProvider", "TokenProvider"]

_log = logging.getLogger("bisnap.tokens")

#: Seconds one refresh may take in all (attempts, backoff, lease waits) before it fails.
DEFAULT_DEADLINE = 15.0
_LABEL = "token endpoint"
_UNLOADED: Any = object()

S = TypeVar("S")  # the store type
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
W = TypeVar("W")  # what the injected sleep returns (None, or an awaitable)


# --- settings and in-process state --------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
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


def _settings(
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
) -> _Settings:
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
    return _Settings(
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

    def __init__(self, settings: _Settings) -> None:
        self.enabled = settings.fallback_to_memory
        self.down_until: datetime | None = None

    def skip_store(self, now: datetime) -> bool:
        return self.down_until is not None and now < self.down_until

    def mark_down(self, err: StoreUnavailableError, settings: _Settings) -> None:
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


class _TokenFlows:
    """The token provider's flows and in-process state, shared by both shells.

    `lock` guards the refresh in flight (a `threading.Lock` for threads; nothing for one
    event loop); `new_event` makes its `done` event.
    """

    def __init__(
        self,
        settings: _Settings,
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

    def get(self, now: datetime, loaded: AccessToken | None = _UNLOADED) -> Flow[AccessToken]:
        """A valid token: the cached one, or the one refresh's result for every caller.

        In the advisory window one caller refreshes while the others keep the current
        token; in the mandatory window (or with no token) everyone waits for that refresh.
        """
        s = self.s
        token = (yield from self.load(now)) if loaded is _UNLOADED else loaded
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


# --- the shells ------------------------------------------------------------------------------


class _Provider(ABC, Generic[S, H, W]):
    """What both providers share: options, validation, state. Subclasses perform steps."""

    def __init__(
        self,
        *,
        base_url: str,
        client_key: str,
        private_key: PrivateKeyInput,
        token_path: str = DEFAULT_TOKEN_PATH,
        clock: Clock | None = None,
        store: S | None = None,
        http_client: H | None = None,
        advisory_window: timedelta = timedelta(seconds=120),
        mandatory_window: timedelta = timedelta(seconds=30),
        max_attempts: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 5.0,
        sleep: Callable[[float], W] | None = None,
        timeout: float = 10.0,
        grant_type_field: str = "grantType",
        timestamp_style: TimestampStyle = TimestampStyle.JAKARTA,
        signature_encoding: Encoding = "base64",
        fallback_to_memory: bool = False,
        lease_ttl: timedelta = timedelta(seconds=30),
        poll_interval: float = 0.05,
        advisory_retry_after: timedelta = timedelta(seconds=10),
        store_retry_after: timedelta = timedelta(seconds=5),
        default_expires_in: timedelta | None = None,
        retry: RetryPolicy | None = None,
        deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        policy = retry or RetryPolicy(
            max_attempts=max_attempts, backoff=backoff, max_backoff=max_backoff
        )
        self._s = _settings(
            base_url=base_url,
            client_key=client_key,
            private_key=private_key,
            token_path=token_path,
            clock=clock,
            advisory_window=advisory_window,
            mandatory_window=mandatory_window,
            retry=policy,
            deadline=deadline,
            grant_type_field=grant_type_field,
            timestamp_style=timestamp_style,
            signature_encoding=signature_encoding,
            fallback_to_memory=fallback_to_memory,
            lease_ttl=lease_ttl,
            poll_interval=poll_interval,
            advisory_retry_after=advisory_retry_after,
            store_retry_after=store_retry_after,
            default_expires_in=default_expires_in,
        )
        self._store: S = store if store is not None else self._default_store()
        self._owns_http = http_client is None
        self._http: H = http_client if http_client is not None else self._new_http(timeout)
        self._sleep: Callable[[float], W] = sleep if sleep is not None else self._default_sleep()
        self._flows = self._new_flows(self._s)

    @abstractmethod
    def _default_store(self) -> S:
        """The store used when none is given."""

    @abstractmethod
    def _new_http(self, timeout: float) -> H:
        """The HTTP client made when none is given."""

    @abstractmethod
    def _default_sleep(self) -> Callable[[float], W]:
        """The sleep used when none is given."""

    @abstractmethod
    def _new_flows(self, settings: _Settings) -> _TokenFlows:
        """The flows with this shell's lock and event type."""

    def __reduce__(self) -> tuple[Any, ...]:
        raise ConfigurationError(
            f"a {type(self).__name__} cannot be pickled: it holds the private key and tokens",
            hint="Build the provider in each process; share tokens through a RedisTokenStore.",
        )

    def __repr__(self) -> str:
        s = self._s
        return f"{type(self).__name__}(url={s.url!r}, store={self._store!r}, policy={s.policy!r})"


class TokenProvider(_Provider[TokenStore, httpx.Client, None]):
    """Hand out a valid B2B access token, fetching it once for many threads and processes.

    In: `base_url` and `token_path` (the provider's prefix, e.g. `/snap/v1.0/access-token/b2b`),
    `client_key`, `private_key` (PEM/DER/key object), an optional `clock`, `store`
    (`MemoryTokenStore` by default; `RedisTokenStore` to share across processes) and
    `http_client` (an `httpx.Client`; by default one is created with `timeout`).
    Options: `advisory_window` / `mandatory_window`; retries of 5xx, 429 and lost answers
    through `sleep`, by `retry` (a `RetryPolicy`, the one the clients use) or, without it,
    `max_attempts` with `backoff`/`max_backoff`; `deadline` (seconds, default 15): one
    refresh — attempts, backoff, waits for another process's lease — ends by then, and each
    socket timeout is cut to the time left; `grant_type_field`, `timestamp_style`,
    `fallback_to_memory` (use the in-process token, with a `StoreFallbackWarning`, while the
    shared store is unreachable), `lease_ttl` and `poll_interval` (cross-process waits).

    Raises:
        ConfigurationError, KeyFormatError, KeyTooSmallError: at construction.
    """

    def _default_store(self) -> TokenStore:
        return MemoryTokenStore()

    def _new_http(self, timeout: float) -> httpx.Client:
        return httpx.Client(timeout=timeout)

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def _new_flows(self, settings: _Settings) -> _TokenFlows:
        return _TokenFlows(settings, lock=threading.Lock(), new_event=threading.Event)

    def get(self) -> AccessToken:
        """A valid access token: the cached one, or a fresh one fetched once for everybody.

        In the advisory window one caller refreshes while the others keep the current token;
        in the mandatory window (or with no token) everyone waits for that one refresh.

        Raises:
            TokenExchangeError: the token endpoint refused (`.code`) or did not answer.
            StoreUnavailableError: the shared store is unreachable (and no fallback).
            TokenError: another process held the refresh lease too long.
        """
        flows = self._flows
        s = flows.s
        now = s.clock.now()
        if flows.fallback.enabled:
            return drive(flows.get(now), self._perform)
        token = self._store.load(s.key)  # the cache hit stays a plain call
        if token is not None and s.policy.decide(token, now) is RefreshDecision.FRESH:
            return token
        return drive(flows.get(now, token), self._perform)

    def invalidate(self, token: AccessToken) -> bool:
        """Forget `token` after a 401 (invalid token) from a service call.

        Only if the cached token is still `token`: N concurrent 401s for one token cause one
        refetch (the next `get()`), not N.
        Out: True if this call dropped the token.

        Raises:
            StoreUnavailableError: the shared store is unreachable (and no fallback).
        """
        return drive(self._flows.invalidate(token), self._perform)

    def _perform(self, step: Any) -> Any:
        if isinstance(step, StoreCall):
            return getattr(self._store, step.method)(*step.args, **(step.kwargs or {}))
        if isinstance(step, Send):
            return send(self._http, step)
        if isinstance(step, Sleep):
            return self._sleep(step.seconds)
        if isinstance(step, Wait):
            return step.flight.done.wait()
        raise TypeError(f"unknown flow step {step!r}")

    def close(self) -> None:
        """Close the HTTP client if the provider created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> TokenProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncTokenProvider(_Provider[AsyncTokenStore, httpx.AsyncClient, Awaitable[None]]):
    """`TokenProvider` for async code: the same options, `await provider.get()`.

    In: as `TokenProvider`, with an `AsyncTokenStore` (`AsyncMemoryTokenStore` by default,
    `AsyncRedisTokenStore` to share), an `httpx.AsyncClient`, and an async `sleep`.
    At most one fetch is in flight per provider, however many tasks call `get()`. Use one
    provider per event loop (its in-flight state belongs to the loop that made it).

    Raises:
        ConfigurationError, KeyFormatError, KeyTooSmallError: at construction.
    """

    def _default_store(self) -> AsyncTokenStore:
        return AsyncMemoryTokenStore()

    def _new_http(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout)

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        return anyio.sleep

    def _new_flows(self, settings: _Settings) -> _TokenFlows:
        return _TokenFlows(settings, lock=nullcontext(), new_event=anyio.Event)

    async def get(self) -> AccessToken:
        """A valid access token: the cached one, or a fresh one fetched once for all tasks.

        Raises:
            TokenExchangeError: the token endpoint refused (`.code`) or did not answer.
            StoreUnavailableError: the shared store is unreachable (and no fallback).
            TokenError: another process held the refresh lease too long.
        """
        flows = self._flows
        s = flows.s
        now = s.clock.now()
        if flows.fallback.enabled:
            return await adrive(flows.get(now), self._perform)
        token = await self._store.load(s.key)  # the cache hit stays a plain await
        if token is not None and s.policy.decide(token, now) is RefreshDecision.FRESH:
            return token
        return await adrive(flows.get(now, token), self._perform)

    async def invalidate(self, token: AccessToken) -> bool:
        """Forget `token` after a 401 (invalid token), only if it is still the cached one.

        Out: True if this call dropped the token.

        Raises:
            StoreUnavailableError: the shared store is unreachable (and no fallback).
        """
        return await adrive(self._flows.invalidate(token), self._perform)

    async def _perform(self, step: Any) -> Any:
        if isinstance(step, StoreCall):
            call = getattr(self._store, step.method)
            if step.shield:
                with anyio.CancelScope(shield=True):
                    return await call(*step.args, **(step.kwargs or {}))
            return await call(*step.args, **(step.kwargs or {}))
        if isinstance(step, Send):
            return await asend(self._http, step)
        if isinstance(step, Sleep):
            return await self._sleep(step.seconds)
        if isinstance(step, Wait):
            return await step.flight.done.wait()
        raise TypeError(f"unknown flow step {step!r}")

    async def aclose(self) -> None:
        """Close the HTTP client if the provider created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncTokenProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
