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
go       json.Marshal of a struct (order kept) or a map (keys sorted), json.MarshalIndent,
         as Go 1.22 and later write them ("go …") and as Go 1.21 and older did ("go<=1.21 …")
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
  below 1e-6); an unpaired surrogate escape decodes to U+FFFD; backspace and form feed are
  `\\b` and `\\f` since Go 1.22 (`\\u0008` and `\\u000c` before: the outputs committed in
  `vectors/encoders.json` were recorded with go1.19 and name those encoders `go<=1.21`);
- Gson keeps number text as written and escapes `<`, `>`, `&`, `=`, `'` (HTML-safe).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._numbers import (
    NotEncodableError,
    go_float_number,
    go_struct_number,
    js_number,
    php_number,
    verbatim,
)

__all__ = [
    "ENCODERS",
    "GO_1_21",
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
# Go escapes `<`, `>`, `&` and U+2028/U+2029 (HTML-safe by default). Since Go 1.22 it writes
# \b and \f as short escapes (golang/go CL 521675, the Go 1.22 release notes); Go 1.21 and
# older wrote \u0008 and \u000c (the committed outputs come from go1.19.8).
_GO_PATTERN = '["\\\\\x00-\x1f<>&\u2028\u2029]'
_go_string_raw = _escaper(_GO_PATTERN, _SHORT_BF, _u_pair)
_go121_string_raw = _escaper(_GO_PATTERN, _SHORT, _u_pair)
_gson_string = _escaper("[\"\\\\\x00-\x1f<>&='\u2028\u2029]", _SHORT_BF, _u_pair)


def _go_string(text: str) -> str:
    """Go 1.22 and later: an unpaired surrogate becomes U+FFFD; backspace and form feed are
    written `\\b` and `\\f`."""
    return _go_string_raw(_SURROGATE.sub("\ufffd", text))


def _go121_string(text: str) -> str:
    """Go 1.21 and older: as `_go_string`, but backspace and form feed as `\\u0008` and
    `\\u000c`."""
    return _go121_string_raw(_SURROGATE.sub("\ufffd", text))


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
        except (NotEncodableError, RecursionError):
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


#: The name prefix of the Go encoders as Go 1.21 and older wrote them (\\u0008, \\u000c).
GO_1_21 = "go<=1.21"


def _table() -> tuple[Encoder, ...]:
    js, php = _Style(_js_string, js_number, js_key_order=True), _Style(_php_string, php_number)
    php_name = "php json_encode(json_decode(body)"
    rows: list[tuple[str, str, str, _Style, str, bool]] = [
        # name, the flag it usually earns, hint, style, family, lone surrogates encodable
        (f"{php_name}) with default flags", "SlashEscaped", _HINT_SLASH, php, "php", False),
        (
            f"{php_name}, JSON_UNESCAPED_SLASHES)",
            "UnicodeEscaped",
            _HINT_UNICODE,
            _Style(_php_slashes_string, php_number),
            "php",
            False,
        ),
        (
            f"{php_name}, JSON_UNESCAPED_UNICODE)",
            "SlashEscaped",
            _HINT_SLASH,
            _Style(_php_unicode_string, php_number),
            "php",
            False,
        ),
        (
            f"{php_name}, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)",
            "BodyReserialised",
            _HINT_REENCODED,
            _Style(_php_both_string, php_number),
            "php",
            False,
        ),
        (
            f"{php_name}, JSON_PRETTY_PRINT)",
            "PrettyBodyHashed",
            _HINT_PRETTY,
            _Style(_php_string, php_number, indent="    ", key_sep=": "),
            "php",
            False,
        ),
        (
            "js JSON.stringify(JSON.parse(body))",
            "BodyReserialised",
            _HINT_REENCODED,
            js,
            "js",
            True,
        ),
        (
            "js JSON.stringify(JSON.parse(body), null, 2)",
            "PrettyBodyHashed",
            _HINT_PRETTY,
            dataclasses.replace(js, indent="  ", key_sep=": "),
            "js",
            True,
        ),
    ]
    # current Go first: where both write the same bytes, the encoder reported is today's
    for go, string in (("go", _go_string), (GO_1_21, _go121_string)):
        struct = _Style(string, go_struct_number)
        mapped = _Style(string, go_float_number, sort_keys=True)
        for marshal, indent in (("Marshal", None), ("MarshalIndent", "  ")):
            pretty = indent is not None
            flag, hint = (
                ("PrettyBodyHashed", _HINT_PRETTY)
                if pretty
                else ("BodyReserialised", _HINT_REENCODED)
            )
            args = ', "", "  ")' if pretty else ")"
            for what, style in (("struct", struct), ("map[string]interface{}", mapped)):
                styled = dataclasses.replace(style, indent=indent, key_sep=": " if pretty else ":")
                rows.append((f"{go} json.{marshal}({what}{args}", flag, hint, styled, "go", True))
    gson = _Style(_gson_string, verbatim)
    rows.append(
        (
            "java new Gson().toJson(JsonParser.parseString(body))",
            "BodyReserialised",
            _HINT_REENCODED,
            gson,
            "gson",
            False,
        )
    )
    table = [
        Encoder(
            name,
            flag,
            hint.format(name=name),
            _writer(style, surrogates_ok=surr),
            family,
            style.indent is not None,
        )
        for name, flag, hint, style, family, surr in rows
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
