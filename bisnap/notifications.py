"""Verify the notifications Midtrans sends to a merchant, then read them.

`NotificationVerifier.verify` checks, in this order, and raises at the first failure:

```
1. required headers      X-TIMESTAMP, X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID    HeaderError
2. X-TIMESTAMP parses    +07:00, .SSS+07:00, Z, .SSSZ                            HeaderError
3. inside the window     both directions ("too old" / "too new")   TimestampOutOfWindowError
4. signature             SHA256withRSA over the raw body, minified   SignatureMismatchError
5. replay                partner id + external id, once per Jakarta day        ReplayError
6. JSON                  parsed once, numbers never become floats         BodyNotJSONError
```

The replay claim happens only after the signature is good, so a forged request cannot
burn an external id. `AsyncNotificationVerifier` runs the same pure steps; only the claim
is awaited.

```python
verifier = NotificationVerifier(
    public_key=midtrans_public_pem, clock=SystemClock(),
    replay_store=RedisOnceStore.from_url("redis://localhost:6379/0"),
    path_prefix="/hooks/midtrans",
)
notification = verifier.verify(
    method="POST", path="/hooks/midtrans/v1.0/debit/notify",
    headers=request_headers, body=raw_body_bytes,
)
```
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Final, NamedTuple

from bisnap.catalogue import NotificationEndpoint, notification_by_path
from bisnap.clock import Clock
from bisnap.errors import (
    BisnapError,
    BodyNotJSONError,
    ConfigurationError,
    HeaderError,
    InputError,
    ReplayError,
    SignatureFormatError,
    SignatureMismatchError,
    StoreUnavailableError,
    TimestampFormatError,
    TimestampOutOfWindowError,
)
from bisnap.headers import X_EXTERNAL_ID, X_PARTNER_ID, X_SIGNATURE, X_TIMESTAMP
from bisnap.keys import PublicKeyInput, load_public_key
from bisnap.responses import TRANSACTION_STATUSES
from bisnap.signing import SignatureTrace, verify_service_asymmetric
from bisnap.stores.base import AsyncOnceStore, MemoryOnceStore, OnceStore, end_of_jakarta_day
from bisnap.timestamps import parse_timestamp

__all__ = [
    "DEFAULT_WINDOW",
    "REQUIRED_HEADERS",
    "TRANSACTION_STATUSES",
    "Amount",
    "AsyncNotificationVerifier",
    "Notification",
    "NotificationVerifier",
    "TransactionStatus",
]

# SNAP: notification headers (midtrans-core.md §5 "Headers"; snap-standard.md §1.3).
REQUIRED_HEADERS: Final = (X_TIMESTAMP, X_SIGNATURE, X_PARTNER_ID, X_EXTERNAL_ID)

#: The default X-TIMESTAMP window, in both directions.
DEFAULT_WINDOW: Final = timedelta(minutes=5)


_ONE_DAY: Final = timedelta(days=1)
_ONE_SECOND: Final = timedelta(seconds=1)
_MISSING = "missing header"
_MALFORMED = "malformed header"
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


@dataclass(frozen=True, eq=False)
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


# --- the pure steps ------------------------------------------------------------------------


class _Checked(NamedTuple):
    """What steps 1-4 established: everything but the replay claim and the JSON."""

    path: str
    partner_id: str
    external_id: str
    timestamp: datetime
    timestamp_text: str
    trace: SignatureTrace
    body: bytes
    replay_key: str
    expires_at: datetime
    day: str


_CONFLICT: Final = "\x00conflict"


def _lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    try:
        for name, value in items:
            if isinstance(name, bytes):
                name = name.decode("latin-1")
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if isinstance(name, str) and isinstance(value, str):
                lowered = name.lower()
                seen = out.setdefault(lowered, value)
                if seen != value:
                    # Two different values for one name: which one was meant is unknowable.
                    out[lowered] = _CONFLICT
    except (TypeError, ValueError) as err:
        raise InputError(
            "headers are not a mapping or a list of (name, value) pairs",
            hint="Pass request.headers as the framework gives it (or a dict).",
        ) from err
    return out


def _required(lowered: Mapping[str, str], name: str) -> str:
    value = lowered.get(name.lower())
    if value == _CONFLICT:
        raise HeaderError(
            f"{_MALFORMED} {name}: sent more than once with different values",
            header=name,
            hint=f"Send {name} once; a proxy may be adding a second copy.",
        )
    if value is None or not value.strip():
        raise HeaderError(
            f"{_MISSING} {name}",
            header=name,
            hint=f"Midtrans sends {name} on every notification; was it stripped by a proxy?",
        )
    return value


def _raw_body(body: object) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray | memoryview):
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


# Parsed once; a number with a fraction keeps its text ("10000.00"), never a float.
_DECODER: Final = json.JSONDecoder(parse_float=str)


def _parse_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise BodyNotJSONError("invalid UTF-8", offset=err.start) from err
    try:
        parsed = _DECODER.decode(text)
    except json.JSONDecodeError as err:
        offset = len(text[: err.pos].encode("utf-8"))
        raise BodyNotJSONError(err.msg.lower(), offset=offset) from err
    except ValueError as err:  # NaN / Infinity constants are not JSON
        raise BodyNotJSONError(f"{err}", offset=0) from err
    except RecursionError as err:
        raise BodyNotJSONError("nested too deeply", offset=0) from err
    if not isinstance(parsed, dict):
        raise BodyNotJSONError(
            f"a notification is a JSON object, not a {type(parsed).__name__}", offset=0
        )
    return parsed


def _build(checked: _Checked) -> Notification:
    return Notification(
        path=checked.path,
        service=notification_by_path(checked.path),
        partner_id=checked.partner_id,
        external_id=checked.external_id,
        timestamp=checked.timestamp,
        timestamp_text=checked.timestamp_text,
        trace=checked.trace,
        raw_body=checked.body,
        body=_parse_object(checked.body),
    )


def _check_window(window: object) -> timedelta | None:
    # SNAP-agnostic rule (STYLE §8): turning the window off takes an explicit None; a falsy
    # 0 is not None, and timedelta(0) means zero tolerance.
    if window is None:
        return None
    if not isinstance(window, timedelta):
        raise ConfigurationError(
            f"window must be a timedelta or None, not {type(window).__name__}",
            hint="Pass e.g. timedelta(minutes=5); None (explicitly) turns the check off.",
        )
    if window < timedelta(0):
        raise ConfigurationError("window must not be negative", hint="Pass timedelta(0) or more.")
    return window


def _check_prefix(prefix: object) -> str | None:
    if prefix is None:
        return None
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise ConfigurationError(
            "path_prefix must be a path starting with '/'",
            hint="Pass the path part of the URL you registered with Midtrans, e.g. "
            "'/hooks/midtrans' for https://shop.example/hooks/midtrans.",
        )
    stripped = prefix.rstrip("/")
    return stripped or None


def _shown(path: str) -> str:
    return path if len(path) <= 80 else path[:80] + "…"


class _VerifierCore:
    """The configuration and the pure steps both verifiers share."""

    def __init__(
        self,
        *,
        public_key: PublicKeyInput,
        clock: Clock,
        window: timedelta | None,
        path_prefix: str | None,
        namespace: str,
    ) -> None:
        self._public_key = load_public_key(public_key)
        if not callable(getattr(clock, "now", None)):
            raise ConfigurationError(
                "clock has no now()", hint="Pass bisnap.SystemClock() (or a FixedClock in tests)."
            )
        self._clock = clock
        self._window = _check_window(window)
        self._prefix = _check_prefix(path_prefix)
        self._namespace = namespace

    @property
    def clock(self) -> Clock:
        """The clock the window and the replay day are read from."""
        return self._clock

    @property
    def window(self) -> timedelta | None:
        """The accepted X-TIMESTAMP skew in each direction (None: not checked)."""
        return self._window

    @property
    def path_prefix(self) -> str | None:
        """The prefix stripped from the request path to get the signed path."""
        return self._prefix

    def signed_path(self, path: str) -> str:
        """The path Midtrans signed: the request path with `path_prefix` removed.

        Raises:
            InputError: the request path does not start with `path_prefix`.
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise InputError(
                "the request path must be a str starting with '/'",
                hint="Pass the request's path, e.g. request.url.path (FastAPI) or "
                "request.path (Flask).",
            )
        prefix = self._prefix
        if prefix is None:
            return path
        rest = path[len(prefix) :]
        if not path.startswith(prefix) or not rest.startswith("/"):
            raise InputError(
                f"request path {_shown(path)!r} does not start with path_prefix {prefix!r}",
                hint="Mount the notification handler under the prefix you registered with "
                "Midtrans, or correct path_prefix.",
            )
        return rest

    def replay_key(self, partner_id: str, external_id: str, day: str) -> str:
        """The once-store key of a notification: partner id + external id + Jakarta day."""
        return f"{self._namespace}:{day}:{len(partner_id)}:{partner_id}:{external_id}"

    def _check(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: object,
    ) -> _Checked:
        raw = _raw_body(body)
        signed_path = self.signed_path(path)
        lowered = _lower_headers(headers)
        timestamp_text = _required(lowered, X_TIMESTAMP)
        signature = _required(lowered, X_SIGNATURE)
        partner_id = _required(lowered, X_PARTNER_ID)
        external_id = _required(lowered, X_EXTERNAL_ID)

        try:
            timestamp = parse_timestamp(timestamp_text)
        except TimestampFormatError as err:
            raise HeaderError(
                f"{_MALFORMED} {X_TIMESTAMP}: {err}", header=X_TIMESTAMP, hint=err.hint
            ) from err

        now = self._clock.now()
        window = self._window
        if window is not None:
            skew = now - timestamp
            if skew > window:
                raise TimestampOutOfWindowError(direction="too old", skew=skew, window=window)
            if -skew > window:
                raise TimestampOutOfWindowError(direction="too new", skew=skew, window=window)

        # SNAP: notification signature = SHA256withRSA over
        # POST:EndpointUrl:lowerhex(sha256(minify(body))):X-TIMESTAMP, EndpointUrl being the
        # path after the merchant's prefix (midtrans-core.md §5 "Signature", "EndpointUrl").
        try:
            trace = verify_service_asymmetric(
                method=method,
                path=signed_path,
                body=raw,
                timestamp=timestamp_text,
                public_key=self._public_key,
                signature=signature,
                check_json=False,
            )
        except SignatureFormatError as err:
            raise HeaderError(
                f"{_MALFORMED} {X_SIGNATURE}: {err}", header=X_SIGNATURE, hint=err.hint
            ) from err
        except SignatureMismatchError as err:
            raise self._mismatch(err, signed_path) from None

        # SNAP: X-EXTERNAL-ID is unique per partner per day (snap-standard.md §1.3;
        # midtrans-core.md §5 "Replay / timestamp"). The key lives to the end of the
        # timestamp's Jakarta day, and at least until the window would reject the request,
        # so a copy replayed just after midnight is still caught.
        end_of_day = end_of_jakarta_day(timestamp)
        day = (end_of_day - _ONE_DAY).date().isoformat()  # == jakarta_day(timestamp)
        if window is not None:
            expires_at = max(end_of_day, timestamp + window + _ONE_SECOND)
        else:
            expires_at = max(end_of_day, end_of_jakarta_day(now))
        return _Checked(
            signed_path,
            partner_id,
            external_id,
            timestamp,
            timestamp_text,
            trace,
            raw,
            self.replay_key(partner_id, external_id, day),
            expires_at,
            day,
        )

    def _mismatch(self, err: SignatureMismatchError, signed_path: str) -> SignatureMismatchError:
        known = notification_by_path(signed_path)
        if known is not None and signed_path != known.path:
            hint = (
                f"Midtrans signs the path after the prefix you registered ({known.path!r}), "
                f"not {_shown(signed_path)!r}: pass path_prefix="
                f"{signed_path[: -len(known.path)]!r} to the verifier."
            )
        else:
            hint = (
                "Check that this is Midtrans's public key for this environment (sandbox or "
                "production), that the body passed is the raw request body, and that "
                "path_prefix strips exactly the prefix you registered."
            )
        return SignatureMismatchError(
            "notification signature does not match", stage=err.stage, trace=err.trace, hint=hint
        )

    def _replayed(self, checked: _Checked) -> ReplayError:
        return ReplayError(
            f"notification already received: {X_PARTNER_ID} {checked.partner_id!r}, "
            f"{X_EXTERNAL_ID} {checked.external_id!r} on {checked.day}"
        )

    def _repr_fields(self) -> str:
        return f"window={self._window!r}, path_prefix={self._prefix!r}"


def _store_failure(err: Exception) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"the replay store failed ({type(err).__name__}); the notification was not accepted"
    )


class NotificationVerifier(_VerifierCore):
    """Verify Midtrans notifications (sync): headers, window, signature, replay, JSON.

    `public_key` is Midtrans's public key (PEM, DER, base64 or a key object); `clock` is
    injected; `window` is the accepted X-TIMESTAMP skew each way (`None`, explicitly, turns
    it off; `timedelta(0)` means zero tolerance); `replay_store` is a `OnceStore` shared by
    every worker (default: a `MemoryOnceStore` on `clock`, which protects one process
    only); `path_prefix` is the prefix of the URL registered with Midtrans.

    Raises:
        ConfigurationError: a window that is not a timedelta/None, a bad prefix, or an
            async replay store.
        KeyFormatError: the public key cannot be loaded.
    """

    def __init__(
        self,
        *,
        public_key: PublicKeyInput,
        clock: Clock,
        window: timedelta | None = DEFAULT_WINDOW,
        replay_store: OnceStore | None = None,
        path_prefix: str | None = None,
        namespace: str = "bisnap:notify",
    ) -> None:
        super().__init__(
            public_key=public_key,
            clock=clock,
            window=window,
            path_prefix=path_prefix,
            namespace=namespace,
        )
        store: OnceStore = (
            replay_store if replay_store is not None else MemoryOnceStore(clock=clock)
        )
        if inspect.iscoroutinefunction(getattr(store, "claim", None)):
            raise ConfigurationError(
                "NotificationVerifier needs a sync replay store; this one is async",
                hint="Use AsyncNotificationVerifier with an async store (AsyncRedisOnceStore).",
            )
        self._store = store

    def verify(
        self,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
    ) -> Notification:
        """Verify one notification and return it parsed.

        `path` is the request path (with the prefix; it is stripped here), `headers` the
        request headers (any case), `body` the raw request body bytes.

        Raises:
            HeaderError: a required header is missing or malformed (`.header` names it).
            TimestampOutOfWindowError: X-TIMESTAMP is too old or too new.
            SignatureMismatchError: the signature is not Midtrans's over this body and path.
            ReplayError: this partner id + external id was already accepted that day.
            StoreUnavailableError: the replay store could not be reached (answer 5xx).
            BodyNotJSONError: the verified body is not a JSON object.
            InputError: `body` is not bytes, or the path is outside `path_prefix`.
        """
        checked = self._check(method, path, headers, body)
        try:
            fresh = self._store.claim(checked.replay_key, expires_at=checked.expires_at)
        except BisnapError:
            raise
        except Exception as err:
            raise _store_failure(err) from err
        if not fresh:
            raise self._replayed(checked)
        return _build(checked)

    def __repr__(self) -> str:
        return f"NotificationVerifier({self._repr_fields()}, replay_store={self._store!r})"


class AsyncNotificationVerifier(_VerifierCore):
    """`NotificationVerifier` for async code: the same steps, the replay claim awaited.

    `replay_store` is an `AsyncOnceStore` (e.g. `AsyncRedisOnceStore`); a `MemoryOnceStore`
    is accepted too (default, one process only).

    Raises:
        ConfigurationError: as `NotificationVerifier`.
        KeyFormatError: the public key cannot be loaded.
    """

    def __init__(
        self,
        *,
        public_key: PublicKeyInput,
        clock: Clock,
        window: timedelta | None = DEFAULT_WINDOW,
        replay_store: AsyncOnceStore | MemoryOnceStore | None = None,
        path_prefix: str | None = None,
        namespace: str = "bisnap:notify",
    ) -> None:
        super().__init__(
            public_key=public_key,
            clock=clock,
            window=window,
            path_prefix=path_prefix,
            namespace=namespace,
        )
        if replay_store is None:
            replay_store = MemoryOnceStore(clock=clock)
        if isinstance(replay_store, MemoryOnceStore):
            store: AsyncOnceStore = replay_store.as_async()
        elif inspect.iscoroutinefunction(getattr(replay_store, "claim", None)):
            store = replay_store
        else:
            raise ConfigurationError(
                "AsyncNotificationVerifier needs an async replay store (async def claim)",
                hint="Use AsyncRedisOnceStore, or NotificationVerifier with a sync store.",
            )
        self._store = store

    async def verify(
        self,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
    ) -> Notification:
        """Verify one notification and return it parsed (see `NotificationVerifier.verify`).

        Raises:
            HeaderError, TimestampOutOfWindowError, SignatureMismatchError, ReplayError,
            StoreUnavailableError, BodyNotJSONError, InputError: as the sync verifier.
        """
        checked = self._check(method, path, headers, body)
        try:
            fresh = await self._store.claim(checked.replay_key, expires_at=checked.expires_at)
        except BisnapError:
            raise
        except Exception as err:
            raise _store_failure(err) from err
        if not fresh:
            raise self._replayed(checked)
        return _build(checked)

    def __repr__(self) -> str:
        return f"AsyncNotificationVerifier({self._repr_fields()}, replay_store={self._store!r})"


def _is_missing_header(error: HeaderError) -> bool:
    """True when a `HeaderError` from `verify` is about an absent header (not a bad value)."""
    return error.message.startswith(_MISSING)
