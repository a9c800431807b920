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
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Self

import anyio
import httpx

from bisnap.clock import Clock, SystemClock
from bisnap.errors import ApiError, ConfigurationError
from bisnap.headers import ExternalIdGenerator, redact_headers
from bisnap.http.core import (
    AsyncTokenSource,
    Body,
    CustomerToken,
    PreparedRequest,
    RetryPolicy,
    SnapResponse,
    Target,
    TokenSource,
    next_step,
    parse_response,
    prepare,
    resolve_target,
    serialize_body,
    status_check_body,
    status_target,
    status_verdict,
    transport_error,
)
from bisnap.keys import PrivateKeyInput
from bisnap.profiles import MIDTRANS, Environment, ProviderProfile
from bisnap.secrets import AccessToken, Secret
from bisnap.timestamps import format_timestamp
from bisnap.tokens import AsyncTokenProvider, TokenProvider

__all__ = ["AsyncSnapClient", "SnapClient"]

logger = logging.getLogger("bisnap.http")

_DEFAULT_TIMEOUT = 30.0


class _Shared:
    """Configuration and the pure steps both shells share (no I/O here)."""

    def __init__(
        self,
        *,
        base_url: str | Environment,
        client_key: str,
        client_secret: str | Secret,
        partner_id: str,
        channel_id: str,
        profile: ProviderProfile,
        app_base_url: str | None,
        clock: Clock | None,
        external_ids: ExternalIdGenerator | None,
        retry: RetryPolicy | None,
        origin: str | None,
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

    @property
    def profile(self) -> ProviderProfile:
        """The provider profile in use."""
        return self._profile

    @property
    def base_url(self) -> str:
        """The API base URL."""
        return self._base_url

    def _target(self, name: str) -> Target:
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

    def _generic_target(self, method: str, path: str) -> Target:
        return resolve_target(
            profile=self._profile, base_url=self._base_url, method=method, path=path
        )

    def _prepare(
        self,
        target: Target,
        content: bytes,
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
            content,
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
        self, target: Target, prepared: PreparedRequest, response: httpx.Response
    ) -> SnapResponse | ApiError:
        outcome = parse_response(
            target=target,
            status_code=response.status_code,
            headers=response.headers,
            content=response.content,
            trace=prepared.trace,
            external_id=prepared.external_id,
            attempts=prepared.attempt,
            request_headers=redact_headers(prepared.headers),
        )
        if isinstance(outcome, ApiError):
            logger.debug("%s: %s", target.label, outcome)
        return outcome

    def _status_call(self, target: Target, content: bytes) -> tuple[Target, Body] | None:
        status = status_target(target, self._profile, self._base_url)
        body = status_check_body(target.endpoint, content)
        if status is None or body is None:
            return None
        return status, body

    def _external_id(self, target: Target, external_id: str | None) -> str:
        if external_id is not None:
            return external_id
        return self._ids.next() if target.signed else ""

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


class SnapClient(_Shared):
    """A sync SNAP client over `httpx.Client`: one method per catalogue endpoint.

    `base_url` is a URL or the name of one of the profile's environments (`"sandbox"`,
    `"staging"`, `"production"` for Midtrans). Without `token_provider`, a
    `bisnap.tokens.TokenProvider` is built from `client_key` and `private_key` (sharing
    `http_client`). `external_ids` makes X-EXTERNAL-IDs (the profile's shape by default);
    `origin` is sent as the profile's ORIGIN header; `retry` bounds re-sends and `sleep` is
    what backoff waits with (tests pass a recorder). `repr` shows no secret.

    Raises:
        ConfigurationError: empty secret/ids, an unknown environment name, no private key
            and no token provider.
    """

    def __init__(
        self,
        *,
        base_url: str | Environment,
        client_key: str,
        client_secret: str | Secret,
        partner_id: str,
        channel_id: str,
        private_key: PrivateKeyInput | None = None,
        token_provider: TokenSource | None = None,
        profile: ProviderProfile = MIDTRANS,
        app_base_url: str | None = None,
        clock: Clock | None = None,
        external_ids: ExternalIdGenerator | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        http_client: httpx.Client | None = None,
        origin: str | None = None,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(
            base_url=base_url,
            client_key=client_key,
            client_secret=client_secret,
            partner_id=partner_id,
            channel_id=channel_id,
            profile=profile,
            app_base_url=app_base_url,
            clock=clock,
            external_ids=external_ids,
            retry=retry,
            origin=origin,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=timeout)
        self._sleep = sleep if sleep is not None else time.sleep
        self._tokens: TokenSource = token_provider or TokenProvider(
            base_url=self._base_url,
            client_key=client_key,
            private_key=_require_key(private_key, client_key),
            token_path=profile.token_path,
            clock=self._clock,
            http_client=self._http,
            sleep=self._sleep,
            grant_type_field=profile.grant_type_field,
            timestamp_style=profile.timestamp_style,
        )

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
        return self._execute(target, body, external_id, customer_token, device_id, headers)

    def _call(
        self,
        name: str,
        body: Body,
        external_id: str | None,
        customer_token: CustomerToken | None,
        device_id: str | None,
        headers: Mapping[str, str] | None,
    ) -> SnapResponse:
        target = self._target(name)
        return self._execute(target, body, external_id, customer_token, device_id, headers)

    def _execute(
        self,
        target: Target,
        body: Body,
        external_id: str | None,
        customer_token: CustomerToken | None,
        device_id: str | None,
        headers: Mapping[str, str] | None,
    ) -> SnapResponse:
        content = serialize_body(body)
        xid = self._external_id(target, external_id)
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            token = self._tokens.get() if target.signed else None
            prepared = self._prepare(
                target,
                content,
                token=token,
                external_id=xid,
                attempt=attempt,
                customer_token=customer_token,
                device_id=device_id,
                headers=headers,
            )
            outcome = self._send(target, prepared)
            if isinstance(outcome, SnapResponse):
                return outcome
            step = next_step(
                target.mode, outcome, attempt=attempt, refreshed=refreshed, policy=self._retry
            )
            if step.action == "refresh" and token is not None:
                logger.info("%s: %s; refreshing the access token once", target.label, outcome)
                self._tokens.invalidate(token)
                refreshed = True
                continue
            if step.action == "check_status":
                answer = self._check_status(target, content)
                verdict = status_verdict(answer) if answer is not None else "unknown"
                logger.warning("%s: %s; status check says %s", target.label, outcome, verdict)
                if isinstance(answer, SnapResponse):
                    return answer
                if verdict != "absent":
                    raise outcome
                step = next_step(
                    "safe", outcome, attempt=attempt, refreshed=True, policy=self._retry
                )
            if step.action == "retry":
                logger.info("%s: %s; re-sending in %.2fs", target.label, outcome, step.delay)
                self._sleep(step.delay)
                continue
            raise outcome

    def _send(self, target: Target, prepared: PreparedRequest) -> SnapResponse | ApiError:
        request = self._http.build_request(
            prepared.method, prepared.url, content=prepared.content, headers=prepared.headers
        )
        try:
            response = self._http.send(request)
        except httpx.RequestError as exc:
            return transport_error(exc, target=target, trace=prepared.trace)
        return self._parse(target, prepared, response)

    def _check_status(self, target: Target, content: bytes) -> SnapResponse | ApiError | None:
        call = self._status_call(target, content)
        if call is None:
            return None
        try:
            return self._execute(call[0], call[1], None, None, None, None)
        except ApiError as err:
            return err

    # --- catalogue endpoints: one per entry (a test keeps them and the catalogue in step)
    def create_va(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Create VA, service code 27.

        `POST /v1.0/transfer-va/create-va`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("create_va", body, external_id, customer_token, device_id, headers)

    def va_status(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """VA Inquiry Status, service code 26.

        `POST /v1.0/transfer-va/status`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("va_status", body, external_id, customer_token, device_id, headers)

    def delete_va(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Delete VA, service code 31.

        `POST /v1.0/transfer-va/delete-va`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("delete_va", body, external_id, customer_token, device_id, headers)

    def qris_generate(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Generate QRIS, service code 47.

        `POST /v1.0/qr/qr-mpm-generate`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("qris_generate", body, external_id, customer_token, device_id, headers)

    def qris_query(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """QRIS Query, service code 51.

        `POST /v1.0/qr/qr-mpm-query`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("qris_query", body, external_id, customer_token, device_id, headers)

    def qris_refund(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """QRIS Refund, service code 78.

        `POST /v1.0/qr/qr-mpm-refund`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("qris_refund", body, external_id, customer_token, device_id, headers)

    def qris_cancel(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """QRIS Cancel, service code 77.

        `POST /v1.0/qr/qr-mpm-cancel`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("qris_cancel", body, external_id, customer_token, device_id, headers)

    def debit_payment(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Payment, service code 54.

        `POST /v1.0/debit/payment-host-to-host`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.
        `customer_token` and `device_id` are optional.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("debit_payment", body, external_id, customer_token, device_id, headers)

    def debit_status(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Status, service code 55.

        `POST /v1.0/debit/status`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("debit_status", body, external_id, customer_token, device_id, headers)

    def debit_refund(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Refund, service code 58.

        `POST /v1.0/debit/refund`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("debit_refund", body, external_id, customer_token, device_id, headers)

    def debit_cancel(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Cancel, service code 57.

        `POST /v1.0/debit/cancel`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("debit_cancel", body, external_id, customer_token, device_id, headers)

    def get_auth_code(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Get Auth Code URL, service code 10.

        `GET /v1.0/get-auth-code`.
        Not re-sent after a 5xx or lost answer.
        Sent unsigned to the app host; `body` becomes the query string.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("get_auth_code", body, external_id, customer_token, device_id, headers)

    def account_binding(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Account Binding, service code 07.

        `POST /v1.0/registration-account-binding`.
        Not re-sent after a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("account_binding", body, external_id, customer_token, device_id, headers)

    def account_binding_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Account Binding Inquiry, service code 08.

        `POST /v1.0/registration-account-inquiry`.
        Read-only: re-sent on a 5xx or lost answer.
        `customer_token` and `device_id` are optional.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "account_binding_inquiry", body, external_id, customer_token, device_id, headers
        )

    def account_unbinding(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Account Unbinding, service code 09.

        `POST /v1.0/registration-account-unbinding`.
        Not re-sent after a 5xx or lost answer.
        Needs `customer_token` and `device_id` (B2B2C).

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "account_unbinding", body, external_id, customer_token, device_id, headers
        )

    def auth_payment(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Payment, service code 63.

        `POST /v1.0/auth/payment`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.
        Needs `customer_token` and `device_id` (B2B2C).

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("auth_payment", body, external_id, customer_token, device_id, headers)

    def auth_query(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Query, service code 64.

        `POST /v1.0/auth/query`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("auth_query", body, external_id, customer_token, device_id, headers)

    def auth_capture(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Capture, service code 65.

        `POST /v1.0/auth/capture`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("auth_capture", body, external_id, customer_token, device_id, headers)

    def auth_void(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Void, service code 67.

        `POST /v1.0/auth/void`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("auth_void", body, external_id, customer_token, device_id, headers)

    def auth_refund(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Refund, service code 69.

        `POST /v1.0/auth/refund`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("auth_refund", body, external_id, customer_token, device_id, headers)

    def transaction_history_list(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Transaction History List, service code 12.

        `POST /v1.0/transaction-history-list`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "transaction_history_list", body, external_id, customer_token, device_id, headers
        )

    def transaction_history_detail(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Transaction History Detail, service code 13.

        `POST /v1.0/transaction-history-detail`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "transaction_history_detail", body, external_id, customer_token, device_id, headers
        )

    def external_account_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """External Account Inquiry, service code 16.

        `POST /v1.0/account-inquiry-external`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "external_account_inquiry", body, external_id, customer_token, device_id, headers
        )

    def intrabank_transfer(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Intrabank Transfer, service code 17.

        `POST /v1.0/transfer-intrabank`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "intrabank_transfer", body, external_id, customer_token, device_id, headers
        )

    def interbank_transfer(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Interbank Transfer, service code 18.

        `POST /v1.0/transfer-interbank`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "interbank_transfer", body, external_id, customer_token, device_id, headers
        )

    def va_inquiry_intrabank(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Inquiry Payment to VA (intrabank), service code 32.

        `POST /v1.0/transfer-va/inquiry-intrabank`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "va_inquiry_intrabank", body, external_id, customer_token, device_id, headers
        )

    def va_payment_intrabank(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Payment to VA (intrabank), service code 33.

        `POST /v1.0/transfer-va/payment-intrabank`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "va_payment_intrabank", body, external_id, customer_token, device_id, headers
        )

    def emoney_account_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Customer Top Up Account Inquiry, service code 37.

        `POST /v1.0/emoney/account-inquiry`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call(
            "emoney_account_inquiry", body, external_id, customer_token, device_id, headers
        )

    def emoney_topup(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Customer Top Up, service code 38.

        `POST /v1.0/emoney/topup`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("emoney_topup", body, external_id, customer_token, device_id, headers)

    def balance_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Balance Inquiry, service code 11.

        `POST /v1.0/balance-inquiry`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("balance_inquiry", body, external_id, customer_token, device_id, headers)

    def transfer_status(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Transfer Status Inquiry, service code 36.

        `POST /v1.0/transfer/status`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return self._call("transfer_status", body, external_id, customer_token, device_id, headers)


class AsyncSnapClient(_Shared):
    """The async twin of `SnapClient` over `httpx.AsyncClient` (same methods, awaited).

    Without `token_provider`, a `bisnap.tokens.AsyncTokenProvider` is built from
    `client_key` and `private_key`. `sleep` is awaited for backoff (default `anyio.sleep`).
    """

    def __init__(
        self,
        *,
        base_url: str | Environment,
        client_key: str,
        client_secret: str | Secret,
        partner_id: str,
        channel_id: str,
        private_key: PrivateKeyInput | None = None,
        token_provider: AsyncTokenSource | None = None,
        profile: ProviderProfile = MIDTRANS,
        app_base_url: str | None = None,
        clock: Clock | None = None,
        external_ids: ExternalIdGenerator | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        http_client: httpx.AsyncClient | None = None,
        origin: str | None = None,
        timeout: float = _DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(
            base_url=base_url,
            client_key=client_key,
            client_secret=client_secret,
            partner_id=partner_id,
            channel_id=channel_id,
            profile=profile,
            app_base_url=app_base_url,
            clock=clock,
            external_ids=external_ids,
            retry=retry,
            origin=origin,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=timeout)
        self._sleep = sleep if sleep is not None else anyio.sleep
        self._tokens: AsyncTokenSource = token_provider or AsyncTokenProvider(
            base_url=self._base_url,
            client_key=client_key,
            private_key=_require_key(private_key, client_key),
            token_path=profile.token_path,
            clock=self._clock,
            http_client=self._http,
            sleep=self._sleep,
            grant_type_field=profile.grant_type_field,
            timestamp_style=profile.timestamp_style,
        )

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
        """Send a signed call to any `path` under the base URL (no profile prefix added).

        A catalogue path with its catalogue method gets that endpoint's retry rules;
        anything else is sent once (re-sent only if the connection never opened).

        Raises:
            ApiError: the provider answered a non-success code (a subclass says which).
            TransportError: no answer.
            InputError: a body that cannot be serialised or bytes that are not JSON.
        """
        target = self._generic_target(method, path)
        return await self._execute(target, body, external_id, customer_token, device_id, headers)

    async def _call(
        self,
        name: str,
        body: Body,
        external_id: str | None,
        customer_token: CustomerToken | None,
        device_id: str | None,
        headers: Mapping[str, str] | None,
    ) -> SnapResponse:
        target = self._target(name)
        return await self._execute(target, body, external_id, customer_token, device_id, headers)

    async def _execute(
        self,
        target: Target,
        body: Body,
        external_id: str | None,
        customer_token: CustomerToken | None,
        device_id: str | None,
        headers: Mapping[str, str] | None,
    ) -> SnapResponse:
        content = serialize_body(body)
        xid = self._external_id(target, external_id)
        attempt, refreshed = 0, False
        while True:
            attempt += 1
            token = await self._tokens.get() if target.signed else None
            prepared = self._prepare(
                target,
                content,
                token=token,
                external_id=xid,
                attempt=attempt,
                customer_token=customer_token,
                device_id=device_id,
                headers=headers,
            )
            outcome = await self._send(target, prepared)
            if isinstance(outcome, SnapResponse):
                return outcome
            step = next_step(
                target.mode, outcome, attempt=attempt, refreshed=refreshed, policy=self._retry
            )
            if step.action == "refresh" and token is not None:
                logger.info("%s: %s; refreshing the access token once", target.label, outcome)
                await self._tokens.invalidate(token)
                refreshed = True
                continue
            if step.action == "check_status":
                answer = await self._check_status(target, content)
                verdict = status_verdict(answer) if answer is not None else "unknown"
                logger.warning("%s: %s; status check says %s", target.label, outcome, verdict)
                if isinstance(answer, SnapResponse):
                    return answer
                if verdict != "absent":
                    raise outcome
                step = next_step(
                    "safe", outcome, attempt=attempt, refreshed=True, policy=self._retry
                )
            if step.action == "retry":
                logger.info("%s: %s; re-sending in %.2fs", target.label, outcome, step.delay)
                await self._sleep(step.delay)
                continue
            raise outcome

    async def _send(self, target: Target, prepared: PreparedRequest) -> SnapResponse | ApiError:
        request = self._http.build_request(
            prepared.method, prepared.url, content=prepared.content, headers=prepared.headers
        )
        try:
            response = await self._http.send(request)
        except httpx.RequestError as exc:
            return transport_error(exc, target=target, trace=prepared.trace)
        return self._parse(target, prepared, response)

    async def _check_status(self, target: Target, content: bytes) -> SnapResponse | ApiError | None:
        call = self._status_call(target, content)
        if call is None:
            return None
        try:
            return await self._execute(call[0], call[1], None, None, None, None)
        except ApiError as err:
            return err

    # --- catalogue endpoints: one per entry (a test keeps them and the catalogue in step)
    async def create_va(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Create VA, service code 27.

        `POST /v1.0/transfer-va/create-va`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call("create_va", body, external_id, customer_token, device_id, headers)

    async def va_status(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """VA Inquiry Status, service code 26.

        `POST /v1.0/transfer-va/status`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call("va_status", body, external_id, customer_token, device_id, headers)

    async def delete_va(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Delete VA, service code 31.

        `POST /v1.0/transfer-va/delete-va`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call("delete_va", body, external_id, customer_token, device_id, headers)

    async def qris_generate(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Generate QRIS, service code 47.

        `POST /v1.0/qr/qr-mpm-generate`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "qris_generate", body, external_id, customer_token, device_id, headers
        )

    async def qris_query(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """QRIS Query, service code 51.

        `POST /v1.0/qr/qr-mpm-query`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call("qris_query", body, external_id, customer_token, device_id, headers)

    async def qris_refund(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """QRIS Refund, service code 78.

        `POST /v1.0/qr/qr-mpm-refund`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "qris_refund", body, external_id, customer_token, device_id, headers
        )

    async def qris_cancel(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """QRIS Cancel, service code 77.

        `POST /v1.0/qr/qr-mpm-cancel`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "qris_cancel", body, external_id, customer_token, device_id, headers
        )

    async def debit_payment(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Payment, service code 54.

        `POST /v1.0/debit/payment-host-to-host`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.
        `customer_token` and `device_id` are optional.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "debit_payment", body, external_id, customer_token, device_id, headers
        )

    async def debit_status(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Status, service code 55.

        `POST /v1.0/debit/status`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "debit_status", body, external_id, customer_token, device_id, headers
        )

    async def debit_refund(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Refund, service code 58.

        `POST /v1.0/debit/refund`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "debit_refund", body, external_id, customer_token, device_id, headers
        )

    async def debit_cancel(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Direct Debit Cancel, service code 57.

        `POST /v1.0/debit/cancel`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "debit_cancel", body, external_id, customer_token, device_id, headers
        )

    async def get_auth_code(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Get Auth Code URL, service code 10.

        `GET /v1.0/get-auth-code`.
        Not re-sent after a 5xx or lost answer.
        Sent unsigned to the app host; `body` becomes the query string.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "get_auth_code", body, external_id, customer_token, device_id, headers
        )

    async def account_binding(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Account Binding, service code 07.

        `POST /v1.0/registration-account-binding`.
        Not re-sent after a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "account_binding", body, external_id, customer_token, device_id, headers
        )

    async def account_binding_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Account Binding Inquiry, service code 08.

        `POST /v1.0/registration-account-inquiry`.
        Read-only: re-sent on a 5xx or lost answer.
        `customer_token` and `device_id` are optional.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "account_binding_inquiry", body, external_id, customer_token, device_id, headers
        )

    async def account_unbinding(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Account Unbinding, service code 09.

        `POST /v1.0/registration-account-unbinding`.
        Not re-sent after a 5xx or lost answer.
        Needs `customer_token` and `device_id` (B2B2C).

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "account_unbinding", body, external_id, customer_token, device_id, headers
        )

    async def auth_payment(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Payment, service code 63.

        `POST /v1.0/auth/payment`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.
        Needs `customer_token` and `device_id` (B2B2C).

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "auth_payment", body, external_id, customer_token, device_id, headers
        )

    async def auth_query(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Query, service code 64.

        `POST /v1.0/auth/query`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call("auth_query", body, external_id, customer_token, device_id, headers)

    async def auth_capture(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Capture, service code 65.

        `POST /v1.0/auth/capture`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "auth_capture", body, external_id, customer_token, device_id, headers
        )

    async def auth_void(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Void, service code 67.

        `POST /v1.0/auth/void`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call("auth_void", body, external_id, customer_token, device_id, headers)

    async def auth_refund(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Auth Refund, service code 69.

        `POST /v1.0/auth/refund`.
        A 5xx or lost answer is replayed with the same X-EXTERNAL-ID and bytes.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "auth_refund", body, external_id, customer_token, device_id, headers
        )

    async def transaction_history_list(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Transaction History List, service code 12.

        `POST /v1.0/transaction-history-list`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "transaction_history_list", body, external_id, customer_token, device_id, headers
        )

    async def transaction_history_detail(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Transaction History Detail, service code 13.

        `POST /v1.0/transaction-history-detail`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "transaction_history_detail", body, external_id, customer_token, device_id, headers
        )

    async def external_account_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """External Account Inquiry, service code 16.

        `POST /v1.0/account-inquiry-external`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "external_account_inquiry", body, external_id, customer_token, device_id, headers
        )

    async def intrabank_transfer(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Intrabank Transfer, service code 17.

        `POST /v1.0/transfer-intrabank`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "intrabank_transfer", body, external_id, customer_token, device_id, headers
        )

    async def interbank_transfer(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Interbank Transfer, service code 18.

        `POST /v1.0/transfer-interbank`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "interbank_transfer", body, external_id, customer_token, device_id, headers
        )

    async def va_inquiry_intrabank(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Inquiry Payment to VA (intrabank), service code 32.

        `POST /v1.0/transfer-va/inquiry-intrabank`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "va_inquiry_intrabank", body, external_id, customer_token, device_id, headers
        )

    async def va_payment_intrabank(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Payment to VA (intrabank), service code 33.

        `POST /v1.0/transfer-va/payment-intrabank`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "va_payment_intrabank", body, external_id, customer_token, device_id, headers
        )

    async def emoney_account_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Customer Top Up Account Inquiry, service code 37.

        `POST /v1.0/emoney/account-inquiry`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "emoney_account_inquiry", body, external_id, customer_token, device_id, headers
        )

    async def emoney_topup(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Customer Top Up, service code 38.

        `POST /v1.0/emoney/topup`.
        A 5xx or lost answer asks `transfer_status` before any re-send.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "emoney_topup", body, external_id, customer_token, device_id, headers
        )

    async def balance_inquiry(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Balance Inquiry, service code 11.

        `POST /v1.0/balance-inquiry`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "balance_inquiry", body, external_id, customer_token, device_id, headers
        )

    async def transfer_status(
        self,
        body: Body,
        *,
        external_id: str | None = None,
        customer_token: CustomerToken | None = None,
        device_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> SnapResponse:
        """Transfer Status Inquiry, service code 36.

        `POST /v1.0/transfer/status`.
        Read-only: re-sent on a 5xx or lost answer.

        Raises:
            ApiError: a non-success responseCode (a subclass says which); TransportError.
        """
        return await self._call(
            "transfer_status", body, external_id, customer_token, device_id, headers
        )
