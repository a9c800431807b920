"""What a shell does after one attempt: return, raise, refresh the token, retry after a
pause, or settle a money movement with a status inquiry first.

Pure: no I/O. `SnapClient`, `AsyncSnapClient` and `SnapAuth` ask `next_step` and only
perform the step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from bisnap.catalogue import Endpoint
from bisnap.errors import (
    CallError,
    ConnectionFailedError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TokenRejectedError,
    TransportError,
)
from bisnap.http.answers import SnapResponse
from bisnap.http.request import Target, resolve_target
from bisnap.http.retry import RetryMode, RetryPolicy
from bisnap.profiles import ProviderProfile

__all__ = [
    "Step",
    "needs_token_refresh",
    "next_step",
    "status_check_body",
    "status_target",
    "status_verdict",
]


def needs_token_refresh(error: CallError) -> bool:
    """True for 401xx01 Invalid Token (B2B) and 401xx03 Token Not Found (B2B)."""
    # SNAP: 401xx01/401xx03 are B2B token errors; 401xx02/04 concern the customer token,
    # which a new B2B token does not fix (snap-standard.md §2.1).
    return (
        isinstance(error, TokenRejectedError)
        and error.code is not None
        and error.code.case in ("01", "03")
    )


@dataclass(frozen=True)
class Step:
    """What a shell does after one attempt."""

    action: Literal["return", "raise", "refresh", "retry", "check_status"]
    delay: float = 0.0


_RETURN = Step("return")
_RAISE = Step("raise")


def next_step(
    mode: RetryMode,
    outcome: SnapResponse | CallError,
    *,
    attempt: int,
    refreshed: bool,
    policy: RetryPolicy,
    retry_after: float | None = None,
) -> Step:
    """Decide what follows attempt `attempt` (1-based) of a call in retry mode `mode`.

    `retry_after` is the answer's Retry-After in seconds (`parse_retry_after`), if any.
    """
    if isinstance(outcome, SnapResponse):
        return _RETURN
    if needs_token_refresh(outcome):
        return _RAISE if refreshed else Step("refresh")
    if isinstance(outcome, TransportError) and not outcome.retryable:
        return _RAISE
    if isinstance(outcome, ConnectionFailedError):
        # Nothing left the machine, so re-sending cannot double anything.
        return _retry(policy.pause(attempt))
    if not isinstance(outcome, ServerError | TransportError | RateLimitError):
        return _RAISE
    if attempt >= policy.max_attempts:
        return _RAISE
    if mode in ("safe", "replay"):
        return _retry(policy.pause(attempt, retry_after=retry_after))
    if mode == "status_first" and not isinstance(outcome, RateLimitError):
        return Step("check_status")
    return _RAISE


def _retry(wait: float | None) -> Step:
    return _RAISE if wait is None else Step("retry", wait)


def status_check_body(endpoint: Endpoint | None, content: bytes) -> dict[str, str] | None:
    """The status-inquiry body for a money movement sent as `content`, or None if unknown."""
    if endpoint is None or endpoint.status_endpoint != "transfer_status":
        return None
    try:
        sent = json.loads(content)
    except ValueError:
        return None
    reference = sent.get("partnerReferenceNo") if isinstance(sent, dict) else None
    if not isinstance(reference, str) or not reference:
        return None
    # SNAP: Transfer Status Inquiry takes the original partnerReferenceNo and the original
    # call's service code (midtrans-reporting-payouts.md §3.8).
    return {"originalPartnerReferenceNo": reference, "serviceCode": endpoint.service_code}


def status_target(target: Target, profile: ProviderProfile, base_url: str) -> Target | None:
    """The target of the status endpoint that settles `target`, or None."""
    if target.endpoint is None or target.endpoint.status_endpoint is None:
        return None
    return resolve_target(profile=profile, base_url=base_url, name=target.endpoint.status_endpoint)


def status_verdict(answer: SnapResponse | CallError) -> Literal["exists", "absent", "unknown"]:
    """What a status answer says about the original call: it exists, it does not, or unknown."""
    if isinstance(answer, SnapResponse):
        return "exists"
    # SNAP: 404xx01 Transaction Not Found (snap-standard.md §2.1; Payouts "Specified payout
    # not found", midtrans-reporting-payouts.md §5).
    if isinstance(answer, NotFoundError) and answer.code is not None and answer.code.case == "01":
        return "absent"
    return "unknown"
