"""`SnapClient` and `AsyncSnapClient`: one method per catalogue endpoint, signed and retried.

```python
with SnapClient(
    base_url="sandbox", client_key="G123-SNAP", private_key=pem, client_secret=secret,
    partner_id="G123", channel_id="95221",
) as snap:
    answer = snap.create_va({"partnerServiceId": "   70012", ...})
    print(answer.code, answer.body["virtualAccountData"]["virtualAccountNo"])
```

Both clients are thin shells over `bisnap.http.core`: build → send → parse → decide. The
retry rules are in `docs/retries.md`.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import anyio
import httpx

from bisnap._version import USER_AGENT
from bisnap.clock import Clock, SystemClock
from bisnap.errors import ApiError, CallError, ConfigurationError, TransportError
from bisnap.headers import ExternalIdGenerator, get_header, redact_headers
from bisnap.http._flow import (
    Answer,
    Flow,
    GetToken,
    InvalidateToken,
    Send,
    Sleep,
    adrive,
    drive,
)
from bisnap.http._send import asend, send
from bisnap.http.conveniences import AsyncConveniences, SyncConveniences
from bisnap.http.core import (
    AsyncTokenSource,
    Body,
    CustomerToken,
    PreparedRequest,
    RetryPolicy,
    SignedBody,
    SnapResponse,
    Target,
    TokenSource,
    next_step,
    parse_response,
    parse_retry_after,
    prepare,
    resolve_target,
    serialize_body,
    sign_body,
    status_check_body,
    status_target,
    status_verdict,
)
from bisnap.http.tokens import AsyncTokenProvider, TokenProvider
from bisnap.keys import PrivateKeyInput
from bisnap.profiles import MIDTRANS, Environment, ProviderProfile
from bisnap.secrets import AccessToken, Secret
from bisnap.settings import client_settings
from bisnap.timestamps import format_timestamp

__all__ = ["AsyncSnapClient", "SnapClient"]

logger = logging.getLogger("bisnap.http")

_DEFAULT_TIMEOUT = 30.0

TS = TypeVar("TS", TokenSource, AsyncTokenSource)  # the token source type
H = TypeVar("H", httpx.Client, httpx.AsyncClient)
W = TypeVar("W")  # what the injected sleep returns (None, or an awaitable)


class _Shared(ABC, Generic[TS, H, W]):
    """Configuration, the one call flow, and the constructor both shells share.

    A shell names its HTTP client, sleep and token provider types (the hooks below) and
    performs the flow's steps; everything else is here. `_call(name_or_target, body,
    external_id, customer_token, device_id, headers)` runs `_call_flow` in each shell.
    """

    #: Sends one `Send` step on the shell's httpx client (`send` or `asend`).
    _transport: Callable[[H, Send], Any]

    def __init__(
        self,
        *,
        base_url: str | Environment,
        client_key: str,
        client_secret: str | Secret,
        partner_id: str,
        channel_id: str,
        private_key: PrivateKeyInput | None = None,
        token_provider: TS | None = None,
        profile: ProviderProfile = MIDTRANS,
        app_base_url: str | None = None,
        clock: Clock | None = None,
        external_ids: ExternalIdGenerator | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], W] | None = None,
        http_client: H | None = None,
        origin: str | None = None,
        timeout: float = _DEFAULT_TIMEOUT,
        validate: bool = True,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
    ) -> None:
        env = _environment(profile, base_url)
        self._profile = profile
        self._base_url = env.base_url
        self._app_base_url = app_base_url or env.app_base_url
        self._client_key = client_key
        self._secret = Secret(client_secret)
        if not self._secret:
            raise ConfigurationError("client secret is empty", hint="Pass the client secret.")
        for label, value in (("partner ID", partner_id), ("channel ID", channel_id)):
            if not value:
                raise ConfigurationError(f"{label} is empty", hint=f"Pass the {label}.")
        self._partner_id = partner_id
        self._channel_id = channel_id
        self._clock = clock or SystemClock()
        self._ids = external_ids or profile.external_ids(clock=self._clock)
        self._retry = retry or RetryPolicy()
        self._origin = origin
        self._targets: dict[str, Target] = {}
        if http_client is not None and event_hooks is not None:
            raise ConfigurationError(
                "event_hooks are for the httpx client bisnap creates",
                hint="With http_client=, set event_hooks on your own httpx client.",
            )
        self._owns_http = http_client is None
        self._http: H = (
            http_client
            if http_client is not None
            else self._new_http(timeout, **_http_options(event_hooks))
        )
        # Typed calls: the pre-send check, the key that signs seamlessSign, and the
        # User-Agent added per call when the caller brought the httpx client.
        self._validate = validate
        self._seamless_key = private_key
        self._agent_per_call = http_client is not None
        self._sleep: Callable[[float], W] = sleep if sleep is not None else self._default_sleep()
        if token_provider is not None:
            self._tokens: TS = token_provider
            return
        self._tokens = self._new_tokens(
            base_url=self._base_url,
            client_key=client_key,
            private_key=_require_key(private_key, client_key),
            token_path=profile.token_path,
            clock=self._clock,
            http_client=self._http,
            sleep=self._sleep,
            grant_type_field=profile.grant_type_field,
            timestamp_style=profile.timestamp_style,
            retry=self._retry,
        )

    @abstractmethod
    def _new_http(self, timeout: float, **options: Any) -> H:
        """The HTTP client made when none is given (`options`: headers, event hooks)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> Self:
        """A client configured from the `BISNAP_*` variables the CLI reads.

        `env` defaults to `os.environ`; `options` are keyword arguments of the constructor
        and override what the environment says (see `bisnap.settings` for the names).

        Raises:
            ConfigurationError: a required variable is missing, a key path is not a file.
            KeyFormatError: BISNAP_PRIVATE_KEY is not an RSA private key.
        """
        return cls(**{**client_settings(env), **options})

    @abstractmethod
    def _default_sleep(self) -> Callable[[float], W]:
        """The sleep used when none is given."""

    @abstractmethod
    def _new_tokens(self, **options: Any) -> TS:
        """The token provider made when none is given (sharing the HTTP client)."""

    @property
    def profile(self) -> ProviderProfile:
        """The provider profile in use."""
        return self._profile

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._base_url

    def _target(self, name: str | Target) -> Target:
        if isinstance(name, Target):
            return name
        target = self._targets.get(name)
        if target is None:
            target = resolve_target(
                profile=self._profile,
                base_url=self._base_url,
                app_base_url=self._app_base_url,
                name=name,
            )
            self._targets[name] = target
        return target

    def _action(self, step: object) -> Callable[[], Any]:
        """The call that performs one flow step (its result is awaited by the async shell)."""
        if isinstance(step, Send):
            return partial(self._transport, self._http, step)
        if isinstance(step, GetToken):
            return self._tokens.get
        if isinstance(step, InvalidateToken):
            return partial(self._tokens.invalidate, step.token)
        if isinstance(step, Sleep):
            return partial(self._sleep, step.seconds)
        raise TypeError(f"unknown flow step {step!r}")

    def _generic_target(self, method: str, path: str) -> Target:
        return resolve_target(
            profile=self._profile, base_url=self._base_url, method=method, path=path
        )

    def _prepare(
        self,
        target: Target,
        body: SignedBody,
        *,
        token: AccessToken | None,
        external_id: str,
        attempt: int,
        customer_token: CustomerToken | None,
        device_id: str | None,
        headers: Mapping[str, str] | None,
    ) -> PreparedRequest:
        prepared = prepare(
            target,
            body,
            profile=self._profile,
            timestamp=format_timestamp(self._clock.now(), self._profile.timestamp_style),
            access_token=token,
            client_secret=self._secret,
            partner_id=self._partner_id,
            channel_id=self._channel_id,
            external_id=external_id,
            attempt=attempt,
            customer_token=customer_token,
            device_id=device_id,
            headers=headers,
            origin=self._origin,
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s: %s %s attempt %d headers %s",
                target.label,
                prepared.method,
                prepared.url.raw_path.decode("ascii"),
                attempt,
                redact_headers(prepared.headers),
            )
        return prepared

    def _parse(
        self, target: Target, prepared: PreparedRequest, answer: Answer
    ) -> SnapResponse | ApiError:
        outcome = parse_response(
            target=target,
            status_code=answer.status_code,
            headers=answer.headers,
            content=answer.content,
            trace=prepared.trace,
            external_id=prepared.external_id,
            attempts=prepared.attempt,
            request_headers=redact_headers(prepared.headers),
        )
        if isinstance(outcome, ApiError):
            logger.debug("%s: %s", target.label, outcome)
        return outcome

    def _call_flow(
        self,
        target: Target,
        body: Body,
        external_id: str | None,
        customer_token: CustomerToken | None,
        device_id: str | None,
        headers: Mapping[str, str] | None,
    ) -> Flow[SnapResponse]:
        """One call, written once for both shells: sign → send → parse → decide.

        The body is serialised, validated, minified and hashed once (`sign_body`); each
        attempt only signs the new timestamp (and token). Yields `GetToken`,
        `InvalidateToken`, `Send` and `Sleep` steps.
        """
        content = serialize_body(body)
        signed = sign_body(target, content, profile=self._profile)
        xid = self._external_id(target, external_id)
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            token = (yield GetToken()) if target.signed else None
            prepared = self._prepare(
                target,
                signed,
                token=token,
                external_id=xid,
                attempt=attempt,
                customer_token=customer_token,
                device_id=device_id,
                headers=headers,
            )
            retry_after: float | None = None
            try:
                answer = yield Send(
                    prepared.method,
                    prepared.url,
                    prepared.content,
                    prepared.headers,
                    target.label,
                    trace=prepared.trace,
                    external_id=prepared.external_id,
                    attempt=attempt,
                )
            except TransportError as err:
                outcome: CallError = err
            else:
                parsed = self._parse(target, prepared, answer)
                if isinstance(parsed, SnapResponse):
                    return parsed
                outcome = parsed
                header = get_header(answer.headers, "Retry-After")
                retry_after = parse_retry_after(header, now=self._clock.now())
            step = next_step(
                target.mode,
                outcome,
                attempt=attempt,
                refreshed=refreshed,
                policy=self._retry,
                retry_after=retry_after,
            )
            if step.action == "refresh" and token is not None:
                logger.info("%s: %s; refreshing the access token once", target.label, outcome)
                yield InvalidateToken(token)
                refreshed = True
                continue
            if step.action == "check_status":
                checked = yield from self._check_status(target, content)
                verdict = status_verdict(checked) if checked is not None else "unknown"
                logger.warning("%s: %s; status check says %s", target.label, outcome, verdict)
                if isinstance(checked, SnapResponse):
                    return checked
                if verdict != "absent":
                    raise outcome
                step = next_step(
                    "safe",
                    outcome,
                    attempt=attempt,
                    refreshed=True,
                    policy=self._retry,
                    retry_after=retry_after,
                )
            if step.action == "retry":
                logger.info("%s: %s; re-sending in %.2fs", target.label, outcome, step.delay)
                yield Sleep(step.delay)
                continue
            raise outcome

    def _check_status(
        self, target: Target, content: bytes
    ) -> Flow[SnapResponse | CallError | None]:
        """Ask the status endpoint whether a money movement that got no answer exists."""
        status = status_target(target, self._profile, self._base_url)
        body = status_check_body(target.endpoint, content)
        if status is None or body is None:
            return None
        try:
            return (yield from self._call_flow(status, body, None, None, None, None))
        except CallError as err:
            return err

    def _external_id(self, target: Target, external_id: str | None) -> str:
        if external_id is not None:
            return external_id
        return self._ids.next() if target.signed else ""

    def __reduce__(self) -> tuple[Any, ...]:
        raise ConfigurationError(
            f"a {type(self).__name__} cannot be pickled: it holds the client secret and keys",
            hint="Build the client in each process (or task) from its configuration.",
        )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, profile={self._profile.name!r}, "
            f"client_key={self._client_key!r}, partner_id={self._partner_id!r}, "
            f"channel_id={self._channel_id!r}, client_secret='[secure]')"
        )


def _environment(profile: ProviderProfile, base_url: str | Environment) -> Environment:
    if isinstance(base_url, Environment):
        return base_url
    if "://" not in base_url:
        return profile.environment(base_url)
    for env in profile.environments:
        if env.base_url.rstrip("/") == base_url.rstrip("/"):
            return env
    return Environment("custom", base_url)


def _require_key(private_key: PrivateKeyInput | None, client_key: str) -> PrivateKeyInput:
    if private_key is None:
        raise ConfigurationError(
            "no token_provider and no private_key",
            hint="Pass private_key= (the merchant RSA key) or token_provider=.",
        )
    if not client_key:
        raise ConfigurationError("client key is empty", hint="Pass the X-CLIENT-KEY.")
    return private_key


def _http_options(event_hooks: Mapping[str, list[Callable[..., Any]]] | None) -> dict[str, Any]:
    """The options of the httpx client bisnap creates: User-Agent and the caller's hooks."""
    options: dict[str, Any] = {"headers": {"User-Agent": USER_AGENT}}
    if event_hooks is not None:
        unknown = set(event_hooks) - {"request", "response"}
        if unknown:
            raise ConfigurationError(
                f"unknown event hook kind {sorted(unknown)[0]!r}",
                hint='event_hooks takes {"request": [...], "response": [...]}, as httpx does.',
            )
        options["event_hooks"] = {kind: list(hooks) for kind, hooks in event_hooks.items()}
    return options


class SnapClient(_Shared[TokenSource, httpx.Client, None], SyncConveniences):
    """A sync SNAP client over `httpx.Client`: one method per catalogue endpoint.

    `base_url` is a URL or the name of one of the profile's environments (`"sandbox"`,
    `"staging"`, `"production"` for Midtrans). Without `token_provider`, a
    `bisnap.TokenProvider` is built from `client_key` and `private_key` (sharing
    `http_client`). `external_ids` makes X-EXTERNAL-IDs (the profile's shape by default);
    `origin` is sent as the profile's ORIGIN header; `retry` bounds re-sends and `sleep` is
    what backoff waits with (tests pass a recorder). `repr` shows no secret.

    Catalogue methods take the endpoint's `bisnap.models` request or a dict, check it
    against the catalogue before sending (`validate=False` turns that off) and return a
    `TypedResponse`. `event_hooks` go to the httpx client bisnap creates; every request
    says `User-Agent: bisnap/<version>`. `from_env()` reads the `BISNAP_*` variables.

    Raises:
        ConfigurationError: empty secret/ids, an unknown environment name, no private key
            and no token provider.
    """

    _transport = staticmethod(send)

    def _new_http(self, timeout: float, **options: Any) -> httpx.Client:
        return httpx.Client(timeout=timeout, **options)

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def _new_tokens(self, **options: Any) -> TokenSource:
        return TokenProvider(**options)

    def close(self) -> None:
        """Close the HTTP connection pool (only if this client created it)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        body: Body = None,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Send a signed call to any `path` under the base URL (no profile prefix added).

        A catalogue path with its catalogue method gets that endpoint's retry rules;
        anything else is sent once (re-sent only if the connection never opened).

        Raises:
            ApiError: the provider answered a non-success code (a subclass says which).
            TransportError: no answer.
            InputError: a body that cannot be serialised or bytes that are not JSON.
        """
        target = self._generic_target(method, path)
        return self._call(target, body, external_id, customer_token, device_id, headers)

    def _call(self, name: str | Target, body: Body, *options: Any) -> SnapResponse:
        return drive(self._call_flow(self._target(name), body, *options), self._perform)

    def _perform(self, step: object) -> object:
        return self._action(step)()


class AsyncSnapClient(
    _Shared[AsyncTokenSource, httpx.AsyncClient, Awaitable[None]], AsyncConveniences
):
    """The async twin of `SnapClient` over `httpx.AsyncClient` (same methods, awaited).

    Without `token_provider`, a `bisnap.AsyncTokenProvider` is built from
    `client_key` and `private_key`. `sleep` is awaited for backoff (default `anyio.sleep`).
    """

    _transport = staticmethod(asend)

    def _new_http(self, timeout: float, **options: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=timeout, **options)

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        return anyio.sleep

    def _new_tokens(self, **options: Any) -> AsyncTokenSource:
        return AsyncTokenProvider(**options)

    async def close(self) -> None:
        """Close the HTTP connection pool (only if this client created it)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def request(
        self,
        method: str,
        path: str,
        body: Body = None,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Send a signed call to any `path` under the base URL (see `SnapClient.request`).

        Raises:
            ApiError: the provider answered a non-success code (a subclass says which).
            TransportError: no answer.
            InputError: a body that cannot be serialised or bytes that are not JSON.
        """
        target = self._generic_target(method, path)
        return await self._call(target, body, external_id, customer_token, device_id, headers)

    async def _call(self, name: str | Target, body: Body, *options: Any) -> SnapResponse:
        return await adrive(self._call_flow(self._target(name), body, *options), self._perform)

    async def _perform(self, step: object) -> object:
        return await self._action(step)()
