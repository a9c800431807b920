"""The httpx shells: `SnapClient`, `AsyncSnapClient` and the `SnapAuth` signer.

The pure request building and response parsing they share lives in `bisnap.http.core`.
"""

from bisnap.http.auth import SnapAuth
from bisnap.http.client import AsyncSnapClient, SnapClient
from bisnap.http.core import AsyncTokenSource, RetryPolicy, SnapResponse, TokenSource

__all__ = [
    "AsyncSnapClient",
    "AsyncTokenSource",
    "RetryPolicy",
    "SnapAuth",
    "SnapClient",
    "SnapResponse",
    "TokenSource",
]
