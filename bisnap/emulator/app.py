"""The emulator's ASGI app (Starlette): a Midtrans-like SNAP provider that checks what
Midtrans checks and answers with the codes Midtrans answers.

Every service call goes through the same checks, in this order, each with its SNAP code
(`xx` = the endpoint's service code from the catalogue):

```
X-TIMESTAMP missing / not a timestamp         400xx02 / 400xx01
Authorization missing                          401xx03 Token Not Found (B2B)
bearer token garbled, foreign or expired       401xx01 Invalid Token (B2B)
X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID,
  CHANNEL-ID missing                           400xx02 Invalid Mandatory Field {header}
X-PARTNER-ID not the registered partner        401xx00 Unauthorized. Unknown Partner
body not JSON                                  400xx00 Bad Request
HMAC signature over the bytes received         401xx00 Unauthorized. Signature
                                                 (+ "bisnapDiagnostic", emulator only)
customer token (B2B2C endpoints)               401xx04 missing / 401xx02 unknown
required body fields (catalogue)               400xx02 Invalid Mandatory Field {field}
X-EXTERNAL-ID reused the same day              409xx00 Conflict (payment APIs replay)
```

The access-token endpoint checks X-TIMESTAMP, X-CLIENT-KEY and the SHA256withRSA signature
against the registered partner key (`4017300 Unauthorized. Signature`) and mints an RS256
JWT. Admin routes under `/_emulator/` simulate the customer (`pay`), show the state and
the public credentials, and register the merchant's notification URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets as _random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bisnap.catalogue import ACCESS_TOKEN_B2B, CATALOGUE, Endpoint
from bisnap.clock import Clock, SystemClock
from bisnap.emulator.credentials import EmulatorCredentials
from bisnap.emulator.notify import NotificationSender, Sleep
from bisnap.emulator.state import CallContext, EmulatorState, Outcome, PaymentNotice, get_field
from bisnap.emulator.tokens import DEFAULT_TOKEN_TTL, TokenIssuer, TokenRejected
from bisnap.errors import (
    BisnapError,
    BodyNotJSONError,
    SignatureFormatError,
    SignatureMismatchError,
    TimestampFormatError,
)
from bisnap.explain import explain_access_token, explain_service
from bisnap.headers import (
    AUTHORIZATION,
    AUTHORIZATION_CUSTOMER,
    CHANNEL_ID,
    X_CLIENT_KEY,
    X_DEVICE_ID,
    X_EXTERNAL_ID,
    X_PARTNER_ID,
    X_SIGNATURE,
    X_TIMESTAMP,
)
from bisnap.responses import CASE_MESSAGES
from bisnap.secrets import mask
from bisnap.signing import verify_access_token, verify_service
from bisnap.timestamps import format_timestamp, parse_timestamp

__all__ = ["ADMIN_PREFIX", "DIAGNOSTIC_FIELD", "Emulator", "EmulatorConfig", "create_app"]

_log = logging.getLogger("bisnap.emulator")

#: Where the admin routes live.
ADMIN_PREFIX = "/_emulator"
#: The emulator-only field added to a `401xx00` signature rejection.
DIAGNOSTIC_FIELD = "bisnapDiagnostic"

_JSON = "application/json"
_SERVICE_HEADERS = (X_SIGNATURE, X_PARTNER_ID, X_EXTERNAL_ID, CHANNEL_ID)


@dataclass
class EmulatorConfig:
    """How to build an `Emulator`. Everything has a default, so `EmulatorConfig()` works.

    `credentials` default to a generated demo set; `clock` to the system clock;
    `notify_url` is the merchant's URL prefix; `notify_client` an optional
    `httpx.AsyncClient` for notifications (tests pass one on `httpx.ASGITransport`);
    `retry_time_scale` compresses the retry schedule; `sleep` replaces `asyncio.sleep`
    between retries; `diagnostics=False` leaves out `bisnapDiagnostic`.
    """

    credentials: EmulatorCredentials | None = None
    clock: Clock = field(default_factory=SystemClock)
    token_ttl: timedelta = DEFAULT_TOKEN_TTL
    notify_url: str | None = None
    notify_client: httpx.AsyncClient | None = None
    retry_time_scale: float = 1.0
    sleep: Sleep | None = None
    balance: Decimal = Decimal("1000000000.00")
    diagnostics: bool = True


class Emulator:
    """Credentials, clock, state, token issuer and notification sender of one emulator.

    `Emulator(EmulatorConfig(...))`, then `create_app(emulator)` (or `emulator.app`).
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        config = config or EmulatorConfig()
        self.config = config
        self.credentials = config.credentials or EmulatorCredentials.generate()
        self.clock = config.clock
        self.state = EmulatorState(balance=config.balance)
        self.tokens = TokenIssuer(
            private_key=self.credentials.provider_private_key,
            client_key=self.credentials.client_key,
            clock=self.clock,
            ttl=config.token_ttl,
        )
        self.notifier = NotificationSender(
            private_key=self.credentials.provider_private_key,
            partner_id=self.credentials.partner_id,
            clock=self.clock,
            notify_url=config.notify_url,
            http_client=config.notify_client,
            time_scale=config.retry_time_scale,
            sleep=config.sleep,
        )
        self._background: set[asyncio.Task[Any]] = set()
        self._app: Starlette | None = None

    @property
    def app(self) -> Starlette:
        """The ASGI app (built once)."""
        if self._app is None:
            self._app = create_app(self)
        return self._app

    def spawn(self, notice: PaymentNotice) -> None:
        """Send a notification in the background of the running loop."""
        task = asyncio.get_running_loop().create_task(self.notifier.send(notice))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background notifications and their retries."""
        while self._background:
            await asyncio.gather(*list(self._background))
        await self.notifier.drain()

    def __repr__(self) -> str:
        return f"Emulator({self.credentials!r}, clock={self.clock!r})"


# --- responses ------------------------------------------------------------------------------


def _message(status: int, case: str, detail: str | None) -> str:
    base = CASE_MESSAGES.get((status, case), "Error")
    if status == 200:
        return "Successful"
    if detail is None:
        return base
    if status == 401 and case == "00":
        # SNAP: Midtrans answers "Unauthorized. Signature" (midtrans-core.md §3.1, §4.2).
        return f"{base}. {detail}"
    if status == 409:
        return base
    return f"{base} {detail}"


def _dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class _Responder:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        # SNAP: response headers Content-Type and X-TIMESTAMP (snap-standard.md §1.3).
        headers = {X_TIMESTAMP: format_timestamp(self.emulator.clock.now())}
        if extra:
            headers.update(extra)
        return headers

    def answer(
        self,
        service_code: str,
        outcome: Outcome,
        *,
        extra_headers: dict[str, str] | None = None,
        diagnostic: dict[str, Any] | None = None,
    ) -> Response:
        code = f"{outcome.status}{service_code}{outcome.case}"
        payload: dict[str, Any] = {
            "responseCode": code,
            "responseMessage": _message(outcome.status, outcome.case, outcome.detail),
        }
        payload.update(outcome.body)
        if diagnostic is not None:
            payload[DIAGNOSTIC_FIELD] = diagnostic
        return Response(
            _dumps(payload),
            status_code=outcome.status,
            headers=self.headers(extra_headers),
            media_type=_JSON,
        )

    def fail(
        self, service_code: str, status: int, case: str, detail: str | None = None
    ) -> Response:
        return self.answer(service_code, Outcome(status=status, case=case, detail=detail))


def _diagnostic_service(
    emulator: Emulator,
    *,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    token: str,
    signature: str,
) -> dict[str, Any]:
    """`explain_service` of a rejected call, reduced to what is safe to send back."""
    try:
        result = explain_service(
            method=method,
            path=path,
            body=body,
            timestamp=timestamp,
            access_token=token,
            client_secret=emulator.credentials.client_secret,
            signature=signature,
        )
    except BisnapError as err:
        return {"mismatchAt": "signature", "mistakes": [], "hint": f"{err} {err.hint}".strip()}
    data = result.to_dict()
    out: dict[str, Any] = {
        "mismatchAt": data["mismatchAt"],
        "mistakes": data["mistakes"],
        "hint": data["hint"],
        # The provider's stages, token masked; never the expected signature or the secret.
        "expected": {
            "bodySha256": data.get("bodySha256"),
            "stringToSign": data.get("stringToSign"),
        },
    }
    sender = data.get("sender")
    if isinstance(sender, dict):
        out["sender"] = {k: sender.get(k) for k in ("bodySha256", "stringToSign") if k in sender}
    scrubbed: dict[str, Any] = _scrub(out, token, emulator.credentials.client_secret.reveal())
    return scrubbed


def _scrub(value: Any, token: str, secret: str) -> Any:
    """Belt and braces: no token or secret text survives in a diagnostic."""
    if isinstance(value, str):
        return value.replace(token, mask(token)).replace(secret, mask(secret))
    if isinstance(value, dict):
        return {k: _scrub(v, token, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, token, secret) for v in value]
    return value


def _missing_field(endpoint: Endpoint, body: dict[str, Any]) -> str | None:
    # SNAP: required fields from the catalogue → 400xx02 Invalid Mandatory Field
    # (snap-standard.md §2.1).
    for name in endpoint.required_fields:
        value = get_field(body, name)
        if value is None or value == "" or value == [] or value == {}:
            return name
    for group in endpoint.one_of:
        if not any(get_field(body, name) not in (None, "") for name in group):
            return group[0]
    return None


def _signed_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    query = request.scope.get("query_string", b"")
    if query and "?" not in path:
        path = f"{path}?{query.decode('latin-1')}"
    return path


# --- handlers -----------------------------------------------------------------------------


def _token_handler(emulator: Emulator, out: _Responder) -> Callable[[Request], Awaitable[Response]]:
    svc = ACCESS_TOKEN_B2B.service_code
    creds = emulator.credentials

    async def access_token(request: Request) -> Response:
        raw = await request.body()
        headers = request.headers
        timestamp = headers.get(X_TIMESTAMP)
        if not timestamp:
            return out.fail(svc, 400, "02", X_TIMESTAMP)
        try:
            parse_timestamp(timestamp)
        except TimestampFormatError:
            return out.fail(svc, 400, "01", X_TIMESTAMP)
        client_key = headers.get(X_CLIENT_KEY)
        if not client_key:
            return out.fail(svc, 400, "02", X_CLIENT_KEY)
        signature = headers.get(X_SIGNATURE)
        if not signature:
            return out.fail(svc, 400, "02", X_SIGNATURE)
        extra = {X_CLIENT_KEY: client_key}
        if client_key != creds.client_key:
            return out.answer(svc, Outcome(401, "00", detail="Unknown Client"), extra_headers=extra)
        try:
            # SNAP: the token request is signed SHA256withRSA over clientKey|X-TIMESTAMP with
            # the partner's registered key (snap-standard.md §1.2; midtrans-core.md §3.1).
            verify_access_token(
                client_key=client_key,
                timestamp=timestamp,
                signature=signature,
                public_key=creds.partner_public_key,
            )
        except (SignatureMismatchError, SignatureFormatError):
            diagnostic = None
            if emulator.config.diagnostics:
                diagnostic = _diagnostic_token(emulator, client_key, timestamp, signature)
            return out.answer(
                svc,
                Outcome(401, "00", detail="Signature"),
                extra_headers=extra,
                diagnostic=diagnostic,
            )
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return out.fail(svc, 400, "00")
        if not isinstance(body, dict):
            return out.fail(svc, 400, "00")
        # SNAP: the docs send grantType, Midtrans's libraries grant_type and staging accepts
        # both (midtrans-core.md §3.1).
        grant = body.get("grantType", body.get("grant_type"))
        if not grant:
            return out.fail(svc, 400, "02", "grantType")
        if grant != "client_credentials":
            return out.fail(svc, 400, "01", "grantType")
        issued = emulator.tokens.mint()
        outcome = Outcome(
            body={
                "accessToken": issued.value,
                "tokenType": "Bearer",
                "expiresIn": str(issued.expires_in),
            }
        )
        return out.answer(svc, outcome, extra_headers=extra)

    return access_token


def _diagnostic_token(
    emulator: Emulator, client_key: str, timestamp: str, signature: str
) -> dict[str, Any]:
    try:
        result = explain_access_token(
            client_key=client_key,
            timestamp=timestamp,
            signature=signature,
            public_key=emulator.credentials.partner_public_key,
        )
    except BisnapError as err:
        return {"mismatchAt": "signature", "mistakes": [], "hint": f"{err} {err.hint}".strip()}
    data = result.to_dict()
    return {
        "mismatchAt": data["mismatchAt"],
        "mistakes": data["mistakes"],
        "hint": data["hint"],
        "expected": {"stringToSign": data.get("stringToSign")},
        "keyFingerprint": data.get("keyFingerprint"),
    }


def _service_handler(
    emulator: Emulator, out: _Responder, endpoint: Endpoint
) -> Callable[[Request], Awaitable[Response]]:
    svc = endpoint.service_code
    creds = emulator.credentials
    secret = creds.client_secret
    needs_customer = endpoint.customer_token and not endpoint.customer_token_optional
    takes_customer = endpoint.customer_token or endpoint.customer_token_optional

    async def service(request: Request) -> Response:
        raw = await request.body()
        headers = request.headers
        # SNAP: X-TIMESTAMP is mandatory and yyyy-MM-ddTHH:mm:ssTZD (snap-standard.md §1.3).
        timestamp = headers.get(X_TIMESTAMP)
        if not timestamp:
            return out.fail(svc, 400, "02", X_TIMESTAMP)
        try:
            parse_timestamp(timestamp)
        except TimestampFormatError:
            return out.fail(svc, 400, "01", X_TIMESTAMP)
        # SNAP: 401xx03 Token Not Found (B2B) when no token is presented, 401xx01 Invalid
        # Token (B2B) for an unknown, garbled or expired one (snap-standard.md §2.1).
        authorization = headers.get(AUTHORIZATION)
        if not authorization:
            return out.fail(svc, 401, "03")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return out.fail(svc, 401, "01")
        try:
            emulator.tokens.check(token)
        except TokenRejected:
            return out.fail(svc, 401, "01")
        for name in _SERVICE_HEADERS:
            if not headers.get(name):
                return out.fail(svc, 400, "02", name)
        partner_id = headers[X_PARTNER_ID]
        if partner_id != creds.partner_id:
            return out.fail(svc, 401, "00", "Unknown Partner")
        signature = headers[X_SIGNATURE]
        path = _signed_path(request)
        try:
            # SNAP: HMAC-SHA512 over the bytes received (snap-standard.md §1.2).
            verify_service(
                method=request.method,
                path=path,
                body=raw,
                timestamp=timestamp,
                access_token=token,
                client_secret=secret,
                signature=signature,
            )
        except BodyNotJSONError:
            return out.fail(svc, 400, "00")
        except (SignatureMismatchError, SignatureFormatError):
            diagnostic = None
            if emulator.config.diagnostics:
                diagnostic = _diagnostic_service(
                    emulator,
                    method=request.method,
                    path=path,
                    body=raw,
                    timestamp=timestamp,
                    token=token,
                    signature=signature,
                )
            return out.answer(svc, Outcome(401, "00", detail="Signature"), diagnostic=diagnostic)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return out.fail(svc, 400, "00")
        if not isinstance(body, dict):
            return out.fail(svc, 400, "00")
        customer = headers.get(AUTHORIZATION_CUSTOMER)
        customer_token = None
        if customer and takes_customer:
            customer_token = customer.partition(" ")[2].strip() or customer.strip()
            if customer_token not in emulator.state.bindings:
                return out.fail(svc, 401, "02")  # Invalid Customer Token
        elif needs_customer:
            return out.fail(svc, 401, "04")  # Customer Token Not Found
        if needs_customer and not headers.get(X_DEVICE_ID):
            return out.fail(svc, 400, "02", X_DEVICE_ID)
        missing = _missing_field(endpoint, body)
        if missing is not None:
            return out.fail(svc, 400, "02", missing)
        ctx = CallContext(
            partner_id=partner_id,
            external_id=headers[X_EXTERNAL_ID],
            now=emulator.clock.now(),
            customer_token=customer_token,
        )
        digest = hashlib.sha256(raw).hexdigest()
        earlier = emulator.state.claim_external_id(
            ctx, endpoint.name, digest, replay=endpoint.idempotent_replay
        )
        if earlier is not None:
            return out.answer(svc, earlier)
        outcome = emulator.state.handle(endpoint.name, body, ctx)
        emulator.state.remember(ctx, outcome)
        for notice in outcome.notices:
            emulator.spawn(notice)
        return out.answer(svc, outcome)

    return service


def _auth_code_handler(
    emulator: Emulator, out: _Responder, endpoint: Endpoint
) -> Callable[[Request], Awaitable[Response]]:
    async def get_auth_code(request: Request) -> Response:
        # SNAP: Get Auth Code is a GET whose signed headers are deprecated; it answers 302
        # to the redirect URL with authCode and state (midtrans-core.md §4.5).
        params = dict(request.query_params)
        for name in endpoint.required_fields:
            if not params.get(name):
                return out.fail(endpoint.service_code, 400, "02", name)
        query = urlencode(
            {"authCode": _random.token_urlsafe(16), "state": params["state"], "success": "true"}
        )
        joiner = "&" if "?" in params["redirectUrl"] else "?"
        return RedirectResponse(f"{params['redirectUrl']}{joiner}{query}", status_code=302)

    return get_auth_code


# --- admin ----------------------------------------------------------------------------------


def _admin_routes(emulator: Emulator, out: _Responder) -> list[BaseRoute]:
    def reply(payload: dict[str, Any], status: int = 200) -> Response:
        return Response(
            _dumps(payload), status_code=status, headers=out.headers(), media_type=_JSON
        )

    async def credentials(request: Request) -> Response:
        view = emulator.credentials.public_view()
        view["tokenTtlSeconds"] = int(emulator.tokens.ttl.total_seconds())
        return reply(view)

    async def state(request: Request) -> Response:
        snapshot = emulator.state.snapshot()
        snapshot["notifyUrl"] = emulator.notifier.notify_url
        snapshot["deliveries"] = [d.to_dict() for d in emulator.notifier.deliveries]
        return reply(snapshot)

    async def pay(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return reply({"error": "body is not JSON"}, 400)
        if not isinstance(body, dict):
            return reply({"error": "body must be a JSON object"}, 400)
        keys = {k: body.get(k) for k in ("virtualAccountNo", "referenceNo", "partnerReferenceNo")}
        if not any(keys.values()):
            return reply({"error": "pass virtualAccountNo, referenceNo or partnerReferenceNo"}, 400)
        try:
            summary, notice = emulator.state.pay(
                now=emulator.clock.now(),
                virtual_account_no=keys["virtualAccountNo"],
                reference_no=keys["referenceNo"],
                partner_reference_no=keys["partnerReferenceNo"],
            )
        except LookupError as err:
            return reply({"error": str(err)}, 404)
        except ValueError as err:
            return reply({"error": str(err)}, 409)
        result: dict[str, Any] = {"paid": summary}
        if notice is not None:
            delivery = await emulator.notifier.send(notice)
            result["notification"] = delivery.to_dict()
        return reply(result)

    async def notify_url(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                return reply({"error": "body is not JSON"}, 400)
            url = body.get("url") if isinstance(body, dict) else None
            if url is not None and not (
                isinstance(url, str) and url.startswith(("http://", "https://"))
            ):
                return reply({"error": "url must be an http(s) URL or null"}, 400)
            emulator.notifier.notify_url = url
        return reply({"url": emulator.notifier.notify_url})

    return [
        Route(f"{ADMIN_PREFIX}/credentials", credentials, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/state", state, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/pay", pay, methods=["POST"]),
        Route(f"{ADMIN_PREFIX}/notify-url", notify_url, methods=["GET", "POST"]),
    ]


def create_app(
    emulator: Emulator | EmulatorConfig | None = None,
    *,
    extra_routes: Sequence[BaseRoute] | Iterable[BaseRoute] = (),
) -> Starlette:
    """Build the emulator's Starlette app.

    `emulator` is an `Emulator`, an `EmulatorConfig` (an `Emulator` is built from it), or
    None (defaults: generated credentials, system clock). The `Emulator` is on
    `app.state.emulator`. `extra_routes` are added first (benchmarks add a baseline route).

    ```python
    import httpx
    from bisnap.emulator import Emulator, create_app

    emulator = Emulator()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(create_app(emulator)),
                               base_url="http://emulator")
    ```
    """
    if not isinstance(emulator, Emulator):
        emulator = Emulator(emulator)
    out = _Responder(emulator)
    routes: list[BaseRoute] = list(extra_routes)
    routes.append(Route(ACCESS_TOKEN_B2B.path, _token_handler(emulator, out), methods=["POST"]))
    for endpoint in CATALOGUE:
        if endpoint is ACCESS_TOKEN_B2B:
            continue
        if not endpoint.signed:
            handler = _auth_code_handler(emulator, out, endpoint)
        else:
            handler = _service_handler(emulator, out, endpoint)
        routes.append(Route(endpoint.path, handler, methods=[endpoint.method]))
    routes.extend(_admin_routes(emulator, out))
    app = Starlette(routes=routes)
    app.state.emulator = emulator
    emulator._app = app
    return app
