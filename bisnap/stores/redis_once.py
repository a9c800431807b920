"""Redis once-stores and claim stores: X-EXTERNAL-ID uniqueness and notification replay.

`claim` is `SET key 1 NX PXAT <expiry>`; claims over several keys are one Lua script each
(`claim_all`, `begin`, `commit`, `release`). The commands are built once in `_OnceCommands`;
`RedisOnceStore` runs them on a sync client and `AsyncRedisOnceStore` awaits them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Self

from bisnap.errors import ConfigurationError, StoreUnavailableError
from bisnap.stores._redis_client import (
    DEFAULT_TIMEOUT,
    Command,
    RedisShell,
    async_client,
    close_sync,
    lease_ms,
    pxat,
    run_async,
    run_sync,
)
from bisnap.stores.base import ACCEPTED, IN_PROGRESS
from bisnap.stores.protocols import ClaimState

__all__ = ["AsyncRedisOnceStore", "RedisOnceStore"]

# Claim every key, all or none. ARGV: the mark, 'PX' or 'PXAT', milliseconds.
# Returns 0 claimed, 1 in progress (a key is held or accepted), 2 processed (a key is 'c').
_TAKE = """
local busy = 0
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v then
    if v == 'c' then return 2 end
    busy = 1
  end
end
if busy == 1 then return 1 end
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[1], ARGV[2], ARGV[3])
end
return 0
"""

# Mark every key processed until ARGV[1] (PXAT milliseconds).
_COMMIT = """
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], 'c', 'PXAT', ARGV[1])
end
return #KEYS
"""

# Delete the keys still held in progress by ARGV[1] (the holder's mark).
_RELEASE = """
local n = 0
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then
    n = n + redis.call('DEL', KEYS[i])
  end
end
return n
"""

_STATES: dict[int, ClaimState] = {0: "claimed", 1: "in_progress", 2: "processed"}


def _state(answer: object) -> ClaimState:
    state = _STATES.get(answer) if isinstance(answer, int) else None
    if state is None:
        raise StoreUnavailableError(f"Redis claim script answered {answer!r}")
    return state


def _nothing(answer: object) -> None:
    return None


class _OnceCommands(RedisShell):
    """Keys, marks and script arguments shared by the sync and async Redis once-stores."""

    def __init__(self, client: Any, *, prefix: str = "bisnap:") -> None:
        super().__init__(client, prefix)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = "bisnap:",
        cluster: bool = False,
    ) -> Self:
        """A store with its own client; every call fails within `timeout` seconds.

        `cluster=True` connects a `RedisCluster` (the URL names any node).
        """
        return cls._from_url(url, timeout, cluster, prefix=prefix)

    def _key(self, key: str) -> str:
        return f"{self._prefix}once:{key}"

    def _keys(self, keys: Sequence[str]) -> list[str]:
        if not keys:
            raise ConfigurationError("a claim needs at least one key")
        return [self._key(key) for key in keys]

    def _claim(self, key: str, expires_at: datetime) -> Command[bool]:
        kwargs = {"nx": True, "pxat": pxat(expires_at)}
        return Command("SET NX", "set", (self._key(key), b"1"), kwargs, bool)

    def _take(self, keys: Sequence[str], mark: str, unit: str, ms: int) -> Command[ClaimState]:
        names = self._keys(keys)
        return Command("EVAL", "eval", (_TAKE, len(names), *names, mark, unit, ms), done=_state)

    def _claim_all(self, keys: Sequence[str], expires_at: datetime) -> Command[ClaimState]:
        return self._take(keys, ACCEPTED, "PXAT", pxat(expires_at))

    def _begin(self, keys: Sequence[str], holder: str, lease: timedelta) -> Command[ClaimState]:
        return self._take(keys, IN_PROGRESS + holder, "PX", lease_ms(lease))

    def _commit(self, keys: Sequence[str], expires_at: datetime) -> Command[None]:
        names = self._keys(keys)
        args = (_COMMIT, len(names), *names, pxat(expires_at))
        return Command("EVAL", "eval", args, done=_nothing)

    def _release(self, keys: Sequence[str], holder: str) -> Command[None]:
        names = self._keys(keys)
        args = (_RELEASE, len(names), *names, IN_PROGRESS + holder)
        return Command("EVAL", "eval", args, done=_nothing)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self._prefix!r})"


class RedisOnceStore(_OnceCommands):
    """`OnceStore` and `ClaimStore` on Redis (or a Redis Cluster), atomic across hosts.

    `claim` is `SET key 1 NX PXAT <expiry>`; claims over several keys are one Lua script
    each (`claim_all`, `begin`, `commit`, `release`), so the keys of one claim must share a
    hash slot on a cluster (the notification verifiers tag theirs by day).

    In: a `redis.Redis` or `redis.cluster.RedisCluster` client with `socket_timeout` set
    (see `from_url`), and a key prefix. Every method raises `StoreUnavailableError` when
    Redis fails or times out.

    Raises:
        ConfigurationError: the client has no socket timeout.
    """

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed until `expires_at`."""
        return run_sync(self._client, self._claim(key, expires_at))

    def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none (one script)."""
        return run_sync(self._client, self._claim_all(keys, expires_at))

    def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` for `lease` (Redis's clock), all or none."""
        return run_sync(self._client, self._begin(keys, holder, lease))

    def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at`."""
        run_sync(self._client, self._commit(keys, expires_at))

    def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress."""
        run_sync(self._client, self._release(keys, holder))

    def close(self) -> None:
        """Close the client's connections (every node's, on a cluster)."""
        close_sync(self._client)


class AsyncRedisOnceStore(_OnceCommands):
    """`AsyncOnceStore` and `AsyncClaimStore` on `redis.asyncio` (or its `RedisCluster`).

    The same keys, marks and scripts as `RedisOnceStore`; `from_url(..., cluster=True)`
    connects a `redis.asyncio.RedisCluster`.

    Raises:
        ConfigurationError: the client has no socket timeout.
    """

    connect = staticmethod(async_client)

    async def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed until `expires_at`."""
        return await run_async(self._client, self._claim(key, expires_at))

    async def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none (one script)."""
        return await run_async(self._client, self._claim_all(keys, expires_at))

    async def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` for `lease` (Redis's clock), all or none."""
        return await run_async(self._client, self._begin(keys, holder, lease))

    async def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at`."""
        await run_async(self._client, self._commit(keys, expires_at))

    async def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress."""
        await run_async(self._client, self._release(keys, holder))

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()
