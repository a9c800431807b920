"""The emulator's admin routes under `/_emulator/`: play the customer, register URLs, look.

```
GET  /_emulator/credentials   ids, public keys, fingerprints (no token needed: public data)
GET  /_emulator/state         VAs, payments, transfers, balance, deliveries      (token)
POST /_emulator/pay           the customer pays; the notification is sent         (token)
POST /_emulator/notify-url    register the merchant's notification URL prefix     (token)
```

Admin routes answer only callers on loopback (a peer with any other IP address gets
`403`), and all but `credentials` need the admin token (`Emulator.admin_token`, printed by
`bisnap serve` at start) in `X-Emulator-Admin-Token` or as `Authorization: Bearer …`.
Rejections carry a SNAP body with service code `00`: `400xx00` not JSON, `400xx01` a field
of the wrong type, `400xx02` a missing field, `401xx00` no or a wrong token, `404xx01`
nothing to pay, `409xx00` already paid or canceled.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bisnap.emulator.jsonio import BodyTooLarge, NotAnObject, compact, parse_object, read_body
from bisnap.emulator.records import Outcome
from bisnap.emulator.respond import JSON_MEDIA_TYPE, Responder
from bisnap.headers import AUTHORIZATION

if TYPE_CHECKING:
    from bisnap.emulator.app import Emulator

__all__ = ["ADMIN_PREFIX", "ADMIN_SERVICE_CODE", "ADMIN_TOKEN_HEADER", "admin_routes"]

#: Where the admin routes live.
ADMIN_PREFIX = "/_emulator"
#: The header that carries the admin token.
ADMIN_TOKEN_HEADER = "X-Emulator-Admin-Token"  # noqa: S105 - a header name
#: The service code of admin answers (they are no SNAP service).
ADMIN_SERVICE_CODE = "00"

_Endpoint = Callable[[Request], Awaitable[Response]]


def is_loopback_peer(request: Request) -> bool:
    """False when the peer has an IP address that is not loopback.

    In-process transports (httpx's ASGITransport, Starlette's TestClient) name no real
    address and count as local; a network peer always has one.
    """
    client = request.client
    if client is None:
        return True
    try:
        address = ipaddress.ip_address(client.host.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped.is_loopback  # a dual-stack socket's ::ffff:127.0.0.1
        return address.is_loopback
    except ValueError:
        return client.host == "localhost" or ("." not in client.host and ":" not in client.host)


def _presented_token(request: Request) -> str | None:
    token = request.headers.get(ADMIN_TOKEN_HEADER)
    if token:
        return token.strip()
    scheme, _, value = request.headers.get(AUTHORIZATION, "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def admin_routes(emulator: Emulator, out: Responder, *, max_body: int) -> list[BaseRoute]:
    """The admin routes for `emulator` (bodies limited to `max_body` bytes)."""
    svc = ADMIN_SERVICE_CODE

    def reply(payload: dict[str, Any]) -> Response:
        return Response(compact(payload), headers=out.headers(), media_type=JSON_MEDIA_TYPE)

    def reject(
        status: int, case: str, error: str, detail: str | None = None, *, close: bool = False
    ) -> Response:
        return out.answer(
            svc,
            Outcome(status, case, detail=detail),
            extra_fields={"error": error},
            # A refused caller's body is never read: close rather than drain it.
            extra_headers={"Connection": "close"} if close else None,
        )

    def guarded(endpoint: _Endpoint, *, token: bool = True) -> _Endpoint:
        async def guard(request: Request) -> Response:
            if not is_loopback_peer(request):
                return reject(403, "01", "admin routes answer loopback callers only", close=True)
            if token:
                presented = _presented_token(request)
                expected = emulator.admin_token
                if presented is None or not hmac.compare_digest(
                    presented.encode("utf-8", "surrogatepass"), expected.encode("utf-8")
                ):
                    return reject(
                        401,
                        "00",
                        f"pass the admin token in {ADMIN_TOKEN_HEADER}",
                        "Admin Token",
                        close=True,
                    )
            return await endpoint(request)

        return guard

    async def read_json(request: Request) -> dict[str, Any] | Response:
        try:
            raw = await read_body(request, max_body)
        except BodyTooLarge as err:
            return out.too_large(svc, err.limit)
        try:
            return parse_object(raw, empty={})
        except NotAnObject:
            return reject(400, "00", "the body must be a JSON object")

    async def credentials(request: Request) -> Response:
        view = emulator.credentials.public_view()
        view["tokenTtlSeconds"] = int(emulator.tokens.ttl.total_seconds())
        return reply(view)

    async def state(request: Request) -> Response:
        snapshot = emulator.state.snapshot()
        snapshot["notifyUrl"] = emulator.notifier.notify_url
        snapshot["payoutNotifyUrl"] = emulator.notifier.payout_notify_url
        snapshot["deliveries"] = [d.to_dict() for d in emulator.notifier.deliveries]
        return reply(snapshot)

    async def pay(request: Request) -> Response:
        body = await read_json(request)
        if isinstance(body, Response):
            return body
        names = ("virtualAccountNo", "referenceNo", "partnerReferenceNo")
        keys: dict[str, str | None] = {}
        for name in names:
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                return reject(400, "01", f"{name} must be a string", name)
            keys[name] = value or None
        if not any(keys.values()):
            return reject(
                400,
                "02",
                "pass virtualAccountNo, referenceNo or partnerReferenceNo",
                "virtualAccountNo",
            )
        try:
            summary, notice = emulator.state.pay(
                now=emulator.clock.now(),
                virtual_account_no=keys["virtualAccountNo"],
                reference_no=keys["referenceNo"],
                partner_reference_no=keys["partnerReferenceNo"],
            )
        except LookupError as err:
            return reject(404, "01", str(err))
        except ValueError as err:
            return reject(409, "00", str(err))
        result: dict[str, Any] = {"paid": summary}
        if notice is not None:
            delivery = await emulator.notifier.send(notice)
            result["notification"] = delivery.to_dict()
        return reply(result)

    async def notify_url(request: Request) -> Response:
        if request.method == "POST":
            body = await read_json(request)
            if isinstance(body, Response):
                return body
            changes: dict[str, str | None] = {}
            for name in ("url", "payoutUrl"):
                if name not in body:
                    continue
                url = body[name]
                if url is not None and not (
                    isinstance(url, str) and url.startswith(("http://", "https://"))
                ):
                    return reject(400, "01", f"{name} must be an http(s) URL or null", name)
                changes[name] = url
            if "url" in changes:
                emulator.notifier.notify_url = changes["url"]
            if "payoutUrl" in changes:
                emulator.notifier.payout_url = changes["payoutUrl"]
        return reply(
            {
                "url": emulator.notifier.notify_url,
                "payoutUrl": emulator.notifier.payout_notify_url,
            }
        )

    routes: list[BaseRoute] = [
        Route(f"{ADMIN_PREFIX}/credentials", guarded(credentials, token=False), methods=["GET"])
    ]
    if emulator.config.admin:
        routes += [
            Route(f"{ADMIN_PREFIX}/state", guarded(state), methods=["GET"]),
            Route(f"{ADMIN_PREFIX}/pay", guarded(pay), methods=["POST"]),
            Route(f"{ADMIN_PREFIX}/notify-url", guarded(notify_url), methods=["GET", "POST"]),
        ]
    return routes
