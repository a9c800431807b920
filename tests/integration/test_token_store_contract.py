"""One contract for every token store: memory (sync, async), Redis and Redis Cluster.

A store keeps the current token under a key (`load`/`save`), forgets it only if it is still
the token the caller holds (`discard`), and hands out one refresh lease at a time
(`acquire_lease`/`release_lease`, released only by its holder).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bisnap import AccessToken
from bisnap.clock import JAKARTA
from bisnap.secrets import Secret
from bisnap.stores.memory import MemoryTokenStore
from bisnap.stores.protocols import AsyncTokenStore, TokenStore
from bisnap.stores.redis import AsyncRedisTokenStore, RedisTokenStore
from tests.integration.conftest import STORE_KINDS, AnyStore, open_store

# Redis expires keys on its own (real) clock, so tokens expire an hour from the real now.
NOW = datetime.now(JAKARTA).replace(microsecond=0)
TTL = timedelta(seconds=30)


def _token(value: str, *, refresh: str | None = None) -> AccessToken:
    return AccessToken(
        value=Secret(value),
        expires_at=NOW + timedelta(hours=1),
        obtained_at=NOW,
        refresh_token=Secret(refresh) if refresh is not None else None,
    )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=STORE_KINDS)
async def store(request: pytest.FixtureRequest) -> AsyncIterator[AnyStore]:
    prefix = f"contract-{uuid.uuid4().hex[:8]}:"  # each test its own Redis keys
    chosen = open_store(
        request, MemoryTokenStore(), RedisTokenStore, AsyncRedisTokenStore, prefix=prefix
    )
    assert isinstance(chosen.store, AsyncTokenStore if chosen.is_async else TokenStore)
    yield chosen
    await chosen.close()


@pytest.mark.anyio
async def test_save_then_load_gives_the_token_back(store: AnyStore) -> None:
    assert await store.call("load", "k") is None
    await store.call("save", "k", _token("tok-1", refresh="r-1"))
    loaded = await store.call("load", "k")
    assert loaded is not None
    assert loaded.reveal() == "tok-1"
    assert loaded.token_type == "Bearer"
    assert loaded.expires_at == NOW + timedelta(hours=1)
    assert loaded.obtained_at == NOW
    assert loaded.refresh_token is not None and loaded.refresh_token.reveal() == "r-1"
    assert await store.call("load", "other") is None


@pytest.mark.anyio
async def test_save_replaces_the_token(store: AnyStore) -> None:
    await store.call("save", "k", _token("tok-1"))
    await store.call("save", "k", _token("tok-2"))
    loaded = await store.call("load", "k")
    assert loaded is not None and loaded.reveal() == "tok-2"


@pytest.mark.anyio
async def test_discard_only_the_token_the_caller_holds(store: AnyStore) -> None:
    await store.call("save", "k", _token("tok-new"))
    assert await store.call("discard", "k", _token("tok-old")) is False
    loaded = await store.call("load", "k")
    assert loaded is not None and loaded.reveal() == "tok-new"
    assert await store.call("discard", "k", _token("tok-new")) is True
    assert await store.call("load", "k") is None
    assert await store.call("discard", "k", _token("tok-new")) is False


@pytest.mark.anyio
async def test_one_lease_at_a_time_released_only_by_its_holder(store: AnyStore) -> None:
    first = await store.call("acquire_lease", "k", ttl=TTL)
    assert isinstance(first, str) and first
    assert await store.call("acquire_lease", "k", ttl=TTL) is None
    assert await store.call("acquire_lease", "other", ttl=TTL) is not None
    await store.call("release_lease", "k", "not-the-holder")
    assert await store.call("acquire_lease", "k", ttl=TTL) is None
    await store.call("release_lease", "k", first)
    second = await store.call("acquire_lease", "k", ttl=TTL)
    assert isinstance(second, str) and second != first
