"""Every catalogue route of the emulator, fed generated JSON of any shape, correctly signed:
never a 500, always a SNAP answer (7-digit code whose HTTP part is the status)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bisnap.catalogue import CATALOGUE, Endpoint
from bisnap.clock import JAKARTA, FixedClock
from bisnap.emulator import Emulator, EmulatorConfig, EmulatorCredentials, create_app
from bisnap.emulator.caller import MerchantCaller

CREDS = EmulatorCredentials.generate()
CLOCK = FixedClock(datetime(2024, 3, 5, 10, 0, tzinfo=JAKARTA))
SIGNED = [e for e in CATALOGUE if e.signed and e.name != "access_token_b2b"]

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["1e999999999", "-1", "0.00", "NaN", "99999999999999999999.99", ""]),
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _field_names(endpoint: Endpoint) -> list[str]:
    names = list(endpoint.required_fields)
    for group in endpoint.one_of:
        names.extend(group)
    return names


@st.composite
def _bodies(draw: st.DrawFn) -> tuple[Endpoint, dict[str, Any]]:
    endpoint = draw(st.sampled_from(SIGNED))
    body: dict[str, Any] = {}
    for name in _field_names(endpoint):
        node = body
        parts = name.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            if draw(st.integers(min_value=0, max_value=9)) == 0:  # mostly well-typed
                node[parts[-1]] = draw(_json)
            else:
                node[parts[-1]] = draw(st.text(min_size=1, max_size=10))
    extra = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "amount",
                    "pageSize",
                    "pageNumber",
                    "reason",
                    "payOptionDetails",
                    "additionalInfo",
                    "originalReferenceNo",
                    "serviceCode",
                ]
            ),
            _json,
            max_size=3,
        )
    )
    body.update(extra)
    return endpoint, body


async def _call(endpoint: Endpoint, raw: bytes) -> httpx.Response:
    emulator = Emulator(EmulatorConfig(credentials=CREDS, clock=CLOCK))
    caller = MerchantCaller(CREDS, CLOCK)
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        headers, body = caller.token_request()
        token = (await client.post("/v1.0/access-token/b2b", headers=headers, content=body)).json()[
            "accessToken"
        ]
        customer = None
        if endpoint.customer_token:
            bind = caller.service_request(
                "/v1.0/registration-account-binding",
                {"merchantId": "m", "authCode": "a"},
                access_token=token,
            )
            bound = await client.post(
                "/v1.0/registration-account-binding", headers=bind[0], content=bind[1]
            )
            customer = bound.json()["accessTokenInfo"]["accessToken"]
        headers, _ = caller.service_request(
            endpoint.path, {}, access_token=token, customer_token=customer
        )
        digest = hashlib.sha256(raw).hexdigest()
        text = f"{endpoint.method}:{endpoint.path}:{token}:{digest}:{headers['X-TIMESTAMP']}"
        mac = hmac.new(CREDS.client_secret.reveal().encode(), text.encode(), hashlib.sha512)
        headers["X-SIGNATURE"] = base64.b64encode(mac.digest()).decode()
        return await client.request(endpoint.method, endpoint.path, headers=headers, content=raw)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_bodies())
def test_no_body_shape_makes_a_500(case: tuple[Endpoint, dict[str, Any]]) -> None:
    endpoint, body = case
    raw = json.dumps(body, separators=(",", ":")).encode()
    answer = asyncio.run(_call(endpoint, raw))
    assert answer.status_code < 500, answer.text
    code = answer.json()["responseCode"]
    assert len(code) == 7 and code.isdigit()
    assert int(code[:3]) == answer.status_code
    assert code[3:5] == endpoint.service_code
