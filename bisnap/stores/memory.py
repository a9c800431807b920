"""The in-process token store (the protocols live in `bisnap.stores.protocols`).

A token store only *stores* and *leases*: it keeps the current access token under a key and
hands out a short lease so that one fetcher at a time refreshes it. When to refresh is not
its business: that is `bisnap.tokens.RefreshPolicy`, shared by the sync and async providers.

`MemoryTokenStore` is the default (one per provider, never a module-level global);
`bisnap.stores.redis.RedisTokenStore` shares a token across processes and hosts.
"""

from __future__ import annotations

import secrets as _random
import threading
from datetime import timedelta
from typing import NoReturn

from bisnap.errors import NotPicklableError
from bisnap.secrets import AccessToken
from bisnap.stores.protocols import AsyncTokenStore, TokenStore

__all__ = ["AsyncMemoryTokenStore", "AsyncTokenStore", "MemoryTokenStore", "TokenStore"]


class MemoryTokenStore:
    """In-process token store (thread-safe). The default store of `TokenProvider`.

    Leases are held until released: in one process the holder always releases (the provider
    does so in `finally`), so no lease timer is needed.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, AccessToken] = {}
        self._leases: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> AccessToken | None:
        """The stored token, or None."""
        return self._tokens.get(key)

    def save(self, key: str, token: AccessToken) -> None:
        """Store `token` under `key`."""
        with self._lock:
            self._tokens[key] = token

    def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the token under `key` if it is still `token`."""
        with self._lock:
            current = self._tokens.get(key)
            if current is not None and current.value == token.value:
                del self._tokens[key]
                return True
            return False

    def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """Take the lease of `key` unless it is held."""
        with self._lock:
            if key in self._leases:
                return None
            lease = _random.token_hex(8)
            self._leases[key] = lease
            return lease

    def release_lease(self, key: str, lease: str) -> None:
        """Release the lease of `key` if `lease` holds it."""
        with self._lock:
            if self._leases.get(key) == lease:
                del self._leases[key]

    def as_async(self) -> AsyncMemoryTokenStore:
        """This store behind `AsyncTokenStore`."""
        return AsyncMemoryTokenStore(self)

    def __repr__(self) -> str:
        return f"MemoryTokenStore(tokens={len(self._tokens)})"

    def __reduce__(self) -> NoReturn:
        # It holds live access tokens: never written to a pickle.
        raise NotPicklableError(
            "a MemoryTokenStore cannot be pickled: it holds access tokens",
            hint="Create a store in each process; share tokens across processes with "
            "RedisTokenStore.",
        )


class AsyncMemoryTokenStore:
    """In-process token store for async code (wraps a `MemoryTokenStore`; never awaits I/O)."""

    def __init__(self, store: MemoryTokenStore | None = None) -> None:
        self._store = store if store is not None else MemoryTokenStore()

    async def load(self, key: str) -> AccessToken | None:
        """The stored token, or None."""
        return self._store.load(key)

    async def save(self, key: str, token: AccessToken) -> None:
        """Store `token` under `key`."""
        self._store.save(key, token)

    async def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the token under `key` if it is still `token`."""
        return self._store.discard(key, token)

    async def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """Take the lease of `key` unless it is held."""
        return self._store.acquire_lease(key, ttl=ttl)

    async def release_lease(self, key: str, lease: str) -> None:
        """Release the lease of `key` if `lease` holds it."""
        self._store.release_lease(key, lease)

    def __repr__(self) -> str:
        return f"AsyncMemoryTokenStore({self._store!r})"
