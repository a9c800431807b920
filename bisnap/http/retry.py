"""How a call may be retried: the policy (bounded attempts, jittered backoff), the
provider's `Retry-After`, and each catalogue endpoint's retry mode.

Pure: no I/O. One policy serves service calls (`SnapClient`) and access-token fetches
(`TokenProvider`).
"""

from __future__ import annotations

import random as _random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from bisnap.catalogue import Endpoint
from bisnap.errors import ConfigurationError

__all__ = ["RetryMode", "RetryPolicy", "parse_retry_after", "retry_mode"]

#: How a call may be re-sent after a 5xx or a lost answer.
RetryMode = Literal["replay", "status_first", "safe", "never"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded attempts with jittered exponential backoff; one policy for service calls and
    access-token fetches.

    `max_attempts` counts every send of one call, the first included; the one re-send after
    a token refresh is extra. The base delay before attempt n+1 is
    `min(max_backoff, backoff * multiplier ** (n - 1))` (`delay`); `pause` takes up to
    `jitter` (a fraction) off it at random, so that many clients failing together do not
    retry together. A `Retry-After` answer is honoured when it is at most
    `max_retry_after` seconds (a longer one stops the retries). `random` is the source of
    jitter in [0, 1) (tests pass `lambda: 0.0` for the bare schedule).
    """

    max_attempts: int = 3
    backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 8.0
    jitter: float = 0.2
    max_retry_after: float = 30.0
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(
                f"max_attempts is {self.max_attempts}", hint="Use 1 for no retries."
            )
        if self.backoff < 0 or self.multiplier < 1 or self.max_backoff < 0:
            raise ConfigurationError("backoff values must be >= 0 (multiplier >= 1)")
        if not 0 <= self.jitter <= 1 or self.max_retry_after < 0:
            raise ConfigurationError(
                "jitter must be within 0..1 and max_retry_after >= 0",
                hint="e.g. RetryPolicy(jitter=0.2, max_retry_after=30).",
            )

    def delay(self, attempts_made: int) -> float:
        """Seconds to wait after `attempts_made` sends, before the next one (no jitter)."""
        return min(self.max_backoff, self.backoff * self.multiplier ** max(0, attempts_made - 1))

    def pause(
        self,
        attempts_made: int,
        *,
        retry_after: float | None = None,
        remaining: float | None = None,
    ) -> float | None:
        """Seconds to sleep before the next attempt, or None: do not retry.

        None when `attempts_made` used up `max_attempts`, when the provider's Retry-After
        (`retry_after`, seconds) exceeds `max_retry_after`, or when the wait would not end
        before a deadline `remaining` seconds away.
        """
        if attempts_made >= self.max_attempts:
            return None
        wait = self.delay(attempts_made)
        if self.jitter:
            wait *= 1.0 - self.jitter * self.random()
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            wait = max(wait, retry_after)
        if remaining is not None and wait >= remaining:
            return None
        return wait


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds a `Retry-After` header asks to wait: delta-seconds or an HTTP-date.

    None for an absent or unreadable value; a date in the past gives 0.
    """
    # RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds.
    if value is None:
        return None
    text = value.strip()
    if text.isdigit() and text.isascii():
        return float(int(text[:12]))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def retry_mode(endpoint: Endpoint | None) -> RetryMode:
    """How a call to `endpoint` may be re-sent after a 5xx or a lost answer.

    `replay`: same X-EXTERNAL-ID and bytes (the provider replays, it does not charge twice);
    `status_first`: ask the status endpoint first (Payouts); `safe`: a read-only call;
    `never`: raise.
    """
    if endpoint is None:
        return "never"
    # SNAP: Midtrans treats a re-sent X-EXTERNAL-ID on payment APIs as an idempotent replay
    # (midtrans-core.md §4.1).
    if endpoint.idempotent_replay:
        return "replay"
    # SNAP: after a 5xx on a transfer, call Transfer Status Inquiry before re-sending
    # (midtrans-reporting-payouts.md §5).
    if endpoint.moves_money and endpoint.status_endpoint == "transfer_status":
        return "status_first"
    if endpoint.moves_money:
        return "never"
    return "safe" if endpoint.read_only else "never"
