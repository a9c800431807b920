"""GoPay account linking helpers: `seamlessData`, `seamlessSign`, and the auth-code redirect.

Linking is: (1) `get_auth_code` (a GET on the app host carrying `seamlessData` and its
signature `seamlessSign`), which answers `302` to GoPay's PIN/OTP page; (2) GoPay sends the
customer back to your `redirectUrl` with `authCode` and `state`; (3) `account_binding` with
that `authCode` returns the customer token.

```python
from bisnap.keys import generate_key_pair
from bisnap.linking import parse_auth_redirect, seamless_data, seamless_sign
data = seamless_data("62822999999")
assert data == "mobileNumber=62822999999&paymentType=gopay"
signature = seamless_sign(generate_key_pair().private_key, data)  # base64, 344 characters
back = parse_auth_redirect("https://shop.example/back?authCode=a1b2&state=csrf-1&success=true",
                           expected_state="csrf-1")
assert back.auth_code == "a1b2"
```
"""

from __future__ import annotations

import base64
import hmac
from urllib.parse import parse_qsl, urlencode, urlsplit

from bisnap.errors import InputError, VerificationError
from bisnap.keys import PrivateKeyInput, load_private_key
from bisnap.models.binding import GetAuthCodeResponse
from bisnap.signing import rsa_sign

__all__ = ["parse_auth_redirect", "seamless_data", "seamless_sign"]

_FAILED_RESULTS = frozenset({"abort", "failure", "failed", "cancel", "canceled", "cancelled"})


def seamless_data(mobile_number: str, payment_type: str = "gopay") -> str:
    """The `seamlessData` of Get Auth Code: `mobileNumber=…&paymentType=…`.

    `mobile_number` is the customer's number in international form without `+`
    (`62822999999`); a leading `+` or `0` is turned into `62`.

    Raises:
        InputError: a number with characters other than digits.
    """
    number = mobile_number.strip().removeprefix("+")
    if number.startswith("0"):
        number = "62" + number[1:]
    if not number.isdigit() or not number.isascii():
        raise InputError(
            "the mobile number must be digits only",
            hint="Pass it as 62822999999 (country code, no spaces or dashes).",
        )
    # SNAP: seamlessData = "mobileNumber=62822999999&paymentType=gopay" (midtrans-core.md §4.5).
    return urlencode({"mobileNumber": number, "paymentType": payment_type})


def seamless_sign(private_key: PrivateKeyInput, seamless_data: str) -> str:
    """`seamlessSign`: Base64(SHA256withRSA(private key, seamlessData as UTF-8)).

    The value is returned un-encoded: the client URL-encodes every query parameter once
    when it builds the Get Auth Code URL (the recipe's outer `URLEncode`). If you build the
    URL yourself, URL-encode it (`urllib.parse.quote(sig, safe="")`).

    Raises:
        KeyFormatError: `private_key` is not an RSA private key.
        InputError: empty `seamless_data`.
    """
    if not seamless_data:
        raise InputError("seamlessData is empty", hint="Build it with seamless_data(number).")
    key = load_private_key(private_key)
    # SNAP: seamlessSign = URLEncode(Base64(SHA256withRSA(privateKey, seamlessData)))
    # (midtrans-core.md §2.1, §4.5).
    return base64.b64encode(rsa_sign(seamless_data.encode("utf-8"), key)).decode("ascii")


def parse_auth_redirect(location: str, *, expected_state: str | None = None) -> GetAuthCodeResponse:
    """Read `authCode`, `state` and `result`/`success` from a redirect URL.

    Use it on the URL GoPay sends the customer back to (your `redirectUrl` with the query),
    or on the `Location` of Get Auth Code's `302`. With `expected_state`, the `state` must
    match it (CSRF check) and a result that says the customer did not finish raises.

    Raises:
        InputError: the redirect says the linking failed or was aborted, or carries a
            `responseCode` error; or has no `authCode` when `expected_state` is given.
        VerificationError: `state` differs from `expected_state`.
    """
    params = dict(parse_qsl(urlsplit(location).query, keep_blank_values=True))
    known = {"authCode", "state", "result", "success"}
    found = GetAuthCodeResponse(
        location=location,
        auth_code=params.get("authCode") or None,
        state=params.get("state"),
        result=params.get("result"),
        success=params.get("success"),
        extra={k: v for k, v in params.items() if k not in known},
    )
    if expected_state is None:
        return found
    # SNAP: the app redirect carries result=success/abort/failure; old Gojek apps send an
    # authCode even on failure, so the result is checked first (midtrans-core.md §4.5).
    result = (found.result or "").lower()
    if result in _FAILED_RESULTS or (found.success or "").lower() == "false":
        raise InputError(
            f"the customer did not finish linking (result {result or 'success=false'})",
            hint="Offer the linking again; do not call account_binding with this redirect.",
        )
    code = params.get("responseCode")
    if code is not None and not code.startswith("2"):
        raise InputError(
            f"the linking redirect carries responseCode {code}",
            hint="Read responseMessage in the redirect and fix the Get Auth Code request.",
        )
    if found.state is None or not hmac.compare_digest(
        found.state.encode("utf-8"), expected_state.encode("utf-8")
    ):
        raise VerificationError(
            "the redirect's state does not match the one sent",
            hint="Start the linking again: a state mismatch can be a forged redirect (CSRF).",
        )
    if found.auth_code is None:
        raise InputError(
            "the redirect carries no authCode",
            hint="Pass the URL GoPay sent the customer back to, with its query string.",
        )
    return found
