"""No secret in a pickle: every public type that can hold one, built with sentinel secrets.

Caches, task queues and multiprocessing pickle without asking. Each type either pickles
with its secrets masked or refuses with `NotPicklableError` (a bisnap error and a
`TypeError`). The table is meant to grow: add a row `(name, builder)` for every new public
type that can carry a client secret, an access token, an auth code or a private key.
"""

from __future__ import annotations

import contextlib
import copy
import json
import pickle
from collections.abc import Callable

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import bisnap
from bisnap import explain, models
from bisnap.cli.rawhttp import parse_raw_request
from bisnap.emulator import Emulator, EmulatorConfig, EmulatorCredentials
from bisnap.http.core import PreparedRequest, Target, parse_response
from bisnap.http.typed import typed_response
from bisnap.integrations import AsyncNotificationReceiver, NotificationReceiver
from bisnap.notifications import AsyncNotificationVerifier, Notification, NotificationVerifier
from bisnap.notifications.replies import success_reply
from bisnap.stores.memory import MemoryTokenStore
from bisnap.tokens import build_b2b2c_token_request, build_token_request

SECRET = "SENTINEL-pickle-secret-5c1d9e"
TOKEN = "SENTINEL-pickle-token-a77f30"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TS = "2024-03-05T17:37:16+07:00"


def _service_trace() -> bisnap.SignatureTrace:
    return bisnap.sign_service(
        method="POST",
        path="/v1.0/x",
        body=b'{"a": 1}',
        timestamp=TS,
        access_token=TOKEN,
        client_secret=SECRET,
    )


def _mismatch() -> bisnap.SignatureMismatchError:
    try:
        bisnap.verify_service(
            method="POST",
            path="/v1.0/x",
            body=b'{"a": 1}',
            timestamp=TS,
            access_token=TOKEN,
            client_secret=SECRET,
            signature="00" * 64,
        )
    except bisnap.SignatureMismatchError as err:
        return err
    raise AssertionError("the signature should not verify")


def _asymmetric_mismatch() -> bisnap.SignatureMismatchError:
    try:
        bisnap.verify_service_asymmetric(
            method="POST",
            path=f"/v1.0/x?token={TOKEN}",
            body=b'{"authCode": "%s"}' % AUTH_CODE.encode(),
            timestamp=TS,
            public_key=PEM_PUBLIC,
            signature="00" * 256,
        )
    except bisnap.SignatureMismatchError as err:
        return err
    raise AssertionError("the signature should not verify")


def _binding_request() -> object:
    return models.AccountBindingRequest(
        auth_code=AUTH_CODE, grant_type="AUTHORIZATION_CODE", merchant_id="M1"
    )


def _raw_request() -> object:
    return parse_raw_request(
        f"POST /v1.0/x HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"X-Client-Secret: {SECRET}\r\n\r\n{{}}".encode()
    )


def _raw_request_basic() -> object:
    return parse_raw_request(f"POST /v1.0/x HTTP/1.1\r\nAuthorization: Basic {TOKEN}\r\n\r\n")


AUTH_CODE = "SENTINEL-pickle-authcode-91b2c4"
CUSTOMER = "SENTINEL-pickle-customer-0e6d12"
PEM_PUBLIC = bisnap.KeyPair(KEY).public_pem()
CLOCK = bisnap.FixedClock(bisnap.parse_timestamp(TS))
URL = "http://127.0.0.1:9/v1.0/registration-account-binding"
#: A provider answer carrying every kind of token SNAP sends back (Account Binding).
ANSWER = json.dumps(
    {
        "responseCode": "2000700",
        "responseMessage": "Successful",
        "accessToken": TOKEN,
        "refreshToken": SECRET,
        "authCode": AUTH_CODE,
        "accessTokenInfo": {"accessToken": CUSTOMER, "refreshToken": SECRET},
    },
    separators=(",", ":"),
).encode()
REQUEST_HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Authorization-Customer": f"Bearer {CUSTOMER}",
}


def _target() -> Target:
    return Target(endpoint=None, method="POST", url=httpx.URL(URL), signed=True, mode="safe")


def _answer(status: int, content: bytes = ANSWER) -> object:
    return parse_response(
        target=_target(),
        status_code=status,
        headers={"content-type": "application/json"},
        content=content,
        trace=_service_trace(),
        request_headers=REQUEST_HEADERS,
    )


def _response() -> bisnap.SnapResponse:
    response = _answer(200)
    assert isinstance(response, bisnap.SnapResponse)
    return response


def _typed() -> object:
    return typed_response(_response(), models.AccountBindingResponse)


def _error(status: int, code: str) -> bisnap.ApiError:
    content = b'{"responseCode":"%s","responseMessage":"refused"}' % code.encode()
    err = _answer(status, content)
    assert isinstance(err, bisnap.ApiError), err
    assert err.trace is not None  # built from a real trace
    return err


def _explanation() -> explain.Explanation:
    return explain.explain_service(
        method="POST",
        path="/v1.0/x",
        body=b'{"a": 1}',
        timestamp=TS,
        access_token=TOKEN,
        client_secret=SECRET,
        signature="00" * 64,
    )


def _sender_stages() -> explain.SenderStages:
    body_hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    return explain.SenderStages(
        string_to_sign=f"POST:/v1.0/x:{TOKEN}:{body_hash}:{TS}",
        minified_body=b'{"a":1}',
        body_sha256=body_hash,
        _token=TOKEN,
    )


def _prepared() -> PreparedRequest:
    return PreparedRequest(
        method="POST",
        url=httpx.URL(URL),
        content=b'{"authCode":"%s"}' % AUTH_CODE.encode(),
        headers=dict(REQUEST_HEADERS, **{"X-SIGNATURE": "sig"}),
        trace=_service_trace(),
        external_id="1",
        attempt=1,
    )


#: A GoPay tokenization charge: what charges the customer's linked account is secret.
CHARGE = "SENTINEL-pickle-charge-3f8a20"
CHARGE_BODY = json.dumps(
    {
        "partnerReferenceNo": "order-1",
        "chargeToken": CHARGE,
        "payOptionDetails": [
            {
                "payMethod": "GOPAY",
                "payOption": "GOPAY_WALLET",
                "additionalInfo": {"paymentOptionToken": CHARGE},
            }
        ],
        "otp": CHARGE,
    },
    separators=(",", ":"),
).encode()


def _prepared_charge() -> PreparedRequest:
    return PreparedRequest(
        method="POST",
        url=httpx.URL("http://127.0.0.1:9/v1.0/debit/payment-host-to-host"),
        content=CHARGE_BODY,
        headers=dict(REQUEST_HEADERS, **{"X-SIGNATURE": "sig"}),
        trace=_service_trace(),
        external_id="1",
        attempt=1,
    )


def _charge_model() -> object:
    return models.DebitPaymentRequest(
        partner_reference_no="order-1",
        charge_token=CHARGE,
        pay_option_details=[
            models.PayOptionDetail(
                pay_method="GOPAY",
                pay_option="GOPAY_WALLET",
                additional_info=models.PayOptionAdditionalInfo(payment_option_token=CHARGE),
            )
        ],
    )


def _b2b2c(auth_code: str | None = None, refresh_token: str | None = None) -> object:
    return build_b2b2c_token_request(
        client_key="G1-SNAP",
        private_key=KEY,
        timestamp=TS,
        auth_code=auth_code,
        refresh_token=refresh_token,
    )


def _notification() -> Notification:
    # A notification carries no credential of ours; its trace is the part that could.
    body = b'{"virtualAccountNo":"1"}'
    return Notification(
        path="/v1.0/transfer-va/payment",
        service=None,
        partner_id="G1",
        external_id="1",
        timestamp=bisnap.parse_timestamp(TS),
        timestamp_text=TS,
        trace=_service_trace(),
        raw_body=body,
        body={"virtualAccountNo": "1"},
    )


def _credentials() -> EmulatorCredentials:
    return EmulatorCredentials.from_values(
        client_key="G1-SNAP",
        client_secret=SECRET,
        partner_id="G1",
        partner_public_key=KEY.public_key(),
        provider_private_key=KEY,
        partner_private_key=KEY,
    )


def _client(cls: type[bisnap.SnapClient] | type[bisnap.AsyncSnapClient]) -> object:
    return cls(
        base_url="http://127.0.0.1:9",
        client_key="G1-SNAP",
        client_secret=SECRET,
        partner_id="G1",
        channel_id="95221",
        private_key=KEY,
    )


def _provider() -> object:
    return bisnap.TokenProvider(
        base_url="http://127.0.0.1:9", client_key="G1-SNAP", private_key=KEY
    )


def _memory_store() -> object:
    store = MemoryTokenStore()
    store.save("key", bisnap.AccessToken.create(TOKEN, refresh_token=SECRET))
    return store


def _verifier() -> NotificationVerifier:
    return NotificationVerifier(public_key=PEM_PUBLIC, clock=CLOCK)


#: (name, builder) of every public type that can hold a secret.
PICKLE_CASES: list[tuple[str, Callable[[], object]]] = [
    ("Secret", lambda: bisnap.Secret(SECRET)),
    ("AccessToken", lambda: bisnap.AccessToken.create(TOKEN, refresh_token=SECRET)),
    ("SignatureTrace (sign_service)", _service_trace),
    (
        "SignatureTrace (sign_access_token)",
        lambda: bisnap.sign_access_token(client_key="G1-SNAP", timestamp=TS, private_key=KEY),
    ),
    ("SignatureMismatchError with .trace", _mismatch),
    (
        "UnauthorizedError with .trace",
        lambda: bisnap.UnauthorizedError("401", trace=_service_trace()),
    ),
    ("ServerError with .trace", lambda: bisnap.ServerError("500", trace=_service_trace())),
    ("ApiError with .trace", lambda: bisnap.ApiError("x", trace=_service_trace())),
    ("RawRequest (Bearer)", _raw_request),
    ("RawRequest (other scheme)", _raw_request_basic),
    ("KeyPair", lambda: bisnap.KeyPair(KEY)),
    ("Explanation (explain_service)", _explanation),
    ("SenderStages", _sender_stages),
    ("SnapResponse (tokens in headers and body)", _response),
    ("TypedResponse (AccountBindingResponse)", _typed),
    ("PreparedRequest", _prepared),
    ("PreparedRequest (chargeToken, paymentOptionToken, otp)", _prepared_charge),
    ("DebitPaymentRequest (model)", _charge_model),
    (
        "TokenRequest (B2B)",
        lambda: build_token_request(client_key="G1-SNAP", private_key=KEY, timestamp=TS),
    ),
    ("TokenRequest (B2B2C auth code)", lambda: _b2b2c(auth_code=AUTH_CODE)),
    ("TokenRequest (B2B2C refresh token)", lambda: _b2b2c(refresh_token=SECRET)),
    ("Notification", _notification),
    ("NotificationReply", lambda: success_reply(_notification(), clock=CLOCK)),
    ("UnauthorizedError (parse_response, real trace)", lambda: _error(401, "4017300")),
    ("ServerError (parse_response, real trace)", lambda: _error(500, "5007300")),
    ("ApiError 404 (parse_response, real trace)", lambda: _error(404, "4047300")),
    ("ApiError non-JSON (parse_response)", lambda: _answer(502, b"<html>502 Bad Gateway</html>")),
    (
        "SignatureMismatchError (verify_service_asymmetric)",
        lambda: _asymmetric_mismatch(),
    ),
    (
        "AccessTokenB2bResponse (model)",
        lambda: models.AccessTokenB2bResponse(access_token=TOKEN, token_type="Bearer"),
    ),
    (
        "AccountBindingResponse (model, decoded)",
        lambda: models.decode_model(json.loads(ANSWER), models.AccountBindingResponse),
    ),
    ("AccountBindingRequest (model)", lambda: _binding_request()),
    (
        "GetAuthCodeResponse (model)",
        lambda: models.GetAuthCodeResponse(
            location=f"https://merchant.example/cb?authCode={AUTH_CODE}", auth_code=AUTH_CODE
        ),
    ),
    ("PaymentOption (model)", lambda: models.PaymentOption(name="GOPAY_WALLET", token=CUSTOMER)),
    ("SnapClient", lambda: _client(bisnap.SnapClient)),
    ("AsyncSnapClient", lambda: _client(bisnap.AsyncSnapClient)),
    ("TokenProvider", _provider),
    (
        "SnapAuth",
        lambda: bisnap.SnapAuth(client_secret=SECRET, token=bisnap.AccessToken.create(TOKEN)),
    ),
    ("MemoryTokenStore (holding a token)", _memory_store),
    ("EmulatorCredentials", _credentials),
    ("Emulator", lambda: Emulator(EmulatorConfig(credentials=_credentials()))),
    ("NotificationVerifier", _verifier),
    (
        "AsyncNotificationVerifier",
        lambda: AsyncNotificationVerifier(public_key=PEM_PUBLIC, clock=CLOCK),
    ),
    (
        "ApiError whose answer echoes a token",
        lambda: _answer(
            400,
            b'{"responseCode":"4000700","responseMessage":"bad","accessToken":"%s"}'
            % TOKEN.encode(),
        ),
    ),
    ("NotificationReceiver", lambda: NotificationReceiver(_verifier(), server_key=SECRET)),
    (
        "AsyncNotificationReceiver",
        lambda: AsyncNotificationReceiver(
            AsyncNotificationVerifier(public_key=PEM_PUBLIC, clock=CLOCK),
            server_key=SECRET,
            iris_merchant_key=SECRET,
        ),
    ),
]

SENTINELS = (SECRET, TOKEN, AUTH_CODE, CUSTOMER, CHARGE)


def _leaks(data: bytes) -> list[str]:
    found = []
    for sentinel in SENTINELS:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "raw_unicode_escape"):
            if sentinel.encode(encoding) in data:
                found.append(f"{sentinel} ({encoding})")
        # ascii-escaped forms (\\uXXXX of every character, as JSON/repr may write them)
        escaped = "".join(f"\\u{ord(c):04x}" for c in sentinel).encode()
        if escaped in data or escaped.upper() in data:
            found.append(f"{sentinel} (\\u-escaped)")
    return found


@pytest.mark.parametrize(("name", "build"), PICKLE_CASES, ids=[n for n, _ in PICKLE_CASES])
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_masks_or_refuses(name: str, build: Callable[[], object], protocol: int) -> None:
    obj = build()
    try:
        data = pickle.dumps(obj, protocol=protocol)
    except bisnap.BisnapError as err:
        # A refusal: NotPicklableError (also a TypeError), or the ConfigurationError the
        # clients raise; either way a bisnap error whose message holds no secret.
        assert not isinstance(err, bisnap.NotPicklableError) or isinstance(err, TypeError)
        assert not _leaks(f"{err} {err.hint} {err!r}".encode())
        return
    assert not _leaks(data), f"{name} pickles a secret"
    clone = pickle.loads(data)  # noqa: S301 - our own bytes
    assert type(clone) is type(obj)


@pytest.mark.parametrize(("name", "build"), PICKLE_CASES, ids=[n for n, _ in PICKLE_CASES])
def test_deepcopy_never_fails_with_a_foreign_error(name: str, build: Callable[[], object]) -> None:
    obj = build()
    with contextlib.suppress(bisnap.BisnapError):
        copy.deepcopy(obj)


def test_unpickled_trace_is_masked_but_usable() -> None:
    trace = _service_trace()
    clone = pickle.loads(pickle.dumps(trace))  # noqa: S301 - our own bytes
    assert TOKEN in trace.string_to_sign
    assert TOKEN not in clone.string_to_sign
    assert clone.signature == trace.signature
    assert clone.body_sha256 == trace.body_sha256
    assert clone.masked_string_to_sign == trace.masked_string_to_sign


def test_unpickled_error_keeps_its_data_and_drops_the_trace() -> None:
    err = _mismatch()
    clone = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert (clone.stage, clone.message, clone.hint) == (err.stage, err.message, err.hint)
    assert clone.trace is None
    api = pickle.loads(pickle.dumps(bisnap.UnauthorizedError("401", trace=_service_trace())))  # noqa: S301
    assert api.trace is None


def test_unpickled_model_and_response_keep_their_data_with_tokens_masked() -> None:
    decoded = models.decode_model(json.loads(ANSWER), models.AccountBindingResponse)
    clone = pickle.loads(pickle.dumps(decoded))  # noqa: S301 - our own bytes
    assert clone.response_code == "2000700"
    assert clone.access_token_info is not None
    assert clone.access_token_info.access_token == "***"
    assert clone.extra["accessToken"] == "[masked]"
    response = pickle.loads(pickle.dumps(_response()))  # noqa: S301 - our own bytes
    assert response.code.raw == "2000700"
    assert response.body["accessTokenInfo"]["accessToken"] == "[masked]"
    assert response.trace is None
