"""Shared by the store contract suites: one awaitable view of a sync or async store, and
the six kinds every contract runs against (memory, Redis, Redis Cluster; sync and async)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

#: Every store kind a contract suite is run against.
STORE_KINDS = ["memory", "memory-async", "redis", "redis-async", "cluster", "cluster-async"]


class AnyStore:
    """The store under test behind one awaitable interface, so one test body serves the
    sync and the async stores."""

    def __init__(self, store: Any, is_async: bool, close: Callable[[], Any] | None = None) -> None:
        self.store = store
        self.is_async = is_async
        self._close = close

    async def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.store, name)(*args, **kwargs)
        if self.is_async:
            return await result
        return result

    async def close(self) -> None:
        if self._close is None:
            return
        done = self._close()
        if isinstance(done, Awaitable):
            await done


def open_store(
    request: pytest.FixtureRequest,
    memory: Any,
    sync_redis: Any,
    async_redis: Any,
    **options: Any,
) -> AnyStore:
    """The store of kind `request.param` (one of `STORE_KINDS`): the in-memory `memory`
    (its `as_async()` view for the async kind), or `sync_redis` / `async_redis` built with
    `from_url(url, timeout=2, cluster=..., **options)` against the session's Redis."""
    kind: str = request.param
    is_async = kind.endswith("async")
    if kind.startswith("memory"):
        return AnyStore(memory.as_async() if is_async else memory, is_async)
    cluster = kind.startswith("cluster")
    url = str(request.getfixturevalue("redis_cluster_url" if cluster else "redis_url"))
    store = (async_redis if is_async else sync_redis).from_url(
        url, timeout=2, cluster=cluster, **options
    )
    return AnyStore(store, is_async, store.aclose if is_async else store.close)
