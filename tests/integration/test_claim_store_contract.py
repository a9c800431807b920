"""One contract for every claim store: memory (sync, async), Redis and Redis Cluster.

A claim over several keys is all or nothing and answers "claimed", "in_progress" or
"processed"; `release` frees only the holder's own keys; `commit` marks them processed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bisnap import FixedClock
from bisnap.clock import JAKARTA
from bisnap.stores import AsyncClaimStore, ClaimStore, MemoryOnceStore
from bisnap.stores.redis import AsyncRedisOnceStore, RedisOnceStore
from tests.integration.conftest import STORE_KINDS, AnyStore, open_store

# Redis expires keys on its own (real) clock, so the fixed clock stands at the real now.
NOW = datetime.now(JAKARTA).replace(microsecond=0)
LATER = NOW + timedelta(hours=1)
LEASE = timedelta(seconds=30)
A, B = "{t}:a", "{t}:b"  # one hash tag: one slot on a cluster


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AnyStore]:
    memory = MemoryOnceStore(clock=FixedClock(NOW))
    chosen = open_store(request, memory, RedisOnceStore, AsyncRedisOnceStore)
    assert isinstance(chosen.store, AsyncClaimStore if chosen.is_async else ClaimStore)
    yield chosen
    await chosen.close()


@pytest.mark.anyio
async def test_begin_release_commit(store: AnyStore) -> None:
    assert await store.call("begin", [A, B], holder="h1", lease=LEASE) == "claimed"
    assert await store.call("begin", [A, B], holder="h2", lease=LEASE) == "in_progress"
    assert await store.call("claim_all", [B], expires_at=LATER) == "in_progress"
    await store.call("release", [A, B], holder="h2")  # not the holder: nothing happens
    assert await store.call("begin", [A], holder="h2", lease=LEASE) == "in_progress"
    await store.call("release", [A, B], holder="h1")
    assert await store.call("begin", [A, B], holder="h2", lease=LEASE) == "claimed"
    await store.call("commit", [A, B], holder="h2", expires_at=LATER)
    assert await store.call("begin", [A], holder="h3", lease=LEASE) == "processed"
    assert await store.call("claim_all", [B, "{t}:c"], expires_at=LATER) == "processed"
    assert await store.call("claim", B, expires_at=LATER) is False
    await store.call("release", [A, B], holder="h2")  # committed keys are not released
    assert await store.call("begin", [A], holder="h3", lease=LEASE) == "processed"


@pytest.mark.anyio
async def test_all_or_nothing(store: AnyStore) -> None:
    assert await store.call("claim", B, expires_at=LATER) is True
    assert await store.call("claim_all", [A, B], expires_at=LATER) == "in_progress"
    # A was not taken by the refused claim.
    assert await store.call("claim_all", [A], expires_at=LATER) == "claimed"
    assert await store.call("begin", [A], holder="h", lease=LEASE) == "in_progress"


@pytest.mark.anyio
async def test_processed_wins_over_in_progress(store: AnyStore) -> None:
    assert await store.call("begin", [A], holder="h1", lease=LEASE) == "claimed"
    assert await store.call("begin", [B], holder="h2", lease=LEASE) == "claimed"
    await store.call("commit", [B], holder="h2", expires_at=LATER)
    assert await store.call("begin", [A, B], holder="h3", lease=LEASE) == "processed"
