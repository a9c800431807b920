"""The lifespan client helper against the emulator, and `bisnap.testing` itself.

A FastAPI app opens an `AsyncSnapClient` for the emulator in its lifespan, a route uses it
through `SnapClientDep` (a real VA created over loopback HTTP), and the client is closed
when the app stops. The testing fixtures serve WSGI and ASGI apps, pay as the customer,
and report refusals as clear errors.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from flask import Flask
from starlette.applications import Starlette
from starlette.exceptions import StarletteDeprecationWarning
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bisnap import AsyncSnapClient, ConfigurationError, SnapClient
from bisnap.integrations.fastapi import SnapClientDep, get_snap_client, snap_client_lifespan
from bisnap.testing import SnapEmulator, serve_app

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 behind its TestClient and warns when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


def va(number: str, credentials: Any) -> dict[str, Any]:
    return {
        "partnerServiceId": "   70012",
        "customerNo": number,
        "virtualAccountNo": "   70012" + number,
        "virtualAccountName": "Budi",
        "trxId": "order-" + number,
        "totalAmount": {"value": "10000.00", "currency": "IDR"},
        "additionalInfo": {"merchantId": credentials.merchant_id},
    }


def test_the_lifespan_opens_the_client_routes_use_it_and_it_is_closed(
    snap_emulator: SnapEmulator,
) -> None:
    opened: list[AsyncSnapClient] = []

    def make_client() -> AsyncSnapClient:
        client = snap_emulator.async_client()
        opened.append(client)
        return client

    app = FastAPI(lifespan=snap_client_lifespan(make_client))

    @app.post("/orders/{number}/va")
    async def create(number: str, snap: SnapClientDep) -> dict[str, str]:
        answer = await snap.create_va(va(number, snap_emulator.credentials))
        return {"code": answer.code.code}

    assert opened == []  # nothing happens before the app starts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        client = TestClient(app)
    with client:
        assert len(opened) == 1
        assert client.post("/orders/0000000001/va").json() == {"code": "2002700"}
        assert client.post("/orders/0000000002/va").json() == {"code": "2002700"}
        assert len(opened) == 1  # one client for the app's life, not one per request
    assert opened[0]._http.is_closed
    paid = snap_emulator.pay(virtual_account_no="   700120000000001")
    assert paid["paid"]["paymentFlagStatus"] == "00"


def test_starlette_takes_a_client_instance_and_routes_get_it_from_the_request(
    snap_emulator: SnapEmulator,
) -> None:
    snap = snap_emulator.async_client()

    async def create(request: Request) -> JSONResponse:
        client = get_snap_client(request)
        answer = await client.create_va(va("0000000003", snap_emulator.credentials))
        return JSONResponse({"same": client is snap, "code": answer.code.code})

    app = Starlette(
        routes=[Route("/va", create, methods=["POST"])], lifespan=snap_client_lifespan(snap)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        client = TestClient(app)
    with client:
        assert client.post("/va").json() == {"same": True, "code": "2002700"}
    assert snap._http.is_closed


def test_the_emulator_app_can_be_called_in_process(snap_emulator: SnapEmulator) -> None:
    async def create() -> str:
        transport = httpx.ASGITransport(app=snap_emulator.app)
        http = httpx.AsyncClient(transport=transport, base_url="http://emulator")
        async with http, snap_emulator.async_client(http_client=http) as snap:
            answer = await snap.create_va(va("0000000004", snap_emulator.credentials))
            return answer.code.code

    assert asyncio.run(create()) == "2002700"
    # The same emulator: its loopback side sees the VA created in-process.
    assert snap_emulator.pay(virtual_account_no="   700120000000004")["paid"]["trxId"] == (
        "order-0000000004"
    )


def test_get_snap_client_without_the_lifespan_is_a_configuration_error() -> None:
    async def route(request: Request) -> JSONResponse:
        try:
            get_snap_client(request)
        except ConfigurationError as err:
            return JSONResponse({"error": str(err), "hint": err.hint})
        return JSONResponse({"error": None})

    app = Starlette(routes=[Route("/", route)])
    with serve_app(app) as server:
        answer = httpx.get(server.url + "/").json()
    assert answer["error"] == "no AsyncSnapClient in the app's lifespan state"
    assert "snap_client_lifespan" in answer["hint"]


def test_a_factory_returning_something_else_is_refused() -> None:
    lifespan = snap_client_lifespan(lambda: "not a client")  # type: ignore[arg-type,return-value]
    app = Starlette(lifespan=lifespan)
    with pytest.raises(ConfigurationError, match="returned a str"):  # noqa: SIM117
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StarletteDeprecationWarning)
            with TestClient(app):
                pass


def test_serve_app_serves_wsgi_and_asgi_on_loopback() -> None:
    flask_app = Flask("wsgi")

    @flask_app.get("/")
    def hello() -> str:
        return "wsgi"

    async def asgi(request: Request) -> JSONResponse:
        return JSONResponse("asgi")

    starlette_app = Starlette(routes=[Route("/", asgi)])
    with serve_app(flask_app) as wsgi_server, serve_app(starlette_app) as asgi_server:
        assert not wsgi_server.asgi and asgi_server.asgi
        assert wsgi_server.url.startswith("http://127.0.0.1:")
        assert httpx.get(wsgi_server.url + "/").text == "wsgi"
        assert httpx.get(asgi_server.url + "/").json() == "asgi"


def test_the_fixtures_give_a_signed_client_and_the_customer_side(
    snap_emulator: SnapEmulator, snap_client: SnapClient
) -> None:
    assert snap_emulator.url.startswith("http://127.0.0.1:")
    assert "BEGIN PUBLIC KEY" in snap_emulator.provider_public_pem
    created = snap_client.create_va(va("0000000007", snap_emulator.credentials))
    assert created.code.code == "2002700"
    paid = snap_emulator.pay(virtual_account_no="   700120000000007")
    # No URL registered: the notification is recorded, and given up.
    assert paid["notification"]["gaveUp"] is True
    assert snap_emulator.state()["notifyUrl"] is None
    with pytest.raises(ConfigurationError, match="HTTP 404"):
        snap_emulator.pay(virtual_account_no="   709990000000000")
