"""What a store must offer: the protocols the verifiers and token providers are written to.

```
OnceStore / AsyncOnceStore      claim(key, expires_at) -> bool           X-EXTERNAL-ID registries
ClaimStore / AsyncClaimStore    + claim_all / begin / commit / release   notification replays
TokenStore / AsyncTokenStore    load / save / discard / leases           shared access tokens
```

A *claim* over several keys is all-or-nothing and answers one of three `ClaimState`s:
`"claimed"` (every key was free and is now this caller's), `"processed"` (a key was
committed by a handler that finished) or `"in_progress"` (a key is held by a handler still
at work, or was accepted without a commit). Implementations: `bisnap.stores.base`
(in memory), `bisnap.stores.memory` (tokens in memory), `bisnap.stores.redis`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, Protocol, TypeAlias, runtime_checkable

from bisnap.secrets import AccessToken

__all__ = [
    "AsyncClaimStore",
    "AsyncOnceStore",
    "AsyncTokenStore",
    "ClaimState",
    "ClaimStore",
    "OnceStore",
    "TokenStore",
]

ClaimState: TypeAlias = Literal["claimed", "in_progress", "processed"]


@runtime_checkable
class OnceStore(Protocol):
    """Atomic first-claim of a key until an expiry (sync)."""

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed; False if it was already claimed."""
        ...


@runtime_checkable
class AsyncOnceStore(Protocol):
    """Atomic first-claim of a key until an expiry (async)."""

    async def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed; False if it was already claimed."""
        ...


@runtime_checkable
class ClaimStore(OnceStore, Protocol):
    """A once-store that claims several keys at once and knows processed from in progress.

    Every method is atomic over all its `keys` (they share a Redis Cluster hash slot) and
    raises `bisnap.StoreUnavailableError` when the store cannot be reached in time.
    """

    def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none (`verify`: accepted at once)."""
        ...

    def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` for `lease` (in progress), all or none."""
        ...

    def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at` (the handler finished)."""
        ...

    def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress (the handler failed)."""
        ...


@runtime_checkable
class AsyncClaimStore(AsyncOnceStore, Protocol):
    """`ClaimStore` for async code."""

    async def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none (`verify`: accepted at once)."""
        ...

    async def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` for `lease` (in progress), all or none."""
        ...

    async def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at` (the handler finished)."""
        ...

    async def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress (the handler failed)."""
        ...


@runtime_checkable
class TokenStore(Protocol):
    """Where an access token lives, with a lease so one fetcher refreshes it (sync).

    Every method raises `bisnap.StoreUnavailableError` when the backing store cannot be
    reached in time; none of them blocks without a bound.
    """

    def load(self, key: str) -> AccessToken | None:
        """The stored token, or None."""
        ...

    def save(self, key: str, token: AccessToken) -> None:
        """Store `token` (until its expiry, when it has one)."""
        ...

    def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the stored token only if it is still `token`; True if it was deleted."""
        ...

    def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """Take the refresh lease for `ttl`: a lease id, or None if someone else holds it."""
        ...

    def release_lease(self, key: str, lease: str) -> None:
        """Give the lease back (only if `lease` still holds it)."""
        ...


@runtime_checkable
class AsyncTokenStore(Protocol):
    """`TokenStore` for async code."""

    async def load(self, key: str) -> AccessToken | None:
        """The stored token, or None."""
        ...

    async def save(self, key: str, token: AccessToken) -> None:
        """Store `token` (until its expiry, when it has one)."""
        ...

    async def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the stored token only if it is still `token`; True if it was deleted."""
        ...

    async def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """Take the refresh lease for `ttl`: a lease id, or None if someone else holds it."""
        ...

    async def release_lease(self, key: str, lease: str) -> None:
        """Give the lease back (only if `lease` still holds it)."""
        ...
