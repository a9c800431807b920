"""The debugger's door: only this machine's browser tab, only JSON.

A page on the loopback interface can still be reached by a web site the user visits:

- **DNS rebinding**: `evil.example` resolves to 127.0.0.1 after the page loaded, so the
  browser sends `Host: evil.example:PORT`. Every request whose `Host` is not exactly the
  address and port the debugger listens on is refused (421).
- **Cross-site posts**: a foreign page can POST a form to `http://127.0.0.1:PORT`. A POST
  whose `Origin` is not the debugger's own (including `null`), or that a browser marks
  `Sec-Fetch-Site: cross-site`/`same-site`, is refused (403); and the API takes only
  `application/json`, which a cross-site form cannot send without a CORS preflight that
  this server never answers (415).

Every answer carries a strict Content-Security-Policy (scripts, styles and fetches only from
the page itself: no CDN, no inline script) and `Cache-Control: no-store`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["SECURITY_HEADERS", "LoopbackGuard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Headers added to every response.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-resource-policy", b"same-origin"),
)

_SAFE_METHODS = frozenset({"GET", "HEAD"})


class LoopbackGuard:
    """ASGI middleware: refuse a foreign Host, a foreign Origin, and a non-JSON POST.

    `host` is the `address:port` the server listens on (e.g. `127.0.0.1:8765`); the only
    accepted `Host` header is exactly that, and the only accepted `Origin` is
    `http://` + `host`.
    """

    def __init__(self, app: ASGIApp, *, host: str) -> None:
        self._app = app
        self._host = host.encode("ascii")
        self._origin = b"http://" + self._host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        refusal = self.refusal(scope["method"], scope["headers"])
        if refusal is not None:
            status, message = refusal
            await _answer(send, status, message)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {name for name, _ in SECURITY_HEADERS}
                ]
                message["headers"] = headers + list(SECURITY_HEADERS)
            await send(message)

        await self._app(scope, receive, send_secured)

    def refusal(self, method: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, str] | None:
        """Why a request is refused, as (status, message); None when it may pass."""
        values: dict[bytes, list[bytes]] = {}
        for name, value in headers:
            values.setdefault(name.lower(), []).append(value)
        hosts = values.get(b"host", [])
        if len(hosts) != 1 or hosts[0].strip().lower() != self._host:
            return 421, (
                "refused: the Host header is not this debugger's loopback address "
                "(open the URL bisnap debug printed)"
            )
        if method.upper() in _SAFE_METHODS:
            return None
        origins = values.get(b"origin", [])
        if any(origin.strip().lower() != self._origin for origin in origins):
            return 403, "refused: the request comes from another origin"
        fetch_site = values.get(b"sec-fetch-site", [])
        if any(site.strip().lower() in (b"cross-site", b"same-site") for site in fetch_site):
            return 403, "refused: the request comes from another site"
        types = values.get(b"content-type", [])
        media = types[0].split(b";", 1)[0].strip().lower() if len(types) == 1 else b""
        if media != b"application/json":
            return 415, "refused: the API accepts only application/json bodies"
        return None


async def _answer(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
        *SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
