"""Request bodies are checked against the catalogue before sending: every rule, named."""

from __future__ import annotations

from typing import Any

import pytest

from bisnap.catalogue import CATALOGUE, FieldRule, by_name
from bisnap.errors import InputError, RequestValidationError
from bisnap.models import decode_model, request_type
from bisnap.validation import check_request, field_values, validate_request

from ._samples import DICTS


def _problems(name: str, body: Any) -> list[tuple[str, str]]:
    return [(path, detail) for path, _, detail in check_request(by_name(name), body)]


@pytest.mark.parametrize("name", sorted(DICTS))
def test_the_samples_are_valid_as_dicts_and_as_models(name: str) -> None:
    validate_request(by_name(name), DICTS[name])
    validate_request(by_name(name), decode_model(DICTS[name], request_type(name)))


def test_every_endpoint_with_required_fields_reports_them_all() -> None:
    for endpoint in CATALOGUE:
        found = [path for path, rule, _ in check_request(endpoint, {}) if rule == "required"]
        assert found == list(endpoint.required_fields), endpoint.name


def test_one_of_groups() -> None:
    assert _problems("debit_status", {"serviceCode": "54"}) == [
        ("originalReferenceNo", "none given")
    ]
    assert _problems("debit_status", {"serviceCode": "54", "originalExternalId": "x"}) == []
    # the nested member of a group counts
    assert _problems("auth_query", {"additionalInfo": {"originalExternalId": "x"}}) == []


def test_empty_values_count_as_missing() -> None:
    body = {**DICTS["qris_generate"], "merchantId": "", "amount": {}}
    assert [p for p, _ in _problems("qris_generate", body)] == [
        "amount.value",
        "amount.currency",
        "merchantId",
    ]


@pytest.mark.parametrize(
    ("name", "change", "field"),
    [
        ("qris_generate", {"amount": {"value": "5000", "currency": "IDR"}}, "amount.value"),
        ("qris_generate", {"amount": {"value": 5000.0, "currency": "IDR"}}, "amount.value"),
        ("qris_generate", {"amount": {"value": "5000.5", "currency": "IDR"}}, "amount.value"),
        ("qris_generate", {"amount": {"value": "5000.00", "currency": "idr"}}, "amount.currency"),
        (
            "create_va",
            {"partnerServiceId": "70012   ", "virtualAccountNo": "70012   0000000001"},
            "partnerServiceId",
        ),
        (
            "create_va",
            {"partnerServiceId": "70012", "virtualAccountNo": "700120000000001"},
            "partnerServiceId",
        ),
        ("create_va", {"virtualAccountNo": "   70012999"}, "virtualAccountNo"),
        ("create_va", {"trxId": "x" * 37}, "trxId"),
        ("create_va", {"expiredDate": "2024-03-06 10:00:00"}, "expiredDate"),
        ("create_va", {"expiredDate": "2024-13-06T10:00:00+07:00"}, "expiredDate"),
        ("intrabank_transfer", {"remark": "r" * 51}, "remark"),
        ("intrabank_transfer", {"transactionDate": "2024-03-05"}, "transactionDate"),
        ("transfer_status", {"serviceCode": "7"}, "serviceCode"),
        ("transaction_history_list", {"pageSize": 51}, "pageSize"),
        ("transaction_history_list", {"pageSize": 0}, "pageSize"),
        ("transaction_history_list", {"pageNumber": -1}, "pageNumber"),
        ("transaction_history_list", {"pageSize": True}, "pageSize"),
        ("get_auth_code", {"state": "s" * 33}, "state"),
        ("get_auth_code", {"lang": "fr"}, "lang"),
    ],
)
def test_each_format_rule(name: str, change: dict[str, Any], field: str) -> None:
    body = {**DICTS[name], **change}
    with pytest.raises(RequestValidationError) as info:
        validate_request(by_name(name), body)
    assert info.value.fields == (field,)
    assert info.value.endpoint == name
    assert field in str(info.value) and "nothing was sent" in str(info.value)
    assert isinstance(info.value, InputError) and info.value.hint


def test_rules_reach_into_lists() -> None:
    body = {
        **DICTS["debit_payment"],
        "payOptionDetails": [
            {
                "payMethod": "GOPAY",
                "payOption": "GOPAY",
                "transAmount": {"value": "1", "currency": "IDR"},
            }
        ],
    }
    assert _problems("debit_payment", body) == [
        ("payOptionDetails[0].transAmount.value", "got '1'")
    ]
    assert [p for p, _ in field_values(body, "payOptionDetails[].payMethod")] == [
        "payOptionDetails[0].payMethod"
    ]


def test_a_typed_request_is_checked_too() -> None:
    model = decode_model(
        {**DICTS["qris_generate"], "merchantId": ""}, request_type("qris_generate")
    )
    with pytest.raises(RequestValidationError) as info:
        validate_request(by_name("qris_generate"), model)
    assert info.value.fields == ("merchantId",)


def test_all_problems_are_reported_at_once_with_their_rules() -> None:
    body = {"partnerReferenceNo": "qr-1", "amount": {"value": "1", "currency": "IDR"}}
    with pytest.raises(RequestValidationError) as info:
        validate_request(by_name("qris_generate"), body)
    assert info.value.problems == (
        ("merchantId", "required", "missing or empty"),
        ("amount.value", FieldRule("amount.value", "amount").rule, "got '1'"),
    )


def test_credentials_are_not_echoed() -> None:
    body = {**DICTS["get_auth_code"], "seamlessSign": 12345678}
    assert _problems("get_auth_code", body) == []  # no format rule on seamlessSign
    secret = "SENTINEL-auth-code-9" * 3
    with pytest.raises(RequestValidationError) as info:
        validate_request(by_name("account_binding"), {"merchantId": "", "authCode": secret})
    assert secret not in str(info.value)


def test_a_body_that_is_not_an_object() -> None:
    with pytest.raises(RequestValidationError) as info:
        validate_request(by_name("va_status"), ["a"])
    assert info.value.fields == ("(body)",)
