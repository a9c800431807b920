"""A verified notification, as read: `Notification`, its amounts and status codes.

Also the two input rules every notification reader shares (the SNAP verifier and the
legacy signatures): the body is the raw request bytes (`require_raw_body`), parsed once
into a JSON object whose numbers never become floats (`parse_json_object`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, NoReturn

import msgspec

from bisnap.catalogue import NotificationEndpoint
from bisnap.errors import BodyNotJSONError, InputError
from bisnap.responses import TRANSACTION_STATUSES
from bisnap.signing import Encoding, SignatureTrace

__all__ = [
    "TRANSACTION_STATUSES",
    "Amount",
    "Notification",
    "TransactionStatus",
    "parse_json_object",
    "require_raw_body",
]

_NOT_BYTES_HINT = (
    "Pass the raw request body bytes, not the parsed JSON: `await request.body()` in "
    "FastAPI/Starlette, `request.get_data()` in Flask. The signature is over those bytes."
)


class TransactionStatus(str):
    """A `latestTransactionStatus` code exactly as received (a `str`), with its name.

    `status == "00"` works; `status.label` is `"Success"` (None for a code bisnap does
    not know yet).
    """

    __slots__ = ()

    @property
    def label(self) -> str | None:
        """The status name (`"Success"`, `"Pending"`, ...), or None for an unknown code."""
        return TRANSACTION_STATUSES.get(str(self))

    def __repr__(self) -> str:
        return f"TransactionStatus({str(self)!r}, label={self.label!r})"


@dataclass(frozen=True)
class Amount:
    """A SNAP money value: `value` and `currency` exactly as received (never a float)."""

    value: str
    currency: str | None


@dataclass(frozen=True, eq=False, init=False)
class Notification:
    """A verified notification: who sent it, when, about what, and the body as parsed.

    `service` is the catalogue entry for the path (None for a path bisnap does not know:
    it still verifies). `body` is the whole parsed JSON object, for fields Midtrans adds
    later; JSON numbers with a fraction or exponent are kept as their text (`str`). The
    named fields below are read from `body` on first access (None when absent or not a
    string); codes and references keep their exact spelling (leading spaces included).
    """

    path: str
    service: NotificationEndpoint | None
    partner_id: str
    external_id: str
    timestamp: datetime
    timestamp_text: str
    trace: SignatureTrace
    raw_body: bytes = field(repr=False)
    body: Mapping[str, Any] = field(repr=False)

    def __init__(
        self,
        path: str,
        service: NotificationEndpoint | None,
        partner_id: str,
        external_id: str,
        timestamp: datetime,
        timestamp_text: str,
        trace: SignatureTrace,
        raw_body: bytes,
        body: Mapping[str, Any],
    ) -> None:
        # Frozen: no setter afterwards. Filled in one step (one per verified notification,
        # on the hot path): the generated frozen __init__ costs a setattr call per field.
        self.__dict__.update(
            path=path,
            service=service,
            partner_id=partner_id,
            external_id=external_id,
            timestamp=timestamp,
            timestamp_text=timestamp_text,
            trace=trace,
            raw_body=raw_body,
            body=body,
        )

    if not TYPE_CHECKING:  # hidden from type checkers: `trace` stays a typed field

        def __getattr__(self, name: str) -> Any:
            # A verifier stores the trace's stages; the SignatureTrace is built on first read.
            if name == "trace":
                stages = self.__dict__.get("_stages")
                if stages is not None:
                    trace = trace_from_stages(stages)
                    self.__dict__["trace"] = trace
                    return trace
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        if "trace" not in state:
            state["trace"] = trace_from_stages(state["_stages"])
        state.pop("_stages", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def service_code(self) -> str | None:
        """The two-digit SNAP service code (`"56"`, `"52"`, `"25"`, `"88"`), or None."""
        return self.service.service_code if self.service is not None else None

    @cached_property
    def latest_transaction_status(self) -> TransactionStatus | None:
        """`latestTransactionStatus` (a `str` with `.label`), or None."""
        status = _text(self.body.get("latestTransactionStatus"))
        return TransactionStatus(status) if status is not None else None

    @property
    def latest_transaction_status_name(self) -> str | None:
        """The name of `latest_transaction_status` (`"Success"`, ...), or None."""
        status = self.latest_transaction_status
        return status.label if status is not None else None

    @cached_property
    def transaction_status_desc(self) -> str | None:
        """`transactionStatusDesc`, or None."""
        return _text(self.body.get("transactionStatusDesc"))

    @cached_property
    def amount(self) -> Amount | None:
        """`amount` (debit, QRIS) or else `paidAmount` (VA), as strings; or None."""
        return _amount(self.body.get("amount")) or self.paid_amount

    @cached_property
    def original_reference_no(self) -> str | None:
        """`originalReferenceNo`: Midtrans's transaction id."""
        return _text(self.body.get("originalReferenceNo"))

    @cached_property
    def original_partner_reference_no(self) -> str | None:
        """`originalPartnerReferenceNo`: your order id."""
        return _text(self.body.get("originalPartnerReferenceNo"))

    @cached_property
    def original_external_id(self) -> str | None:
        """`originalExternalId`: the X-EXTERNAL-ID of the original request."""
        return _text(self.body.get("originalExternalId"))

    @cached_property
    def reference_no(self) -> str | None:
        """`referenceNo` (VA payment)."""
        return _text(self.body.get("referenceNo"))

    @cached_property
    def partner_service_id(self) -> str | None:
        """`partnerServiceId` (VA), exactly as received (left-padded with spaces)."""
        return _text(self.body.get("partnerServiceId"))

    @cached_property
    def customer_no(self) -> str | None:
        """`customerNo` (VA)."""
        return _text(self.body.get("customerNo"))

    @cached_property
    def virtual_account_no(self) -> str | None:
        """`virtualAccountNo` (VA)."""
        return _text(self.body.get("virtualAccountNo"))

    @cached_property
    def trx_id(self) -> str | None:
        """`trxId` (VA)."""
        return _text(self.body.get("trxId"))

    @cached_property
    def payment_request_id(self) -> str | None:
        """`paymentRequestId` (VA)."""
        return _text(self.body.get("paymentRequestId"))

    @cached_property
    def paid_amount(self) -> Amount | None:
        """`paidAmount` (VA), as strings; or None."""
        return _amount(self.body.get("paidAmount"))

    @cached_property
    def payment_flag_status(self) -> str | None:
        """`paymentFlagStatus` (VA), top level or under `additionalInfo`; or None."""
        flag = _text(self.body.get("paymentFlagStatus"))
        if flag is None:
            info = self.body.get("additionalInfo")
            if type(info) is dict:
                flag = _text(info.get("paymentFlagStatus"))
        return flag

    @property
    def virtual_account_data(self) -> dict[str, Any]:
        """`partnerServiceId`, `customerNo`, `virtualAccountNo`, `trxId` as received."""
        keys = ("partnerServiceId", "customerNo", "virtualAccountNo", "trxId")
        return {key: self.body[key] for key in keys if key in self.body}

    def __repr__(self) -> str:
        code = self.service_code
        return (
            f"Notification(path={self.path!r}, service_code={code!r}, "
            f"partner_id={self.partner_id!r}, external_id={self.external_id!r}, "
            f"timestamp={self.timestamp_text!r}, "
            f"latest_transaction_status={self.latest_transaction_status!r}, "
            f"amount={self.amount!r}, original_reference_no={self.original_reference_no!r})"
        )


#: A verified notification signature's stages: string to sign, signature (as sent),
#: encoding, minified body, body SHA-256, method, path, X-TIMESTAMP.
TraceStages = tuple[str, str, Encoding, bytes, str, str, str, str]


def trace_from_stages(stages: TraceStages) -> SignatureTrace:
    """The `SignatureTrace` of a notification signature from its stages."""
    string_to_sign, signature, encoding, minified, digest, method, path, timestamp = stages
    return SignatureTrace(
        kind="service_asymmetric",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        minified_body=minified,
        body_sha256=digest,
        method=method,
        path=path,
        timestamp=timestamp,
        key_fingerprint=None,
    )


def verified_notification(
    path: str,
    service: NotificationEndpoint | None,
    partner_id: str,
    external_id: str,
    timestamp: datetime,
    timestamp_text: str,
    stages: TraceStages,
    raw_body: bytes,
    body: Mapping[str, Any],
) -> Notification:
    """A `Notification` whose `trace` is built from `stages` when first read (the hot path:
    one per verified notification, and most handlers never read the trace)."""
    notification = _new(Notification)
    _set(
        notification,
        "__dict__",
        {
            "path": path,
            "service": service,
            "partner_id": partner_id,
            "external_id": external_id,
            "timestamp": timestamp,
            "timestamp_text": timestamp_text,
            "raw_body": raw_body,
            "body": body,
            "_stages": stages,
        },
    )
    return notification


_new = object.__new__
_set = object.__setattr__


def require_raw_body(body: object) -> bytes:
    """`body` as bytes when it is the raw request body (bytes, bytearray, memoryview).

    Raises:
        InputError: `body` is a str, a dict or anything else (the parsed JSON, not the bytes).
    """
    if type(body) is bytes:
        return body
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise InputError(
        f"body is a {type(body).__name__}: pass the raw request body bytes, not the parsed JSON",
        hint=_NOT_BYTES_HINT,
    )


def _text(value: object) -> str | None:
    # Identifiers and codes are JSON strings; a bare integer keeps its spelling via str().
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is int:
        return str(value)
    return None


def _amount(value: object) -> Amount | None:
    if type(value) is not dict:
        return None
    text = _text(value.get("value"))
    if text is None:
        return None
    return Amount(value=text, currency=_text(value.get("currency")))


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


# Parsed once; a number with a fraction or an exponent keeps its text ("10000.00"), never
# a float. msgspec parses in C; the stdlib decoder, configured alike, is the reference: it
# names the problem and its offset, and decides the few inputs msgspec refuses (a lone
# surrogate escape such as "\ud800", nesting deeper than msgspec's limit).
_FAST: Final = msgspec.json.Decoder(float_hook=str)
_DECODER: Final = json.JSONDecoder(parse_float=str, parse_constant=_reject_constant)


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """Parse a notification body: a JSON object, numbers with a fraction kept as `str`.

    Raises:
        BodyNotJSONError: not UTF-8, not JSON, or not an object (`.offset` says where).
    """
    try:
        parsed = _FAST.decode(raw)  # checks UTF-8 inside strings too
    except (msgspec.DecodeError, RecursionError):
        parsed = _parse_slow(raw)
    if type(parsed) is not dict:
        raise BodyNotJSONError(
            f"a notification is a JSON object, not a {type(parsed).__name__}", offset=0
        )
    return parsed


def _parse_slow(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BodyNotJSONError("invalid UTF-8", offset=err.start) from err
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as err:
        offset = len(text[: err.pos].encode("utf-8", "surrogatepass"))
        raise BodyNotJSONError(err.msg.lower(), offset=offset) from err
    except ValueError as err:  # NaN / Infinity constants are not JSON
        raise BodyNotJSONError(f"{err}", offset=0) from err
    except RecursionError as err:
        raise BodyNotJSONError("nested too deeply", offset=0) from err
