"""Redis stores: X-EXTERNAL-ID / replay once-store and the shared access-token store.

The once-stores live in `bisnap.stores.redis_once`, the token stores in
`bisnap.stores.redis_tokens`; this module names them all (import them from here).

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

from bisnap.stores.redis_once import AsyncRedisOnceStore, RedisOnceStore
from bisnap.stores.redis_tokens import (
    AsyncRedisTokenStore,
    EncryptionKey,
    RedisTokenStore,
)

__all__ = [
    "AsyncRedisOnceStore",
    "AsyncRedisTokenStore",
    "EncryptionKey",
    "RedisOnceStore",
    "RedisTokenStore",
]
