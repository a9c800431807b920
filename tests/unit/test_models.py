"""Typed SNAP bodies: camelCase on the wire, the dict form's bytes, unknown fields kept."""

from __future__ import annotations

import json
from typing import Any

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

MID = "G123456789"
MONEY = {"value": "5000.00", "currency": "IDR"}

# One request per catalogue entry, written by hand in the provider's camelCase and in the
# model's field order (so the typed form must give exactly these bytes).
DICTS: dict[str, dict[str, Any]] = {
    "access_token_b2b": {"grantType": "client_credentials"},
    "create_va": {
        "partnerServiceId": "   70012",
        "customerNo": "0000000001",
        "virtualAccountNo": "   700120000000001",
        "virtualAccountName": "Budi Santoso é/\u2028",
        "trxId": "order-1",
        "totalAmount": {"value": "150000.00", "currency": "IDR"},
        "additionalInfo": {"merchantId": MID, "bank": "bca"},
        "expiredDate": "2024-03-06T10:00:00+07:00",
    },
    "va_status": {
        "partnerServiceId": "   70012",
        "customerNo": "0000000001",
        "virtualAccountNo": "   700120000000001",
        "inquiryRequestId": "order-1",
        "additionalInfo": {"merchantId": MID},
    },
    "delete_va": {
        "partnerServiceId": "   70012",
        "customerNo": "0000000001",
        "virtualAccountNo": "   700120000000001",
        "trxId": "order-1",
    },
    "qris_generate": {"partnerReferenceNo": "qr-1", "amount": MONEY, "merchantId": MID},
    "qris_query": {"originalReferenceNo": "QR1", "serviceCode": "47", "merchantId": MID},
    "qris_refund": {
        "merchantId": MID,
        "originalPartnerReferenceNo": "qr-1",
        "partnerRefundNo": "rf-1",
        "originalReferenceNo": "QR1",
        "refundAmount": MONEY,
    },
    "qris_cancel": {"merchantId": MID, "reason": "changed mind", "originalReferenceNo": "QR2"},
    "debit_payment": {
        "partnerReferenceNo": "dd-1",
        "merchantId": MID,
        "urlParams": [
            {"url": "https://shop.example/back", "type": "PAY_RETURN", "isDeeplink": "N"}
        ],
        "payOptionDetails": [{"payMethod": "GOPAY", "payOption": "GOPAY", "transAmount": MONEY}],
    },
    "debit_status": {"originalReferenceNo": "DD1", "serviceCode": "54"},
    "debit_refund": {
        "originalReferenceNo": "DD1",
        "originalPartnerReferenceNo": "dd-1",
        "partnerRefundNo": "rf-2",
    },
    "debit_cancel": {"originalReferenceNo": "DD2", "originalPartnerReferenceNo": "dd-2"},
    "get_auth_code": {
        "redirectUrl": "https://shop.example/back",
        "scopes": "DEFAULT",
        "state": "csrf-1",
        "merchantId": "uuid-1",
        "seamlessData": "mobileNumber=62822999999&paymentType=gopay",
        "seamlessSign": "c2lnbmF0dXJl",
    },
    "account_binding": {
        "merchantId": "uuid-1",
        "authCode": "abc",
        "grantType": "AUTHORIZATION_CODE",
    },
    "account_binding_inquiry": {"additionalInfo": {"accountId": "acc-1"}},
    "account_unbinding": {"merchantId": "uuid-1"},
    "auth_payment": {
        "partnerReferenceNo": "au-1",
        "merchantId": MID,
        "amount": MONEY,
        "title": "Ride",
    },
    "auth_query": {"originalReferenceNo": "AU1"},
    "auth_capture": {
        "originalReferenceNo": "AU1",
        "originalPartnerReferenceNo": "au-1",
        "merchantId": MID,
        "partnerCaptureNo": "cp-1",
        "captureAmount": MONEY,
    },
    "auth_void": {
        "originalReferenceNo": "AU2",
        "originalPartnerReferenceNo": "au-2",
        "merchantId": MID,
        "partnerVoidNo": "vd-1",
    },
    "auth_refund": {
        "originalReferenceNo": "AU1",
        "originalPartnerReferenceNo": "au-1",
        "partnerRefundNo": "rf-3",
        "refundAmount": MONEY,
    },
    "transaction_history_list": {
        "fromDateTime": "2024-01-01T00:00:00+07:00",
        "pageSize": 50,
        "pageNumber": 0,
        "additionalInfo": {"types": ["PAYMENT"], "sortOrder": "ASC"},
    },
    "transaction_history_detail": {
        "originalPartnerReferenceNo": "tf-1",
        "additionalInfo": {"referenceNo": "TF1"},
    },
    "external_account_inquiry": {
        "beneficiaryBankCode": "0140246",
        "beneficiaryAccountNo": "0011223344",
    },
    "intrabank_transfer": {
        "partnerReferenceNo": "tf-1",
        "amount": {"value": "100000.00", "currency": "IDR"},
        "beneficiaryAccountNo": "0011223344",
        "remark": "payout",
        "sourceAccountNo": "0000000000",
        "transactionDate": "2024-03-05T10:00:00+07:00",
    },
    "interbank_transfer": {
        "partnerReferenceNo": "tf-2",
        "amount": {"value": "100000.00", "currency": "IDR"},
        "beneficiaryAccountName": "Someone",
        "beneficiaryAccountNo": "0011223344",
        "beneficiaryBankCode": "0020307",
        "sourceAccountNo": "0000000000",
        "transactionDate": "2024-03-05T10:00:00+07:00",
        "additionalInfo": {"remark": "payout"},
    },
    "va_inquiry_intrabank": {
        "partnerServiceId": "00000000",
        "customerNo": "00000000",
        "virtualAccountNo": "   700120000000003",
        "additionalInfo": {"beneficiaryBankCode": "0130000"},
    },
    "va_payment_intrabank": {
        "partnerReferenceNo": "tf-3",
        "partnerServiceId": "00000000",
        "customerNo": "00000000",
        "virtualAccountNo": "   700120000000003",
    },
    "emoney_account_inquiry": {
        "customerNumber": "08123450000",
        "amount": {"value": "1.00", "currency": "IDR"},
        "additionalInfo": {"beneficiaryProvider": "gopay"},
    },
    "emoney_topup": {
        "partnerReferenceNo": "tf-4",
        "customerNumber": "08123450000",
        "customerName": "Gopay Simulator A",
        "amount": {"value": "50000.00", "currency": "IDR"},
        "notes": "top up",
    },
    "balance_inquiry": {"accountNo": "0000000000"},
    "transfer_status": {"originalPartnerReferenceNo": "tf-1", "serviceCode": "17"},
}


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
