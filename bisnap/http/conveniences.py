"""What users otherwise write by hand around the catalogue methods, for both clients.

- `iter_transaction_history(...)` walks every page of Transaction History List (page size
  at most 50, pages from 0) and yields each item as a `models.HistoryItem`.
- `confirm_notification(notification)` asks the provider's status endpoint about a
  verified notification and raises unless the status agrees; `verify_and_confirm(...)`
  verifies the request first (`NotificationVerifier`) and then confirms it.

The decisions are pure functions (`history_page`, `status_check_for`, `judge_status`);
the sync and async shells below only call the client and loop.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from bisnap.errors import ConfigurationError, InputError, VerificationError
from bisnap.http._methods import AsyncEndpoints, SyncEndpoints
from bisnap.http.core import SnapResponse
from bisnap.models import HistoryItem, TransactionHistoryListRequest
from bisnap.notifications import AsyncNotificationVerifier, Notification, NotificationVerifier

__all__ = [
    "AsyncConveniences",
    "ConfirmedNotification",
    "StatusCheck",
    "SyncConveniences",
    "history_page",
    "judge_status",
    "status_check_for",
]

logger = logging.getLogger("bisnap.http")

#: The largest page Transaction History List serves.
MAX_PAGE_SIZE = 50

HistoryRequest = TransactionHistoryListRequest | Mapping[str, Any] | None


# --- paging ------------------------------------------------------------------------------


def history_page(
    request: HistoryRequest, page_number: int, page_size: int
) -> TransactionHistoryListRequest | dict[str, Any]:
    """The body of page `page_number` for `request` (its filters kept, paging replaced).

    Raises:
        InputError: a page size outside 1..50 or a negative page number.
    """
    # SNAP: pageSize at most 50, pageNumber from 0 (midtrans-reporting-payouts.md §4.1).
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(
            f"page_size is {page_size}", hint=f"Use 1 to {MAX_PAGE_SIZE} (the provider's limit)."
        )
    if page_number < 0:
        raise InputError(f"page number is {page_number}", hint="Pages count from 0.")
    if request is None:
        return TransactionHistoryListRequest(page_size=page_size, page_number=page_number)
    if isinstance(request, TransactionHistoryListRequest):
        return msgspec.structs.replace(request, page_size=page_size, page_number=page_number)
    return {**request, "pageSize": page_size, "pageNumber": page_number}


def _page_size(request: HistoryRequest, page_size: int | None) -> int:
    if page_size is not None:
        return page_size
    given: Any = None
    if isinstance(request, TransactionHistoryListRequest):
        given = request.page_size
    elif request is not None:
        given = request.get("pageSize")
    try:
        return int(given) if given is not None else MAX_PAGE_SIZE
    except (TypeError, ValueError) as err:
        raise InputError(f"pageSize {given!r} is not an integer") from err


def _start(request: HistoryRequest) -> int:
    given: Any = None
    if isinstance(request, TransactionHistoryListRequest):
        given = request.page_number
    elif request is not None:
        given = request.get("pageNumber")
    try:
        return int(given) if given is not None else 0
    except (TypeError, ValueError) as err:
        raise InputError(f"pageNumber {given!r} is not an integer") from err


class _Pager:
    """Transaction History paging, shared by the sync and async iterators: the next page's
    request, and the items of each answer. Stops after a short page, after `max_pages`, or
    when a page repeats the previous one (a provider that ignores pageNumber)."""

    def __init__(
        self, request: HistoryRequest, page_size: int | None, max_pages: int | None
    ) -> None:
        self._request = request
        self._size = _page_size(request, page_size)
        self._number = _start(request)
        self._left = max_pages
        self._previous: object = None
        self._done = False

    def next_page(self) -> TransactionHistoryListRequest | dict[str, Any] | None:
        """The request of the next page, or None: paging is over."""
        if self._done or (self._left is not None and self._left <= 0):
            return None
        return history_page(self._request, self._number, self._size)

    def items(self, answer: Any) -> list[HistoryItem]:
        """The items of the page answered (none if it repeats the previous page)."""
        items: list[HistoryItem] = answer.data.detail_data or []
        raw = answer.body.get("detailData")
        if items and raw == self._previous:
            logger.warning(
                "transaction history: page %d repeats page %d", self._number, self._number - 1
            )
            self._done = True
            return []
        self._done = len(items) < self._size
        self._previous, self._number = raw, self._number + 1
        if self._left is not None:
            self._left -= 1
        return items


# --- notifications -------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCheck:
    """The status query that confirms a notification, and what its answer must say.

    `endpoint` is the catalogue method; `body` its request; `field` the dotted path in the
    answer compared with `expected` (what the notification claims).
    """

    endpoint: str
    body: dict[str, Any]
    field: str
    expected: str | None


@dataclass(frozen=True)
class ConfirmedNotification:
    """A verified notification and the status answer that agrees with it."""

    notification: Notification
    status: SnapResponse


def _get(body: Mapping[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _pick(body: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: body[name] for name in names if isinstance(body.get(name), str) and body[name]}


def status_check_for(notification: Notification, *, merchant_id: str | None = None) -> StatusCheck:
    """The status query for a verified `notification` (debit, QRIS or VA payment).

    `merchant_id` is needed for QRIS and VA when the notification does not carry it.

    Raises:
        InputError: a notification no status query can confirm (linking, unknown path).
        ConfigurationError: a QRIS notification without a merchant id to query with.
    """
    body = notification.body
    name = notification.service.name if notification.service is not None else None
    # SNAP: confirm a notification by the status query of its product before acting on it
    # (midtrans-core.md §5; the same "challenge response" Payouts documents, §6.2).
    if name == "debit_notify":
        ids = _pick(body, "originalReferenceNo", "originalPartnerReferenceNo", "originalExternalId")
        return StatusCheck(
            "debit_status",
            {**ids, "serviceCode": "54"},
            "latestTransactionStatus",
            _text(body.get("latestTransactionStatus")),
        )
    if name == "qris_notify":
        merchant = (
            merchant_id or _text(body.get("merchantId")) or _text(body.get("externalStoreID"))
        )
        if not merchant:
            raise ConfigurationError(
                "a QRIS status query needs the merchant id",
                hint="Pass merchant_id= (your MID) to confirm QRIS notifications.",
            )
        ids = _pick(body, "originalReferenceNo", "originalPartnerReferenceNo")
        return StatusCheck(
            "qris_query",
            {**ids, "merchantId": merchant, "serviceCode": "47"},
            "latestTransactionStatus",
            _text(body.get("latestTransactionStatus")),
        )
    if name == "va_payment":
        query = _pick(body, "partnerServiceId", "customerNo", "virtualAccountNo")
        query["inquiryRequestId"] = _text(body.get("trxId")) or ""
        query.update(_pick(body, "paymentRequestId"))
        merchant = merchant_id or _text(_get(body, "additionalInfo.merchantId"))
        if merchant:
            query["additionalInfo"] = {"merchantId": merchant}
        claimed = _text(_get(body, "additionalInfo.paymentFlagStatus")) or _text(
            body.get("paymentFlagStatus")
        )
        return StatusCheck(
            "va_status", query, "virtualAccountData.paymentFlagStatus", claimed or "00"
        )
    raise InputError(
        f"no status query confirms a notification to {notification.path}",
        hint="Debit, QRIS and VA payment notifications can be confirmed; for account "
        "linking call account_binding_inquiry with the customer token.",
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def judge_status(check: StatusCheck, answer: SnapResponse) -> None:
    """Raise unless `answer` says what the notification claimed.

    Raises:
        VerificationError: the status differs (the message shows both values; a later
            change of state, e.g. a refund after the payment, also differs).
    """
    found = _text(_get(answer.body, check.field))
    if check.expected is not None and found != check.expected:
        raise VerificationError(
            f"{check.endpoint} says {check.field} is {found!r}; the notification says "
            f"{check.expected!r}",
            hint="Do not act on the notification; act on the status query's answer.",
        )


# --- the shells ------------------------------------------------------------------------------


class SyncConveniences(SyncEndpoints):
    """Paging and notification confirmation for `SnapClient`."""

    def iter_transaction_history(
        self,
        request: HistoryRequest = None,
        *,
        page_size: int | None = None,
        max_pages: int | None = None,
    ) -> Iterator[HistoryItem]:
        """Every item of Transaction History List, page after page, from page 0.

        `request` holds the filters (a `TransactionHistoryListRequest` or a dict); its
        `pageNumber`, if set, is the first page. Pages are `page_size` long (default: the
        request's `pageSize`, else 50); the walk stops at a short page, after `max_pages`
        pages, or if the provider repeats a page (it ignored `pageNumber`).

        Raises:
            RequestValidationError, ApiError: as `transaction_history_list`.
        """
        pager = _Pager(request, page_size, max_pages)
        while (page := pager.next_page()) is not None:
            yield from pager.items(self.transaction_history_list(page))

    def confirm_notification(
        self, notification: Notification, *, merchant_id: str | None = None
    ) -> ConfirmedNotification:
        """Ask the status endpoint about a verified `notification`; raise unless it agrees.

        Raises:
            VerificationError: the status answer says something else.
            InputError: a notification no status query confirms.
            ApiError: the status query failed.
        """
        check = status_check_for(notification, merchant_id=merchant_id)
        answer = getattr(self, check.endpoint)(check.body)
        judge_status(check, answer)
        return ConfirmedNotification(notification, answer)

    def verify_and_confirm(
        self,
        verifier: NotificationVerifier | AsyncNotificationVerifier,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
        merchant_id: str | None = None,
    ) -> ConfirmedNotification:
        """Verify the request, then `confirm_notification` it, as one replay claim.

        The claim is taken with `verifier.receive(...)`: it is committed once the status
        query agrees and released when it does not (or fails), so the provider's next
        delivery of the same notification is confirmed again instead of refused as a replay.

        Raises:
            VerificationError: the signature, window, replay check or status disagrees.
            HeaderError, InputError, ApiError: as the two steps.
            ConfigurationError: an `AsyncNotificationVerifier` (use `AsyncSnapClient`).
        """
        if isinstance(verifier, AsyncNotificationVerifier):
            raise ConfigurationError(
                "SnapClient cannot await an AsyncNotificationVerifier",
                hint="Use NotificationVerifier here, or AsyncSnapClient.verify_and_confirm.",
            )
        with verifier.receive(method=method, path=path, headers=headers, body=body) as received:
            return self.confirm_notification(received, merchant_id=merchant_id)


class AsyncConveniences(AsyncEndpoints):
    """Paging and notification confirmation for `AsyncSnapClient` (the same, awaited)."""

    async def iter_transaction_history(
        self,
        request: HistoryRequest = None,
        *,
        page_size: int | None = None,
        max_pages: int | None = None,
    ) -> AsyncIterator[HistoryItem]:
        """Every item of Transaction History List, page after page (`async for`).

        Raises:
            RequestValidationError, ApiError: as `transaction_history_list`.
        """
        pager = _Pager(request, page_size, max_pages)
        while (page := pager.next_page()) is not None:
            for item in pager.items(await self.transaction_history_list(page)):
                yield item

    async def confirm_notification(
        self, notification: Notification, *, merchant_id: str | None = None
    ) -> ConfirmedNotification:
        """Ask the status endpoint about a verified `notification`; raise unless it agrees.

        Raises:
            VerificationError: the status answer says something else.
            InputError: a notification no status query confirms.
            ApiError: the status query failed.
        """
        check = status_check_for(notification, merchant_id=merchant_id)
        answer = await getattr(self, check.endpoint)(check.body)
        judge_status(check, answer)
        return ConfirmedNotification(notification, answer)

    async def verify_and_confirm(
        self,
        verifier: NotificationVerifier | AsyncNotificationVerifier,
        *,
        method: str,
        path: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]],
        body: bytes,
        merchant_id: str | None = None,
    ) -> ConfirmedNotification:
        """Verify the request (awaited for an async verifier), then confirm it.

        One replay claim, as in `SnapClient.verify_and_confirm`: committed once the status
        query agrees, released when it does not.

        Raises:
            VerificationError: the signature, window, replay check or status disagrees.
            HeaderError, InputError, ApiError: as the two steps.
        """
        if isinstance(verifier, AsyncNotificationVerifier):
            async with verifier.receive(
                method=method, path=path, headers=headers, body=body
            ) as notification:
                return await self.confirm_notification(notification, merchant_id=merchant_id)
        with verifier.receive(method=method, path=path, headers=headers, body=body) as received:
            return await self.confirm_notification(received, merchant_id=merchant_id)
