"""Stores shared by tokens, replay protection and X-EXTERNAL-ID uniqueness.

`base` holds the protocols and the in-memory implementations; `redis` (extra
`bisnap[redis]`) the shared ones.
"""

from bisnap.stores.base import AsyncOnceStore, MemoryOnceStore, OnceStore, end_of_jakarta_day

__all__ = ["AsyncOnceStore", "MemoryOnceStore", "OnceStore", "end_of_jakarta_day"]
