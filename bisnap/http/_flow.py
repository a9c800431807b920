"""The steps a sans-I/O flow yields, and the two drivers (sync, async) that perform them.

A flow is a generator written once (the token refresh, a service call): it yields a step
("send this request", "sleep", "call the token store", "wait for the refresh in flight",
"get a token", "invalidate it") and receives the step's result, or has the step's
exception thrown in at the `yield`. `drive` performs steps with plain calls (threads),
`adrive` awaits them (anyio tasks); neither holds any rule of its own. This is httpx's
`auth_flow` pattern, used by `SnapAuth.signing_flow` too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from bisnap.secrets import AccessToken
from bisnap.signing import SignatureTrace

__all__ = [
    "FLOW_END",
    "Answer",
    "Flow",
    "FlowRun",
    "GetToken",
    "InvalidateToken",
    "Send",
    "Sleep",
    "StoreCall",
    "Wait",
    "adrive",
    "drive",
]

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Answer:
    """What a `Send` step gives back: status, headers and the body bytes as received."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True, slots=True, repr=False)
class Send:
    """Send one HTTP request; answered with an `Answer`.

    A failure without an answer is thrown into the flow as the `TransportError` that
    `bisnap.http.core.transport_error` maps it to (its `__cause__` is the httpx error).
    `timeout` caps every socket timeout of this request (the time left before a deadline).
    """

    method: str
    url: Any  # str or httpx.URL: the shells pass it to httpx as it is
    content: bytes
    headers: Mapping[str, str]
    label: str
    timeout: float | None = None
    trace: SignatureTrace | None = None
    external_id: str | None = None
    attempt: int | None = None

    def __repr__(self) -> str:
        return f"Send({self.method} {self.label!r}, content=<{len(self.content)} bytes>)"


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait `seconds` (through the injected sleep)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class StoreCall:
    """Call `method(*args, **kwargs)` on the token store; answered with its result.

    `shield`: finish the call even if the caller is being cancelled (releasing a lease).
    """

    method: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] | None = None
    shield: bool = False


@dataclass(frozen=True, slots=True)
class Wait:
    """Wait until the in-process refresh `flight` has landed (its `done` event is set)."""

    flight: Any


@dataclass(frozen=True, slots=True)
class GetToken:
    """Get a B2B access token from the token source; answered with an `AccessToken`."""


@dataclass(frozen=True, slots=True)
class InvalidateToken:
    """Tell the token source that `token` was rejected."""

    token: AccessToken


#: A flow: yields steps, receives their results, returns `R`.
Flow = Generator[Any, Any, R]


class FlowRun:
    """The bookkeeping of running a flow, shared by `drive` and `adrive`: send the last
    step's result (or throw its exception) in, and read the next step or the flow's value."""

    __slots__ = ("answer", "error", "flow", "result")

    def __init__(self, flow: Flow[Any]) -> None:
        self.flow = flow
        self.answer: Any = None
        self.error: BaseException | None = None
        self.result: Any = None

    def next_step(self) -> Any:
        """The next step, or `FLOW_END` once the flow has returned (its value in `result`)."""
        error, self.error = self.error, None
        try:
            return self.flow.send(self.answer) if error is None else self.flow.throw(error)
        except StopIteration as stop:
            self.result = stop.value
            return FLOW_END
        finally:
            self.answer = None


FLOW_END = object()


def drive(flow: Flow[R], perform: Callable[[Any], Any]) -> R:
    """Run `flow` to its end, performing each step with `perform` (blocking calls)."""
    run = FlowRun(flow)
    while (step := run.next_step()) is not FLOW_END:
        try:
            run.answer = perform(step)
        except BaseException as err:  # thrown into the flow at its `yield`
            run.error = err
    result: R = run.result
    return result


async def adrive(flow: Flow[R], perform: Callable[[Any], Awaitable[Any]]) -> R:
    """Run `flow` to its end, awaiting each step with `perform`."""
    run = FlowRun(flow)
    while (step := run.next_step()) is not FLOW_END:
        try:
            run.answer = await perform(step)
        except BaseException as err:  # thrown into the flow at its `yield` (cancellation too)
            run.error = err
    result: R = run.result
    return result
