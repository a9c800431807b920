"""The answer of every catalogue entry, one module per product.

`va` (virtual accounts), `payments` (QRIS, direct debit, GoPay pre-auth), `binding`
(account linking), `payouts` (inquiries, transfers, balance), `reporting` (transaction
history). Each handler is `(state, body, call) -> Outcome`, registered by catalogue name in
`HANDLERS`; `pay_va` and `pay_payment` are the admin "customer pays" actions.
"""

from __future__ import annotations

from bisnap.emulator.handlers import binding, payments, payouts, reporting, va
from bisnap.emulator.handlers._registry import HANDLERS, Handler, handler
from bisnap.emulator.handlers.payments import pay_payment
from bisnap.emulator.handlers.va import pay_va

__all__ = [
    "HANDLERS",
    "Handler",
    "binding",
    "handler",
    "pay_payment",
    "pay_va",
    "payments",
    "payouts",
    "reporting",
    "va",
]
