"""What the two catalogue walks share (dict bodies and typed models): the steps, an
emulator on a free loopback port with a known admin token, the client options, and the
sync and async drivers that perform the steps."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from bisnap import AsyncSnapClient, SnapClient
from bisnap.emulator import (
    ADMIN_TOKEN_HEADER,
    Emulator,
    EmulatorConfig,
    EmulatorCredentials,
    ThreadedServer,
)

ADMIN_TOKEN = "catalogue-walk-admin-token"
ADMIN = {ADMIN_TOKEN_HEADER: ADMIN_TOKEN}


@dataclass(frozen=True)
class Call:
    """One client call: method name, body (a dict or a model), keyword options."""

    name: str
    body: Any
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pay:
    """The customer pays (emulator admin route)."""

    key: dict[str, str]


Step = Call | Pay
Flow = Generator[Step, Any, set[str]]


@contextmanager
def serve_emulator(creds: EmulatorCredentials) -> Iterator[str]:
    """A fresh emulator on a free loopback port; yields its URL."""
    config = EmulatorConfig(credentials=creds, admin_token=ADMIN_TOKEN)
    with ThreadedServer(Emulator(config).app) as server:
        yield server.url


def client_options(url: str, creds: EmulatorCredentials) -> dict[str, Any]:
    """The SnapClient / AsyncSnapClient keyword arguments for the emulator at `url`."""
    return {
        "base_url": url,
        "app_base_url": url,
        "client_key": creds.client_key,
        "private_key": creds.partner_private_key,
        "client_secret": creds.client_secret,
        "partner_id": creds.partner_id,
        "channel_id": creds.channel_id,
    }


def walk(
    steps: Flow, client: SnapClient, admin: httpx.Client, check: Callable[[Call, Any], None]
) -> set[str]:
    """Perform every step with the sync client; returns the names the flow called."""
    answer: Any = None
    try:
        while True:
            step = steps.send(answer)
            if isinstance(step, Pay):
                paid = admin.post("/_emulator/pay", json=step.key)
                assert paid.status_code == 200, paid.text
                answer = None
                continue
            answer = getattr(client, step.name)(step.body, **step.options)
            check(step, answer)
    except StopIteration as done:
        called: set[str] = done.value
        return called


async def awalk(
    steps: Flow,
    client: AsyncSnapClient,
    admin: httpx.AsyncClient,
    check: Callable[[Call, Any], None],
) -> set[str]:
    """`walk` with the async client."""
    answer: Any = None
    try:
        while True:
            step = steps.send(answer)
            if isinstance(step, Pay):
                paid = await admin.post("/_emulator/pay", json=step.key)
                assert paid.status_code == 200, paid.text
                answer = None
                continue
            answer = await getattr(client, step.name)(step.body, **step.options)
            check(step, answer)
    except StopIteration as done:
        called: set[str] = done.value
        return called
