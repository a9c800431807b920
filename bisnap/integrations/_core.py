"""The framework-free part of every integration: verify → handle → commit → reply.

```
request                                 what happens                      reply
SNAP (X-SIGNATURE)                      verifier.receive(...) → handler   success_reply (200xx00)
  bad headers / signature / replay …    reply_for_error                   400xx0n / 401xx00 / 409 …
  handler raises                        claim released, error logged      500xx00 (provider retries)
legacy Core API (body signature_key)    verify_core_notification          200 (legacy_success_reply)
  when server_key= is given
Payouts (Iris-Signature header)         verify_payout_notification        200 (legacy_success_reply)
  when iris_merchant_key= is given
```

A framework shell reads the request (method, path, headers, the RAW body), calls
`NotificationReceiver.handle` (or `await AsyncNotificationReceiver.handle`) with the
handler, and turns the `NotificationReply` into its own response type.

The handler gets a `Notification` (SNAP) or a `LegacyNotification` (only when legacy keys
are configured). It may return a `NotificationReply` to answer something else; any other
return value (None) means "processed": the replay claim is committed and the success
reply is sent. Legacy notifications carry no external id: make their processing
idempotent on `order_id` + `transaction_status` (Midtrans sends one per status change and
retries them).
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Final, Generic, Literal, NoReturn, TypeVar, overload

from bisnap.clock import Clock
from bisnap.errors import BisnapError, ConfigurationError, NotPicklableError
from bisnap.headers import CONTENT_TYPE, X_SIGNATURE, X_TIMESTAMP
from bisnap.http._flow import Flow, adrive, drive
from bisnap.legacy import IRIS_SIGNATURE, verify_core_notification, verify_payout_notification
from bisnap.notifications import AsyncNotificationVerifier, Notification, NotificationVerifier
from bisnap.replies import (
    NotificationReply,
    OnDuplicate,
    general_error_reply,
    reply_for_error,
    success_reply,
)
from bisnap.secrets import Secret
from bisnap.timestamps import format_timestamp

__all__ = [
    "AsyncNotificationReceiver",
    "LegacyKind",
    "LegacyNotification",
    "NotificationReceiver",
    "Received",
    "legacy_success_reply",
]

logger = logging.getLogger("bisnap.integrations")

LegacyKind = Literal["core", "pay_account", "payout"]
HeaderPairs = list[tuple[str, str]]
Headers = Mapping[str, str] | Iterable[tuple[str, str]]

_SIGNATURE_KEY: Final = b'"signature_key"'


class _BodyText:
    """A `LegacyNotification` property: one body field as text (None when absent)."""

    def __init__(self, name: str, doc: str) -> None:
        self._name = name
        self.__doc__ = f"`{name}` {doc}"

    @overload
    def __get__(self, instance: None, owner: type) -> _BodyText: ...
    @overload
    def __get__(self, instance: LegacyNotification, owner: type) -> str | None: ...
    def __get__(self, instance: LegacyNotification | None, owner: type) -> _BodyText | str | None:
        if instance is None:
            return self
        return instance._text(self._name)


@dataclass(frozen=True, eq=False)
class LegacyNotification:
    """A verified legacy (non-SNAP) notification: Core API, Pay Account or Payouts (Iris).

    `kind` says which; `body` is the parsed JSON (numbers with a fraction kept as text),
    `raw_body` the bytes received. The named properties read `body` (None when absent).
    """

    kind: LegacyKind
    raw_body: bytes = field(repr=False)
    body: Mapping[str, Any] = field(repr=False)

    def _text(self, name: str) -> str | None:
        value = self.body.get(name)
        if isinstance(value, str):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return None

    order_id = _BodyText("order_id", "(Core API): your order id.")
    transaction_id = _BodyText(
        "transaction_id", "(Core API): Midtrans's id (`referenceNo` on BI-SNAP)."
    )
    transaction_status = _BodyText(
        "transaction_status", "(Core API): `settlement`, `pending`, `expire`, ..."
    )
    status_code = _BodyText("status_code", '(Core API, Pay Account): `"200"`, `"201"`, ...')
    gross_amount = _BodyText("gross_amount", '(Core API) exactly as received, e.g. `"100000.00"`.')
    fraud_status = _BodyText("fraud_status", "(Core API, cards): `accept`, `challenge`, `deny`.")
    reference_no = _BodyText("reference_no", "(Payouts).")
    status = _BodyText("status", "(Payouts): `queued`, `processed`, `completed`, `failed`, ...")

    def __repr__(self) -> str:
        ref = self.order_id or self.reference_no or self._text("account_id")
        state = self.transaction_status or self.status or self._text("account_status")
        return f"LegacyNotification(kind={self.kind!r}, id={ref!r}, status={state!r})"


Received = Notification | LegacyNotification
_V = TypeVar("_V", NotificationVerifier, AsyncNotificationVerifier)
SyncHandler = Callable[[Received], object]
AsyncHandler = Callable[[Received], Awaitable[object] | object]


def legacy_success_reply(*, clock: Clock) -> NotificationReply:
    """HTTP 200 for a legacy Core API / Payouts notification (any 2xx stops the retries)."""
    body = json.dumps({"status_code": "200", "status_message": "OK"}, separators=(",", ":"))
    headers = {CONTENT_TYPE: "application/json", X_TIMESTAMP: format_timestamp(clock.now())}
    return NotificationReply(status_code=200, headers=headers, body=body.encode("ascii"))


def _pairs(headers: Headers) -> HeaderPairs:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return [(str(name), str(value)) for name, value in items]


def _has(pairs: HeaderPairs, name: str) -> bool:
    wanted = name.lower()
    return any(key.lower() == wanted for key, _ in pairs)


def _key(value: object, name: str) -> Secret | None:
    if value is None:
        return None
    if isinstance(value, Secret | str) and (value.reveal() if isinstance(value, Secret) else value):
        return Secret(value)
    raise ConfigurationError(
        f"{name} must be a non-empty str or Secret (or None to turn it off)",
        hint=f"Pass the {name.replace('_', ' ')} from the Midtrans Dashboard, e.g. "
        f"Secret(os.environ[...]).",
    )


def _check_verifier(verifier: object, wanted: type, receiver: str) -> None:
    if not isinstance(verifier, wanted):
        other = {"NotificationReceiver": "AsyncNotificationReceiver"}.get(
            receiver, "NotificationReceiver"
        )
        raise ConfigurationError(
            f"{receiver} was given a {type(verifier).__name__}; it needs {wanted.__name__}",
            hint=f"Use {other} for the other kind of verifier.",
        )


class _ReceiverCore(Generic[_V]):
    """Configuration and the pure steps both receivers share."""

    _wanted: type

    def __reduce__(self) -> NoReturn:
        # It holds the legacy server key / Iris merchant key: never written to a pickle.
        raise NotPicklableError(
            f"a {type(self).__name__} cannot be pickled: it holds notification keys",
            hint="Build the receiver in each process (e.g. at app start-up).",
        )

    def __init__(
        self,
        verifier: _V,
        *,
        on_duplicate: OnDuplicate = "conflict",
        server_key: str | Secret | None = None,
        iris_merchant_key: str | Secret | None = None,
    ) -> None:
        _check_verifier(verifier, self._wanted, type(self).__name__)
        if on_duplicate not in ("conflict", "success"):
            raise ConfigurationError(
                f"on_duplicate must be 'conflict' or 'success', not {on_duplicate!r}",
                hint="Keep the default 'conflict'.",
            )
        self._verifier: _V = verifier
        self._clock: Clock = verifier.clock
        self._on_duplicate: OnDuplicate = on_duplicate
        self._server_key = _key(server_key, "server_key")
        self._iris_key = _key(iris_merchant_key, "iris_merchant_key")

    @property
    def verifier(self) -> _V:
        """The SNAP notification verifier."""
        return self._verifier

    @property
    def clock(self) -> Clock:
        """The clock reply timestamps are read from (the verifier's)."""
        return self._clock

    def _legacy_kind(self, pairs: HeaderPairs, body: bytes) -> LegacyKind | None:
        """Which legacy notification this is, or None for SNAP (the default)."""
        if _has(pairs, X_SIGNATURE):
            return None
        if self._iris_key is not None and _has(pairs, IRIS_SIGNATURE):
            return "payout"
        if self._server_key is not None and isinstance(body, bytes) and _SIGNATURE_KEY in body:
            return "core"
        return None

    def _legacy(self, kind: LegacyKind, pairs: HeaderPairs, body: bytes) -> LegacyNotification:
        if kind == "payout" and self._iris_key is not None:
            parsed = verify_payout_notification(body, headers=pairs, merchant_key=self._iris_key)
            return LegacyNotification("payout", body, parsed)
        if self._server_key is None:  # pragma: no cover - _legacy_kind checked it
            raise AssertionError("no server key")
        parsed = verify_core_notification(body, server_key=self._server_key)
        found: LegacyKind = "pay_account" if "order_id" not in parsed else "core"
        return LegacyNotification(found, body, parsed)

    def _refused(self, err: BaseException, path: str, body: bytes) -> NotificationReply:
        if not isinstance(err, BisnapError):
            logger.error("bisnap: notification verification failed unexpectedly", exc_info=err)
        return reply_for_error(
            err,
            path=path,
            clock=self._clock,
            on_duplicate=self._on_duplicate,
            body=body if isinstance(body, bytes) else None,
        )

    def _done(self, received: Received, result: object) -> NotificationReply:
        if isinstance(result, NotificationReply):
            return result
        if isinstance(received, LegacyNotification):
            return legacy_success_reply(clock=self._clock)
        return success_reply(received, clock=self._clock)

    def _failed(self, err: BaseException, received: Received, path: str) -> NotificationReply:
        # The provider retries anything but HTTP 200, so a failed handler answers 5xx and the
        # retry is processed (the replay claim was released).
        logger.error(
            "bisnap: the notification handler raised; answered 500 so it is retried: %r",
            received,
            exc_info=err,
        )
        service = received.service_code if isinstance(received, Notification) else None
        return general_error_reply(service, clock=self._clock)

    def _flow(
        self,
        method: str,
        path: str,
        headers: Headers,
        body: bytes,
    ) -> Flow[NotificationReply]:
        """verify → handle → commit → reply, as steps a shell performs (sync or async).

        Yields `("enter", receiving)`, `("call", received)` and `("exit", receiving, err)`;
        the shell sends back what the step returned or throws in what it raised.
        """
        pairs = _pairs(headers)
        kind = self._legacy_kind(pairs, body)
        if kind is not None:
            try:
                legacy = self._legacy(kind, pairs, body)
            except Exception as err:
                return self._refused(err, path, body)
            try:
                result = yield ("call", legacy)
            except Exception as err:
                return self._failed(err, legacy, path)
            return self._done(legacy, result)

        try:
            receiving = self._verifier.receive(method=method, path=path, headers=pairs, body=body)
            notification = yield ("enter", receiving)
        except Exception as err:
            return self._refused(err, path, body)
        try:
            result = yield ("call", notification)
        except Exception as err:
            try:
                yield ("exit", receiving, err)
            except Exception as release:
                logger.error("bisnap: releasing the replay claim failed", exc_info=release)
            return self._failed(err, notification, path)
        except BaseException as err:  # KeyboardInterrupt, SystemExit, cancelled: release, go on
            yield ("exit", receiving, err)
            raise
        try:
            yield ("exit", receiving, None)
        except Exception as err:
            return self._refused(err, path, body)
        return self._done(notification, result)

    def _repr_fields(self) -> str:
        return (
            f"on_duplicate={self._on_duplicate!r}, legacy_core={self._server_key is not None}, "
            f"payouts={self._iris_key is not None}"
        )


class NotificationReceiver(_ReceiverCore[NotificationVerifier]):
    """Verify, handle and answer notifications in sync code (Flask, Django).

    `verifier` checks SNAP notifications (`receive`: the replay claim is committed only
    when the handler returns). `on_duplicate` is passed to `reply_for_error`.
    `server_key` (legacy Core API `signature_key`) and `iris_merchant_key` (Payouts
    `Iris-Signature`) turn on the legacy notifications on the same endpoint.

    Raises:
        ConfigurationError: an async verifier, an empty key, an unknown `on_duplicate`.

    ```python
    receiver = NotificationReceiver(verifier, server_key=Secret(os.environ["SERVER_KEY"]))
    reply = receiver.handle(method="POST", path=path, headers=headers, body=raw, handler=fn)
    ```
    """

    _wanted = NotificationVerifier

    def handle(
        self, *, method: str, path: str, headers: Headers, body: bytes, handler: SyncHandler
    ) -> NotificationReply:
        """Verify one request, run `handler` on it, and return the reply to send.

        Never raises for a bad request or a failing handler: every outcome is a reply.
        """
        flow = self._flow(method, path, headers, body)
        return drive(flow, partial(_perform, handler=handler))

    def __repr__(self) -> str:
        return f"NotificationReceiver({self._repr_fields()}, verifier={self._verifier!r})"


class AsyncNotificationReceiver(_ReceiverCore[AsyncNotificationVerifier]):
    """`NotificationReceiver` for async frameworks (Starlette, FastAPI, async Django views).

    The handler may be `async def` (awaited) or a plain function.

    Raises:
        ConfigurationError: a sync verifier, an empty key, an unknown `on_duplicate`.
    """

    _wanted = AsyncNotificationVerifier

    async def handle(
        self, *, method: str, path: str, headers: Headers, body: bytes, handler: AsyncHandler
    ) -> NotificationReply:
        """Verify one request, run (await) `handler` on it, and return the reply to send.

        Never raises for a bad request or a failing handler: every outcome is a reply.
        """
        flow = self._flow(method, path, headers, body)
        return await adrive(flow, partial(_perform_async, handler=handler))

    def __repr__(self) -> str:
        return f"AsyncNotificationReceiver({self._repr_fields()}, verifier={self._verifier!r})"


_Step = tuple[Any, ...]


def _exc_info(
    err: BaseException | None,
) -> tuple[type[BaseException] | None, BaseException | None, TracebackType | None]:
    return (None, None, None) if err is None else (type(err), err, err.__traceback__)


def _perform(step: _Step, handler: SyncHandler) -> object:
    if step[0] == "call":
        return handler(step[1])
    if step[0] == "enter":
        return step[1].__enter__()
    return step[1].__exit__(*_exc_info(step[2]))


async def _perform_async(step: _Step, handler: AsyncHandler) -> object:
    if step[0] == "call":
        return await _call(handler, step[1])
    if step[0] == "enter":
        return await step[1].__aenter__()
    return await step[1].__aexit__(*_exc_info(step[2]))


async def _call(handler: AsyncHandler, received: Received) -> object:
    result = handler(received)
    if inspect.isawaitable(result):
        return await result
    return result
