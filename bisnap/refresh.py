"""When an access token must be refreshed: `RefreshPolicy` and its `RefreshDecision`.

Pure: no I/O, the time is passed in. One policy serves the sync and async token providers
(`bisnap.http.tokens`), which also key the shared store with `token_store_key`. Importable
from `bisnap.tokens` as before.
"""

from __future__ import annotations

import enum
import hashlib
from datetime import datetime, timedelta

from bisnap.errors import ConfigurationError
from bisnap.secrets import AccessToken

__all__ = ["RefreshDecision", "RefreshPolicy", "token_store_key"]


class RefreshDecision(enum.Enum):
    """What to do with the cached token at a given time."""

    #: Use the cached token.
    FRESH = "fresh"
    #: Refresh if nobody else is; meanwhile keep using the cached (still valid) token.
    ADVISORY = "advisory"
    #: No usable token: wait for the (single) refresh.
    MANDATORY = "mandatory"


class RefreshPolicy:
    """When a token must be refreshed: the advisory and the mandatory window before expiry.

    In: `advisory` (default 120 s) and `mandatory` (default 30 s) windows. For a token whose
    whole lifetime is short, the windows shrink to at most a half / a quarter of it, so a
    60-second token is not refreshed on every call. A token without an expiry stays fresh
    until it is invalidated. Pure: no I/O, the time is passed in.

    Raises:
        ConfigurationError: negative windows, or a mandatory window wider than the advisory.
    """

    __slots__ = ("_memo", "advisory", "mandatory")

    def __init__(
        self,
        *,
        advisory: timedelta = timedelta(seconds=120),
        mandatory: timedelta = timedelta(seconds=30),
    ) -> None:
        if mandatory < timedelta(0) or advisory < mandatory:
            raise ConfigurationError(
                "refresh windows must satisfy 0 <= mandatory <= advisory",
                hint="e.g. advisory=timedelta(seconds=120), mandatory=timedelta(seconds=30).",
            )
        self.advisory = advisory
        self.mandatory = mandatory
        self._memo: tuple[AccessToken, datetime | None, datetime | None] | None = None

    def thresholds(self, token: AccessToken) -> tuple[datetime | None, datetime | None]:
        """(advisory_at, mandatory_at): from when the token is advisory / mandatory."""
        memo = self._memo
        if memo is not None and memo[0] is token:
            return memo[1], memo[2]
        expires_at = token.expires_at
        if expires_at is None:
            result: tuple[datetime | None, datetime | None] = (None, None)
        else:
            advisory, mandatory = self.advisory, self.mandatory
            if token.obtained_at is not None:
                life = expires_at - token.obtained_at
                advisory = min(advisory, life / 2)
                mandatory = min(mandatory, life / 4)
            result = (expires_at - advisory, expires_at - mandatory)
        self._memo = (token, result[0], result[1])
        return result

    def decide(self, token: AccessToken | None, now: datetime) -> RefreshDecision:
        """FRESH, ADVISORY or MANDATORY for `token` (None: no token) at `now`."""
        if token is None:
            return RefreshDecision.MANDATORY
        advisory_at, mandatory_at = self.thresholds(token)
        if mandatory_at is None or advisory_at is None:
            return RefreshDecision.FRESH
        if now >= mandatory_at or token.is_expired(now):
            return RefreshDecision.MANDATORY
        if now >= advisory_at:
            return RefreshDecision.ADVISORY
        return RefreshDecision.FRESH

    def __repr__(self) -> str:
        return (
            f"RefreshPolicy(advisory={self.advisory.total_seconds():g}s, "
            f"mandatory={self.mandatory.total_seconds():g}s)"
        )


def token_store_key(base_url: str, client_key: str) -> str:
    """The store key of a provider's token: a SHA-256 of base URL + client key (no secrets)."""
    material = f"{base_url.rstrip('/')}\n{client_key}".encode()
    return hashlib.sha256(material).hexdigest()[:32]
