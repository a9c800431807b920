"""Account linking (GoPay tokenization): binding, binding inquiry, unbinding.

Binding and unbinding each send the linking notification
(`{prefix}/v1.0/registration-account/notify`, service 88) with `accountStatus` ENABLED or
DISABLED, retried at 20/40/80 ms as Midtrans does.
"""

from __future__ import annotations

import secrets as _random
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bisnap.emulator.handlers._registry import handler
from bisnap.emulator.records import NOTIFY, CallContext, Outcome, PaymentNotice, fail, get_field

if TYPE_CHECKING:
    from bisnap.emulator.state import EmulatorState

__all__ = ["LINKING_RETRY_SCHEDULE", "linking_notice"]

# SNAP: linking notifications retry up to 3 times, at 20/40/80 ms (midtrans-core.md §4.5).
LINKING_RETRY_SCHEDULE: tuple[timedelta, ...] = tuple(
    timedelta(milliseconds=m) for m in (20, 40, 80)
)


def linking_notice(
    state: EmulatorState, token: str, binding: Mapping[str, Any], *, enabled: bool
) -> PaymentNotice:
    """The linking/unlinking notification for `binding` (its customer token in the body)."""
    # SNAP: linking notification body additionalInfo{accessToken, merchantId (MID),
    # subMerchantId, paymentType, accountStatus ENABLED/DISABLED, statusMessage}
    # (midtrans-core.md §4.5).
    body = {
        "additionalInfo": {
            "accessToken": token,
            "merchantId": state.merchant_id,
            "subMerchantId": binding.get("merchantId") or "",
            "paymentType": "gopay",
            "accountStatus": "ENABLED" if enabled else "DISABLED",
            "statusMessage": "Account linked" if enabled else "Account unlinked",
            "accountId": binding.get("accountId"),
        }
    }
    return PaymentNotice(NOTIFY["account_linking_notify"], body, LINKING_RETRY_SCHEDULE)


@handler("account_binding")
def _account_binding(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    token = "cust-" + _random.token_urlsafe(24)
    reference = state.next_ref("BD")
    binding = {
        "referenceNo": reference,
        "merchantId": body.get("merchantId"),
        "accountId": "acc-" + reference,
        "balance": Decimal("5000000.00"),
    }
    state.bindings[token] = binding
    return Outcome(
        notices=[linking_notice(state, token, binding, enabled=True)],
        body={
            "referenceNo": reference,
            "partnerReferenceNo": body.get("partnerReferenceNo", reference),
            "accessTokenInfo": {
                "accessToken": token,
                "expiresIn": "900",
                "tokenStatus": "ACTIVE",
            },
            "additionalInfo": {"accountId": "acc-" + reference},
        },
    )


def _binding_for(
    state: EmulatorState, body: Mapping[str, Any], ctx: CallContext
) -> tuple[str, dict[str, Any]] | None:
    if ctx.customer_token is not None and ctx.customer_token in state.bindings:
        return ctx.customer_token, state.bindings[ctx.customer_token]
    account = get_field(body, "additionalInfo.accountId")
    for token, binding in state.bindings.items():
        if account and binding["accountId"] == account:
            return token, binding
    return None


@handler("account_binding_inquiry")
def _account_binding_inquiry(
    state: EmulatorState, body: dict[str, Any], ctx: CallContext
) -> Outcome:
    found = _binding_for(state, body, ctx)
    if found is None:
        return fail(401, "04")  # Customer Token Not Found
    token, binding = found
    return Outcome(
        body={
            "additionalInfo": {
                "accessToken": token,
                "paymentType": "gopay",
                "paymentOptions": [
                    {
                        "name": "GOPAY_WALLET",
                        "active": True,
                        "balance": {"value": int(binding["balance"]), "currency": "IDR"},
                        "token": "pot-" + binding["referenceNo"],
                    },
                ],
            },
        }
    )


@handler("account_unbinding")
def _account_unbinding(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    found = _binding_for(state, body, ctx)
    if found is None:
        return fail(401, "04")
    token, binding = found
    del state.bindings[token]
    return Outcome(
        body={"referenceNo": binding["referenceNo"], "merchantId": body.get("merchantId")},
        notices=[linking_notice(state, token, binding, enabled=False)],
    )
