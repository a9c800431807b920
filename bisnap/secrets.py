"""Secret values as types: redacted in repr/str/logs, refused by pickle, revealed on request.

Client secrets, access tokens, refresh tokens and customer tokens live in `Secret` (or
`AccessToken`, which adds the token type and expiry). Their value comes out only through
`.reveal()`; `repr()`, `str()`, f-strings and `%s` logging show a mask.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn

from bisnap.errors import InputTypeError, NotPicklableError

__all__ = ["AccessToken", "Secret", "mask", "reveal"]

_MASK = "********"


def mask(value: str, *, keep: int = 0) -> str:
    """Mask a secret for display.

    By default nothing of the value is shown. `keep` > 0 shows that many characters of a
    long value's end (only when that is at most a sixth of it), e.g. `********a11M`.
    """
    if keep <= 0 or len(value) < keep * 6:
        return _MASK
    return _MASK + value[-keep:]


class Secret:
    """A secret string. `reveal()` returns it; everything else shows `[secure]`."""

    __slots__ = ("_fingerprint", "_value")

    def __init__(self, value: str | Secret) -> None:
        raw = value.reveal() if isinstance(value, Secret) else value
        if not isinstance(raw, str):
            raise InputTypeError(
                f"Secret takes a str, not {type(raw).__name__}",
                hint="Pass the secret's text, e.g. Secret(os.environ['BISNAP_CLIENT_SECRET']).",
            )
        self._value = raw
        # surrogatepass: a value with a lone surrogate still gets a fingerprint; using it
        # where bytes are needed (an HMAC key) is refused there with a bisnap error.
        self._fingerprint = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]

    def reveal(self) -> str:
        """Return the secret value. Call it only where the value must go on the wire."""
        return self._value

    @property
    def fingerprint(self) -> str:
        """A short SHA-256 prefix that identifies the secret without revealing it."""
        return self._fingerprint

    def __repr__(self) -> str:
        return f"Secret('[secure]', sha256={self._fingerprint})"

    def __str__(self) -> str:
        return "[secure]"

    def __format__(self, spec: str) -> str:
        return "[secure]"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(
                self._value.encode("utf-8", "surrogatepass"),
                other._value.encode("utf-8", "surrogatepass"),
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> NoReturn:
        raise NotPicklableError(
            "bisnap secrets cannot be pickled; store them with .reveal() explicitly"
        )


def reveal(value: str | Secret) -> str:
    """Return the plain value of a `str` or a `Secret`."""
    return value.reveal() if isinstance(value, Secret) else value


@dataclass(frozen=True, eq=False, repr=False)
class AccessToken:
    """An access token (B2B or customer) with its type and expiry.

    The value is hidden: `repr`, `str` and logging show a mask; pickling is refused.
    `reveal()` returns the bare token (no "Bearer " prefix) for the wire.
    """

    value: Secret
    token_type: str = "Bearer"  # noqa: S105 - the token type, not a secret
    expires_at: datetime | None = None
    obtained_at: datetime | None = None
    kind: str = "b2b"
    refresh_token: Secret | None = field(default=None)

    @classmethod
    def create(
        cls,
        value: str,
        *,
        token_type: str = "Bearer",  # noqa: S107 - the token type, not a secret
        expires_in: timedelta | None = None,
        obtained_at: datetime | None = None,
        kind: str = "b2b",
        refresh_token: str | None = None,
    ) -> AccessToken:
        """Build a token from its plain value; `expires_in` counts from `obtained_at`."""
        expires_at = None
        if expires_in is not None and obtained_at is not None:
            expires_at = obtained_at + expires_in
        return cls(
            value=Secret(value),
            token_type=token_type,
            expires_at=expires_at,
            obtained_at=obtained_at,
            kind=kind,
            refresh_token=Secret(refresh_token) if refresh_token is not None else None,
        )

    def reveal(self) -> str:
        """The bare token value, for the Authorization header and the string to sign."""
        return self.value.reveal()

    def authorization(self) -> str:
        """The header value: `Bearer <token>`."""
        return f"Bearer {self.value.reveal()}"

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left until expiry at `now`, or None if the expiry is unknown."""
        if self.expires_at is None:
            return None
        return self.expires_at - now

    def is_expired(self, now: datetime) -> bool:
        """True once `now` has reached the expiry."""
        return self.expires_at is not None and now >= self.expires_at

    def __repr__(self) -> str:
        exp = self.expires_at.isoformat() if self.expires_at else None
        return (
            f"AccessToken(kind={self.kind!r}, token_type={self.token_type!r}, "
            f"value='[secure]', sha256={self.value.fingerprint}, expires_at={exp!r})"
        )

    def __str__(self) -> str:
        return "[secure]"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, AccessToken):
            return self.value == other.value and self.expires_at == other.expires_at
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.value.fingerprint, self.expires_at))

    def __reduce__(self) -> NoReturn:
        raise NotPicklableError(
            "bisnap tokens cannot be pickled; store them with .reveal() explicitly"
        )

    def __getstate__(self) -> Any:
        raise NotPicklableError("bisnap tokens cannot be pickled")
