"""Redis stores: X-EXTERNAL-ID / replay once-store and the shared access-token store.

Needs the `redis` extra (`pip install 'bisnap[redis]'`). Every Redis call has a timeout:
build clients with `from_url(url, timeout=0.5)` (or pass a client that has
`socket_timeout` set). Any Redis error or timeout is re-raised as
`bisnap.StoreUnavailableError` — never a hang, never a raw redis exception.

```python
from bisnap import ExternalIdGenerator
from bisnap.stores.redis import RedisOnceStore

ids = ExternalIdGenerator(registry=RedisOnceStore.from_url("redis://127.0.0.1:6379/0"))
```
"""

from __future__ import annotations

import json
import logging
import secrets as _random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeAlias

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bisnap.errors import ConfigurationError, StoreUnavailableError
from bisnap.secrets import AccessToken, Secret
from bisnap.stores.base import ACCEPTED, IN_PROGRESS
from bisnap.stores.protocols import ClaimState

try:
    import redis
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
    from redis.asyncio.retry import Retry as AsyncRetry
    from redis.backoff import NoBackoff
    from redis.cluster import RedisCluster
    from redis.exceptions import RedisClusterException, RedisError
    from redis.retry import Retry
except ImportError as _err:  # pragma: no cover - exercised only without the extra
    raise ConfigurationError(
        "bisnap.stores.redis needs the redis package",
        hint="Install the extra: pip install 'bisnap[redis]'",
    ) from _err

__all__ = [
    "AsyncRedisOnceStore",
    "AsyncRedisTokenStore",
    "RedisOnceStore",
    "RedisTokenStore",
]

try:
    from redis.driver_info import DriverInfo as _DriverInfo
except ImportError:  # pragma: no cover - redis-py < 7.1
    _DriverInfo = None  # type: ignore[assignment, misc]

_log = logging.getLogger("bisnap.stores.redis")

EncryptionKey: TypeAlias = bytes | str | Secret
_DEFAULT_TIMEOUT = 0.5
_UNKNOWN_EXPIRY_TTL_MS = 900_000  # a token without an expiry is kept for 15 minutes
_FP_LEN = 12  # length of the token fingerprint that prefixes every stored value

# Delete KEYS[1] only if its value starts with ARGV[1] (compare-and-delete).
_DELETE_IF_PREFIX = """
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

_UNAVAILABLE = (RedisError, RedisClusterException, OSError)


def _unavailable(operation: str, err: BaseException) -> StoreUnavailableError:
    detail = str(err)
    if len(detail) > 160:
        detail = detail[:160] + "…"
    return StoreUnavailableError(f"Redis {operation} failed: {type(err).__name__}: {detail}")


def _connection_kwargs(client: Any) -> dict[str, Any] | None:
    # redis.Redis keeps them on its pool; RedisCluster on its nodes manager (sync) or itself.
    for holder in (
        getattr(client, "connection_pool", None),
        getattr(client, "nodes_manager", None),
        client,
    ):
        kwargs = getattr(holder, "connection_kwargs", None)
        if isinstance(kwargs, dict):
            return kwargs
    return None


def _check_timeout(client: Any) -> None:
    kwargs = _connection_kwargs(client)
    if isinstance(kwargs, dict) and kwargs.get("socket_timeout") is None:
        raise ConfigurationError(
            "the Redis client has no socket_timeout, so a Redis outage could hang callers",
            hint="Build the store with from_url(url, timeout=0.5), or pass "
            "redis.Redis(..., socket_timeout=0.5, socket_connect_timeout=0.5).",
        )


def _client_options(timeout: float) -> dict[str, Any]:
    # A store call must fail within `timeout` (+10%), not a multiple of it: no retry (redis-py
    # retries a timed-out command by default, doubling the wait or worse), and no extra
    # round trip when a connection opens (CLIENT SETINFO would read with its own timeout).
    if not (isinstance(timeout, int | float) and 0 < timeout < 3600):
        raise ConfigurationError(
            f"timeout must be a number of seconds in (0, 3600), not {timeout!r}",
            hint="Pass e.g. timeout=0.5.",
        )
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry_on_timeout": False,
    }
    if _DriverInfo is not None:
        options["driver_info"] = _DriverInfo(name=None, lib_version=None)
    else:  # pragma: no cover - redis-py < 7.1
        options["lib_name"] = options["lib_version"] = None
    return options


def _sync_client(url: str, timeout: float, cluster: bool = False) -> Any:
    options = _client_options(timeout)
    if cluster:
        return RedisCluster.from_url(url, retry=Retry(NoBackoff(), 0), **options)
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)


def _async_client(url: str, timeout: float, cluster: bool = False) -> Any:
    options = _client_options(timeout)
    if cluster:
        options.pop("retry_on_timeout")  # not an option of the async cluster client
        return AsyncRedisCluster.from_url(url, retry=AsyncRetry(NoBackoff(), 0), **options)
    return aioredis.Redis.from_url(url, retry=AsyncRetry(NoBackoff(), 0), **options)


def _pxat(at: datetime) -> int:
    return max(int(at.timestamp() * 1000), 1)


# --- once-stores and claim stores ----------------------------------------------------------

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


class _OnceKeys:
    """Key naming and script arguments shared by the sync and async Redis once-stores."""

    def __init__(self, client: Any, prefix: str) -> None:
        _check_timeout(client)
        self._client = client
        self._prefix = prefix

    @property
    def client(self) -> Any:
        """The redis-py client (a `Redis` or a `RedisCluster`, sync or async)."""
        return self._client

    def _key(self, key: str) -> str:
        return f"{self._prefix}once:{key}"

    def _keys(self, keys: Sequence[str]) -> list[str]:
        if not keys:
            raise ConfigurationError("a claim needs at least one key")
        return [self._key(key) for key in keys]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self._prefix!r})"


class RedisOnceStore(_OnceKeys):
    """`OnceStore` and `ClaimStore` on Redis (or a Redis Cluster), atomic across hosts.

    `claim` is `SET key 1 NX PXAT <expiry>`; claims over several keys are one Lua script
    each (`claim_all`, `begin`, `commit`, `release`), so the keys of one claim must share a
    hash slot on a cluster (the notification verifiers tag theirs by day).

    In: a `redis.Redis` or `redis.cluster.RedisCluster` client with `socket_timeout` set
    (see `from_url`), and a key prefix.

    Raises:
        ConfigurationError: the client has no socket timeout.
    """

    def __init__(self, client: Any, *, prefix: str = "bisnap:") -> None:
        super().__init__(client, prefix)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
        prefix: str = "bisnap:",
        cluster: bool = False,
    ) -> RedisOnceStore:
        """A store with its own client; every call fails within `timeout` seconds.

        `cluster=True` connects a `RedisCluster` (the URL names any node).
        """
        return cls(_sync_client(url, timeout, cluster), prefix=prefix)

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed until `expires_at`.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            done = self._client.set(self._key(key), b"1", nx=True, pxat=_pxat(expires_at))
        except _UNAVAILABLE as err:
            raise _unavailable("SET NX", err) from err
        return bool(done)

    def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none (one script).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        return self._eval_state(keys, ACCEPTED, "PXAT", _pxat(expires_at))

    def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` for `lease` (Redis's clock), all or none.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        return self._eval_state(keys, IN_PROGRESS + holder, "PX", _lease_ms(lease))

    def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at`.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        names = self._keys(keys)
        try:
            self._client.eval(_COMMIT, len(names), *names, _pxat(expires_at))
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err

    def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        names = self._keys(keys)
        try:
            self._client.eval(_RELEASE, len(names), *names, IN_PROGRESS + holder)
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err

    def _eval_state(self, keys: Sequence[str], mark: str, unit: str, ms: int) -> ClaimState:
        names = self._keys(keys)
        try:
            answer = self._client.eval(_TAKE, len(names), *names, mark, unit, ms)
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err
        return _state(answer)

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()


class AsyncRedisOnceStore(_OnceKeys):
    """`AsyncOnceStore` and `AsyncClaimStore` on `redis.asyncio` (or its `RedisCluster`).

    The same keys, marks and scripts as `RedisOnceStore`.

    Raises:
        ConfigurationError: the client has no socket timeout.
    """

    def __init__(self, client: Any, *, prefix: str = "bisnap:") -> None:
        super().__init__(client, prefix)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
        prefix: str = "bisnap:",
        cluster: bool = False,
    ) -> AsyncRedisOnceStore:
        """A store with its own client; every call fails within `timeout` seconds.

        `cluster=True` connects a `redis.asyncio.RedisCluster` (the URL names any node).
        """
        return cls(_async_client(url, timeout, cluster), prefix=prefix)

    async def claim(self, key: str, *, expires_at: datetime) -> bool:
        """True if `key` was free and is now claimed until `expires_at`.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            done = await self._client.set(self._key(key), b"1", nx=True, pxat=_pxat(expires_at))
        except _UNAVAILABLE as err:
            raise _unavailable("SET NX", err) from err
        return bool(done)

    async def claim_all(self, keys: Sequence[str], *, expires_at: datetime) -> ClaimState:
        """Claim every key until `expires_at`, all or none (one script).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        return await self._eval_state(keys, ACCEPTED, "PXAT", _pxat(expires_at))

    async def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> ClaimState:
        """Hold every key for `holder` for `lease` (Redis's clock), all or none.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        return await self._eval_state(keys, IN_PROGRESS + holder, "PX", _lease_ms(lease))

    async def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        """Mark every key processed until `expires_at`.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        names = self._keys(keys)
        try:
            await self._client.eval(_COMMIT, len(names), *names, _pxat(expires_at))
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err

    async def release(self, keys: Sequence[str], *, holder: str) -> None:
        """Free the keys `holder` still holds in progress.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        names = self._keys(keys)
        try:
            await self._client.eval(_RELEASE, len(names), *names, IN_PROGRESS + holder)
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err

    async def _eval_state(self, keys: Sequence[str], mark: str, unit: str, ms: int) -> ClaimState:
        names = self._keys(keys)
        try:
            answer = await self._client.eval(_TAKE, len(names), *names, mark, unit, ms)
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err
        return _state(answer)

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()


# --- token stores -----------------------------------------------------------------------


def _fernet(keys: EncryptionKey | Sequence[EncryptionKey] | None) -> MultiFernet | None:
    if keys is None:
        return None
    items: list[EncryptionKey] = [keys] if isinstance(keys, bytes | str | Secret) else list(keys)
    if not items:
        raise ConfigurationError("encryption_key is an empty list")
    fernets = []
    for item in items:
        raw = item.reveal() if isinstance(item, Secret) else item
        try:
            fernets.append(Fernet(raw))
        except (ValueError, TypeError) as err:
            raise ConfigurationError(
                "encryption_key is not a Fernet key",
                hint="Use cryptography.fernet.Fernet.generate_key() (32 url-safe base64 bytes).",
            ) from err
    return MultiFernet(fernets)


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _from_iso(text: object) -> datetime | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("bad datetime")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value


class _Codec:
    """Stored form: `<fingerprint 12>:<p|f>:<JSON or Fernet(JSON)>`."""

    def __init__(self, encryption_key: EncryptionKey | Sequence[EncryptionKey] | None) -> None:
        self._fernet = _fernet(encryption_key)
        self._last: tuple[bytes, AccessToken] | None = None

    @property
    def encrypted(self) -> bool:
        return self._fernet is not None

    def encode(self, token: AccessToken) -> bytes:
        record = {
            "v": token.reveal(),
            "t": token.token_type,
            "e": _iso(token.expires_at),
            "o": _iso(token.obtained_at),
            "k": token.kind,
            "r": token.refresh_token.reveal() if token.refresh_token is not None else None,
        }
        body = json.dumps(record, separators=(",", ":")).encode("utf-8")
        mode = b"p"
        if self._fernet is not None:
            body = self._fernet.encrypt(body)
            mode = b"f"
        return token.value.fingerprint.encode("ascii") + b":" + mode + b":" + body

    def decode(self, raw: bytes) -> AccessToken | None:
        last = self._last
        if last is not None and last[0] == raw:
            return last[1]
        try:
            token = self._decode(raw)
        except (ValueError, KeyError, TypeError, InvalidToken) as err:
            # Never log the value: only what kind of problem it was.
            _log.warning("ignoring an unreadable token in Redis (%s)", type(err).__name__)
            return None
        self._last = (raw, token)
        return token

    def _decode(self, raw: bytes) -> AccessToken:
        head, sep, body = raw[_FP_LEN + 1 :].partition(b":")
        if not sep or head not in (b"p", b"f"):
            raise ValueError("unknown token record")
        if head == b"f":
            if self._fernet is None:
                raise ValueError("the token in Redis is encrypted; configure encryption_key")
            body = self._fernet.decrypt(body)
        elif self._fernet is not None:
            raise ValueError("the token in Redis is not encrypted but encryption is configured")
        record = json.loads(body)
        if not isinstance(record, dict) or not isinstance(record["v"], str):
            raise ValueError("bad token record")
        refresh = record.get("r")
        return AccessToken(
            value=Secret(record["v"]),
            token_type=str(record.get("t") or "Bearer"),
            expires_at=_from_iso(record.get("e")),
            obtained_at=_from_iso(record.get("o")),
            kind=str(record.get("k") or "b2b"),
            refresh_token=Secret(refresh) if isinstance(refresh, str) else None,
        )


def _ttl(token: AccessToken) -> tuple[int | None, int | None]:
    """(px, pxat) for SET: to the expiry, or a default TTL when the expiry is unknown."""
    if token.expires_at is None:
        return _UNKNOWN_EXPIRY_TTL_MS, None
    return None, max(_pxat(token.expires_at), 1)


def _lease_ms(ttl: timedelta) -> int:
    return max(int(ttl.total_seconds() * 1000), 1)


class RedisTokenStore:
    """`TokenStore` on Redis: one token shared by every process on every host.

    The token is stored with a TTL to its expiry; the refresh lease is `SET NX PX`. With
    `encryption_key` (a Fernet key, or a list of keys: the first encrypts, all decrypt) the
    token is encrypted at rest. Values are read with one GET; an unchanged value is not
    decoded again.

    Raises:
        ConfigurationError: no socket timeout on the client, or a bad encryption key.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "bisnap:",
        encryption_key: EncryptionKey | Sequence[EncryptionKey] | None = None,
    ) -> None:
        _check_timeout(client)
        self._client = client
        self._prefix = prefix
        self._codec = _Codec(encryption_key)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
        prefix: str = "bisnap:",
        encryption_key: EncryptionKey | Sequence[EncryptionKey] | None = None,
        cluster: bool = False,
    ) -> RedisTokenStore:
        """A store with its own client; every call fails within `timeout` seconds.

        `cluster=True` connects a `RedisCluster` (the URL names any node).
        """
        client = _sync_client(url, timeout, cluster)
        return cls(client, prefix=prefix, encryption_key=encryption_key)

    def token_key(self, key: str) -> str:
        """The Redis key that holds the token for `key`."""
        return f"{self._prefix}token:{key}"

    def lease_key(self, key: str) -> str:
        """The Redis key of the refresh lease for `key`."""
        return f"{self._prefix}token:{key}:lease"

    def load(self, key: str) -> AccessToken | None:
        """The stored token, or None (also when it cannot be read or decrypted).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            raw = self._client.get(self.token_key(key))
        except _UNAVAILABLE as err:
            raise _unavailable("GET", err) from err
        if raw is None:
            return None
        return self._codec.decode(raw if isinstance(raw, bytes) else raw.encode("utf-8"))

    def save(self, key: str, token: AccessToken) -> None:
        """Store `token` with a TTL to its expiry.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        payload = self._codec.encode(token)
        px, pxat = _ttl(token)
        try:
            self._client.set(self.token_key(key), payload, px=px, pxat=pxat)
        except _UNAVAILABLE as err:
            raise _unavailable("SET", err) from err

    def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the stored token if it is still `token` (atomic).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            done = self._client.eval(
                _DELETE_IF_PREFIX, 1, self.token_key(key), token.value.fingerprint + ":"
            )
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err
        return bool(done)

    def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """`SET lease NX PX ttl`: a lease id, or None if another fetcher holds it.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        lease = _random.token_hex(16)
        try:
            done = self._client.set(self.lease_key(key), lease, nx=True, px=_lease_ms(ttl))
        except _UNAVAILABLE as err:
            raise _unavailable("SET NX", err) from err
        return lease if done else None

    def release_lease(self, key: str, lease: str) -> None:
        """Delete the lease if `lease` still holds it (atomic).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            self._client.eval(_DELETE_IF_PREFIX, 1, self.lease_key(key), lease)
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def __repr__(self) -> str:
        return f"RedisTokenStore(prefix={self._prefix!r}, encrypted={self._codec.encrypted})"


class AsyncRedisTokenStore:
    """`AsyncTokenStore` on `redis.asyncio`; the same keys and format as `RedisTokenStore`.

    Raises:
        ConfigurationError: no socket timeout on the client, or a bad encryption key.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "bisnap:",
        encryption_key: EncryptionKey | Sequence[EncryptionKey] | None = None,
    ) -> None:
        _check_timeout(client)
        self._client = client
        self._prefix = prefix
        self._codec = _Codec(encryption_key)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = _DEFAULT_TIMEOUT,
        prefix: str = "bisnap:",
        encryption_key: EncryptionKey | Sequence[EncryptionKey] | None = None,
        cluster: bool = False,
    ) -> AsyncRedisTokenStore:
        """A store with its own client; every call fails within `timeout` seconds.

        `cluster=True` connects a `redis.asyncio.RedisCluster` (the URL names any node).
        """
        client = _async_client(url, timeout, cluster)
        return cls(client, prefix=prefix, encryption_key=encryption_key)

    def token_key(self, key: str) -> str:
        """The Redis key that holds the token for `key`."""
        return f"{self._prefix}token:{key}"

    def lease_key(self, key: str) -> str:
        """The Redis key of the refresh lease for `key`."""
        return f"{self._prefix}token:{key}:lease"

    async def load(self, key: str) -> AccessToken | None:
        """The stored token, or None (also when it cannot be read or decrypted).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            raw = await self._client.get(self.token_key(key))
        except _UNAVAILABLE as err:
            raise _unavailable("GET", err) from err
        if raw is None:
            return None
        return self._codec.decode(raw if isinstance(raw, bytes) else raw.encode("utf-8"))

    async def save(self, key: str, token: AccessToken) -> None:
        """Store `token` with a TTL to its expiry.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        payload = self._codec.encode(token)
        px, pxat = _ttl(token)
        try:
            await self._client.set(self.token_key(key), payload, px=px, pxat=pxat)
        except _UNAVAILABLE as err:
            raise _unavailable("SET", err) from err

    async def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the stored token if it is still `token` (atomic).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            done = await self._client.eval(
                _DELETE_IF_PREFIX, 1, self.token_key(key), token.value.fingerprint + ":"
            )
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err
        return bool(done)

    async def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """`SET lease NX PX ttl`: a lease id, or None if another fetcher holds it.

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        lease = _random.token_hex(16)
        try:
            done = await self._client.set(self.lease_key(key), lease, nx=True, px=_lease_ms(ttl))
        except _UNAVAILABLE as err:
            raise _unavailable("SET NX", err) from err
        return lease if done else None

    async def release_lease(self, key: str, lease: str) -> None:
        """Delete the lease if `lease` still holds it (atomic).

        Raises:
            StoreUnavailableError: Redis failed or timed out.
        """
        try:
            await self._client.eval(_DELETE_IF_PREFIX, 1, self.lease_key(key), lease)
        except _UNAVAILABLE as err:
            raise _unavailable("EVAL", err) from err

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()

    def __repr__(self) -> str:
        return f"AsyncRedisTokenStore(prefix={self._prefix!r}, encrypted={self._codec.encrypted})"
