"""Generate bisnap's published BI-SNAP signature test vectors.

Every expected value is computed here from raw primitives (``hashlib``, ``hmac`` and
``cryptography``); this script never imports bisnap. It is deterministic: RSASSA-PKCS1-v1_5
signatures are deterministic, the keys are loaded from the committed ``vectors/keys``
files, and nothing depends on the clock or on randomness. Running it twice produces
byte-identical files.

Usage::

    python vectors/tools/generate.py            # rewrite vectors/*.json and vectors/schemas/
    python vectors/tools/generate.py --out DIR  # write into DIR (DIR/*.json, DIR/schemas/)

The generator checks its own work while it runs (see ``check_invalid_case``):

* provider-published values are reproduced exactly;
* each invalid case's presented signature differs from the correct one;
* re-applying the case's flag transformation to the request as received reproduces the
  sender's string to sign, and no other flag's transformation does.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import hmac
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GENERATOR_VERSION: Final = "1.0.0"
VECTORS_DIR: Final = Path(__file__).resolve().parent.parent
KEYS_DIR: Final = VECTORS_DIR / "keys"
PUBLISHED_FILE: Final = Path(__file__).resolve().parent / "published.json"
SCHEMA_URI: Final = "https://json-schema.org/draft/2020-12/schema"

Json = dict[str, Any]
Encoding = Literal["base64", "hex"]
Kind = Literal["hmac", "rsa"]

EMPTY_SHA256: Final = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# --------------------------------------------------------------------------------------
# Self-checks (not `assert`: they must also run under python -O)
# --------------------------------------------------------------------------------------


_T = TypeVar("_T")


class GeneratorError(AssertionError):
    """A generator self-check failed: the vectors would be wrong."""


def check(condition: bool, message: object = "generator self-check failed") -> None:
    if not condition:
        raise GeneratorError(str(message))


def some(value: _T | None) -> _T:
    if value is None:
        raise GeneratorError("unexpected None")
    return value


# --------------------------------------------------------------------------------------
# Primitives
# --------------------------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hmac_sha512(secret: str, message: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha512).digest()


@functools.cache
def load_private(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise GeneratorError("not an RSA private key")
    return key


@functools.cache
def load_public(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode("ascii"))
    if not isinstance(key, rsa.RSAPublicKey):
        raise GeneratorError("not an RSA public key")
    return key


def rsa_sign(private_pem: str, message: str) -> bytes:
    return load_private(private_pem).sign(
        message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
    )


def rsa_verifies(public_pem: str, message: str, signature: bytes) -> bool:
    try:
        load_public(public_pem).verify(
            signature, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        return False
    return True


def encode_sig(sig: bytes, encoding: Encoding) -> str:
    return base64.b64encode(sig).decode("ascii") if encoding == "base64" else sig.hex()


# --------------------------------------------------------------------------------------
# Minifier: a small validating JSON lexer/parser over bytes. It copies every byte of the
# input except JSON insignificant whitespace (space, tab, CR, LF) outside string literals.
# Nothing is decoded or re-encoded. Non-JSON input raises NotJSONError with the byte
# offset of the first byte that cannot continue a JSON text (len(input) if truncated).
# --------------------------------------------------------------------------------------

WS: Final = frozenset(b" \t\r\n")
DIGITS: Final = frozenset(b"0123456789")
HEX: Final = frozenset(b"0123456789abcdefABCDEF")
ESCAPES: Final = frozenset(b'"\\/bfnrtu')


class NotJSONError(ValueError):
    def __init__(self, offset: int) -> None:
        super().__init__(f"not JSON at byte offset {offset}")
        self.offset = offset


class _Minifier:
    def __init__(self, data: bytes) -> None:
        self.d = data
        self.i = 0
        self.out = bytearray()

    def peek(self) -> int | None:
        return self.d[self.i] if self.i < len(self.d) else None

    def fail(self) -> NotJSONError:
        return NotJSONError(self.i)

    def ws(self) -> None:
        while self.i < len(self.d) and self.d[self.i] in WS:
            self.i += 1

    def take(self) -> None:
        self.out.append(self.d[self.i])
        self.i += 1

    def value(self) -> None:
        c = self.peek()
        if c is None:
            raise self.fail()
        if c == ord("{"):
            self.obj()
        elif c == ord("["):
            self.arr()
        elif c == ord('"'):
            self.string()
        elif c == ord("-") or c in DIGITS:
            self.number()
        elif c in b"tfn":
            lit = {ord("t"): b"true", ord("f"): b"false", ord("n"): b"null"}[c]
            for expected in lit:
                if self.peek() != expected:
                    raise self.fail()
                self.take()
        else:
            raise self.fail()

    def obj(self) -> None:
        self.take()
        self.ws()
        if self.peek() == ord("}"):
            self.take()
            return
        while True:
            if self.peek() != ord('"'):
                raise self.fail()
            self.string()
            self.ws()
            if self.peek() != ord(":"):
                raise self.fail()
            self.take()
            self.ws()
            self.value()
            self.ws()
            c = self.peek()
            if c == ord(","):
                self.take()
                self.ws()
            elif c == ord("}"):
                self.take()
                return
            else:
                raise self.fail()

    def arr(self) -> None:
        self.take()
        self.ws()
        if self.peek() == ord("]"):
            self.take()
            return
        while True:
            self.value()
            self.ws()
            c = self.peek()
            if c == ord(","):
                self.take()
                self.ws()
            elif c == ord("]"):
                self.take()
                return
            else:
                raise self.fail()

    def string(self) -> None:
        self.take()
        while True:
            c = self.peek()
            if c is None or c < 0x20:
                raise self.fail()
            if c == ord('"'):
                self.take()
                return
            if c == ord("\\"):
                self.take()
                e = self.peek()
                if e is None or e not in ESCAPES:
                    raise self.fail()
                self.take()
                if e == ord("u"):
                    for _ in range(4):
                        h = self.peek()
                        if h is None or h not in HEX:
                            raise self.fail()
                        self.take()
            else:
                self.take()

    def digits(self) -> None:
        c = self.peek()
        if c is None or c not in DIGITS:
            raise self.fail()
        while (c := self.peek()) is not None and c in DIGITS:
            self.take()

    def number(self) -> None:
        if self.peek() == ord("-"):
            self.take()
        if self.peek() == ord("0"):
            self.take()
        else:
            self.digits()
        if self.peek() == ord("."):
            self.take()
            self.digits()
        if (c := self.peek()) is not None and c in b"eE":
            self.take()
            if (c := self.peek()) is not None and c in b"+-":
                self.take()
            self.digits()


def minify(body: bytes | None) -> bytes:
    """Minify a JSON body lexically; ``None`` and ``b""`` give ``b""``."""
    if not body:
        return b""
    return _minify_cached(body)


@functools.lru_cache(maxsize=256)
def _minify_cached(body: bytes) -> bytes:
    m = _Minifier(body)
    m.ws()
    m.value()
    m.ws()
    if m.i != len(body):
        raise m.fail()
    return bytes(m.out)


# --------------------------------------------------------------------------------------
# The three sender-side re-encodings used for wrong-body cases.
# --------------------------------------------------------------------------------------


def slash_escape(minified: bytes) -> bytes:
    """Write every unescaped '/' inside strings as '\\/' (PHP json_encode default)."""
    out = bytearray()
    in_str = False
    i = 0
    while i < len(minified):
        c = minified[i]
        if in_str and c == ord("\\"):
            out += minified[i : i + 2]
            i += 2
            continue
        if c == ord('"'):
            in_str = not in_str
        if in_str and c == ord("/"):
            out += b"\\/"
        else:
            out.append(c)
        i += 1
    return bytes(out)


def unicode_escape(minified: bytes) -> bytes:
    """Write every non-ASCII character as \\uXXXX (lowercase, surrogate pairs)."""
    out: list[str] = []
    for ch in minified.decode("utf-8"):
        cp = ord(ch)
        if cp < 0x80:
            out.append(ch)
        elif cp < 0x10000:
            out.append(f"\\u{cp:04x}")
        else:
            v = cp - 0x10000
            out.append(f"\\u{0xD800 + (v >> 10):04x}\\u{0xDC00 + (v & 0x3FF):04x}")
    return "".join(out).encode("ascii")


def strip_all_whitespace(body: bytes) -> bytes:
    return re.sub(rb"\s+", b"", body)


REENCODERS: Final[dict[str, Callable[[Any], str]]] = {
    "sortKeysCompact": lambda o: json.dumps(
        o, separators=(",", ":"), sort_keys=True, ensure_ascii=False
    ),
    "defaultSeparators": lambda o: json.dumps(o, ensure_ascii=False),
    "compact": lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False),
}


def reserialise(body: bytes, how: str) -> bytes:
    return REENCODERS[how](json.loads(body)).encode("utf-8")


# --------------------------------------------------------------------------------------
# Canonical strings
# --------------------------------------------------------------------------------------


def signed_path(path: str, include_query: bool) -> str:
    return path if include_query else path.split("?", 1)[0]


def service_sts(method: str, path: str, token: str | None, body_sha: str, timestamp: str) -> str:
    parts = [method, path] + ([token] if token is not None else []) + [body_sha, timestamp]
    return ":".join(parts)


# --------------------------------------------------------------------------------------
# Timestamps
# --------------------------------------------------------------------------------------

TS_RE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{3})?(Z|[+-]\d{2}:\d{2})"
)


def parse_ts(value: str) -> datetime:
    m = TS_RE.fullmatch(value)
    if m is None:
        raise ValueError(f"malformed timestamp {value!r}")
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    ms = int(m.group(7)[1:]) if m.group(7) else 0
    off = m.group(8)
    if off == "Z":
        tz = UTC
    else:
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            raise ValueError(f"bad offset {off!r}")
        sign = -1 if off[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=oh, minutes=om))
    return datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=tz)


def format_ts(dt: datetime, *, millis: bool, zulu: bool) -> str:
    if zulu:
        dt = dt.astimezone(UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    frac = f".{dt.microsecond // 1000:03d}" if millis else ""
    if zulu:
        return f"{base}{frac}Z"
    total = int(some(dt.utcoffset()).total_seconds()) // 60
    sign = "-" if total < 0 else "+"
    return f"{base}{frac}{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def timestamp_alternatives(header: str) -> list[str]:
    """Strings a sender plausibly signed instead of the header (TimestampMismatch)."""
    dt = parse_ts(header)
    jkt = timezone(timedelta(hours=7))
    out: list[str] = []
    for millis in (False, True):
        if not millis and dt.microsecond:
            continue
        out.append(format_ts(dt.astimezone(jkt), millis=millis, zulu=False))
        out.append(format_ts(dt, millis=millis, zulu=True))
    m = some(TS_RE.fullmatch(header))
    zulu = m.group(8) == "Z"
    for delta in (-1, 1):
        out.append(
            format_ts(dt + timedelta(seconds=delta), millis=m.group(7) is not None, zulu=zulu)
        )
    return [t for t in dict.fromkeys(out) if t != header]


# --------------------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------------------

KNOWN_PREFIXES: Final = ("/snap", "/api", "/openapi", "/snap-service", "/ordersnap/api")
VERSION_SEG: Final = re.compile(r"/v\d+(?:\.\d+)?/")


def path_prefix_alternatives(path: str) -> list[str]:
    m = VERSION_SEG.search(path)
    if m is None:
        return []
    if m.start() > 0:
        return [path[m.start() :]]
    return [p + path for p in KNOWN_PREFIXES]


# --------------------------------------------------------------------------------------
# Flags
# --------------------------------------------------------------------------------------

INVALID_FLAGS: Final[dict[str, tuple[str, str]]] = {
    # flag: (mismatchAt, description)
    "PrettyBodyHashed": (
        "minifiedBody",
        "The body was sent pretty-printed and the sender hashed the raw pretty bytes "
        "without minifying them.",
    ),
    "BodyReserialised": (
        "minifiedBody",
        "The sender hashed a re-encoding of the parsed JSON (sorted keys, default ', '/': ' "
        "separators, or a compact re-encoding that changes number spellings, escapes or "
        "drops duplicate keys) instead of the bytes it sent.",
    ),
    "SlashEscaped": (
        "minifiedBody",
        "The sent body has raw '/' inside strings; the sender hashed it with every '/' "
        "written '\\/' (PHP json_encode default).",
    ),
    "UnicodeEscaped": (
        "minifiedBody",
        "The body was sent as raw UTF-8; the sender hashed it with every non-ASCII "
        "character written \\uXXXX (lowercase hex, surrogate pairs for astral characters).",
    ),
    "InnerWhitespaceStripped": (
        "minifiedBody",
        "The sender's minifier deleted all whitespace, including whitespace inside string values.",
    ),
    "QueryDropped": (
        "stringToSign",
        "The request path has a query string and the group signs path+query (standard); "
        "the sender signed the bare path.",
    ),
    "QueryAdded": (
        "stringToSign",
        "The group signs the bare path (pathIncludesQuery false); the sender signed path+query.",
    ),
    "PathPrefixMissing": (
        "stringToSign",
        "The sender signed the path without the provider's prefix (everything before the "
        "first /v<major>[.<minor>]/ segment), or added a prefix (/snap, /api, /openapi, "
        "/snap-service, /ordersnap/api) that the request path does not carry.",
    ),
    "BearerInStringToSign": (
        "stringToSign",
        "The sender put 'Bearer <token>' instead of the bare token in the string to sign.",
    ),
    "TimestampMismatch": (
        "stringToSign",
        "The sender signed a different timestamp string than the X-TIMESTAMP header "
        "carries: the same instant in another style (+07:00 or Z, with or without "
        "milliseconds) or the header's style shifted by one second.",
    ),
    "LowercaseMethod": (
        "stringToSign",
        "The sender signed the HTTP method in lower case.",
    ),
    "EmptyBodyAsBraces": (
        "minifiedBody",
        "The request has no body; the sender hashed '{}' instead of the empty string.",
    ),
    "EmptyBodyAsNull": (
        "minifiedBody",
        "The request has no body; the sender hashed 'null' instead of the empty string.",
    ),
    "WrongKeyOrSecret": (
        "signature",
        "Every stage matches; the signature was made with a different client secret or "
        "private key.",
    ),
}

#: Flags of the explain cases only (service_hmac_explain.json): flag -> (stage, description).
EXPLAIN_FLAGS: Final[dict[str, tuple[str, str]]] = {
    "PathWithHost": (
        "stringToSign",
        "The sender signed the URL with its host (https://host/path) instead of the relative path.",
    ),
    "VersionSegmentMissing": (
        "stringToSign",
        "The sender signed the path without its /v<major>.<minor> version segment.",
    ),
}
EXPLAIN_FLAG_STAGES: Final = {name: stage for name, (stage, _) in EXPLAIN_FLAGS.items()}

FLAG_NOTES: Final[dict[str, tuple[str, str, str]]] = {
    # flag: (bugType, description, effect)
    **{
        name: (
            "INTEGRATION_MISTAKE",
            desc,
            f"The signature must be rejected. The first stage that differs is {stage}.",
        )
        for name, (stage, desc) in EXPLAIN_FLAGS.items()
    },
    "TrailingNewline": (
        "CAPTURE_ARTEFACT",
        "The captured body ends with a newline the sender did not send (a file saved by an "
        "editor); the sender's stages are those of the body without it.",
        "Explain must undo the artefact before matching the sender's body.",
    ),
    "CRLF": (
        "CAPTURE_ARTEFACT",
        "The captured body has CRLF line ends where the sender's had LF.",
        "Explain must undo the artefact before matching the sender's body.",
    ),
    **{
        name: (
            "INTEGRATION_MISTAKE",
            desc,
            f"The signature must be rejected. The first stage that differs is {stage}.",
        )
        for name, (stage, desc) in INVALID_FLAGS.items()
    },
    "HexInsteadOfBase64": (
        "ENCODING",
        "The signature is correct but lowercase-hex encoded where base64 is expected "
        "(BRI PHP SDK, ASPI sandbox samples).",
        "Acceptable: verifiers accept either encoding (they differ in length).",
    ),
    "WeakKey1024": (
        "WEAK_PARAMS",
        "A 1024-bit RSA key. The signature is correct.",
        "Acceptable: bisnap refuses to sign with a partner key under 2048 bits "
        "(KeyTooSmallError) but verifies with a 1024-bit provider public key, emitting "
        "KeyStrengthWarning (Winpay's notification key is 1024-bit).",
    ),
    "ProviderPublished": (
        "KNOWN_ANSWER",
        "Values published by a provider (see the test's provenance); reproduced unchanged.",
        "A mismatch means the implementation disagrees with the provider.",
    ),
    "BodyHashOnly": (
        "KNOWN_ANSWER",
        "Only the body's SHA-256 is published, not the body. There is no body, "
        "minifiedBody or bodySha256 derivation; consumers start from the given bodySha256.",
        "Covers the string-to-sign and signature stages only.",
    ),
    "Pkcs1Key": ("BASIC", "Private key in PKCS#1 PEM ('BEGIN RSA PRIVATE KEY').", "Must load."),
    "Pkcs8Key": ("BASIC", "Private key in PKCS#8 PEM ('BEGIN PRIVATE KEY').", "Must load."),
    "CrlfPem": ("BASIC", "PEM text with CRLF line ends, as published.", "Must load."),
    "Rsa4096": ("BASIC", "A 4096-bit RSA key (512-byte signature).", "Must work."),
    "HexEncoding": (
        "BASIC",
        "Signature output requested as lowercase hex (some providers).",
        "Signers must emit lowercase hex when asked.",
    ),
    "PrettyBody": (
        "CANONICALIZATION",
        "The body is pretty-printed; minify removes whitespace between tokens.",
        "Hash the minified bytes.",
    ),
    "ControlWhitespace": (
        "CANONICALIZATION",
        "CR, LF and tab between tokens.",
        "All four JSON whitespace bytes outside strings are removed.",
    ),
    "InnerWhitespace": (
        "CANONICALIZATION",
        "Whitespace inside string values.",
        "Kept byte for byte.",
    ),
    "EscapeSequences": (
        "CANONICALIZATION",
        'Escapes such as \\u00e9, \\/ and \\" in strings.',
        "Kept exactly as written; never decoded or re-encoded.",
    ),
    "RawUtf8": (
        "CANONICALIZATION",
        "Raw UTF-8 in strings, including 4-byte characters (emoji).",
        "Kept as raw bytes; never \\u-escaped.",
    ),
    "NumberSpelling": (
        "CANONICALIZATION",
        "Number spellings such as 1.50, 1e+10, -0, 2.5E-3.",
        "Kept exactly as written.",
    ),
    "DuplicateKeys": (
        "CANONICALIZATION",
        "An object with duplicate keys.",
        "Kept exactly as written (no parse-and-re-encode).",
    ),
    "EmptyObject": ("CANONICALIZATION", "The body is '{}'.", "Hash of '{}'."),
    "TopLevelArray": ("CANONICALIZATION", "The body is a JSON array.", "Minified like any value."),
    "TopLevelScalar": (
        "CANONICALIZATION",
        "The body is a JSON scalar.",
        "Minified like any value.",
    ),
    "LargeBody": ("CANONICALIZATION", "A body over 100 KB.", "Must be handled in full."),
    "NoBody": (
        "CANONICALIZATION",
        "No request body (body: null), e.g. GET with a query string.",
        "minify(no body) is the empty string; bodySha256 is e3b0c442...b855.",
    ),
    "EmptyBody": (
        "CANONICALIZATION",
        'An empty request body (body: "").',
        "Same as no body: the empty string.",
    ),
    "QueryString": (
        "CANONICALIZATION",
        "The request path carries a query string.",
        "Signed verbatim when pathIncludesQuery is true, stripped when false.",
    ),
    "PathPrefix": (
        "CANONICALIZATION",
        "The path carries a provider prefix before the version segment.",
        "Signed exactly as sent.",
    ),
    "MillisTimestamp": ("BASIC", "Timestamp with milliseconds.", "Used verbatim."),
    "UtcTimestamp": ("BASIC", "Timestamp in UTC with 'Z'.", "Used verbatim."),
    "OtherOffset": ("BASIC", "Timestamp with an offset other than +07:00.", "Used verbatim."),
    "LowercaseMethodInput": (
        "BASIC",
        "The method is given in lower case as input.",
        "Signers upper-case the method.",
    ),
    "Utf8Secret": (
        "BASIC",
        "Client secret with non-ASCII characters.",
        "The HMAC key is the secret's UTF-8 bytes.",
    ),
    "Base64LookingSecret": (
        "BASIC",
        "Client secret that looks like base64.",
        "Used as UTF-8 bytes, never base64-decoded.",
    ),
    "LongSecret": (
        "BASIC",
        "Client secret longer than the SHA-512 block (128 bytes).",
        "HMAC hashes the key first; implementations must not truncate it.",
    ),
    "BinaryInput": (
        "BASIC",
        "The input is given as inputBase64 (bytes an editor could alter).",
        "Decode the base64 and minify the bytes.",
    ),
    # minify invalid inputs
    "Truncated": ("NOT_JSON", "The JSON text ends early.", "minify raises; errorOffset = length."),
    "FormEncoded": ("NOT_JSON", "A form-encoded body.", "minify raises at offset 0."),
    "TrailingGarbage": ("NOT_JSON", "Bytes after a complete JSON value.", "minify raises."),
    "Unbalanced": ("NOT_JSON", "Brackets do not match.", "minify raises."),
    "MissingValue": ("NOT_JSON", "A member or element without a value.", "minify raises."),
    "BadToken": ("NOT_JSON", "A byte that cannot start or continue a token.", "minify raises."),
    # timestamps
    "NaiveTimestamp": ("TIMESTAMP", "No UTC offset.", "parse_timestamp raises."),
    "MalformedTimestamp": ("TIMESTAMP", "Not yyyy-MM-ddTHH:mm:ss[.SSS]TZD.", "Raises."),
    "BadOffset": ("TIMESTAMP", "The offset is malformed or out of range.", "Raises."),
    "EmptyTimestamp": ("TIMESTAMP", "The empty string.", "Raises."),
    "ImpossibleDate": ("TIMESTAMP", "Fields out of range (month 13, Feb 30, hour 24).", "Raises."),
}

DESCRIPTIVE_KEY_FLAGS: Final = {"pkcs1": "Pkcs1Key", "pkcs8": "Pkcs8Key"}

# --------------------------------------------------------------------------------------
# Keys and groups
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyMaterial:
    size: int
    fmt: Literal["pkcs1", "pkcs8"] | None
    private_pem: str | None
    public_pem: str
    key_file: str | None = None
    comment: str = ""
    crlf: bool = False

    def flags(self) -> list[str]:
        out: list[str] = []
        if self.fmt is not None:
            out.append(DESCRIPTIVE_KEY_FLAGS[self.fmt])
        if self.size == 4096:
            out.append("Rsa4096")
        if self.crlf:
            out.append("CrlfPem")
        return out

    def group_fields(self, *, with_private: bool = True) -> Json:
        g: Json = {"keySize": self.size}
        if self.fmt is not None and with_private:
            g["keyFormat"] = self.fmt
        if self.key_file is not None:
            g["keyFile"] = self.key_file
        if self.private_pem is not None and with_private:
            g["privateKeyPem"] = self.private_pem
        g["publicKeyPem"] = self.public_pem
        return g


def file_key(name: str, size: int, fmt: Literal["pkcs1", "pkcs8"]) -> KeyMaterial:
    stem = f"test-only-{name}"
    priv = (KEYS_DIR / f"{stem}.{fmt}.pem").read_text("ascii")
    pub = (KEYS_DIR / f"{stem}.public.pem").read_text("ascii")
    k = load_private(priv)
    check(k.key_size == size, (name, k.key_size))
    pub_der = load_public(pub).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    check(
        pub_der
        == k.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    header = "-----BEGIN RSA PRIVATE KEY-----" if fmt == "pkcs1" else "-----BEGIN PRIVATE KEY-----"
    check(priv.startswith(header))
    return KeyMaterial(size, fmt, priv, pub, f"keys/{stem}.{fmt}.pem")


# --------------------------------------------------------------------------------------
# Published material
# --------------------------------------------------------------------------------------


def published() -> dict[str, Json]:
    data = json.loads(PUBLISHED_FILE.read_text("utf-8"))
    return cast(dict[str, Json], data["entries"])


def github_url(source: str) -> str:
    """'owner/repo@sha:path (note)' -> a permanent GitHub blob URL."""
    ref = source.split(" ", 1)[0]
    repo, rest = ref.split("@", 1)
    sha, path = rest.split(":", 1)
    return f"https://github.com/{repo}/blob/{sha}/{path}"


def provenance(entry: Json, fields: Iterable[str]) -> Json:
    url = entry.get("source_url") or github_url(str(entry["source"]))
    return {"source": url, "publishedFields": list(fields)}


# --------------------------------------------------------------------------------------
# File builder
# --------------------------------------------------------------------------------------


class VectorFile:
    def __init__(self, name: str, algorithm: str, group_type: str, header: list[str]) -> None:
        self.name = name
        self.algorithm = algorithm
        self.group_type = group_type
        self.header = header
        self.groups: list[Json] = []
        self.count = 0

    def group(self, fields: Json) -> Json:
        g: Json = {"type": self.group_type, **fields, "tests": []}
        self.groups.append(g)
        return g

    def add(self, group: Json, test: Json) -> None:
        self.count += 1
        tc: Json = {"tcId": self.count}
        tc.update(test)
        flags = tc["flags"]
        check(len(flags) == len(set(flags)), tc)
        for f in flags:
            check(f in FLAG_NOTES, f)
        cast(list[Json], group["tests"]).append(tc)

    def render(self) -> Json:
        used: list[str] = []
        for g in self.groups:
            for t in g["tests"]:
                used.extend(f for f in t["flags"] if f not in used)
        notes = {
            f: {
                "bugType": FLAG_NOTES[f][0],
                "description": FLAG_NOTES[f][1],
                "effect": FLAG_NOTES[f][2],
            }
            for f in sorted(used)
        }
        return {
            "algorithm": self.algorithm,
            "schema": f"{self.name}_schema.json",
            "generatorVersion": GENERATOR_VERSION,
            "numberOfTests": self.count,
            "header": self.header,
            "notes": notes,
            "testGroups": self.groups,
        }


TEST_ONLY_HEADER: Final = (
    "TEST ONLY: every key, client secret, client key and access token in this file is public "
    "test material. Never use it for anything else."
)


def body_fields(body: bytes | None) -> Json:
    if body is None:
        return {"body": None}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"bodyBase64": base64.b64encode(body).decode("ascii")}


# --------------------------------------------------------------------------------------
# Service requests and invalid-case machinery
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None
    timestamp: str
    token: str | None = None  # HMAC only


@dataclass(frozen=True)
class Sender:
    """What the sender did differently. None = same as a correct signer."""

    method: str | None = None
    path: str | None = None
    token: str | None = None
    hashed: bytes | None = None
    timestamp: str | None = None
    secret: str | None = None
    key: KeyMaterial | None = None


@dataclass(frozen=True)
class Stages:
    minified: bytes
    body_sha: str
    sts: str


def correct_stages(req: Request, include_query: bool) -> Stages:
    m = minify(req.body)
    sha = sha256_hex(m)
    return Stages(
        m,
        sha,
        service_sts(
            req.method.upper(), signed_path(req.path, include_query), req.token, sha, req.timestamp
        ),
    )


def sender_stages(req: Request, include_query: bool, s: Sender) -> Stages:
    c = correct_stages(req, include_query)
    hashed = s.hashed if s.hashed is not None else c.minified
    sha = sha256_hex(hashed)
    return Stages(
        hashed,
        sha,
        service_sts(
            s.method if s.method is not None else req.method.upper(),
            s.path if s.path is not None else signed_path(req.path, include_query),
            s.token if s.token is not None else req.token,
            sha,
            s.timestamp if s.timestamp is not None else req.timestamp,
        ),
    )


def flag_candidates(flag: str, req: Request, include_query: bool, kind: Kind) -> list[Stages]:
    """Apply one flag's transformation to the request as received (the 'explain' logic)."""
    c = correct_stages(req, include_query)
    path = signed_path(req.path, include_query)
    method = req.method.upper()

    def body(b: bytes) -> Stages:
        sha = sha256_hex(b)
        return Stages(b, sha, service_sts(method, path, req.token, sha, req.timestamp))

    def sts(**kw: str) -> Stages:
        parts: dict[str, Any] = {
            "method": method,
            "path": path,
            "token": req.token,
            "body_sha": c.body_sha,
            "timestamp": req.timestamp,
        }
        parts.update(kw)
        return Stages(c.minified, c.body_sha, service_sts(**parts))

    out: list[Stages] = []
    raw = req.body or b""
    has_body = bool(raw)
    if flag == "PrettyBodyHashed" and has_body:
        out.append(body(raw))
    elif flag == "BodyReserialised" and has_body:
        out.extend(body(reserialise(raw, how)) for how in REENCODERS)
    elif flag == "SlashEscaped" and has_body:
        out.append(body(slash_escape(c.minified)))
    elif flag == "UnicodeEscaped" and has_body:
        out.append(body(unicode_escape(c.minified)))
    elif flag == "InnerWhitespaceStripped" and has_body:
        out.append(body(strip_all_whitespace(raw)))
    elif flag == "QueryDropped" and include_query and "?" in req.path:
        out.append(sts(path=req.path.split("?", 1)[0]))
    elif flag == "QueryAdded" and not include_query and "?" in req.path:
        out.append(sts(path=req.path))
    elif flag == "PathPrefixMissing":
        out.extend(sts(path=p) for p in path_prefix_alternatives(path))
    elif flag == "BearerInStringToSign" and kind == "hmac":
        out.append(sts(token="Bearer " + some(req.token)))
    elif flag == "TimestampMismatch":
        out.extend(sts(timestamp=t) for t in timestamp_alternatives(req.timestamp))
    elif flag == "LowercaseMethod":
        out.append(sts(method=req.method.lower()))
    elif flag == "EmptyBodyAsBraces" and not has_body:
        out.append(body(b"{}"))
    elif flag == "EmptyBodyAsNull" and not has_body:
        out.append(body(b"null"))
    elif flag == "WrongKeyOrSecret":
        out.append(c)
    return [x for x in out if x != c or flag == "WrongKeyOrSecret"]


def stage_of_difference(c: Stages, s: Stages) -> str:
    if c.minified != s.minified:
        return "minifiedBody"
    if c.body_sha != s.body_sha:
        return "bodySha256"
    if c.sts != s.sts:
        return "stringToSign"
    return "signature"


def check_invalid_case(
    flag: str,
    req: Request,
    include_query: bool,
    kind: Kind,
    sender: Stages,
    presented: bytes,
    correct_sig: bytes,
) -> str:
    check(presented != correct_sig, f"{flag}: presented signature equals the correct one")
    c = correct_stages(req, include_query)
    stage = stage_of_difference(c, sender)
    check(stage == INVALID_FLAGS[flag][0], (flag, stage))
    check(
        sender in flag_candidates(flag, req, include_query, kind),
        f"{flag}: transformation does not reproduce the sender's string to sign",
    )
    for other in INVALID_FLAGS:
        if other != flag:
            check(
                sender not in flag_candidates(other, req, include_query, kind),
                f"{flag} case is also explained by {other}",
            )
    return stage


# --------------------------------------------------------------------------------------
# Bodies
# --------------------------------------------------------------------------------------


def build_large_body() -> bytes:
    items = []
    for i in range(700):
        items.append(
            {
                "lineNo": i + 1,
                "sku": f"SKU-{i:05d}",
                "name": f"Barang nomor {i} — édition ✓",
                "url": f"https://merchant.example/items/{i}",
                "price": {"value": f"{(i * 1250) % 1000000}.00", "currency": "IDR"},
            }
        )
    obj = {"partnerReferenceNo": "LARGE-0001", "items": items}
    return json.dumps(obj, indent=1, ensure_ascii=False).encode("utf-8")


B_COMPACT: Final = (
    b'{"partnerServiceId":"  088899","customerNo":"12345678901234567890",'
    b'"virtualAccountNo":"  08889912345678901234567890","virtualAccountName":"Jokul Doe",'
    b'"trxId":"abcdefgh1234","totalAmount":{"value":"12345678.00","currency":"IDR"}}'
)
B_URLS: Final = (
    b'{"partnerReferenceNo":"2020102900000000000001","urlParams":[{"url":'
    b'"https://merchant.example/return?order=1","type":"PAY_RETURN","isDeeplink":"N"},'
    b'{"url":"https://merchant.example/notify","type":"PAY_NOTIFY","isDeeplink":"N"}],'
    b'"amount":{"value":"10000.00","currency":"IDR"}}'
)
B_URLS_PRETTY: Final = (
    b'{\n  "originalPartnerReferenceNo": "INV/2024/03/0001",\n  "serviceCode": "55",\n'
    b'  "additionalInfo": {\n    "returnUrl": "https://merchant.example/done",\n'
    b'    "note": "a/b"\n  }\n}'
)
B_UTF8: Final = (
    '{"virtualAccountName":"José Ñúñez","additionalInfo":{"note":"Bayar bakso 🍜 — lunas ✓",'
    '"city":"東京"}}'
).encode()
B_UTF8_PRETTY: Final = (
    '{\n  "customerName": "Siti Nurhaliza 😊",\n  "description": "Pembayaran café",\n'
    '  "amount": {"value": "15000.00", "currency": "IDR"}\n}'
).encode()
B_UTF8_EMOJI_ONLY: Final = '{"memo":"🎉🎉","merchant":"Warung Bu Tini"}'.encode()
B_ESCAPES: Final = (
    rb'{"name":"Jos\u00e9","callbackUrl":"https:\/\/merchant.example\/cb",'
    rb'"memo":"say \"terima kasih\"","winPath":"C:\\temp","tab":"a\tb"}'
)
B_MIXED_SLASH: Final = (
    rb'{"returnUrl":"https://merchant.example/ok","legacy":"a\/b","date":"05/03/2024"}'
)
B_NUMBERS: Final = b'{"amount":1.50,"big":1e+10,"negZero":-0,"small":2.5E-3,"list":[1.0,10,0.10]}'
B_DUP: Final = b'{"a":1,"a":2,"nested":{"k":"first","k":"second"}}'
B_EMPTY_OBJ: Final = b"{}"
B_ARRAY: Final = b'[{"id":1,"ok":true},{"id":2,"ok":false,"note":null}]'
B_CTRL_WS: Final = (
    b'{\r\n\t"partnerReferenceNo" :\t"INV-001",\r\n\t"amount"\n:\n{ "value" : "1.00" ,'
    b'\t"currency" : "IDR" }\r\n}'
)
B_INNER_WS: Final = (
    b'{\n  "virtualAccountName": "Jokul  Doe",\n  "memo": "  leading and trailing  ",\n'
    b'  "address": "Jl. Sudirman No. 1\\nJakarta"\n}'
)
B_INNER_WS_COMPACT: Final = b'{"customerName":"Budi Santoso","remark":"paid in full"}'
B_UNSORTED: Final = b'{"zeta":"1","alpha":{"y":2,"b":1},"mid":[3,2,1]}'
B_UNSORTED_PRETTY: Final = b'{\n  "partnerReferenceNo": "A1",\n  "amount": {"value": "1.00"}\n}'
B_LARGE: Final = build_large_body()
check(len(B_LARGE) > 100_000 and len(minify(B_LARGE)) > 100_000)

BODY_FLAGS: Final[list[tuple[bytes, list[str]]]] = [
    (B_COMPACT, ["InnerWhitespace"]),
    (B_URLS, []),
    (B_UTF8, ["RawUtf8"]),
    (B_ESCAPES, ["EscapeSequences"]),
    (B_MIXED_SLASH, ["EscapeSequences"]),
    (B_NUMBERS, ["NumberSpelling"]),
    (B_DUP, ["DuplicateKeys"]),
    (B_EMPTY_OBJ, ["EmptyObject"]),
    (B_ARRAY, ["TopLevelArray"]),
    (B_CTRL_WS, ["ControlWhitespace"]),
    (B_INNER_WS, ["PrettyBody", "InnerWhitespace"]),
    (B_UTF8_PRETTY, ["PrettyBody", "RawUtf8"]),
    (B_LARGE, ["LargeBody", "PrettyBody", "RawUtf8"]),
]

# Access tokens / secrets / client keys: TEST ONLY.
TOKEN_1: Final = "TEST-ONLY-access-token-gp9HjjEj813Y9JGoqwOeOPWbnt4Cup"
TOKEN_2: Final = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJURVNULU9OTFkifQ.TEST-ONLY_sig-x"
SECRET_1: Final = "TEST-ONLY-client-secret-01"
SECRET_B64: Final = "xS3vNQQgJRemFF0SZfXkZOq3r7kQ9n5YJgK4Wg0tVCQ="
SECRET_UTF8: Final = "TEST-ONLY-rahasia-klien-é-✓"
SECRET_LONG: Final = "TEST-ONLY-" + "0123456789abcdef" * 10
SECRET_WRONG: Final = "TEST-ONLY-client-secret-02"

TS_JKT: Final = "2024-03-05T17:37:16+07:00"
TS_JKT_MS: Final = "2024-03-05T17:37:16.196+07:00"
TS_Z: Final = "2024-03-05T10:37:16Z"
TS_Z_MS: Final = "2024-03-05T10:37:16.196Z"
TS_2020: Final = "2020-01-01T00:00:00+07:00"
TS_OTHER: Final = "2024-03-05T05:37:16-05:00"


def ts_flags(ts: str) -> list[str]:
    out = []
    if "." in ts:
        out.append("MillisTimestamp")
    if ts.endswith("Z"):
        out.append("UtcTimestamp")
    elif not ts.endswith("+07:00"):
        out.append("OtherOffset")
    return out


def path_flags(path: str) -> list[str]:
    out = []
    if "?" in path:
        out.append("QueryString")
    m = VERSION_SEG.search(path)
    if m is not None and m.start() > 0:
        out.append("PathPrefix")
    return out


def body_flags(body: bytes | None) -> list[str]:
    if body is None:
        return ["NoBody"]
    if body == b"":
        return ["EmptyBody"]
    for b, fl in BODY_FLAGS:
        if b == body:
            return list(fl)
    return ["PrettyBody"] if minify(body) != body else []


def secret_flags(secret: str) -> list[str]:
    return {
        SECRET_B64: ["Base64LookingSecret"],
        SECRET_UTF8: ["Utf8Secret"],
        SECRET_LONG: ["LongSecret"],
    }.get(secret, [])


def merge_flags(*lists: list[str]) -> list[str]:
    return list(dict.fromkeys(f for lst in lists for f in lst))


# --------------------------------------------------------------------------------------
# Key material
# --------------------------------------------------------------------------------------


@dataclass
class Keys:
    k1024_p1: KeyMaterial
    k1024_p8: KeyMaterial
    k2048_p1: KeyMaterial
    k2048_p8: KeyMaterial
    k4096_p1: KeyMaterial
    k4096_p8: KeyMaterial
    wrong: KeyMaterial
    midtrans: KeyMaterial
    gilang: KeyMaterial
    dana: KeyMaterial
    all_file_keys: list[KeyMaterial] = field(default_factory=list)


def load_keys(pub: dict[str, Json]) -> Keys:
    mt = pub["midtrans-docs-access-token"]["inputs"]
    mt_exp = pub["midtrans-docs-access-token"]["expected"]
    gl = pub["gilang-as-access-token"]["inputs"]
    dana = pub["dana-notification"]["inputs"]
    midtrans = KeyMaterial(
        2048,
        "pkcs8",
        mt["private_key_pem"],
        mt_exp["derived_public_key_pem"],
        comment="Midtrans' published demo key pair (docs.midtrans.com and SNAP-BI-Signature-Demo). "
        "The public key is derived from the private key.",
    )
    gilang = KeyMaterial(
        2048,
        "pkcs8",
        gl["private_key_pem_pkcs8"],
        gl["public_key_pem"],
        comment="gilang-as/snap-bi-go test key pair, PEM text with CRLF line ends as published.",
        crlf=True,
    )
    dana_key = KeyMaterial(
        2048,
        None,
        None,
        dana["public_key_pem"],
        comment="DANA sandbox webhook public key (no private key is published).",
    )
    for km in (midtrans, gilang):
        check(km.private_pem is not None)
        check(
            load_private(km.private_pem).public_key().public_numbers()
            == load_public(km.public_pem).public_numbers()
        )
    check(load_public(dana_key.public_pem).key_size == 2048)
    keys = Keys(
        file_key("rsa1024", 1024, "pkcs1"),
        file_key("rsa1024", 1024, "pkcs8"),
        file_key("rsa2048", 2048, "pkcs1"),
        file_key("rsa2048", 2048, "pkcs8"),
        file_key("rsa4096", 4096, "pkcs1"),
        file_key("rsa4096", 4096, "pkcs8"),
        file_key("rsa2048-wrong", 2048, "pkcs8"),
        midtrans,
        gilang,
        dana_key,
    )
    return keys


def weak_flags(km: KeyMaterial) -> list[str]:
    return ["WeakKey1024"] if km.size < 2048 else []


# --------------------------------------------------------------------------------------
# Access token files
# --------------------------------------------------------------------------------------

CLIENT_KEYS: Final = (
    "TEST-ONLY-client-key-001",
    "962489e9-de5d-4eb7-92a4-b07d44d64bf4",
    "G1234325-SNAP",
)


def at_sts(client_key: str, timestamp: str) -> str:
    return f"{client_key}|{timestamp}"


def build_access_token(pub: dict[str, Json], keys: Keys) -> tuple[VectorFile, VectorFile]:
    header = [
        "SNAP access-token signature (X-SIGNATURE of POST .../access-token/b2b): "
        "SHA256withRSA (RSASSA-PKCS1-v1_5, SHA-256) over clientKey + '|' + X-TIMESTAMP.",
        "The timestamp is used verbatim. stringToSign is UTF-8 encoded before signing.",
        TEST_ONLY_HEADER,
    ]
    sign = VectorFile(
        "access_token_sign", "SHA256withRSA", "AccessTokenSign", [*header, "Sign vectors."]
    )
    verify = VectorFile(
        "access_token_verify",
        "SHA256withRSA",
        "AccessTokenVerify",
        [*header, "Verify vectors: signature is the presented X-SIGNATURE."],
    )

    def sign_case(
        g: Json, km: KeyMaterial, ck: str, ts: str, enc: Encoding, extra: list[str], **more: Any
    ) -> bytes:
        sts = at_sts(ck, ts)
        sig = rsa_sign(some(km.private_pem), sts)
        weak = weak_flags(km)
        flags = merge_flags(
            weak, km.flags(), ts_flags(ts), ["HexEncoding"] if enc == "hex" else [], extra
        )
        t: Json = {"comment": more.pop("comment", f"{km.size}-bit key, {enc} output")}
        t["flags"] = flags
        if "provenance" in more:
            t["provenance"] = more.pop("provenance")
        t.update(
            {
                "clientKey": ck,
                "timestamp": ts,
                "stringToSign": sts,
                "signature": encode_sig(sig, enc),
                "encoding": enc,
                "result": "acceptable" if weak else "valid",
            }
        )
        sign.add(g, t)
        return sig

    def verify_valid(
        g: Json, km: KeyMaterial, ck: str, ts: str, sig: bytes, enc: Encoding, **more: Any
    ) -> None:
        sts = at_sts(ck, ts)
        check(rsa_verifies(km.public_pem, sts, sig))
        weak = weak_flags(km)
        hexed = enc == "hex"
        flags = (
            ["HexInsteadOfBase64"]
            if hexed
            else merge_flags(weak, km.flags(), ts_flags(ts), more.pop("extra", []))
        )
        check(not (hexed and weak))
        t: Json = {"comment": more.pop("comment", "correct signature")}
        t["flags"] = flags
        if "provenance" in more:
            t["provenance"] = more.pop("provenance")
        t.update(
            {
                "clientKey": ck,
                "timestamp": ts,
                "stringToSign": sts,
                "signature": encode_sig(sig, enc),
                "encoding": enc,
                "result": "acceptable" if (weak or hexed) else "valid",
            }
        )
        verify.add(g, t)

    def verify_invalid(
        g: Json,
        km: KeyMaterial,
        ck: str,
        ts: str,
        flag: str,
        comment: str,
        *,
        sender_ts: str | None = None,
        sender_key: KeyMaterial | None = None,
    ) -> None:
        check(km.private_pem is not None)
        sts = at_sts(ck, ts)
        s_sts = at_sts(ck, sender_ts if sender_ts is not None else ts)
        skey = sender_key or km
        presented = rsa_sign(some(skey.private_pem), s_sts)
        correct = rsa_sign(some(km.private_pem), sts)
        check(presented != correct)
        check(not rsa_verifies(km.public_pem, sts, presented))
        # The flag transformation applied to the received request reproduces the sender.
        if flag == "TimestampMismatch":
            check(sender_ts in timestamp_alternatives(ts))
            check(sender_key is None)
        else:
            check(flag == "WrongKeyOrSecret" and sender_ts is None and sender_key is not None)
        sender: Json = {"stringToSign": s_sts}
        if sender_key is not None:
            sender["privateKeyPem"] = sender_key.private_pem
            sender["publicKeyPem"] = sender_key.public_pem
        verify.add(
            g,
            {
                "comment": comment,
                "flags": [flag],
                "clientKey": ck,
                "timestamp": ts,
                "stringToSign": sts,
                "signature": encode_sig(presented, "base64"),
                "encoding": "base64",
                "result": "invalid",
                "mismatchAt": "stringToSign" if flag == "TimestampMismatch" else "signature",
                "sender": sender,
            },
        )

    # Generated keys.
    plan: list[tuple[KeyMaterial, list[tuple[str, str, Encoding]]]] = [
        (keys.k1024_p1, [(CLIENT_KEYS[0], TS_JKT, "base64"), (CLIENT_KEYS[1], TS_Z_MS, "hex")]),
        (keys.k1024_p8, [(CLIENT_KEYS[0], TS_2020, "base64")]),
        (
            keys.k2048_p1,
            [
                (CLIENT_KEYS[0], TS_JKT, "base64"),
                (CLIENT_KEYS[1], TS_2020, "base64"),
                (CLIENT_KEYS[0], TS_JKT_MS, "hex"),
                (CLIENT_KEYS[2], TS_Z, "base64"),
            ],
        ),
        (
            keys.k2048_p8,
            [
                (CLIENT_KEYS[0], TS_JKT, "base64"),
                (CLIENT_KEYS[1], TS_Z_MS, "base64"),
                (CLIENT_KEYS[2], TS_OTHER, "hex"),
            ],
        ),
        (keys.k4096_p1, [(CLIENT_KEYS[0], TS_JKT, "base64"), (CLIENT_KEYS[1], TS_Z, "hex")]),
        (keys.k4096_p8, [(CLIENT_KEYS[2], TS_JKT_MS, "base64")]),
    ]
    for km, cases in plan:
        sg = sign.group(km.group_fields())
        vg = verify.group(km.group_fields())
        for ck, ts, enc in cases:
            sig = sign_case(sg, km, ck, ts, enc, [])
            verify_valid(vg, km, ck, ts, sig, "base64")
        if km.size >= 2048:
            ck, ts, _ = cases[0]
            verify_valid(
                vg,
                km,
                ck,
                ts,
                rsa_sign(cast(str, km.private_pem), at_sts(ck, ts)),
                "hex",
                comment="correct signature, hex-encoded",
            )

    # Invalid cases: a 2048-bit PKCS#8 group and a 4096-bit PKCS#1 group.
    for km in (keys.k2048_p8, keys.k4096_p1):
        vg = verify.group(km.group_fields())
        for ck, ts, sender_ts in (
            (CLIENT_KEYS[0], TS_JKT, "2024-03-05T10:37:16Z"),
            (CLIENT_KEYS[0], TS_JKT, "2024-03-05T17:37:17+07:00"),
            (CLIENT_KEYS[1], TS_Z_MS, "2024-03-05T17:37:16.196+07:00"),
            (CLIENT_KEYS[2], TS_JKT, "2024-03-05T10:37:16.000Z"),
            (CLIENT_KEYS[2], TS_Z, "2024-03-05T10:37:15Z"),
        ):
            verify_invalid(
                vg,
                km,
                ck,
                ts,
                "TimestampMismatch",
                f"sender signed {sender_ts}, header {ts}",
                sender_ts=sender_ts,
            )
        if km.size != keys.wrong.size:
            # A signature made with a key of another size is a format error (wrong
            # length), not a mismatch; keep WrongKeyOrSecret to same-size keys.
            continue
        for ck, ts in (
            (CLIENT_KEYS[0], TS_JKT),
            (CLIENT_KEYS[1], TS_2020),
            (CLIENT_KEYS[2], TS_Z_MS),
        ):
            verify_invalid(
                vg,
                km,
                ck,
                ts,
                "WrongKeyOrSecret",
                "signed with another private key",
                sender_key=keys.wrong,
            )

    # Provider-published cases.
    docs = pub["midtrans-docs-access-token"]
    demo = pub["midtrans-demo-access-token"]
    gl = pub["gilang-as-access-token"]
    for km, entries in (
        (keys.midtrans, [(docs, "x_client_key"), (demo, "client_key")]),
        (keys.gilang, [(gl, "client_key")]),
    ):
        sg = sign.group({**km.group_fields(), "comment": km.comment})
        vg = verify.group({**km.group_fields(), "comment": km.comment})
        check(km.private_pem is not None)
        for entry, ck_field in entries:
            inp, exp = entry["inputs"], entry["expected"]
            ck, ts = inp[ck_field], inp["x_timestamp"]
            check(at_sts(ck, ts) == inp["string_to_sign"])
            sig = rsa_sign(some(km.private_pem), at_sts(ck, ts))
            check(encode_sig(sig, "base64") == exp["x_signature_base64"], "published mismatch")
            fields = ["clientKey", "timestamp", "stringToSign", "signature"]
            prov = provenance(entry, fields)
            sign_case(
                sg,
                km,
                ck,
                ts,
                "base64",
                ["ProviderPublished"],
                provenance=prov,
                comment="published known answer",
            )
            verify_valid(
                vg,
                km,
                ck,
                ts,
                sig,
                "base64",
                provenance=prov,
                extra=["ProviderPublished"],
                comment="published known answer",
            )
            if "x_signature_hex_reference" in exp:
                check(sig.hex() == exp["x_signature_hex_reference"])
                sign_case(
                    sg,
                    km,
                    ck,
                    ts,
                    "hex",
                    ["ProviderPublished"],
                    provenance=prov,
                    comment="published hex reference",
                )
        ck0 = entries[0][0]["inputs"][entries[0][1]]
        ts0 = entries[0][0]["inputs"]["x_timestamp"]
        alt = timestamp_alternatives(ts0)[0]
        verify_invalid(
            vg,
            km,
            ck0,
            ts0,
            "TimestampMismatch",
            f"published key; sender signed {alt}",
            sender_ts=alt,
        )
    return sign, verify


# --------------------------------------------------------------------------------------
# Service files (HMAC and RSA)
# --------------------------------------------------------------------------------------


@dataclass
class ServiceBuilder:
    kind: Kind
    sign: VectorFile
    verify: VectorFile

    def stage_fields(self, st: Stages) -> Json:
        return {
            "minifiedBody": st.minified.decode("utf-8"),
            "bodySha256": st.body_sha,
            "stringToSign": st.sts,
        }

    def request_fields(self, req: Request, secret: str | None) -> Json:
        t: Json = {"method": req.method, "path": req.path, **body_fields(req.body)}
        t["timestamp"] = req.timestamp
        if self.kind == "hmac":
            t["accessToken"] = req.token
            t["clientSecret"] = secret
        return t

    def raw_sign(self, sts: str, secret: str | None, km: KeyMaterial | None) -> bytes:
        if self.kind == "hmac":
            return hmac_sha512(some(secret), sts)
        return rsa_sign(some(some(km).private_pem), sts)

    def descriptive(self, req: Request, secret: str | None, km: KeyMaterial | None) -> list[str]:
        return merge_flags(
            weak_flags(km) if km else [],
            km.flags() if km else [],
            body_flags(req.body),
            path_flags(req.path),
            ts_flags(req.timestamp),
            ["LowercaseMethodInput"] if req.method != req.method.upper() else [],
            secret_flags(secret) if secret else [],
        )

    def sign_case(
        self,
        g: Json,
        req: Request,
        *,
        include_query: bool,
        secret: str | None = None,
        km: KeyMaterial | None = None,
        enc: Encoding = "base64",
        comment: str = "",
        extra: list[str] | None = None,
        prov: Json | None = None,
        published_sig: str | None = None,
    ) -> bytes:
        st = correct_stages(req, include_query)
        sig = self.raw_sign(st.sts, secret, km)
        if published_sig is not None:
            check(encode_sig(sig, enc) == published_sig, "published signature mismatch")
        weak = bool(km and km.size < 2048)
        t: Json = {
            "comment": comment or f"{enc} output",
            "flags": merge_flags(
                self.descriptive(req, secret, km),
                ["HexEncoding"] if enc == "hex" else [],
                extra or [],
            ),
        }
        if prov is not None:
            t["provenance"] = prov
        t.update(self.request_fields(req, secret))
        t.update(self.stage_fields(st))
        t.update({"signature": encode_sig(sig, enc), "encoding": enc})
        t["result"] = "acceptable" if weak else "valid"
        self.sign.add(g, t)
        return sig

    def verify_valid(
        self,
        g: Json,
        req: Request,
        *,
        include_query: bool,
        secret: str | None = None,
        km: KeyMaterial | None = None,
        enc: Encoding = "base64",
        comment: str = "",
        extra: list[str] | None = None,
        prov: Json | None = None,
        published_sig: str | None = None,
    ) -> None:
        st = correct_stages(req, include_query)
        if km is not None and km.private_pem is None:
            sig = base64.b64decode(some(published_sig))
            check(rsa_verifies(km.public_pem, st.sts, sig), "published signature does not verify")
        else:
            sig = self.raw_sign(st.sts, secret, km)
            if published_sig is not None:
                check(encode_sig(sig, "base64") == published_sig)
        if km is not None:
            check(rsa_verifies(km.public_pem, st.sts, sig))
        hexed = enc == "hex"
        weak = bool(km and km.size < 2048)
        check(not (hexed and weak))
        flags = (
            ["HexInsteadOfBase64"]
            if hexed
            else merge_flags(self.descriptive(req, secret, km), extra or [])
        )
        t: Json = {"comment": comment or "correct signature", "flags": flags}
        if prov is not None:
            t["provenance"] = prov
        t.update(self.request_fields(req, secret))
        t.update(self.stage_fields(st))
        t.update({"signature": encode_sig(sig, enc), "encoding": enc})
        t["result"] = "acceptable" if (hexed or weak) else "valid"
        self.verify.add(g, t)

    def verify_invalid(
        self,
        g: Json,
        req: Request,
        flag: str,
        sender: Sender,
        *,
        include_query: bool,
        comment: str,
        secret: str | None = None,
        km: KeyMaterial | None = None,
        published_sig: str | None = None,
    ) -> None:
        c = correct_stages(req, include_query)
        s = sender_stages(req, include_query, sender)
        if published_sig is not None:
            # The presented signature is a published one, made by the provider over the
            # sender's string to sign; we cannot re-sign it (no private key).
            check(sender.key is None)
            presented = base64.b64decode(published_sig)
            check(rsa_verifies(some(km).public_pem, s.sts, presented))
            correct = b""
        else:
            presented = self.raw_sign(s.sts, sender.secret or secret, sender.key or km)
            correct = self.raw_sign(c.sts, secret, km)
        if km is not None:
            check(not rsa_verifies(km.public_pem, c.sts, presented))
        else:
            check(not hmac.compare_digest(presented, hmac_sha512(some(secret), c.sts)))
        stage = check_invalid_case(flag, req, include_query, self.kind, s, presented, correct)
        if flag == "WrongKeyOrSecret":
            check((sender.secret is not None) != (sender.key is not None))
        else:
            check(sender.secret is None and sender.key is None)
        t: Json = {"comment": comment, "flags": [flag]}
        t.update(self.request_fields(req, secret))
        t.update(self.stage_fields(c))
        t.update(
            {
                "signature": encode_sig(presented, "base64"),
                "encoding": "base64",
                "result": "invalid",
                "mismatchAt": stage,
            }
        )
        sj: Json = self.stage_fields(s)
        if sender.secret is not None:
            sj["clientSecret"] = sender.secret
        if sender.key is not None:
            sj["privateKeyPem"] = sender.key.private_pem
            sj["publicKeyPem"] = sender.key.public_pem
        t["sender"] = sj
        self.verify.add(g, t)


def common_invalid_cases(kind: Kind) -> list[tuple[str, Request, Sender, str]]:
    """Invalid cases shared by HMAC and RSA verify files (pathIncludesQuery true)."""
    tok = TOKEN_1 if kind == "hmac" else None

    def r(method: str, path: str, body: bytes | None, ts: str = TS_JKT) -> Request:
        return Request(method, path, body, ts, tok)

    qr = published()["midtrans-demo-hmac"]["inputs"]["body_as_written"].encode()
    doku = published()["doku-body-hash"]["inputs"]["body_pretty"].encode()
    p_va = "/v1.0/transfer-va/create-va"
    p_qr = "/v1.0/qr/qr-mpm-generate"
    p_dd = "/v1.0/debit/payment-host-to-host"
    p_bal = "/v1.0/balance-inquiry?accountNo=2000200202&currency=IDR"
    p_st = "/snap/v1.0/transfer-va/inquiry-va?partnerServiceId=%20%20088899&trxId=abc"
    cases: list[tuple[str, Request, Sender, str]] = [
        # body stage
        (
            "PrettyBodyHashed",
            r("POST", p_qr, qr),
            Sender(hashed=qr),
            "Midtrans demo body, raw pretty bytes hashed",
        ),
        (
            "PrettyBodyHashed",
            r("POST", p_va, doku),
            Sender(hashed=doku),
            "DOKU body, raw pretty bytes hashed",
        ),
        (
            "PrettyBodyHashed",
            r("POST", p_dd, B_CTRL_WS),
            Sender(hashed=B_CTRL_WS),
            "CR/LF/tab body hashed raw",
        ),
        (
            "BodyReserialised",
            r("POST", p_dd, B_UNSORTED),
            Sender(hashed=reserialise(B_UNSORTED, "sortKeysCompact")),
            "sender sorted keys",
        ),
        (
            "BodyReserialised",
            r("POST", p_va, B_COMPACT),
            Sender(hashed=reserialise(B_COMPACT, "defaultSeparators")),
            "sender used ', ' and ': ' separators",
        ),
        (
            "BodyReserialised",
            r("POST", p_dd, B_NUMBERS),
            Sender(hashed=reserialise(B_NUMBERS, "compact")),
            "number spellings changed by re-encoding",
        ),
        (
            "BodyReserialised",
            r("POST", p_dd, B_ESCAPES),
            Sender(hashed=reserialise(B_ESCAPES, "compact")),
            "escapes decoded by re-encoding",
        ),
        (
            "BodyReserialised",
            r("POST", p_dd, B_DUP),
            Sender(hashed=reserialise(B_DUP, "compact")),
            "duplicate keys collapsed by re-encoding",
        ),
        (
            "SlashEscaped",
            r("POST", p_dd, B_URLS),
            Sender(hashed=slash_escape(minify(B_URLS))),
            "PHP json_encode escaped '/' in URLs",
        ),
        (
            "SlashEscaped",
            r("POST", "/v1.0/debit/refund", B_URLS_PRETTY),
            Sender(hashed=slash_escape(minify(B_URLS_PRETTY))),
            "'/' escaped in a pretty body",
        ),
        (
            "SlashEscaped",
            r("POST", p_dd, B_MIXED_SLASH),
            Sender(hashed=slash_escape(minify(B_MIXED_SLASH))),
            "raw '/' rewritten, existing '\\/' kept",
        ),
        (
            "UnicodeEscaped",
            r("POST", p_va, B_UTF8),
            Sender(hashed=unicode_escape(minify(B_UTF8))),
            "non-ASCII written as \\uXXXX (emoji as surrogate pair)",
        ),
        (
            "UnicodeEscaped",
            r("POST", p_va, B_UTF8_PRETTY),
            Sender(hashed=unicode_escape(minify(B_UTF8_PRETTY))),
            "pretty UTF-8 body, \\u-escaped",
        ),
        (
            "UnicodeEscaped",
            r("POST", p_va, B_UTF8_EMOJI_ONLY),
            Sender(hashed=unicode_escape(minify(B_UTF8_EMOJI_ONLY))),
            "emoji only, surrogate pairs",
        ),
        (
            "InnerWhitespaceStripped",
            r("POST", p_va, B_INNER_WS),
            Sender(hashed=strip_all_whitespace(B_INNER_WS)),
            "spaces inside strings deleted",
        ),
        (
            "InnerWhitespaceStripped",
            r("POST", p_va, B_COMPACT),
            Sender(hashed=strip_all_whitespace(B_COMPACT)),
            "leading spaces of '  088899' deleted",
        ),
        (
            "InnerWhitespaceStripped",
            r("POST", p_va, doku),
            Sender(hashed=strip_all_whitespace(doku)),
            "DOKU body, all whitespace deleted",
        ),
        (
            "InnerWhitespaceStripped",
            r("POST", p_dd, B_INNER_WS_COMPACT),
            Sender(hashed=strip_all_whitespace(B_INNER_WS_COMPACT)),
            "compact body, spaces in names deleted",
        ),
        # empty body
        (
            "EmptyBodyAsBraces",
            r("GET", p_bal, None),
            Sender(hashed=b"{}"),
            "GET without body, sender hashed '{}'",
        ),
        (
            "EmptyBodyAsBraces",
            r("GET", p_st, None),
            Sender(hashed=b"{}"),
            "GET without body, sender hashed '{}'",
        ),
        (
            "EmptyBodyAsBraces",
            r("DELETE", "/v1.0/transfer-va/delete-va", None, TS_Z_MS),
            Sender(hashed=b"{}"),
            "DELETE without body, sender hashed '{}'",
        ),
        (
            "EmptyBodyAsNull",
            r("GET", p_bal, None),
            Sender(hashed=b"null"),
            "GET without body, sender hashed 'null'",
        ),
        (
            "EmptyBodyAsNull",
            r("GET", p_st, None),
            Sender(hashed=b"null"),
            "GET without body, sender hashed 'null'",
        ),
        (
            "EmptyBodyAsNull",
            r("GET", "/v1.0/balance-inquiry?a=1", b""),
            Sender(hashed=b"null"),
            "empty body, sender hashed 'null'",
        ),
        # string to sign
        (
            "QueryDropped",
            r("GET", p_bal, None),
            Sender(path="/v1.0/balance-inquiry"),
            "query string dropped",
        ),
        (
            "QueryDropped",
            r("GET", p_st, None),
            Sender(path="/snap/v1.0/transfer-va/inquiry-va"),
            "query string dropped, prefixed path",
        ),
        (
            "QueryDropped",
            r("POST", "/v1.0/debit/status?lang=id", B_COMPACT),
            Sender(path="/v1.0/debit/status"),
            "POST with query, query dropped",
        ),
        (
            "PathPrefixMissing",
            r("POST", "/snap/v1.0/transfer-va/create-va", B_COMPACT),
            Sender(path=p_va),
            "BRI-style /snap prefix not signed",
        ),
        (
            "PathPrefixMissing",
            r("POST", "/ordersnap/api/v1.0/qr/qr-mpm-generate", qr),
            Sender(path=p_qr),
            "Qoinhub /ordersnap/api prefix not signed",
        ),
        (
            "PathPrefixMissing",
            r("POST", "/snap-service/v1/transfer/status", B_COMPACT),
            Sender(path="/v1/transfer/status"),
            "BNI /snap-service prefix not signed",
        ),
        (
            "PathPrefixMissing",
            r("POST", p_qr, qr),
            Sender(path="/openapi" + p_qr),
            "sender signed a BCA-style /openapi prefix the request lacks",
        ),
        (
            "PathPrefixMissing",
            r("GET", p_bal, None),
            Sender(path="/api" + p_bal),
            "sender signed /api prefix the request lacks",
        ),
        (
            "TimestampMismatch",
            r("POST", p_va, B_COMPACT, TS_JKT),
            Sender(timestamp="2024-03-05T10:37:16Z"),
            "header +07:00, sender signed UTC Z",
        ),
        (
            "TimestampMismatch",
            r("POST", p_va, B_COMPACT, TS_Z_MS),
            Sender(timestamp=TS_JKT_MS),
            "header Z millis, sender signed +07:00 millis",
        ),
        (
            "TimestampMismatch",
            r("POST", p_qr, qr, TS_JKT),
            Sender(timestamp="2024-03-05T10:37:16.000Z"),
            "header +07:00, sender signed Z .000",
        ),
        (
            "TimestampMismatch",
            r("POST", p_qr, qr, TS_JKT),
            Sender(timestamp="2024-03-05T17:37:17+07:00"),
            "sender's timestamp one second later",
        ),
        (
            "TimestampMismatch",
            r("GET", p_bal, None, TS_Z_MS),
            Sender(timestamp="2024-03-05T10:37:15.196Z"),
            "sender's timestamp one second earlier",
        ),
        (
            "LowercaseMethod",
            r("POST", p_va, B_COMPACT),
            Sender(method="post"),
            "sender signed 'post'",
        ),
        ("LowercaseMethod", r("GET", p_bal, None), Sender(method="get"), "sender signed 'get'"),
        ("LowercaseMethod", r("POST", p_qr, qr), Sender(method="post"), "sender signed 'post'"),
    ]
    if kind == "hmac":
        check(tok is not None)
        cases += [
            (
                "BearerInStringToSign",
                r("POST", p_va, B_COMPACT),
                Sender(token="Bearer " + some(tok)),
                "'Bearer ' in the string to sign",
            ),
            (
                "BearerInStringToSign",
                r("GET", p_bal, None),
                Sender(token="Bearer " + some(tok)),
                "'Bearer ' in the string to sign (GET)",
            ),
            (
                "BearerInStringToSign",
                r("POST", p_qr, qr, TS_Z_MS),
                Sender(token="Bearer " + some(tok)),
                "'Bearer ' in the string to sign",
            ),
        ]
    return cases


def build_service(pub: dict[str, Json], keys: Keys, kind: Kind) -> tuple[VectorFile, VectorFile]:
    if kind == "hmac":
        header = [
            "SNAP symmetric service signature (X-SIGNATURE of a transaction call): HMAC-SHA512 "
            "keyed with the client secret's UTF-8 bytes over "
            "METHOD:path:accessToken:lowerhex(sha256(minify(body))):X-TIMESTAMP.",
        ]
        algorithm, base = "HMAC-SHA512", "service_hmac"
        gtype = "ServiceHmac"
    else:
        header = [
            "SNAP asymmetric service signature, also used by providers (Midtrans, DANA) to sign "
            "notifications to merchants: SHA256withRSA (RSASSA-PKCS1-v1_5, SHA-256) over "
            "METHOD:path:lowerhex(sha256(minify(body))):X-TIMESTAMP.",
        ]
        algorithm, base = "SHA256withRSA", "service_rsa"
        gtype = "ServiceRsa"
    header += [
        "minify removes space, tab, CR and LF outside string literals and changes nothing else; "
        "no body and an empty body both give the empty string.",
        "path is the relative path exactly as sent, including ?query unless the group says "
        "pathIncludesQuery: false. The method is upper-cased; the timestamp is used verbatim.",
        TEST_ONLY_HEADER,
    ]
    sign = VectorFile(f"{base}_sign", algorithm, f"{gtype}Sign", [*header, "Sign vectors."])
    verify = VectorFile(
        f"{base}_verify",
        algorithm,
        f"{gtype}Verify",
        [
            *header,
            "Verify vectors: top-level stages are what a correct verifier computes from the "
            "request as received; signature is the presented X-SIGNATURE; for invalid cases "
            "'sender' holds the sender's own (wrong) stages.",
        ],
    )
    sb = ServiceBuilder(kind, sign, verify)
    pq = published()
    qr_entry = pq["midtrans-demo-hmac"]
    qr = qr_entry["inputs"]["body_as_written"].encode()
    notif_entry = pq["midtrans-demo-notification"]
    notif = notif_entry["inputs"]["body_as_written"].encode()
    tok = TOKEN_1 if kind == "hmac" else None

    def r(
        method: str, path: str, body: bytes | None, ts: str = TS_JKT, token: str | None = tok
    ) -> Request:
        return Request(method, path, body, ts, token if kind == "hmac" else None)

    valid_requests: list[tuple[Request, Encoding]] = [
        (r("POST", "/v1.0/transfer-va/create-va", B_COMPACT), "base64"),
        (r("POST", "/v1.0/debit/payment-host-to-host", B_URLS), "base64"),
        (r("POST", "/v1.0/transfer-va/create-va", B_UTF8), "base64"),
        (r("POST", "/v1.0/debit/payment-host-to-host", B_ESCAPES, TS_Z_MS), "base64"),
        (r("POST", "/v1.0/debit/payment-host-to-host", B_NUMBERS), "hex"),
        (r("POST", "/v1.0/debit/payment-host-to-host", B_DUP), "base64"),
        (r("POST", "/snap/v1.0/transfer-va/create-va", B_EMPTY_OBJ, TS_JKT_MS), "base64"),
        (r("POST", "/v1.0/qr/qr-mpm-query", B_ARRAY), "base64"),
        (r("POST", "/openapi/v1.0/qr/qr-mpm-generate", B_CTRL_WS, TS_Z), "hex"),
        (r("POST", "/v1.0/transfer-va/create-va", B_INNER_WS), "base64"),
        (r("post", "/v1.0/transfer-va/create-va", B_UTF8_PRETTY, TS_OTHER), "base64"),
        (r("POST", "/v1.0/debit/payment-host-to-host", B_LARGE), "base64"),
        (r("GET", "/v1.0/balance-inquiry?accountNo=2000200202&currency=IDR", None), "base64"),
        (
            r("GET", "/snap-service/v1/transfer/status?partnerReferenceNo=A%2FB", None, TS_Z_MS),
            "hex",
        ),
        (r("DELETE", "/v1.0/transfer-va/delete-va", b""), "base64"),
        (r("POST", "/v1.0/debit/notify", notif), "base64"),
    ]
    if kind == "hmac":
        valid_requests.append((r("POST", "/v1.0/qr/qr-mpm-generate", qr, token=TOKEN_2), "base64"))

    # Key / secret plan for valid cases.
    if kind == "hmac":
        creds: list[tuple[str | None, KeyMaterial | None]] = [
            (SECRET_1, None),
            (SECRET_B64, None),
            (SECRET_UTF8, None),
            (SECRET_LONG, None),
        ]
    else:
        creds = [
            (None, keys.k2048_p8),
            (None, keys.k2048_p1),
            (None, keys.k4096_p1),
            (None, keys.k4096_p8),
        ]

    # --- pathIncludesQuery: true, generated credentials
    for ci, (secret, km) in enumerate(creds):
        gfields: Json = {"pathIncludesQuery": True}
        if km is not None:
            gfields = {**km.group_fields(), **gfields}
        sg = sign.group(gfields)
        vg = verify.group(gfields)
        for i, (req, enc) in enumerate(valid_requests):
            # Spread requests across credentials; the first credential gets all of them.
            if ci > 0 and (i % len(creds) != ci or req.body == B_LARGE):
                continue
            sb.sign_case(sg, req, include_query=True, secret=secret, km=km, enc=enc)
            sb.verify_valid(vg, req, include_query=True, secret=secret, km=km)
        if ci == 0:
            for req, _ in valid_requests[:3]:
                sb.verify_valid(
                    vg,
                    req,
                    include_query=True,
                    secret=secret,
                    km=km,
                    enc="hex",
                    comment="correct signature, hex-encoded",
                )
            for flag, req, sender, comment in common_invalid_cases(kind):
                sb.verify_invalid(
                    vg, req, flag, sender, include_query=True, comment=comment, secret=secret, km=km
                )
            wrong = Sender(secret=SECRET_WRONG) if kind == "hmac" else Sender(key=keys.wrong)
            for req in (valid_requests[0][0], valid_requests[12][0], valid_requests[2][0]):
                sb.verify_invalid(
                    vg,
                    req,
                    "WrongKeyOrSecret",
                    wrong,
                    include_query=True,
                    comment="signed with another secret/key",
                    secret=secret,
                    km=km,
                )

    # --- pathIncludesQuery: false
    secret0, km0 = creds[0]
    gfields = {"pathIncludesQuery": False}
    if km0 is not None:
        gfields = {**km0.group_fields(), **gfields}
    sg = sign.group(gfields)
    vg = verify.group(gfields)
    nq = [
        r("GET", "/v1.0/balance-inquiry?accountNo=2000200202&currency=IDR", None),
        r("POST", "/snap/v1.0/transfer-va/inquiry?lang=id", B_COMPACT),
        r("GET", "/v1.0/transfer/status?ref=A1&page=2", None, TS_Z),
    ]
    for req in nq:
        sb.sign_case(
            sg,
            req,
            include_query=False,
            secret=secret0,
            km=km0,
            comment="bare path signed (query stripped)",
        )
        sb.verify_valid(vg, req, include_query=False, secret=secret0, km=km0)
    for req in nq:
        sb.verify_invalid(
            vg,
            req,
            "QueryAdded",
            Sender(path=req.path),
            include_query=False,
            comment="sender signed path+query",
            secret=secret0,
            km=km0,
        )

    # --- 1024-bit keys (RSA only): acceptable WeakKey1024
    if kind == "rsa":
        for km in (keys.k1024_p1, keys.k1024_p8):
            gfields = {**km.group_fields(), "pathIncludesQuery": True}
            sg = sign.group(gfields)
            vg = verify.group(gfields)
            for req, enc in (valid_requests[0], valid_requests[15], valid_requests[12]):
                sb.sign_case(sg, req, include_query=True, km=km, enc=enc)
                sb.verify_valid(vg, req, include_query=True, km=km)

    # --- provider-published
    if kind == "hmac":
        docs = pq["midtrans-docs-hmac"]
        di = docs["inputs"]
        check(di["request_body"] is None)
        sts = service_sts(
            di["http_method"],
            di["endpoint_url"],
            di["access_token"],
            di["body_sha256_lower_hex"],
            di["x_timestamp"],
        )
        check(sts == di["string_to_sign"])
        mac = hmac_sha512(di["client_secret"], sts)
        check(encode_sig(mac, "base64") == docs["expected"]["x_signature_base64"])
        check(mac.hex() == docs["expected"]["x_signature_hex_reference"])
        fields = [
            "method",
            "path",
            "accessToken",
            "bodySha256",
            "timestamp",
            "clientSecret",
            "stringToSign",
            "signature",
        ]
        for vf in (sign, verify):
            g = vf.group(
                {"pathIncludesQuery": True, "comment": "Midtrans docs: body not published"}
            )
            for enc in ("base64", "hex") if vf is sign else ("base64",):
                vf.add(
                    g,
                    {
                        "comment": "published known answer; only the body hash is published",
                        "flags": ["BodyHashOnly", "ProviderPublished"]
                        + (["HexEncoding"] if enc == "hex" else []),
                        "provenance": provenance(docs, fields),
                        "method": di["http_method"],
                        "path": di["endpoint_url"],
                        "timestamp": di["x_timestamp"],
                        "accessToken": di["access_token"],
                        "clientSecret": di["client_secret"],
                        "bodySha256": di["body_sha256_lower_hex"],
                        "stringToSign": sts,
                        "signature": encode_sig(mac, enc),
                        "encoding": enc,
                        "result": "valid",
                    },
                )
        qi = qr_entry["inputs"]
        req = Request(qi["method"], qi["path"], qr, qi["x_timestamp"], qi["access_token"])
        st = correct_stages(req, True)
        check(st.minified == qi["body_minified"].encode())
        check(st.body_sha == qr_entry["expected"]["body_sha256_hex"])
        check(st.sts == qr_entry["expected"]["string_to_sign"])
        fields = [
            "method",
            "path",
            "body",
            "timestamp",
            "accessToken",
            "clientSecret",
            "minifiedBody",
            "bodySha256",
            "stringToSign",
            "signature",
        ]
        prov = provenance(qr_entry, fields)
        sg = sign.group({"pathIncludesQuery": True, "comment": "Midtrans SNAP-BI-Signature-Demo"})
        vg = verify.group({"pathIncludesQuery": True, "comment": "Midtrans SNAP-BI-Signature-Demo"})
        pub_sig = qr_entry["expected"]["x_signature_base64"]
        sb.sign_case(
            sg,
            req,
            include_query=True,
            secret=qi["client_secret"],
            prov=prov,
            extra=["ProviderPublished"],
            published_sig=pub_sig,
            comment="published known answer",
        )
        sb.verify_valid(
            vg,
            req,
            include_query=True,
            secret=qi["client_secret"],
            prov=prov,
            extra=["ProviderPublished"],
            published_sig=pub_sig,
            comment="published known answer",
        )
    else:
        ni = notif_entry["inputs"]
        req = Request(ni["method"], ni["path"], notif, ni["x_timestamp"])
        st = correct_stages(req, True)
        check(st.minified == ni["body_minified"].encode())
        check(st.body_sha == notif_entry["expected"]["body_sha256_hex"])
        check(st.sts == notif_entry["expected"]["string_to_sign"])
        check(ni["public_key_pem"].strip() == keys.midtrans.public_pem.strip())
        fields = [
            "method",
            "path",
            "body",
            "timestamp",
            "minifiedBody",
            "bodySha256",
            "stringToSign",
            "signature",
        ]
        prov = provenance(notif_entry, fields)
        pub_sig = notif_entry["expected"]["x_signature_base64"]
        gfields = {
            **keys.midtrans.group_fields(),
            "pathIncludesQuery": True,
            "comment": keys.midtrans.comment,
        }
        sg = sign.group(gfields)
        vg = verify.group(gfields)
        sb.sign_case(
            sg,
            req,
            include_query=True,
            km=keys.midtrans,
            prov=prov,
            extra=["ProviderPublished"],
            published_sig=pub_sig,
            comment="published known answer (Midtrans notification)",
        )
        sb.verify_valid(
            vg,
            req,
            include_query=True,
            km=keys.midtrans,
            prov=prov,
            extra=["ProviderPublished"],
            published_sig=pub_sig,
            comment="published known answer (Midtrans notification)",
        )
        sb.verify_invalid(
            vg,
            req,
            "PrettyBodyHashed",
            Sender(hashed=notif),
            include_query=True,
            comment="Midtrans key; notification body hashed raw",
            km=keys.midtrans,
        )

        dana_entry = pq["dana-notification"]
        di = dana_entry["inputs"]
        dana_body = di["body"].encode()
        dreq = Request(di["http_method"], di["relative_path"], dana_body, di["x_timestamp"])
        fields = ["method", "path", "body", "timestamp", "publicKeyPem", "signature"]
        prov = provenance(dana_entry, fields)
        dsig = di["x_signature_base64"]
        vg = verify.group(
            {**keys.dana.group_fields(), "pathIncludesQuery": True, "comment": keys.dana.comment}
        )
        sb.verify_valid(
            vg,
            dreq,
            include_query=True,
            km=keys.dana,
            prov=prov,
            extra=["ProviderPublished"],
            published_sig=dsig,
            comment="published DANA notification (verify only; no private key)",
        )
        # Derived invalid cases: DANA's published signature presented with a request that
        # differs from what DANA signed.
        derived: list[tuple[str, Request, Sender, str]] = [
            (
                "TimestampMismatch",
                replace(dreq, timestamp="2025-09-16T05:11:30Z"),
                Sender(timestamp=di["x_timestamp"]),
                "header rewritten to UTC Z; DANA signed the +07:00 form",
            ),
            (
                "QueryDropped",
                replace(dreq, path=di["relative_path"] + "?source=dana"),
                Sender(path=di["relative_path"]),
                "merchant's notify URL carries a query DANA did not sign",
            ),
            (
                "PathPrefixMissing",
                replace(dreq, path="/v2/test-notif/dana"),
                Sender(path=di["relative_path"]),
                "request path lacks the /api prefix that DANA signed",
            ),
        ]
        for flag, dr, snd, comment in derived:
            sb.verify_invalid(
                vg,
                dr,
                flag,
                snd,
                include_query=True,
                comment=comment,
                km=keys.dana,
                published_sig=dsig,
            )
    return sign, verify


# --------------------------------------------------------------------------------------
# Minify file
# --------------------------------------------------------------------------------------


def build_minify(pub: dict[str, Json]) -> VectorFile:
    vf = VectorFile(
        "minify",
        "SNAP-minify",
        "Minify",
        [
            "SNAP body minify: remove JSON insignificant whitespace (space, tab, CR, LF) outside "
            "string literals and change nothing else; then SHA-256, lowercase hex.",
            "No body and the empty body minify to the empty string.",
            "Inputs that are not JSON must raise; errorOffset is the byte offset of the first "
            "byte that cannot continue a JSON text (the input length when it ends early).",
        ],
    )
    doku = pub["doku-body-hash"]
    valid: list[tuple[bytes, list[str], str]] = [
        (b"", ["EmptyBody"], "empty body"),
        (B_EMPTY_OBJ, ["EmptyObject"], "{}"),
        (b" { } ", ["EmptyObject"], "{} with surrounding spaces"),
        (b"[ ]", ["TopLevelArray"], "empty array"),
        (B_ARRAY, ["TopLevelArray"], "array of objects"),
        (b'"a b"', ["TopLevelScalar", "InnerWhitespace"], "top-level string"),
        (b" 42 ", ["TopLevelScalar"], "top-level number"),
        (b"null", ["TopLevelScalar"], "top-level null"),
        (B_COMPACT, ["InnerWhitespace"], "already minified"),
        (B_INNER_WS, ["PrettyBody", "InnerWhitespace"], "pretty, spaces inside strings kept"),
        (B_CTRL_WS, ["ControlWhitespace"], "CR/LF/tab between tokens"),
        (B_ESCAPES, ["EscapeSequences"], "escapes kept"),
        (
            b'{ "u" : "\\u00E9\\u00e9", "s" : "\\/\\\\\\"" }',
            ["EscapeSequences"],
            "upper/lower hex escapes kept",
        ),
        (B_UTF8, ["RawUtf8"], "raw UTF-8 incl. emoji"),
        (B_UTF8_PRETTY, ["PrettyBody", "RawUtf8"], "pretty raw UTF-8"),
        (B_NUMBERS, ["NumberSpelling"], "number spellings kept"),
        (
            b"[ -0 , 0.0 , 1E+2 , 1e-0 , -12.500e10 ]",
            ["NumberSpelling", "TopLevelArray"],
            "more numbers",
        ),
        (B_DUP, ["DuplicateKeys"], "duplicate keys kept"),
        (B_URLS, [], "raw slashes kept"),
        (B_URLS_PRETTY, ["PrettyBody"], "pretty with slashes"),
        (b'{"a":[true,false,null],"b":{"c":{}}}', [], "literals and nesting"),
        (
            b'{"k":"tab\\there","sp":" ","nl":"a\\nb"}',
            ["EscapeSequences", "InnerWhitespace"],
            "escaped control characters kept",
        ),
        (B_LARGE, ["LargeBody", "PrettyBody", "RawUtf8"], "body over 100 KB"),
    ]
    g = vf.group({"comment": "valid JSON"})
    for body, flags, comment in valid:
        m = minify(body)
        vf.add(
            g,
            {
                "comment": comment,
                "flags": flags,
                "input": body.decode("utf-8"),
                "minifiedBody": m.decode("utf-8"),
                "bodySha256": sha256_hex(m),
                "result": "valid",
            },
        )
    # bytes an editor could alter: given as base64
    for body, comment in (
        (b'{\r\n "a" : "b"\r\n}\r\n', "CRLF line ends, given as base64"),
        ('{\t"name":\t"Ana 🐈"\t}\n'.encode(), "tabs and emoji, given as base64"),
    ):
        m = minify(body)
        vf.add(
            g,
            {
                "comment": comment,
                "flags": ["BinaryInput", "ControlWhitespace"],
                "inputBase64": base64.b64encode(body).decode("ascii"),
                "minifiedBody": m.decode("utf-8"),
                "minifiedBodyBase64": base64.b64encode(m).decode("ascii"),
                "bodySha256": sha256_hex(m),
                "result": "valid",
            },
        )
    # provider-published
    pg = vf.group({"comment": "provider-published body hash"})
    di = doku["inputs"]
    m = minify(di["body_pretty"].encode())
    check(m == di["body_minified"].encode())
    check(sha256_hex(m) == doku["expected"]["lowercase_hex_sha256_of_minified_body"])
    vf.add(
        pg,
        {
            "comment": "DOKU symmetric-signature page: pretty body, spaces inside values kept",
            "flags": ["ProviderPublished", "PrettyBody", "InnerWhitespace"],
            "provenance": provenance(doku, ["input", "minifiedBody", "bodySha256"]),
            "input": di["body_pretty"],
            "minifiedBody": m.decode("utf-8"),
            "bodySha256": sha256_hex(m),
            "result": "valid",
        },
    )
    ig = vf.group({"comment": "not JSON: minify must raise"})
    invalid: list[tuple[bytes, str, int, str]] = [
        (b'{"a":1', "Truncated", 6, "object not closed"),
        (
            b'{"partnerReferenceNo":"INV-1","amount":{"value":"1.00"',
            "Truncated",
            54,
            "nested object not closed",
        ),
        (b'{"a":"abc', "Truncated", 9, "string not closed"),
        (b'{"a":tr', "Truncated", 7, "literal cut short"),
        (b"partnerReferenceNo=INV-1&amount=1.00", "FormEncoded", 0, "form-encoded body"),
        (b"a=1&b=%7B%7D", "FormEncoded", 0, "form-encoded body"),
        (b'{"a":1}x', "TrailingGarbage", 7, "byte after the object"),
        (b'{"a":1} {"b":2}', "TrailingGarbage", 8, "two JSON values"),
        (b"[1,2]]", "TrailingGarbage", 5, "extra closing bracket"),
        (b'{"a":[1}', "Unbalanced", 7, "'}' closes an array"),
        (b'[{"a":1]', "Unbalanced", 7, "']' closes an object"),
        (b'{"a":1]}', "Unbalanced", 6, "']' in an object"),
        (b'{"a":}', "MissingValue", 5, "member without value"),
        (b'{"a":1,}', "MissingValue", 7, "trailing comma in object"),
        (b"[1,,2]", "MissingValue", 3, "empty array element"),
        (b"{'a':1}", "BadToken", 1, "single-quoted key"),
        (b'{"a":01}', "BadToken", 6, "leading zero"),
        (b'{"a":"\\x"}', "BadToken", 7, "invalid escape"),
        (b'{"a":"tab\there"}', "BadToken", 9, "raw tab inside a string"),
        (b'{"a":NaN}', "BadToken", 5, "NaN"),
    ]
    for body, flag, offset, comment in invalid:
        try:
            minify(body)
        except NotJSONError as e:
            check(e.offset == offset, (body, e.offset, offset))
        else:
            raise AssertionError(f"minify accepted {body!r}")
        vf.add(
            ig,
            {
                "comment": comment,
                "flags": [flag],
                "input": body.decode("utf-8"),
                "errorOffset": offset,
                "result": "invalid",
            },
        )
    return vf


# --------------------------------------------------------------------------------------
# Timestamp file
# --------------------------------------------------------------------------------------


def build_timestamp() -> VectorFile:
    vf = VectorFile(
        "timestamp",
        "SNAP-X-TIMESTAMP",
        "Timestamp",
        [
            "X-TIMESTAMP parsing: yyyy-MM-ddTHH:mm:ss[.SSS](+hh:mm|-hh:mm|Z). A valid value "
            "gives an aware datetime; epochSeconds (and epochMillis for millisecond values) is "
            "its POSIX time, utcOffsetMinutes its offset ('Z' is 0).",
            "Invalid values must raise. Signing always uses the header string verbatim.",
        ],
    )
    g = vf.group({"comment": "valid"})
    valid = [
        TS_JKT,
        TS_JKT_MS,
        TS_Z,
        TS_Z_MS,
        "2024-03-05T10:37:16.000Z",
        TS_2020,
        "2023-07-31T07:10:00+07:00",
        "2024-03-01T08:27:49.024Z",
        "2025-09-16T12:11:30+07:00",
        "2024-03-05T10:37:16+00:00",
        TS_OTHER,
        "2024-03-05T16:22:16+05:45",
        "2024-02-29T23:59:59+07:00",
        "1970-01-01T07:00:00+07:00",
        "2024-12-31T23:59:59.999Z",
    ]
    for ts in valid:
        dt = parse_ts(ts)
        off = dt.utcoffset()
        check(off is not None)
        ms = round(dt.timestamp() * 1000)
        t: Json = {"comment": "valid", "flags": ts_flags(ts), "timestamp": ts}
        if "." in ts:
            t["epochSeconds"] = ms / 1000
            t["epochMillis"] = ms
        else:
            check(ms % 1000 == 0)
            t["epochSeconds"] = ms // 1000
        t["utcOffsetMinutes"] = int(some(off).total_seconds()) // 60
        t["result"] = "valid"
        vf.add(g, t)
    ig = vf.group({"comment": "invalid: must raise"})
    invalid = [
        ("2024-01-01T10:00:00", "NaiveTimestamp", "no offset"),
        ("2024-03-05T17:37:16.196", "NaiveTimestamp", "millis, no offset"),
        ("", "EmptyTimestamp", "empty"),
        ("not-a-timestamp", "MalformedTimestamp", "text"),
        ("1709635036", "MalformedTimestamp", "epoch seconds"),
        ("2024-03-05", "MalformedTimestamp", "date only"),
        ("Tue, 05 Mar 2024 17:37:16 +0700", "MalformedTimestamp", "RFC 2822"),
        ("2024-03-05T17:37:16GMT+7", "MalformedTimestamp", "GMT+7"),
        ("2024-13-01T10:00:00+07:00", "ImpossibleDate", "month 13"),
        ("2024-02-30T10:00:00+07:00", "ImpossibleDate", "February 30"),
        ("2024-03-05T24:00:00+07:00", "ImpossibleDate", "hour 24"),
        ("2024-03-05T17:37:16+7:00", "BadOffset", "one-digit offset hour"),
        ("2024-03-05T17:37:16+07:60", "BadOffset", "offset minutes 60"),
        ("2024-03-05T17:37:16+24:00", "BadOffset", "offset 24 hours"),
        ("2024-03-05T17:37:16+07", "BadOffset", "offset without minutes"),
    ]
    for ts, flag, comment in invalid:
        try:
            parse_ts(ts)
        except ValueError:
            pass
        else:
            raise AssertionError(f"accepted {ts!r}")
        vf.add(ig, {"comment": comment, "flags": [flag], "timestamp": ts, "result": "invalid"})
    return vf


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------

HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
STR = {"type": "string"}


def schema_for(vf: VectorFile) -> Json:
    name = vf.name
    is_verify = name.endswith(("_verify", "_explain"))
    defs: Json = {
        "note": {
            "type": "object",
            "required": ["bugType", "description", "effect"],
            "additionalProperties": False,
            "properties": {"bugType": STR, "description": STR, "effect": STR},
        },
        "flags": {"type": "array", "items": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"}},
        "provenance": {
            "type": "object",
            "required": ["source", "publishedFields"],
            "additionalProperties": False,
            "properties": {
                "source": {"type": "string", "pattern": "^https://"},
                "publishedFields": {"type": "array", "items": STR, "minItems": 1},
            },
        },
        "signature": {
            "type": "string",
            "pattern": "^([0-9a-f]{128,1024}|[A-Za-z0-9+/]+={0,2})$",
        },
        "pem": {"type": "string", "pattern": "^-----BEGIN "},
    }
    common_tc = {
        "tcId": {"type": "integer", "minimum": 1},
        "comment": STR,
        "flags": {"$ref": "#/$defs/flags"},
        "provenance": {"$ref": "#/$defs/provenance"},
    }
    group_props: Json = {"type": {"const": vf.group_type}, "comment": STR}
    group_required = ["type", "tests"]
    tc_props: Json = dict(common_tc)
    tc_required = ["tcId", "comment", "flags", "result"]
    all_of: list[Json] = []
    result_enum = ["valid", "acceptable", "invalid"] if is_verify else ["valid", "acceptable"]

    if name.startswith(("access_token", "service_rsa")):
        group_props.update(
            {
                "keySize": {"enum": [1024, 2048, 4096]},
                "keyFormat": {"enum": ["pkcs1", "pkcs8"]},
                "keyFile": STR,
                "privateKeyPem": {"$ref": "#/$defs/pem"},
                "publicKeyPem": {"$ref": "#/$defs/pem"},
            }
        )
        group_required += ["keySize", "publicKeyPem"]
        if not is_verify:
            group_required += ["keyFormat", "privateKeyPem"]
    if name.startswith("service"):
        group_props["pathIncludesQuery"] = {"type": "boolean"}
        group_required.append("pathIncludesQuery")

    if name.startswith(("access_token", "service")):
        tc_props.update(
            {
                "timestamp": STR,
                "stringToSign": STR,
                "signature": {"$ref": "#/$defs/signature"},
                "encoding": {"enum": ["base64", "hex"]},
                "result": {"enum": result_enum},
            }
        )
        tc_required += ["timestamp", "stringToSign", "signature", "encoding"]
        sender_props: Json = {"stringToSign": STR}
        if name.startswith("access_token"):
            tc_props["clientKey"] = STR
            tc_required.append("clientKey")
            sender_props.update(
                {"privateKeyPem": {"$ref": "#/$defs/pem"}, "publicKeyPem": {"$ref": "#/$defs/pem"}}
            )
        else:
            tc_props.update(
                {
                    "method": STR,
                    "path": {"type": "string", "pattern": "^/"},
                    "body": {"type": ["string", "null"]},
                    "bodyBase64": STR,
                    "minifiedBody": STR,
                    "bodySha256": HEX64,
                }
            )
            tc_required += ["method", "path", "bodySha256"]
            sender_props.update({"minifiedBody": STR, "bodySha256": HEX64})
            if name.endswith("_explain"):
                sender_props["encoder"] = STR
            if name.startswith("service_hmac"):
                tc_props.update({"accessToken": STR, "clientSecret": STR})
                tc_required += ["accessToken", "clientSecret"]
                sender_props["clientSecret"] = STR
            else:
                sender_props.update(
                    {
                        "privateKeyPem": {"$ref": "#/$defs/pem"},
                        "publicKeyPem": {"$ref": "#/$defs/pem"},
                    }
                )
            # Either a body (with minifiedBody) or BodyHashOnly.
            all_of.append(
                {
                    "if": {"properties": {"flags": {"contains": {"const": "BodyHashOnly"}}}},
                    "then": {
                        "not": {
                            "anyOf": [
                                {"required": ["body"]},
                                {"required": ["bodyBase64"]},
                                {"required": ["minifiedBody"]},
                            ]
                        }
                    },
                    "else": {
                        "required": ["minifiedBody"],
                        "oneOf": [{"required": ["body"]}, {"required": ["bodyBase64"]}],
                    },
                }
            )
        if is_verify:
            tc_props["mismatchAt"] = {
                "enum": ["minifiedBody", "bodySha256", "stringToSign", "signature"]
            }
            tc_props["sender"] = {
                "type": "object",
                "required": ["stringToSign"]
                + (["minifiedBody", "bodySha256"] if name.startswith("service") else []),
                "additionalProperties": False,
                "properties": sender_props,
            }
            all_of.append(
                {
                    "if": {"properties": {"result": {"const": "invalid"}}},
                    "then": {"required": ["mismatchAt", "sender"]},
                    "else": {
                        "not": {"anyOf": [{"required": ["mismatchAt"]}, {"required": ["sender"]}]}
                    },
                }
            )
    elif name == "minify":
        tc_props.update(
            {
                "input": STR,
                "inputBase64": STR,
                "minifiedBody": STR,
                "minifiedBodyBase64": STR,
                "bodySha256": HEX64,
                "errorOffset": {"type": "integer", "minimum": 0},
                "result": {"enum": ["valid", "invalid"]},
            }
        )
        all_of += [
            {"oneOf": [{"required": ["input"]}, {"required": ["inputBase64"]}]},
            {
                "if": {"properties": {"result": {"const": "valid"}}},
                "then": {
                    "required": ["bodySha256"],
                    "anyOf": [{"required": ["minifiedBody"]}, {"required": ["minifiedBodyBase64"]}],
                    "not": {"required": ["errorOffset"]},
                },
                "else": {
                    "required": ["errorOffset"],
                    "not": {
                        "anyOf": [{"required": ["minifiedBody"]}, {"required": ["bodySha256"]}]
                    },
                },
            },
        ]
    else:  # timestamp
        tc_props.update(
            {
                "timestamp": STR,
                "epochSeconds": {"type": "number"},
                "epochMillis": {"type": "integer"},
                "utcOffsetMinutes": {"type": "integer", "minimum": -1439, "maximum": 1439},
                "result": {"enum": ["valid", "invalid"]},
            }
        )
        tc_required.append("timestamp")
        all_of.append(
            {
                "if": {"properties": {"result": {"const": "valid"}}},
                "then": {"required": ["epochSeconds", "utcOffsetMinutes"]},
                "else": {
                    "not": {
                        "anyOf": [
                            {"required": ["epochSeconds"]},
                            {"required": ["utcOffsetMinutes"]},
                        ]
                    }
                },
            }
        )

    test_schema: Json = {
        "type": "object",
        "required": tc_required,
        "additionalProperties": False,
        "properties": tc_props,
    }
    if all_of:
        test_schema["allOf"] = all_of
    group_props["tests"] = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/test"}}
    defs["test"] = test_schema
    defs["group"] = {
        "type": "object",
        "required": group_required,
        "additionalProperties": False,
        "properties": group_props,
    }
    return {
        "$schema": SCHEMA_URI,
        "$id": f"https://github.com/bisnap/bisnap/vectors/schemas/{name}_schema.json",
        "title": f"bisnap {name} test vectors",
        "type": "object",
        "required": [
            "algorithm",
            "schema",
            "generatorVersion",
            "numberOfTests",
            "header",
            "notes",
            "testGroups",
        ],
        "additionalProperties": False,
        "properties": {
            "algorithm": {"const": vf.algorithm},
            "schema": {"const": f"{name}_schema.json"},
            "generatorVersion": STR,
            "numberOfTests": {"type": "integer", "minimum": 1},
            "header": {"type": "array", "items": STR},
            "notes": {"type": "object", "additionalProperties": {"$ref": "#/$defs/note"}},
            "testGroups": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/group"}},
        },
        "$defs": defs,
    }


# --------------------------------------------------------------------------------------
# Encoders and explain cases (encoders.json, service_hmac_explain.json)
#
# The bytes a sender hashes when it re-encodes its body come from real JSON encoders.
# Python's come from this interpreter's `json`; JavaScript, PHP and Go run as
# subprocesses (tools/encoders/encode.{js,php,go}) and their outputs are recorded in
# tools/encoder_outputs.json, so regenerating needs none of them. When a tool is
# installed it is re-run and must reproduce the recorded bytes (`--refresh-encoders`
# records them anew, e.g. after adding a body).
# --------------------------------------------------------------------------------------

ENCODER_TOOLS_DIR: Final = Path(__file__).resolve().parent / "encoders"
ENCODER_OUTPUTS_FILE: Final = Path(__file__).resolve().parent / "encoder_outputs.json"

#: Bodies as sent (text), each chosen to tell encoders apart: non-ASCII (BMP and astral),
#: '/', '<>&=\'', U+2028/2029, controls, number spellings, key order, duplicates, nesting.
ENCODER_BODIES: Final[tuple[str, ...]] = (
    '{"partnerServiceId":"   70012","customerNo":"0000000042","trxId":"order-2024-0001"}',
    '{"partnerReferenceNo":"order-2024-0001","amount":{"value":"10000.00","currency":"IDR"},'
    '"urlParams":[{"url":"https://merchant.example/return?x=1&y=2","type":"PAY_RETURN",'
    '"isDeeplink":"N"}]}',
    '{"customerName":"José Ñúñez 東京 🍜","memo":"a  b","tags":["x","y"],"n":null,"t":true,'
    '"f":false}',
    '{"html":"<b>&amp;</b> = \'q\'","line":"a\\u2028b\\u2029c",'
    '"ctl":"\\u0001\\b\\f\\n\\r\\t\\u001f\\u007f","q":"\\"\\\\\\/"}',
    '{"nums":[1.50,1E+10,1e21,1e-7,0.000001,-0,-0.0,12345678901234567890,9007199254740993,'
    "1.0,100,0.1,123456789012345.6,1e16,1e17,5e-324,2.5e-5,1E2,-1.5e300]}",
    '{"b":1,"a":2,"10":3,"2":4,"01":5,"é":6,"Z":7,"":8}',
    '{"dup":1,"x":2,"dup":3}',
    '{"empty":{},"arr":[],"nested":{"a":[{"b":{}},[]],"c":[1,[2,[3]]]}}',
    '[1,"/",{"k":"v"}]',
    '{"lone":"\\ud800x","pair":"\\ud83d\\ude00"}',
    '{"huge":1e400}',
    '{\n  "pretty": "yes",\n  "list": [1, 2]\n}',
    '{"originalReferenceNo":"A120240305","latestTransactionStatus":"00",'
    '"additionalInfo":{"customer":"Budi Śantoso","returnUrl":"https://m.example/r?a=1"},'
    '"amount":{"value":"150000.00","currency":"IDR"}}',
)

PYTHON_ENCODERS: Final[tuple[tuple[str, dict[str, Any]], ...]] = tuple(
    (
        f"python json.dumps(ensure_ascii={ea}, sort_keys={sk}, "
        f"separators={'compact' if compact else 'default'}"
        + ("" if indent is None else f", indent={indent}")
        + ")",
        {
            "ensure_ascii": ea,
            "sort_keys": sk,
            "separators": (",", ":") if compact else None,
            "indent": indent,
        },
    )
    for indent in (None, 2, 4)
    for ea in (True, False)
    for sk in (False, True)
    for compact in (False, True)
)

_P = "php json_encode(json_decode(body)"
TOOL_ENCODERS: Final[dict[str, tuple[str, ...]]] = {
    "node": (
        "js JSON.stringify(JSON.parse(body))",
        "js JSON.stringify(JSON.parse(body), null, 2)",
    ),
    "php": (
        f"{_P}) with default flags",
        f"{_P}, JSON_UNESCAPED_SLASHES)",
        f"{_P}, JSON_UNESCAPED_UNICODE)",
        f"{_P}, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE)",
        f"{_P}, JSON_PRETTY_PRINT)",
    ),
    "go": (
        "go json.Marshal(struct)",
        "go json.Marshal(map[string]interface{})",
        'go json.MarshalIndent(struct, "", "  ")',
        'go json.MarshalIndent(map[string]interface{}, "", "  ")',
    ),
}
PRETTY_ENCODERS: Final = frozenset(
    [n for n, kw in PYTHON_ENCODERS if kw["indent"] is not None]
    + [
        "js JSON.stringify(JSON.parse(body), null, 2)",
        f"{_P}, JSON_PRETTY_PRINT)",
        'go json.MarshalIndent(struct, "", "  ")',
        'go json.MarshalIndent(map[string]interface{}, "", "  ")',
    ]
)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def python_outputs(body: str) -> dict[str, str | None]:
    try:
        value = json.loads(body, parse_constant=_reject_constant)
    except ValueError:
        return {name: None for name, _ in PYTHON_ENCODERS}
    out: dict[str, str | None] = {}
    for name, kw in PYTHON_ENCODERS:
        try:
            text = json.dumps(value, **kw)
            text.encode("utf-8")
            out[name] = text
        except (ValueError, UnicodeEncodeError):
            out[name] = None
    return out


def _tool_command(tool: str) -> list[str] | None:
    import shutil

    exe = shutil.which(tool)
    if exe is None:
        return None
    script = ENCODER_TOOLS_DIR / {"node": "encode.js", "php": "encode.php", "go": "encode.go"}[tool]
    return [exe, "run", str(script)] if tool == "go" else [exe, str(script)]


def run_tool(tool: str, bodies: Iterable[str]) -> tuple[str, list[dict[str, str | None]]] | None:
    """(version, outputs per body) from a real encoder, or None when it is not installed."""
    import os
    import subprocess
    import tempfile

    cmd = _tool_command(tool)
    if cmd is None:
        return None
    version_cmd = {
        "node": [cmd[0], "--version"],
        "php": [cmd[0], "-r", "echo PHP_VERSION;"],
        "go": [cmd[0], "env", "GOVERSION"],
    }[tool]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "GOCACHE": cache, "GOFLAGS": "-mod=mod", "GO111MODULE": "off"}
        version = subprocess.run(
            version_cmd, capture_output=True, text=True, check=True, env=env
        ).stdout.strip()
        stdin = json.dumps([base64.b64encode(b.encode("utf-8")).decode() for b in bodies])
        proc = subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, check=False, env=env, timeout=600
        )
    check(proc.returncode == 0, f"{tool} encoder failed: {proc.stderr[-500:]}")
    rows: list[dict[str, str | None]] = []
    for row in json.loads(proc.stdout):
        rows.append(
            {
                name: None if value is None else base64.b64decode(value).decode("utf-8")
                for name, value in sorted((row or {}).items())
            }
        )
    return version, rows


def recorded_encoder_outputs(refresh: bool) -> Json:
    """The real encoders' outputs: recorded, re-checked against every installed tool."""
    recorded: Json = (
        json.loads(ENCODER_OUTPUTS_FILE.read_text("utf-8"))
        if ENCODER_OUTPUTS_FILE.is_file()
        else {"tools": {}, "bodies": [], "outputs": []}
    )
    if refresh:
        fresh: Json = {"tools": {}, "bodies": list(ENCODER_BODIES), "outputs": []}
        rows: list[dict[str, str | None]] = [{} for _ in ENCODER_BODIES]
        for tool in TOOL_ENCODERS:
            ran = run_tool(tool, ENCODER_BODIES)
            check(ran is not None, f"--refresh-encoders needs `{tool}` installed")
            version, outputs = some(ran)
            fresh["tools"][tool] = version
            for row, out in zip(rows, outputs, strict=True):
                row.update(out)
        fresh["outputs"] = [dict(sorted(r.items())) for r in rows]
        ENCODER_OUTPUTS_FILE.write_text(dump(fresh), encoding="utf-8", newline="\n")
        return fresh
    check(
        recorded["bodies"] == list(ENCODER_BODIES),
        "ENCODER_BODIES changed: run generate.py --refresh-encoders (needs node, php, go)",
    )
    for tool, names in TOOL_ENCODERS.items():
        ran = run_tool(tool, ENCODER_BODIES)
        if ran is None:
            continue
        version, outputs = ran
        if version != recorded["tools"][tool]:
            print(
                f"note: {tool} {version} differs from the recorded {recorded['tools'][tool]}; "
                "its outputs are not re-checked",
                file=sys.stderr,
            )
            continue
        for i, out in enumerate(outputs):
            for name in names:
                check(
                    out.get(name) == recorded["outputs"][i].get(name),
                    f"{tool} no longer reproduces the recorded output of {name!r} for body {i}",
                )
    return recorded


def tool_encoder_name(tool: str, name: str, version: str) -> str:
    """The name bisnap explain gives a tool's encoder, for the tool version that ran.

    Go 1.22 changed encoding/json to write backspace and form feed as `\\b` and `\\f`
    (`\\u0008`/`\\u000c` before), so bisnap models both: outputs of Go 1.21 or older are
    named `go<=1.21 json.…` and the unprefixed `go json.…` names are today's Go.
    """
    match = re.fullmatch(r"go1\.(\d+)(?:\.\d+)?", version)
    if tool == "go" and match is not None and int(match.group(1)) <= 21:
        return "go<=1.21 " + name.removeprefix("go ")
    return name


def _current_go_name(name: str, output: str) -> str:
    """The name of today's Go encoder when a Go <= 1.21 output is also Go 1.22's: the two
    differ only in how they escape backspace and form feed (golang/go CL 521675)."""
    legacy = "go<=1.21 "
    if name.startswith(legacy) and "\\u0008" not in output and "\\u000c" not in output:
        return "go " + name.removeprefix(legacy)
    return name


def build_encoders(recorded: Json) -> Json:
    """vectors/encoders.json: every encoder's output for every body."""
    label = {
        name: tool_encoder_name(tool, name, recorded["tools"][tool])
        for tool, names in TOOL_ENCODERS.items()
        for name in names
    }
    names = [n for n, _ in PYTHON_ENCODERS] + list(label.values())
    cases: list[Json] = []
    for i, body in enumerate(ENCODER_BODIES):
        tools = {label.get(k, k): v for k, v in recorded["outputs"][i].items()}
        found: dict[str, str | None] = {**python_outputs(body), **tools}
        # an encoder that fails on the body (PHP on INF, Go on 1e400 as float64) gives null
        outputs = {name: found.get(name) for name in names}
        cases.append({"id": i + 1, "body": body, "outputs": outputs})
    return {
        "schema": "encoders",
        "generatorVersion": GENERATOR_VERSION,
        "header": [
            "What each JSON encoder writes for a body as sent: encode(parse(body)). "
            "'outputs' maps the encoder (named as bisnap explain names it) to its exact "
            "output text, or null when the encoder fails on the body.",
            "Python outputs come from the generator's own json module; JavaScript, PHP and Go "
            "outputs from the real tools whose versions are in 'tools', recorded in "
            "tools/encoder_outputs.json.",
            "Go's 'struct' encoder keeps the body's key order and prints numbers as written "
            "(a struct with typed fields); its 'map' encoder sorts keys and holds float64. "
            "Go outputs recorded with Go 1.21 or older are named 'go<=1.21 …': Go 1.22 "
            "writes backspace and form feed as \\b and \\f instead of \\u0008 and \\u000c.",
        ],
        "tools": {"python": "json (CPython stdlib)", **recorded["tools"]},
        "encoders": names,
        "numberOfCases": len(cases),
        "cases": cases,
    }


def _encoder_flags(name: str, minified: bytes, hashed: bytes) -> list[str]:
    if name in PRETTY_ENCODERS or name.replace("go<=1.21 ", "go ", 1) in PRETTY_ENCODERS:
        return ["PrettyBodyHashed"]
    slashed = slash_escape(minified)
    if hashed == slashed:
        return ["SlashEscaped"]
    if hashed == unicode_escape(minified):
        return ["UnicodeEscaped"]
    if hashed == unicode_escape(slashed):
        return ["SlashEscaped", "UnicodeEscaped"]
    return ["BodyReserialised"]


EXPLAIN_PATH: Final = "/v1.0/debit/payment-host-to-host"
EXPLAIN_TS: Final = "2024-03-05T17:37:16+07:00"
#: The bodies of ENCODER_BODIES that become explain cases, one per encoder output.
EXPLAIN_BODY_INDEXES: Final = (1, 2, 3, 4, 5, 12)
EXPLAIN_RSA_BODY_INDEXES: Final = (13,)


def _stage_order(flags: list[str]) -> str:
    stages = [
        INVALID_FLAGS[f][0] if f in INVALID_FLAGS else EXPLAIN_FLAG_STAGES[f]
        for f in flags
        if f in INVALID_FLAGS or f in EXPLAIN_FLAG_STAGES
    ]
    order = ["minifiedBody", "bodySha256", "stringToSign", "signature"]
    return min(stages, key=order.index)


def build_explain(encoders: Json, kind: Kind = "hmac") -> VectorFile:
    what = (
        "the HMAC-SHA512 service signature"
        if kind == "hmac"
        else "the SHA256withRSA service and notification signature"
    )
    header = [
        f"Explain cases for {what}: what integrators really do. "
        "Each invalid case is one body mistake made with a real JSON encoder (sender.encoder; "
        "its output is in encoders.json), a capture artefact (a body saved with a final "
        "newline or CRLF line ends), or a stacked mistake (a body mistake with up to two "
        "string-to-sign mistakes). 'flags' lists every mistake made; mismatchAt is the first "
        "stage that differs.",
        "Top-level stages are what a correct verifier computes from the body as captured; "
        "'sender' holds the sender's own stages.",
        TEST_ONLY_HEADER,
    ]
    secret = SECRET_1
    token: str | None = TOKEN_1
    rsa_key = file_key("rsa2048", 2048, "pkcs8")
    if kind == "hmac":
        vf = VectorFile("service_hmac_explain", "HMAC-SHA512", "ServiceHmacExplain", header)
        group = vf.group({"pathIncludesQuery": True})
    else:
        token = None
        vf = VectorFile("service_rsa_explain", "SHA256withRSA", "ServiceRsaExplain", header)
        group = vf.group({**rsa_key.group_fields(), "pathIncludesQuery": True})

    def signature(sts: str) -> bytes:
        if kind == "hmac":
            return hmac_sha512(secret, sts)
        return rsa_sign(some(rsa_key.private_pem), sts)

    def add(
        comment: str,
        flags: list[str],
        body: str,
        sender_body: bytes,
        *,
        path: str = EXPLAIN_PATH,
        signed_path: str | None = None,
        signed_token: str | None = None,
        signed_ts: str | None = None,
        encoder: str | None = None,
    ) -> None:
        minified = minify(body.encode("utf-8"))
        sha = sha256_hex(minified)
        sts = service_sts("POST", path, token, sha, EXPLAIN_TS)
        sender_sha = sha256_hex(sender_body)
        sender_sts = service_sts(
            "POST", signed_path or path, signed_token or token, sender_sha, signed_ts or EXPLAIN_TS
        )
        presented = signature(sender_sts)
        check(presented != signature(sts), comment)
        sender: Json = {
            "minifiedBody": sender_body.decode("utf-8"),
            "bodySha256": sender_sha,
            "stringToSign": sender_sts,
        }
        if encoder is not None:
            sender["encoder"] = encoder
        vf.add(
            group,
            {
                "comment": comment,
                "flags": flags,
                "method": "POST",
                "path": path,
                "timestamp": EXPLAIN_TS,
                "body": body,
                **({"accessToken": token, "clientSecret": secret} if token else {}),
                "minifiedBody": minified.decode("utf-8"),
                "bodySha256": sha,
                "stringToSign": sts,
                "signature": encode_sig(presented, "base64"),
                "encoding": "base64",
                "result": "invalid",
                "mismatchAt": _stage_order(flags),
                "sender": sender,
            },
        )

    by_id = {c["id"]: c for c in encoders["cases"]}
    for index in EXPLAIN_BODY_INDEXES if kind == "hmac" else EXPLAIN_RSA_BODY_INDEXES:
        case = by_id[index]
        body = case["body"]
        minified = minify(body.encode("utf-8"))
        seen: set[bytes] = {minified}
        for name in encoders["encoders"]:
            text = case["outputs"].get(name)
            if text is None:
                continue
            hashed = text.encode("utf-8")
            if hashed in seen:
                continue
            seen.add(hashed)
            name = _current_go_name(name, text)
            add(
                f"body {index}: the sender hashed {name}",
                _encoder_flags(name, minified, hashed),
                body,
                hashed,
                encoder=name,
            )

    pretty = ENCODER_BODIES[11]
    for suffix, crlf, flags in (
        ("\n", False, ["TrailingNewline"]),
        ("", True, ["CRLF"]),
        ("\r\n", True, ["CRLF", "TrailingNewline"]),
    ):
        captured = (pretty.replace("\n", "\r\n") if crlf else pretty) + suffix
        add(
            f"pretty body hashed as sent; the capture adds {' and '.join(flags)}",
            ["PrettyBodyHashed", *flags],
            captured,
            pretty.encode("utf-8"),
            encoder="the body as sent, not minified",
        )

    b2 = ENCODER_BODIES[12]  # a notification-like body with '/' and non-ASCII text
    m2 = minify(b2.encode("utf-8"))
    out2 = by_id[13]["outputs"]
    py = "python json.dumps(ensure_ascii=True, sort_keys=False, separators=default)"
    php = f"{_P}) with default flags"
    js2 = "js JSON.stringify(JSON.parse(body), null, 2)"
    utc = "2024-03-05T10:37:16Z"
    utc_ms = "2024-03-05T10:37:16.000Z"
    bare = "/debit/payment-host-to-host"
    bearer = f"Bearer {token}"
    stacked: list[tuple[str, str | None, list[str], Json]] = [
        (
            "python json.dumps defaults and Bearer in the string",
            py,
            ["BearerInStringToSign"],
            {"signed_token": bearer},
        ),
        (
            "PHP json_encode defaults and a UTC timestamp",
            php,
            ["TimestampMismatch"],
            {"signed_ts": utc},
        ),
        (
            "JSON.stringify(…, null, 2) and the provider prefix dropped",
            js2,
            ["PathPrefixMissing"],
            {"path": "/snap" + EXPLAIN_PATH, "signed_path": EXPLAIN_PATH},
        ),
        (
            "pretty body, Bearer, and Node's toISOString timestamp",
            js2,
            ["BearerInStringToSign", "TimestampMismatch"],
            {"signed_token": bearer, "signed_ts": utc_ms},
        ),
        (
            "python json.dumps defaults and the query dropped",
            py,
            ["QueryDropped"],
            {"path": EXPLAIN_PATH + "?lang=id", "signed_path": EXPLAIN_PATH},
        ),
        (
            "the host in the signed path",
            None,
            ["PathWithHost"],
            {"signed_path": "https://merchants.sbx.midtrans.com" + EXPLAIN_PATH},
        ),
        ("the version segment left out", None, ["VersionSegmentMissing"], {"signed_path": bare}),
        (
            "PHP json_encode defaults, the version segment left out and Bearer",
            php,
            ["VersionSegmentMissing", "BearerInStringToSign"],
            {"signed_path": bare, "signed_token": bearer},
        ),
    ]
    for comment, name, string_flags, kw in stacked:
        if token is None and "BearerInStringToSign" in string_flags:
            continue
        hashed = m2 if name is None else some(out2[name]).encode("utf-8")
        body_flags = [] if name is None else _encoder_flags(name, m2, hashed)
        add(comment, [*body_flags, *string_flags], b2, hashed, encoder=name, **kw)
    return vf


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def build_all() -> list[VectorFile]:
    pub = published()
    keys = load_keys(pub)
    at_sign, at_verify = build_access_token(pub, keys)
    h_sign, h_verify = build_service(pub, keys, "hmac")
    r_sign, r_verify = build_service(pub, keys, "rsa")
    files = [
        at_sign,
        at_verify,
        h_sign,
        h_verify,
        r_sign,
        r_verify,
        build_minify(pub),
        build_timestamp(),
    ]
    # Each invalid vocabulary flag appears at least 3 times where it applies.
    for vf in (at_verify, h_verify, r_verify):
        counts: dict[str, int] = {}
        for g in vf.groups:
            for t in g["tests"]:
                for f in t["flags"]:
                    counts[f] = counts.get(f, 0) + 1
        applicable = (
            {"TimestampMismatch", "WrongKeyOrSecret", "HexInsteadOfBase64"}
            if vf.name.startswith("access")
            else set(INVALID_FLAGS) | {"HexInsteadOfBase64"}
        )
        if vf.name.startswith("service_rsa"):
            applicable.discard("BearerInStringToSign")
        for f in applicable:
            check(counts.get(f, 0) >= 3, (vf.name, f, counts.get(f, 0)))
    return files


def dump(obj: Json) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write_all(out: Path, *, refresh_encoders: bool = False) -> list[Path]:
    files = build_all()
    encoders = build_encoders(recorded_encoder_outputs(refresh_encoders))
    files += [build_explain(encoders, "hmac"), build_explain(encoders, "rsa")]
    (out / "schemas").mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    enc_path = out / "encoders.json"
    enc_path.write_text(dump(encoders), encoding="utf-8", newline="\n")
    written.append(enc_path)
    for vf in files:
        p = out / f"{vf.name}.json"
        p.write_text(dump(vf.render()), encoding="utf-8", newline="\n")
        s = out / "schemas" / f"{vf.name}_schema.json"
        s.write_text(dump(schema_for(vf)), encoding="utf-8", newline="\n")
        written += [p, s]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=VECTORS_DIR, help="output directory")
    parser.add_argument(
        "--refresh-encoders",
        action="store_true",
        help="re-run node, php and go and record their outputs (tools/encoder_outputs.json)",
    )
    args = parser.parse_args(argv)
    for p in write_all(args.out, refresh_encoders=args.refresh_encoders):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
