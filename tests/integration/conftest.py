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


def redis_url_for(request: pytest.FixtureRequest, kind: str) -> str:
    """The URL of the Redis (or the Redis Cluster) a store kind runs against."""
    cluster = kind.startswith("cluster")
    return str(request.getfixturevalue("redis_cluster_url" if cluster else "redis_url"))
