"""Redis access-token stores: one token shared by every process on every host.

Stored form: `<fingerprint 12>:<p|f>:<JSON or Fernet(JSON)>` with a TTL to the token's
expiry; the refresh lease is `SET NX PX`. The commands are built once in `_TokenCommands`;
`RedisTokenStore` runs them on a sync client and `AsyncRedisTokenStore` awaits them.
"""

from __future__ import annotations

import json
import logging
import secrets as _random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Self, TypeAlias

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bisnap.errors import ConfigurationError
from bisnap.jsonout import compact_json
from bisnap.secrets import AccessToken, Secret
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

__all__ = ["AsyncRedisTokenStore", "EncryptionKey", "RedisTokenStore"]

_log = logging.getLogger("bisnap.stores.redis")

#: A Fernet key (32 url-safe base64 bytes), as bytes, str or `Secret`.
EncryptionKey: TypeAlias = bytes | str | Secret
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
        body = compact_json(record, ensure_ascii=True)
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
    return None, pxat(token.expires_at)


class _TokenCommands(RedisShell):
    """Keys, the stored form and the commands shared by the sync and async token stores."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "bisnap:",
        encryption_key: EncryptionKey | Sequence[EncryptionKey] | None = None,
    ) -> None:
        super().__init__(client, prefix)
        self._codec = _Codec(encryption_key)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        prefix: str = "bisnap:",
        encryption_key: EncryptionKey | Sequence[EncryptionKey] | None = None,
        cluster: bool = False,
    ) -> Self:
        """A store with its own client; every call fails within `timeout` seconds.

        `cluster=True` connects a `RedisCluster` (the URL names any node).
        """
        return cls._from_url(url, timeout, cluster, prefix=prefix, encryption_key=encryption_key)

    def token_key(self, key: str) -> str:
        """The Redis key that holds the token for `key`."""
        return f"{self._prefix}token:{key}"

    def lease_key(self, key: str) -> str:
        """The Redis key of the refresh lease for `key`."""
        return f"{self._prefix}token:{key}:lease"

    def _decoded(self, raw: object) -> AccessToken | None:
        if raw is None:
            return None
        return self._codec.decode(raw if isinstance(raw, bytes) else str(raw).encode("utf-8"))

    def _load(self, key: str) -> Command[AccessToken | None]:
        return Command("GET", "get", (self.token_key(key),), done=self._decoded)

    def _save(self, key: str, token: AccessToken) -> Command[Any]:
        px, at = _ttl(token)
        payload = self._codec.encode(token)
        return Command("SET", "set", (self.token_key(key), payload), {"px": px, "pxat": at})

    def _discard(self, key: str, token: AccessToken) -> Command[bool]:
        args = (_DELETE_IF_PREFIX, 1, self.token_key(key), token.value.fingerprint + ":")
        return Command("EVAL", "eval", args, done=bool)

    def _acquire(self, key: str, ttl: timedelta) -> Command[str | None]:
        lease = _random.token_hex(16)
        kwargs = {"nx": True, "px": lease_ms(ttl)}

        def won(done: object) -> str | None:
            return lease if done else None

        return Command("SET NX", "set", (self.lease_key(key), lease), kwargs, won)

    def _release(self, key: str, lease: str) -> Command[Any]:
        return Command("EVAL", "eval", (_DELETE_IF_PREFIX, 1, self.lease_key(key), lease))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(prefix={self._prefix!r}, encrypted={self._codec.encrypted})"


class RedisTokenStore(_TokenCommands):
    """`TokenStore` on Redis: one token shared by every process on every host.

    The token is stored with a TTL to its expiry; the refresh lease is `SET NX PX`. With
    `encryption_key` (a Fernet key, or a list of keys: the first encrypts, all decrypt) the
    token is encrypted at rest. Values are read with one GET; an unchanged value is not
    decoded again. Every method raises `StoreUnavailableError` when Redis fails or times out.

    Raises:
        ConfigurationError: no socket timeout on the client, or a bad encryption key.
    """

    def load(self, key: str) -> AccessToken | None:
        """The stored token, or None (also when it cannot be read or decrypted)."""
        return run_sync(self._client, self._load(key))

    def save(self, key: str, token: AccessToken) -> None:
        """Store `token` with a TTL to its expiry."""
        run_sync(self._client, self._save(key, token))

    def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the stored token if it is still `token` (atomic)."""
        return run_sync(self._client, self._discard(key, token))

    def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """`SET lease NX PX ttl`: a lease id, or None if another fetcher holds it."""
        return run_sync(self._client, self._acquire(key, ttl))

    def release_lease(self, key: str, lease: str) -> None:
        """Delete the lease if `lease` still holds it (atomic)."""
        run_sync(self._client, self._release(key, lease))

    def close(self) -> None:
        """Close the client's connections (every node's, on a cluster)."""
        close_sync(self._client)


class AsyncRedisTokenStore(_TokenCommands):
    """`AsyncTokenStore` on `redis.asyncio`; the same keys and format as `RedisTokenStore`.

    Raises:
        ConfigurationError: no socket timeout on the client, or a bad encryption key.
    """

    connect = staticmethod(async_client)

    async def load(self, key: str) -> AccessToken | None:
        """The stored token, or None (also when it cannot be read or decrypted)."""
        return await run_async(self._client, self._load(key))

    async def save(self, key: str, token: AccessToken) -> None:
        """Store `token` with a TTL to its expiry."""
        await run_async(self._client, self._save(key, token))

    async def discard(self, key: str, token: AccessToken) -> bool:
        """Delete the stored token if it is still `token` (atomic)."""
        return await run_async(self._client, self._discard(key, token))

    async def acquire_lease(self, key: str, *, ttl: timedelta) -> str | None:
        """`SET lease NX PX ttl`: a lease id, or None if another fetcher holds it."""
        return await run_async(self._client, self._acquire(key, ttl))

    async def release_lease(self, key: str, lease: str) -> None:
        """Delete the lease if `lease` still holds it (atomic)."""
        await run_async(self._client, self._release(key, lease))

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._client.aclose()
