"""SNAP request headers: one set of names, builders, X-EXTERNAL-ID, and redaction.

```python
headers = build_service_headers(
    timestamp=ts, signature=trace.signature, access_token=token,
    partner_id="G123", external_id=ids.next(), channel_id="95221",
)
log.info("sending %s", redact_headers(headers))
```
"""

from __future__ import annotations

import itertools
import secrets as _random
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from bisnap.clock import Clock, SystemClock, end_of_jakarta_day, jakarta_day
from bisnap.errors import ConfigurationError, HeaderError
from bisnap.secrets import AccessToken, Secret, mask, reveal
from bisnap.stores.protocols import OnceStore

__all__ = [
    "AUTHORIZATION",
    "AUTHORIZATION_CUSTOMER",
    "CHANNEL_ID",
    "CONTENT_TYPE",
    "ORIGIN",
    "REDACTED_HEADERS",
    "X_CLIENT_KEY",
    "X_DEVICE_ID",
    "X_EXTERNAL_ID",
    "X_IP_ADDRESS",
    "X_LATITUDE",
    "X_LONGITUDE",
    "X_ORIGIN",
    "X_PARTNER_ID",
    "X_SIGNATURE",
    "X_TIMESTAMP",
    "ExternalIdGenerator",
    "build_access_token_headers",
    "build_service_headers",
    "get_header",
    "redact_headers",
]

# SNAP: header names (snap-standard.md §1.3; ORIGIN vs X-ORIGIN §4.5). Names are
# case-insensitive on receipt.
CONTENT_TYPE = "Content-Type"
AUTHORIZATION = "Authorization"
AUTHORIZATION_CUSTOMER = "Authorization-Customer"
X_TIMESTAMP = "X-TIMESTAMP"
X_SIGNATURE = "X-SIGNATURE"
X_CLIENT_KEY = "X-CLIENT-KEY"
X_PARTNER_ID = "X-PARTNER-ID"
X_EXTERNAL_ID = "X-EXTERNAL-ID"
CHANNEL_ID = "CHANNEL-ID"
X_DEVICE_ID = "X-DEVICE-ID"
X_IP_ADDRESS = "X-IP-ADDRESS"
X_LATITUDE = "X-LATITUDE"
X_LONGITUDE = "X-LONGITUDE"
ORIGIN = "ORIGIN"
X_ORIGIN = "X-ORIGIN"

#: Headers whose values are credentials: masked wherever headers are shown or logged.
REDACTED_HEADERS = frozenset(
    {
        "authorization",
        "authorization-customer",
        "x-client-secret",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)

_JSON = "application/json"


def _bearer(token: str | Secret | AccessToken) -> str:
    value = token.reveal() if isinstance(token, AccessToken) else reveal(token)
    if value[:7].lower() == "bearer ":
        return value
    return f"Bearer {value}"


def build_access_token_headers(
    *, timestamp: str, client_key: str, signature: str, content_type: str = _JSON
) -> dict[str, str]:
    """Headers of `POST …/access-token/b2b`.

    Content-Type, X-TIMESTAMP, X-CLIENT-KEY and X-SIGNATURE.
    """
    # SNAP: access token request headers (snap-standard.md §1.3).
    return {
        CONTENT_TYPE: content_type,
        X_TIMESTAMP: timestamp,
        X_CLIENT_KEY: client_key,
        X_SIGNATURE: signature,
    }


def build_service_headers(
    *,
    timestamp: str,
    signature: str,
    partner_id: str,
    external_id: str,
    channel_id: str,
    access_token: str | Secret | AccessToken | None = None,
    customer_token: str | Secret | AccessToken | None = None,
    device_id: str | None = None,
    ip_address: str | None = None,
    latitude: str | None = None,
    longitude: str | None = None,
    origin: str | None = None,
    origin_header: str = ORIGIN,
    content_type: str = _JSON,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Headers of a SNAP service call: B2B, or B2B2C with `customer_token`.

    `access_token` is None for the asymmetric mode without a token. With `customer_token`
    (B2B2C), `Authorization-Customer` and `X-DEVICE-ID` are sent; `device_id` is required.

    Raises:
        HeaderError: a required value is empty, or B2B2C without a device id.
    """
    # SNAP: transaction request headers, B2B and B2B2C (snap-standard.md §1.3).
    for name, value in (
        (X_TIMESTAMP, timestamp),
        (X_SIGNATURE, signature),
        (X_PARTNER_ID, partner_id),
        (X_EXTERNAL_ID, external_id),
        (CHANNEL_ID, channel_id),
    ):
        if not value:
            raise HeaderError(f"{name} is empty", header=name, hint=f"Pass a value for {name}.")
    headers = {CONTENT_TYPE: content_type}
    if access_token is not None:
        headers[AUTHORIZATION] = _bearer(access_token)
    if customer_token is not None:
        if not device_id:
            raise HeaderError(
                "B2B2C calls need X-DEVICE-ID",
                header=X_DEVICE_ID,
                hint="Pass device_id (a user agent or device identifier).",
            )
        headers[AUTHORIZATION_CUSTOMER] = _bearer(customer_token)
    headers.update(
        {
            X_TIMESTAMP: timestamp,
            X_SIGNATURE: signature,
            X_PARTNER_ID: partner_id,
            X_EXTERNAL_ID: external_id,
            CHANNEL_ID: channel_id,
        }
    )
    for name, opt in (
        (X_DEVICE_ID, device_id),
        (X_IP_ADDRESS, ip_address),
        (X_LATITUDE, latitude),
        (X_LONGITUDE, longitude),
        (origin_header, origin),
    ):
        if opt:
            headers[name] = opt
    if extra:
        headers.update(extra)
    return headers


def redact_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    *,
    also: Iterable[str] = (),
) -> dict[str, str]:
    """A copy of `headers` with credentials masked (`Authorization: Bearer ********`)."""
    hidden = REDACTED_HEADERS | {name.lower() for name in also}
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        if name.lower() in hidden:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            out[name] = f"{scheme} {mask(value)}".strip() if scheme else mask(value)
        else:
            out[name] = value
    return out


def get_header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up case-insensitively (DANA sends `X-Signature`, `Channel-Id`)."""
    if name in headers:
        return headers[name]
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


_PROCESS_COUNTER = itertools.count()
_COUNTER_LOCK = threading.Lock()


class ExternalIdGenerator:
    """X-EXTERNAL-ID values: numeric strings, unique per day.

    Within one process, values never repeat (a process-wide counter behind a random
    per-generator prefix). Across processes and hosts, pass a `registry` (e.g. the Redis
    once-store): each value is claimed until the end of its Jakarta day and a taken one is
    skipped.

    `factory` replaces the numeric default for providers that want another shape
    (alphanumeric, a fixed prefix); uniqueness checks still apply.
    """

    def __init__(
        self,
        *,
        length: int = 20,
        clock: Clock | None = None,
        registry: OnceStore | None = None,
        namespace: str = "bisnap:xid",
        factory: Callable[[], str] | None = None,
        max_attempts: int = 16,
    ) -> None:
        # SNAP: X-EXTERNAL-ID is String(36), numeric, unique per day (snap-standard.md §1.3).
        if not 16 <= length <= 36:
            raise ConfigurationError(
                f"external id length {length} is outside 16..36",
                hint="SNAP allows at most 36 characters; 16+ keeps collisions unlikely.",
            )
        self._length = length
        self._clock = clock or SystemClock()
        self._registry = registry
        self._namespace = namespace
        self._factory = factory
        self._max_attempts = max_attempts
        self._prefix = "".join(_random.choice("0123456789") for _ in range(length - 12))

    def _candidate(self) -> str:
        if self._factory is not None:
            value = self._factory()
            if not value or len(value) > 36:
                raise ConfigurationError(
                    "the external id factory returned an empty or over-long value",
                    hint="X-EXTERNAL-ID is at most 36 characters.",
                )
            return value
        with _COUNTER_LOCK:
            n = next(_PROCESS_COUNTER)
        return f"{self._prefix}{n % 10**12:012d}"

    def next(self) -> str:
        """A fresh X-EXTERNAL-ID.

        Raises:
            ConfigurationError: no free value after `max_attempts` (a broken factory).
            StoreUnavailableError: the registry could not be reached.
        """
        now = self._clock.now()
        for _ in range(self._max_attempts):
            value = self._candidate()
            if self._registry is None or self._registry.claim(
                self.key(value, now), expires_at=end_of_jakarta_day(now)
            ):
                return value
        raise ConfigurationError(
            f"no unused X-EXTERNAL-ID after {self._max_attempts} attempts",
            hint="The factory keeps producing values already used today.",
        )

    def key(self, value: str, at: datetime) -> str:
        """The registry key of `value` for the Jakarta day of `at`."""
        return f"{self._namespace}:{jakarta_day(at)}:{value}"

    def __repr__(self) -> str:
        return f"ExternalIdGenerator(length={self._length}, registry={self._registry!r})"
