"""Header builders, redaction and X-EXTERNAL-ID."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

import bisnap
from bisnap import ExternalIdGenerator, FixedClock, HeaderError, MemoryOnceStore
from bisnap.headers import (
    build_access_token_headers,
    build_service_headers,
    get_header,
    redact_headers,
)

TOKEN = "tok-SENTINEL-aa11bb22cc33dd44"


def test_access_token_headers() -> None:
    headers = build_access_token_headers(timestamp="T", client_key="CK", signature="S")
    assert headers == {
        "Content-Type": "application/json",
        "X-TIMESTAMP": "T",
        "X-CLIENT-KEY": "CK",
        "X-SIGNATURE": "S",
    }


def test_b2b_service_headers() -> None:
    headers = build_service_headers(
        timestamp="T",
        signature="S",
        partner_id="P",
        external_id="123",
        channel_id="95221",
        access_token=bisnap.Secret(TOKEN),
    )
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["X-PARTNER-ID"] == "P" and headers["CHANNEL-ID"] == "95221"
    assert "Authorization-Customer" not in headers and "X-DEVICE-ID" not in headers


def test_b2b2c_service_headers() -> None:
    headers = build_service_headers(
        timestamp="T",
        signature="S",
        partner_id="P",
        external_id="123",
        channel_id="95221",
        access_token=TOKEN,
        customer_token="cust-" + TOKEN,
        device_id="android-1",
        ip_address="10.0.0.1",
        latitude="-6.2",
        longitude="106.8",
        origin="shop.example",
    )
    assert headers["Authorization-Customer"] == f"Bearer cust-{TOKEN}"
    assert headers["X-DEVICE-ID"] == "android-1"
    assert headers["X-IP-ADDRESS"] == "10.0.0.1"
    assert headers["X-LATITUDE"] == "-6.2" and headers["X-LONGITUDE"] == "106.8"
    assert headers["ORIGIN"] == "shop.example"
    with pytest.raises(HeaderError, match="X-DEVICE-ID"):
        build_service_headers(
            timestamp="T",
            signature="S",
            partner_id="P",
            external_id="1",
            channel_id="1",
            access_token=TOKEN,
            customer_token=TOKEN,
        )


def test_missing_values_name_the_header() -> None:
    with pytest.raises(HeaderError) as info:
        build_service_headers(
            timestamp="T", signature="S", partner_id="", external_id="1", channel_id="1"
        )
    assert info.value.header == "X-PARTNER-ID"


def test_redaction() -> None:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "authorization-customer": f"Bearer {TOKEN}",
        "X-SIGNATURE": "sig",
    }
    shown = redact_headers(headers)
    assert TOKEN not in str(shown)
    assert shown["Authorization"].startswith("Bearer ")
    assert shown["X-SIGNATURE"] == "sig"
    assert get_header({"X-Signature": "a"}, "X-SIGNATURE") == "a"
    assert get_header({}, "X-SIGNATURE") is None


def test_external_ids_are_numeric_and_unique_across_threads() -> None:
    gen = ExternalIdGenerator()
    seen: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        ids = [gen.next() for _ in range(500)]
        with lock:
            seen.extend(ids)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == len(set(seen)) == 4000
    assert all(v.isdigit() and len(v) == 20 for v in seen)


def test_external_id_registry_skips_taken_values() -> None:
    clock = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    registry = MemoryOnceStore(clock=clock)
    values = iter(["111", "111", "222"])
    gen = ExternalIdGenerator(clock=clock, registry=registry, factory=lambda: next(values))
    assert gen.next() == "111"
    assert gen.next() == "222"  # the second "111" is taken today
    clock.advance(timedelta(days=1))
    again = ExternalIdGenerator(clock=clock, registry=registry, factory=lambda: "111")
    assert again.next() == "111"  # a new Jakarta day


def test_external_id_length_bounds() -> None:
    assert len(ExternalIdGenerator(length=36).next()) == 36
    with pytest.raises(bisnap.ConfigurationError):
        ExternalIdGenerator(length=40)
