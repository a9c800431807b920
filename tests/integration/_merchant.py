"""An emulator sending notifications to a recording merchant, both in process.

Shared by the emulator's notification tests: the emulator and a merchant app on
`httpx.ASGITransport`, a `FixedClock` that the emulator's injected sleep moves (every
sleep is recorded, none waits), and a B2B access token already fetched.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bisnap.catalogue import by_name
from bisnap.clock import JAKARTA, FixedClock
from bisnap.emulator import Emulator, EmulatorConfig, EmulatorCredentials, create_app
from bisnap.emulator.caller import MerchantCaller

START = datetime(2024, 3, 5, 10, 0, 0, tzinfo=JAKARTA)
PREFIX = "/hooks/midtrans"


@dataclass
class Merchant:
    """Records every POST under /hooks/; answers the scripted statuses, then 200."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    answer: bytes = b'{"responseCode":"2002500"}'

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            self.received.append((request.url.path, dict(request.headers), await request.body()))
            status = self.statuses.pop(0) if self.statuses else 200
            return Response(self.answer, status, media_type="application/json")

        return Starlette(routes=[Route("/hooks/{rest:path}", hook, methods=["POST"])])


@dataclass
class Setup:
    emulator: Emulator
    clock: FixedClock
    client: httpx.AsyncClient
    merchant: Merchant
    caller: MerchantCaller
    slept: list[float]
    token: str = ""

    async def call(
        self, name: str, body: Any, *, expect: str | None = None, **options: Any
    ) -> dict[str, Any]:
        """Call catalogue endpoint `name` signed; assert its responseCode (success by default)."""
        endpoint = by_name(name)
        headers, data = self.caller.service_request(
            endpoint.path, body, access_token=self.token, **options
        )
        response = await self.client.post(endpoint.path, headers=headers, content=data)
        result: dict[str, Any] = response.json()
        assert result["responseCode"] == (expect or endpoint.success_code), response.text
        return result

    def paths(self) -> list[str]:
        """The paths the merchant received, in order."""
        return [path for path, _, _ in self.merchant.received]


@asynccontextmanager
async def emulator_and_merchant(
    credentials: EmulatorCredentials, merchant: Merchant | None = None, **config: Any
) -> AsyncIterator[Setup]:
    """The emulator notifying `merchant` at `PREFIX`; `config` adds `EmulatorConfig` fields."""
    clock = FixedClock(START)
    merchant = merchant if merchant is not None else Merchant()
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=merchant.app()), base_url="http://merchant"
    ) as merchant_client:
        emulator = Emulator(
            EmulatorConfig(
                credentials=credentials,
                clock=clock,
                notify_url="http://merchant" + PREFIX,
                notify_client=merchant_client,
                sleep=fake_sleep,
                **config,
            )
        )
        transport = httpx.ASGITransport(app=create_app(emulator))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://emulator", headers=emulator.admin_headers()
        ) as client:
            caller = MerchantCaller(credentials, clock)
            setup = Setup(emulator, clock, client, merchant, caller, slept)
            headers, body = caller.token_request()
            answer = await client.post("/v1.0/access-token/b2b", headers=headers, content=body)
            setup.token = answer.json()["accessToken"]
            yield setup
