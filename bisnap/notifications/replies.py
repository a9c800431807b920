"""What the merchant answers to a notification: exact SNAP replies, ready for any framework.

A `NotificationReply` has `status_code`, `headers` (`Content-Type`, `X-TIMESTAMP` from the
injected clock) and `body` (compact JSON bytes):

```python
try:
    with verifier.receive(method=..., path=..., headers=..., body=raw) as notification:
        ...  # record the payment
        reply = success_reply(notification, clock=clock)
except BisnapError as err:
    reply = reply_for_error(err, path=request_path, clock=clock, body=raw)
return Response(reply.body, reply.status_code, reply.headers)  # Starlette / FastAPI
return reply.body, reply.status_code, reply.headers            # Flask
```

`xx` in the codes below is the notification's service code (56 debit, 52 QRIS, 25 VA,
88 account linking; `00` for a path bisnap does not know):

```
success                   200  200xx00  Request has been processed successfully (+ VA echo)
signature / X-SIGNATURE   401  401xx00  Unauthorized. Signature
X-TIMESTAMP bad or stale  400  400xx01  Invalid Field Format X-TIMESTAMP
header missing            400  400xx02  Invalid Mandatory Field {name}
already processed         200  200xx00  (the success reply: `receive` committed it before)
duplicate (replay)        409  409xx00  Conflict           (or 200 with on_duplicate="success")
replay store unreachable  500  500xx01  Internal Server Error   (Midtrans retries)
body / path unusable      400  400xx00  Bad Request
anything else             500  500xx00  General Error
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from bisnap.catalogue import NotificationEndpoint, notification_by_path
from bisnap.clock import Clock
from bisnap.errors import (
    BodyNotJSONError,
    ConfigurationError,
    HeaderError,
    InputError,
    KeyFormatError,
    ReplayError,
    SignatureFormatError,
    SignatureMismatchError,
    StoreError,
    TimestampFormatError,
    TimestampOutOfWindowError,
)
from bisnap.headers import CONTENT_TYPE, X_SIGNATURE, X_TIMESTAMP
from bisnap.notifications.model import Notification, parse_json_object
from bisnap.responses import build_response_code, response_message
from bisnap.timestamps import format_timestamp

__all__ = [
    "SUCCESS_MESSAGE",
    "UNAUTHORIZED_MESSAGE",
    "UNKNOWN_SERVICE_CODE",
    "NotificationReply",
    "OnDuplicate",
    "bad_request_reply",
    "conflict_reply",
    "general_error_reply",
    "invalid_field_reply",
    "missing_field_reply",
    "reply_for_error",
    "store_unavailable_reply",
    "success_reply",
    "unauthorized_reply",
]

# SNAP: the merchant's success reply to a notification (midtrans-core.md §5 "Merchant
# reply"); the standard's table message for 200xx00 is "Successful" (snap-standard.md §2.1).
SUCCESS_MESSAGE: Final = "Request has been processed successfully"
# SNAP: 401xx00 "Unauthorized. [reason]" (snap-standard.md §2.1), spelled as Midtrans does
# for a bad signature (midtrans-core.md §4.2, §8).
UNAUTHORIZED_MESSAGE: Final = "Unauthorized. Signature"
#: The service code used in replies for a notification path bisnap does not know.
UNKNOWN_SERVICE_CODE: Final = "00"

OnDuplicate = Literal["conflict", "success"]

_JSON: Final = "application/json"


@dataclass(frozen=True)
class NotificationReply:
    """An HTTP answer: `status_code`, `headers`, `body` (compact JSON bytes)."""

    status_code: int
    headers: Mapping[str, str] = field(hash=False)
    body: bytes

    @property
    def response_code(self) -> str:
        """The SNAP `responseCode` in the body, e.g. `"2005600"`."""
        return str(self.json()["responseCode"])

    def json(self) -> dict[str, Any]:
        """The body, parsed."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def _reply(
    status_code: int, code: str, message: str, clock: Clock, extra: Mapping[str, Any] | None = None
) -> NotificationReply:
    # SNAP: reply headers are Content-Type and X-TIMESTAMP (midtrans-core.md §5).
    payload: dict[str, Any] = {"responseCode": code, "responseMessage": message}
    if extra:
        payload.update(extra)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = {CONTENT_TYPE: _JSON, X_TIMESTAMP: format_timestamp(clock.now())}
    return NotificationReply(status_code=status_code, headers=headers, body=body)


def _code(service_code: str | None) -> str:
    if service_code is None:
        return UNKNOWN_SERVICE_CODE
    if not (isinstance(service_code, str) and len(service_code) == 2 and service_code.isdigit()):
        raise InputError(
            f"service code {service_code!r} is not two digits", hint="E.g. '56' for debit."
        )
    return service_code


def _error(
    http_status: int,
    service_code: str | None,
    case: str,
    clock: Clock,
    detail: str | None = None,
) -> NotificationReply:
    # Codes and messages from their one home, bisnap.responses.
    code = build_response_code(http_status, _code(service_code), case).code
    return _reply(http_status, code, response_message(http_status, case, detail), clock)


def _success(
    service: NotificationEndpoint | None,
    body: Mapping[str, Any],
    clock: Clock,
    message: str,
) -> NotificationReply:
    code = (
        service.success_code
        if service is not None
        else build_response_code(200, UNKNOWN_SERVICE_CODE, "00").code
    )
    extra: dict[str, Any] | None = None
    if service is not None and service.echo_virtual_account:
        # SNAP: the VA payment reply echoes virtualAccountData{partnerServiceId, customerNo,
        # virtualAccountNo, trxId} (midtrans-core.md §5 "Merchant reply").
        keys = ("partnerServiceId", "customerNo", "virtualAccountNo", "trxId")
        extra = {"virtualAccountData": {k: body[k] for k in keys if k in body}}
    return _reply(200, code, message, clock, extra)


def success_reply(
    notification: Notification, *, clock: Clock, message: str = SUCCESS_MESSAGE
) -> NotificationReply:
    """HTTP 200 with `200xx00` for this notification's service (VA: with its echo).

    `message` may be `"Successful"` (the standard's wording) if preferred.
    """
    return _success(notification.service, notification.body, clock, message)


def unauthorized_reply(service_code: str | None, *, clock: Clock) -> NotificationReply:
    """HTTP 401 `401xx00 Unauthorized. Signature`.

    Raises:
        InputError: `service_code` is not two digits.
    """
    return _error(401, service_code, "00", clock, "Signature")


def invalid_field_reply(
    service_code: str | None, field_name: str, *, clock: Clock
) -> NotificationReply:
    """HTTP 400 `400xx01 Invalid Field Format {field_name}`.

    Raises:
        InputError: `service_code` is not two digits.
    """
    return _error(400, service_code, "01", clock, field_name)


def missing_field_reply(
    service_code: str | None, field_name: str, *, clock: Clock
) -> NotificationReply:
    """HTTP 400 `400xx02 Invalid Mandatory Field {field_name}`.

    Raises:
        InputError: `service_code` is not two digits.
    """
    return _error(400, service_code, "02", clock, field_name)


def conflict_reply(service_code: str | None, *, clock: Clock) -> NotificationReply:
    """HTTP 409 `409xx00 Conflict`: the X-EXTERNAL-ID was already used that day.

    Raises:
        InputError: `service_code` is not two digits.
    """
    return _error(409, service_code, "00", clock)


def store_unavailable_reply(service_code: str | None, *, clock: Clock) -> NotificationReply:
    """HTTP 500 `500xx01 Internal Server Error`: Midtrans will retry later.

    Raises:
        InputError: `service_code` is not two digits.
    """
    return _error(500, service_code, "01", clock)


def bad_request_reply(service_code: str | None, *, clock: Clock) -> NotificationReply:
    """HTTP 400 `400xx00 Bad Request` (a body that is not JSON, a path outside the prefix).

    Raises:
        InputError: `service_code` is not two digits.
    """
    return _error(400, service_code, "00", clock)


def general_error_reply(service_code: str | None, *, clock: Clock) -> NotificationReply:
    """HTTP 500 `500xx00 General Error` (a misconfigured verifier, an unexpected error).

    Raises:
        InputError: `service_code` is not two digits.
    """
    return _error(500, service_code, "00", clock)


def _service_of(path: object) -> NotificationEndpoint | None:
    return notification_by_path(path) if isinstance(path, str) else None


def reply_for_error(
    error: BaseException,
    *,
    path: str,
    clock: Clock,
    on_duplicate: OnDuplicate = "conflict",
    body: bytes | None = None,
) -> NotificationReply:
    """The reply for an error raised by `verify` (any exception: unknown ones give 500).

    `path` is the request path (the service code is read from its end, prefix or not).
    A duplicate already processed (`ReplayError.already_processed`, from `receive`) gets
    the service's success reply, so Midtrans stops retrying and nothing is processed
    twice (pass the raw `body` so a VA reply can echo `virtualAccountData`). Any other
    duplicate (in progress elsewhere, or accepted by `verify`) gets `409xx00 Conflict` as
    the standard says, so Midtrans retries later; with `on_duplicate="success"` it gets the
    success reply instead (for a VA only with `body`: without it, 409).
    """
    service = _service_of(path)
    code = service.service_code if service is not None else None
    if isinstance(error, ReplayError):
        if error.already_processed:
            parsed: Mapping[str, Any] = {}
            if body is not None:
                try:
                    parsed = parse_json_object(bytes(body))
                except BodyNotJSONError:
                    parsed = {}
            return _success(service, parsed, clock, SUCCESS_MESSAGE)
        if on_duplicate == "success":
            if service is None or not service.echo_virtual_account:
                return _success(service, {}, clock, SUCCESS_MESSAGE)
            if body is not None:
                try:
                    parsed = parse_json_object(bytes(body))
                except BodyNotJSONError:
                    pass
                else:
                    return _success(service, parsed, clock, SUCCESS_MESSAGE)
        return conflict_reply(code, clock=clock)
    if isinstance(error, SignatureMismatchError | SignatureFormatError):
        return unauthorized_reply(code, clock=clock)
    if isinstance(error, HeaderError):
        if error.missing:
            return missing_field_reply(code, error.header, clock=clock)
        if error.header == X_SIGNATURE:
            return unauthorized_reply(code, clock=clock)
        return invalid_field_reply(code, error.header, clock=clock)
    if isinstance(error, TimestampOutOfWindowError | TimestampFormatError):
        return invalid_field_reply(code, X_TIMESTAMP, clock=clock)
    if isinstance(error, StoreError):
        return store_unavailable_reply(code, clock=clock)
    if isinstance(error, ConfigurationError | KeyFormatError):
        return general_error_reply(code, clock=clock)
    if isinstance(error, InputError):
        return bad_request_reply(code, clock=clock)
    return general_error_reply(code, clock=clock)
