"""Typed SNAP bodies: camelCase on the wire, the dict form's bytes, unknown fields kept."""

from __future__ import annotations

import json

import pytest

from bisnap.catalogue import CATALOGUE
from bisnap.errors import InputError, ResponseModelError
from bisnap.http.core import serialize_body
from bisnap.models import (
    ENDPOINT_MODELS,
    AccessTokenInfo,
    AccountBindingResponse,
    Amount,
    CreateVaAdditionalInfo,
    CreateVaRequest,
    CreateVaResponse,
    DebitPaymentRequest,
    Model,
    PayOptionDetail,
    TransactionHistoryListResponse,
    UrlParam,
    decode_model,
    encode_model,
    request_type,
    response_type,
    to_dict,
)

from ._samples import DICTS, MID


def test_every_catalogue_entry_has_a_request_and_a_response_model() -> None:
    assert set(ENDPOINT_MODELS) == {e.name for e in CATALOGUE} == set(DICTS)
    for name, (request, response) in ENDPOINT_MODELS.items():
        assert request_type(name) is request and response_type(name) is response
        assert issubclass(request, Model) and issubclass(response, Model)


@pytest.mark.parametrize("name", sorted(DICTS))
def test_typed_request_round_trips_to_the_dict_forms_bytes(name: str) -> None:
    form = DICTS[name]
    typed = decode_model(form, request_type(name))
    assert typed.extra == {}  # every field of the sample is a named field
    expected = json.dumps(form, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert encode_model(typed) == expected == serialize_body(form)
    assert to_dict(typed) == form
    assert decode_model(json.loads(expected), request_type(name)) == typed


def test_snake_case_fields_go_out_in_camel_case() -> None:
    request = CreateVaRequest(
        partner_service_id="   70012",
        customer_no="0000000001",
        virtual_account_no="   700120000000001",
        virtual_account_name="Budi",
        trx_id="order-1",
        total_amount=Amount(value="10.00", currency="IDR"),
        additional_info=CreateVaAdditionalInfo(merchant_id=MID),
    )
    assert encode_model(request) == (
        b'{"partnerServiceId":"   70012","customerNo":"0000000001",'
        b'"virtualAccountNo":"   700120000000001","virtualAccountName":"Budi",'
        b'"trxId":"order-1","totalAmount":{"value":"10.00","currency":"IDR"},'
        b'"additionalInfo":{"merchantId":"G123456789"}}'
    )


def test_nested_lists_of_models() -> None:
    request = DebitPaymentRequest(
        partner_reference_no="dd-1",
        url_params=[UrlParam(url="https://x.example", type="PAY_RETURN", is_deeplink="Y")],
        pay_option_details=[
            PayOptionDetail(
                pay_method="GOPAY",
                pay_option="GOPAY",
                trans_amount=Amount(value="1.00", currency="IDR"),
            )
        ],
    )
    assert to_dict(request)["urlParams"] == [
        {"url": "https://x.example", "type": "PAY_RETURN", "isDeeplink": "Y"}
    ]


def test_extra_fields_are_sent_after_the_named_ones_at_every_level() -> None:
    amount = Amount(value="1.00", currency="IDR", extra={"note": "x"})
    request = DebitPaymentRequest(
        partner_reference_no="dd-1",
        pay_option_details=[
            PayOptionDetail(pay_method="GOPAY", pay_option="GOPAY", trans_amount=amount)
        ],
        extra={"newField": {"a": 1}},
    )
    assert encode_model(request) == (
        b'{"partnerReferenceNo":"dd-1","payOptionDetails":[{"payMethod":"GOPAY",'
        b'"payOption":"GOPAY","transAmount":{"value":"1.00","currency":"IDR","note":"x"}}],'
        b'"newField":{"a":1}}'
    )
    assert encode_model(request) == serialize_body(to_dict(request))


def test_unknown_answer_fields_are_kept_at_every_level() -> None:
    body = {
        "responseCode": "2002700",
        "responseMessage": "Successful",
        "virtualAccountData": {
            "trxId": "order-1",
            "totalAmount": {"value": "1.00", "currency": "IDR", "rate": "x"},
            "brandNew": [1, 2],
        },
        "referenceNo": "debug-1",
    }
    answer = decode_model(body, CreateVaResponse)
    assert answer.response_code == "2002700"
    assert answer.extra == {"referenceNo": "debug-1"}
    data = answer.virtual_account_data
    assert data is not None and data.trx_id == "order-1" and data.extra == {"brandNew": [1, 2]}
    assert data.total_amount == Amount(value="1.00", currency="IDR", extra={"rate": "x"})


def test_lists_of_answer_items_keep_their_unknown_fields() -> None:
    page = decode_model(
        {"detailData": [{"dateTime": "t", "type": "PAYMENT", "x": 1}, {"status": "SUCCESS"}]},
        TransactionHistoryListResponse,
    )
    assert page.detail_data is not None
    assert [item.extra for item in page.detail_data] == [{"x": 1}, {}]


def test_numbers_sent_as_strings_are_accepted() -> None:
    page = decode_model(
        {"pageSize": "10", "pageNumber": "2"}, request_type("transaction_history_list")
    )
    assert to_dict(page) == {"pageSize": 10, "pageNumber": 2}


def test_an_answer_that_does_not_fit_raises_a_bisnap_error() -> None:
    with pytest.raises(ResponseModelError) as info:
        decode_model({"virtualAccountData": "not an object"}, CreateVaResponse)
    assert "virtualAccountData" in str(info.value)


def test_unserialisable_values_raise_input_error() -> None:
    with pytest.raises(InputError):
        encode_model(Amount(value="1.00", currency="IDR", extra={"bad": float("nan")}))


def test_none_inside_free_form_objects_is_sent_as_null() -> None:
    amount = Amount(value="1.00", currency="IDR", extra={"note": None})
    assert encode_model(amount) == b'{"value":"1.00","currency":"IDR","note":null}'


def test_tokens_are_masked_in_reprs() -> None:
    sentinel = "SENTINEL-customer-token-0042"
    answer = AccountBindingResponse(
        reference_no="r", access_token_info=AccessTokenInfo(access_token=sentinel)
    )
    assert sentinel not in repr(answer) and "access_token=***" in repr(answer)
    assert sentinel not in str(answer)
