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

import inspect
import secrets as _random
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any

import anyio

from bisnap.clock import Clock
from bisnap.errors import BisnapError, ConfigurationError, StoreUnavailableError
from bisnap.notifications._checks import (
    DEFAULT_LEASE,
    DEFAULT_WINDOW,
    REQUIRED_HEADERS,
    build_notification,
    is_claim_store,
    note_release_failure,
    store_failure,
)
from bisnap.notifications._core import StoreCall, VerifierCore
from bisnap.notifications.model import (
    TRANSACTION_STATUSES,
    Amount,
    Notification,
    TransactionStatus,
)
from bisnap.stores.base import MemoryOnceStore
from bisnap.stores.protocols import (
    AsyncClaimStore,
    AsyncOnceStore,
    ClaimState,
    ClaimStore,
    OnceStore,
)

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


class NotificationVerifier(VerifierCore[OnceStore]):
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

    _store: OnceStore
    _claims: ClaimStore | None

    @staticmethod
    def _adopt_store(
        replay_store: OnceStore | None, clock: Clock
    ) -> tuple[OnceStore, ClaimStore | None, ClaimStore | _ClaimEach]:
        store: OnceStore = (
            replay_store if replay_store is not None else MemoryOnceStore(clock=clock)
        )
        if inspect.iscoroutinefunction(getattr(store, "claim", None)):
            raise ConfigurationError(
                "NotificationVerifier needs a sync replay store; this one is async",
                hint="Use AsyncNotificationVerifier with an async store (AsyncRedisOnceStore).",
            )
        if is_claim_store(store):
            return store, store, store  # type: ignore[return-value]
        return store, None, _ClaimEach(store)

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
        try:
            state = self._claim(checked)
        except BisnapError:
            raise
        except Exception as err:
            raise store_failure(err) from err
        return self._accepted(checked, state)

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
        holder = _random.token_hex(16)
        self._held(checked, _call(self._begin_step(checked, holder)))
        try:
            yield build_notification(checked)
        except BaseException as exc:
            try:
                _call(self._release(checked, holder))
            except StoreUnavailableError as err:
                note_release_failure(exc, err)
            raise
        _call(self._commit(checked, holder))

    def __repr__(self) -> str:
        return f"NotificationVerifier({self._repr_fields()}, replay_store={self._store!r})"


class _ClaimEach:
    """`claim_all` over a store that has only `claim()`: one key after the other."""

    def __init__(self, store: OnceStore) -> None:
        self._store = store

    def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        for key in keys:
            if not self._store.claim(key, expires_at=expires_at):
                return "in_progress"
        return "claimed"


class _AsyncClaimEach:
    """`_ClaimEach` for an async store."""

    def __init__(self, store: AsyncOnceStore) -> None:
        self._store = store

    async def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        for key in keys:
            if not await self._store.claim(key, expires_at=expires_at):
                return "in_progress"
        return "claimed"


def _call(step: StoreCall) -> Any:
    call, args, kwargs = step
    try:
        return call(*args, **kwargs)
    except BisnapError:
        raise
    except Exception as err:
        raise store_failure(err) from err


async def _acall(step: StoreCall) -> Any:
    call, args, kwargs = step
    try:
        return await call(*args, **kwargs)
    except BisnapError:
        raise
    except Exception as err:
        raise store_failure(err) from err


class AsyncNotificationVerifier(VerifierCore[AsyncOnceStore | MemoryOnceStore]):
    """`NotificationVerifier` for async code: the same steps, the store calls awaited.

    `replay_store` is an `AsyncOnceStore` (e.g. `AsyncRedisOnceStore`); a `MemoryOnceStore`
    is accepted too (default, one process only). `receive` needs an `AsyncClaimStore`
    (`AsyncRedisOnceStore`, or a `MemoryOnceStore`).

    Raises:
        ConfigurationError: as `NotificationVerifier`.
        KeyFormatError: the public key cannot be loaded.
    """

    _store: AsyncOnceStore
    _claims: AsyncClaimStore | None

    @staticmethod
    def _adopt_store(
        replay_store: AsyncOnceStore | MemoryOnceStore | None, clock: Clock
    ) -> tuple[AsyncOnceStore, AsyncClaimStore | None, AsyncClaimStore | _AsyncClaimEach]:
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
        if is_claim_store(store):
            return store, store, store  # type: ignore[return-value]
        return store, None, _AsyncClaimEach(store)

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
        try:
            state = await self._claim(checked)
        except BisnapError:
            raise
        except Exception as err:
            raise store_failure(err) from err
        return self._accepted(checked, state)

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
        holder = _random.token_hex(16)
        self._held(checked, await _acall(self._begin_step(checked, holder)))
        try:
            yield build_notification(checked)
        except BaseException as exc:
            # Shielded: a cancelled handler still releases (the store call is time-bounded).
            with anyio.CancelScope(shield=True):
                try:
                    await _acall(self._release(checked, holder))
                except StoreUnavailableError as err:
                    note_release_failure(exc, err)
            raise
        await _acall(self._commit(checked, holder))

    def __repr__(self) -> str:
        return f"AsyncNotificationVerifier({self._repr_fields()}, replay_store={self._store!r})"
