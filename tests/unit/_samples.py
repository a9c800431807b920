"""One request per catalogue entry, as the provider's camelCase dict (shared test data)."""

from __future__ import annotations

from typing import Any

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
