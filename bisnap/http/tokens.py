"""`TokenProvider` and `AsyncTokenProvider`: one access token for many callers, one refresh flow.

`provider.get()` (or `await provider.get()`) returns the cached token, refreshed ahead of
expiry; `provider.invalidate(token)` after a 401.

The refresh is written once, as a flow of steps (`bisnap.http._tokenflow.TokenFlows`):
load from the store → decide (`RefreshPolicy`) → join the refresh in flight or start it →
acquire the store's lease → fetch with retries (one `RetryPolicy`, one deadline) → save →
release. The sync shell performs the steps with blocking calls and `threading`, the async
shell awaits them with anyio; neither holds a rule of its own. The pure parts (request,
answer, policy) are in `bisnap.tokens`.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from datetime import timedelta
from functools import partial
from typing import Any, Generic, TypeVar

import anyio
import httpx

from bisnap.clock import Clock
from bisnap.errors import ConfigurationError
from bisnap.http._flow import Send, Sleep, StoreCall, Wait, adrive, drive
from bisnap.http._send import asend, send
from bisnap.http._tokenflow import DEFAULT_DEADLINE, Settings, TokenFlows, build_settings
from bisnap.http.core import RetryPolicy
from bisnap.keys import PrivateKeyInput
from bisnap.secrets import AccessToken
from bisnap.signing import Encoding
from bisnap.stores.memory import (
    AsyncMemoryTokenStore,
    AsyncTokenStore,
    MemoryTokenStore,
    TokenStore,
)
from bisnap.timestamps import TimestampStyle
from bisnap.tokens import DEFAULT_TOKEN_PATH, RefreshDecision

__all__ = ["DEFAULT_DEADLINE", "AsyncTokenProvider", "TokenProvider"]

S = TypeVar("S")  # the store type
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
W = TypeVar("W")  # what the injected sleep returns (None, or an awaitable)


# --- the shells ------------------------------------------------------------------------------


class _Provider(ABC, Generic[S, H, W]):
    """What both providers share: options, validation, state, and which call performs each
    flow step. Subclasses run those calls (plainly, or awaited)."""

    #: Sends one `Send` step on the shell's httpx client (`send` or `asend`).
    _transport: Callable[[H, Send], Any]

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
        self._s = build_settings(
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

    def _action(self, step: Any) -> Callable[[], Any]:
        """The call that performs one flow step (its result is awaited by the async shell)."""
        if isinstance(step, StoreCall):
            method = getattr(self._store, step.method)
            return partial(method, *step.args, **(step.kwargs or {}))
        if isinstance(step, Send):
            return partial(self._transport, self._http, step)
        if isinstance(step, Sleep):
            return partial(self._sleep, step.seconds)
        if isinstance(step, Wait):
            return step.flight.done.wait  # type: ignore[no-any-return]
        raise TypeError(f"unknown flow step {step!r}")

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
    def _new_flows(self, settings: Settings) -> TokenFlows:
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

    _transport = staticmethod(send)

    def _default_store(self) -> TokenStore:
        return MemoryTokenStore()

    def _new_http(self, timeout: float) -> httpx.Client:
        return httpx.Client(timeout=timeout)

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def _new_flows(self, settings: Settings) -> TokenFlows:
        return TokenFlows(settings, lock=threading.Lock(), new_event=threading.Event)

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
        return self._action(step)()

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

    _transport = staticmethod(asend)

    def _default_store(self) -> AsyncTokenStore:
        return AsyncMemoryTokenStore()

    def _new_http(self, timeout: float) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout)

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        return anyio.sleep

    def _new_flows(self, settings: Settings) -> TokenFlows:
        return TokenFlows(settings, lock=nullcontext(), new_event=anyio.Event)

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
        call = self._action(step)
        if isinstance(step, StoreCall) and step.shield:
            with anyio.CancelScope(shield=True):  # a lease release survives cancellation
                return await call()
        return await call()

    async def aclose(self) -> None:
        """Close the HTTP client if the provider created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncTokenProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
