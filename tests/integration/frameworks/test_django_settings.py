"""`settings.BISNAP` for the Django views: what it accepts, what it refuses, and a shared
Redis replay store given by URL (a real redis-server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bisnap import ConfigurationError, FixedClock, KeyPair, SystemClock
from tests.integration.frameworks._support import (
    DEBIT_BODY,
    DEBIT_PATH,
    PREFIX,
    Deliveries,
    Recorder,
    configure_django,
)


@pytest.fixture
def django_client(handler_slot: list[Recorder]) -> Iterator[Any]:
    configure_django()
    from django.test import Client

    from tests.integration.frameworks import django_urls

    previous = django_urls.RECORDING
    django_urls.RECORDING = handler_slot
    try:
        yield Client(enforce_csrf_checks=True)
    finally:
        django_urls.RECORDING = previous


def bisnap_settings(midtrans: KeyPair, clock: FixedClock, **more: Any) -> dict[str, Any]:
    return {"PUBLIC_KEY": midtrans.public_pem(), "PATH_PREFIX": PREFIX, "CLOCK": clock, **more}


def post(client: Any, deliveries: Deliveries, external_id: str) -> Any:
    headers = deliveries.snap(DEBIT_PATH, DEBIT_BODY, external_id)
    del headers["Content-Type"]
    return client.post(
        PREFIX + DEBIT_PATH, data=DEBIT_BODY, content_type="application/json", headers=headers
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "settings.BISNAP is not set"),
        ({"PATH_PREFIX": "/x"}, "has no PUBLIC_KEY"),
        ({"PUBLIC_KEY": "x", "PUBLC_KEY": "typo"}, "unknown keys: PUBLC_KEY"),
        ({"PUBLIC_KEY_FILE": "/nonexistent/midtrans.pem"}, "cannot read"),
    ],
)
def test_unusable_settings_are_a_configuration_error(
    django_client: Any, deliveries: Deliveries, value: Any, message: str
) -> None:
    from django.test.utils import override_settings

    with override_settings(BISNAP=value), pytest.raises(ConfigurationError, match=message):
        post(django_client, deliveries, "30000000000000000001")


def test_the_public_key_may_come_from_a_file(
    django_client: Any,
    deliveries: Deliveries,
    midtrans: KeyPair,
    clock: FixedClock,
    recorder: Recorder,
    tmp_path: Path,
) -> None:
    from django.test.utils import override_settings

    pem = tmp_path / "midtrans.pem"
    pem.write_bytes(midtrans.public_pem())
    conf = {"PUBLIC_KEY_FILE": str(pem), "PATH_PREFIX": PREFIX, "CLOCK": clock, "WINDOW": 300}
    with override_settings(BISNAP=conf):
        answer = post(django_client, deliveries, "30000000000000000002")
    assert answer.status_code == 200
    assert answer.json()["responseCode"] == "2005600"
    assert len(recorder.processed) == 1


def test_only_post_is_allowed(
    django_client: Any, midtrans: KeyPair, clock: FixedClock, recorder: Recorder
) -> None:
    from django.test.utils import override_settings

    with override_settings(BISNAP=bisnap_settings(midtrans, clock)):
        answer = django_client.get(PREFIX + DEBIT_PATH)
    assert answer.status_code == 405
    assert recorder.calls == 0


@pytest.mark.redis
def test_a_redis_url_gives_every_worker_one_replay_store(
    django_client: Any, midtrans: KeyPair, recorder: Recorder, redis_url: str
) -> None:
    from django.test.utils import override_settings

    # Redis expires keys on its own clock (PXAT), so this test's clock is fixed at now.
    clock = FixedClock(SystemClock().now())
    deliveries = Deliveries(midtrans, clock)
    conf = bisnap_settings(midtrans, clock, REPLAY_STORE=redis_url, ON_DUPLICATE="success")
    with override_settings(BISNAP=conf):
        first = post(django_client, deliveries, "30000000000000000003")
    # A second worker (a new receiver built from the same settings) sees the same store.
    with override_settings(BISNAP=dict(conf)):
        again = post(django_client, deliveries, "30000000000000000003")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["responseCode"] == "2005600"
    assert recorder.calls == 1
