"""The table of catalogue handlers: `@handler("create_va")` registers one."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bisnap.emulator.records import CallContext, Outcome

if TYPE_CHECKING:
    from bisnap.emulator.state import EmulatorState

__all__ = ["HANDLERS", "Handler", "handler"]

Handler = Callable[["EmulatorState", dict[str, Any], CallContext], Outcome]

#: catalogue name → handler, filled by the product modules on import.
HANDLERS: dict[str, Handler] = {}


def handler(name: str) -> Callable[[Handler], Handler]:
    """Register `func` as the answer of the catalogue entry `name`."""

    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register
