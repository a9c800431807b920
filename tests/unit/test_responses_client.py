"""The pure core's answer parsing and retry decisions (`bisnap.http.core`), without HTTP."""

from __future__ import annotations

import httpx
import pytest

from bisnap import (
    ApiError,
    BadRequestError,
    CallError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    SnapResponse,
    TokenRejectedError,
    TransportError,
    UnauthorizedError,
)
from bisnap.catalogue import CATALOGUE, by_name
from bisnap.http.core import (
    needs_token_refresh,
    next_step,
    parse_response,
    resolve_target,
    retry_mode,
    serialize_body,
    status_check_body,
    status_verdict,
    transport_error,
)
from bisnap.profiles import MIDTRANS
from bisnap.responses import parse_response_code

TARGET = resolve_target(profile=MIDTRANS, base_url="https://x.test", name="create_va")
POLICY = RetryPolicy()


def _parse(status: int, content: bytes, **headers: str) -> SnapResponse | ApiError:
    return parse_response(target=TARGET, status_code=status, headers=headers, content=content)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("4002700", BadRequestError),
        ("4012700", UnauthorizedError),
        ("4012701", TokenRejectedError),
        ("4012704", TokenRejectedError),
        ("4032714", ForbiddenError),
        ("4042712", NotFoundError),
        ("4052700", ApiError),
        ("4092700", ConflictError),
        ("4092701", ConflictError),
        ("4292700", RateLimitError),
        ("5002701", ServerError),
        ("5042700", ServerError),
    ],
)
def test_error_class_by_response_code(code: str, cls: type[ApiError]) -> None:
    outcome = _parse(int(code[:3]), f'{{"responseCode":"{code}","responseMessage":"m"}}'.encode())
    assert type(outcome) is cls
    assert str(outcome) == f"create_va: {code} m (HTTP {code[:3]})"


def test_success_keeps_raw_bytes_and_parsed_body() -> None:
    raw = b'{"responseCode":"2002700","responseMessage":"Successful","virtualAccountData":{}}'
    outcome = _parse(200, raw, **{"X-TIMESTAMP": "2024-01-01T00:00:00+07:00"})
    assert isinstance(outcome, SnapResponse)
    assert outcome.raw == raw and outcome.body["virtualAccountData"] == {}
    assert outcome.headers["X-TIMESTAMP"].startswith("2024")
    assert "virtualAccountData" not in repr(outcome)


def test_message_falls_back_to_the_standard_one() -> None:
    outcome = _parse(404, b'{"responseCode":"4042701"}')
    assert str(outcome) == "create_va: 4042701 Transaction Not Found (HTTP 404)"


def test_long_provider_messages_are_cut() -> None:
    outcome = _parse(400, b'{"responseCode":"4002701","responseMessage":"' + b"x" * 400 + b'"}')
    assert len(str(outcome)) < 200


@pytest.mark.parametrize("content", [b"<html>", b"", b"null", b"[1]", b"\x80"])
def test_non_json_is_an_api_error_with_the_status(content: bytes) -> None:
    outcome = _parse(502, content, **{"Content-Type": "text/html; charset=utf-8"})
    assert isinstance(outcome, ServerError)
    assert "HTTP 502" in str(outcome) and outcome.status_code == 502
    assert "base URL" in outcome.hint


def test_retry_modes_come_from_the_catalogue() -> None:
    modes = {e.name: retry_mode(e) for e in CATALOGUE}
    assert modes["create_va"] == "replay" and modes["qris_refund"] == "replay"
    assert modes["interbank_transfer"] == "status_first"
    assert modes["emoney_topup"] == "status_first"
    assert modes["transfer_status"] == "safe" and modes["va_status"] == "safe"
    assert modes["account_binding"] == "never" and modes["get_auth_code"] == "never"
    assert retry_mode(None) == "never"
    for endpoint in CATALOGUE:
        if endpoint.moves_money:
            assert modes[endpoint.name] != "safe"


def _error(code: str) -> ApiError:
    outcome = _parse(int(code[:3]), f'{{"responseCode":"{code}"}}'.encode())
    assert isinstance(outcome, ApiError)
    return outcome


def test_next_step_table() -> None:
    server, token, customer = _error("5002700"), _error("4012701"), _error("4012702")
    lost = transport_error(httpx.ReadTimeout("x"), target=TARGET)
    refused = transport_error(httpx.ConnectError("x"), target=TARGET)
    assert isinstance(refused, ConnectionFailedError) and isinstance(lost, TransportError)
    ok = _parse(200, b'{"responseCode":"2002700"}')
    assert isinstance(ok, SnapResponse)

    def step(mode: str, outcome: SnapResponse | CallError, attempt: int = 1) -> str:
        return next_step(
            mode,  # type: ignore[arg-type]
            outcome,
            attempt=attempt,
            refreshed=False,
            policy=POLICY,
        ).action

    assert step("never", ok) == "return"
    assert step("never", token) == "refresh" and step("never", customer) == "raise"
    assert step("never", refused) == "retry" and step("never", refused, 3) == "raise"
    assert step("never", server) == "raise" and step("never", lost) == "raise"
    assert step("replay", server) == "retry" and step("replay", lost, 2) == "retry"
    assert step("replay", server, 3) == "raise"
    assert step("safe", _error("4292700")) == "retry"
    assert step("status_first", server) == "check_status"
    assert step("status_first", lost) == "check_status"
    assert step("status_first", _error("4292700")) == "raise"
    assert step("status_first", server, 3) == "raise"
    assert step("replay", _error("4092700")) == "raise"
    assert next_step("never", token, attempt=1, refreshed=True, policy=POLICY).action == "raise"
    assert needs_token_refresh(_error("4012703")) and not needs_token_refresh(_error("4012700"))


def test_status_check_body_and_verdict() -> None:
    transfer = by_name("interbank_transfer")
    assert status_check_body(transfer, b'{"partnerReferenceNo":"p-1","x":1}') == {
        "originalPartnerReferenceNo": "p-1",
        "serviceCode": "18",
    }
    assert status_check_body(transfer, b'{"x":1}') is None
    assert status_check_body(transfer, b"[]") is None
    assert status_check_body(by_name("create_va"), b'{"partnerReferenceNo":"p"}') is None
    found = _parse(200, b'{"responseCode":"2003600"}')
    assert isinstance(found, SnapResponse)
    assert status_verdict(found) == "exists"
    assert status_verdict(_error("4043601")) == "absent"
    assert status_verdict(_error("4043611")) == "unknown"
    assert status_verdict(_error("5003600")) == "unknown"


def test_serialize_body() -> None:
    assert serialize_body(None) == b""
    assert serialize_body(b" { } ") == b" { } "
    assert serialize_body('{"a": "é"}') == '{"a": "é"}'.encode()
    assert (
        serialize_body({"b": 1, "a": [1.5, None, "é/"]}) == '{"b":1,"a":[1.5,null,"é/"]}'.encode()
    )
    assert serialize_body([1, 2]) == b"[1,2]"


def test_response_code_tolerance_used_by_the_client() -> None:
    assert parse_response_code(2002700).code == "2002700"
    assert parse_response_code("20054000").code == "2005400"
