"""bisnap.responses builds the codes and messages every answer carries (parse is tested in
test_responses_client.py and test_errors_and_secrets.py)."""

from __future__ import annotations

import pytest

from bisnap.catalogue import CATALOGUE, NOTIFICATIONS
from bisnap.errors import (
    ApiError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TokenRejectedError,
    UnauthorizedError,
)
from bisnap.responses import (
    CASE_MESSAGES,
    build_response_code,
    error_class,
    parse_response_code,
    response_message,
    response_status,
    status_error_class,
)


def test_build_is_status_service_case() -> None:
    code = build_response_code(404, "27", "01")
    assert code.code == "4042701"
    assert (code.http_status, code.service, code.case, code.raw) == (404, "27", "01", "4042701")
    assert code.standard_message == "Transaction Not Found"
    assert parse_response_code(code.code) == code


@pytest.mark.parametrize(
    ("status", "service", "case"),
    [
        (99, "27", "01"),
        (600, "27", "01"),
        (True, "27", "01"),
        ("404", "27", "01"),
        (404, "7", "01"),
        (404, "2a", "01"),
        (404, "27", "001"),
        (404, 27, "01"),
        (404, "٢٧", "01"),
    ],
)
def test_build_refuses_what_is_not_a_code(status: object, service: object, case: object) -> None:
    with pytest.raises(InputError) as caught:
        build_response_code(status, service, case)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert caught.value.hint


def test_messages_follow_the_table_and_midtrans_wording() -> None:
    assert response_message(200, "00") == "Successful"
    assert response_message(200, "00", "ignored") == "Successful"
    assert response_message(202, "00") == "Request In Progress"
    assert response_message(400, "02", "X-TIMESTAMP") == "Invalid Mandatory Field X-TIMESTAMP"
    assert response_message(400, "01", "grantType") == "Invalid Field Format grantType"
    assert response_message(401, "00", "Signature") == "Unauthorized. Signature"
    assert response_message(401, "00") == "Unauthorized"
    assert response_message(409, "00", "Cannot use same X-EXTERNAL-ID") == "Conflict"
    assert response_message(413, "00") == "Request Entity Too Large"
    assert response_message(503, "77") == "Service Unavailable"
    assert response_message(599, "77") == "Error"
    for (status, case), message in CASE_MESSAGES.items():
        if status >= 300:
            assert response_message(status, case) == message


def test_status_fields_of_an_answer() -> None:
    assert response_status(401, "24", "00", "Signature") == {
        "responseCode": "4012400",
        "responseMessage": "Unauthorized. Signature",
    }
    assert response_status(200, "73", "00") == {
        "responseCode": "2007300",
        "responseMessage": "Successful",
    }
    assert build_response_code(400, "73", "02").message("X-CLIENT-KEY") == (
        "Invalid Mandatory Field X-CLIENT-KEY"
    )


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("4002700", BadRequestError),
        ("4012700", UnauthorizedError),
        ("4012701", TokenRejectedError),
        ("4012702", TokenRejectedError),
        ("4012703", TokenRejectedError),
        ("4012704", TokenRejectedError),
        ("4012705", UnauthorizedError),
        ("4032714", ForbiddenError),
        ("4042712", NotFoundError),
        ("4052700", ApiError),
        ("4092701", ConflictError),
        ("4292700", RateLimitError),
        ("5002701", ServerError),
        ("5042700", ServerError),
    ],
)
def test_error_class_of_a_code(code: str, cls: type[ApiError]) -> None:
    parsed = parse_response_code(code)
    assert error_class(parsed) is cls
    assert parsed.error_class() is cls


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (200, ApiError),
        (400, ApiError),
        (404, ApiError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_error_class_of_an_answer_without_a_code(status: int, cls: type[ApiError]) -> None:
    assert status_error_class(status) is cls


def test_catalogue_success_codes_are_200_service_00() -> None:
    pairs = [(e.success_code, e.service_code) for e in CATALOGUE]
    pairs += [(n.success_code, n.service_code) for n in NOTIFICATIONS]
    for success, service in pairs:
        assert success == "200" + service + "00"
        assert parse_response_code(success).is_success
