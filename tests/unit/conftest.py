"""Fakes shared by the client tests, and `shell`: one test body for both clients.

`SnapMock` is a SNAP provider in a function (it verifies every HMAC over the bytes it
receives); `FakeTokens`/`AsyncFakeTokens` are token sources; `TickingClock` moves one second
per read; `make_client` builds a sandbox `SnapClient` over the mock. The `shell` fixture runs
a test once with `SnapClient` and once with `AsyncSnapClient`, through `ClientView`: the same
awaited calls for both.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bisnap import (
    AccessToken,
    AsyncSnapClient,
    RetryPolicy,
    SignatureMismatchError,
    SnapClient,
    verify_service,
)
from bisnap.catalogue import by_path
from bisnap.profiles import MIDTRANS, ProviderProfile
from bisnap.signing import SignatureTrace

SECRET = "fdppqbF5wq7vVegyvsV1CROMv646nJ7A"
PARTNER = "G059876677"
CHANNEL = "95221"
CLIENT_KEY = "G1234325-SNAP"
SANDBOX = "https://merchants.sbx.midtrans.com"
START = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)
HTML = {"content-type": "text/html"}

VA_BODY: dict[str, Any] = {
    "partnerServiceId": "   70012",
    "customerNo": "0000012345",
    "virtualAccountNo": "   700120000012345",
    "virtualAccountName": "Jokul Doé",
    "trxId": "trx-0001",
    "totalAmount": {"value": "10000.00", "currency": "IDR"},
    "additionalInfo": {"merchantId": PARTNER, "bank": "bca", "note": "a/b ✓"},
}
TRANSFER_BODY: dict[str, Any] = {
    "partnerReferenceNo": "payout-42",
    "amount": {"value": "150000.00", "currency": "IDR"},
    "beneficiaryAccountNo": "8000000001",
    "beneficiaryAccountName": "Budi",
    "beneficiaryBankCode": "014",
    "sourceAccountNo": "0000000000",
    "transactionDate": "2024-03-05T17:37:16+07:00",
}


class TickingClock:
    """A clock that moves one second forward every time it is read."""

    def __init__(self, start: datetime = START) -> None:
        self._at = start

    def now(self) -> datetime:
        at = self._at
        self._at += timedelta(seconds=1)
        return at


class FakeTokens:
    """A token source handing out `values` in turn; `invalidate` moves to the next one."""

    def __init__(self, *values: str) -> None:
        self.values = values or ("token-1",)
        self.index = 0
        self.gets = 0
        self.invalidated: list[AccessToken] = []

    def get(self) -> AccessToken:
        self.gets += 1
        return AccessToken.create(self.values[min(self.index, len(self.values) - 1)])

    def invalidate(self, token: AccessToken) -> bool:
        self.invalidated.append(token)
        self.index += 1
        return True


class AsyncFakeTokens:
    """`FakeTokens` with awaitable methods."""

    def __init__(self, *values: str) -> None:
        self.sync = FakeTokens(*values)

    @classmethod
    def around(cls, tokens: FakeTokens) -> AsyncFakeTokens:
        """Awaitable methods over an existing `FakeTokens` (its counters stay shared)."""
        made = cls()
        made.sync = tokens
        return made

    async def get(self) -> AccessToken:
        return self.sync.get()

    async def invalidate(self, token: AccessToken) -> bool:
        return self.sync.invalidate(token)


Reply = tuple[int, Any] | httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def snap_json(status: int, code: str | int, message: str = "", **extra: Any) -> httpx.Response:
    """A JSON answer with `responseCode`."""
    body = {"responseCode": code, "responseMessage": message or "Message", **extra}
    return httpx.Response(status, json=body)


class SnapMock:
    """A SNAP provider in a function: verifies the HMAC, then answers from a script.

    Signed requests are verified with `bisnap.verify_service` over `request.content` and
    `request.url.raw_path`; a bad signature answers 401xx00, an unknown token 401xx01.
    Unscripted calls answer `200{service}00`.
    """

    def __init__(
        self,
        *,
        valid_tokens: tuple[str, ...] = ("token-1",),
        secret: str = SECRET,
        profile: ProviderProfile = MIDTRANS,
    ) -> None:
        self.valid_tokens = valid_tokens
        self.secret = secret
        self.profile = profile
        self.requests: list[httpx.Request] = []
        self.traces: list[SignatureTrace] = []
        self.script: dict[str, list[Reply]] = {}

    def on(self, path: str, *replies: Reply) -> None:
        """Queue `replies` for requests whose path ends with `path`."""
        self.script.setdefault(path, []).extend(replies)

    def sent(self, path: str) -> list[httpx.Request]:
        """The requests whose path ends with `path`."""
        return [r for r in self.requests if r.url.path.endswith(path)]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        endpoint = by_path(request.url.path)
        service = endpoint.service_code if endpoint else "00"
        if "x-signature" in request.headers:
            bearer = request.headers["authorization"]
            assert bearer.startswith("Bearer ")
            token = bearer[len("Bearer ") :]
            try:
                trace = verify_service(
                    method=request.method,
                    path=request.url.raw_path.decode("ascii"),
                    body=request.content,
                    timestamp=request.headers["x-timestamp"],
                    access_token=token,
                    client_secret=self.secret,
                    signature=request.headers["x-signature"],
                    include_query=self.profile.include_query,
                )
            except SignatureMismatchError:
                return snap_json(401, f"401{service}00", "Unauthorized. Signature")
            self.traces.append(trace)
            if token not in self.valid_tokens:
                return snap_json(401, f"401{service}01", "Invalid Token (B2B)")
        for suffix, queue in self.script.items():
            if request.url.path.endswith(suffix) and queue:
                reply = queue.pop(0)
                if isinstance(reply, Exception):
                    raise reply
                if isinstance(reply, httpx.Response):
                    return reply
                if isinstance(reply, tuple):
                    return httpx.Response(reply[0], json=reply[1])
                return reply(request)
        return snap_json(200, f"200{service}00", "Successful")


def make_client(
    mock: SnapMock,
    *,
    tokens: FakeTokens | None = None,
    sleeps: list[float] | None = None,
    **kwargs: Any,
) -> SnapClient:
    """A sandbox SnapClient whose HTTP goes to `mock`."""
    recorder = sleeps if sleeps is not None else []
    options: dict[str, Any] = {
        "base_url": "sandbox",
        "client_key": CLIENT_KEY,
        "client_secret": SECRET,
        "partner_id": PARTNER,
        "channel_id": CHANNEL,
        "token_provider": tokens or FakeTokens(),
        "clock": TickingClock(),
        "sleep": recorder.append,
        "http_client": httpx.Client(transport=httpx.MockTransport(mock)),
        "retry": RetryPolicy(random=no_jitter),
        # placeholder bodies on purpose: the pre-send check has its own tests
        "validate": False,
    }
    options.update(kwargs)
    return SnapClient(**options)


def no_jitter() -> float:
    """The jitter source pinned at 0: the retry schedule exactly as configured."""
    return 0.0


def compact(body: Any) -> bytes:
    """The bytes the client must send for a JSON-able body."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class ClientView:
    """A `SnapClient` or `AsyncSnapClient` behind the same awaited calls.

    `await view.create_va(body)` calls the client's method (awaiting it for the async one);
    `async with view` closes the client.
    """

    def __init__(self, client: SnapClient | AsyncSnapClient) -> None:
        self.client = client

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        member = getattr(self.client, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = member(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return call

    async def __aenter__(self) -> ClientView:
        return self

    async def __aexit__(self, *exc: object) -> None:
        closed = self.client.close()
        if inspect.isawaitable(closed):
            await closed


class Shell:
    """Builds the sync or the async client over a `SnapMock` (same options as `make_client`)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def client(
        self,
        mock: SnapMock,
        *,
        tokens: FakeTokens | None = None,
        sleeps: list[float] | None = None,
        **kwargs: Any,
    ) -> ClientView:
        """A sandbox client whose HTTP goes to `mock`; sleeps are recorded in `sleeps`."""
        if self.name == "sync":
            return ClientView(make_client(mock, tokens=tokens, sleeps=sleeps, **kwargs))
        recorder = sleeps if sleeps is not None else []

        async def sleep(seconds: float) -> None:
            recorder.append(seconds)

        options: dict[str, Any] = {
            "base_url": "sandbox",
            "client_key": CLIENT_KEY,
            "client_secret": SECRET,
            "partner_id": PARTNER,
            "channel_id": CHANNEL,
            "token_provider": AsyncFakeTokens.around(tokens or FakeTokens()),
            "clock": TickingClock(),
            "sleep": sleep,
            "http_client": httpx.AsyncClient(transport=httpx.MockTransport(mock)),
            "retry": RetryPolicy(random=no_jitter),
            # placeholder bodies on purpose: the pre-send check has its own tests
            "validate": False,
        }
        options.update(kwargs)
        return ClientView(AsyncSnapClient(**options))


@pytest.fixture(params=["sync", "async"])
def shell(request: pytest.FixtureRequest) -> Shell:
    """Run the test with `SnapClient` and with `AsyncSnapClient`."""
    return Shell(request.param)
