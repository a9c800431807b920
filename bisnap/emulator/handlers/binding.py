"""Account linking (GoPay tokenization): binding, binding inquiry, unbinding."""

from __future__ import annotations

import secrets as _random
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bisnap.emulator.handlers._registry import handler
from bisnap.emulator.records import CallContext, Outcome, fail, get_field

if TYPE_CHECKING:
    from bisnap.emulator.state import EmulatorState

__all__: list[str] = []


@handler("account_binding")
def _account_binding(state: EmulatorState, body: dict[str, Any], ctx: CallContext) -> Outcome:
    token = "cust-" + _random.token_urlsafe(24)
    reference = state.next_ref("BD")
    state.bindings[token] = {
        "referenceNo": reference,
        "merchantId": body.get("merchantId"),
        "accountId": "acc-" + reference,
        "balance": Decimal("5000000.00"),
    }
    return Outcome(
        body={
            "referenceNo": reference,
            "partnerReferenceNo": body.get("partnerReferenceNo", reference),
            "accessTokenInfo": {
                "accessToken": token,
                "expiresIn": "900",
                "tokenStatus": "ACTIVE",
            },
            "additionalInfo": {"accountId": "acc-" + reference},
        }
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
        body={"referenceNo": binding["referenceNo"], "merchantId": body.get("merchantId")}
    )
