"""What the Redis stores share: clients that fail fast, and one way to run a command.

A store builds a `Command` (the redis-py method, its arguments, and how to read the answer)
in its shared base class; the sync shell runs it with `run_sync`, the async one awaits
`run_async`. Both map every Redis error or timeout to `StoreUnavailableError`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Self, TypeVar

from bisnap.errors import ConfigurationError, StoreUnavailableError

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

try:
    from redis.driver_info import DriverInfo as _DriverInfo
except ImportError:  # pragma: no cover - redis-py < 7.1
    _DriverInfo = None  # type: ignore[assignment, misc]

__all__ = [
    "DEFAULT_TIMEOUT",
    "Command",
    "RedisShell",
    "async_client",
    "lease_ms",
    "pxat",
    "run_async",
    "run_sync",
    "sync_client",
]

T = TypeVar("T")

DEFAULT_TIMEOUT = 0.5
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


def close_sync(client: Any) -> None:
    """Close a sync client and every connection it holds.

    `RedisCluster.close()` closes each node's client but leaves the connections in the
    nodes' pools to the garbage collector (redis-py 8.1: a `ResourceWarning` later, an
    error under `-W error`), so each pool is disconnected here too, the startup nodes'
    included. A `redis.Redis` from `from_url` closes its own pool.
    """
    client.close()
    manager = getattr(client, "nodes_manager", None)
    if manager is None:
        return
    nodes = [
        *getattr(manager, "nodes_cache", {}).values(),
        *getattr(manager, "startup_nodes", {}).values(),
    ]
    for node in nodes:
        node_client = getattr(node, "redis_connection", None)
        pool = getattr(node_client, "connection_pool", None)
        if pool is not None:
            with suppress(OSError):
                pool.disconnect()


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


def sync_client(url: str, timeout: float, cluster: bool = False) -> Any:
    """A `redis.Redis` (or `RedisCluster`) whose every call fails within `timeout`."""
    options = _client_options(timeout)
    if cluster:
        return RedisCluster.from_url(url, retry=Retry(NoBackoff(), 0), **options)
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)


def async_client(url: str, timeout: float, cluster: bool = False) -> Any:
    """A `redis.asyncio.Redis` (or its `RedisCluster`) failing within `timeout`."""
    options = _client_options(timeout)
    if cluster:
        options.pop("retry_on_timeout")  # not an option of the async cluster client
        return AsyncRedisCluster.from_url(url, retry=AsyncRetry(NoBackoff(), 0), **options)
    return aioredis.Redis.from_url(url, retry=AsyncRetry(NoBackoff(), 0), **options)


def pxat(at: datetime) -> int:
    """`at` as Redis PXAT milliseconds (at least 1)."""
    return max(int(at.timestamp() * 1000), 1)


def lease_ms(ttl: timedelta) -> int:
    """`ttl` as Redis PX milliseconds (at least 1)."""
    return max(int(ttl.total_seconds() * 1000), 1)


def _same(answer: Any) -> Any:
    return answer


@dataclass(frozen=True)
class Command(Generic[T]):
    """One Redis call: `client.<method>(*args, **kwargs)`, then `done(answer)`.

    `label` names the operation in a `StoreUnavailableError` ("GET", "SET NX", "EVAL").
    """

    label: str
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    done: Callable[[Any], T] = _same


def run_sync(client: Any, command: Command[T]) -> T:
    """Run `command` on a sync client.

    Raises:
        StoreUnavailableError: Redis failed or timed out.
    """
    try:
        answer = getattr(client, command.method)(*command.args, **command.kwargs)
    except _UNAVAILABLE as err:
        raise _unavailable(command.label, err) from err
    return command.done(answer)


async def run_async(client: Any, command: Command[T]) -> T:
    """Run `command` on an async client.

    Raises:
        StoreUnavailableError: Redis failed or timed out.
    """
    try:
        answer = await getattr(client, command.method)(*command.args, **command.kwargs)
    except _UNAVAILABLE as err:
        raise _unavailable(command.label, err) from err
    return command.done(answer)


class RedisShell:
    """The client and key prefix of a Redis store, checked for a socket timeout.

    `connect` is the client factory `from_url` uses (`sync_client` or `async_client`).
    """

    connect: Callable[[str, float, bool], Any] = staticmethod(sync_client)

    def __init__(self, client: Any, prefix: str) -> None:
        _check_timeout(client)
        self._client = client
        self._prefix = prefix

    @classmethod
    def _from_url(cls, url: str, timeout: float, cluster: bool, **options: Any) -> Self:
        client = cls.connect(url, timeout, cluster)
        try:
            return cls(client, **options)
        except BaseException:
            # A sync RedisCluster has connected while discovering its nodes: close them.
            # (The async clients connect on their first command: nothing is open yet.)
            if cls.connect is sync_client:
                close_sync(client)
            raise

    @property
    def client(self) -> Any:
        """The redis-py client (a `Redis` or a `RedisCluster`, sync or async)."""
        return self._client
