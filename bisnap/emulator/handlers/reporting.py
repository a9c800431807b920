"""Reporting: transaction history list (paged) and detail."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bisnap.emulator.handlers._registry import handler
from bisnap.emulator.records import CallContext, Outcome, get_field, money, not_found
from bisnap.timestamps import format_timestamp

if TYPE_CHECKING:
    from bisnap.emulator.state import EmulatorState

__all__: list[str] = []


def _history_item(event: Mapping[str, Any]) -> dict[str, Any]:
    # SNAP: transaction history item (midtrans-reporting-payouts.md §4.1, §4.3).
    kind = event["type"]
    snap_type = {"PAYMENT": "PAYMENT", "REFUND": "PAYMENT", "DISBURSEMENT": "SEND_MONEY"}[kind]
    status = {"PAYMENT": "SETTLEMENT", "REFUND": "REFUND", "DISBURSEMENT": "COMPLETED"}[kind]
    item: dict[str, Any] = {
        "dateTime": format_timestamp(event["time"]),
        "amount": money(event["amount"]),
        "status": "SUCCESS",
        "type": snap_type,
        "additionalInfo": {
            "referenceNo": event["referenceNo"],
            "partnerReferenceNo": event["partnerReferenceNo"],
            "status": status,
            "type": "DISBURSEMENT" if kind == "DISBURSEMENT" else "PAYMENT",
            "channel": event.get("channel", ""),
            "fee": money(Decimal(0)),
        },
    }
    if "accountNo" in event:
        item["additionalInfo"]["accountNo"] = event["accountNo"]
    if kind == "DISBURSEMENT":
        item["remark"] = event.get("remark") or "Payout"
    return item


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return default


@handler("transaction_history_list")
def _history_list(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    size = max(1, min(_int(body.get("pageSize"), 10), 50))
    page = max(0, _int(body.get("pageNumber"), 0))
    events = state.history
    partner = body.get("partnerReferenceNo")
    if partner:
        events = [e for e in events if e["partnerReferenceNo"] == partner]
    if get_field(body, "additionalInfo.sortOrder") != "ASC":
        events = list(reversed(events))
    chunk = events[page * size : (page + 1) * size]
    return Outcome(body={"detailData": [_history_item(e) for e in chunk]})


@handler("transaction_history_detail")
def _history_detail(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    ref = get_field(body, "additionalInfo.referenceNo")
    for event in state.history:
        if event["referenceNo"] == ref:
            item = _history_item(event)
            extra = item.pop("additionalInfo")
            extra["updatedTime"] = item["dateTime"]
            return Outcome(
                body={
                    "referenceNo": ref,
                    "partnerReferenceNo": event["partnerReferenceNo"],
                    **item,
                    "additionalInfo": extra,
                }
            )
    return not_found()
