"""NotificationVerifier / AsyncNotificationVerifier and the reply builders.

Known answers come from shared/spec (Midtrans's signature demo, DANA's SDK test); every
other signature is made here with raw `cryptography` + `hashlib`, never with bisnap.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import inspect
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import bisnap
from bisnap import (
    BisnapError,
    BodyNotJSONError,
    ConfigurationError,
    FixedClock,
    HeaderError,
    InputError,
    MemoryOnceStore,
    ReplayError,
    SignatureMismatchError,
    StoreUnavailableError,
    TimestampOutOfWindowError,
)
from bisnap.catalogue import NOTIFICATIONS, NotificationEndpoint
from bisnap.clock import JAKARTA
from bisnap.notifications import (
    TRANSACTION_STATUSES,
    AsyncNotificationVerifier,
    Notification,
    NotificationVerifier,
    TransactionStatus,
)
from bisnap.replies import (
    NotificationReply,
    conflict_reply,
    reply_for_error,
    store_unavailable_reply,
    success_reply,
)
from tests._spec import by_kind

T0 = datetime(2024, 3, 5, 17, 37, 16, tzinfo=JAKARTA)
TS0 = "2024-03-05T17:37:16+07:00"
DEBIT = "/v1.0/debit/notify"
QRIS = "/v1.0/qr/qr-mpm-notify"
VA = "/v1.0/transfer-va/payment"
LINKING = "/v1.0/registration-account/notify"

DEBIT_BODY = (
    b'{"latestTransactionStatus":"00","transactionStatusDesc":"SUCCESS",'
    b'"originalReferenceNo":"A120240305","originalPartnerReferenceNo":"order-42",'
    b'"originalExternalId":"123456789","merchantId":"G123",'
    b'"amount":{"value":"150000.00","currency":"IDR"},'
    b'"additionalInfo":{"note":"caf\\u00e9 \\/ toko"}}'
)
VA_BODY = (
    b'{"partnerServiceId":"   70012","customerNo":"0000000042",'
    b'"virtualAccountNo":"   700120000000042","trxId":"order-2024-0001",'
    b'"paymentRequestId":"pr-77","paidAmount":{"value":"150000.00","currency":"IDR"},'
    b'"referenceNo":"ref-9","additionalInfo":{"bank":"bca","paymentFlagStatus":"00"}}'
)


# --- helpers: raw cryptography, never bisnap --------------------------------------------------


def raw_sign(
    key: rsa.RSAPrivateKey,
    *,
    path: str,
    minified: bytes,
    timestamp: str,
    method: str = "POST",
    encoding: str = "base64",
) -> str:
    """SHA256withRSA over METHOD:path:lowerhex(sha256(minified)):timestamp."""
    digest = hashlib.sha256(minified).hexdigest()
    data = f"{method}:{path}:{digest}:{timestamp}".encode()
    sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return sig.hex() if encoding == "hex" else base64.b64encode(sig).decode()


def headers_for(
    signature: str, timestamp: str = TS0, *, partner: str = "G123", external: str = "1001"
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": signature,
        "X-PARTNER-ID": partner,
        "X-EXTERNAL-ID": external,
    }


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def verifier(public_pem: bytes, clock: FixedClock) -> NotificationVerifier:
    return NotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=MemoryOnceStore(clock=clock)
    )


class Sender:
    """Signs notifications like Midtrans would (raw cryptography)."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.counter = 5000

    def headers(
        self,
        *,
        path: str = DEBIT,
        body: bytes = DEBIT_BODY,
        timestamp: str = TS0,
        external: str | None = None,
        partner: str = "G123",
        encoding: str = "base64",
    ) -> dict[str, str]:
        if external is None:
            self.counter += 1
            external = str(self.counter)
        sig = raw_sign(self.key, path=path, minified=body, timestamp=timestamp, encoding=encoding)
        return headers_for(sig, timestamp, partner=partner, external=external)


@pytest.fixture
def sender(key: rsa.RSAPrivateKey) -> Sender:
    return Sender(key)


# --- known answers (shared/spec) ---------------------------------------------------------------


def test_midtrans_signature_demo_notification_verifies() -> None:
    (vec,) = by_kind("midtrans-vectors.json", "notification_signature_sha256withrsa_generate")
    inputs, expected = vec["inputs"], vec["expected"]
    clock = FixedClock(datetime(2024, 3, 5, 10, 38, 0, tzinfo=UTC))
    headers = {
        "x-timestamp": inputs["x_timestamp"],
        "x-signature": expected["x_signature_base64"],
        "x-partner-id": "G123",
        "x-external-id": "20240305000001",
    }
    for body in (inputs["body_as_written"], inputs["body_minified"]):
        # One verifier per body: both bodies are the same signed request (a replay).
        verifier = NotificationVerifier(public_key=inputs["public_key_pem"], clock=clock)
        n = verifier.verify(
            method=inputs["method"],
            path=inputs["path"],
            headers={**headers, "x-external-id": str(len(body))},
            body=body.encode("utf-8"),
        )
        assert n.trace.body_sha256 == expected["body_sha256_hex"]
        assert n.trace.string_to_sign == expected["string_to_sign"]
        assert n.trace.minified_body == inputs["body_minified"].encode("utf-8")
        assert n.service is not None
        assert n.service.service_code == "56"
        assert n.latest_transaction_status == "00"
        assert n.latest_transaction_status_name == "Success"
        assert n.original_reference_no == "gopayOrderId"
        assert n.original_partner_reference_no == "merchant-order-id"
        assert n.original_external_id == "merchant-order-id"
        assert n.body["additionalInfo"]["fraudStatus"] == "accept"
        assert n.timestamp == datetime(2024, 3, 5, 10, 37, 16, 196000, tzinfo=UTC)
        assert n.timestamp_text == inputs["x_timestamp"]


def test_midtrans_demo_tampered_body_is_rejected() -> None:
    (vec,) = by_kind("midtrans-vectors.json", "notification_signature_sha256withrsa_generate")
    inputs, expected = vec["inputs"], vec["expected"]
    clock = FixedClock(datetime(2024, 3, 5, 10, 38, 0, tzinfo=UTC))
    verifier = NotificationVerifier(public_key=inputs["public_key_pem"], clock=clock)
    body = inputs["body_minified"].replace('"00"', '"06"', 1).encode("utf-8")
    with pytest.raises(SignatureMismatchError):
        verifier.verify(
            method="POST",
            path=inputs["path"],
            headers=headers_for(expected["x_signature_base64"], inputs["x_timestamp"]),
            body=body,
        )


def test_dana_notification_verifies_with_mixed_case_headers() -> None:
    (vec,) = by_kind("external-vectors.json", "notification_signature_sha256withrsa_verify")
    inputs = vec["inputs"]
    assert vec["expected"]["signature_valid"] is True
    clock = FixedClock(datetime(2025, 9, 16, 12, 12, 0, tzinfo=JAKARTA))
    verifier = NotificationVerifier(public_key=inputs["public_key_pem"], clock=clock)
    headers = {
        **inputs["other_headers"],
        "X-Timestamp": inputs["x_timestamp"],
        "X-Signature": inputs["x_signature_base64"],
    }
    n = verifier.verify(
        method=inputs["http_method"],
        path=inputs["relative_path"],
        headers=headers,
        body=inputs["body"].encode("utf-8"),
    )
    assert n.service is None  # DANA's own path: unknown to the Midtrans catalogue, verified
    assert n.partner_id == inputs["other_headers"]["X-Partner-Id"]
    assert n.external_id == inputs["other_headers"]["X-External-Id"]
    assert n.amount == bisnap.notifications.Amount(value="100000.00", currency="IDR")
    assert n.latest_transaction_status == "00"
    assert n.original_partner_reference_no == "LINKIT25091757998646"


# --- headers -----------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID"])
@pytest.mark.parametrize("how", ["absent", "empty", "blank"])
def test_every_required_header_missing(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock, missing: str, how: str
) -> None:
    headers = sender.headers()
    if how == "absent":
        del headers[missing]
    else:
        headers[missing] = "" if how == "empty" else "   "
    with pytest.raises(HeaderError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert info.value.header == missing
    assert missing in str(info.value)
    reply = reply_for_error(info.value, path=DEBIT, clock=clock)
    assert reply.status_code == 400
    assert reply.json() == {
        "responseCode": "4005602",
        "responseMessage": f"Invalid Mandatory Field {missing}",
    }


def test_missing_headers_are_reported_in_order(
    verifier: NotificationVerifier, sender: Sender
) -> None:
    with pytest.raises(HeaderError) as info:
        verifier.verify(method="POST", path=DEBIT, headers={}, body=DEBIT_BODY)
    assert info.value.header == "X-TIMESTAMP"
    headers = sender.headers()
    del headers["X-PARTNER-ID"], headers["X-EXTERNAL-ID"]
    with pytest.raises(HeaderError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert info.value.header == "X-PARTNER-ID"


@pytest.mark.parametrize("case", [str.lower, str.upper, str.title])
def test_header_names_are_case_insensitive(
    verifier: NotificationVerifier, sender: Sender, case: Any
) -> None:
    headers = {case(k): v for k, v in sender.headers().items()}
    n = verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert n.partner_id == "G123"


def test_headers_as_pairs(verifier: NotificationVerifier, sender: Sender) -> None:
    pairs = list(sender.headers().items())
    n = verifier.verify(method="POST", path=DEBIT, headers=pairs, body=DEBIT_BODY)
    assert n.service_code == "56"


@pytest.mark.parametrize("bad", [None, 42, "X-TIMESTAMP"])
def test_headers_that_are_not_headers(verifier: NotificationVerifier, bad: Any) -> None:
    with pytest.raises(InputError):
        verifier.verify(method="POST", path=DEBIT, headers=bad, body=DEBIT_BODY)


@pytest.mark.parametrize(
    "value",
    ["2024-03-05 17:37:16", "2024-03-05T17:37:16", "yesterday", "2024-02-30T10:00:00+07:00"],
)
def test_malformed_timestamp(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock, value: str
) -> None:
    headers = sender.headers()
    headers["X-TIMESTAMP"] = value
    with pytest.raises(HeaderError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert info.value.header == "X-TIMESTAMP"
    reply = reply_for_error(info.value, path=DEBIT, clock=clock)
    assert (reply.status_code, reply.json()) == (
        400,
        {"responseCode": "4005601", "responseMessage": "Invalid Field Format X-TIMESTAMP"},
    )


@pytest.mark.parametrize("value", ["not base64!", "QUJD", "00" * 255])
def test_malformed_signature(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock, value: str
) -> None:
    headers = sender.headers()
    headers["X-SIGNATURE"] = value
    with pytest.raises(HeaderError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert info.value.header == "X-SIGNATURE"
    reply = reply_for_error(info.value, path=DEBIT, clock=clock)
    assert reply.status_code == 401
    assert reply.json()["responseCode"] == "4015600"


# --- timestamps and the window -------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp",
    [
        "2024-03-05T17:37:16+07:00",
        "2024-03-05T17:37:16.196+07:00",
        "2024-03-05T10:37:16Z",
        "2024-03-05T10:37:16.196Z",
        "2024-03-05T17:37:16+0700",
    ],
)
def test_every_timestamp_spelling(
    verifier: NotificationVerifier, sender: Sender, timestamp: str
) -> None:
    headers = sender.headers(timestamp=timestamp)
    n = verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert n.timestamp_text == timestamp
    assert abs(n.timestamp - T0) < timedelta(seconds=1)


def _at(offset_seconds: int) -> str:
    return (T0 + timedelta(seconds=offset_seconds)).isoformat()


@pytest.mark.parametrize(
    ("offset", "direction"),
    [(-300, None), (-301, "too old"), (300, None), (301, "too new"), (0, None)],
)
def test_window_edges_to_the_second(
    verifier: NotificationVerifier, sender: Sender, offset: int, direction: str | None
) -> None:
    headers = sender.headers(timestamp=_at(offset))
    if direction is None:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
        return
    with pytest.raises(TimestampOutOfWindowError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert info.value.direction == direction
    assert info.value.skew == timedelta(seconds=-offset)
    assert info.value.window == timedelta(minutes=5)
    assert direction in str(info.value)


def test_window_is_checked_before_the_signature(verifier: NotificationVerifier) -> None:
    headers = headers_for("A" * 344, _at(-3600))
    with pytest.raises(TimestampOutOfWindowError):
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)


def test_zero_window_means_zero_tolerance(
    public_pem: bytes, clock: FixedClock, sender: Sender
) -> None:
    verifier = NotificationVerifier(public_key=public_pem, clock=clock, window=timedelta(0))
    verifier.verify(method="POST", path=DEBIT, headers=sender.headers(), body=DEBIT_BODY)
    for offset, direction in ((-1, "too old"), (1, "too new")):
        with pytest.raises(TimestampOutOfWindowError) as info:
            verifier.verify(
                method="POST",
                path=DEBIT,
                headers=sender.headers(timestamp=_at(offset)),
                body=DEBIT_BODY,
            )
        assert info.value.direction == direction


def test_window_none_disables_the_check(
    public_pem: bytes, clock: FixedClock, sender: Sender
) -> None:
    verifier = NotificationVerifier(public_key=public_pem, clock=clock, window=None)
    for offset in (-400 * 86400, 400 * 86400):
        verifier.verify(
            method="POST",
            path=DEBIT,
            headers=sender.headers(timestamp=_at(offset)),
            body=DEBIT_BODY,
        )
    assert verifier.window is None


@pytest.mark.parametrize("window", [0, 0.0, 300, False, "5m", timedelta(seconds=-1)])
def test_window_must_be_a_timedelta_or_explicit_none(
    public_pem: bytes, clock: FixedClock, window: Any
) -> None:
    with pytest.raises(ConfigurationError):
        NotificationVerifier(public_key=public_pem, clock=clock, window=window)


def test_window_reply(clock: FixedClock) -> None:
    err = TimestampOutOfWindowError(
        direction="too old", skew=timedelta(seconds=301), window=timedelta(minutes=5)
    )
    reply = reply_for_error(err, path=QRIS, clock=clock)
    assert reply.status_code == 400
    assert reply.json()["responseCode"] == "4005201"
    assert reply.json()["responseMessage"] == "Invalid Field Format X-TIMESTAMP"


# --- signature -------------------------------------------------------------------------------


def test_signature_over_the_raw_body_minified_not_reserialised(
    verifier: NotificationVerifier, sender: Sender
) -> None:
    pretty = b'{\n  "latestTransactionStatus" : "00",\n  "note": "caf\\u00e9 \\/ a  b"\n}'
    minified = b'{"latestTransactionStatus":"00","note":"caf\\u00e9 \\/ a  b"}'
    headers = sender.headers(body=minified)
    n = verifier.verify(method="POST", path=DEBIT, headers=headers, body=pretty)
    assert n.raw_body == pretty
    assert n.body["note"] == "café / a  b"
    # A sender that re-serialised the JSON (escapes dropped) does not verify.
    reserialised = json.dumps(json.loads(minified), separators=(",", ":")).encode()
    bad = sender.headers(body=reserialised)
    with pytest.raises(SignatureMismatchError):
        verifier.verify(method="POST", path=DEBIT, headers=bad, body=pretty)


def test_hex_signature_is_accepted(verifier: NotificationVerifier, sender: Sender) -> None:
    headers = sender.headers(encoding="hex")
    assert verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)


def test_wrong_key_is_a_mismatch_with_reply_401(
    verifier: NotificationVerifier, clock: FixedClock
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers = Sender(other).headers()
    with pytest.raises(SignatureMismatchError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    reply = reply_for_error(info.value, path=DEBIT, clock=clock)
    assert reply.status_code == 401
    assert reply.json() == {"responseCode": "4015600", "responseMessage": "Unauthorized. Signature"}


@pytest.mark.parametrize(
    ("path", "signed"),
    [(DEBIT, "/v1.0/qr/qr-mpm-notify"), (DEBIT, "/v1.0/debit/notify?x=1")],
)
def test_path_is_part_of_the_signature(
    verifier: NotificationVerifier, sender: Sender, path: str, signed: str
) -> None:
    with pytest.raises(SignatureMismatchError):
        verifier.verify(
            method="POST", path=path, headers=sender.headers(path=signed), body=DEBIT_BODY
        )


def test_method_is_part_of_the_signature(verifier: NotificationVerifier, sender: Sender) -> None:
    with pytest.raises(SignatureMismatchError):
        verifier.verify(method="PUT", path=DEBIT, headers=sender.headers(), body=DEBIT_BODY)


# --- path prefix -----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/hooks/midtrans", "/hooks/midtrans/"])
def test_path_prefix_is_stripped(
    public_pem: bytes, clock: FixedClock, sender: Sender, prefix: str
) -> None:
    verifier = NotificationVerifier(public_key=public_pem, clock=clock, path_prefix=prefix)
    n = verifier.verify(
        method="POST",
        path="/hooks/midtrans/v1.0/debit/notify",
        headers=sender.headers(path=DEBIT),
        body=DEBIT_BODY,
    )
    assert n.path == DEBIT
    assert n.service_code == "56"


@pytest.mark.parametrize(
    "path", ["/v1.0/debit/notify", "/hooks/midtransX/v1.0/debit/notify", "/hooks/midtrans"]
)
def test_path_outside_the_prefix_is_a_clear_error(
    public_pem: bytes, clock: FixedClock, sender: Sender, path: str
) -> None:
    verifier = NotificationVerifier(
        public_key=public_pem, clock=clock, path_prefix="/hooks/midtrans"
    )
    with pytest.raises(InputError, match="does not start with path_prefix '/hooks/midtrans'"):
        verifier.verify(method="POST", path=path, headers=sender.headers(), body=DEBIT_BODY)


def test_forgotten_prefix_gets_a_hint(verifier: NotificationVerifier, sender: Sender) -> None:
    with pytest.raises(SignatureMismatchError) as info:
        verifier.verify(
            method="POST",
            path="/hooks/midtrans/v1.0/debit/notify",
            headers=sender.headers(path=DEBIT),
            body=DEBIT_BODY,
        )
    assert "path_prefix='/hooks/midtrans'" in info.value.hint


@pytest.mark.parametrize("prefix", ["hooks", 5, "https://shop.example/hooks"])
def test_bad_prefix(public_pem: bytes, clock: FixedClock, prefix: Any) -> None:
    with pytest.raises(ConfigurationError):
        NotificationVerifier(public_key=public_pem, clock=clock, path_prefix=prefix)


# --- body ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"latestTransactionStatus": "00"}, DEBIT_BODY.decode(), None])
def test_body_must_be_the_raw_bytes(
    verifier: NotificationVerifier, sender: Sender, body: Any
) -> None:
    with pytest.raises(InputError, match="pass the raw request body bytes, not the parsed JSON"):
        verifier.verify(method="POST", path=DEBIT, headers=sender.headers(), body=body)


def test_bytearray_and_memoryview_are_raw_bytes(
    verifier: NotificationVerifier, sender: Sender
) -> None:
    verifier.verify(
        method="POST",
        path=DEBIT,
        headers=sender.headers(),
        body=bytearray(DEBIT_BODY),  # type: ignore[arg-type]
    )
    other = DEBIT_BODY.replace(b"order-42", b"order-43")  # another signed request
    verifier.verify(
        method="POST",
        path=DEBIT,
        headers=sender.headers(body=other),
        body=memoryview(other),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("body", [b"[1,2]", b'"x"', b"null"])
def test_signed_body_that_is_not_an_object(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock, body: bytes
) -> None:
    with pytest.raises(BodyNotJSONError):
        verifier.verify(method="POST", path=DEBIT, headers=sender.headers(body=body), body=body)


def test_json_is_parsed_after_the_replay_claim(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock
) -> None:
    body = b"order_id=1&status=ok"
    headers = sender.headers(body=body, external="777")
    with pytest.raises(BodyNotJSONError):
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=body)
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=body)
    reply = reply_for_error(BodyNotJSONError("x", offset=0), path=DEBIT, clock=clock)
    assert (reply.status_code, reply.json()["responseCode"]) == (400, "4005600")


def test_forged_non_json_body_is_reported_as_not_json(
    verifier: NotificationVerifier, sender: Sender
) -> None:
    with pytest.raises(BodyNotJSONError):
        verifier.verify(method="POST", path=DEBIT, headers=sender.headers(), body=b"{nope")


# --- replay ----------------------------------------------------------------------------------


def test_replay_within_the_day(verifier: NotificationVerifier, sender: Sender) -> None:
    headers = sender.headers(external="42")
    verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    with pytest.raises(ReplayError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert "'42'" in str(info.value)
    # Same external id from another partner is another notification (another signed body).
    other = DEBIT_BODY.replace(b"order-42", b"order-43")
    verifier.verify(
        method="POST",
        path=DEBIT,
        headers=sender.headers(external="42", partner="G999", body=other),
        body=other,
    )
    # The key cannot be confused by a ':' in the ids.
    third = DEBIT_BODY.replace(b"order-42", b"order-44")
    verifier.verify(
        method="POST",
        path=DEBIT,
        headers=sender.headers(external="3:42", partner="G12", body=third),
        body=third,
    )


def test_replay_across_jakarta_midnight(public_pem: bytes, sender: Sender) -> None:
    before = datetime(2024, 3, 5, 23, 59, 30, tzinfo=JAKARTA)
    clock = FixedClock(before)
    verifier = NotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=MemoryOnceStore(clock=clock)
    )
    late = sender.headers(timestamp=before.isoformat(), external="9")
    verifier.verify(method="POST", path=DEBIT, headers=late, body=DEBIT_BODY)
    # 60 s later it is the next day in Jakarta; the same signed request is still a replay.
    clock.set(datetime(2024, 3, 6, 0, 0, 30, tzinfo=JAKARTA))
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=DEBIT, headers=late, body=DEBIT_BODY)
    # A new notification of the new day may reuse the external id (unique per day).
    fresh = sender.headers(timestamp=clock.now().isoformat(), external="9")
    verifier.verify(method="POST", path=DEBIT, headers=fresh, body=DEBIT_BODY)
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=DEBIT, headers=fresh, body=DEBIT_BODY)
    # Once the window has passed, the old copy is too old anyway (never accepted again).
    clock.set(datetime(2024, 3, 6, 0, 5, 31, tzinfo=JAKARTA))
    with pytest.raises(TimestampOutOfWindowError):
        verifier.verify(method="POST", path=DEBIT, headers=late, body=DEBIT_BODY)


def test_replay_key_expires_at_end_of_the_jakarta_day(public_pem: bytes, sender: Sender) -> None:
    seen: list[tuple[str, datetime]] = []

    class Recording:
        def claim(self, key: str, *, expires_at: datetime) -> bool:
            seen.append((key, expires_at))
            return True

    clock = FixedClock(datetime(2024, 3, 5, 12, 0, 0, tzinfo=UTC))  # 19:00 in Jakarta
    verifier = NotificationVerifier(public_key=public_pem, clock=clock, replay_store=Recording())
    verifier.verify(
        method="POST",
        path=DEBIT,
        headers=sender.headers(timestamp="2024-03-05T19:00:00+07:00", external="55"),
        body=DEBIT_BODY,
    )
    # Two claims: the signed request's key and partner id + external id's, same expiry.
    ((key, expires_at),) = [(k, e) for k, e in seen if "G123" in k]
    assert len(seen) == 2
    assert {e for _, e in seen} == {expires_at}
    assert "2024-03-05" in key
    assert "G123" in key
    assert key.endswith(":55")
    assert expires_at == datetime(2024, 3, 6, 0, 0, tzinfo=JAKARTA)


def test_forged_request_does_not_burn_the_external_id(
    verifier: NotificationVerifier, sender: Sender
) -> None:
    forger = Sender(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    for _ in range(3):
        with pytest.raises(SignatureMismatchError):
            verifier.verify(
                method="POST", path=DEBIT, headers=forger.headers(external="31337"), body=DEBIT_BODY
            )
    n = verifier.verify(
        method="POST", path=DEBIT, headers=sender.headers(external="31337"), body=DEBIT_BODY
    )
    assert n.external_id == "31337"


def test_replay_reply_conflict_or_success(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock
) -> None:
    headers = sender.headers(external="66")
    verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    with pytest.raises(ReplayError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    conflict = reply_for_error(info.value, path=DEBIT, clock=clock)
    assert (conflict.status_code, conflict.json()) == (
        409,
        {"responseCode": "4095600", "responseMessage": "Conflict"},
    )
    ok = reply_for_error(info.value, path=DEBIT, clock=clock, on_duplicate="success")
    assert (ok.status_code, ok.response_code) == (200, "2005600")


def test_replay_reply_success_for_va_echoes_the_body(clock: FixedClock) -> None:
    err = ReplayError("again")
    ok = reply_for_error(err, path="/p" + VA, clock=clock, on_duplicate="success", body=VA_BODY)
    assert ok.status_code == 200
    assert ok.json()["virtualAccountData"]["partnerServiceId"] == "   70012"
    no_body = reply_for_error(err, path=VA, clock=clock, on_duplicate="success")
    assert no_body.status_code == 409
    bad_body = reply_for_error(err, path=VA, clock=clock, on_duplicate="success", body=b"{")
    assert bad_body.status_code == 409


# --- stores ----------------------------------------------------------------------------------


class FailingStore:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        raise self.exc


@pytest.mark.parametrize(
    "exc", [StoreUnavailableError("Redis SET NX failed"), ConnectionError("refused"), OSError(111)]
)
def test_store_failure_is_never_a_silent_accept(
    public_pem: bytes, clock: FixedClock, sender: Sender, exc: Exception
) -> None:
    verifier = NotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=FailingStore(exc)
    )
    with pytest.raises(StoreUnavailableError) as info:
        verifier.verify(method="POST", path=DEBIT, headers=sender.headers(), body=DEBIT_BODY)
    reply = reply_for_error(info.value, path=VA, clock=clock)
    assert reply.status_code == 500
    assert reply.json() == {"responseCode": "5002501", "responseMessage": "Internal Server Error"}


def test_default_store_is_per_verifier_memory(
    public_pem: bytes, clock: FixedClock, sender: Sender
) -> None:
    verifier = NotificationVerifier(public_key=public_pem, clock=clock)
    headers = sender.headers()
    verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    with pytest.raises(ReplayError):
        verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    assert "MemoryOnceStore" in repr(verifier)


def test_sync_verifier_refuses_an_async_store(public_pem: bytes, clock: FixedClock) -> None:
    with pytest.raises(ConfigurationError):
        NotificationVerifier(
            public_key=public_pem,
            clock=clock,
            replay_store=MemoryOnceStore(clock=clock).as_async(),  # type: ignore[arg-type]
        )


def test_async_verifier_refuses_a_sync_store(public_pem: bytes, clock: FixedClock) -> None:
    with pytest.raises(ConfigurationError):
        AsyncNotificationVerifier(
            public_key=public_pem,
            clock=clock,
            replay_store=FailingStore(RuntimeError("x")),  # type: ignore[arg-type]
        )


def test_clock_is_required_to_be_a_clock(public_pem: bytes) -> None:
    with pytest.raises(ConfigurationError):
        NotificationVerifier(public_key=public_pem, clock=object())  # type: ignore[arg-type]


# --- the Notification ------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", NOTIFICATIONS, ids=lambda e: e.name)
def test_service_from_the_catalogue_path(
    verifier: NotificationVerifier,
    sender: Sender,
    clock: FixedClock,
    endpoint: NotificationEndpoint,
) -> None:
    n = verifier.verify(
        method="POST",
        path=endpoint.path,
        headers=sender.headers(path=endpoint.path),
        body=DEBIT_BODY,
    )
    assert n.service is endpoint
    assert n.service_code == endpoint.service_code
    assert success_reply(n, clock=clock).response_code == endpoint.success_code


def test_expected_service_codes() -> None:
    codes = {e.path: e.service_code for e in NOTIFICATIONS}
    assert codes == {DEBIT: "56", QRIS: "52", VA: "25", LINKING: "88"}


def test_unknown_path_still_verifies(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock
) -> None:
    path = "/v1.0/something-new/notify"
    n = verifier.verify(
        method="POST", path=path, headers=sender.headers(path=path), body=DEBIT_BODY
    )
    assert n.service is None
    assert n.service_code is None
    reply = success_reply(n, clock=clock)
    assert reply.response_code == "2000000"


def test_debit_fields(verifier: NotificationVerifier, sender: Sender) -> None:
    n = verifier.verify(
        method="POST", path=DEBIT, headers=sender.headers(external="8"), body=DEBIT_BODY
    )
    assert n.amount == bisnap.notifications.Amount(value="150000.00", currency="IDR")
    assert n.original_reference_no == "A120240305"
    assert n.original_partner_reference_no == "order-42"
    assert n.original_external_id == "123456789"
    assert n.transaction_status_desc == "SUCCESS"
    assert (n.partner_id, n.external_id) == ("G123", "8")
    assert n.timestamp == T0
    assert n.trace.path == DEBIT
    assert n.body["merchantId"] == "G123"
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.partner_id = "x"  # type: ignore[misc]


def test_va_fields_and_reply_echo(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock
) -> None:
    n = verifier.verify(
        method="POST", path=VA, headers=sender.headers(path=VA, body=VA_BODY), body=VA_BODY
    )
    assert n.service_code == "25"
    assert n.partner_service_id == "   70012"
    assert n.customer_no == "0000000042"
    assert n.virtual_account_no == "   700120000000042"
    assert n.trx_id == "order-2024-0001"
    assert n.payment_request_id == "pr-77"
    assert n.paid_amount == bisnap.notifications.Amount(value="150000.00", currency="IDR")
    assert n.amount == n.paid_amount
    assert n.payment_flag_status == "00"
    assert n.reference_no == "ref-9"
    reply = success_reply(n, clock=clock)
    assert reply.status_code == 200
    assert reply.body == (
        b'{"responseCode":"2002500","responseMessage":"Request has been processed successfully",'
        b'"virtualAccountData":{"partnerServiceId":"   70012","customerNo":"0000000042",'
        b'"virtualAccountNo":"   700120000000042","trxId":"order-2024-0001"}}'
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"amount":{"value":"10000.00","currency":"IDR"}}', "10000.00"),
        (b'{"amount":{"value":10000.50,"currency":"IDR"}}', "10000.50"),
        (b'{"amount":{"value":1.0e5,"currency":"IDR"}}', "1.0e5"),
        (b'{"amount":{"value":10000,"currency":"IDR"}}', "10000"),
    ],
)
def test_amounts_are_strings_as_received(
    verifier: NotificationVerifier, sender: Sender, raw: bytes, value: str
) -> None:
    n = verifier.verify(
        method="POST", path=QRIS, headers=sender.headers(path=QRIS, body=raw), body=raw
    )
    assert n.amount is not None
    assert type(n.amount.value) is str
    assert n.amount.value == value
    assert n.amount.currency == "IDR"


def test_no_float_anywhere_in_the_body(verifier: NotificationVerifier, sender: Sender) -> None:
    raw = b'{"a":1.5,"b":[2.25,{"c":-0.0}],"d":7}'
    n = verifier.verify(
        method="POST", path=QRIS, headers=sender.headers(path=QRIS, body=raw), body=raw
    )
    assert n.body == {"a": "1.5", "b": ["2.25", {"c": "-0.0"}], "d": 7}
    assert n.amount is None
    assert n.latest_transaction_status is None


@pytest.mark.parametrize(("code", "name"), sorted(TRANSACTION_STATUSES.items()))
def test_status_names(verifier: NotificationVerifier, sender: Sender, code: str, name: str) -> None:
    raw = b'{"latestTransactionStatus":"%s"}' % code.encode()
    n = verifier.verify(method="POST", path=DEBIT, headers=sender.headers(body=raw), body=raw)
    assert n.latest_transaction_status == code
    assert n.latest_transaction_status_name == name


def test_status_table() -> None:
    assert dict(TRANSACTION_STATUSES) == {
        "00": "Success",
        "01": "Initiated",
        "02": "Paying",
        "03": "Pending",
        "04": "Refunded",
        "05": "Canceled",
        "06": "Failed",
        "07": "Not found",
        "08": "Expired",
        "09": "Denied",
    }
    assert TransactionStatus("42").label is None
    assert repr(TransactionStatus("03")) == "TransactionStatus('03', label='Pending')"


def test_notification_repr_is_short(verifier: NotificationVerifier, sender: Sender) -> None:
    n = verifier.verify(method="POST", path=DEBIT, headers=sender.headers(), body=DEBIT_BODY)
    text = repr(n)
    assert "A120240305" in text
    assert "caf" not in text  # the body is not dumped


# --- replies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "code"), [(DEBIT, "2005600"), (QRIS, "2005200"), (LINKING, "2008800")]
)
def test_success_replies(
    verifier: NotificationVerifier, sender: Sender, clock: FixedClock, path: str, code: str
) -> None:
    n = verifier.verify(
        method="POST", path=path, headers=sender.headers(path=path), body=DEBIT_BODY
    )
    reply = success_reply(n, clock=clock)
    assert isinstance(reply, NotificationReply)
    assert reply.status_code == 200
    assert dict(reply.headers) == {
        "Content-Type": "application/json",
        "X-TIMESTAMP": "2024-03-05T17:37:16+07:00",
    }
    assert reply.body == (
        b'{"responseCode":"%s","responseMessage":"Request has been processed successfully"}'
        % code.encode()
    )
    other = success_reply(n, clock=clock, message="Successful")
    assert other.json()["responseMessage"] == "Successful"


def test_reply_timestamp_follows_the_clock(clock: FixedClock) -> None:
    clock.advance(timedelta(hours=7))
    reply = conflict_reply("52", clock=clock)
    assert reply.headers["X-TIMESTAMP"] == "2024-03-06T00:37:16+07:00"


def test_builders_check_the_service_code(clock: FixedClock) -> None:
    with pytest.raises(InputError):
        store_unavailable_reply("5", clock=clock)
    assert store_unavailable_reply(None, clock=clock).response_code == "5000001"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (SignatureMismatchError(), 401, "4018800"),
        (
            HeaderError("missing header X-EXTERNAL-ID", header="X-EXTERNAL-ID", missing=True),
            400,
            "4008802",
        ),
        (ReplayError("again"), 409, "4098800"),
        (StoreUnavailableError("down"), 500, "5008801"),
        (InputError("path outside the prefix"), 400, "4008800"),
        (ConfigurationError("bad"), 500, "5008800"),
        (bisnap.TimestampFormatError("bad"), 400, "4008801"),
        (bisnap.SignatureFormatError("bad"), 401, "4018800"),
        (RuntimeError("boom"), 500, "5008800"),
        (BisnapError("other"), 500, "5008800"),
    ],
)
def test_reply_for_every_error(
    clock: FixedClock, error: BaseException, status: int, code: str
) -> None:
    reply = reply_for_error(error, path="/x" + LINKING, clock=clock)
    assert (reply.status_code, reply.response_code) == (status, code)
    assert reply.headers["Content-Type"] == "application/json"


def test_reply_for_unknown_path_uses_00(clock: FixedClock) -> None:
    reply = reply_for_error(SignatureMismatchError(), path="/elsewhere", clock=clock)
    assert reply.response_code == "4010000"


# --- errors ---------------------------------------------------------------------------------


def test_errors_are_bisnap_errors_with_hints(
    verifier: NotificationVerifier, sender: Sender
) -> None:
    cases: list[tuple[dict[str, str], bytes]] = [
        ({}, DEBIT_BODY),
        (sender.headers(timestamp="nope"), DEBIT_BODY),
        (sender.headers(timestamp=_at(-9999)), DEBIT_BODY),
        (sender.headers(body=b"{}"), DEBIT_BODY),
    ]
    for headers, body in cases:
        with pytest.raises(BisnapError) as info:
            verifier.verify(method="POST", path=DEBIT, headers=headers, body=body)
        assert info.value.hint
        assert str(info.value)
        assert type(info.value).__name__ in repr(info.value)


# --- async ----------------------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class AsyncStore:
    def __init__(self, clock: FixedClock) -> None:
        self.inner = MemoryOnceStore(clock=clock)
        self.calls = 0

    async def claim(self, key: str, *, expires_at: datetime) -> bool:
        self.calls += 1
        return self.inner.claim(key, expires_at=expires_at)


@pytest.mark.anyio
async def test_async_verifier(public_pem: bytes, clock: FixedClock, sender: Sender) -> None:
    store = AsyncStore(clock)
    verifier = AsyncNotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=store, path_prefix="/hooks"
    )
    headers = sender.headers(path=VA, body=VA_BODY)
    n = await verifier.verify(method="POST", path="/hooks" + VA, headers=headers, body=VA_BODY)
    assert isinstance(n, Notification)
    assert n.service_code == "25"
    with pytest.raises(ReplayError):
        await verifier.verify(method="POST", path="/hooks" + VA, headers=headers, body=VA_BODY)
    assert store.calls == 3  # two claims (signed request, external id); the replay stops at one
    forger = Sender(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(SignatureMismatchError):
        await verifier.verify(
            method="POST", path="/hooks" + VA, headers=forger.headers(path=VA), body=VA_BODY
        )
    assert store.calls == 3  # a forged request never reaches the store


@pytest.mark.anyio
async def test_async_verifier_with_memory_store_and_failures(
    public_pem: bytes, clock: FixedClock, sender: Sender
) -> None:
    verifier = AsyncNotificationVerifier(
        public_key=public_pem, clock=clock, replay_store=MemoryOnceStore(clock=clock)
    )
    headers = sender.headers()
    await verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)
    with pytest.raises(ReplayError):
        await verifier.verify(method="POST", path=DEBIT, headers=headers, body=DEBIT_BODY)

    class Down:
        async def claim(self, key: str, *, expires_at: datetime) -> bool:
            raise ConnectionError("refused")

    broken = AsyncNotificationVerifier(public_key=public_pem, clock=clock, replay_store=Down())
    with pytest.raises(StoreUnavailableError):
        await broken.verify(method="POST", path=DEBIT, headers=sender.headers(), body=DEBIT_BODY)
    default = AsyncNotificationVerifier(public_key=public_pem, clock=clock)
    assert "AsyncMemoryOnceStore" in repr(default)


def test_sync_and_async_share_one_signature() -> None:
    sync_verify = inspect.signature(NotificationVerifier.verify)
    async_verify = inspect.signature(AsyncNotificationVerifier.verify)
    assert list(sync_verify.parameters) == list(async_verify.parameters)
    for name in sync_verify.parameters:
        a, b = sync_verify.parameters[name], async_verify.parameters[name]
        assert (a.kind, a.default, a.annotation) == (b.kind, b.default, b.annotation)
    sync_init = inspect.signature(NotificationVerifier.__init__).parameters
    async_init = inspect.signature(AsyncNotificationVerifier.__init__).parameters
    assert list(sync_init) == list(async_init)
    assert inspect.iscoroutinefunction(AsyncNotificationVerifier.verify)
    for name in ("public_key", "clock", "window", "path_prefix"):
        assert sync_init[name].default == async_init[name].default


def test_exports() -> None:
    for name in ("NotificationVerifier", "AsyncNotificationVerifier", "Notification"):
        assert name in bisnap.__all__
        assert getattr(bisnap, name) is getattr(bisnap.notifications, name)
    for name in ("NotificationReply", "reply_for_error", "success_reply"):
        assert name in bisnap.__all__


def test_conflicting_duplicate_headers_are_refused(
    verifier: NotificationVerifier, sender: Sender
) -> None:
    headers = list(sender.headers(external="12").items())
    same = [*headers, ("x-external-id", "12")]
    assert verifier.verify(method="POST", path=DEBIT, headers=same, body=DEBIT_BODY)
    # A second, different X-EXTERNAL-ID (it is not signed) must not pick the replay key.
    sneaky = [*headers, ("x-external-id", "13")]
    with pytest.raises(HeaderError, match="more than once") as info:
        verifier.verify(method="POST", path=DEBIT, headers=sneaky, body=DEBIT_BODY)
    assert info.value.header == "X-EXTERNAL-ID"
