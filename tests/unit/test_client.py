"""SnapClient and AsyncSnapClient over httpx.MockTransport: the mock verifies every HMAC
over the bytes received. Tests taking `shell` run once per client (tests/unit/conftest.py)."""

from __future__ import annotations

import inspect
import json
import logging
import re
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bisnap import (
    AccessToken,
    ApiError,
    AsyncSnapClient,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    HeaderError,
    InputError,
    NotFoundError,
    RetryPolicy,
    ServerError,
    SnapClient,
    SnapResponse,
    TokenRejectedError,
    TransportError,
    UnauthorizedError,
)
from bisnap.catalogue import ACCESS_TOKEN_B2B, CATALOGUE, by_name
from bisnap.signing import SignatureTrace
from tests.unit.conftest import (
    CHANNEL,
    CLIENT_KEY,
    HTML,
    PARTNER,
    SANDBOX,
    SECRET,
    TRANSFER_BODY,
    VA_BODY,
    AsyncFakeTokens,
    FakeTokens,
    Reply,
    Shell,
    SnapMock,
    compact,
    make_client,
    no_jitter,
    snap_json,
)

# --- one method per catalogue entry, same signatures on both clients -----------------------


def _public(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_catalogue_entry_has_a_method_on_both_clients() -> None:
    for endpoint in CATALOGUE:
        if endpoint is ACCESS_TOKEN_B2B:
            assert not hasattr(SnapClient, endpoint.name)
            continue
        for cls in (SnapClient, AsyncSnapClient):
            assert callable(getattr(cls, endpoint.name, None)), (cls.__name__, endpoint.name)
            doc = getattr(cls, endpoint.name).__doc__ or ""
            assert endpoint.path in doc and endpoint.service_code in doc


def test_sync_and_async_clients_have_the_same_public_signatures() -> None:
    sync, asyn = _public(SnapClient), _public(AsyncSnapClient)
    assert sync.keys() == asyn.keys()
    for name in sync:
        if name.startswith("iter_"):  # Iterator[T] on one side, AsyncIterator[T] on the other
            params_s = inspect.signature(sync[name]).parameters
            assert params_s == inspect.signature(asyn[name]).parameters, name
            assert inspect.isasyncgenfunction(asyn[name]), name
            continue
        assert inspect.signature(sync[name]) == inspect.signature(asyn[name]), name
        assert inspect.iscoroutinefunction(asyn[name]), name
    init_s, init_a = (inspect.signature(c.__init__) for c in (SnapClient, AsyncSnapClient))
    assert [(p.name, p.kind, p.default) for p in init_s.parameters.values()] == [
        (p.name, p.kind, p.default) for p in init_a.parameters.values()
    ]


def test_no_extra_public_endpoint_methods() -> None:
    names = {e.name for e in CATALOGUE if e is not ACCESS_TOKEN_B2B}
    assert set(_public(SnapClient)) - names == {
        "close",
        "request",
        "iter_transaction_history",
        "confirm_notification",
        "verify_and_confirm",
    }


@pytest.mark.parametrize(
    "endpoint", [e for e in CATALOGUE if e is not ACCESS_TOKEN_B2B], ids=lambda e: e.name
)
def test_each_method_calls_its_catalogue_path(endpoint: Any) -> None:
    mock = SnapMock()
    with make_client(mock) as client:
        method = getattr(client, endpoint.name)
        if endpoint.method == "GET":
            mock.on(endpoint.path, httpx.Response(302, headers={"Location": "https://x/pin"}))
            answer = method({"redirectUrl": "https://shop/back", "scopes": "DEFAULT"})
        else:
            answer = method({"k": "v"}, customer_token="cust-1", device_id="dev-1")
    (request,) = mock.requests
    assert request.method == endpoint.method
    assert request.url.path == endpoint.path
    assert answer.endpoint == endpoint.name
    assert answer.code.service == endpoint.service_code
    if endpoint.signed:
        assert mock.traces and mock.traces[0].path == endpoint.path


# --- signing the exact bytes ---------------------------------------------------------------


@pytest.mark.anyio
async def test_create_va_signs_and_sends_compact_utf8_bytes(shell: Shell) -> None:
    mock = SnapMock()
    async with shell.client(mock) as client:
        answer = await client.create_va(VA_BODY)
    (request,) = mock.requests
    assert str(request.url) == f"{SANDBOX}/v1.0/transfer-va/create-va"
    assert request.content == compact(VA_BODY)
    assert "é".encode() in request.content and b"\\u" not in request.content
    headers = request.headers
    assert headers["authorization"] == "Bearer token-1"
    assert headers["x-partner-id"] == PARTNER
    assert headers["channel-id"] == CHANNEL
    assert headers["content-type"] == "application/json"
    assert re.fullmatch(r"2024-03-05T17:37:1\d\+07:00", headers["x-timestamp"])
    assert headers["x-external-id"].isdigit() and len(headers["x-external-id"]) == 20
    assert "authorization-customer" not in headers
    assert isinstance(answer, SnapResponse)
    assert answer.status_code == 200 and answer.code.code == "2002700"
    assert answer.message == "Successful" and answer.is_success
    assert answer.body == {"responseCode": "2002700", "responseMessage": "Successful"}
    assert answer.raw.startswith(b"{") and answer.attempts == 1
    assert answer.external_id == headers["x-external-id"]
    assert answer.trace is not None and answer.trace.signature == headers["x-signature"]
    assert answer.request_headers["Authorization"] == "Bearer ********"
    assert answer.endpoint == "create_va" and len(mock.traces) == 1


def test_bytes_are_sent_as_given_and_the_minified_form_is_signed() -> None:
    mock = SnapMock()
    raw = b'{\n  "partnerServiceId": "   70012",\n  "note": "a  b"\n}'
    with make_client(mock) as client:
        client.create_va(raw, external_id="123456789")
    (request,) = mock.requests
    assert request.content == raw
    assert request.headers["x-external-id"] == "123456789"
    assert mock.traces[0].minified_body == b'{"partnerServiceId":"   70012","note":"a  b"}'


def test_bytes_that_are_not_json_are_refused_before_sending() -> None:
    mock = SnapMock()
    with make_client(mock) as client, pytest.raises(InputError):
        client.create_va(b"<xml/>")
    assert mock.requests == []


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": {1, 2}}, {"x": "\ud800"}])
def test_unserialisable_bodies_raise_input_error(bad: Any) -> None:
    with make_client(SnapMock()) as client, pytest.raises(InputError):
        client.create_va(bad)


def test_customer_token_sends_authorization_customer_and_device_id() -> None:
    mock = SnapMock()
    with make_client(mock) as client:
        client.auth_payment(
            {"partnerReferenceNo": "p-1"},
            customer_token=AccessToken.create("cust-token-9"),
            device_id="android-1",
        )
        with pytest.raises(HeaderError):
            client.account_unbinding({"merchantId": "m"})
        with pytest.raises(HeaderError):
            client.auth_payment({"x": 1}, customer_token="cust")  # no device id
    (request,) = mock.requests
    assert request.headers["authorization-customer"] == "Bearer cust-token-9"
    assert request.headers["x-device-id"] == "android-1"
    assert request.headers["authorization"] == "Bearer token-1"


def test_optional_customer_token_may_be_omitted() -> None:
    mock = SnapMock()
    with make_client(mock) as client:
        client.account_binding_inquiry({"additionalInfo": {"accountId": "legacy"}})
        client.debit_payment({"partnerReferenceNo": "p"})
    assert len(mock.requests) == 2


def test_origin_and_extra_headers() -> None:
    mock = SnapMock()
    with make_client(mock, origin="www.shop.test") as client:
        client.va_status({"a": 1}, headers={"X-IP-ADDRESS": "10.0.0.1"})
    request = mock.requests[0]
    assert request.headers["origin"] == "www.shop.test"
    assert request.headers["x-ip-address"] == "10.0.0.1"


# --- retries -------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_idempotent_replay_resends_same_external_id_and_bytes_with_new_signature(
    shell: Shell,
) -> None:
    mock = SnapMock()
    mock.on("/create-va", (500, {"responseCode": "5002701", "responseMessage": "Internal"}))
    mock.on("/create-va", httpx.ReadTimeout("slow"))
    sleeps: list[float] = []
    async with shell.client(mock, sleeps=sleeps) as client:
        answer = await client.create_va(VA_BODY)
    first, second, third = mock.sent("/create-va")
    assert {r.headers["x-external-id"] for r in (first, second, third)} == {answer.external_id}
    assert first.content == second.content == third.content == compact(VA_BODY)
    timestamps = [r.headers["x-timestamp"] for r in (first, second, third)]
    signatures = [r.headers["x-signature"] for r in (first, second, third)]
    assert len(set(timestamps)) == 3 and len(set(signatures)) == 3
    assert len(mock.traces) == 3  # the mock verified all three
    assert answer.attempts == 3
    assert sleeps == [0.5, 1.0]


@pytest.mark.anyio
async def test_replay_is_bounded(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/create-va", *[(500, {"responseCode": "5002701"})] * 5)
    sleeps: list[float] = []
    retry = RetryPolicy(max_attempts=4, random=no_jitter)
    async with shell.client(mock, sleeps=sleeps, retry=retry) as client:
        with pytest.raises(ServerError) as info:
            await client.create_va(VA_BODY)
    assert len(mock.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert info.value.code is not None and info.value.code.code == "5002701"


def test_read_only_call_retries_on_5xx_and_html_answers() -> None:
    mock = SnapMock()
    html = httpx.Response(502, content=b"<html>Bad Gateway</html>", headers=HTML)
    mock.on("/transfer-va/status", html, (503, {"responseCode": "5032600"}))
    with make_client(mock) as client:
        answer = client.va_status({"trxId": "t"})
    assert answer.attempts == 3
    assert len({r.headers["x-external-id"] for r in mock.requests}) == 1


@pytest.mark.anyio
async def test_non_money_write_is_not_retried(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/registration-account-binding", (500, {"responseCode": "5000701"}))
    sleeps: list[float] = []
    async with shell.client(mock, sleeps=sleeps) as client:
        with pytest.raises(ServerError):
            await client.account_binding({"merchantId": "m", "authCode": "a"})
    assert len(mock.requests) == 1 and sleeps == []


@pytest.mark.anyio
async def test_lost_answer_on_non_replay_write_raises_transport_error(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/registration-account-binding", httpx.ReadTimeout("read timed out"))
    async with shell.client(mock) as client:
        with pytest.raises(TransportError) as info:
            await client.account_binding({"merchantId": "m"})
    assert not isinstance(info.value, ConnectionFailedError)
    assert "may have been processed" in str(info.value)
    assert isinstance(info.value.trace, SignatureTrace)


@pytest.mark.anyio
async def test_connection_failures_are_retried_even_for_money(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/transfer-interbank", httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"))
    sleeps: list[float] = []
    async with shell.client(mock, sleeps=sleeps) as client:
        answer = await client.interbank_transfer(TRANSFER_BODY)
    assert answer.endpoint == "interbank_transfer" and answer.attempts == 3
    assert sleeps == [0.5, 1.0]
    assert mock.sent("/transfer/status") == []


@pytest.mark.anyio
async def test_connection_failure_exhausted_raises_connection_failed(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/balance-inquiry", *[httpx.ConnectError("refused")] * 3)
    async with shell.client(mock) as client:
        with pytest.raises(ConnectionFailedError) as info:
            await client.balance_inquiry({"accountNo": "0000000000"})
    assert "not sent" in str(info.value)
    mock.on("/registration-account-binding", httpx.Response(503, content=b"<html/>"))
    async with shell.client(mock) as client:
        with pytest.raises(ServerError, match="HTTP 503"):
            await client.account_binding({"merchantId": "m"})


_SERVER_ERROR: Reply = (500, {"responseCode": "5001801", "responseMessage": "x"})
_LOST: Reply = httpx.ReadTimeout("lost")


# --- Payouts: status before any retry --------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("failure", [_SERVER_ERROR, _LOST], ids=["5xx", "lost"])
async def test_payout_5xx_asks_transfer_status_and_returns_its_answer_when_it_exists(
    shell: Shell, failure: Reply
) -> None:
    mock = SnapMock()
    mock.on("/transfer-interbank", failure)
    mock.on(
        "/transfer/status",
        snap_json(200, "2003600", "Successful", originalPartnerReferenceNo="payout-42"),
    )
    async with shell.client(mock) as client:
        answer = await client.interbank_transfer(TRANSFER_BODY)
    assert len(mock.sent("/transfer-interbank")) == 1  # never re-sent
    (status,) = mock.sent("/transfer/status")
    assert json.loads(status.content) == {
        "originalPartnerReferenceNo": "payout-42",
        "serviceCode": "18",
    }
    assert answer.endpoint == "transfer_status" and answer.code.code == "2003600"
    assert answer.body["originalPartnerReferenceNo"] == "payout-42"


@pytest.mark.anyio
@pytest.mark.parametrize("failure", [_SERVER_ERROR, _LOST], ids=["5xx", "lost"])
async def test_payout_timeout_status_not_found_resends_same_bytes_and_external_id(
    shell: Shell, failure: Reply
) -> None:
    mock = SnapMock()
    mock.on("/transfer-intrabank", failure)
    mock.on("/transfer/status", snap_json(404, "4043601", "Transaction Not Found"))
    body = {**TRANSFER_BODY, "remark": "gaji"}
    async with shell.client(mock) as client:
        answer = await client.intrabank_transfer(body)
    first, second = mock.sent("/transfer-intrabank")
    assert first.content == second.content == compact(body)
    assert first.headers["x-external-id"] == second.headers["x-external-id"]
    assert first.headers["x-signature"] != second.headers["x-signature"]
    assert answer.endpoint == "intrabank_transfer" and answer.attempts == 2
    status = mock.sent("/transfer/status")[0]
    assert status.headers["x-external-id"] != first.headers["x-external-id"]
    assert json.loads(status.content)["serviceCode"] == "17"


@pytest.mark.anyio
@pytest.mark.parametrize(
    "status_failure", [(500, {"responseCode": "5003601"}), _LOST], ids=["5xx", "lost"]
)
async def test_payout_status_unknown_raises_the_original_error_without_resending(
    shell: Shell, status_failure: Reply
) -> None:
    mock = SnapMock()
    mock.on("/emoney/topup", (500, {"responseCode": "5003801"}))
    mock.on("/transfer/status", *[status_failure] * 3)
    async with shell.client(mock) as client:
        with pytest.raises(ServerError) as info:
            await client.emoney_topup({"partnerReferenceNo": "top-1"})
    assert len(mock.sent("/emoney/topup")) == 1
    assert len(mock.sent("/transfer/status")) == 3  # the status call itself is read-only
    assert info.value.code is not None and info.value.code.code == "5003801"


def test_payout_without_partner_reference_is_not_retried() -> None:
    mock = SnapMock()
    mock.on("/transfer-va/payment-intrabank", (504, {"responseCode": "5043300"}))
    with make_client(mock) as client, pytest.raises(ServerError):
        client.va_payment_intrabank({"customerNo": "1"})
    assert len(mock.requests) == 1


def test_payout_business_errors_are_raised_without_status_check() -> None:
    mock = SnapMock()
    mock.on("/transfer-interbank", snap_json(409, "4091801", "Duplicate partnerReferenceNo"))
    with make_client(mock) as client, pytest.raises(ConflictError) as info:
        client.interbank_transfer(TRANSFER_BODY)
    assert len(mock.requests) == 1
    assert "4091801" in str(info.value)


# --- tokens ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_invalid_b2b_token_refreshes_once_and_resends(shell: Shell) -> None:
    mock = SnapMock(valid_tokens=("token-2",))
    tokens = FakeTokens("token-1", "token-2")
    async with shell.client(mock, tokens=tokens) as client:
        answer = await client.create_va(VA_BODY)
    assert [t.reveal() for t in tokens.invalidated] == ["token-1"]
    first, second = mock.requests
    assert first.headers["authorization"] == "Bearer token-1"
    assert second.headers["authorization"] == "Bearer token-2"
    assert first.headers["x-external-id"] == second.headers["x-external-id"]
    assert answer.is_success and answer.attempts == 2


@pytest.mark.anyio
async def test_token_refresh_happens_only_once(shell: Shell) -> None:
    mock = SnapMock(valid_tokens=())
    tokens = FakeTokens("token-1", "token-2", "token-3")
    async with shell.client(mock, tokens=tokens) as client:
        with pytest.raises(TokenRejectedError) as info:
            await client.account_binding({"merchantId": "m"})
    assert len(tokens.invalidated) == 1 and len(mock.requests) == 2
    assert info.value.code is not None and info.value.code.case == "01"


@pytest.mark.parametrize("case", ["02", "04"])
def test_customer_token_errors_do_not_refresh_the_b2b_token(case: str) -> None:
    mock = SnapMock()
    mock.on("/auth/payment", snap_json(401, f"40163{case}", "Invalid Customer Token"))
    tokens = FakeTokens()
    with make_client(mock, tokens=tokens) as client, pytest.raises(TokenRejectedError) as info:
        client.auth_payment({"x": 1}, customer_token="cust", device_id="d")
    assert tokens.invalidated == [] and len(mock.requests) == 1
    assert "Account Binding Inquiry" in info.value.hint


@pytest.mark.anyio
async def test_unauthorized_carries_the_trace_and_the_explain_hint(shell: Shell) -> None:
    mock = SnapMock(secret="a-different-secret")
    async with shell.client(mock) as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.create_va(VA_BODY)
    err = info.value
    assert err.status_code == 401
    assert err.code is not None and err.code.code == "4012700"
    assert "bisnap explain service" in err.hint
    assert isinstance(err.trace, SignatureTrace)
    assert err.trace.path == "/v1.0/transfer-va/create-va"
    assert err.trace.minified_body == compact(VA_BODY)
    assert "token-1" not in repr(err.trace) and "token-1" not in str(err)


# --- parsing answers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [("20054000", "2005400"), (2002700, "2002700"), ("2022700", "2022700")],
)
def test_tolerated_success_codes(code: str | int, expected: str) -> None:
    mock = SnapMock()
    mock.on("/create-va", snap_json(200, code, "Successful"))
    with make_client(mock) as client:
        answer = client.create_va(VA_BODY)
    assert answer.code.code == expected and answer.code.raw == str(code)


def test_eight_digit_error_code_is_typed() -> None:
    mock = SnapMock()
    mock.on("/transfer-va/status", snap_json(404, "40426001", "Invalid Transaction Status"))
    with make_client(mock) as client, pytest.raises(NotFoundError) as info:
        client.va_status({"a": 1})
    assert info.value.code is not None and info.value.code.code == "4042600"
    assert "sent as 40426001" in str(info.value)


def test_error_code_in_an_http_200_answer_still_raises() -> None:
    mock = SnapMock()
    mock.on("/create-va", snap_json(200, "4002702", "Invalid Mandatory Field totalAmount"))
    with make_client(mock) as client, pytest.raises(BadRequestError) as info:
        client.create_va(VA_BODY)
    assert "Invalid Mandatory Field totalAmount" in str(info.value)
    assert info.value.status_code == 200


@pytest.mark.parametrize(
    ("response", "cls"),
    [
        (
            httpx.Response(502, content=b"<html>502</html>", headers=HTML),
            ServerError,
        ),
        (httpx.Response(403, content=b"<html>denied</html>"), ApiError),
        (httpx.Response(200, content=b""), ApiError),
        (httpx.Response(200, content=b"\xff\xfe"), ApiError),
        (httpx.Response(200, json=["not", "an", "object"]), ApiError),
        (httpx.Response(400, json={"error": "no code"}), ApiError),
        (httpx.Response(200, json={"responseCode": "OK"}), ApiError),
    ],
)
def test_answers_that_are_not_snap_json_raise_api_error(
    response: httpx.Response, cls: type[ApiError]
) -> None:
    mock = SnapMock()
    mock.on("/registration-account-binding", response)
    with make_client(mock) as client, pytest.raises(cls) as info:
        client.account_binding({"merchantId": "m"})
    assert type(info.value) is cls
    assert f"HTTP {response.status_code}" in str(info.value)
    assert not isinstance(info.value, json.JSONDecodeError)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("4092700", ConflictError),
        ("4092701", ConflictError),
        ("4002701", BadRequestError),
        ("4042701", NotFoundError),
        ("4292700", ApiError),
        ("5002700", ServerError),
    ],
)
def test_error_classes_by_code(code: str, cls: type[ApiError]) -> None:
    mock = SnapMock()
    mock.on("/create-va", *[snap_json(int(code[:3]), code, "m")] * 3)
    with make_client(mock) as client, pytest.raises(cls) as info:
        client.create_va(VA_BODY)
    assert info.value.code is not None and info.value.code.code == code
    assert info.value.body == {"responseCode": code, "responseMessage": "m"}


# --- the generic request and Get Auth Code ------------------------------------------------------


@pytest.mark.anyio
async def test_generic_request_signs_the_path_and_query_as_sent(shell: Shell) -> None:
    mock = SnapMock()
    async with shell.client(mock) as client:
        answer = await client.request("get", "/v1.0/custom/thing?a=1&b=x y")
    (request,) = mock.requests
    assert request.method == "GET" and request.content == b""
    assert mock.traces[0].path == "/v1.0/custom/thing?a=1&b=x%20y"
    assert answer.endpoint is None


def test_generic_request_on_a_catalogue_path_uses_its_retry_rules() -> None:
    mock = SnapMock()
    mock.on("/create-va", (500, {"responseCode": "5002700"}))
    with make_client(mock) as client:
        answer = client.request("POST", "/v1.0/transfer-va/create-va", VA_BODY)
    assert answer.endpoint == "create_va" and answer.attempts == 2


def test_generic_request_outside_the_catalogue_is_not_retried() -> None:
    mock = SnapMock()
    mock.on("/v1.0/other", (500, {"responseCode": "5000000"}))
    with make_client(mock) as client, pytest.raises(ServerError):
        client.request("POST", "/v1.0/other", {"a": 1})
    assert len(mock.requests) == 1


@pytest.mark.anyio
async def test_get_auth_code_goes_unsigned_to_the_app_host(shell: Shell) -> None:
    mock = SnapMock()
    mock.on("/get-auth-code", httpx.Response(302, headers={"Location": "https://gopay/pin?x=1"}))
    async with shell.client(mock) as client:
        answer = await client.get_auth_code(
            {"redirectUrl": "https://shop.test/back", "scopes": "DEFAULT"}
        )
    (request,) = mock.requests
    assert request.url.host == "merchants-app.sbx.midtrans.com"
    assert request.url.params["redirectUrl"] == "https://shop.test/back"
    assert "x-signature" not in request.headers and "authorization" not in request.headers
    assert answer.status_code == 302 and answer.location == "https://gopay/pin?x=1"
    assert answer.is_success and answer.code.service == "10"


def test_get_auth_code_error_redirect_raises() -> None:
    mock = SnapMock()
    location = "https://shop.test/back?responseCode=4001002&responseMessage=Invalid+Mandatory"
    mock.on("/get-auth-code", httpx.Response(302, headers={"Location": location}))
    with make_client(mock) as client, pytest.raises(BadRequestError) as info:
        client.get_auth_code({"redirectUrl": "https://shop.test/back"})
    assert "4001002" in str(info.value)


def test_get_body_must_be_flat() -> None:
    with make_client(SnapMock()) as client, pytest.raises(InputError):
        client.get_auth_code({"nested": {"a": 1}})


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "api", "app"),
    [
        ("sandbox", "merchants.sbx.midtrans.com", "merchants-app.sbx.midtrans.com"),
        ("staging", "merchants.stg.midtrans.com", "merchants-app.stg.midtrans.com"),
        ("production", "merchants.midtrans.com", "merchants-app.midtrans.com"),
        ("https://merchants.midtrans.com/", "merchants.midtrans.com", "merchants-app.midtrans.com"),
        ("http://127.0.0.1:9/mock", "127.0.0.1", "127.0.0.1"),
    ],
)
def test_base_url_presets(base_url: str, api: str, app: str) -> None:
    mock = SnapMock()
    mock.on("/get-auth-code", httpx.Response(302, headers={"Location": "https://x"}))
    with make_client(mock, base_url=base_url) as client:
        client.balance_inquiry({"accountNo": "1"})
        client.get_auth_code({"a": "b"})
    assert [r.url.host for r in mock.requests] == [api, app]
    if base_url.endswith("/mock"):
        assert mock.requests[0].url.path == "/mock/v1.0/balance-inquiry"
        assert mock.traces[0].path == "/mock/v1.0/balance-inquiry"


def test_unknown_environment_and_missing_credentials() -> None:
    with pytest.raises(ConfigurationError, match="no environment 'prod'"):
        make_client(SnapMock(), base_url="prod")
    with pytest.raises(ConfigurationError, match="private_key"):
        make_client(SnapMock(), token_provider=None)
    with pytest.raises(ConfigurationError):
        make_client(SnapMock(), client_secret="")
    with pytest.raises(ConfigurationError):
        make_client(SnapMock(), partner_id="")
    with pytest.raises(ConfigurationError):
        RetryPolicy(max_attempts=0)


def test_retry_policy_delays() -> None:
    policy = RetryPolicy(backoff=0.25, multiplier=3, max_backoff=2)
    assert [policy.delay(n) for n in (1, 2, 3, 4)] == [0.25, 0.75, 2, 2]


def test_client_owns_only_the_http_client_it_created() -> None:
    http = httpx.Client(transport=httpx.MockTransport(SnapMock()))
    client = make_client(SnapMock(), http_client=http)
    client.close()
    assert not http.is_closed
    own = SnapClient(
        base_url="sandbox",
        client_key=CLIENT_KEY,
        client_secret=SECRET,
        partner_id=PARTNER,
        channel_id=CHANNEL,
        token_provider=FakeTokens(),
    )
    own.close()
    http.close()


@pytest.mark.anyio
async def test_async_client_owns_only_the_http_client_it_created() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(SnapMock()))
    client = AsyncSnapClient(
        base_url="sandbox",
        client_key=CLIENT_KEY,
        client_secret=SECRET,
        partner_id=PARTNER,
        channel_id=CHANNEL,
        token_provider=AsyncFakeTokens(),
        http_client=http,
    )
    await client.close()
    assert not http.is_closed
    await http.aclose()
    own = AsyncSnapClient(
        base_url="staging",
        client_key=CLIENT_KEY,
        client_secret=SECRET,
        partner_id=PARTNER,
        channel_id=CHANNEL,
        token_provider=AsyncFakeTokens(),
    )
    assert own.base_url == "https://merchants.stg.midtrans.com"
    await own.close()


# --- secrets never leak ---------------------------------------------------------------------


def test_no_secret_or_token_in_reprs_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    secret = "SENTINEL-client-secret-7f3a"
    token = "SENTINEL-access-token-91bc"
    customer = "SENTINEL-customer-token-44d0"
    mock = SnapMock(secret=secret, valid_tokens=(token,))
    mock.on("/auth/payment", (500, {"responseCode": "5006300"}), snap_json(401, "4016300", "x"))
    caplog.set_level(logging.DEBUG)
    with make_client(mock, client_secret=secret, tokens=FakeTokens(token)) as client:
        seen: list[str] = [repr(client), str(client)]
        answer = client.va_status({"a": 1})
        seen += [repr(answer), str(answer), repr(answer.trace), str(answer.request_headers)]
        with pytest.raises(UnauthorizedError) as info:
            client.auth_payment({"p": 1}, customer_token=customer, device_id="d")
        err = info.value
        seen += [repr(err), str(err), err.hint, repr(err.trace)]
    seen += [record.getMessage() for record in caplog.records]
    seen.append(caplog.text)
    assert any("Authorization" in line for line in seen)  # headers were logged, redacted
    for text in seen:
        for sentinel in (secret, token, customer):
            assert sentinel not in text


# --- any JSON body verifies ---------------------------------------------------------------------

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(deadline=None, max_examples=60)
@given(body=st.dictionaries(st.text(), _json, max_size=5))
def test_any_json_body_is_received_as_signed(body: dict[str, Any]) -> None:
    mock = SnapMock()
    with make_client(mock) as client:
        client.create_va(body)
    (request,) = mock.requests
    assert request.content == compact(body)
    assert json.loads(request.content) == body
    assert len(mock.traces) == 1  # verify_service accepted the bytes received


def test_endpoint_lookup_is_the_catalogue() -> None:
    assert by_name("create_va").path == "/v1.0/transfer-va/create-va"
