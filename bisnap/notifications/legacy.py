"""The legacy (non-SNAP) Midtrans signatures, for merchants running old and new side by side.

```
Core API notification   signature_key  = lowerhex(SHA-512(order_id + status_code
                                                            + gross_amount + server_key))
Pay Account (linking)   signature_key  = lowerhex(SHA-512(account_id + account_status
                                                            + status_code + server_key))
Payouts (Iris)          Iris-Signature = lowerhex(SHA-512(raw body bytes + merchant_key))
```

Fields are taken from the raw JSON text exactly as received (`gross_amount` stays
`"100000.00"`; a bare number keeps its spelling); comparisons are constant time; a mismatch
raises `SignatureMismatchError`, like the SNAP checks. Keys never appear in messages.

```python
body = verify_core_notification(raw_body, server_key=Secret(os.environ["MIDTRANS_SERVER_KEY"]))
body = verify_payout_notification(raw_body, headers=request.headers, merchant_key=iris_key)
```
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any, Final

from bisnap.errors import InputError, SecretFormatError, SignatureMismatchError
from bisnap.headers import get_header
from bisnap.notifications.model import parse_json_object, require_raw_body
from bisnap.secrets import Secret, reveal

__all__ = [
    "IRIS_SIGNATURE",
    "core_signature_key",
    "iris_signature",
    "pay_account_signature_key",
    "verify_core_notification",
    "verify_iris_signature",
    "verify_payout_notification",
]

#: The header Midtrans Payouts (Iris) signs its notifications with.
IRIS_SIGNATURE: Final = "Iris-Signature"


def _key(value: str | Secret, what: str) -> bytes:
    plain = reveal(value)
    if not isinstance(plain, str) or not plain:
        raise SecretFormatError(f"the {what} is empty", hint=f"Pass the {what} from the Dashboard.")
    return plain.encode("utf-8")


def _field(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None:
        raise InputError(
            f"the legacy notification has no {name!r}",
            hint="This is not a legacy Core API notification, or it was altered.",
        )
    raise InputError(
        f"{name!r} in the legacy notification is a {type(value).__name__}, not a string",
        hint="Pass the raw request body bytes exactly as received.",
    )


def _compare(expected: str, presented: object, what: str) -> None:
    if not isinstance(presented, str):
        raise SignatureMismatchError(f"{what} is missing or not a string", stage="signature")
    given = presented.strip().lower().encode("utf-8", "replace")
    if not hmac.compare_digest(expected.encode("ascii"), given):
        raise SignatureMismatchError(f"{what} does not match", stage="signature")


def core_signature_key(
    *, order_id: str, status_code: str, gross_amount: str, server_key: str | Secret
) -> str:
    """Legacy Core API `signature_key`: lowerhex SHA-512 of the four strings, concatenated.

    `gross_amount` exactly as received (`"100000.00"`, never re-formatted).

    Raises:
        SecretFormatError: the server key is empty.
    """
    # SNAP: legacy notification signature SHA512(order_id+status_code+gross_amount+ServerKey),
    # lowercase hex, gross_amount as received (midtrans-core.md §6 "Legacy notification").
    data = (order_id + status_code + gross_amount).encode("utf-8") + _key(server_key, "server key")
    return hashlib.sha512(data).hexdigest()


def pay_account_signature_key(
    *, account_id: str, account_status: str, status_code: str, server_key: str | Secret
) -> str:
    """Legacy Pay Account (GoPay linking) `signature_key`.

    Raises:
        SecretFormatError: the server key is empty.
    """
    # SNAP: Pay Account notification uses account_id + account_status + status_code +
    # server_key (midtrans-core.md §6 "Other legacy facts").
    data = (account_id + account_status + status_code).encode("utf-8")
    return hashlib.sha512(data + _key(server_key, "server key")).hexdigest()


def verify_core_notification(body: bytes, *, server_key: str | Secret) -> dict[str, Any]:
    """Verify a legacy Core API notification's `signature_key`; return the parsed body.

    The body must be the raw bytes received. A Pay Account notification (`account_id`, no
    `order_id`) is checked with its own formula. Numbers with a fraction stay strings.

    Raises:
        SignatureMismatchError: `signature_key` is missing or does not match.
        BodyNotJSONError: the body is not a JSON object.
        InputError: `body` is not bytes, or a signed field is missing.
        SecretFormatError: the server key is empty.
    """
    parsed = parse_json_object(require_raw_body(body))
    if "order_id" not in parsed and "account_id" in parsed:
        expected = pay_account_signature_key(
            account_id=_field(parsed, "account_id"),
            account_status=_field(parsed, "account_status"),
            status_code=_field(parsed, "status_code"),
            server_key=server_key,
        )
    else:
        expected = core_signature_key(
            order_id=_field(parsed, "order_id"),
            status_code=_field(parsed, "status_code"),
            gross_amount=_field(parsed, "gross_amount"),
            server_key=server_key,
        )
    _compare(expected, parsed.get("signature_key"), "signature_key")
    return parsed


def iris_signature(body: bytes, *, merchant_key: str | Secret) -> str:
    """Payouts `Iris-Signature`: lowerhex SHA-512 of the raw body bytes + the merchant key.

    Raises:
        InputError: `body` is not bytes.
        SecretFormatError: the merchant key is empty.
    """
    # SNAP: Iris-Signature = SHA-512(rawBody + merchantKey), lowercase hex, not HMAC
    # (midtrans-reporting-payouts.md §6.2).
    raw = require_raw_body(body)
    return hashlib.sha512(raw + _key(merchant_key, "Iris merchant key")).hexdigest()


def verify_iris_signature(
    body: bytes, *, signature: str | None, merchant_key: str | Secret
) -> None:
    """Check an `Iris-Signature` value against the raw body (constant time).

    Raises:
        SignatureMismatchError: the signature is missing or does not match.
        InputError: `body` is not bytes.
        SecretFormatError: the merchant key is empty.
    """
    _compare(iris_signature(body, merchant_key=merchant_key), signature, IRIS_SIGNATURE)


def verify_payout_notification(
    body: bytes,
    *,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    merchant_key: str | Secret,
) -> dict[str, Any]:
    """Verify a Payouts notification (`Iris-Signature` header, any case); return its body.

    Raises:
        SignatureMismatchError: the header is missing or does not match.
        BodyNotJSONError: the verified body is not a JSON object.
        InputError: `body` is not bytes.
        SecretFormatError: the merchant key is empty.
    """
    mapping = headers if isinstance(headers, Mapping) else dict(headers)
    raw = require_raw_body(body)
    verify_iris_signature(
        raw, signature=get_header(mapping, IRIS_SIGNATURE), merchant_key=merchant_key
    )
    return parse_json_object(raw)
