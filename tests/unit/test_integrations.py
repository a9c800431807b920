"""`NotificationReceiver` / `AsyncNotificationReceiver` without a framework: every outcome
is a reply, the same for the sync and the async receiver (one parametrised body each).

Replies are compared with codes written out from the SNAP tables (shared/spec
snap-standard.md §2.1, midtrans-core.md §5); legacy signatures are computed with hashlib.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

import pytest

from bisnap import (
    JAKARTA,
    AsyncNotificationVerifier,
    ConfigurationError,
    FixedClock,
    KeyPair,
    MemoryOnceStore,
    NotificationVerifier,
    Secret,
    format_timestamp,
    generate_key_pair,
    sign_service_asymmetric,
)
from bisnap.integrations import (
    AsyncNotificationReceiver,
    LegacyNotification,
    NotificationReceiver,
    Received,
    legacy_success_reply,
)
from bisnap.replies import NotificationReply, conflict_reply

PATH = "/hooks/midtrans/v1.0/debit/notify"
BODY = b'{"latestTransactionStatus":"00","originalReferenceNo":"A1"}'
Mode = Literal["sync", "async"]


@pytest.fixture(scope="module")
def midtrans() -> KeyPair:
    return generate_key_pair()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 5, 9, 0, 0, tzinfo=JAKARTA))


def signed(midtrans: KeyPair, clock: FixedClock, external_id: str) -> dict[str, str]:
    timestamp = format_timestamp(clock.now())
    trace = sign_service_asymmetric(
        method="POST",
        path="/v1.0/debit/notify",
        body=BODY,
        timestamp=timestamp,
        private_key=midtrans.private_key,
    )
    return {
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": trace.signature,
        "X-PARTNER-ID": "G1",
        "X-EXTERNAL-ID": external_id,
    }


class Receiving:
    """One receiver, sync or async, behind a sync `handle(headers, body, handler)`."""

    def __init__(
        self, mode: Mode, midtrans: KeyPair, clock: FixedClock, store: Any = None, **kw: Any
    ) -> None:
        self.mode = mode
        options: dict[str, Any] = {
            "public_key": midtrans.public_key,
            "clock": clock,
            "path_prefix": "/hooks/midtrans",
        }
        if store is not None:
            options["replay_store"] = store
        self.receiver: NotificationReceiver | AsyncNotificationReceiver
        if mode == "sync":
            self.receiver = NotificationReceiver(NotificationVerifier(**options), **kw)
        else:
            self.receiver = AsyncNotificationReceiver(AsyncNotificationVerifier(**options), **kw)

    def handle(
        self, headers: dict[str, str], body: bytes, handler: Any, path: str = PATH
    ) -> NotificationReply:
        parts: dict[str, Any] = {"method": "POST", "path": path, "headers": headers, "body": body}
        if isinstance(self.receiver, NotificationReceiver):
            return self.receiver.handle(handler=handler, **parts)
        receiver = self.receiver

        async def run() -> NotificationReply:
            return await receiver.handle(handler=handler, **parts)

        return asyncio.run(run())


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> Mode:
    chosen: Mode = request.param
    return chosen


def code(reply: NotificationReply) -> tuple[int, str]:
    parsed = json.loads(reply.body)
    return reply.status_code, str(parsed["responseCode"])


def test_a_handler_may_answer_its_own_reply(
    mode: Mode, midtrans: KeyPair, clock: FixedClock
) -> None:
    receiving = Receiving(mode, midtrans, clock)
    own = conflict_reply("56", clock=clock)
    reply = receiving.handle(signed(midtrans, clock, "1"), BODY, lambda n: own)
    assert reply is own


def test_a_delivery_while_the_first_is_in_progress_gets_409(
    midtrans: KeyPair, clock: FixedClock
) -> None:
    sync = Receiving("sync", midtrans, clock)
    headers = signed(midtrans, clock, "2")
    inner: list[NotificationReply] = []

    def slow_handler(notification: Received) -> None:
        # Midtrans's retry arrives while this handler is still working.
        inner.append(sync.handle(headers, BODY, lambda n: None))

    first = sync.handle(headers, BODY, slow_handler)
    assert code(first) == (200, "2005600")
    assert code(inner[0]) == (409, "4095600")
    again = sync.handle(headers, BODY, lambda n: None)
    assert code(again) == (200, "2005600")  # processed: success, not processed twice


class BrokenStore(MemoryOnceStore):
    """A claim store whose server is gone (`begin`) or goes away mid-way (`commit`)."""

    def __init__(self, clock: FixedClock, *, fail: str) -> None:
        super().__init__(clock=clock)
        self.fail = fail

    def begin(self, keys: Sequence[str], *, holder: str, lease: timedelta) -> Any:
        if self.fail == "begin":
            raise ConnectionError("redis is down")
        return super().begin(keys, holder=holder, lease=lease)

    def commit(self, keys: Sequence[str], *, holder: str, expires_at: datetime) -> None:
        if self.fail == "commit":
            raise ConnectionError("redis went away")
        super().commit(keys, holder=holder, expires_at=expires_at)


@pytest.mark.parametrize("fail", ["begin", "commit"])
def test_an_unreachable_replay_store_answers_500xx01(
    mode: Mode, midtrans: KeyPair, clock: FixedClock, fail: str
) -> None:
    receiving = Receiving(mode, midtrans, clock, store=BrokenStore(clock, fail=fail))
    calls: list[Received] = []
    reply = receiving.handle(signed(midtrans, clock, "3"), BODY, calls.append)
    assert code(reply) == (500, "5005601")
    assert len(calls) == (1 if fail == "commit" else 0)


def test_an_async_handler_is_awaited(midtrans: KeyPair, clock: FixedClock) -> None:
    receiving = Receiving("async", midtrans, clock)
    seen: list[Received] = []

    async def handler(notification: Received) -> None:
        await asyncio.sleep(0)
        seen.append(notification)

    reply = receiving.handle(signed(midtrans, clock, "4"), BODY, handler)
    assert code(reply) == (200, "2005600")
    assert len(seen) == 1


def _legacy_body(**fields: str) -> bytes:
    return json.dumps(fields).encode()


def test_pay_account_notifications_are_told_apart(
    mode: Mode, midtrans: KeyPair, clock: FixedClock
) -> None:
    receiving = Receiving(mode, midtrans, clock, server_key=Secret("SB-Mid-server-1"))
    digest = hashlib.sha512(b"acc-1" + b"ENABLED" + b"200" + b"SB-Mid-server-1").hexdigest()
    body = _legacy_body(
        account_id="acc-1", account_status="ENABLED", status_code="200", signature_key=digest
    )
    seen: list[Received] = []
    reply = receiving.handle({"Content-Type": "application/json"}, body, seen.append)
    assert reply.status_code == 200
    assert json.loads(reply.body) == {"status_code": "200", "status_message": "OK"}
    (legacy,) = seen
    assert isinstance(legacy, LegacyNotification)
    assert legacy.kind == "pay_account"
    assert "acc-1" in repr(legacy) and "ENABLED" in repr(legacy)


def test_a_legacy_body_without_legacy_keys_is_a_snap_request_missing_headers(
    mode: Mode, midtrans: KeyPair, clock: FixedClock
) -> None:
    receiving = Receiving(mode, midtrans, clock)
    body = _legacy_body(order_id="o", status_code="200", gross_amount="1.00", signature_key="x")
    reply = receiving.handle({}, body, lambda n: None)
    assert code(reply) == (400, "4005602")  # Invalid Mandatory Field X-TIMESTAMP


def test_a_legacy_handler_that_raises_answers_500(
    mode: Mode, midtrans: KeyPair, clock: FixedClock
) -> None:
    receiving = Receiving(mode, midtrans, clock, iris_merchant_key="IRIS-k")
    body = b'{"reference_no":"r","status":"failed"}'
    headers = {"iris-signature": hashlib.sha512(body + b"IRIS-k").hexdigest()}

    def handler(notification: Received) -> None:
        raise RuntimeError("queue full")

    reply = receiving.handle(headers, body, handler, path="/hooks/midtrans")
    assert code(reply) == (500, "5000000")


def test_no_secret_in_the_receivers_repr(mode: Mode, midtrans: KeyPair, clock: FixedClock) -> None:
    sentinel = "SENTINEL-server-key-7f3a"
    receiving = Receiving(mode, midtrans, clock, server_key=sentinel, iris_merchant_key=sentinel)
    text = repr(receiving.receiver)
    assert sentinel not in text
    assert "legacy_core=True" in text and "payouts=True" in text


def test_legacy_success_reply_has_the_reply_headers(clock: FixedClock) -> None:
    reply = legacy_success_reply(clock=clock)
    assert reply.headers["X-TIMESTAMP"] == "2026-03-05T09:00:00+07:00"
    assert reply.headers["Content-Type"] == "application/json"


def test_importing_bisnap_imports_no_framework() -> None:
    code = (
        "import sys, bisnap, bisnap.integrations, bisnap.testing; "
        "print(sorted(m for m in ('fastapi', 'flask', 'django', 'starlette', 'uvicorn') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_a_cancelled_async_handler_releases_the_claim(midtrans: KeyPair, clock: FixedClock) -> None:
    receiving = Receiving("async", midtrans, clock)
    headers = signed(midtrans, clock, "5")

    async def cancelled(notification: Received) -> None:
        raise asyncio.CancelledError  # the client went away mid-processing

    with pytest.raises(asyncio.CancelledError):
        receiving.handle(headers, BODY, cancelled)
    seen: list[Received] = []
    retry = receiving.handle(headers, BODY, seen.append)
    assert code(retry) == (200, "2005600")  # not 409 "in progress": the claim was released
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda v, av: NotificationReceiver(av), "it needs NotificationVerifier"),
        (lambda v, av: AsyncNotificationReceiver(v), "it needs AsyncNotificationVerifier"),
        (lambda v, av: NotificationReceiver(v, server_key=""), "server_key must be"),
        (
            lambda v, av: NotificationReceiver(v, iris_merchant_key=42),  # type: ignore[arg-type]
            "iris_merchant_key must",
        ),
        (
            lambda v, av: NotificationReceiver(v, on_duplicate="ignore"),  # type: ignore[arg-type]
            "on_duplicate must",
        ),
    ],
)
def test_a_misconfigured_receiver_is_refused_when_built(
    midtrans: KeyPair, clock: FixedClock, make: Any, message: str
) -> None:
    sync = NotificationVerifier(public_key=midtrans.public_key, clock=clock)
    asynchronous = AsyncNotificationVerifier(public_key=midtrans.public_key, clock=clock)
    with pytest.raises(ConfigurationError, match=message) as caught:
        make(sync, asynchronous)
    assert caught.value.hint
