"""Client methods for catalogue entries, written once for both clients.

Each `SnapClient`/`AsyncSnapClient` method named after a catalogue entry is built here from
the entry itself (its docstring too), so the clients and the catalogue cannot drift and
the sync and async methods have one signature.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Concatenate, ParamSpec, TypeVar

from bisnap.catalogue import Endpoint, by_name
from bisnap.http.core import Body, CustomerToken, SnapResponse, retry_mode

__all__ = [
    "async_endpoint",
    "async_endpoint_signature",
    "endpoint_doc",
    "endpoint_signature",
    "sync_endpoint",
]

P = ParamSpec("P")
R = TypeVar("R")

_RETRY_TEXT = {
    "replay": "A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.",
    "status_first": "A 5xx or lost answer asks `transfer_status` before any re-send.",
    "safe": "Read-only: re-sent on a 5xx or lost answer.",
    "never": "Not re-sent after a 5xx or lost answer.",
}


def endpoint_signature(
    body: Body,
    *,
    external_id: str | None = None,
    customer_token: CustomerToken | None = None,
    device_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> SnapResponse:
    """The signature every endpoint method has (a template; never called)."""
    raise TypeError("endpoint_signature is a signature template")


async def async_endpoint_signature(
    body: Body,
    *,
    external_id: str | None = None,
    customer_token: CustomerToken | None = None,
    device_id: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> SnapResponse:
    """The signature every async endpoint method has (a template; never called)."""
    raise TypeError("async_endpoint_signature is a signature template")


def endpoint_doc(endpoint: Endpoint) -> str:
    """The docstring of the client method for `endpoint`, from the catalogue entry."""
    lines = [
        f"{endpoint.title}, service code {endpoint.service_code}.",
        "",
        f"`{endpoint.method} {endpoint.path}`.",
        _RETRY_TEXT[retry_mode(endpoint)],
    ]
    if endpoint.host == "app":
        lines.append("Sent unsigned to the app host; `body` becomes the query string.")
    if endpoint.customer_token and not endpoint.customer_token_optional:
        lines.append("Needs `customer_token` and `device_id` (B2B2C).")
    elif endpoint.customer_token or endpoint.customer_token_optional:
        lines.append("`customer_token` and `device_id` are optional.")
    lines += [
        "",
        "Raises:",
        "    ApiError: a non-success responseCode (a subclass says which); TransportError.",
    ]
    return "\n".join(lines)


def _decorate(method: Callable[..., Any], name: str, template: Callable[..., Any]) -> None:
    signature = inspect.signature(template)
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    method.__name__ = method.__qualname__ = name
    method.__doc__ = endpoint_doc(by_name(name))
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[self_param, *signature.parameters.values()]
    )


def sync_endpoint(
    name: str,
    template: Callable[P, R] = endpoint_signature,  # type: ignore[assignment]
) -> Callable[Concatenate[Any, P], R]:
    """A `SnapClient` method calling catalogue entry `name` through `self._call`.

    `template` (`endpoint_signature`) gives the method its typed signature.
    """
    by_name(name)  # fail at import time for a name the catalogue lacks

    def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._call(name, *args, **kwargs)  # type: ignore[no-any-return]

    _decorate(method, name, template)
    return method


def async_endpoint(
    name: str, template: Callable[P, Awaitable[R]]
) -> Callable[Concatenate[Any, P], Coroutine[Any, Any, R]]:
    """An `AsyncSnapClient` coroutine method calling catalogue entry `name`."""
    by_name(name)

    async def method(self: Any, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self._call(name, *args, **kwargs)  # type: ignore[no-any-return]

    _decorate(method, name, template)
    return method
