"""The typed client surface over a mock transport: bytes sent, paging, hooks, settings, logs.

Both shells are driven by one parametrised body where the behaviour is the same.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bisnap import AsyncSnapClient, SnapClient, TypedResponse, __version__
from bisnap import models as m
from bisnap.clock import JAKARTA, FixedClock
from bisnap.errors import ConfigurationError, InputError, RequestValidationError, VerificationError
from bisnap.http.conveniences import history_page, status_check_for
from bisnap.http.core import serialize_body
from bisnap.keys import generate_key_pair, private_key_to_pem, public_key_to_pem
from bisnap.notifications import Notification, NotificationVerifier
from bisnap.secrets import AccessToken
from bisnap.signing import sign_service_asymmetric
from bisnap.timestamps import format_timestamp

SECRET = "SENTINEL-client-secret-8c1f"
TOKEN = "SENTINEL-access-token-44aa"
CUSTOMER = "SENTINEL-customer-token-d00d"
KEYS = generate_key_pair()
NOW = datetime(2024, 3, 5, 10, 0, 0, tzinfo=JAKARTA)
MONEY = m.Amount(value="5000.00", currency="IDR")
Handler = Callable[[httpx.Request], httpx.Response]


class OneToken:
    """A token source that always hands out `TOKEN`."""

    def get(self) -> AccessToken:
        return AccessToken.create(TOKEN)

    def invalidate(self, token: AccessToken) -> bool:
        return False


class AsyncOneToken:
    """`OneToken`, awaited."""

    async def get(self) -> AccessToken:
        return AccessToken.create(TOKEN)

    async def invalidate(self, token: AccessToken) -> bool:
        return False


def ok(code: str, **body: Any) -> httpx.Response:
    return httpx.Response(200, json={"responseCode": code, "responseMessage": "OK", **body})


def _options(**extra: Any) -> dict[str, Any]:
    return {
        "base_url": "http://provider.test",
        "client_key": "G1234325-SNAP",
        "client_secret": SECRET,
        "partner_id": "G059876677",
        "channel_id": "95221",
        "clock": FixedClock(NOW),
        **extra,
    }


class Shell:
    """Calls a client method the same way for SnapClient and AsyncSnapClient."""

    def __init__(self, is_async: bool, handler: Handler, **extra: Any) -> None:
        self.is_async = is_async
        transport = httpx.MockTransport(handler)
        if is_async:
            self.client: Any = AsyncSnapClient(
                **_options(
                    token_provider=AsyncOneToken(),
                    http_client=httpx.AsyncClient(transport=transport),
                    **extra,
                )
            )
        else:
            self.client = SnapClient(
                **_options(
                    token_provider=OneToken(),
                    http_client=httpx.Client(transport=transport),
                    **extra,
                )
            )

    async def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, name)(*args, **kwargs)
        return await result if self.is_async else result

    async def items(self, *args: Any, **kwargs: Any) -> list[m.HistoryItem]:
        if self.is_async:
            return [item async for item in self.client.iter_transaction_history(*args, **kwargs)]
        return list(self.client.iter_transaction_history(*args, **kwargs))


SHELLS = pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
pytestmark = pytest.mark.anyio


@SHELLS
async def test_a_typed_request_sends_the_bytes_of_its_dict_form(is_async: bool) -> None:
    sent: list[bytes] = []

    def provider(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return ok("2004700", referenceNo="QR1", qrContent="000201", brandNew={"x": 1})

    request = m.QrisGenerateRequest(partner_reference_no="qr-1", amount=MONEY, merchant_id="G1")
    shell = Shell(is_async, provider)
    answer = await shell("qris_generate", request)
    await shell("qris_generate", m.to_dict(request))
    assert (
        sent[0]
        == sent[1]
        == serialize_body(
            {
                "partnerReferenceNo": "qr-1",
                "amount": {"value": "5000.00", "currency": "IDR"},
                "merchantId": "G1",
            }
        )
    )
    assert isinstance(answer, TypedResponse)
    assert answer.data.reference_no == "QR1" and answer.data.extra == {"brandNew": {"x": 1}}
    assert answer.trace is not None and answer.trace.minified_body == sent[0]


@SHELLS
async def test_invalid_bodies_raise_before_sending_unless_validation_is_off(is_async: bool) -> None:
    sent: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return ok("2002600")

    with pytest.raises(RequestValidationError):
        await Shell(is_async, provider)("va_status", {"partnerServiceId": "70012"})
    assert sent == []
    answer = await Shell(is_async, provider, validate=False)(
        "va_status", {"partnerServiceId": "70012"}
    )
    assert answer.is_success and len(sent) == 1
    raw = await Shell(is_async, provider)("va_status", b'{"anything":"goes"}')  # exact bytes
    assert raw.is_success and sent[-1].content == b'{"anything":"goes"}'


@SHELLS
async def test_get_auth_code_signs_seamless_data_with_the_clients_key(is_async: bool) -> None:
    seen: list[httpx.Request] = []

    def provider(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        back = "https://shop.example/back?authCode=code-1&state=csrf-9&success=true"
        return httpx.Response(302, headers={"Location": back})

    data = "mobileNumber=62822999999&paymentType=gopay"
    shell = Shell(is_async, provider, private_key=KEYS.private_key)
    answer = await shell(
        "get_auth_code",
        m.GetAuthCodeRequest(
            redirect_url="https://shop.example/back",
            scopes="DEFAULT",
            state="csrf-9",
            merchant_id="uuid",
            seamless_data=data,
        ),
    )
    (request,) = seen
    query = dict(parse_qsl(request.url.query.decode()))
    assert query["seamlessData"] == data
    # Checked with raw cryptography: SHA256withRSA (PKCS#1 v1.5) over seamlessData.
    KEYS.public_key.verify(
        base64.b64decode(query["seamlessSign"]), data.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert "%2B" in str(request.url) or "+" not in query["seamlessSign"]  # encoded once
    assert answer.data.auth_code == "code-1" and answer.data.state == "csrf-9"


def _page_provider(total: int, seen: list[dict[str, Any]]) -> Handler:
    def provider(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        size, number = body["pageSize"], body["pageNumber"]
        items = [
            {
                "dateTime": f"t{i}",
                "status": "SUCCESS",
                "type": "PAYMENT",
                "additionalInfo": {"referenceNo": f"r{i}"},
            }
            for i in range(number * size, min(total, (number + 1) * size))
        ]
        return ok("2001200", detailData=items)

    return provider


@SHELLS
async def test_history_walks_every_page_from_zero(is_async: bool) -> None:
    seen: list[dict[str, Any]] = []
    shell = Shell(is_async, _page_provider(7, seen))
    filters = m.TransactionHistoryListRequest(
        from_date_time="2024-01-01T00:00:00+07:00",
        additional_info=m.HistoryFilter(types=["PAYMENT"]),
    )
    items = await shell.items(filters, page_size=3)
    assert [i.date_time for i in items] == [f"t{i}" for i in range(7)]
    assert [(b["pageNumber"], b["pageSize"]) for b in seen] == [(0, 3), (1, 3), (2, 3)]
    assert all(b["additionalInfo"] == {"types": ["PAYMENT"]} for b in seen)


@SHELLS
async def test_history_page_size_defaults_to_fifty_and_stops_on_an_exact_multiple(
    is_async: bool,
) -> None:
    seen: list[dict[str, Any]] = []
    items = await Shell(is_async, _page_provider(100, seen)).items(
        {"fromDateTime": "2024-01-01T00:00:00+07:00"}
    )
    assert len(items) == 100
    assert [b["pageNumber"] for b in seen] == [0, 1, 2] and seen[0]["pageSize"] == 50


@SHELLS
async def test_history_stops_when_the_provider_ignores_page_numbers(is_async: bool) -> None:
    def same_page(request: httpx.Request) -> httpx.Response:
        return ok("2001200", detailData=[{"dateTime": "a"}, {"dateTime": "b"}])

    assert len(await Shell(is_async, same_page).items(page_size=2)) == 2
    assert len(await Shell(is_async, same_page).items(page_size=1, max_pages=3)) == 2


def test_history_page_bounds() -> None:
    first = history_page(None, 0, 50)
    assert isinstance(first, m.TransactionHistoryListRequest)
    assert m.to_dict(first) == {"pageSize": 50, "pageNumber": 0}
    assert history_page({"partnerReferenceNo": "x", "pageNumber": 9}, 2, 10) == {
        "partnerReferenceNo": "x",
        "pageNumber": 2,
        "pageSize": 10,
    }
    for number, size in ((0, 51), (0, 0), (-1, 10)):
        with pytest.raises(InputError):
            history_page(None, number, size)


@SHELLS
async def test_user_agent_and_event_hooks(is_async: bool) -> None:
    agents: list[str] = []

    def provider(request: httpx.Request) -> httpx.Response:
        agents.append(request.headers["User-Agent"])
        return ok("2001100")

    balance = m.BalanceInquiryRequest(account_no="0000000000")
    await Shell(is_async, provider)("balance_inquiry", balance)  # the caller's httpx client
    await Shell(is_async, provider)("balance_inquiry", balance, headers={"User-Agent": "shop/1"})
    assert agents == [f"bisnap/{__version__}", "shop/1"]

    hooked: list[str] = []
    events: dict[str, list[Callable[..., Any]]]
    if is_async:

        async def on_request(request: httpx.Request) -> None:
            hooked.append(request.headers["User-Agent"])

        events = {"request": [on_request]}
        client_a = AsyncSnapClient(**_options(token_provider=AsyncOneToken(), event_hooks=events))
        assert client_a._http.event_hooks["request"] == [on_request]
        assert client_a._http.headers["User-Agent"] == f"bisnap/{__version__}"
        await client_a.close()
    else:
        events = {"request": [lambda request: hooked.append(request.headers["User-Agent"])]}
        with SnapClient(**_options(token_provider=OneToken(), event_hooks=events)) as client_s:
            assert client_s._http.event_hooks["request"] == events["request"]
            assert client_s._http.headers["User-Agent"] == f"bisnap/{__version__}"
    with pytest.raises(ConfigurationError):
        Shell(is_async, provider, event_hooks={"request": []})
    with pytest.raises(ConfigurationError):
        SnapClient(**_options(token_provider=OneToken(), event_hooks={"sent": []}))


def test_event_hooks_run_on_the_wire() -> None:
    hooked: list[tuple[str, str]] = []
    transport = httpx.MockTransport(lambda request: ok("2001100"))
    with SnapClient(
        **_options(
            token_provider=OneToken(),
            event_hooks={
                "request": [lambda r: hooked.append(("request", r.headers["User-Agent"]))],
                "response": [lambda r: hooked.append(("response", str(r.status_code)))],
            },
        )
    ) as client:
        client._http._transport = transport  # the hooks stay on bisnap's own client
        client.balance_inquiry(m.BalanceInquiryRequest(account_no="0000000000"))
    assert hooked == [("request", f"bisnap/{__version__}"), ("response", "200")]


# --- from_env -----------------------------------------------------------------------------


def _env(key: str) -> dict[str, str]:
    return {
        "BISNAP_BASE_URL": "http://provider.test",
        "BISNAP_CLIENT_KEY": "G1234325-SNAP",
        "BISNAP_CLIENT_SECRET": SECRET,
        "BISNAP_PRIVATE_KEY": key,
        "BISNAP_PARTNER_ID": "G059876677",
        "BISNAP_CHANNEL_ID": "95221",
    }


def _token_and_call(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/access-token/b2b"):
        KEYS.public_key.verify(
            base64.b64decode(request.headers["X-SIGNATURE"]),
            f"G1234325-SNAP|{request.headers['X-TIMESTAMP']}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
        return ok("2007300", accessToken=TOKEN, tokenType="Bearer", expiresIn="900")
    return ok("2001100")


@pytest.mark.parametrize("form", ["path", "pem", "escaped-pem"])
@SHELLS
async def test_from_env_with_a_key_path_or_pem_text(
    is_async: bool, form: str, tmp_path: Path
) -> None:
    pem = private_key_to_pem(KEYS.private_key).decode()
    key_file = tmp_path / "partner.pem"
    key_file.write_text(pem)
    key = {"path": str(key_file), "pem": pem, "escaped-pem": pem.replace("\n", "\\n")}[form]
    transport = httpx.MockTransport(_token_and_call)
    balance = m.BalanceInquiryRequest(account_no="0000000000")
    if is_async:
        async with AsyncSnapClient.from_env(
            env=_env(key), http_client=httpx.AsyncClient(transport=transport)
        ) as client_a:
            assert (await client_a.balance_inquiry(balance)).is_success
            assert SECRET not in repr(client_a)
    else:
        with SnapClient.from_env(
            env=_env(key), http_client=httpx.Client(transport=transport)
        ) as client_s:
            assert client_s.balance_inquiry(balance).is_success
            assert SECRET not in repr(client_s)


def test_from_env_names_a_missing_key_file() -> None:
    with pytest.raises(ConfigurationError) as info:
        SnapClient.from_env(env=_env("creds/partner.pem"))
    assert "creds/partner.pem" in str(info.value)


# --- notifications: the status query that confirms them ----------------------------------


def _verified(path: str, fields: dict[str, Any]) -> Notification:
    body = json.dumps(fields).encode()
    timestamp = format_timestamp(NOW)
    trace = sign_service_asymmetric(
        method="POST", path=path, body=body, timestamp=timestamp, private_key=KEYS.private_key
    )
    verifier = NotificationVerifier(
        public_key=public_key_to_pem(KEYS.public_key), clock=FixedClock(NOW)
    )
    headers = {
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": trace.signature,
        "X-PARTNER-ID": "G059876677",
        "X-EXTERNAL-ID": "77",
    }
    return verifier.verify(method="POST", path=path, headers=headers, body=body)


def test_status_check_for_each_notification() -> None:
    debit = _verified(
        "/v1.0/debit/notify",
        {
            "originalReferenceNo": "DD1",
            "originalPartnerReferenceNo": "dd-1",
            "latestTransactionStatus": "00",
        },
    )
    check = status_check_for(debit)
    assert (check.endpoint, check.field, check.expected) == (
        "debit_status",
        "latestTransactionStatus",
        "00",
    )
    assert check.body == {
        "originalReferenceNo": "DD1",
        "originalPartnerReferenceNo": "dd-1",
        "serviceCode": "54",
    }

    qris = _verified(
        "/v1.0/qr/qr-mpm-notify", {"originalReferenceNo": "QR1", "latestTransactionStatus": "00"}
    )
    with pytest.raises(ConfigurationError):
        status_check_for(qris)
    assert status_check_for(qris, merchant_id="G1").body == {
        "originalReferenceNo": "QR1",
        "merchantId": "G1",
        "serviceCode": "47",
    }

    va = _verified(
        "/v1.0/transfer-va/payment",
        {
            "partnerServiceId": "   70012",
            "customerNo": "0000000001",
            "virtualAccountNo": "   700120000000001",
            "trxId": "order-1",
            "paymentRequestId": "pay-1",
            "additionalInfo": {"merchantId": "G1", "paymentFlagStatus": "00"},
        },
    )
    check = status_check_for(va)
    assert check.endpoint == "va_status" and check.field == "virtualAccountData.paymentFlagStatus"
    assert check.body == {
        "partnerServiceId": "   70012",
        "customerNo": "0000000001",
        "virtualAccountNo": "   700120000000001",
        "inquiryRequestId": "order-1",
        "paymentRequestId": "pay-1",
        "additionalInfo": {"merchantId": "G1"},
    }

    linking = _verified(
        "/v1.0/registration-account/notify", {"additionalInfo": {"accountStatus": "ENABLED"}}
    )
    with pytest.raises(InputError):
        status_check_for(linking)


@SHELLS
async def test_confirm_notification_agrees_or_raises(is_async: bool) -> None:
    notification = _verified(
        "/v1.0/qr/qr-mpm-notify", {"originalReferenceNo": "QR1", "latestTransactionStatus": "00"}
    )
    statuses = ["00", "03"]

    def provider(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["serviceCode"] == "47"
        return ok("2005100", latestTransactionStatus=statuses.pop(0))

    shell = Shell(is_async, provider)
    confirmed = await shell("confirm_notification", notification, merchant_id="G1")
    assert confirmed.status.body["latestTransactionStatus"] == "00"
    with pytest.raises(VerificationError):
        await shell("confirm_notification", notification, merchant_id="G1")


# --- secrets never reach logs, reprs or errors ----------------------------------------------


def test_no_sentinel_in_logs_reprs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    answers = iter(
        [
            httpx.Response(503, text="busy"),
            ok("2001100"),
            ok("2000700", accessToken="x", accessTokenInfo={"accessToken": CUSTOMER}),
            httpx.Response(
                401, json={"responseCode": "4016302", "responseMessage": "Invalid Customer Token"}
            ),
        ]
    )
    transport = httpx.MockTransport(lambda request: next(answers))
    caplog.set_level(logging.DEBUG, logger="bisnap")
    texts: list[str] = []
    with SnapClient(
        **_options(
            token_provider=OneToken(),
            http_client=httpx.Client(transport=transport),
            sleep=lambda s: None,
        )
    ) as client:
        client.balance_inquiry(m.BalanceInquiryRequest(account_no="0000000000"))  # re-sent
        bound = client.account_binding(
            m.AccountBindingRequest(merchant_id="uuid", auth_code=CUSTOMER)
        )
        texts += [repr(bound), repr(bound.data), str(bound.data)]
        try:
            client.auth_payment(
                m.AuthPaymentRequest(
                    partner_reference_no="p", merchant_id="G1", amount=MONEY, title="t"
                ),
                customer_token=CUSTOMER,
                device_id="d",
            )
        except Exception as err:
            texts += [str(err), repr(err)]
        try:
            client.account_binding({"merchantId": "", "authCode": CUSTOMER})
        except RequestValidationError as err:
            texts += [str(err), repr(err)]
        texts.append(repr(client))
    texts += [record.getMessage() for record in caplog.records]
    assert any("account_binding" in text for text in texts)
    assert any("re-sending" in r.getMessage() for r in caplog.records)  # INFO retry line
    assert any("Authorization-Customer" in r.getMessage() for r in caplog.records)  # DEBUG
    for text in texts:
        for sentinel in (SECRET, TOKEN, CUSTOMER):
            assert sentinel not in text, (sentinel, text)


def test_token_logs_carry_no_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bisnap")
    pem = private_key_to_pem(KEYS.private_key).decode()
    transport = httpx.MockTransport(_token_and_call)
    with SnapClient.from_env(
        env=_env(pem), http_client=httpx.Client(transport=transport)
    ) as client:
        client.balance_inquiry(m.BalanceInquiryRequest(account_no="0000000000"))
    messages = [record.getMessage() for record in caplog.records]
    assert any(r.name == "bisnap.tokens" for r in caplog.records)
    assert any(r.name == "bisnap.http" for r in caplog.records)
    for text in messages:
        assert TOKEN not in text and SECRET not in text and "PRIVATE KEY" not in text
