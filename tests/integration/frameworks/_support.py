"""What the framework tests share: the requests Midtrans sends, a recording handler.

Signatures of the legacy notifications are computed here with `hashlib` (not with bisnap),
from the formulas in shared/spec (midtrans-core.md §6, midtrans-reporting-payouts.md §6.2).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from bisnap import (
    FixedClock,
    KeyPair,
    format_timestamp,
    sign_service_asymmetric,
)
from bisnap.integrations import Received

PREFIX = "/hooks/midtrans"
SERVER_KEY = "SB-Mid-server-integration-test"
IRIS_KEY = "IRIS-merchant-integration-test"
VA_PATH = "/v1.0/transfer-va/payment"
DEBIT_PATH = "/v1.0/debit/notify"
VA_BODY = (
    b'{"partnerServiceId":"   70012","customerNo":"0000000042",'
    b'"virtualAccountNo":"   700120000000042","trxId":"order-1","paymentRequestId":"p-1",'
    b'"paidAmount":{"value":"150000.00","currency":"IDR"},'
    b'"additionalInfo":{"paymentFlagStatus":"00"}}'
)
DEBIT_BODY = (
    b'{\n  "latestTransactionStatus": "00",\n  "originalReferenceNo": "A1",\n'
    b'  "amount": {"value": "15000.00", "currency": "IDR"}\n}'
)


@dataclass
class Recorder:
    """The merchant's handler: records what it processed; `fail_next` makes it raise."""

    processed: list[Received] = field(default_factory=list)
    calls: int = 0
    fail_next: int = 0

    def handle(self, notification: Received) -> None:
        self.calls += 1
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the order database is down")
        self.processed.append(notification)

    async def ahandle(self, notification: Received) -> None:
        self.handle(notification)


@dataclass
class Deliveries:
    """Builds the requests Midtrans would send."""

    midtrans: KeyPair
    clock: FixedClock

    def snap(
        self, path: str, body: bytes, external_id: str, *, key: KeyPair | None = None
    ) -> dict[str, str]:
        timestamp = format_timestamp(self.clock.now())
        trace = sign_service_asymmetric(
            method="POST",
            path=path,
            body=body,
            timestamp=timestamp,
            private_key=(key or self.midtrans).private_key,
        )
        return {
            "Content-Type": "application/json",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": trace.signature,
            "X-PARTNER-ID": "G123456789",
            "X-EXTERNAL-ID": external_id,
        }

    @staticmethod
    def legacy_core(order_id: str, gross_amount: str, *, server_key: str = SERVER_KEY) -> bytes:
        status_code = "200"
        signed = (order_id + status_code + gross_amount + server_key).encode("utf-8")
        return json.dumps(
            {
                "transaction_status": "settlement",
                "status_code": status_code,
                "order_id": order_id,
                "gross_amount": gross_amount,
                "payment_type": "bank_transfer",
                "signature_key": hashlib.sha512(signed).hexdigest(),
            }
        ).encode("utf-8")

    @staticmethod
    def payout(body: bytes, *, merchant_key: str = IRIS_KEY) -> dict[str, str]:
        digest = hashlib.sha512(body + merchant_key.encode("utf-8")).hexdigest()
        return {"Content-Type": "application/json", "Iris-Signature": digest}


def configure_django() -> None:
    """Configure Django once per process for the tests (settings.configure + setup)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="bisnap-tests-only",
            ALLOWED_HOSTS=["testserver", "127.0.0.1"],
            ROOT_URLCONF="tests.integration.frameworks.django_urls",
            MIDDLEWARE=[
                "django.middleware.common.CommonMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
            ],
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
