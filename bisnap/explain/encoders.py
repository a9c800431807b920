"""The JSON encoders integrators hash by mistake, each as a function of the body as sent.

A sender who re-encodes its body before hashing (or hashes a different encoding than the
one it sends) hashes `encode(parse(body))` where `parse` and `encode` are some language's
JSON library. Each `Encoder` here reproduces one such library byte for byte, from the
body as it went on the wire:

```
python   json.dumps(json.loads(body), ensure_ascii=…, sort_keys=…, separators=…, indent=…)
js       JSON.stringify(JSON.parse(body)) and JSON.stringify(…, null, 2)
php      json_encode(json_decode(body)) with default flags, JSON_UNESCAPED_SLASHES,
         JSON_UNESCAPED_UNICODE, both, and JSON_PRETTY_PRINT
go       json.Marshal of a struct (order kept) or a map (keys sorted), json.MarshalIndent
gson     new Gson().toJson(JsonParser.parseString(body))
naive    re.sub(r"\\s+", "", body), '/' as '\\/' alone, non-ASCII as '\\uXXXX' alone
```

What each language does to numbers, escapes and key order is modelled, checked against
the real encoders' output committed in `vectors/encoders.json`:

- JavaScript parses numbers as doubles and prints them with ECMAScript's Number::toString
  (`1.50` → `1.5`, `1E+10` → `10000000000`, big integers lose precision), puts
  integer-like keys first in ascending order, escapes only `"`, `\\`, controls and lone
  surrogates (U+2028/U+2029 stay raw);
- PHP decodes integers to int64 (larger ones to double) and floats to double printed with
  `serialize_precision=-1` (`1.0e+25`, `1.0e-5`, `10.0` → `10`); non-ASCII as lowercase
  `\\uXXXX` with surrogate pairs; U+2028/U+2029 escaped even with JSON_UNESCAPED_UNICODE;
  an unpaired surrogate makes `json_decode` fail (no such encoder then);
- Go escapes `<`, `>`, `&` as `\\u003c`, `\\u003e`, `\\u0026` and U+2028/U+2029; a map of
  `interface{}` holds float64 printed with encoding/json's rules (exponent from 1e21 and
  below 1e-6); an unpaired surrogate escape decodes to U+FFFD;
- Gson keeps number text as written and escapes `<`, `>`, `&`, `=`, `'` (HTML-safe).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "ENCODERS",
    "Encoder",
    "ParsedBody",
    "encoder_names",
    "parse_body",
    "slash_escaped",
    "unicode_escaped",
]


class _Num(str):
    """A JSON number kept as its text."""

    __slots__ = ()


class _Obj(list[tuple[str, Any]]):
    """A JSON object as (key, value) pairs: duplicates resolved as every parser here does
    (the last value wins, at the position of the first)."""

    __slots__ = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Obj:
    merged: dict[str, Any] = {}
    for key, value in pairs:
        merged[key] = value
    return _Obj(merged.items())


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class ParsedBody:
    """A body parsed once for every encoder: `tree` keeps number text, order and
    duplicates resolved; `python` is what Python's `json.loads` returns (None if it fails)."""

    tree: Any
    python: Any
    python_ok: bool
    has_lone_surrogate: bool


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_body(minified: bytes) -> ParsedBody | None:
    """Parse a (valid, minified) JSON body for the encoders; None when it cannot be."""
    try:
        text = minified.decode("utf-8")
        tree = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_int=_Num,
            parse_float=_Num,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):
        return None
    try:
        python = json.loads(text, parse_constant=_reject_constant)
        python_ok = True
    except (ValueError, RecursionError):
        python, python_ok = None, False
    try:
        lone = "\\u" in text and _has_surrogate(tree)
    except RecursionError:
        return None
    return ParsedBody(tree, python, python_ok, lone)


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, _Num):
        return False
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, _Obj):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value)
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


# --- numbers ------------------------------------------------------------------------------


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
        raise _NotEncodableError  # json_encode fails on INF
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
        raise _NotEncodableError  # json.Unmarshal refuses a number out of float64's range
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


class _NotEncodableError(Exception):
    """The real encoder fails on this value (PHP and INF)."""


def _verbatim(text: str) -> str:
    return text


def _go_struct_number(text: str) -> str:
    """A struct field prints the number as written; one out of float64's range fails."""
    if math.isinf(_to_double(text)):
        raise _NotEncodableError
    return text


# --- strings ------------------------------------------------------------------------------

_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_SHORT_BF = {**_SHORT, "\b": "\\b", "\f": "\\f"}


def _u(code: int) -> str:
    return f"\\u{code:04x}"


def _u_pair(char: str) -> str:
    code = ord(char)
    if code < 0x10000:
        return _u(code)
    code -= 0x10000
    return _u(0xD800 | (code >> 10)) + _u(0xDC00 | (code & 0x3FF))


def _escaper(
    pattern: str, table: dict[str, str], other: Callable[[str], str]
) -> Callable[[str], str]:
    regex = re.compile(pattern)

    def replace(match: re.Match[str]) -> str:
        char = match.group()
        return table.get(char) or other(char)

    def escape(text: str) -> str:
        return '"' + regex.sub(replace, text) + '"'

    return escape


_js_string = _escaper('["\\\\\x00-\x1f\ud800-\udfff]', _SHORT_BF, _u_pair)
_php_string = _escaper('["\\\\/]|[^\x20-\x7f]', {**_SHORT_BF, "/": "\\/"}, _u_pair)
_php_slashes_string = _escaper('["\\\\]|[^\x20-\x7f]', _SHORT_BF, _u_pair)
_php_unicode_string = _escaper('["\\\\/\x00-\x1f\u2028\u2029]', {**_SHORT_BF, "/": "\\/"}, _u_pair)
_php_both_string = _escaper('["\\\\\x00-\x1f\u2028\u2029]', _SHORT_BF, _u_pair)
# Go 1.19 (the toolchain the committed outputs come from) writes \b and \f as \u0008/\u000c.
_go_string_raw = _escaper('["\\\\\x00-\x1f<>&\u2028\u2029]', _SHORT, _u_pair)
_gson_string = _escaper("[\"\\\\\x00-\x1f<>&='\u2028\u2029]", _SHORT_BF, _u_pair)


def _go_string(text: str) -> str:
    return _go_string_raw(_SURROGATE.sub("\ufffd", text))


# --- the generic writer -----------------------------------------------------------------


@dataclass(frozen=True)
class _Style:
    string: Callable[[str], str]
    number: Callable[[str], str]
    sort_keys: bool = False
    js_key_order: bool = False
    indent: str | None = None
    item_sep: str = ","
    key_sep: str = ":"


def _is_array_index(key: str) -> bool:
    return (
        key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and (int(key) < 2**32 - 1)
    )


def _ordered(obj: _Obj, style: _Style) -> list[tuple[str, Any]]:
    if style.sort_keys:
        return sorted(obj, key=lambda kv: kv[0].encode("utf-8", "surrogatepass"))
    if style.js_key_order:
        index = sorted((kv for kv in obj if _is_array_index(kv[0])), key=lambda kv: int(kv[0]))
        return index + [kv for kv in obj if not _is_array_index(kv[0])]
    return list(obj)


def _write(value: Any, style: _Style, out: list[str], depth: int) -> None:
    if isinstance(value, _Num):
        out.append(style.number(value))
    elif isinstance(value, str):
        out.append(style.string(value))
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    elif isinstance(value, _Obj):
        items = _ordered(value, style)
        if not items:
            out.append("{}")
            return
        out.append("{")
        for i, (key, item) in enumerate(items):
            if i:
                out.append(style.item_sep)
            _newline(style, out, depth + 1)
            out.append(style.string(key))
            out.append(style.key_sep)
            _write(item, style, out, depth + 1)
        _newline(style, out, depth)
        out.append("}")
    else:
        if not value:
            out.append("[]")
            return
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(style.item_sep)
            _newline(style, out, depth + 1)
            _write(item, style, out, depth + 1)
        _newline(style, out, depth)
        out.append("]")


def _newline(style: _Style, out: list[str], depth: int) -> None:
    if style.indent is not None:
        out.append("\n" + style.indent * depth)


def _writer(style: _Style, *, surrogates_ok: bool) -> Callable[[ParsedBody], bytes | None]:
    def encode(parsed: ParsedBody) -> bytes | None:
        if parsed.has_lone_surrogate and not surrogates_ok:
            return None
        out: list[str] = []
        try:
            _write(parsed.tree, style, out, 0)
        except (_NotEncodableError, RecursionError):
            return None
        return "".join(out).encode("utf-8")

    return encode


def _python(
    *, ensure_ascii: bool, sort_keys: bool, compact: bool, indent: int | None
) -> Callable[[ParsedBody], bytes | None]:
    separators = (",", ":") if compact else None

    def encode(parsed: ParsedBody) -> bytes | None:
        if not parsed.python_ok:
            return None
        try:
            text = json.dumps(
                parsed.python,
                ensure_ascii=ensure_ascii,
                sort_keys=sort_keys,
                separators=separators,
                indent=indent,
            )
            return text.encode("utf-8")
        except (ValueError, TypeError, RecursionError, UnicodeEncodeError):
            return None

    return encode


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoder:
    """One encoder a sender may have hashed with: `name` as shown to the user, the flag it
    usually earns and its `hint` (the search derives the flags from the bytes themselves:
    PHP's defaults on a body without '/' are only `UnicodeEscaped`), and `encode(parsed)` →
    the bytes hashed (None: the real encoder fails on this body)."""

    name: str
    flag: str
    hint: str
    encode: Callable[[ParsedBody], bytes | None]
    family: str
    pretty: bool = False


_HINT_REENCODED = (
    "you hashed a re-encoding of the parsed JSON ({name}) instead of the bytes you sent; "
    "serialise once and hash exactly the bytes that go on the wire"
)
_HINT_PRETTY = (
    "you hashed a pretty-printed encoding ({name}); the provider hashes the minified body "
    "(whitespace outside strings removed): hash minify(body) or send what you hash"
)
_HINT_SLASH = (
    "you hashed the body with '/' escaped as '\\/' ({name}) but sent a raw '/'; hash the "
    "bytes you send (PHP: JSON_UNESCAPED_SLASHES)"
)
_HINT_UNICODE = (
    "you hashed the body with non-ASCII characters escaped as \\uXXXX ({name}) but sent raw "
    "UTF-8; hash the bytes you send (ensure_ascii=False / JSON_UNESCAPED_UNICODE)"
)


def _python_table() -> list[Encoder]:
    table: list[Encoder] = []
    for indent in (None, 2, 4):
        for ensure_ascii in (True, False):
            for sort_keys in (False, True):
                for compact in (False, True):
                    seps = "compact" if compact else "default"
                    name = (
                        f"python json.dumps(ensure_ascii={ensure_ascii}, sort_keys={sort_keys}, "
                        f"separators={seps}"
                        + ("" if indent is None else f", indent={indent}")
                        + ")"
                    )
                    if indent is not None:
                        flag, hint = "PrettyBodyHashed", _HINT_PRETTY
                    elif ensure_ascii and not sort_keys and compact:
                        flag, hint = "UnicodeEscaped", _HINT_UNICODE
                    else:
                        flag, hint = "BodyReserialised", _HINT_REENCODED
                    encode = _python(
                        ensure_ascii=ensure_ascii,
                        sort_keys=sort_keys,
                        compact=compact,
                        indent=indent,
                    )
                    table.append(
                        Encoder(
                            name, flag, hint.format(name=name), encode, "python", indent is not None
                        )
                    )
    return table


def _table() -> tuple[Encoder, ...]:
    js = _Style(_js_string, js_number, js_key_order=True)
    js_pretty = _Style(_js_string, js_number, js_key_order=True, indent="  ", key_sep=": ")
    php = _Style(_php_string, php_number)
    php_pretty = _Style(_php_string, php_number, indent="    ", key_sep=": ")
    go_struct = _Style(_go_string, _go_struct_number)
    go_map = _Style(_go_string, go_float_number, sort_keys=True)
    go_struct_indent = _Style(_go_string, _go_struct_number, indent="  ", key_sep=": ")
    go_map_indent = _Style(_go_string, go_float_number, sort_keys=True, indent="  ", key_sep=": ")
    gson = _Style(_gson_string, _verbatim)

    def entry(
        name: str, flag: str, hint: str, style: _Style, family: str, *, surr: bool
    ) -> Encoder:
        return Encoder(
            name,
            flag,
            hint.format(name=name),
            _writer(style, surrogates_ok=surr),
            family,
            style.indent is not None,
        )

    php_name = "php json_encode(json_decode(body)"
    table = [
        entry(
            "php json_encode(json_decode(body)) with default flags",
            "SlashEscaped",
            _HINT_SLASH,
            php,
            "php",
            surr=False,
        ),
        entry(
            f"{php_name}, JSON_UNESCAPED_SLASHES)",
            "UnicodeEscaped",
            _HINT_UNICODE,
            _Style(_php_slashes_string, php_number),
            "php",
            surr=False,
        ),
        entry(
            f"{php_name}, JSON_UNESCAPED_UNICODE)",
            "SlashEscaped",
            _HINT_SLASH,
            _Style(_php_unicode_string, php_number),
            "php",
            surr=False,
        ),
        entry(
            f"{php_name}, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)",
            "BodyReserialised",
            _HINT_REENCODED,
            _Style(_php_both_string, php_number),
            "php",
            surr=False,
        ),
        entry(
            f"{php_name}, JSON_PRETTY_PRINT)",
            "PrettyBodyHashed",
            _HINT_PRETTY,
            php_pretty,
            "php",
            surr=False,
        ),
        entry(
            "js JSON.stringify(JSON.parse(body))",
            "BodyReserialised",
            _HINT_REENCODED,
            js,
            "js",
            surr=True,
        ),
        entry(
            "js JSON.stringify(JSON.parse(body), null, 2)",
            "PrettyBodyHashed",
            _HINT_PRETTY,
            js_pretty,
            "js",
            surr=True,
        ),
        entry(
            "go json.Marshal(struct)",
            "BodyReserialised",
            _HINT_REENCODED,
            go_struct,
            "go",
            surr=True,
        ),
        entry(
            "go json.Marshal(map[string]interface{})",
            "BodyReserialised",
            _HINT_REENCODED,
            go_map,
            "go",
            surr=True,
        ),
        entry(
            'go json.MarshalIndent(struct, "", "  ")',
            "PrettyBodyHashed",
            _HINT_PRETTY,
            go_struct_indent,
            "go",
            surr=True,
        ),
        entry(
            'go json.MarshalIndent(map[string]interface{}, "", "  ")',
            "PrettyBodyHashed",
            _HINT_PRETTY,
            go_map_indent,
            "go",
            surr=True,
        ),
        entry(
            "java new Gson().toJson(JsonParser.parseString(body))",
            "BodyReserialised",
            _HINT_REENCODED,
            gson,
            "gson",
            surr=False,
        ),
    ]
    return tuple(_python_table() + table)


#: Every modelled encoder, in the order they are tried (most common first within a flag).
ENCODERS: tuple[Encoder, ...] = _table()


def encoder_names() -> list[str]:
    """The names of every modelled encoder."""
    return [e.name for e in ENCODERS]


def slash_escaped(minified: bytes) -> bytes:
    """`minified` with every unescaped `/` written as `\\/` (PHP `json_encode` default).

    `/` only occurs inside strings in JSON text; an existing `\\/` is kept as it is.
    """
    return re.sub(rb"\\.|/", lambda m: m.group() if len(m.group()) == 2 else b"\\/", minified)


def unicode_escaped(minified: bytes) -> bytes:
    """`minified` with every non-ASCII character as `\\uXXXX` (lowercase hex; astral as a
    surrogate pair), the way Python's `ensure_ascii=True` writes it.

    Raises:
        UnicodeDecodeError: `minified` is not UTF-8 (minify has refused such a body).
    """
    return re.sub("[^\x00-\x7f]", lambda m: _u_pair(m.group()), minified.decode("utf-8")).encode(
        "ascii"
    )
