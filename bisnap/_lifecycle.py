"""`with service:` for the things bisnap starts in the background (servers, the emulator).

`StartStop` gives a class with `start()` (returning itself) and `stop()` the context
manager protocol: `__enter__` starts, `__exit__` stops, whatever happened inside.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol, TypeVar

__all__ = ["StartStop"]


class _Startable(Protocol):
    def start(self) -> Any: ...

    def stop(self) -> None: ...


_S = TypeVar("_S", bound=_Startable)


class StartStop:
    """Mixin: `with x:` runs `x.start()` and, on the way out, `x.stop()`."""

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(
        self: _Startable,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
