"""SNAP `responseCode`: HTTP status (3) + service code (2) + case code (2), parsed and built.

The one home for response codes: `parse_response_code` reads what a provider sent,
`build_response_code` / `response_message` / `response_status` write what an answer says
(the emulator's answers and the merchant's replies), from the one message table.

`parse_response_code("4017300")` gives `ResponseCode(http_status=401, service="73",
case="00")`. Parsing is defensive: bare JSON numbers (`2003000`) and the 8-digit typos
providers publish (`"20054000"`) are accepted, with `.raw` keeping what was received.

```python
from bisnap.responses import build_response_code, response_message, response_status

build_response_code(401, "73", "00").code          # "4017300"
response_message(400, "02", "X-TIMESTAMP")         # "Invalid Mandatory Field X-TIMESTAMP"
response_status(401, "24", "00", "Signature")
# {"responseCode": "4012400", "responseMessage": "Unauthorized. Signature"}
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from types import MappingProxyType

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

__all__ = [
    "CASE_MESSAGES",
    "TRANSACTION_STATUSES",
    "ResponseCode",
    "build_response_code",
    "error_class",
    "parse_response_code",
    "response_message",
    "response_status",
    "status_error_class",
]

# SNAP: the response-code table (snap-standard.md §2.1), keyed by HTTP status + case code.
CASE_MESSAGES: dict[tuple[int, str], str] = {
    (200, "00"): "Successful",
    (202, "00"): "Request In Progress",
    (400, "00"): "Bad Request",
    (400, "01"): "Invalid Field Format",
    (400, "02"): "Invalid Mandatory Field",
    (401, "00"): "Unauthorized",
    (401, "01"): "Invalid Token (B2B)",
    (401, "02"): "Invalid Customer Token",
    (401, "03"): "Token Not Found (B2B)",
    (401, "04"): "Customer Token Not Found",
    (403, "00"): "Transaction Expired",
    (403, "01"): "Feature Not Allowed",
    (403, "02"): "Exceeds Transaction Amount Limit",
    (403, "03"): "Suspected Fraud",
    (403, "04"): "Activity Count Limit Exceeded",
    (403, "05"): "Do Not Honor",
    (403, "06"): "Feature Not Allowed At This Time",
    (403, "07"): "Card Blocked",
    (403, "08"): "Card Expired",
    (403, "09"): "Dormant Account",
    (403, "10"): "Need To Set Token Limit",
    (403, "11"): "OTP Blocked",
    (403, "12"): "OTP Lifetime Expired",
    (403, "13"): "OTP Sent To Cardholder",
    (403, "14"): "Insufficient Funds",
    (403, "15"): "Transaction Not Permitted",
    (403, "16"): "Suspend Transaction",
    (403, "17"): "Token Limit Exceeded",
    (403, "18"): "Inactive Card/Account/Customer",
    (403, "19"): "Merchant Blacklisted",
    (403, "20"): "Merchant Limit Exceed",
    (403, "21"): "Set Limit Not Allowed",
    (403, "22"): "Token Limit Invalid",
    (403, "23"): "Account Limit Exceed",
    (404, "00"): "Invalid Transaction Status",
    (404, "01"): "Transaction Not Found",
    (404, "02"): "Invalid Routing",
    (404, "03"): "Bank Not Supported By Switch",
    (404, "04"): "Transaction Cancelled",
    (404, "05"): "Merchant Is Not Registered For Card Registration Services",
    (404, "06"): "Need To Request OTP",
    (404, "07"): "Journey Not Found",
    (404, "08"): "Invalid Merchant",
    (404, "09"): "No Issuer",
    (404, "10"): "Invalid API Transition",
    (404, "11"): "Invalid Card/Account/Customer/Virtual Account",
    (404, "12"): "Invalid Bill/Virtual Account",
    (404, "13"): "Invalid Amount",
    (404, "14"): "Paid Bill",
    (404, "15"): "Invalid OTP",
    (404, "16"): "Partner Not Found",
    (404, "17"): "Invalid Terminal",
    (404, "18"): "Inconsistent Request",
    (404, "19"): "Invalid Bill/Virtual Account",
    (405, "00"): "Requested Function Is Not Supported",
    (405, "01"): "Requested Operation Is Not Allowed",
    (409, "00"): "Conflict",
    (409, "01"): "Duplicate partnerReferenceNo",
    (429, "00"): "Too Many Requests",
    (500, "00"): "General Error",
    (500, "01"): "Internal Server Error",
    (500, "02"): "External Server Error",
    (504, "00"): "Timeout",
}

# SNAP: latestTransactionStatus enum (snap-standard.md §3 "Status enum"); 08 Expired and
# 09 Denied are Midtrans's (midtrans-core.md §6 "Status values").
TRANSACTION_STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "00": "Success",
        "01": "Initiated",
        "02": "Paying",
        "03": "Pending",
        "04": "Refunded",
        "05": "Canceled",
        "06": "Failed",
        "07": "Not found",
        "08": "Expired",
        "09": "Denied",
    }
)

_SEVEN = re.compile(r"[0-9]{7}")
_TWO = re.compile(r"[0-9]{2}")


@dataclass(frozen=True)
class ResponseCode:
    """A parsed `responseCode`."""

    http_status: int
    service: str
    case: str
    raw: str

    @property
    def code(self) -> str:
        """The canonical 7-digit form."""
        return f"{self.http_status}{self.service}{self.case}"

    @property
    def is_success(self) -> bool:
        """2xx: `200xx00` Successful or `202xx00` In Progress."""
        return 200 <= self.http_status < 300

    @property
    def standard_message(self) -> str | None:
        """The standard's message for this HTTP status + case code, if it defines one."""
        return CASE_MESSAGES.get((self.http_status, self.case))

    @property
    def pattern(self) -> str:
        """The table form with the service code as `xx`, e.g. `401xx00`."""
        return f"{self.http_status}xx{self.case}"

    def message(self, detail: str | None = None) -> str:
        """The answer's `responseMessage` for this code (see `response_message`)."""
        return response_message(self.http_status, self.case, detail)

    def error_class(self) -> type[ApiError]:
        """The `ApiError` subclass a client raises for this code (see `error_class`)."""
        return error_class(self)

    def __str__(self) -> str:
        return self.code


def parse_response_code(value: object) -> ResponseCode:
    """Parse a `responseCode` (str or int), tolerating 8-digit typos.

    An 8-digit value (`"20054000"`) is read as the 7-digit code with one extra digit in the
    case code dropped when that gives a code in the table (`2005400`).

    Raises:
        InputError: not a 7- or 8-digit code.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"responseCode {value!r} is not a string or number")
    text = str(value).strip()
    if _SEVEN.fullmatch(text):
        return ResponseCode(int(text[:3]), text[3:5], text[5:7], text)
    if len(text) == 8 and text.isascii() and text.isdigit():
        # SNAP: providers publish 8-digit codes like "20054000" (snap-standard.md §2.1
        # note 3, midtrans-core.md §4.1); drop the extra digit of the case code.
        for cand in (text[:5] + text[5:7], text[:5] + text[6:8]):
            code = ResponseCode(int(cand[:3]), cand[3:5], cand[5:7], text)
            if code.standard_message is not None:
                return code
        return ResponseCode(int(text[:3]), text[3:5], text[5:7], text)
    shown = text if len(text) <= 20 else text[:20] + "…"
    raise InputError(
        f"responseCode {shown!r} is not HTTP status + service code + case code",
        hint="SNAP response codes have 7 digits, e.g. 2002700 or 4017300.",
    )


def build_response_code(http_status: int, service_code: str, case: str) -> ResponseCode:
    """The `ResponseCode` for an answer: HTTP status + service code + case code.

    `build_response_code(404, "27", "01").code` is `"4042701"`.

    Raises:
        InputError: `http_status` is not an HTTP status (100-599), or `service_code` / `case`
            is not two digits.
    """
    # SNAP: responseCode = HTTP status (3) + service code (2) + case code (2)
    # (snap-standard.md §2.1).
    if isinstance(http_status, bool) or not isinstance(http_status, int):
        raise InputError(
            f"HTTP status {http_status!r} is not an integer", hint="E.g. 200, 400, 401."
        )
    if not 100 <= http_status <= 599:
        raise InputError(
            f"HTTP status {http_status} is not between 100 and 599", hint="E.g. 200, 400, 401."
        )
    for what, value, example in (("service code", service_code, "'73'"), ("case", case, "'00'")):
        if not (isinstance(value, str) and _TWO.fullmatch(value)):
            shown = value if not isinstance(value, str) or len(value) <= 20 else value[:20] + "…"
            raise InputError(f"{what} {shown!r} is not two digits", hint=f"E.g. {example}.")
    code = f"{http_status}{service_code}{case}"
    return ResponseCode(http_status, service_code, case, code)


def response_message(http_status: int, case: str, detail: str | None = None) -> str:
    """The `responseMessage` for HTTP status + case code, with an optional detail.

    The standard message from `CASE_MESSAGES` (the HTTP reason phrase for a pair it does
    not define, e.g. `"Request Entity Too Large"` for 413),
    followed by the detail the way Midtrans writes it: `"Unauthorized. Signature"` for
    `401xx00`, `"Invalid Mandatory Field X-TIMESTAMP"` otherwise. Every 2xx answer is
    `"Successful"` (202: `"Request In Progress"`); a `409xx00` Conflict keeps its bare
    message (the detail would repeat it).
    """
    base = CASE_MESSAGES.get((http_status, case)) or _http_phrase(http_status)
    if 200 <= http_status < 300:
        return base if (http_status, case) in CASE_MESSAGES else "Successful"
    if not detail:
        return base
    if http_status == 401 and case == "00":
        # SNAP: Midtrans answers "Unauthorized. Signature" (midtrans-core.md §3.1, §4.2).
        return f"{base}. {detail}"
    if http_status == 409:
        return base
    return f"{base} {detail}"


def _http_phrase(http_status: int) -> str:
    # Statuses the SNAP table has no row for (413 from a size limit): the HTTP phrase.
    if http_status == 413:
        return "Request Entity Too Large"
    try:
        return HTTPStatus(http_status).phrase
    except ValueError:
        return "Error"


def response_status(
    http_status: int, service_code: str, case: str, detail: str | None = None
) -> dict[str, str]:
    """`{"responseCode", "responseMessage"}`: the first two fields of every SNAP answer.

    Raises:
        InputError: see `build_response_code`.
    """
    code = build_response_code(http_status, service_code, case)
    return {
        "responseCode": code.code,
        "responseMessage": response_message(http_status, case, detail),
    }


#: The error class per HTTP status of a failed responseCode (401 and 5xx are decided apart).
_STATUS_ERRORS: Mapping[int, type[ApiError]] = MappingProxyType(
    {
        400: BadRequestError,
        403: ForbiddenError,
        404: NotFoundError,
        409: ConflictError,
        429: RateLimitError,
    }
)


def error_class(code: ResponseCode) -> type[ApiError]:
    """The `ApiError` subclass for a failed `code`: `TokenRejectedError` for 401xx01..04,
    `UnauthorizedError` for other 401s, `ServerError` for 5xx, one class per 400/403/404/409/429,
    and `ApiError` for the rest."""
    status = code.http_status
    if status == 401:
        # SNAP: 401xx00 Unauthorized (signature, credentials); 401xx01..04 token errors
        # (snap-standard.md §2.1).
        return TokenRejectedError if code.case in ("01", "02", "03", "04") else UnauthorizedError
    if status >= 500:
        return ServerError
    return _STATUS_ERRORS.get(status, ApiError)


def status_error_class(status_code: int) -> type[ApiError]:
    """The `ApiError` subclass for an answer without a usable responseCode, by HTTP status:
    `ServerError` for 5xx, `RateLimitError` for 429, else `ApiError`."""
    if status_code >= 500:
        return ServerError
    if status_code == 429:
        return RateLimitError
    return ApiError
