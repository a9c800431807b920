"""Stores shared by tokens, replay protection and X-EXTERNAL-ID uniqueness.

`protocols` holds what a store must offer; `base` the in-memory once/claim store;
`memory` the in-memory token store; `redis` (extra `bisnap[redis]`) the shared ones.
"""

from bisnap.clock import end_of_jakarta_day
from bisnap.stores.base import MemoryOnceStore
from bisnap.stores.protocols import (
    AsyncClaimStore,
    AsyncOnceStore,
    ClaimState,
    ClaimStore,
    OnceStore,
)

__all__ = [
    "AsyncClaimStore",
    "AsyncOnceStore",
    "ClaimState",
    "ClaimStore",
    "MemoryOnceStore",
    "OnceStore",
    "end_of_jakarta_day",
]
