"""`SnapAuth`: sign SNAP requests made with your own `httpx.Client` or `httpx.AsyncClient`.

```python
auth = SnapAuth(client_secret=secret, token=provider, partner_id="G123", channel_id="95221")
with httpx.Client(base_url="https://merchants.sbx.midtrans.com", auth=auth) as http:
    http.post("/v1.0/transfer-va/status", content=body_bytes)
```

It signs `request.content` — the exact bytes httpx sends — over the path and query exactly as
on the wire (`request.url.raw_path`). On `401xx01`/`401xx03` (B2B token invalid or not
found) it invalidates the token, fetches a new one and re-sends once, re-signed.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Generator

import httpx

from bisnap.clock import Clock, SystemClock
from bisnap.errors import ApiError, ConfigurationError
from bisnap.headers import X_CLIENT_KEY, ExternalIdGenerator, get_header
from bisnap.http._flow import FLOW_END, FlowRun, GetToken, InvalidateToken
from bisnap.http.core import (
    AsyncTokenSource,
    SignedBody,
    Target,
    TokenSource,
    needs_token_refresh,
    parse_response,
    request_headers_for_auth,
    retry_mode,
    sign_attempt,
    signed_body,
)
from bisnap.profiles import MIDTRANS, ProviderProfile
from bisnap.secrets import AccessToken, Secret
from bisnap.timestamps import format_timestamp

__all__ = ["TRACE_EXTENSION", "SnapAuth"]

#: `request.extensions[TRACE_EXTENSION]` holds the `SignatureTrace` of the signed request.
TRACE_EXTENSION = "bisnap.trace"


_Step = httpx.Request | GetToken | InvalidateToken


class SnapAuth(httpx.Auth):
    """An `httpx.Auth` that adds SNAP's symmetric signature to every request.

    `token` is an `AccessToken`, a `TokenSource` (sync clients) or an `AsyncTokenSource`
    (async clients). Sets X-TIMESTAMP, X-SIGNATURE and Authorization; X-PARTNER-ID,
    CHANNEL-ID, X-EXTERNAL-ID (from `external_ids`) and Content-Type only when configured
    and absent. The trace is on `request.extensions["bisnap.trace"]`. A request carrying
    X-CLIENT-KEY (the access-token call) is sent as it is, so a `TokenProvider` can share
    the same `httpx.Client`.
    """

    requires_request_body = True
    requires_response_body = True

    def __init__(
        self,
        *,
        client_secret: str | Secret,
        token: AccessToken | TokenSource | AsyncTokenSource,
        partner_id: str | None = None,
        channel_id: str | None = None,
        external_ids: ExternalIdGenerator | None = None,
        clock: Clock | None = None,
        profile: ProviderProfile = MIDTRANS,
    ) -> None:
        self._secret = Secret(client_secret)
        self._token = token
        self._partner_id = partner_id
        self._channel_id = channel_id
        self._external_ids = external_ids
        self._clock = clock or SystemClock()
        self._profile = profile

    def signing_flow(self, request: httpx.Request) -> Generator[_Step, object, None]:
        """The one signing flow, shared by the sync and async drivers.

        Yields token steps (answered with a token or None) and requests (answered with the
        response). Sign → send → on a B2B token error: invalidate, fetch, re-sign, re-send.
        """
        if get_header(request.headers, X_CLIENT_KEY) is not None:
            # The access-token request (RSA-signed, X-CLIENT-KEY) passes through, so that a
            # TokenProvider may share this httpx client.
            yield request
            return
        # The body's stages are computed once; a re-send after a token refresh re-signs only.
        body = signed_body(
            request.method, request.url.raw_path.decode("ascii"), request.content, self._profile
        )
        token = _token((yield GetToken()))
        self._sign(request, body, token)
        response = yield request
        if isinstance(self._token, AccessToken) or not isinstance(response, httpx.Response):
            return
        if _is_token_error(request, response):
            yield InvalidateToken(token)
            token = _token((yield GetToken()))
            self._sign(request, body, token)
            yield request

    def _sign(self, request: httpx.Request, body: SignedBody, token: AccessToken) -> None:
        timestamp = format_timestamp(self._clock.now(), self._profile.timestamp_style)
        trace = sign_attempt(
            body,
            timestamp=timestamp,
            access_token=token,
            client_secret=self._secret,
            encoding=self._profile.signature_encoding,
        )
        external_id = None
        if self._external_ids is not None and get_header(request.headers, "X-EXTERNAL-ID") is None:
            external_id = self._external_ids.next()
        request.headers.update(
            request_headers_for_auth(
                request.headers,
                timestamp=timestamp,
                trace=trace,
                access_token=token,
                partner_id=self._partner_id,
                channel_id=self._channel_id,
                external_id=external_id,
                json_body=bool(request.content),
            )
        )
        request.extensions[TRACE_EXTENSION] = trace

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """Drive `signing_flow` for `httpx.Client` (sync token source)."""
        request.read()
        run = FlowRun(self.signing_flow(request))
        while (step := run.next_step()) is not FLOW_END:
            if isinstance(step, httpx.Request):
                response = yield step
                response.read()
                run.answer = response
            else:
                run.answer = self._sync_token_step(step)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Drive `signing_flow` for `httpx.AsyncClient` (async or sync token source)."""
        await request.aread()
        run = FlowRun(self.signing_flow(request))
        while (step := run.next_step()) is not FLOW_END:
            if isinstance(step, httpx.Request):
                response = yield step
                await response.aread()
                run.answer = response
            else:
                run.answer = await self._async_token_step(step)

    def _sync_token_step(self, step: GetToken | InvalidateToken) -> AccessToken | None:
        source = self._token
        if isinstance(source, AccessToken):
            return source
        if isinstance(step, InvalidateToken):
            result = source.invalidate(step.token)
            _refuse_awaitable(result)
            return None
        token = source.get()
        _refuse_awaitable(token)
        return _token(token)

    async def _async_token_step(self, step: GetToken | InvalidateToken) -> AccessToken | None:
        source = self._token
        if isinstance(source, AccessToken):
            return source
        if isinstance(step, InvalidateToken):
            result = source.invalidate(step.token)
            if inspect.isawaitable(result):
                await result
            return None
        token: object = source.get()
        if inspect.isawaitable(token):
            token = await token
        return _token(token)

    def __reduce__(self) -> tuple[object, ...]:
        raise ConfigurationError(
            "a SnapAuth cannot be pickled: it holds the client secret",
            hint="Build the SnapAuth in each process from its configuration.",
        )

    def __repr__(self) -> str:
        source = type(self._token).__name__
        return (
            f"SnapAuth(profile={self._profile.name!r}, partner_id={self._partner_id!r}, "
            f"channel_id={self._channel_id!r}, token={source}, client_secret='[secure]')"
        )


def _token(value: object) -> AccessToken:
    if not isinstance(value, AccessToken):
        raise ConfigurationError(
            f"the token source returned {type(value).__name__}, not an AccessToken",
            hint="A token source's get() returns bisnap.AccessToken.",
        )
    return value


def _refuse_awaitable(value: object) -> None:
    if inspect.isawaitable(value):
        close = getattr(value, "close", None)
        if callable(close):
            close()  # do not leave a never-awaited coroutine behind
        raise ConfigurationError(
            "an async token source was used with a sync httpx.Client",
            hint="Use AsyncTokenProvider with httpx.AsyncClient, TokenProvider with httpx.Client.",
        )


def _is_token_error(request: httpx.Request, response: httpx.Response) -> bool:
    target = Target(
        endpoint=None, method=request.method, url=request.url, signed=True, mode=retry_mode(None)
    )
    outcome = parse_response(
        target=target,
        status_code=response.status_code,
        headers=response.headers,
        content=response.content,
    )
    return isinstance(outcome, ApiError) and needs_token_refresh(outcome)
