"""How each language prints a JSON number after parsing it: the number rules of the encoders.

JavaScript and Go's `map[string]interface{}` hold a double; PHP an int64 when the text is
an integer that fits, else a double; a Go struct field and Gson keep the text. Each
function takes the number as written and returns the text the encoder writes, or raises
`NotEncodableError` when the real encoder fails on it.
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = [
    "NotEncodableError",
    "go_float_number",
    "go_struct_number",
    "js_number",
    "php_number",
    "verbatim",
]


def _is_integer_text(text: str) -> bool:
    return not any(c in text for c in ".eE")


def _digits(x: float) -> tuple[str, int]:
    """Shortest round-trip digits of a finite, non-zero |x| and n with x = 0.d… × 10^n."""
    _, digits, exponent = Decimal(repr(abs(x))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    n = len(digits) + int(exponent)
    # strip leading zeros ("0.001" is digits 1 with exponent -3)
    stripped = text.lstrip("0")
    n -= len(text) - len(stripped)
    return stripped, n


def _to_double(text: str) -> float:
    return float(text)


def js_number(text: str) -> str:
    """ECMAScript Number::toString of the double JSON.parse makes of `text`."""
    x = _to_double(text)
    if math.isinf(x):
        return "null"
    if x == 0:
        return "0"
    s, n = _digits(x)
    k = len(s)
    sign = "-" if x < 0 else ""
    if k <= n <= 21:
        return sign + s + "0" * (n - k)
    if 0 < n <= 21:
        return sign + s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + s
    e = n - 1
    mantissa = s if k == 1 else s[0] + "." + s[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


_INT64 = (-(2**63), 2**63 - 1)


def php_number(text: str) -> str:
    """json_encode(json_decode(text)) for a number (serialize_precision = -1)."""
    if _is_integer_text(text):
        value = int(text)
        if _INT64[0] <= value <= _INT64[1]:
            return str(value)
    x = _to_double(text)
    if math.isinf(x):
        raise NotEncodableError  # json_encode fails on INF
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    s, n = _digits(x)
    sign = "-" if x < 0 else ""
    if n < -3 or n > 17:
        e = n - 1
        mantissa = s[0] + "." + (s[1:] or "0")
        return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    if n <= 0:
        return sign + "0." + "0" * (-n) + s
    if len(s) <= n:
        return sign + s + "0" * (n - len(s))
    return sign + s[:n] + "." + s[n:]


def go_float_number(text: str) -> str:
    """encoding/json's output for the float64 a map[string]interface{} holds."""
    x = _to_double(text)
    if math.isinf(x):
        raise NotEncodableError  # json.Unmarshal refuses a number out of float64's range
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    s, n = _digits(x)
    sign = "-" if x < 0 else ""
    if abs(x) < 1e-6 or abs(x) >= 1e21:
        e = n - 1
        mantissa = s if len(s) == 1 else s[0] + "." + s[1:]
        return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e):02d}".replace("e-0", "e-")
    if n <= 0:
        return sign + "0." + "0" * (-n) + s
    if len(s) <= n:
        return sign + s + "0" * (n - len(s))
    return sign + s[:n] + "." + s[n:]


class NotEncodableError(Exception):
    """The real encoder fails on this value (PHP and Go on a number out of double range)."""


def verbatim(text: str) -> str:
    """The number as written (Gson keeps the text of a JsonPrimitive number)."""
    return text


def go_struct_number(text: str) -> str:
    """A struct field prints the number as written; one out of float64's range fails."""
    if math.isinf(_to_double(text)):
        raise NotEncodableError
    return text
