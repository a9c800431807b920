"""The client's pure core: build a request, parse the answer, decide what happens next.

Nothing here does I/O. `SnapClient`, `AsyncSnapClient` and `SnapAuth` call these functions
and only add sending (and sleeping, and fetching tokens) around them:

```
serialize_body → resolve_target → prepare → (send) → parse_response → next_step
```

The body is serialised once; every attempt of one call sends the same bytes with the same
X-EXTERNAL-ID and a fresh X-TIMESTAMP and X-SIGNATURE.

The work lives in one module per job; this module names them all in one place (and keeps
`bisnap.http.core` importable as before):

- `bisnap.http.retry`: `RetryPolicy`, `parse_retry_after`, `retry_mode`;
- `bisnap.http.request`: `serialize_body`, `resolve_target`, signing stages, `prepare`;
- `bisnap.http.answers`: `SnapResponse`, `parse_response`, `transport_error`;
- `bisnap.http.steps`: `next_step` and the Payouts status check.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from bisnap.http.answers import SnapResponse, parse_response, transport_error
from bisnap.http.request import (
    Body,
    CustomerToken,
    PreparedRequest,
    SignedBody,
    Target,
    prepare,
    request_headers_for_auth,
    resolve_target,
    serialize_body,
    sign_attempt,
    sign_body,
    sign_request,
    signed_body,
)
from bisnap.http.retry import RetryMode, RetryPolicy, parse_retry_after, retry_mode
from bisnap.http.steps import (
    Step,
    needs_token_refresh,
    next_step,
    status_check_body,
    status_target,
    status_verdict,
)
from bisnap.secrets import AccessToken

__all__ = [
    "AsyncTokenSource",
    "Body",
    "CustomerToken",
    "PreparedRequest",
    "RetryMode",
    "RetryPolicy",
    "SignedBody",
    "SnapResponse",
    "Step",
    "Target",
    "TokenSource",
    "needs_token_refresh",
    "next_step",
    "parse_response",
    "parse_retry_after",
    "prepare",
    "request_headers_for_auth",
    "resolve_target",
    "retry_mode",
    "serialize_body",
    "sign_attempt",
    "sign_body",
    "sign_request",
    "signed_body",
    "status_check_body",
    "status_target",
    "status_verdict",
    "transport_error",
]


@runtime_checkable
class TokenSource(Protocol):
    """Where a sync client gets its B2B access token (e.g. `bisnap.tokens.TokenProvider`)."""

    def get(self) -> AccessToken:
        """A valid access token (cached or freshly fetched)."""
        ...

    def invalidate(self, token: AccessToken) -> object:
        """Forget `token` (the provider rejected it) so that `get()` fetches a new one."""
        ...


@runtime_checkable
class AsyncTokenSource(Protocol):
    """Where an async client gets its B2B access token (e.g. `AsyncTokenProvider`)."""

    async def get(self) -> AccessToken:
        """A valid access token (cached or freshly fetched)."""
        ...

    async def invalidate(self, token: AccessToken) -> object:
        """Forget `token` (the provider rejected it) so that `get()` fetches a new one."""
        ...
