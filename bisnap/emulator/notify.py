"""Signed notifications from the emulator to the merchant, with Midtrans's retry schedule.

Each notification is `POST {merchant prefix}{path}` (e.g. `…/v1.0/transfer-va/payment`),
signed SHA256withRSA with the emulator's provider key over
`POST:{path}:sha256hex(minify(body)):X-TIMESTAMP`, with the headers X-TIMESTAMP,
X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID and Content-Type. The path signed is the SNAP path
after the prefix, as Midtrans's own libraries verify it.

Any reply other than HTTP 200 is a failure; the sender retries after 2, 10, 30, 90 and 210
minutes (each delay counted from the previous attempt); linking notifications retry 3
times at 20/40/80 ms. Both the clock and the sleep are
injected, and `time_scale` compresses the schedule (`1/60` turns minutes into seconds), so
tests drive every retry without waiting. Each retry is signed again with a fresh
X-TIMESTAMP and keeps its X-EXTERNAL-ID (the merchant's dedup key).

Payouts (Iris) notifications are not SNAP: `POST {payout URL}` (a URL of its own, set in
the Payouts Dashboard; nothing is sent until one is registered) with a snake_case body and
`Iris-Signature: lowerhex(SHA-512(body + Iris merchant key))` (`bisnap.legacy`), delivered
with the same retry schedule (Midtrans documents none for them).
"""

from __future__ import annotations

import asyncio
import logging
import secrets as _random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap.catalogue import NotificationEndpoint
from bisnap.clock import Clock
from bisnap.emulator.handlers.binding import LINKING_RETRY_SCHEDULE
from bisnap.emulator.jsonio import compact
from bisnap.emulator.records import Notice, PaymentNotice, PayoutNotice
from bisnap.headers import CONTENT_TYPE, X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP
from bisnap.legacy import IRIS_SIGNATURE, iris_signature
from bisnap.secrets import Secret
from bisnap.signing import sign_service_asymmetric
from bisnap.timestamps import format_timestamp

__all__ = [
    "LINKING_RETRY_SCHEDULE",
    "RETRY_SCHEDULE",
    "Attempt",
    "Delivery",
    "NotificationSender",
    "SignedNotification",
]

_log = logging.getLogger("bisnap.emulator")

# SNAP: any reply but HTTP 200 is an error; up to 5 retries after 2, 10, 30, 90 and 210
# minutes (midtrans-core.md §5).
RETRY_SCHEDULE: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in (2, 10, 30, 90, 210))

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class SignedNotification:
    """One signed notification, ready to POST: nothing in it is secret."""

    url: str
    path: str
    headers: dict[str, str]
    body: bytes
    external_id: str


@dataclass
class Attempt:
    """One POST of a notification and what came back."""

    at: datetime
    status_code: int | None
    response_code: str | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "at": format_timestamp(self.at),
            "statusCode": self.status_code,
            "responseCode": self.response_code,
            "error": self.error,
        }


@dataclass
class Delivery:
    """A notification and every attempt to deliver it."""

    name: str
    url: str
    path: str
    external_id: str
    attempts: list[Attempt] = field(default_factory=list)
    delivered: bool = False
    gave_up: bool = False
    #: the delays waited before each retry (scaled), for tests and the state view
    waits: list[timedelta] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        """True while retries are still scheduled."""
        return not self.delivered and not self.gave_up

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "url": self.url,
            "path": self.path,
            "externalId": self.external_id,
            "delivered": self.delivered,
            "gaveUp": self.gave_up,
            "attempts": [a.to_dict() for a in self.attempts],
        }


def urlsplit_path(url: str) -> str:
    """The path of `url` (`"/"` when it has none)."""
    return urlsplit(url).path or "/"


async def _asyncio_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


class NotificationSender:
    """Sign and deliver notifications to the merchant's registered URL prefix.

    `http_client` (optional, owned by the caller) is used for every POST, e.g. an
    `httpx.AsyncClient(transport=httpx.ASGITransport(merchant_app))` in tests; without it a
    short-lived client is opened per attempt. `sleep` waits a number of (already scaled)
    seconds; `time_scale` multiplies the schedule.
    """

    def __init__(
        self,
        *,
        private_key: rsa.RSAPrivateKey,
        partner_id: str,
        clock: Clock,
        notify_url: str | None = None,
        payout_url: str | None = None,
        iris_merchant_key: Secret | None = None,
        http_client: httpx.AsyncClient | None = None,
        schedule: tuple[timedelta, ...] = RETRY_SCHEDULE,
        time_scale: float = 1.0,
        sleep: Sleep | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._private_key = private_key
        self._partner_id = partner_id
        self._clock = clock
        self.notify_url = notify_url
        self.payout_url = payout_url
        self._iris_key = iris_merchant_key
        self._client = http_client
        self._schedule = schedule
        self._scale = time_scale
        self._sleep = sleep or _asyncio_sleep
        self._timeout = timeout
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def payout_notify_url(self) -> str | None:
        """Where Payouts notifications go (a URL of its own, as in the Payouts Dashboard)."""
        return self.payout_url or None

    @property
    def schedule(self) -> tuple[timedelta, ...]:
        """The retry delays (unscaled)."""
        return self._schedule

    def sign(
        self, endpoint: NotificationEndpoint, body: dict[str, Any], *, external_id: str
    ) -> SignedNotification:
        """Serialise `body` once and sign exactly those bytes for `endpoint`.

        Raises:
            RuntimeError: no merchant URL registered.
        """
        if not self.notify_url:
            raise RuntimeError("no merchant notification URL is registered")
        raw = compact(body)
        timestamp = format_timestamp(self._clock.now())
        trace = sign_service_asymmetric(
            method="POST",
            path=endpoint.path,
            body=raw,
            timestamp=timestamp,
            private_key=self._private_key,
        )
        # SNAP: notification headers (midtrans-core.md §5).
        headers = {
            CONTENT_TYPE: "application/json",
            X_TIMESTAMP: timestamp,
            X_SIGNATURE: trace.signature,
            X_PARTNER_ID: self._partner_id,
            X_EXTERNAL_ID: external_id,
        }
        url = self.notify_url.rstrip("/") + endpoint.path
        return SignedNotification(url, endpoint.path, headers, raw, external_id)

    def sign_payout(self, body: dict[str, Any]) -> SignedNotification:
        """Serialise a Payouts notification once and sign it with `Iris-Signature`.

        Raises:
            RuntimeError: no payout URL (nor notification URL) registered, or no Iris key.
        """
        url = self.payout_notify_url
        if not url or self._iris_key is None:
            raise RuntimeError("no payout notification URL registered, or no Iris merchant key")
        raw = compact(body)
        # SNAP: Payouts notifications carry Iris-Signature = lowerhex(SHA-512(body +
        # merchant key)), not a SNAP X-SIGNATURE (midtrans-reporting-payouts.md §6.1, §6.2).
        headers = {
            CONTENT_TYPE: "application/json",
            IRIS_SIGNATURE: iris_signature(raw, merchant_key=self._iris_key),
        }
        reference = str(body.get("reference_no", ""))
        return SignedNotification(url, urlsplit_path(url), headers, raw, reference)

    def _sign_notice(self, notice: Notice, delivery: Delivery) -> SignedNotification:
        if isinstance(notice, PayoutNotice):
            return self.sign_payout(notice.body)
        return self.sign(notice.endpoint, notice.body, external_id=delivery.external_id)

    async def send(self, notice: Notice) -> Delivery:
        """Deliver `notice` once now; on failure schedule the retries in the background.

        Returns the delivery record (it keeps changing while retries run; `drain()` waits
        for them). Without a registered URL the delivery is recorded as given up.
        """
        external_id = "".join(_random.choice("0123456789") for _ in range(20))
        if isinstance(notice, PayoutNotice):
            url = self.payout_notify_url or ""
            delivery = Delivery(notice.name, url, urlsplit_path(url), external_id)
        else:
            url = (self.notify_url or "").rstrip("/") + notice.endpoint.path
            delivery = Delivery(notice.endpoint.name, url, notice.endpoint.path, external_id)
        self.deliveries.append(delivery)
        if not url or (isinstance(notice, PaymentNotice) and not self.notify_url):
            delivery.gave_up = True
            what = "payout notification" if isinstance(notice, PayoutNotice) else "notification"
            delivery.attempts.append(
                Attempt(self._clock.now(), None, error=f"no {what} URL registered")
            )
            return delivery
        if await self._attempt(notice, delivery):
            return delivery
        task = asyncio.get_running_loop().create_task(self._retry(notice, delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _attempt(self, notice: Notice, delivery: Delivery) -> bool:
        signed = self._sign_notice(notice, delivery)
        attempt = Attempt(self._clock.now(), None)
        delivery.attempts.append(attempt)
        try:
            if self._client is not None:
                reply = await self._client.post(
                    signed.url, content=signed.body, headers=signed.headers
                )
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    reply = await client.post(
                        signed.url, content=signed.body, headers=signed.headers
                    )
        except httpx.HTTPError as err:
            attempt.error = type(err).__name__
            _log.info("notification %s to %s: %s", delivery.name, signed.url, attempt.error)
            return False
        attempt.status_code = reply.status_code
        try:
            parsed = reply.json()
            code = parsed.get("responseCode") if isinstance(parsed, dict) else None
            attempt.response_code = str(code) if code is not None else None
        except ValueError:
            attempt.response_code = None
        _log.info(
            "notification %s to %s: HTTP %s %s",
            delivery.name,
            signed.url,
            reply.status_code,
            attempt.response_code,
        )
        # SNAP: only HTTP 200 counts as delivered (midtrans-core.md §5).
        if reply.status_code == 200:
            delivery.delivered = True
            return True
        return False

    async def _retry(self, notice: Notice, delivery: Delivery) -> None:
        schedule = self._schedule
        if isinstance(notice, PaymentNotice) and notice.schedule is not None:
            schedule = notice.schedule
        for delay in schedule:
            scaled = delay * self._scale
            delivery.waits.append(scaled)
            await self._sleep(scaled.total_seconds())
            if await self._attempt(notice, delivery):
                return
        delivery.gave_up = True

    async def drain(self) -> None:
        """Wait until every scheduled retry has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    def cancel(self) -> None:
        """Cancel the scheduled retries (on shutdown)."""
        for task in list(self._tasks):
            task.cancel()

    def __repr__(self) -> str:
        return (
            f"NotificationSender(notify_url={self.notify_url!r}, "
            f"deliveries={len(self.deliveries)}, pending={len(self._tasks)})"
        )
