"""The emulator answers like a Midtrans-like provider: every rejection code, every success.

In-process: httpx.AsyncClient on httpx.ASGITransport, a FixedClock the tests move.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from bisnap.catalogue import CATALOGUE, by_name
from bisnap.clock import JAKARTA, FixedClock
from bisnap.emulator import Emulator, EmulatorConfig, EmulatorCredentials, create_app
from bisnap.emulator.caller import MerchantCaller, compact
from bisnap.keys import generate_key_pair
from bisnap.signing import sign_access_token

pytestmark = pytest.mark.anyio

START = datetime(2024, 3, 5, 10, 0, 0, tzinfo=JAKARTA)
SECRET = "sentinel-client-secret-0x5EC12E7"

_CREDS = EmulatorCredentials.generate(client_key="G123-TEST-SNAP", partner_id="1234567890")
CREDS = EmulatorCredentials.from_values(
    client_key=_CREDS.client_key,
    client_secret=SECRET,
    partner_id=_CREDS.partner_id,
    partner_public_key=_CREDS.partner_public_key,
    provider_private_key=_CREDS.provider_private_key,
    partner_private_key=_CREDS.partner_private_key,
    merchant_id="G000000001",
)
OTHER_KEY = generate_key_pair()


@dataclass
class Harness:
    """An emulator, a client on it, and a caller that signs as the merchant."""

    emulator: Emulator
    clock: FixedClock
    client: httpx.AsyncClient
    caller: MerchantCaller
    token: str = ""

    async def fetch_token(self) -> str:
        headers, body = self.caller.token_request()
        response = await self.client.post("/v1.0/access-token/b2b", headers=headers, content=body)
        assert response.json()["responseCode"] == "2007300", response.text
        self.token = str(response.json()["accessToken"])
        return self.token

    async def call(
        self, name: str, body: Any, *, expect: str | None = None, **options: Any
    ) -> dict[str, Any]:
        endpoint = by_name(name)
        headers, data = self.caller.service_request(
            endpoint.path, body, access_token=self.token, **options
        )
        response = await self.client.post(endpoint.path, headers=headers, content=data)
        result: dict[str, Any] = response.json()
        assert response.headers.get("X-TIMESTAMP"), "every answer carries X-TIMESTAMP"
        if expect is not None:
            assert result["responseCode"] == expect, response.text
            assert response.status_code == int(expect[:3])
        return result

    async def raw(
        self, path: str, headers: dict[str, str], content: bytes
    ) -> tuple[httpx.Response, dict[str, Any]]:
        response = await self.client.post(path, headers=headers, content=content)
        assert response.headers.get("X-TIMESTAMP")
        return response, response.json()

    async def pay(self, **key: str) -> dict[str, Any]:
        response = await self.client.post("/_emulator/pay", json=key)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    clock = FixedClock(START)
    emulator = Emulator(EmulatorConfig(credentials=CREDS, clock=clock))
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator", headers=emulator.admin_headers()
    ) as client:
        h = Harness(emulator, clock, client, MerchantCaller(CREDS, clock))
        await h.fetch_token()
        yield h


def va_body(n: int = 1, amount: str = "150000.00") -> dict[str, Any]:
    return {
        "partnerServiceId": "   70012",
        "customerNo": f"{n:010d}",
        "virtualAccountNo": f"   70012{n:010d}",
        "virtualAccountName": "Budi Santoso",
        "trxId": f"order-{n}",
        "totalAmount": {"value": amount, "currency": "IDR"},
        "additionalInfo": {"bank": "bca", "merchantId": "G000000001"},
    }


def va_status_body(n: int = 1) -> dict[str, Any]:
    body = va_body(n)
    return {
        "partnerServiceId": body["partnerServiceId"],
        "customerNo": body["customerNo"],
        "virtualAccountNo": body["virtualAccountNo"],
        "inquiryRequestId": body["trxId"],
        "additionalInfo": {"merchantId": "G000000001"},
    }


# --- the access token ----------------------------------------------------------------------


async def test_token_is_an_rs256_jwt_for_the_client(harness: Harness) -> None:
    claims = jwt.decode(
        harness.token,
        CREDS.provider_public_key,
        algorithms=["RS256"],
        audience=CREDS.client_key,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["sub"] == CREDS.client_key
    assert claims["iss"] == "bisnap-emulator"
    assert claims["exp"] - claims["iat"] == 900


async def test_token_response_fields(harness: Harness) -> None:
    headers, body = harness.caller.token_request()
    response = await harness.client.post("/v1.0/access-token/b2b", headers=headers, content=body)
    data = response.json()
    assert data["tokenType"] == "Bearer"
    assert data["expiresIn"] == "900"
    assert response.headers["X-TIMESTAMP"] == "2024-03-05T10:00:00+07:00"
    assert response.headers["X-CLIENT-KEY"] == CREDS.client_key


async def test_token_accepts_grant_type_snake_case(harness: Harness) -> None:
    headers, _ = harness.caller.token_request()
    body = compact({"grant_type": "client_credentials"})
    _, data = await harness.raw("/v1.0/access-token/b2b", headers, body)
    assert data["responseCode"] == "2007300"


async def test_token_signed_with_another_key_is_4017300(harness: Harness) -> None:
    ts = "2024-03-05T10:00:00+07:00"
    trace = sign_access_token(
        client_key=CREDS.client_key, timestamp=ts, private_key=OTHER_KEY.private_key
    )
    headers = {
        "Content-Type": "application/json",
        "X-TIMESTAMP": ts,
        "X-CLIENT-KEY": CREDS.client_key,
        "X-SIGNATURE": trace.signature,
    }
    body = compact({"grantType": "client_credentials"})
    response, data = await harness.raw("/v1.0/access-token/b2b", headers, body)
    assert response.status_code == 401
    assert data["responseCode"] == "4017300"
    assert data["responseMessage"] == "Unauthorized. Signature"
    assert "accessToken" not in data
    assert data["bisnapDiagnostic"]["mistakes"] == ["WrongKeyOrSecret"]


async def test_token_over_another_timestamp_is_4017300(harness: Harness) -> None:
    headers, body = harness.caller.token_request(timestamp="2024-03-05T10:00:00+07:00")
    headers["X-TIMESTAMP"] = "2024-03-05T10:00:01+07:00"
    _, data = await harness.raw("/v1.0/access-token/b2b", headers, body)
    assert data["responseCode"] == "4017300"


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"X-CLIENT-KEY": "G999-UNKNOWN"}, "4017300", "Unauthorized. Unknown Client"),
        ({"X-TIMESTAMP": None}, "4007302", "Invalid Mandatory Field X-TIMESTAMP"),
        ({"X-TIMESTAMP": "2024-03-05 10:00:00"}, "4007301", "Invalid Field Format X-TIMESTAMP"),
        ({"X-CLIENT-KEY": None}, "4007302", "Invalid Mandatory Field X-CLIENT-KEY"),
        ({"X-SIGNATURE": None}, "4007302", "Invalid Mandatory Field X-SIGNATURE"),
    ],
)
async def test_token_header_checks(
    harness: Harness, change: dict[str, str | None], code: str, message: str
) -> None:
    headers, body = harness.caller.token_request()
    for name, value in change.items():
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    response, data = await harness.raw("/v1.0/access-token/b2b", headers, body)
    assert (data["responseCode"], data["responseMessage"]) == (code, message)
    assert response.status_code == int(code[:3])


async def test_token_body_checks(harness: Harness) -> None:
    headers, _ = harness.caller.token_request()
    _, data = await harness.raw("/v1.0/access-token/b2b", headers, b"{not json")
    assert data["responseCode"] == "4007300"
    _, data = await harness.raw("/v1.0/access-token/b2b", headers, b"{}")
    assert data["responseCode"] == "4007302"
    _, data = await harness.raw(
        "/v1.0/access-token/b2b", headers, compact({"grantType": "password"})
    )
    assert data["responseCode"] == "4007301"


# --- service-call rejections -------------------------------------------------------------------


def _pretty_signed(h: Harness, path: str, body: Any) -> tuple[dict[str, str], bytes]:
    pretty = json.dumps(body, indent=2).encode()
    headers, _ = h.caller.service_request(path, body, access_token=h.token)
    wrong = f"POST:{path}:{h.token}:{hashlib.sha256(pretty).hexdigest()}:{headers['X-TIMESTAMP']}"
    mac = hmac.new(SECRET.encode(), wrong.encode(), hashlib.sha512).digest()
    headers["X-SIGNATURE"] = base64.b64encode(mac).decode()
    return headers, pretty


async def test_pretty_body_signature_is_401xx00_with_diagnostic(harness: Harness) -> None:
    path = by_name("create_va").path
    headers, pretty = _pretty_signed(harness, path, va_body())
    response, data = await harness.raw(path, headers, pretty)
    assert response.status_code == 401
    assert data["responseCode"] == "4012700"
    assert data["responseMessage"] == "Unauthorized. Signature"
    diagnostic = data["bisnapDiagnostic"]
    assert diagnostic["mistakes"] == ["PrettyBodyHashed"]
    assert diagnostic["mismatchAt"] == "minifiedBody"
    assert diagnostic["hint"]
    text = response.text
    assert SECRET not in text
    assert harness.token not in text
    assert "********" in diagnostic["expected"]["stringToSign"]
    assert not harness.emulator.state.vas, "a rejected call changes nothing"


async def test_bearer_in_string_to_sign_is_named(harness: Harness) -> None:
    path = by_name("balance_inquiry").path
    body = compact({"accountNo": "0000000000"})
    headers, _ = harness.caller.service_request(path, None, raw_body=body, access_token="x")
    sts = (
        f"POST:{path}:Bearer {harness.token}:{hashlib.sha256(body).hexdigest()}:"
        f"{headers['X-TIMESTAMP']}"
    )
    headers["X-SIGNATURE"] = base64.b64encode(
        hmac.new(SECRET.encode(), sts.encode(), hashlib.sha512).digest()
    ).decode()
    headers["Authorization"] = f"Bearer {harness.token}"
    response, data = await harness.raw(path, headers, body)
    assert data["responseCode"] == "4011100"
    assert data["bisnapDiagnostic"]["mistakes"] == ["BearerInStringToSign"]
    assert harness.token not in response.text


async def test_wrong_secret_is_401xx00_wrong_key_or_secret(harness: Harness) -> None:
    other = EmulatorCredentials.from_values(
        client_key=CREDS.client_key,
        client_secret="not-the-secret",
        partner_id=CREDS.partner_id,
        partner_public_key=CREDS.partner_public_key,
    )
    caller = MerchantCaller(other, harness.clock)
    path = by_name("balance_inquiry").path
    headers, body = caller.service_request(path, {"accountNo": "1"}, access_token=harness.token)
    _, data = await harness.raw(path, headers, body)
    assert data["responseCode"] == "4011100"
    assert data["bisnapDiagnostic"]["mistakes"] == ["WrongKeyOrSecret"]
    assert data["bisnapDiagnostic"]["mismatchAt"] == "signature"


async def test_garbage_signature_is_401xx00(harness: Harness) -> None:
    path = by_name("balance_inquiry").path
    headers, body = harness.caller.service_request(
        path, {"accountNo": "1"}, access_token=harness.token
    )
    headers["X-SIGNATURE"] = "not-a-signature"
    _, data = await harness.raw(path, headers, body)
    assert data["responseCode"] == "4011100"


async def test_diagnostics_can_be_switched_off() -> None:
    clock = FixedClock(START)
    emulator = Emulator(EmulatorConfig(credentials=CREDS, clock=clock, diagnostics=False))
    transport = httpx.ASGITransport(app=create_app(emulator))
    async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        h = Harness(emulator, clock, client, MerchantCaller(CREDS, clock))
        await h.fetch_token()
        path = by_name("create_va").path
        headers, pretty = _pretty_signed(h, path, va_body())
        _, data = await h.raw(path, headers, pretty)
    assert data["responseCode"] == "4012700"
    assert "bisnapDiagnostic" not in data


async def test_expired_token_is_401xx01(harness: Harness) -> None:
    harness.clock.advance(timedelta(seconds=899))
    await harness.call("balance_inquiry", {"accountNo": "1"}, expect="2001100")
    harness.clock.advance(timedelta(seconds=2))
    data = await harness.call("balance_inquiry", {"accountNo": "1"}, expect="4011101")
    assert data["responseMessage"] == "Invalid Token (B2B)"
    await harness.fetch_token()
    await harness.call("balance_inquiry", {"accountNo": "1"}, expect="2001100")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        jwt.encode(
            {
                "iss": "bisnap-emulator",
                "sub": "G123-TEST-SNAP",
                "aud": "G123-TEST-SNAP",
                "iat": 1709607600,
                "exp": 1709608500,
            },
            OTHER_KEY.private_key,
            algorithm="RS256",
        ),
    ],
    ids=["garbage", "hs256", "foreign-key"],
)
async def test_unknown_token_is_401xx01(harness: Harness, token: str) -> None:
    harness.token = token
    await harness.call("balance_inquiry", {"accountNo": "1"}, expect="4011101")


async def test_missing_authorization_is_401xx03(harness: Harness) -> None:
    path = by_name("balance_inquiry").path
    headers, body = harness.caller.service_request(
        path, {"accountNo": "1"}, access_token=harness.token
    )
    del headers["Authorization"]
    response, data = await harness.raw(path, headers, body)
    assert data["responseCode"] == "4011103"
    assert data["responseMessage"] == "Token Not Found (B2B)"
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header", ["X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID", "CHANNEL-ID", "X-TIMESTAMP"]
)
async def test_missing_header_is_400xx02(harness: Harness, header: str) -> None:
    path = by_name("create_va").path
    headers, body = harness.caller.service_request(path, va_body(), access_token=harness.token)
    del headers[header]
    response, data = await harness.raw(path, headers, body)
    assert response.status_code == 400
    assert data["responseCode"] == "4002702"
    assert data["responseMessage"] == f"Invalid Mandatory Field {header}"


@pytest.mark.parametrize(
    "timestamp", ["2024-03-05 10:00:00", "2024-03-05T10:00:00", "yesterday", "2024-13-05T10:00:00Z"]
)
async def test_bad_timestamp_is_400xx01(harness: Harness, timestamp: str) -> None:
    path = by_name("create_va").path
    headers, body = harness.caller.service_request(
        path, va_body(), access_token=harness.token, timestamp=timestamp
    )
    _, data = await harness.raw(path, headers, body)
    assert data["responseCode"] == "4002701"
    assert data["responseMessage"] == "Invalid Field Format X-TIMESTAMP"


async def test_utc_timestamps_are_accepted(harness: Harness) -> None:
    await harness.call(
        "balance_inquiry",
        {"accountNo": "1"},
        timestamp="2024-03-05T03:00:00.123Z",
        expect="2001100",
    )


async def test_unknown_partner_is_401xx00(harness: Harness) -> None:
    path = by_name("balance_inquiry").path
    headers, body = harness.caller.service_request(
        path, {"accountNo": "1"}, access_token=harness.token
    )
    headers["X-PARTNER-ID"] = "someone-else"
    _, data = await harness.raw(path, headers, body)
    assert data["responseCode"] == "4011100"


async def test_non_json_body_is_400xx00(harness: Harness) -> None:
    path = by_name("create_va").path
    headers, _ = harness.caller.service_request(path, va_body(), access_token=harness.token)
    response, data = await harness.raw(path, headers, b"partnerServiceId=1")
    assert response.status_code == 400
    assert data["responseCode"] == "4002700"
    assert data["responseMessage"] == "Bad Request"


async def test_json_array_body_is_400xx00(harness: Harness) -> None:
    await harness.call("balance_inquiry", [1, 2], expect="4001100")


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("create_va", {k: v for k, v in va_body().items() if k != "trxId"}, "trxId"),
        ("create_va", {**va_body(), "totalAmount": {"currency": "IDR"}}, "totalAmount.value"),
        ("create_va", {**va_body(), "additionalInfo": {}}, "additionalInfo.merchantId"),
        ("qris_query", {"merchantId": "G1", "serviceCode": "47"}, "originalReferenceNo"),
        ("balance_inquiry", {}, "accountNo"),
        ("transfer_status", {"originalPartnerReferenceNo": "x"}, "serviceCode"),
    ],
)
async def test_missing_field_is_400xx02(
    harness: Harness, name: str, body: dict[str, Any], field: str
) -> None:
    endpoint = by_name(name)
    data = await harness.call(name, body, expect=f"400{endpoint.service_code}02")
    assert data["responseMessage"] == f"Invalid Mandatory Field {field}"


async def test_duplicate_external_id_is_409xx00(harness: Harness) -> None:
    await harness.call("create_va", va_body(1), expect="2002700")
    await harness.call("va_status", va_status_body(1), external_id="777", expect="2002600")
    data = await harness.call("va_status", va_status_body(1), external_id="777", expect="4092600")
    assert data["responseMessage"] == "Conflict"
    # another endpoint, same day: still the same partner's id
    await harness.call("balance_inquiry", {"accountNo": "1"}, external_id="777", expect="4091100")
    # the next Jakarta day frees it
    harness.clock.set(datetime(2024, 3, 6, 0, 0, 1, tzinfo=JAKARTA))
    await harness.fetch_token()
    await harness.call("va_status", va_status_body(1), external_id="777", expect="2002600")


async def test_payment_apis_replay_the_same_request(harness: Harness) -> None:
    first = await harness.call("create_va", va_body(1), external_id="42", expect="2002700")
    again = await harness.call("create_va", va_body(1), external_id="42", expect="2002700")
    assert again == first
    assert len(harness.emulator.state.vas) == 1
    await harness.call("create_va", va_body(2), external_id="42", expect="4092700")


# --- every catalogue entry answers its success code ---------------------------------------------


async def test_every_catalogue_entry_answers_its_success_code(harness: Harness) -> None:
    seen: set[str] = {"access_token_b2b"}
    h = harness

    async def ok(name: str, body: Any, **options: Any) -> dict[str, Any]:
        seen.add(name)
        return await h.call(name, body, expect=by_name(name).success_code, **options)

    mid = "G000000001"
    money = {"value": "5000.00", "currency": "IDR"}
    # VA: create -> status (pending) -> pay -> status (paid); another VA deleted
    await ok("create_va", va_body(1))
    pending = await ok("va_status", va_status_body(1))
    assert pending["virtualAccountData"]["paymentFlagStatus"] == "03"
    await h.pay(virtualAccountNo=va_body(1)["virtualAccountNo"])
    paid = await ok("va_status", va_status_body(1))
    assert paid["virtualAccountData"]["paymentFlagStatus"] == "00"
    assert paid["virtualAccountData"]["paidAmount"]["value"] == "150000.00"
    await ok("create_va", va_body(2))
    await ok(
        "delete_va",
        {
            **{
                k: va_body(2)[k]
                for k in ("partnerServiceId", "customerNo", "virtualAccountNo", "trxId")
            }
        },
    )
    gone = await ok("va_status", va_status_body(2))
    assert gone["virtualAccountData"]["paymentFlagStatus"] == "05"

    # QRIS: 03 -> pay -> 00 -> refund 04; another canceled 05
    qr = await ok(
        "qris_generate", {"partnerReferenceNo": "qr-1", "amount": money, "merchantId": mid}
    )
    assert qr["qrContent"]
    query = {"originalReferenceNo": qr["referenceNo"], "merchantId": mid, "serviceCode": "47"}
    assert (await ok("qris_query", query))["latestTransactionStatus"] == "03"
    await h.pay(referenceNo=qr["referenceNo"])
    assert (await ok("qris_query", query))["latestTransactionStatus"] == "00"
    await ok(
        "qris_refund",
        {
            "merchantId": mid,
            "originalPartnerReferenceNo": "qr-1",
            "originalReferenceNo": qr["referenceNo"],
            "partnerRefundNo": "rf-1",
            "refundAmount": {"value": "1000.00", "currency": "IDR"},
            "reason": "customer",
        },
    )
    assert (await ok("qris_query", query))["latestTransactionStatus"] == "04"
    qr2 = await ok(
        "qris_generate", {"partnerReferenceNo": "qr-2", "amount": money, "merchantId": mid}
    )
    await ok(
        "qris_cancel",
        {"merchantId": mid, "reason": "changed mind", "originalPartnerReferenceNo": "qr-2"},
    )
    query2 = {"originalReferenceNo": qr2["referenceNo"], "merchantId": mid, "serviceCode": "47"}
    assert (await ok("qris_query", query2))["latestTransactionStatus"] == "05"

    # Direct debit: 01 -> pay -> 00 -> refund 04; another canceled 05
    pay_option = [{"payMethod": "GOPAY", "payOption": "GOPAY", "transAmount": money}]
    dd = await ok(
        "debit_payment",
        {
            "partnerReferenceNo": "dd-1",
            "merchantId": mid,
            "chargeToken": "",
            "payOptionDetails": pay_option,
        },
    )
    assert dd["webRedirectUrl"]
    status = {"originalReferenceNo": dd["referenceNo"], "serviceCode": "54"}
    assert (await ok("debit_status", status))["latestTransactionStatus"] == "01"
    await h.pay(partnerReferenceNo="dd-1")
    assert (await ok("debit_status", status))["latestTransactionStatus"] == "00"
    await ok(
        "debit_refund",
        {
            "originalReferenceNo": dd["referenceNo"],
            "originalPartnerReferenceNo": "dd-1",
            "partnerRefundNo": "rf-2",
        },
    )
    assert (await ok("debit_status", status))["latestTransactionStatus"] == "04"
    dd2 = await ok(
        "debit_payment",
        {"partnerReferenceNo": "dd-2", "merchantId": mid, "payOptionDetails": pay_option},
    )
    await ok(
        "debit_cancel",
        {"originalReferenceNo": dd2["referenceNo"], "originalPartnerReferenceNo": "dd-2"},
    )

    # Account linking: get auth code (302) -> bind -> inquiry -> (auth flows) -> unbind
    seen.add("get_auth_code")
    redirect = await h.client.get(
        "/v1.0/get-auth-code",
        params={
            "redirectUrl": "https://merchant.example/back",
            "scopes": "DEFAULT",
            "state": "csrf-1",
            "merchantId": "uuid-1",
            "seamlessData": "x",
            "seamlessSign": "y",
        },
    )
    assert redirect.status_code == 302
    assert "authCode=" in redirect.headers["location"]
    assert "state=csrf-1" in redirect.headers["location"]
    bound = await ok(
        "account_binding",
        {"merchantId": "uuid-1", "authCode": "abc", "grantType": "AUTHORIZATION_CODE"},
    )
    customer = bound["accessTokenInfo"]["accessToken"]
    inquiry = await ok("account_binding_inquiry", {}, customer_token=customer)
    assert inquiry["additionalInfo"]["paymentOptions"][0]["name"] == "GOPAY_WALLET"

    # Tokenization pre-auth: 01 -> capture 00 -> refund 04; another voided 05
    auth = await ok(
        "auth_payment",
        {"partnerReferenceNo": "au-1", "merchantId": mid, "amount": money, "title": "Ride"},
        customer_token=customer,
    )
    aq = {"originalReferenceNo": auth["referenceNo"]}
    assert (await ok("auth_query", aq))["latestTransactionStatus"] == "01"
    await ok(
        "auth_capture",
        {
            "originalReferenceNo": auth["referenceNo"],
            "originalPartnerReferenceNo": "au-1",
            "merchantId": mid,
            "partnerCaptureNo": "cp-1",
            "captureAmount": money,
        },
    )
    assert (await ok("auth_query", aq))["latestTransactionStatus"] == "00"
    await ok(
        "auth_refund",
        {
            "originalReferenceNo": auth["referenceNo"],
            "originalPartnerReferenceNo": "au-1",
            "partnerRefundNo": "rf-3",
            "refundAmount": money,
            "reason": "returned",
        },
    )
    assert (await ok("auth_query", aq))["latestTransactionStatus"] == "04"
    auth2 = await ok(
        "auth_payment",
        {"partnerReferenceNo": "au-2", "merchantId": mid, "amount": money, "title": "Ride"},
        customer_token=customer,
    )
    await ok(
        "auth_void",
        {
            "originalReferenceNo": auth2["referenceNo"],
            "originalPartnerReferenceNo": "au-2",
            "merchantId": mid,
            "partnerVoidNo": "vd-1",
            "reason": "no ride",
        },
    )
    assert (await ok("auth_query", {"originalReferenceNo": auth2["referenceNo"]}))[
        "latestTransactionStatus"
    ] == "05"
    await ok("account_unbinding", {"merchantId": "uuid-1"}, customer_token=customer)

    # Payouts: the balance moves
    def balance_of(answer: dict[str, Any]) -> str:
        return str(answer["accountInfos"][0]["amount"]["value"])

    before = balance_of(await ok("balance_inquiry", {"accountNo": "0000000000"}))
    assert before == "1000000000.00"
    named = await ok(
        "external_account_inquiry",
        {"beneficiaryBankCode": "0140246", "beneficiaryAccountNo": "0011223344"},
    )
    assert named["beneficiaryAccountName"] == "BCA Simulator A"
    transfer = {
        "partnerReferenceNo": "tf-1",
        "amount": {"value": "100000.00", "currency": "IDR"},
        "beneficiaryAccountNo": "0011223344",
        "remark": "payout",
        "sourceAccountNo": "0000000000",
        "transactionDate": "2024-03-05T10:00:00+07:00",
    }
    await ok("intrabank_transfer", transfer)
    await ok(
        "interbank_transfer",
        {
            **transfer,
            "partnerReferenceNo": "tf-2",
            "beneficiaryAccountName": "Someone",
            "beneficiaryBankCode": "0020307",
        },
    )
    await ok("create_va", va_body(3, amount="20000.00"))
    asked = await ok(
        "va_inquiry_intrabank",
        {
            "partnerServiceId": "00000000",
            "customerNo": "00000000",
            "virtualAccountNo": va_body(3)["virtualAccountNo"],
            "additionalInfo": {"beneficiaryBankCode": "0130000"},
        },
    )
    assert asked["virtualAccountData"]["virtualAccountName"] == "Budi Santoso"
    await ok(
        "va_payment_intrabank",
        {
            "partnerReferenceNo": "tf-3",
            "partnerServiceId": "00000000",
            "customerNo": "00000000",
            "virtualAccountNo": va_body(3)["virtualAccountNo"],
        },
    )
    await ok(
        "emoney_account_inquiry",
        {
            "customerNumber": "08123450000",
            "amount": {"value": "1.00", "currency": "IDR"},
            "additionalInfo": {"beneficiaryProvider": "gopay"},
        },
    )
    await ok(
        "emoney_topup",
        {
            "partnerReferenceNo": "tf-4",
            "customerNumber": "08123450000",
            "customerName": "Gopay Simulator A",
            "amount": {"value": "50000.00", "currency": "IDR"},
            "notes": "top up",
        },
    )
    after = balance_of(await ok("balance_inquiry", {"accountNo": "0000000000"}))
    assert after == "999730000.00"  # 100000 + 100000 + 20000 + 50000 moved out
    found = await ok("transfer_status", {"originalPartnerReferenceNo": "tf-1", "serviceCode": "17"})
    assert found["amount"]["value"] == "100000.00"
    vapaid = await ok("va_status", va_status_body(3))
    assert vapaid["virtualAccountData"]["paymentFlagStatus"] == "00"

    # Reporting: what happened
    listed = await ok("transaction_history_list", {"pageSize": 50})
    refs = [item["additionalInfo"]["partnerReferenceNo"] for item in listed["detailData"]]
    assert {"qr-1", "dd-1", "tf-1", "tf-2", "tf-4"} <= set(refs)
    item = next(
        i for i in listed["detailData"] if i["additionalInfo"]["partnerReferenceNo"] == "tf-1"
    )
    detail = await ok(
        "transaction_history_detail",
        {
            "originalPartnerReferenceNo": "tf-1",
            "additionalInfo": {"referenceNo": item["additionalInfo"]["referenceNo"]},
        },
    )
    assert detail["type"] == "SEND_MONEY"

    assert seen == {endpoint.name for endpoint in CATALOGUE}
    await h.emulator.drain()


async def test_business_rejections(harness: Harness) -> None:
    h = harness
    await h.call("va_status", va_status_body(9), expect="4042601")
    await h.call("create_va", va_body(1), expect="2002700")
    await h.call("create_va", va_body(1), expect="4092701")  # trxId already used
    await h.pay(virtualAccountNo=va_body(1)["virtualAccountNo"])
    paid = {
        k: va_body(1)[k] for k in ("partnerServiceId", "customerNo", "virtualAccountNo", "trxId")
    }
    await h.call("delete_va", paid, expect="4043114")  # Paid Bill
    again = await h.client.post(
        "/_emulator/pay", json={"virtualAccountNo": va_body(1)["virtualAccountNo"]}
    )
    assert again.status_code == 409
    transfer = {
        "partnerReferenceNo": "big",
        "amount": {"value": "2000000000.00", "currency": "IDR"},
        "beneficiaryAccountNo": "1",
        "remark": "r",
        "sourceAccountNo": "0",
        "transactionDate": "2024-03-05T10:00:00+07:00",
    }
    await h.call("intrabank_transfer", transfer, expect="4031714")  # Insufficient Funds
    await h.call(
        "external_account_inquiry",
        {"beneficiaryBankCode": "0140000", "beneficiaryAccountNo": "404000"},
        expect="4041611",
    )
    await h.call("account_unbinding", {"merchantId": "m"}, expect="4010904")
    await h.call("account_unbinding", {"merchantId": "m"}, customer_token="nope", expect="4010902")
    await h.call(
        "create_va",
        {**va_body(5), "totalAmount": {"value": "lots", "currency": "IDR"}},
        expect="4002701",
    )


async def test_admin_routes_show_no_secret(harness: Harness) -> None:
    creds = (await harness.client.get("/_emulator/credentials")).json()
    assert creds["clientKey"] == CREDS.client_key
    assert "BEGIN PUBLIC KEY" in creds["providerPublicKey"]
    state = await harness.client.get("/_emulator/state")
    for response in (state, await harness.client.get("/_emulator/credentials")):
        assert SECRET not in response.text
        assert "PRIVATE KEY" not in response.text
        assert harness.token not in response.text
    bad = await harness.client.post("/_emulator/pay", json={})
    assert bad.status_code == 400
    missing = await harness.client.post("/_emulator/pay", json={"referenceNo": "nope"})
    assert missing.status_code == 404
    url = await harness.client.post("/_emulator/notify-url", json={"url": "ftp://x"})
    assert url.status_code == 400
