"""SnapAuth on plain httpx clients, and SnapClient with its auto-built TokenProvider."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bisnap import (
    AccessToken,
    AsyncSnapClient,
    ConfigurationError,
    ExternalIdGenerator,
    KeyPair,
    SnapAuth,
    SnapClient,
    generate_key_pair,
    verify_access_token,
)
from bisnap.http.auth import TRACE_EXTENSION
from bisnap.profiles import generic_snap
from bisnap.signing import SignatureTrace
from tests.unit.conftest import (
    CHANNEL,
    CLIENT_KEY,
    PARTNER,
    SANDBOX,
    SECRET,
    VA_BODY,
    AsyncFakeTokens,
    FakeTokens,
    SnapMock,
    TickingClock,
    snap_json,
)


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    """One partner key pair for this module."""
    return generate_key_pair()


def _auth(token: Any, **kwargs: Any) -> SnapAuth:
    return SnapAuth(client_secret=SECRET, token=token, clock=TickingClock(), **kwargs)


# --- SnapAuth -------------------------------------------------------------------------------


def test_snap_auth_signs_the_bytes_httpx_sends() -> None:
    mock = SnapMock()
    auth = _auth(FakeTokens(), partner_id=PARTNER, channel_id=CHANNEL)
    with httpx.Client(base_url=SANDBOX, auth=auth, transport=httpx.MockTransport(mock)) as http:
        response = http.post("/v1.0/transfer-va/create-va?x=1&y=a b", json=VA_BODY)
        http.post("/v1.0/transfer-va/status", content=b'{ "a" : 1 }')
    assert response.status_code == 200
    first, second = mock.requests
    assert first.headers["authorization"] == "Bearer token-1"
    assert first.headers["x-partner-id"] == PARTNER and first.headers["channel-id"] == CHANNEL
    assert "x-external-id" not in first.headers  # no generator configured
    assert mock.traces[0].path == "/v1.0/transfer-va/create-va?x=1&y=a%20b"
    assert mock.traces[1].minified_body == b'{"a":1}' and second.content == b'{ "a" : 1 }'
    trace = response.request.extensions[TRACE_EXTENSION]
    assert isinstance(trace, SignatureTrace) and trace.signature == first.headers["x-signature"]


def test_snap_auth_keeps_headers_the_caller_set() -> None:
    mock = SnapMock()
    ids = ExternalIdGenerator()
    auth = _auth(AccessToken.create("token-1"), partner_id="P", channel_id="C", external_ids=ids)
    with httpx.Client(auth=auth, transport=httpx.MockTransport(mock)) as http:
        http.post(
            f"{SANDBOX}/v1.0/balance-inquiry",
            content=b"{}",
            headers={"X-PARTNER-ID": "mine", "X-EXTERNAL-ID": "42", "Content-Type": "x/y"},
        )
        http.post(f"{SANDBOX}/v1.0/balance-inquiry", content=b"{}")
    first, second = mock.requests
    assert first.headers["x-partner-id"] == "mine" and first.headers["x-external-id"] == "42"
    assert first.headers["content-type"] == "x/y" and first.headers["channel-id"] == "C"
    assert second.headers["x-external-id"].isdigit()
    assert second.headers["content-type"] == "application/json"


def test_snap_auth_refreshes_a_rejected_token_once() -> None:
    mock = SnapMock(valid_tokens=("token-2",))
    tokens = FakeTokens("token-1", "token-2")
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["authorization"])  # the request object is re-signed
        return mock(request)

    with httpx.Client(auth=_auth(tokens), transport=httpx.MockTransport(handler)) as http:
        response = http.post(f"{SANDBOX}/v1.0/balance-inquiry", json={"accountNo": "0"})
    assert response.status_code == 200
    assert [t.reveal() for t in tokens.invalidated] == ["token-1"]
    assert seen == ["Bearer token-1", "Bearer token-2"]
    assert len(mock.traces) == 2


def test_snap_auth_with_a_static_token_does_not_retry() -> None:
    mock = SnapMock(valid_tokens=())
    auth = _auth(AccessToken.create("token-1"))
    with httpx.Client(auth=auth, transport=httpx.MockTransport(mock)) as http:
        response = http.post(f"{SANDBOX}/v1.0/balance-inquiry", json={})
    assert response.status_code == 401 and len(mock.requests) == 1


def test_snap_auth_does_not_refresh_on_other_answers() -> None:
    mock = SnapMock()
    mock.on("/balance-inquiry", snap_json(401, "4011100", "Unauthorized"), httpx.Response(502))
    tokens = FakeTokens()
    with httpx.Client(auth=_auth(tokens), transport=httpx.MockTransport(mock)) as http:
        assert http.post(f"{SANDBOX}/v1.0/balance-inquiry", json={}).status_code == 401
        assert http.post(f"{SANDBOX}/v1.0/balance-inquiry", json={}).status_code == 502
    assert tokens.invalidated == [] and len(mock.requests) == 2


@pytest.mark.anyio
async def test_snap_auth_async_with_async_and_sync_sources() -> None:
    mock = SnapMock(valid_tokens=("token-2",))
    tokens = AsyncFakeTokens("token-1", "token-2")
    transport = httpx.MockTransport(mock)
    async with httpx.AsyncClient(auth=_auth(tokens), transport=transport) as http:
        response = await http.post(f"{SANDBOX}/v1.0/balance-inquiry", json={"a": "é"})
    assert response.status_code == 200 and len(tokens.sync.invalidated) == 1
    async with httpx.AsyncClient(auth=_auth(FakeTokens("token-2")), transport=transport) as http:
        assert (await http.post(f"{SANDBOX}/v1.0/balance-inquiry", json={})).status_code == 200
    assert len(mock.traces) == 3


def test_snap_auth_refuses_an_async_source_on_a_sync_client() -> None:
    auth = _auth(AsyncFakeTokens())
    http = httpx.Client(auth=auth, transport=httpx.MockTransport(SnapMock()))
    with http, pytest.raises(ConfigurationError, match="async token source"):
        http.post(f"{SANDBOX}/v1.0/balance-inquiry", json={})


def test_snap_auth_with_a_profile_signs_hex_and_the_bare_path() -> None:
    profile = generic_snap("acme", prefix="/snap", signature_encoding="hex", include_query=False)
    mock = SnapMock(profile=profile)
    auth = _auth(FakeTokens(), profile=profile)
    with httpx.Client(auth=auth, transport=httpx.MockTransport(mock)) as http:
        assert http.post(f"{SANDBOX}/snap/v1.0/balance-inquiry?q=1", json={}).status_code == 200
    (trace,) = mock.traces
    assert trace.encoding == "hex" and trace.path == "/snap/v1.0/balance-inquiry"


def test_snap_auth_repr_hides_the_secret() -> None:
    text = repr(_auth(AccessToken.create("SENTINEL-tok")))
    assert SECRET not in text and "SENTINEL-tok" not in text and "[secure]" in text


# --- SnapClient with the TokenProvider it builds itself ---------------------------------------


class Provider:
    """A SnapMock that also serves the access-token endpoint (verifying the RSA signature)."""

    def __init__(self, keys: KeyPair) -> None:
        self.keys = keys
        self.snap = SnapMock(valid_tokens=())
        self.token_requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access-token/b2b"):
            self.token_requests.append(request)
            verify_access_token(
                client_key=request.headers["x-client-key"],
                timestamp=request.headers["x-timestamp"],
                signature=request.headers["x-signature"],
                public_key=self.keys.public_key,
            )
            token = f"issued-{len(self.token_requests)}"
            self.snap.valid_tokens = (token,)
            return httpx.Response(
                200,
                json={
                    "responseCode": "2007300",
                    "responseMessage": "Successful",
                    "accessToken": token,
                    "tokenType": "Bearer",
                    "expiresIn": "900",
                },
            )
        return self.snap(request)


def test_client_builds_a_token_provider_from_client_key_and_private_key(keys: KeyPair) -> None:
    provider = Provider(keys)
    with SnapClient(
        base_url="sandbox",
        client_key=CLIENT_KEY,
        private_key=keys.private_key,
        client_secret=SECRET,
        partner_id=PARTNER,
        channel_id=CHANNEL,
        http_client=httpx.Client(transport=httpx.MockTransport(provider)),
        validate=False,  # placeholder bodies
    ) as client:
        client.create_va(VA_BODY)
        client.va_status({"a": 1})
        provider.snap.valid_tokens = ()  # the provider forgets the token: 401xx01
        client.va_status({"a": 1})
    assert len(provider.token_requests) == 2
    (token_request,) = provider.token_requests[:1]
    assert token_request.headers["x-client-key"] == CLIENT_KEY
    assert json.loads(token_request.content) == {"grantType": "client_credentials"}
    assert [r.headers["authorization"] for r in provider.snap.requests] == [
        "Bearer issued-1",
        "Bearer issued-1",
        "Bearer issued-1",
        "Bearer issued-2",
    ]


@pytest.mark.anyio
async def test_async_client_builds_an_async_token_provider(keys: KeyPair) -> None:
    provider = Provider(keys)
    profile = generic_snap("acme", prefix="/snap", grant_type_field="grant_type")
    async with AsyncSnapClient(
        base_url="https://api.acme.test",
        client_key=CLIENT_KEY,
        private_key=keys.private_key,
        client_secret=SECRET,
        partner_id=PARTNER,
        channel_id=CHANNEL,
        profile=profile,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(provider)),
    ) as client:
        answer = await client.balance_inquiry({"accountNo": "0"})
    (token_request,) = provider.token_requests
    assert token_request.url.path == "/snap/v1.0/access-token/b2b"
    assert json.loads(token_request.content) == {"grant_type": "client_credentials"}
    assert provider.snap.requests[0].url.path == "/snap/v1.0/balance-inquiry"
    assert answer.is_success


def test_snap_auth_lets_the_access_token_request_through() -> None:
    mock = SnapMock()
    with httpx.Client(auth=_auth(AsyncFakeTokens()), transport=httpx.MockTransport(mock)) as http:
        http.post(f"{SANDBOX}/v1.0/access-token/b2b", json={}, headers={"X-CLIENT-KEY": "k"})
    (request,) = mock.requests
    assert "x-signature" not in request.headers and "authorization" not in request.headers
