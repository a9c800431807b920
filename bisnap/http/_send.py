"""Perform a `Send` step with httpx (sync and async): the only place bisnap calls httpx.

An httpx failure is raised as the bisnap `TransportError` of `core.transport_error`
(`from` the httpx error), for token fetches and service calls alike.
"""

from __future__ import annotations

import httpx

from bisnap.http._flow import Answer, Send
from bisnap.http.core import transport_error

__all__ = ["asend", "send"]


def _cap(value: float | None, cap: float) -> float:
    return cap if value is None else min(value, cap)


def _capped(t: httpx.Timeout, cap: float) -> httpx.Timeout:
    """The client's timeouts, each capped at `cap` seconds (the time left to a deadline)."""
    cap = max(cap, 0.001)
    return httpx.Timeout(
        connect=_cap(t.connect, cap),
        read=_cap(t.read, cap),
        write=_cap(t.write, cap),
        pool=_cap(t.pool, cap),
    )


def _request(http: httpx.Client | httpx.AsyncClient, step: Send) -> httpx.Request:
    if step.timeout is None:
        return http.build_request(step.method, step.url, content=step.content, headers=step.headers)
    return http.build_request(
        step.method,
        step.url,
        content=step.content,
        headers=step.headers,
        timeout=_capped(http.timeout, step.timeout),
    )


def _failure(exc: httpx.HTTPError, step: Send) -> Exception:
    return transport_error(
        exc,
        target=step.label,
        trace=step.trace,
        external_id=step.external_id,
        attempt=step.attempt,
    )


def send(http: httpx.Client, step: Send) -> Answer:
    """Send `step` with a sync httpx client.

    Raises:
        TransportError: no answer (ConnectionFailedError when nothing was sent).
    """
    try:
        response = http.send(_request(http, step))
    except httpx.HTTPError as exc:
        raise _failure(exc, step) from exc
    return Answer(response.status_code, response.headers, response.content)


async def asend(http: httpx.AsyncClient, step: Send) -> Answer:
    """Send `step` with an async httpx client.

    Raises:
        TransportError: no answer (ConnectionFailedError when nothing was sent).
    """
    try:
        response = await http.send(_request(http, step))
    except httpx.HTTPError as exc:
        raise _failure(exc, step) from exc
    return Answer(response.status_code, response.headers, response.content)
