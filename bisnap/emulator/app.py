"""The emulator's ASGI app (Starlette): a Midtrans-like SNAP provider that checks what
Midtrans checks and answers with the codes Midtrans answers.

Every service call goes through the same checks, in this order, each with its SNAP code
(`xx` = the endpoint's service code from the catalogue):

```
body over max_body (declared or streamed)     413xx00 (before the body is read whole)
X-TIMESTAMP missing / not a timestamp         400xx02 / 400xx01
Authorization missing                          401xx03 Token Not Found (B2B)
bearer token garbled, foreign or expired       401xx01 Invalid Token (B2B)
X-SIGNATURE, X-PARTNER-ID, X-EXTERNAL-ID,
  CHANNEL-ID missing                           400xx02 Invalid Mandatory Field {header}
X-PARTNER-ID not the registered partner        401xx00 Unauthorized. Unknown Partner
body not JSON, not an object, too deep         400xx00 Bad Request
HMAC signature over the bytes received         401xx00 Unauthorized. Signature
                                                 (+ "bisnapDiagnostic", emulator only)
customer token (B2B2C endpoints)               401xx04 missing / 401xx02 unknown
required body fields (catalogue)               400xx02 Invalid Mandatory Field {field}
  ... not a string                             400xx01 Invalid Field Format {field}
X-EXTERNAL-ID reused the same day              409xx00 Conflict (payment APIs replay)
```

Every rejection carries a `referenceNo` debug id. The product handlers live in
`bisnap.emulator.handlers`; answers are written by `bisnap.emulator.respond`.

The access-token endpoint checks X-TIMESTAMP, X-CLIENT-KEY and the SHA256withRSA signature
against the registered partner key (`4017300 Unauthorized. Signature`) and mints an RS256
JWT. Admin routes under `/_emulator/` (`bisnap.emulator.admin`: loopback callers with the
admin token only) simulate the customer (`pay`), show the state and the public
credentials, and register the merchant's notification URLs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets as _random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

from bisnap.catalogue import ACCESS_TOKEN_B2B, CATALOGUE, Endpoint
from bisnap.clock import Clock, SystemClock
from bisnap.emulator.admin import ADMIN_PREFIX, ADMIN_TOKEN_HEADER, admin_routes
from bisnap.emulator.credentials import EmulatorCredentials
from bisnap.emulator.diagnostics import DIAGNOSTIC_FIELD, diagnose_service, diagnose_token
from bisnap.emulator.jsonio import (
    DEFAULT_MAX_BODY,
    BodyTooLarge,
    NotAnObject,
    parse_object,
    read_body,
)
from bisnap.emulator.notify import NotificationSender, Sleep
from bisnap.emulator.records import text_field
from bisnap.emulator.respond import Responder
from bisnap.emulator.state import CallContext, EmulatorState, Notice, Outcome, get_field
from bisnap.emulator.tokens import DEFAULT_TOKEN_TTL, MAX_TOKEN_TTL, TokenIssuer, TokenRejected
from bisnap.errors import (
    BisnapError,
    BodyNotJSONError,
    ConfigurationError,
    SignatureFormatError,
    SignatureMismatchError,
    TimestampFormatError,
)
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
from bisnap.secrets import Secret, reveal
from bisnap.signing import verify_access_token, verify_service
from bisnap.timestamps import parse_timestamp

__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_TOKEN_HEADER",
    "DIAGNOSTIC_FIELD",
    "Emulator",
    "EmulatorConfig",
    "create_app",
]

_log = logging.getLogger("bisnap.emulator")

_SERVICE_HEADERS = (X_SIGNATURE, X_PARTNER_ID, X_EXTERNAL_ID, CHANNEL_ID)
# Containers among the catalogue's required fields; every other one is a string.
_CONTAINER_FIELDS = frozenset({"payOptionDetails"})
# What a handler may raise on a field of an unexpected type or size: answered 400xx01.
_FIELD_ERRORS = (TypeError, ValueError, AttributeError, KeyError, IndexError, ArithmeticError)


@dataclass
class EmulatorConfig:
    """How to build an `Emulator`. Everything has a default, so `EmulatorConfig()` works.

    `credentials` default to a generated demo set; `clock` to the system clock;
    `notify_url` is the merchant's URL prefix; `payout_notify_url` where Payouts
    notifications go (none are sent without it); `notify_client` an
    optional `httpx.AsyncClient` for notifications (tests pass one on
    `httpx.ASGITransport`); `retry_time_scale` compresses the retry schedule; `sleep`
    replaces `asyncio.sleep` between retries; `diagnostics=False` leaves out
    `bisnapDiagnostic`. `max_body` limits request bodies (bytes; 413 above it). `admin=False`
    leaves out the admin routes that change or show state; `admin_token` is the token they
    need (default: generated). `iris_merchant_key` signs Payouts notifications
    (`Iris-Signature`; default: generated).
    """

    credentials: EmulatorCredentials | None = None
    clock: Clock = field(default_factory=SystemClock)
    token_ttl: timedelta = DEFAULT_TOKEN_TTL
    notify_url: str | None = None
    payout_notify_url: str | None = None
    notify_client: httpx.AsyncClient | None = None
    retry_time_scale: float = 1.0
    sleep: Sleep | None = None
    balance: Decimal = Decimal("1000000000.00")
    diagnostics: bool = True
    max_body: int = DEFAULT_MAX_BODY
    admin: bool = True
    admin_token: str | Secret | None = field(default=None, repr=False)
    iris_merchant_key: str | Secret | None = field(default=None, repr=False)


#: The largest `max_body` the emulator accepts (64 MiB).
MAX_BODY_LIMIT = 64 * 1024 * 1024


def _check_config(config: EmulatorConfig) -> None:
    limit = config.max_body
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_BODY_LIMIT:
        raise ConfigurationError(
            f"max_body {limit!r} is not a byte count between 1 and {MAX_BODY_LIMIT}",
            hint="The default is 1 MiB (1048576); SNAP bodies are a few KB.",
        )
    if config.token_ttl > MAX_TOKEN_TTL or config.token_ttl < timedelta(seconds=1):
        raise ConfigurationError(
            f"token_ttl {config.token_ttl} is not between 1 second and {MAX_TOKEN_TTL}",
            hint="Midtrans's tokens live 900 seconds.",
        )
    scale = config.retry_time_scale
    if not (isinstance(scale, int | float) and 0 <= scale <= 1000):
        raise ConfigurationError(
            f"retry_time_scale {scale!r} is not between 0 and 1000",
            hint="1 keeps Midtrans's minutes; 1/60 turns them into seconds.",
        )


class Emulator:
    """Credentials, clock, state, token issuer and notification sender of one emulator.

    `Emulator(EmulatorConfig(...))`, then `create_app(emulator)` (or `emulator.app`).
    `admin_token` / `admin_headers()` are what the admin routes need.

    Raises:
        ConfigurationError: a setting is out of range (`max_body`, `token_ttl`,
            `retry_time_scale`).
    """

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        config = config or EmulatorConfig()
        _check_config(config)
        self.config = config
        self.credentials = config.credentials or EmulatorCredentials.generate()
        self.clock = config.clock
        self.state = EmulatorState(balance=config.balance, merchant_id=self.credentials.merchant_id)
        self._admin_token = Secret(
            reveal(config.admin_token) if config.admin_token else _random.token_urlsafe(24)
        )
        self.iris_merchant_key = Secret(
            reveal(config.iris_merchant_key)
            if config.iris_merchant_key
            else "IRIS-merchant-" + _random.token_hex(16)
        )
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
            payout_url=config.payout_notify_url,
            iris_merchant_key=self.iris_merchant_key,
            http_client=config.notify_client,
            time_scale=config.retry_time_scale,
            sleep=config.sleep,
        )
        self._background: set[asyncio.Task[Any]] = set()
        self._app: Starlette | None = None

    @property
    def admin_token(self) -> str:
        """The token the admin routes need (printed by `bisnap serve` at start)."""
        return self._admin_token.reveal()

    def admin_headers(self) -> dict[str, str]:
        """`{"X-Emulator-Admin-Token": token}`: pass to the admin routes (or set on a client)."""
        return {ADMIN_TOKEN_HEADER: self.admin_token}

    @property
    def app(self) -> Starlette:
        """The ASGI app (built once)."""
        if self._app is None:
            self._app = create_app(self)
        return self._app

    def spawn(self, notice: Notice) -> None:
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


def _check_fields(endpoint: Endpoint, body: dict[str, Any]) -> Outcome | None:
    """The 400 for the first required field that is missing or not a string, else None."""
    # SNAP: required fields from the catalogue → 400xx02 Invalid Mandatory Field, a value of
    # the wrong type → 400xx01 Invalid Field Format (snap-standard.md §2.1).
    for name in endpoint.required_fields:
        value = get_field(body, name)
        if value is None or value == "" or value == [] or value == {}:
            return Outcome(400, "02", detail=name)
        if not isinstance(value, str) and name not in _CONTAINER_FIELDS:
            return Outcome(400, "01", detail=name)
    for group in endpoint.one_of:
        present = [name for name in group if get_field(body, name) not in (None, "")]
        if not present:
            return Outcome(400, "02", detail=group[0])
        for name in present:
            if text_field(body, name) is None:
                return Outcome(400, "01", detail=name)
    return None


class _HeaderMap:
    """The request's headers read once into a dict (first value of each name wins, as in
    Starlette); lookups by any case. Starlette's `Headers` scans the list on every get."""

    __slots__ = ("_map",)

    def __init__(self, request: Request) -> None:
        found: dict[str, str] = {}
        for key, value in request.scope["headers"]:
            name = key.decode("latin-1").lower()
            if name not in found:
                found[name] = value.decode("latin-1")
        self._map = found

    def get(self, name: str) -> str | None:
        return self._map.get(name.lower())

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]


def _signed_path(request: Request) -> str:
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if isinstance(raw, bytes) else request.url.path
    query = request.scope.get("query_string", b"")
    if query and "?" not in path:
        path = f"{path}?{query.decode('latin-1')}"
    return path


# --- handlers -----------------------------------------------------------------------------

_Handler = Callable[[Request], Awaitable[Response]]


async def _read_request(
    request: Request, out: Responder, svc: str, limit: int
) -> tuple[bytes, _HeaderMap, str] | Response:
    """The body, headers and X-TIMESTAMP of a request, or the answer that refuses it."""
    try:
        raw = await read_body(request, limit)
    except BodyTooLarge:
        return out.too_large(svc, limit)
    headers = _HeaderMap(request)
    # SNAP: X-TIMESTAMP is mandatory and yyyy-MM-ddTHH:mm:ssTZD (snap-standard.md §1.3).
    timestamp = headers.get(X_TIMESTAMP)
    if not timestamp:
        return out.fail(svc, 400, "02", X_TIMESTAMP)
    try:
        parse_timestamp(timestamp)
    except TimestampFormatError:
        return out.fail(svc, 400, "01", X_TIMESTAMP)
    return raw, headers, timestamp


_Checked = Callable[[Request, bytes, _HeaderMap, str], Awaitable[Response]]


def _read_first(out: Responder, svc: str, limit: int) -> Callable[[_Checked], _Handler]:
    """Decorator: the handler gets the body, headers and X-TIMESTAMP `_read_request` read
    (a request it refuses is answered without calling the handler)."""

    def decorate(handle: _Checked) -> _Handler:
        async def handler(request: Request) -> Response:
            read = await _read_request(request, out, svc, limit)
            if isinstance(read, Response):
                return read
            return await handle(request, *read)

        return handler

    return decorate


def _token_handler(emulator: Emulator, out: Responder) -> _Handler:
    svc = ACCESS_TOKEN_B2B.service_code
    creds = emulator.credentials

    @_read_first(out, svc, emulator.config.max_body)
    async def access_token(
        request: Request, raw: bytes, headers: _HeaderMap, timestamp: str
    ) -> Response:
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
                diagnostic = diagnose_token(creds, client_key, timestamp, signature)
            return out.answer(
                svc,
                Outcome(401, "00", detail="Signature"),
                extra_headers=extra,
                diagnostic=diagnostic,
            )
        try:
            body = parse_object(raw, empty={})
        except NotAnObject:
            return out.fail(svc, 400, "00")
        # SNAP: the docs send grantType, Midtrans's libraries grant_type and staging accepts
        # both (midtrans-core.md §3.1).
        grant = body.get("grantType", body.get("grant_type"))
        if grant is None or grant == "":
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


def _service_handler(emulator: Emulator, out: Responder, endpoint: Endpoint) -> _Handler:
    svc = endpoint.service_code
    creds = emulator.credentials
    secret = creds.client_secret
    needs_customer = endpoint.customer_token and not endpoint.customer_token_optional
    takes_customer = endpoint.customer_token or endpoint.customer_token_optional

    @_read_first(out, svc, emulator.config.max_body)
    async def service(
        request: Request, raw: bytes, headers: _HeaderMap, timestamp: str
    ) -> Response:
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
                diagnostic = diagnose_service(
                    creds,
                    method=request.method,
                    path=path,
                    body=raw,
                    timestamp=timestamp,
                    token=token,
                    signature=signature,
                )
            return out.answer(svc, Outcome(401, "00", detail="Signature"), diagnostic=diagnostic)
        except BisnapError:  # a path or header verify_service cannot even read
            return out.fail(svc, 400, "00")
        try:
            body = parse_object(raw, empty={})
        except NotAnObject:
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
        rejected = _check_fields(endpoint, body)
        if rejected is not None:
            return out.answer(svc, rejected)
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
        try:
            outcome = emulator.state.handle(endpoint.name, body, ctx)
        except _FIELD_ERRORS as err:
            # A field of a type or size no handler expected: the request's fault.
            _log.info("%s: field rejected (%s)", endpoint.name, type(err).__name__)
            outcome = Outcome(400, "01")
        emulator.state.remember(ctx, outcome)
        for notice in outcome.notices:
            emulator.spawn(notice)
        return out.answer(svc, outcome)

    return service


def _redirect_ok(url: str) -> bool:
    """An absolute http(s) URL with a host: nothing else is redirected to."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return False
    return not any(ord(c) < 0x21 or c == "\\" for c in url)


def _auth_code_handler(emulator: Emulator, out: Responder, endpoint: Endpoint) -> _Handler:
    svc = endpoint.service_code

    async def get_auth_code(request: Request) -> Response:
        # SNAP: Get Auth Code is a GET whose signed headers are deprecated; it answers 302
        # to the redirect URL with authCode and state (midtrans-core.md §4.5).
        params = dict(request.query_params)
        for name in endpoint.required_fields:
            if not params.get(name):
                return out.fail(svc, 400, "02", name)
        redirect = params["redirectUrl"]
        if not _redirect_ok(redirect):
            return out.fail(svc, 400, "01", "redirectUrl")
        if len(params["state"]) > 32:
            return out.fail(svc, 400, "01", "state")
        query = urlencode(
            {"authCode": _random.token_urlsafe(16), "state": params["state"], "success": "true"}
        )
        joiner = "&" if "?" in redirect else "?"
        return RedirectResponse(f"{redirect}{joiner}{query}", status_code=302)

    return get_auth_code


class _ExactRouter(Router):
    """Starlette's router with a dict lookup for fixed paths (every emulator route is one).

    Starlette tries each of ~35 routes' regular expressions in turn; here the path finds
    its route at once, and anything else (405, 404, slash redirects, routes with
    parameters) goes through Starlette's own matching unchanged.
    """

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        super().__init__(routes=list(routes))
        self._exact: dict[str, list[Route]] | None = {}
        for route in routes:
            if not isinstance(route, Route) or "{" in route.path:
                self._exact = None  # a parameter route could come first: keep the order
                break
            self._exact.setdefault(route.path, []).append(route)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._exact is not None and scope["type"] == "http" and not scope.get("root_path"):
            for route in self._exact.get(scope["path"], ()):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def create_app(
    emulator: Emulator | EmulatorConfig | None = None,
    *,
    extra_routes: Sequence[BaseRoute] | Iterable[BaseRoute] = (),
) -> Starlette:
    """Build the emulator's Starlette app.

    `emulator` is an `Emulator`, an `EmulatorConfig` (an `Emulator` is built from it), or
    None (defaults: generated credentials, system clock). The `Emulator` is on
    `app.state.emulator` (its `admin_token` / `admin_headers()` open the admin routes).
    `extra_routes` are added first (benchmarks add a baseline route).

    ```python
    import httpx
    from bisnap.emulator import Emulator, create_app

    emulator = Emulator()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(create_app(emulator)),
                               base_url="http://emulator", headers=emulator.admin_headers())
    ```

    Raises:
        ConfigurationError: a setting of the `EmulatorConfig` is out of range.
    """
    if not isinstance(emulator, Emulator):
        emulator = Emulator(emulator)
    out = Responder(emulator.clock)
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
    routes.extend(admin_routes(emulator, out, max_body=emulator.config.max_body))
    app = Starlette()
    app.router = _ExactRouter(routes)
    app.state.emulator = emulator
    app.state.admin_token = emulator.admin_token
    emulator._app = app
    return app
