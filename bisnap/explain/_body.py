"""The bodies a sender hashes by mistake: encoders, naive edits, capture artefacts, empty bodies.

Each `BodyHypothesis` is one thing the sender may have hashed instead of `minify(body)`:
the flags it earns, the bytes hashed (with their SHA-256), the encoder that made them, and
the capture artefacts (a final newline, CRLF line ends, a BOM) that had to be undone in
the captured body for it to fit.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from bisnap.errors import BodyNotJSONError
from bisnap.minify import minify

from .encoders import ENCODERS, ParsedBody, parse_body, slash_escaped, unicode_escaped

__all__ = ["CAPTURE_NOTES", "BodyHypothesis", "body_hypotheses", "body_shapes", "strip_bom"]

_BOM = b"\xef\xbb\xbf"

#: What each capture artefact means, in the user's words.
CAPTURE_NOTES = {
    "ByteOrderMark": (
        "your capture starts with a byte-order mark (EF BB BF) the sender did not send"
    ),
    "TrailingNewline": "your capture ends with a newline the sender did not send",
    "CRLF": (
        "your capture has CRLF line ends where the sender's body had LF (the file was saved "
        "with Windows line ends)"
    ),
}


@dataclass(frozen=True)
class BodyHypothesis:
    """One body the sender may have hashed. `digest` is the hash segment signed: hex, ""
    for an empty segment (`::`), None when the segment is left out."""

    flags: tuple[str, ...]
    hashed: bytes
    digest: str | None
    encoder: str
    hint: str
    capture: tuple[str, ...] = ()
    also: tuple[str, ...] = field(default=(), compare=False)


def strip_bom(body: bytes | str | None) -> tuple[bytes | str | None, bool]:
    """`body` without a leading UTF-8 byte-order mark, and whether it had one."""
    if isinstance(body, str) and body.startswith("\ufeff"):
        return body[1:], True
    if isinstance(body, bytes | bytearray | memoryview):
        data = bytes(body)
        if data.startswith(_BOM):
            return data[3:], True
    return body, False


def _raw(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _capture_forms(raw: bytes) -> list[tuple[bytes, tuple[str, ...]]]:
    """The captured body and what it was before each capture artefact was added."""
    forms: list[tuple[bytes, tuple[str, ...]]] = [(raw, ())]
    lf = raw.replace(b"\r\n", b"\n") if b"\r\n" in raw else None
    if lf is not None:
        forms.append((lf, ("CRLF",)))
    for form, artefacts in list(forms):
        for ending in (b"\r\n", b"\n"):
            if form.endswith(ending):
                forms.append((form[: -len(ending)], (*artefacts, "TrailingNewline")))
                break
    return forms


_HINTS = {
    "PrettyBodyHashed": (
        "you hashed the pretty-printed body as sent; the provider hashes the minified one "
        "(whitespace outside strings removed)"
    ),
    "InnerWhitespaceStripped": (
        "your minifier also deleted whitespace inside string values (a naive \\s+ strip); "
        "minify removes whitespace outside strings only"
    ),
    "SlashEscaped": (
        "you hashed the body with '/' escaped as '\\/' (PHP json_encode's default) but sent "
        "a raw '/'; hash the bytes you send (JSON_UNESCAPED_SLASHES)"
    ),
    "UnicodeEscaped": (
        "you hashed the body with non-ASCII characters escaped as \\uXXXX but sent raw "
        "UTF-8; hash the bytes you send (ensure_ascii=False / JSON_UNESCAPED_UNICODE)"
    ),
    "SlashEscaped+UnicodeEscaped": (
        "you hashed the body with '/' escaped as '\\/' and non-ASCII as \\uXXXX (PHP "
        "json_encode's defaults) but sent raw bytes; hash the bytes you send "
        "(JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)"
    ),
    "EmptyBodyAsBraces": (
        "the request has no body but you hashed '{}'; with no body SNAP hashes the empty "
        "string (sha256 e3b0c442…b855)"
    ),
    "EmptyBodyAsNull": (
        "the request has no body but you hashed 'null'; with no body SNAP hashes the empty "
        "string (sha256 e3b0c442…b855)"
    ),
    "EmptyBodyHashEmpty": (
        "the request has no body and you left the hash segment empty ('::'); with no body "
        "SNAP hashes the empty string and signs its hash e3b0c442…b855"
    ),
    "EmptyBodyHashOmitted": (
        "the request has no body and you left the hash segment out of the string to sign; "
        "it stays, as the hash of the empty string (e3b0c442…b855)"
    ),
}


def hint_for_body(flags: tuple[str, ...], encoder: str) -> str:
    """The sender's hint for a body hypothesis."""
    key = "+".join(flags)
    if key == "BodyReserialised":
        return (
            f"you hashed a re-encoding of the parsed JSON ({encoder}) instead of the bytes you "
            "sent; serialise once and hash exactly the bytes that go on the wire"
        )
    base = _HINTS.get(key, "")
    if encoder and key in ("SlashEscaped", "UnicodeEscaped", "SlashEscaped+UnicodeEscaped"):
        return base.replace(" but sent", f" ({encoder}) but sent", 1)
    if key == "PrettyBodyHashed" and encoder != _AS_SENT:
        return (
            f"you hashed a pretty-printed encoding ({encoder}); the provider hashes the "
            "minified body (whitespace outside strings removed): hash minify(body), or "
            "send exactly what you hash"
        )
    return base


_AS_SENT = "the body as sent, not minified"


def _flags_of(encoded: bytes, pretty: bool, forms: dict[bytes, tuple[str, ...]]) -> tuple[str, ...]:
    if pretty:
        return ("PrettyBodyHashed",)
    return forms.get(encoded, ("BodyReserialised",))


def body_hypotheses(body: bytes | str | None) -> tuple[bytes, list[BodyHypothesis]]:
    """`(minify(body), hypotheses)`: every body the sender may have hashed instead,
    most likely first, distinct by the hash segment signed and never the correct one.

    A leading BOM is taken off the body first (a capture artefact: see `strip_bom`).

    Raises:
        BodyNotJSONError: the body is not JSON.
    """
    body, _ = strip_bom(body)
    correct = minify(body)
    if not correct:
        empty = [
            (
                "EmptyBodyAsBraces",
                b"{}",
                hashlib.sha256(b"{}").hexdigest(),
                "'{}' (Node's default body)",
            ),
            ("EmptyBodyAsNull", b"null", hashlib.sha256(b"null").hexdigest(), "json_encode(null)"),
            ("EmptyBodyHashEmpty", b"", "", "an empty hash segment"),
            ("EmptyBodyHashOmitted", b"", None, "no hash segment"),
        ]
        return correct, [
            BodyHypothesis((flag,), hashed, digest, encoder, _HINTS[flag])
            for flag, hashed, digest, encoder in empty
        ]
    raw = _raw(body)
    slashed = slash_escaped(correct)
    try:
        uni = unicode_escaped(correct)
        both = unicode_escaped(slashed)
    except UnicodeDecodeError:  # pragma: no cover - minify refuses bodies that are not UTF-8
        uni = both = correct
    known: dict[bytes, tuple[str, ...]] = {}
    for value, flags in (
        (both, ("SlashEscaped", "UnicodeEscaped")),
        (uni, ("UnicodeEscaped",)),
        (slashed, ("SlashEscaped",)),
    ):
        if value != correct:
            known[value] = flags

    found: dict[str | None, BodyHypothesis] = {}
    order: list[str | None] = []

    def add(
        flags: tuple[str, ...],
        hashed: bytes,
        encoder: str,
        capture: tuple[str, ...] = (),
        digest: str | None = "",
    ) -> None:
        if hashed == correct:
            return
        segment = hashlib.sha256(hashed).hexdigest() if digest == "" else digest
        if segment in found:
            prev = found[segment]
            if encoder not in prev.also and encoder != prev.encoder:
                found[segment] = BodyHypothesis(
                    prev.flags,
                    prev.hashed,
                    prev.digest,
                    prev.encoder,
                    prev.hint,
                    prev.capture,
                    (*prev.also, encoder),
                )
            return
        order.append(segment)
        found[segment] = BodyHypothesis(
            flags, hashed, segment, encoder, hint_for_body(flags, encoder), capture
        )

    forms = _capture_forms(raw)
    for form, capture in forms:
        add(("PrettyBodyHashed",), form, _AS_SENT, capture)
    parsed = parse_body(correct)
    if parsed is not None:
        for inner in _json_inside_string(parsed):
            add(("BodyReserialised",), inner, "a JSON document inside a JSON string, unwrapped")
        for enc in ENCODERS:
            encoded = enc.encode(parsed)
            if encoded is not None:
                add(_flags_of(encoded, enc.pretty, known), encoded, enc.name)
    for form in dict.fromkeys([correct, raw]):
        # Midtrans's Node README case: a body already a string, JSON.stringify'd again
        # (or json.dumps'd again in Python, with its default ensure_ascii=True)
        try:
            text = form.decode("utf-8")
            js_twice = json.dumps(text, ensure_ascii=False).encode("utf-8")
            py_twice = json.dumps(text).encode("ascii")
        except UnicodeError:
            continue
        add(("BodyReserialised",), js_twice, "js JSON.stringify(body as a string): encoded twice")
        add(("BodyReserialised",), py_twice, "python json.dumps(body as a string): encoded twice")
    add(("SlashEscaped",), slashed, "'/' written as '\\/' alone")
    add(("UnicodeEscaped",), uni, "non-ASCII written as \\uXXXX alone")
    add(("SlashEscaped", "UnicodeEscaped"), both, "'/' as '\\/' and non-ASCII as \\uXXXX")
    for form, capture in forms:
        add(("InnerWhitespaceStripped",), re.sub(rb"\s+", b"", form), "a naive \\s+ strip", capture)
    return correct, [found[k] for k in order]


def _json_inside_string(parsed: ParsedBody) -> list[bytes]:
    """A body that is a JSON string holding a JSON document (encoded twice): the inner one."""
    if not isinstance(parsed.python, str):
        return []
    try:
        inner = parsed.python.encode("utf-8")
        json.loads(inner)
        return [minify(inner)]
    except (ValueError, UnicodeEncodeError, BodyNotJSONError, RecursionError):
        return []


_NON_ASCII_ESCAPE = re.compile(
    rb"\\u(?:00[89a-fA-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|[1-9a-fA-F][0-9a-fA-F]{3})"
)


def body_shapes(body: bytes | str | None) -> list[str]:
    """Shapes of a received body that show a framework re-encoded it before verification."""
    body, _ = strip_bom(body)
    raw = _raw(body)
    try:
        correct = minify(body)
    except BodyNotJSONError:
        return []
    if not correct:
        return []
    shapes: list[str] = []
    parsed = parse_body(correct)
    if parsed is not None and parsed.python_ok and b"\n" not in raw:
        try:
            default = json.dumps(parsed.python).encode("utf-8")
        except (ValueError, TypeError, RecursionError):
            default = b""
        if raw == default and raw != correct:
            shapes.append("', ' and ': ' separators (Python json.dumps defaults)")
        elif re.search(rb'(?:[\]}"el0-9]), "|": ', raw) and raw != correct:
            shapes.append("', ' and ': ' separators")
    if _NON_ASCII_ESCAPE.search(raw):
        shapes.append("non-ASCII text written as \\uXXXX escapes")
    if parsed is not None and _all_sorted(parsed.python):
        shapes.append("keys in sorted order")
    if parsed is not None and _json_inside_string(parsed):
        shapes.append("a JSON document inside a JSON string")
    return shapes


def _all_sorted(value: object) -> bool:
    """Every object sorted, with at least one object of 3+ keys (a weak signal otherwise)."""
    seen_big = False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            keys = list(item)
            if keys != sorted(keys):
                return False
            seen_big = seen_big or len(keys) >= 3
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return seen_big
