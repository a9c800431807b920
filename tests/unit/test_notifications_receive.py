# ruff: noqa: SIM117  (pytest.raises around a whole `with receive(...)` block reads best)
"""`receive` (process, then commit), replays keyed on the signed request, hostile input.

Signatures are made here with raw `cryptography` + `hashlib`, never with bisnap.
"""

from __future__ import annotations

import base64
import hashlib
import pickle
from datetime import UTC, datetime, timedelta, timezone

import anyio
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap import (
    BisnapError,
    BodyNotJSONError,
    ConfigurationError,
    FixedClock,
    HeaderError,
    MemoryOnceStore,
    ReplayError,
    StoreUnavailableError,
)
from bisnap.clock import JAKARTA, end_of_jakarta_day, jakarta_day, jakarta_day_and_end
from bisnap.notifications import AsyncNotificationVerifier, NotificationVerifier
from bisnap.replies import reply_for_error

T0 = datetime(2024, 3, 5, 17, 37, 16, tzinfo=JAKARTA)
TS0 = "2024-03-05T17:37:16+07:00"
DEBIT = "/v1.0/debit/notify"
VA = "/v1.0/transfer-va/payment"
BODY = b'{"latestTransactionStatus":"00","originalReferenceNo":"R1"}'
VA_BODY = (
    b'{"partnerServiceId":"   70012","customerNo":"42","virtualAccountNo":"   7001242",'
    b'"trxId":"t-1"}'
)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signed(
    key: rsa.RSAPrivateKey,
    *,
    body: bytes = BODY,
    path: str = DEBIT,
    timestamp: str = TS0,
    external: str = "1",
    partner: str = "G123",
) -> dict[str, str]:
    digest = hashlib.sha256(body).hexdigest()
    sig = key.sign(
        f"POST:{path}:{digest}:{timestamp}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    return {
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": base64.b64encode(sig).decode(),
        "X-PARTNER-ID": partner,
        "X-EXTERNAL-ID": external,
    }


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def verifier(public_pem: bytes, clock: FixedClock) -> NotificationVerifier:
    return NotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=MemoryOnceStore(clock=clock)
    )


class HandlerFailedError(Exception):
    """The merchant's handler failed (database down)."""


# --- replays keyed on what is signed ------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"X-EXTERNAL-ID": "2"},
        {"X-EXTERNAL-ID": "1 "},
        {"X-PARTNER-ID": "G999"},
        {"X-PARTNER-ID": "G123 ", "X-EXTERNAL-ID": "other"},
    ],
)
def test_genuine_notification_with_other_unsigned_headers_is_a_replay(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey, change: dict[str, str]
) -> None:
    headers = signed(key)
    verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=DEBIT, headers={**headers, **change}, body=BODY)


def test_hex_copy_of_the_same_signature_is_a_replay(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey
) -> None:
    headers = signed(key)
    verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
    hexed = base64.b64decode(headers["X-SIGNATURE"]).hex()
    again = {**headers, "X-SIGNATURE": hexed, "X-EXTERNAL-ID": "9"}
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=DEBIT, headers=again, body=BODY + b" ")


def test_signed_request_key_expires_with_the_external_id(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey, clock: FixedClock
) -> None:
    headers = signed(key)
    verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
    # The next Jakarta day, past the window: the old copy is too old, a new one is fresh.
    clock.set(datetime(2024, 3, 6, 0, 0, 1, tzinfo=JAKARTA))
    ts = "2024-03-06T00:00:01+07:00"
    verifier.verify(method="POST", path=DEBIT, headers=signed(key, timestamp=ts), body=BODY)


# --- receive: process, then commit ----------------------------------------------------------


def test_receive_commits_on_success_and_answers_the_retry_with_success(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey, clock: FixedClock
) -> None:
    headers = signed(key)
    processed = []
    with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY) as n:
        processed.append(n.original_reference_no)
    assert processed == ["R1"]
    for again in (headers, {**headers, "X-EXTERNAL-ID": "77"}):
        with pytest.raises(ReplayError) as info:
            with verifier.receive(method="POST", path=DEBIT, headers=again, body=BODY):
                processed.append("twice")
        assert info.value.already_processed is True
        reply = reply_for_error(info.value, path=DEBIT, clock=clock)
        assert (reply.status_code, reply.json()) == (
            200,
            {
                "responseCode": "2005600",
                "responseMessage": "Request has been processed successfully",
            },
        )
    assert processed == ["R1"]
    # verify() sees the committed claim too.
    with pytest.raises(ReplayError) as seen:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
    assert seen.value.already_processed is True


def test_receive_releases_when_the_handler_fails(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey
) -> None:
    headers = signed(key)
    with pytest.raises(HandlerFailedError):
        with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY):
            raise HandlerFailedError("database down")
    # Midtrans retries: processed this time.
    with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY) as n:
        assert n.external_id == "1"


def test_receive_in_progress_elsewhere_is_409_then_the_lease_lapses(
    public_pem: bytes, key: rsa.RSAPrivateKey, clock: FixedClock
) -> None:
    store = MemoryOnceStore(clock=clock)
    verifier = NotificationVerifier(
        public_key=public_pem,
        clock=clock,
        replay_store=store,
        lease=timedelta(seconds=30),
        window=None,
    )
    headers = signed(key)
    # A worker takes the claim and dies (the block never exits).
    dead = verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY)
    dead.__enter__()
    with pytest.raises(ReplayError) as info:
        with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY):
            pass
    assert info.value.already_processed is False
    assert reply_for_error(info.value, path=DEBIT, clock=clock).status_code == 409
    clock.advance(timedelta(seconds=29))
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
    clock.advance(timedelta(seconds=2))  # the lease lapsed: the retry is processed
    with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY) as n:
        assert n.original_reference_no == "R1"


def test_verify_replay_stays_409_by_default(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey, clock: FixedClock
) -> None:
    headers = signed(key)
    verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
    with pytest.raises(ReplayError) as info:
        with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY):
            pass
    assert info.value.already_processed is False
    assert reply_for_error(info.value, path=DEBIT, clock=clock).status_code == 409


def test_already_processed_va_reply_echoes_the_body(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey, clock: FixedClock
) -> None:
    headers = signed(key, body=VA_BODY, path=VA)
    with verifier.receive(method="POST", path=VA, headers=headers, body=VA_BODY):
        pass
    with pytest.raises(ReplayError) as info:
        verifier.verify(method="POST", path=VA, headers=headers, body=VA_BODY)
    reply = reply_for_error(info.value, path=VA, clock=clock, body=VA_BODY)
    assert reply.status_code == 200
    assert reply.json()["responseCode"] == "2002500"
    assert reply.json()["virtualAccountData"]["trxId"] == "t-1"
    bare = reply_for_error(info.value, path=VA, clock=clock)
    assert (bare.status_code, bare.response_code) == (200, "2002500")


def test_receive_needs_a_claim_store(
    public_pem: bytes, clock: FixedClock, key: rsa.RSAPrivateKey
) -> None:
    class OnlyClaim:
        def claim(self, key: str, *, expires_at: datetime) -> bool:
            return True

    verifier = NotificationVerifier(public_key=public_pem, clock=clock, replay_store=OnlyClaim())
    with pytest.raises(ConfigurationError, match="claim in progress"):
        with verifier.receive(method="POST", path=DEBIT, headers=signed(key), body=BODY):
            pass


def test_receive_store_down_is_store_unavailable(
    public_pem: bytes, clock: FixedClock, key: rsa.RSAPrivateKey
) -> None:
    class Down(MemoryOnceStore):
        def begin(self, *args: object, **kwargs: object) -> str:  # type: ignore[override]
            raise ConnectionError("refused")

    verifier = NotificationVerifier(public_key=public_pem, clock=clock, replay_store=Down())
    with pytest.raises(StoreUnavailableError):
        with verifier.receive(method="POST", path=DEBIT, headers=signed(key), body=BODY):
            pass


def test_receive_body_not_json_releases(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey
) -> None:
    body = b"[1,2]"
    headers = signed(key, body=body)
    for _ in range(2):  # released each time: a 400 again, never a 409
        with pytest.raises(BodyNotJSONError):
            with verifier.receive(method="POST", path=DEBIT, headers=headers, body=body):
                pass


def test_lease_must_be_a_positive_timedelta(public_pem: bytes, clock: FixedClock) -> None:
    for bad in (timedelta(0), 60, None):
        with pytest.raises(ConfigurationError):
            NotificationVerifier(public_key=public_pem, clock=clock, lease=bad)  # type: ignore[arg-type]
    assert NotificationVerifier(public_key=public_pem, clock=clock).lease == timedelta(seconds=60)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_receive(public_pem: bytes, clock: FixedClock, key: rsa.RSAPrivateKey) -> None:
    verifier = AsyncNotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=MemoryOnceStore(clock=clock)
    )
    headers = signed(key)
    with pytest.raises(HandlerFailedError):
        async with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY):
            raise HandlerFailedError("down")
    async with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY) as n:
        assert n.original_reference_no == "R1"
    with pytest.raises(ReplayError) as info:
        async with verifier.receive(
            method="POST", path=DEBIT, headers={**headers, "X-EXTERNAL-ID": "x"}, body=BODY
        ):
            pass
    assert info.value.already_processed is True


# --- errors carry data; hostile input -------------------------------------------------------


def test_missing_header_is_data_not_prose(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey, clock: FixedClock
) -> None:
    headers = {k: v for k, v in signed(key).items() if k != "X-PARTNER-ID"}
    with pytest.raises(HeaderError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
    assert (info.value.header, info.value.missing) == ("X-PARTNER-ID", True)
    restored = pickle.loads(pickle.dumps(info.value))  # noqa: S301 - our own bytes
    assert restored.missing is True
    # A malformed value is not "missing", whatever its message says.
    err = HeaderError("missing header X-TIMESTAMP (not really)", header="X-TIMESTAMP")
    assert reply_for_error(err, path=DEBIT, clock=clock).response_code == "4005601"


def test_replay_error_pickles_with_its_flag() -> None:
    err = pickle.loads(pickle.dumps(ReplayError("again", already_processed=True)))  # noqa: S301
    assert err.already_processed is True
    assert ReplayError("again").already_processed is False


@pytest.mark.parametrize(
    "body", [b"{ }\x00", b'{"a":1}\x00', b"\xff\xfe{}", b"{" * 5000, b'{"a":"\x00"}']
)
def test_hostile_bytes_are_a_bad_request(
    verifier: NotificationVerifier, key: rsa.RSAPrivateKey, clock: FixedClock, body: bytes
) -> None:
    for headers in (signed(key, body=body), signed(key, body=BODY)):
        with pytest.raises(BodyNotJSONError) as info:
            verifier.verify(method="POST", path=DEBIT, headers=headers, body=body)
        reply = reply_for_error(info.value, path=DEBIT, clock=clock)
        assert (reply.status_code, reply.response_code) == (400, "4005600")


@pytest.mark.parametrize(
    "timestamp",
    [
        "9999-12-31T23:59:59+07:00",
        "9999-12-31T23:59:59Z",
        "9999-12-31T20:00:00-14:00",
        "0001-01-01T00:00:00+07:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
    ],
)
@pytest.mark.parametrize("window", [None, timedelta(minutes=5)])
def test_timestamps_at_the_ends_of_time_never_overflow(
    public_pem: bytes, key: rsa.RSAPrivateKey, timestamp: str, window: timedelta | None
) -> None:
    at = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    for now in (at, datetime(2024, 3, 5, tzinfo=UTC)):
        clock = FixedClock(now)
        verifier = NotificationVerifier(public_key=public_pem, clock=clock, window=window)
        headers = signed(key, timestamp=timestamp)
        try:
            n = verifier.verify(method="POST", path=DEBIT, headers=headers, body=BODY)
        except Exception as err:
            assert isinstance(err, BisnapError), repr(err)
        else:
            assert n.timestamp == at


def test_jakarta_day_and_end_are_one_home() -> None:
    at = datetime(2024, 3, 5, 17, 0, tzinfo=UTC)  # 00:00 on the 6th in Jakarta
    assert jakarta_day_and_end(at) == ("2024-03-06", datetime(2024, 3, 7, tzinfo=JAKARTA))
    assert jakarta_day(at) == "2024-03-06"
    assert end_of_jakarta_day(at) == datetime(2024, 3, 7, tzinfo=JAKARTA)
    top = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    day, end = jakarta_day_and_end(top)
    assert day == "9999-12-31" and end.year == 9999
    bottom = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))
    assert jakarta_day_and_end(bottom)[0] == "0001-01-01"
    from bisnap.stores.base import end_of_jakarta_day as old_path

    assert old_path is end_of_jakarta_day


@pytest.mark.anyio
async def test_async_receive_releases_when_the_handler_is_cancelled(
    public_pem: bytes, clock: FixedClock, key: rsa.RSAPrivateKey
) -> None:
    verifier = AsyncNotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=MemoryOnceStore(clock=clock)
    )
    headers = signed(key)
    with anyio.CancelScope() as scope:
        async with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY):
            scope.cancel()
            await anyio.sleep(0)  # a checkpoint: the handler is cancelled here (no wait)
    assert scope.cancelled_caught
    async with verifier.receive(method="POST", path=DEBIT, headers=headers, body=BODY) as n:
        assert n.original_reference_no == "R1"
