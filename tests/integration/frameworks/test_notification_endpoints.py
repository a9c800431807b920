"""Every framework integration, driven with the requests Midtrans sends.

One body per behaviour, parametrised over the apps: FastAPI, Starlette and Flask served on
127.0.0.1 (uvicorn / wsgiref), and Django's settings-driven views both through Django's
test client (CSRF checks on) and on a real loopback server (WSGI sync view, ASGI async
view). Expected reply codes are written out from the SNAP tables, never computed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bisnap import (
    AsyncNotificationVerifier,
    FixedClock,
    KeyPair,
    Notification,
    NotificationVerifier,
)
from bisnap.integrations import (
    AsyncNotificationReceiver,
    LegacyNotification,
    NotificationReceiver,
    Received,
)
from bisnap.testing import AppServer
from tests.integration.frameworks._support import (
    DEBIT_BODY,
    DEBIT_PATH,
    IRIS_KEY,
    PREFIX,
    SERVER_KEY,
    VA_BODY,
    VA_PATH,
    Deliveries,
    Recorder,
    configure_django,
)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


Post = Callable[[str, bytes, dict[str, str]], Answer]

APPS = [
    "fastapi",
    "starlette",
    "flask",
    "django-client",
    "django-async-client",
    "django-wsgi-server",
    "django-asgi-server",
]


def _receiver_args() -> dict[str, Any]:
    return {"server_key": SERVER_KEY, "iris_merchant_key": IRIS_KEY}


def _fastapi(midtrans: KeyPair, clock: FixedClock, slot: list[Recorder]) -> Any:
    from fastapi import FastAPI

    from bisnap.integrations.fastapi import notification_endpoint

    verifier = AsyncNotificationVerifier(
        public_key=midtrans.public_pem(), clock=clock, path_prefix=PREFIX
    )
    receiver = AsyncNotificationReceiver(verifier, **_receiver_args())
    app = FastAPI()

    @app.post(PREFIX)
    @app.post(PREFIX + "/{rest:path}")
    @notification_endpoint(receiver)
    async def on_notification(notification: Received) -> None:
        await slot[0].ahandle(notification)

    return app


def _starlette(midtrans: KeyPair, clock: FixedClock, slot: list[Recorder]) -> Any:
    from starlette.applications import Starlette
    from starlette.routing import Route

    from bisnap.integrations.starlette import notification_endpoint

    verifier = AsyncNotificationVerifier(
        public_key=midtrans.public_pem(), clock=clock, path_prefix=PREFIX
    )
    receiver = AsyncNotificationReceiver(verifier, **_receiver_args())

    def handle(notification: Received) -> None:  # a sync handler works too
        slot[0].handle(notification)

    endpoint = notification_endpoint(receiver)(handle)
    return Starlette(
        routes=[
            Route(PREFIX, endpoint, methods=["POST"]),
            Route(PREFIX + "/{rest:path}", endpoint, methods=["POST"]),
        ]
    )


def _flask(midtrans: KeyPair, clock: FixedClock, slot: list[Recorder]) -> Any:
    from flask import Flask

    from bisnap.integrations.flask import notification_view

    verifier = NotificationVerifier(
        public_key=midtrans.public_pem(), clock=clock, path_prefix=PREFIX
    )
    receiver = NotificationReceiver(verifier, **_receiver_args())
    app = Flask(__name__)

    @app.post(PREFIX)
    @app.post(PREFIX + "/<path:rest>")
    @notification_view(receiver)
    def on_notification(notification: Received) -> None:
        slot[0].handle(notification)

    return app


def _over_http(url: str, stack: list[Callable[[], None]]) -> Post:
    client = httpx.Client(base_url=url, timeout=10.0)
    stack.append(client.close)

    def post(path: str, body: bytes, headers: dict[str, str]) -> Answer:
        answer = client.post(path, content=body, headers=headers)
        return Answer(answer.status_code, _lower(answer.headers.items()), answer.content)

    return post


def _django_settings(midtrans: KeyPair, clock: FixedClock) -> dict[str, Any]:
    return {
        "PUBLIC_KEY": midtrans.public_pem(),
        "PATH_PREFIX": PREFIX,
        "CLOCK": clock,
        "SERVER_KEY": SERVER_KEY,
        "IRIS_MERCHANT_KEY": IRIS_KEY,
    }


def _django(
    variant: str,
    midtrans: KeyPair,
    clock: FixedClock,
    slot: list[Recorder],
    stack: list[Callable[[], None]],
) -> Post:
    configure_django()
    from django.test import Client
    from django.test.utils import override_settings

    from tests.integration.frameworks import django_urls

    previous = django_urls.RECORDING
    django_urls.RECORDING = slot
    stack.append(lambda: setattr(django_urls, "RECORDING", previous))
    asynchronous = variant in ("django-async-client", "django-asgi-server")
    urlconf = "tests.integration.frameworks." + (
        "django_async_urls" if asynchronous else "django_urls"
    )
    overrides = override_settings(BISNAP=_django_settings(midtrans, clock), ROOT_URLCONF=urlconf)
    overrides.enable()
    stack.append(overrides.disable)

    if variant.endswith("-server"):
        if asynchronous:
            from django.core.asgi import get_asgi_application

            app: Any = get_asgi_application()
        else:
            from django.core.wsgi import get_wsgi_application

            app = get_wsgi_application()
        server = AppServer(app).start()
        stack.append(server.stop)
        return _over_http(server.url, stack)

    client = Client(enforce_csrf_checks=True)

    def post(path: str, body: bytes, headers: dict[str, str]) -> Answer:
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        answer = client.post(path, data=body, content_type="application/json", headers=extra)
        return Answer(answer.status_code, _lower(answer.headers.items()), answer.content)

    return post


@pytest.fixture(scope="module", params=APPS)
def post(
    request: pytest.FixtureRequest,
    midtrans: KeyPair,
    clock: FixedClock,
    handler_slot: list[Recorder],
) -> Iterator[Post]:
    """POST to the app under test (served once per module; its handler is `recorder`)."""
    stack: list[Callable[[], None]] = []
    try:
        variant: str = request.param
        if variant.startswith("django"):
            yield _django(variant, midtrans, clock, handler_slot, stack)
        else:
            build = {"fastapi": _fastapi, "starlette": _starlette, "flask": _flask}[variant]
            server = AppServer(build(midtrans, clock, handler_slot)).start()
            stack.append(server.stop)
            yield _over_http(server.url, stack)
    finally:
        for undo in reversed(stack):
            undo()


VA_SUCCESS = {
    "responseCode": "2002500",
    "responseMessage": "Request has been processed successfully",
    "virtualAccountData": {
        "partnerServiceId": "   70012",
        "customerNo": "0000000042",
        "virtualAccountNo": "   700120000000042",
        "trxId": "order-1",
    },
}


def test_a_genuine_va_notification_is_handled_and_answered(
    post: Post, deliveries: Deliveries, recorder: Recorder, clock: FixedClock
) -> None:
    headers = deliveries.snap(VA_PATH, VA_BODY, "20260305000000000001")
    answer = post(PREFIX + VA_PATH, VA_BODY, headers)
    assert answer.status == 200, answer.body
    assert answer.json() == VA_SUCCESS
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-timestamp"] == clock.now().strftime("%Y-%m-%dT%H:%M:%S+07:00")
    (notification,) = recorder.processed
    assert isinstance(notification, Notification)
    assert notification.virtual_account_no == "   700120000000042"
    assert notification.payment_flag_status == "00"
    assert notification.paid_amount is not None and notification.paid_amount.value == "150000.00"


def test_a_genuine_debit_notification_gets_its_service_reply(
    post: Post, deliveries: Deliveries, recorder: Recorder
) -> None:
    headers = deliveries.snap(DEBIT_PATH, DEBIT_BODY, "20260305000000000002")
    answer = post(PREFIX + DEBIT_PATH, DEBIT_BODY, headers)
    assert answer.status == 200
    assert answer.json() == {
        "responseCode": "2005600",
        "responseMessage": "Request has been processed successfully",
    }
    (notification,) = recorder.processed
    assert isinstance(notification, Notification)
    assert notification.latest_transaction_status == "00"
    assert notification.original_reference_no == "A1"


def test_a_forged_notification_is_refused_401(
    post: Post, deliveries: Deliveries, recorder: Recorder, forger: KeyPair
) -> None:
    headers = deliveries.snap(VA_PATH, VA_BODY, "20260305000000000003", key=forger)
    answer = post(PREFIX + VA_PATH, VA_BODY, headers)
    assert answer.status == 401
    assert answer.json() == {
        "responseCode": "4012500",
        "responseMessage": "Unauthorized. Signature",
    }
    assert recorder.calls == 0
    # The forgery burned nothing: the genuine delivery with that external id still goes in.
    genuine = deliveries.snap(VA_PATH, VA_BODY, "20260305000000000003")
    assert post(PREFIX + VA_PATH, VA_BODY, genuine).status == 200


def test_a_tampered_body_is_refused_401(
    post: Post, deliveries: Deliveries, recorder: Recorder
) -> None:
    headers = deliveries.snap(DEBIT_PATH, DEBIT_BODY, "20260305000000000004")
    tampered = DEBIT_BODY.replace(b"15000.00", b"95000.00")
    answer = post(PREFIX + DEBIT_PATH, tampered, headers)
    assert answer.status == 401
    assert answer.json()["responseCode"] == "4015600"
    assert recorder.calls == 0


def test_a_missing_header_is_refused_400xx02(
    post: Post, deliveries: Deliveries, recorder: Recorder
) -> None:
    headers = deliveries.snap(DEBIT_PATH, DEBIT_BODY, "20260305000000000005")
    del headers["X-SIGNATURE"]
    answer = post(PREFIX + DEBIT_PATH, DEBIT_BODY, headers)
    assert answer.status == 400
    assert answer.json() == {
        "responseCode": "4005602",
        "responseMessage": "Invalid Mandatory Field X-SIGNATURE",
    }
    assert recorder.calls == 0


def test_a_replay_of_a_processed_notification_is_answered_success_once(
    post: Post, deliveries: Deliveries, recorder: Recorder
) -> None:
    headers = deliveries.snap(VA_PATH, VA_BODY, "20260305000000000006")
    assert post(PREFIX + VA_PATH, VA_BODY, headers).status == 200
    again = post(PREFIX + VA_PATH, VA_BODY, headers)
    # Already processed: the success reply (with the VA echo) so Midtrans stops retrying,
    # and the handler does not run a second time.
    assert again.status == 200
    assert again.json() == VA_SUCCESS
    assert len(recorder.processed) == 1
    assert recorder.calls == 1


def test_a_failing_handler_answers_5xx_and_the_retry_is_processed(
    post: Post, deliveries: Deliveries, recorder: Recorder, clock: FixedClock
) -> None:
    recorder.fail_next = 1
    headers = deliveries.snap(DEBIT_PATH, DEBIT_BODY, "20260305000000000007")
    failed = post(PREFIX + DEBIT_PATH, DEBIT_BODY, headers)
    assert failed.status == 500
    assert failed.json() == {"responseCode": "5005600", "responseMessage": "General Error"}
    assert recorder.processed == []
    # Midtrans retries 2 minutes later: same X-EXTERNAL-ID, signed again.
    clock.advance(timedelta(minutes=2))
    try:
        retry = deliveries.snap(DEBIT_PATH, DEBIT_BODY, "20260305000000000007")
        answer = post(PREFIX + DEBIT_PATH, DEBIT_BODY, retry)
    finally:
        clock.advance(timedelta(minutes=-2))
    assert answer.status == 200, answer.body
    assert answer.json()["responseCode"] == "2005600"
    assert len(recorder.processed) == 1
    assert recorder.calls == 2


def test_the_legacy_core_notification_is_taken_on_the_same_route(
    post: Post, deliveries: Deliveries, recorder: Recorder
) -> None:
    body = deliveries.legacy_core("order-77", "100000.00")
    answer = post(PREFIX, body, {"Content-Type": "application/json"})
    assert answer.status == 200, answer.body
    (legacy,) = recorder.processed
    assert isinstance(legacy, LegacyNotification)
    assert legacy.kind == "core"
    assert (legacy.order_id, legacy.transaction_status, legacy.gross_amount) == (
        "order-77",
        "settlement",
        "100000.00",
    )
    # And a SNAP notification right after, on the same app.
    headers = deliveries.snap(DEBIT_PATH, DEBIT_BODY, "20260305000000000008")
    assert post(PREFIX + DEBIT_PATH, DEBIT_BODY, headers).status == 200
    assert isinstance(recorder.processed[1], Notification)


def test_a_forged_legacy_notification_is_refused_401(
    post: Post, deliveries: Deliveries, recorder: Recorder
) -> None:
    body = deliveries.legacy_core("order-78", "100000.00", server_key="not-the-server-key")
    answer = post(PREFIX, body, {"Content-Type": "application/json"})
    assert answer.status == 401
    assert answer.json()["responseCode"] == "4010000"
    assert recorder.calls == 0


def test_the_payouts_notification_is_taken_on_the_same_route(
    post: Post, deliveries: Deliveries, recorder: Recorder
) -> None:
    body = b'{"reference_no":"ref-1","amount":"10000.00","status":"completed"}'
    answer = post(PREFIX, body, deliveries.payout(body))
    assert answer.status == 200
    (payout,) = recorder.processed
    assert isinstance(payout, LegacyNotification)
    assert (payout.kind, payout.reference_no, payout.status) == ("payout", "ref-1", "completed")
    forged = post(PREFIX, body, deliveries.payout(body, merchant_key="wrong"))
    assert forged.status == 401
    assert len(recorder.processed) == 1
