"""The emulator's B2B access tokens: RS256 JWTs minted and checked with pyjwt.

Time comes from the injected clock only: pyjwt's own time checks (which read the wall
clock) are switched off with `options`, and `exp`/`iat` are compared with `clock.now()`,
so a `FixedClock` advanced past `expiresIn` expires the token exactly as a provider would.
"""

from __future__ import annotations

import secrets as _random
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap.clock import Clock
from bisnap.errors import ConfigurationError

__all__ = ["DEFAULT_TOKEN_TTL", "MAX_TOKEN_TTL", "IssuedToken", "TokenIssuer", "TokenRejected"]

# SNAP: expiresIn is a string of seconds, default "900" (midtrans-core.md §3.1).
DEFAULT_TOKEN_TTL = timedelta(seconds=900)
#: The longest token lifetime the emulator mints (30 days).
MAX_TOKEN_TTL = timedelta(days=30)

_ALGORITHM = "RS256"
_CACHE_MAX = 4096


class TokenRejected(Exception):  # noqa: N818 - an outcome, mapped to 401xx01 by the app
    """The bearer token is not one the emulator minted for this client, or has expired.

    `reason` is `"expired"`, `"invalid"` (bad signature, garbled, wrong audience/issuer).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, repr=False)
class IssuedToken:
    """A freshly minted token. `repr` hides the value."""

    value: str
    expires_in: int

    def __repr__(self) -> str:
        return f"IssuedToken(value='[secure]', expires_in={self.expires_in})"


class TokenIssuer:
    """Mint and check RS256 JWT access tokens for one client key.

    Claims: `iss` (the emulator), `sub` and `aud` (the client key), `iat`, `exp`, `jti`.
    Checked tokens are cached (signature verified once per token); expiry is checked on
    every call against the clock.

    Raises:
        ConfigurationError: `ttl` is not between 1 second and `MAX_TOKEN_TTL`.
    """

    def __init__(
        self,
        *,
        private_key: rsa.RSAPrivateKey,
        client_key: str,
        clock: Clock,
        ttl: timedelta = DEFAULT_TOKEN_TTL,
        issuer: str = "bisnap-emulator",
    ) -> None:
        if not isinstance(ttl, timedelta) or not timedelta(seconds=1) <= ttl <= MAX_TOKEN_TTL:
            raise ConfigurationError(
                f"the token lifetime {ttl!r} is not between 1 second and {MAX_TOKEN_TTL}",
                hint="Midtrans's tokens live 900 seconds; pick 1 s to 30 days.",
            )
        self._private_key = private_key
        self._public_key = private_key.public_key()
        self._client_key = client_key
        self._clock = clock
        self._ttl = ttl
        self._issuer = issuer
        self._verified: dict[str, tuple[int, int]] = {}  # token -> (iat, exp)
        self._lock = threading.Lock()

    @property
    def ttl(self) -> timedelta:
        """How long a minted token lives."""
        return self._ttl

    def mint(self) -> IssuedToken:
        """A new token valid for `ttl` from the clock's now."""
        now = int(self._clock.now().timestamp())
        ttl = int(self._ttl.total_seconds())
        claims = {
            "iss": self._issuer,
            "sub": self._client_key,
            "aud": self._client_key,
            "iat": now,
            "exp": now + ttl,
            "jti": _random.token_hex(8),
        }
        token = jwt.encode(claims, self._private_key, algorithm=_ALGORITHM)
        return IssuedToken(value=token, expires_in=ttl)

    def check(self, token: str) -> dict[str, Any]:
        """The claims of a valid, unexpired token.

        Raises:
            TokenRejected: garbled, not signed by the emulator, wrong client, or expired.
        """
        with self._lock:
            cached = self._verified.get(token)
        if cached is None:
            try:
                claims = jwt.decode(
                    token,
                    self._public_key,
                    algorithms=[_ALGORITHM],
                    audience=self._client_key,
                    issuer=self._issuer,
                    # The clock is injected: pyjwt's wall-clock checks are off and done below.
                    options={
                        "verify_exp": False,
                        "verify_iat": False,
                        "verify_nbf": False,
                        "require": ["exp", "iat", "iss", "sub", "aud"],
                    },
                )
            except jwt.PyJWTError as err:
                raise TokenRejected("invalid") from err
            if claims.get("sub") != self._client_key:
                raise TokenRejected("invalid")
            try:
                cached = (int(claims["iat"]), int(claims["exp"]))
            except (TypeError, ValueError) as err:
                raise TokenRejected("invalid") from err
            with self._lock:
                if len(self._verified) >= _CACHE_MAX:
                    self._verified.clear()
                self._verified[token] = cached
        iat, exp = cached
        now = self._clock.now().timestamp()
        if now >= exp:
            raise TokenRejected("expired")
        if iat > now + 60:  # minted "in the future": a clock moved backwards past it
            raise TokenRejected("invalid")
        return {"iss": self._issuer, "sub": self._client_key, "iat": iat, "exp": exp}

    def __repr__(self) -> str:
        return f"TokenIssuer(client_key={self._client_key!r}, ttl={self._ttl})"
