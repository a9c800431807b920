"""Fuzz: whatever arrives, `verify` returns a Notification or raises a BisnapError.

Arbitrary bytes, headers and paths; plus genuinely signed JSON bodies (signed with raw
`cryptography`) so the later stages (replay, parsing) are reached too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import anyio
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bisnap import BisnapError, FixedClock, MemoryOnceStore, ReplayError
from bisnap.clock import JAKARTA
from bisnap.legacy import verify_core_notification, verify_payout_notification
from bisnap.notifications import AsyncNotificationVerifier, Notification, NotificationVerifier
from bisnap.replies import reply_for_error

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
CLOCK = FixedClock(datetime(2024, 3, 5, 17, 37, 16, tzinfo=JAKARTA))
TS0 = "2024-03-05T17:37:16+07:00"
NAMES = ["X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID", "Content-Type"]
PATHS = ["/v1.0/debit/notify", "/v1.0/qr/qr-mpm-notify", "/v1.0/transfer-va/payment"]

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

header_names = st.one_of(
    st.sampled_from(NAMES),
    st.sampled_from(NAMES).map(str.lower),
    st.text(max_size=20),
)
header_values = st.one_of(
    st.text(max_size=60),
    st.just(TS0),
    st.sampled_from(["2024-03-05T10:37:16Z", "2024-03-05T17:37:16.999+07:00", "x", ""]),
    st.binary(max_size=344).map(lambda b: base64.b64encode(b).decode()),
)
headers_st = st.dictionaries(header_names, header_values, max_size=8)
paths = st.one_of(
    st.sampled_from(PATHS),
    st.sampled_from(PATHS).map(lambda p: "/hooks" + p),
    st.text(max_size=40),
)
methods = st.sampled_from(["POST", "post", "GET", "", "P0ST", "DELETE"])
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v, separators=(",", ":")).encode()),
    json_values.map(lambda v: json.dumps(v, indent=1, ensure_ascii=False).encode()),
)


def raw_signature(path: str, compact: bytes, timestamp: str = TS0) -> str:
    digest = hashlib.sha256(compact).hexdigest()
    data = f"POST:{path}:{digest}:{timestamp}".encode()
    return base64.b64encode(KEY.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


def verifier(prefix: str | None) -> NotificationVerifier:
    return NotificationVerifier(
        public_key=PUBLIC,
        clock=CLOCK,
        replay_store=MemoryOnceStore(clock=CLOCK),
        path_prefix=prefix,
        window=timedelta(minutes=5),
    )


def outcome(call: Any) -> Notification | BisnapError:
    try:
        result = call()
    except BisnapError as err:
        reply = reply_for_error(err, path="/v1.0/debit/notify", clock=CLOCK)
        # Hostile input is the sender's fault: a 4xx, never a 500 (the store never fails here).
        assert 400 <= reply.status_code < 500, (err, reply.status_code)
        assert reply.json()["responseCode"].isdigit()
        return err
    assert isinstance(result, Notification)
    return result


@SETTINGS
@given(
    method=methods,
    path=paths,
    headers=headers_st,
    body=bodies,
    prefix=st.sampled_from([None, "/hooks"]),
)
def test_arbitrary_requests(
    method: str, path: str, headers: dict[str, str], body: bytes, prefix: str | None
) -> None:
    outcome(lambda: verifier(prefix).verify(method=method, path=path, headers=headers, body=body))


@SETTINGS
@given(
    value=json_values,
    path=st.sampled_from([*PATHS, "/v9/unknown"]),
    external=st.text(min_size=1, max_size=40).filter(str.strip),
    partner=st.text(min_size=1, max_size=20).filter(str.strip),
    extra=headers_st,
)
def test_signed_json_bodies(
    value: Any, path: str, external: str, partner: str, extra: dict[str, str]
) -> None:
    compact = json.dumps(value, separators=(",", ":")).encode()
    required = {name.lower() for name in NAMES[:4]}
    headers = {
        **{k: v for k, v in extra.items() if k.lower() not in required},
        "X-TIMESTAMP": TS0,
        "X-SIGNATURE": raw_signature(path, compact),
        "X-PARTNER-ID": partner,
        "X-EXTERNAL-ID": external,
    }
    v = verifier(None)
    first = outcome(lambda: v.verify(method="POST", path=path, headers=headers, body=compact))
    if isinstance(value, dict):
        assert isinstance(first, Notification)
        assert first.external_id == external
        for field in ("amount", "paid_amount"):
            amount = getattr(first, field)
            assert amount is None or isinstance(amount.value, str)
    second = outcome(lambda: v.verify(method="POST", path=path, headers=headers, body=compact))
    assert isinstance(second, BisnapError)
    if isinstance(value, dict):
        # The same signed request under other unsigned headers is a replay too.
        other = {**headers, "X-EXTERNAL-ID": external + "x", "X-PARTNER-ID": partner + " "}
        third = outcome(lambda: v.verify(method="POST", path=path, headers=other, body=compact))
        assert isinstance(third, ReplayError)


@SETTINGS
@given(body=st.binary(max_size=300), suffix=st.sampled_from([b"", b"\x00", b"\xff", b" \x00 "]))
def test_signed_hostile_bytes_are_a_bad_request(body: bytes, suffix: bytes) -> None:
    raw = body + suffix
    headers = {
        "X-TIMESTAMP": TS0,
        "X-SIGNATURE": raw_signature("/v1.0/debit/notify", raw),
        "X-PARTNER-ID": "G1",
        "X-EXTERNAL-ID": "1",
    }
    v = verifier(None)

    def received() -> Notification:
        with v.receive(method="POST", path="/v1.0/debit/notify", headers=headers, body=raw) as n:
            return n

    outcome(received)


@SETTINGS
@given(headers=headers_st, body=bodies, path=paths)
def test_async_arbitrary_requests(headers: dict[str, str], body: bytes, path: str) -> None:
    v = AsyncNotificationVerifier(public_key=PUBLIC, clock=CLOCK)

    async def main() -> None:
        try:
            result = await v.verify(method="POST", path=path, headers=headers, body=body)
        except BisnapError:
            return
        assert isinstance(result, Notification)

    anyio.run(main)


@SETTINGS
@given(body=bodies, headers=headers_st, key=st.text(max_size=30))
def test_legacy_arbitrary_input(body: bytes, headers: dict[str, str], key: str) -> None:
    calls: list[Callable[[], dict[str, Any]]] = [
        lambda: verify_core_notification(body, server_key=key),
        lambda: verify_payout_notification(body, headers=headers, merchant_key=key),
    ]
    for call in calls:
        try:
            result = call()
        except BisnapError:
            continue
        assert isinstance(result, dict)


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"a":' * 100_000])
def test_deeply_nested_signed_body(body: bytes) -> None:
    headers = {
        "X-TIMESTAMP": TS0,
        "X-SIGNATURE": raw_signature("/v1.0/debit/notify", body),
        "X-PARTNER-ID": "G1",
        "X-EXTERNAL-ID": "1",
    }
    assert isinstance(
        outcome(
            lambda: verifier(None).verify(
                method="POST", path="/v1.0/debit/notify", headers=headers, body=body
            )
        ),
        BisnapError,
    )
