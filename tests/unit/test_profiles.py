"""Provider profiles: another provider is a profile, not a fork."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest

from bisnap import ConfigurationError, TimestampStyle
from bisnap.headers import X_ORIGIN
from bisnap.profiles import (
    BRI,
    DOKU,
    MIDTRANS,
    MIDTRANS_PRODUCTION,
    MIDTRANS_SANDBOX,
    ProviderProfile,
    generic_snap,
)
from tests.unit.conftest import VA_BODY, SnapMock, make_client


def test_midtrans_is_the_default_with_its_three_environments() -> None:
    assert MIDTRANS.signature_encoding == "base64"
    assert MIDTRANS.timestamp_style is TimestampStyle.JAKARTA
    assert MIDTRANS.include_query and MIDTRANS.path_prefix == ""
    assert MIDTRANS.token_path == "/v1.0/access-token/b2b"
    assert MIDTRANS.grant_body() == {"grantType": "client_credentials"}
    assert MIDTRANS.environment("sandbox") is MIDTRANS_SANDBOX
    assert MIDTRANS.environment("production") is MIDTRANS_PRODUCTION
    assert MIDTRANS_SANDBOX.app_base_url == "https://merchants-app.sbx.midtrans.com"
    with pytest.raises(ConfigurationError, match="known: 'sandbox', 'staging', 'production'"):
        MIDTRANS.environment("dev")


def test_profiles_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MIDTRANS.path_prefix = "/x"  # type: ignore[misc]


def test_generic_snap_puts_the_prefix_on_paths_and_the_token_path() -> None:
    acme = generic_snap("acme", prefix="/snap")
    assert acme.service_path("/v1.0/transfer-va/create-va") == "/snap/v1.0/transfer-va/create-va"
    assert acme.token_path == "/snap/v1.0/access-token/b2b"
    assert generic_snap("x", token_path="/oauth/token").token_path == "/oauth/token"


@pytest.mark.parametrize("prefix", ["snap", "/snap/"])
def test_bad_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(ConfigurationError):
        generic_snap("x", prefix=prefix)


def test_bad_encoding_and_paths_are_refused() -> None:
    with pytest.raises(ConfigurationError):
        ProviderProfile("x", signature_encoding="base32")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        ProviderProfile("x", token_path="v1.0/token")


def test_bri_example_profile_on_the_wire() -> None:
    mock = SnapMock(profile=BRI)
    with make_client(mock, base_url="https://sandbox.partner.api.bri.co.id", profile=BRI) as c:
        c.request("POST", "/snap/v1.0/transfer-va/status?page=2", {"a": 1})
        c.va_status({"a": 1})
    first, second = mock.requests
    assert second.url.path == "/snap/v1.0/transfer-va/status"
    assert re.fullmatch(r"[0-9a-f]{128}", first.headers["x-signature"])
    assert mock.traces[0].path == "/snap/v1.0/transfer-va/status"  # query not signed
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00", first.headers["x-timestamp"]
    )


def test_doku_example_profile_on_the_wire() -> None:
    mock = SnapMock(profile=DOKU)
    with make_client(mock, base_url="https://api-sandbox.doku.com", profile=DOKU) as client:
        client.create_va(VA_BODY)
        client.balance_inquiry({"accountNo": "1"})
    first, second = mock.requests
    assert first.url.path == "/virtual-accounts/bi-snap-va/v1.1/transfer-va/create-va"
    assert second.url.path == "/v1.0/balance-inquiry"
    assert first.headers["x-timestamp"].endswith("Z")
    assert DOKU.token_path == "/authorization/v1/access-token/b2b"


def test_profile_headers_origin_name_and_external_id_shape() -> None:
    profile = generic_snap(
        "acme",
        origin_header=X_ORIGIN,
        extra_headers={"X-Debug-Mode": "true"},
        external_id_factory=lambda: uuid.uuid4().hex,
        grant_type_field="grant_type",
    )
    mock = SnapMock(profile=profile)
    client = make_client(mock, profile=profile, origin="shop.test", base_url="https://a.test")
    with client:
        client.va_status({"a": 1}, headers={"X-Debug-Mode": "false"})
    (request,) = mock.requests
    assert request.headers["x-origin"] == "shop.test" and "origin" not in request.headers
    assert request.headers["x-debug-mode"] == "false"  # the call's headers win
    assert re.fullmatch(r"[0-9a-f]{32}", request.headers["x-external-id"])
    assert profile.grant_body() == {"grant_type": "client_credentials"}
    assert profile.headers == {"X-Debug-Mode": "true"}
