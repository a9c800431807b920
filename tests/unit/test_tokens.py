"""The sans-I/O token core: request building, answer parsing, the refresh policy."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bisnap import (
    AccessToken,
    ConfigurationError,
    KeyPair,
    TokenExchangeError,
    build_service_headers,
    redact_headers,
)
from bisnap.tokens import (
    B2B2C_TOKEN_PATH,
    DEFAULT_TOKEN_PATH,
    RefreshDecision,
    RefreshPolicy,
    build_b2b2c_token_request,
    build_token_request,
    customer_token,
    customer_token_from_binding,
    parse_b2b2c_token_response,
    parse_token_response,
    token_store_key,
)

T0 = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)
TS = "2024-03-05T17:37:16+07:00"
SENTINEL = "SENTINEL-unit-token-a41f"


def _ok(**extra: object) -> bytes:
    body: dict[str, object] = {
        "responseCode": "2007300",
        "responseMessage": "Successful",
        "accessToken": SENTINEL,
        "tokenType": "Bearer",
        "expiresIn": "900",
    }
    body.update(extra)
    return json.dumps(body).encode()


# --- request ------------------------------------------------------------------------------


def test_request_body_is_compact_grant_type(token_keys: KeyPair) -> None:
    req = build_token_request(client_key="G1", private_key=token_keys.private_key, timestamp=TS)
    assert req.method == "POST"
    assert req.path == DEFAULT_TOKEN_PATH == "/v1.0/access-token/b2b"
    assert req.body == b'{"grantType":"client_credentials"}'
    assert req.url("https://merchants.sbx.midtrans.com/") == (
        "https://merchants.sbx.midtrans.com/v1.0/access-token/b2b"
    )


def test_request_grant_type_field_and_path_configurable(token_keys: KeyPair) -> None:
    req = build_token_request(
        client_key="G1",
        private_key=token_keys.private_key,
        timestamp=TS,
        path="/snap/v1.0/access-token/b2b",
        grant_type_field="grant_type",
        additional_info={"x": 1},
    )
    assert req.path == "/snap/v1.0/access-token/b2b"
    assert req.body == b'{"grant_type":"client_credentials","additionalInfo":{"x":1}}'


def test_request_headers_and_signature_verify_independently(token_keys: KeyPair) -> None:
    req = build_token_request(client_key="G1", private_key=token_keys.private_key, timestamp=TS)
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["X-TIMESTAMP"] == TS
    assert req.headers["X-CLIENT-KEY"] == "G1"
    # Verified with cryptography directly, not with bisnap's verifier.
    token_keys.public_key.verify(
        base64.b64decode(req.headers["X-SIGNATURE"]),
        f"G1|{TS}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


@pytest.mark.parametrize("path", ["v1.0/access-token/b2b", ""])
def test_request_path_must_start_with_slash(token_keys: KeyPair, path: str) -> None:
    with pytest.raises(ConfigurationError, match="does not start with"):
        build_token_request(
            client_key="G1", private_key=token_keys.private_key, timestamp=TS, path=path
        )


def test_request_field_name_checked(token_keys: KeyPair) -> None:
    with pytest.raises(ConfigurationError):
        build_token_request(
            client_key="G1",
            private_key=token_keys.private_key,
            timestamp=TS,
            grant_type_field='x"y',
        )


def test_b2b2c_request_auth_code(token_keys: KeyPair) -> None:
    req = build_b2b2c_token_request(
        client_key="G1", private_key=token_keys.private_key, timestamp=TS, auth_code=SENTINEL
    )
    assert req.path == B2B2C_TOKEN_PATH == "/v1.0/access-token/b2b2c"
    assert json.loads(req.body) == {"grantType": "authorization_code", "authCode": SENTINEL}
    assert SENTINEL not in repr(req)
    assert f"<{len(req.body)} bytes>" in repr(req)


def test_b2b2c_request_refresh_token_upper_case(token_keys: KeyPair) -> None:
    req = build_b2b2c_token_request(
        client_key="G1",
        private_key=token_keys.private_key,
        timestamp=TS,
        refresh_token=SENTINEL,
        upper_case_grant=True,
    )
    assert req.body == f'{{"grantType":"REFRESH_TOKEN","refreshToken":"{SENTINEL}"}}'.encode()


@pytest.mark.parametrize(
    ("code", "refresh"), [(None, None), ("a", "b"), ("", None)], ids=["none", "both", "empty"]
)
def test_b2b2c_request_needs_exactly_one_grant(
    token_keys: KeyPair, code: str | None, refresh: str | None
) -> None:
    with pytest.raises(ConfigurationError):
        build_b2b2c_token_request(
            client_key="G1",
            private_key=token_keys.private_key,
            timestamp=TS,
            auth_code=code,
            refresh_token=refresh,
        )


# --- answer -------------------------------------------------------------------------------


@pytest.mark.parametrize("expires_in", ["900", 900, 900.0, " 900 "])
def test_parse_success(expires_in: object) -> None:
    token = parse_token_response(200, _ok(expiresIn=expires_in), obtained_at=T0)
    assert token.reveal() == SENTINEL
    assert token.token_type == "Bearer"
    assert token.kind == "b2b"
    assert token.obtained_at == T0
    assert token.expires_at == datetime(2024, 3, 5, 10, 52, 16, tzinfo=UTC)


def test_parse_accepts_str_body_and_default_token_type() -> None:
    body = json.dumps({"accessToken": SENTINEL, "expiresIn": 60})
    token = parse_token_response(200, body, obtained_at=T0)
    assert token.token_type == "Bearer"
    assert token.expires_at == T0 + timedelta(seconds=60)


def test_parse_refusal_4017300_carries_code_and_explain_hint() -> None:
    body = b'{"responseCode":"4017300","responseMessage":"Unauthorized. Signature"}'
    with pytest.raises(TokenExchangeError) as info:
        parse_token_response(401, body, obtained_at=T0)
    err = info.value
    assert err.code is not None
    assert (err.code.http_status, err.code.service, err.code.case) == (401, "73", "00")
    assert err.status_code == 401
    assert "bisnap explain token" in err.hint
    assert "4017300" in str(err)
    assert "Unauthorized. Signature" in str(err)


def test_parse_refusal_5007300() -> None:
    body = b'{"responseCode":"5007300","responseMessage":"Internal Server Error"}'
    with pytest.raises(TokenExchangeError) as info:
        parse_token_response(500, body, obtained_at=T0)
    assert info.value.code is not None
    assert info.value.code.http_status == 500
    assert "explain" not in info.value.hint


def test_parse_refusal_code_wins_over_http_200() -> None:
    body = b'{"responseCode":"4017300","responseMessage":"Unauthorized"}'
    with pytest.raises(TokenExchangeError) as info:
        parse_token_response(200, body, obtained_at=T0)
    assert info.value.code is not None
    assert info.value.code.code == "4017300"


def test_parse_http_error_without_code() -> None:
    with pytest.raises(TokenExchangeError, match="HTTP 502") as info:
        parse_token_response(502, b"{}", obtained_at=T0)
    assert info.value.code is None
    assert info.value.status_code == 502


@pytest.mark.parametrize(
    "body",
    [b"<html>bad gateway</html>", b"[1,2]", b'{"responseCode":"2007300"}', b'{"accessToken":""}'],
    ids=["html", "array", "no-token", "empty-token"],
)
def test_parse_unusable_bodies(body: bytes) -> None:
    with pytest.raises(TokenExchangeError):
        parse_token_response(200, body, obtained_at=T0)


def test_parse_unreadable_response_code() -> None:
    with pytest.raises(TokenExchangeError, match="unreadable responseCode") as info:
        parse_token_response(200, b'{"responseCode":"OK","accessToken":"x"}', obtained_at=T0)
    assert info.value.__cause__ is not None


@pytest.mark.parametrize("expires_in", ["abc", True, -1, 0, "15m", None, 1.5, "\uff19\uff10\uff10"])
def test_parse_bad_expires_in(expires_in: object) -> None:
    with pytest.raises(TokenExchangeError, match="expiresIn") as info:
        parse_token_response(200, _ok(expiresIn=expires_in), obtained_at=T0)
    assert SENTINEL not in str(info.value)
    assert SENTINEL not in repr(info.value)


def test_parse_missing_expires_in_with_default() -> None:
    body = json.dumps({"accessToken": SENTINEL}).encode()
    token = parse_token_response(
        200, body, obtained_at=T0, default_expires_in=timedelta(seconds=900)
    )
    assert token.expires_at == T0 + timedelta(seconds=900)


def test_parse_eight_digit_success_code() -> None:
    token = parse_token_response(200, _ok(responseCode="20073000"), obtained_at=T0)
    assert token.reveal() == SENTINEL


def test_parse_b2b2c_answer() -> None:
    body = json.dumps(
        {
            "responseCode": "2007400",
            "responseMessage": "Successful",
            "accessToken": SENTINEL,
            "tokenType": "Bearer",
            "accessTokenExpiryTime": "2024-03-20T17:37:16+07:00",
            "refreshToken": "SENTINEL-refresh",
            "refreshTokenExpiryTime": "2024-03-19T17:37:16+07:00",
        }
    )
    token = parse_b2b2c_token_response(200, body, obtained_at=T0)
    assert token.kind == "customer"
    assert token.expires_at == datetime(2024, 3, 20, 10, 37, 16, tzinfo=UTC)
    assert token.refresh_token is not None
    assert token.refresh_token.reveal() == "SENTINEL-refresh"
    assert "SENTINEL" not in repr(token)


def test_parse_b2b2c_answer_iso_variants_and_missing() -> None:
    body = json.dumps({"accessToken": "x", "accessTokenExpiryTime": "2024-03-20T10:37:16.5+00:00"})
    token = parse_b2b2c_token_response(200, body, obtained_at=T0)
    assert token.expires_at == datetime(2024, 3, 20, 10, 37, 16, 500000, tzinfo=UTC)
    with pytest.raises(TokenExchangeError, match="accessTokenExpiryTime"):
        parse_b2b2c_token_response(
            200, json.dumps({"accessToken": "x", "accessTokenExpiryTime": "soon"}), obtained_at=T0
        )


# --- customer token -----------------------------------------------------------------------


def test_customer_token_goes_into_authorization_customer() -> None:
    ctoken = customer_token(SENTINEL)
    assert ctoken.kind == "customer"
    headers = build_service_headers(
        timestamp=TS,
        signature="sig",
        partner_id="P",
        external_id="1" * 16,
        channel_id="95221",
        access_token="b2b-token",
        customer_token=ctoken,
        device_id="dev",
    )
    assert headers["Authorization-Customer"] == f"Bearer {SENTINEL}"
    assert SENTINEL not in repr(redact_headers(headers))
    with pytest.raises(ConfigurationError):
        customer_token("")


def test_customer_token_from_bind_account() -> None:
    body = {
        "responseCode": "2000700",
        "referenceNo": "r",
        "accessTokenInfo": {
            "accessToken": SENTINEL,
            "expiresIn": "900",
            "refreshToken": "SENTINEL-r",
        },
    }
    token = customer_token_from_binding(body, obtained_at=T0)
    assert token.reveal() == SENTINEL
    assert token.kind == "customer"
    assert token.expires_at == T0 + timedelta(seconds=900)
    assert token.refresh_token is not None


def test_customer_token_from_binding_inquiry_bytes() -> None:
    body = json.dumps({"additionalInfo": {"accessToken": SENTINEL, "paymentType": "gopay"}})
    token = customer_token_from_binding(body.encode())
    assert token.reveal() == SENTINEL
    assert token.expires_at is None


@pytest.mark.parametrize(
    "body", [{}, {"accessTokenInfo": {"accessToken": ""}}, {"additionalInfo": {"x": 1}}]
)
def test_customer_token_from_binding_without_token(body: dict[str, object]) -> None:
    with pytest.raises(TokenExchangeError, match="no customer token"):
        customer_token_from_binding(body)


# --- policy -------------------------------------------------------------------------------


def _token(life: int = 900, *, at: datetime = T0) -> AccessToken:
    return AccessToken.create(SENTINEL, expires_in=timedelta(seconds=life), obtained_at=at)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (0, RefreshDecision.FRESH),
        (779, RefreshDecision.FRESH),
        (780, RefreshDecision.ADVISORY),  # 120 s before expiry
        (869, RefreshDecision.ADVISORY),
        (870, RefreshDecision.MANDATORY),  # 30 s before expiry
        (900, RefreshDecision.MANDATORY),
        (5000, RefreshDecision.MANDATORY),
    ],
)
def test_policy_windows(offset: int, expected: RefreshDecision) -> None:
    policy = RefreshPolicy()
    assert policy.decide(_token(), T0 + timedelta(seconds=offset)) is expected


def test_policy_no_token_is_mandatory_and_no_expiry_is_fresh() -> None:
    policy = RefreshPolicy()
    assert policy.decide(None, T0) is RefreshDecision.MANDATORY
    forever = AccessToken.create("x")
    assert policy.decide(forever, T0 + timedelta(days=999)) is RefreshDecision.FRESH


def test_policy_short_token_windows_shrink() -> None:
    policy = RefreshPolicy()
    token = _token(60)  # windows become 30 s (advisory) and 15 s (mandatory)
    assert policy.decide(token, T0 + timedelta(seconds=29)) is RefreshDecision.FRESH
    assert policy.decide(token, T0 + timedelta(seconds=30)) is RefreshDecision.ADVISORY
    assert policy.decide(token, T0 + timedelta(seconds=45)) is RefreshDecision.MANDATORY


def test_policy_without_obtained_at_uses_full_windows() -> None:
    token = AccessToken.create("x")
    token = AccessToken(value=token.value, expires_at=T0 + timedelta(seconds=100))
    policy = RefreshPolicy()
    assert policy.decide(token, T0) is RefreshDecision.ADVISORY
    assert policy.decide(token, T0 + timedelta(seconds=70)) is RefreshDecision.MANDATORY


@pytest.mark.parametrize(
    ("advisory", "mandatory"), [(10, 20), (10, -1)], ids=["mandatory-wider", "negative"]
)
def test_policy_rejects_bad_windows(advisory: int, mandatory: int) -> None:
    with pytest.raises(ConfigurationError):
        RefreshPolicy(advisory=timedelta(seconds=advisory), mandatory=timedelta(seconds=mandatory))


def test_policy_repr() -> None:
    assert repr(RefreshPolicy()) == "RefreshPolicy(advisory=120s, mandatory=30s)"


def test_store_key_is_a_hash_of_base_url_and_client_key() -> None:
    expected = hashlib.sha256(b"https://api.example\nG1").hexdigest()[:32]
    assert token_store_key("https://api.example/", "G1") == expected
    assert token_store_key("https://api.example", "G2") != expected
    assert "G1" not in token_store_key("https://api.example", "G1")
