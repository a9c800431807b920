"""Explain a rejected signature: which stage differs, and which known mistake made it.

`401xx00 Unauthorized. [Signature]` says only that the signature is wrong. `explain_*`
recomputes every stage the provider computes, then replays the mistakes integrators are
known to make (pretty body hashed, query dropped, `Bearer` in the string to sign, another
timestamp spelling, ...) and tells which one reproduces the presented signature:

```python
from bisnap.explain import explain_service

result = explain_service(
    method="POST", path="/v1.0/transfer-va/create-va", body=body_as_sent,
    timestamp=x_timestamp, access_token=token, client_secret=secret, signature=x_signature,
)
print(result.mismatch_at, result.mistakes, result.hint)
```

For HMAC-SHA512 each mistaken string to sign is MACed with the client secret and compared
in constant time; for SHA256withRSA the presented signature is verified against each
mistaken string to sign with the public key. Single mistakes are tried first, then pairs
of one body-stage mistake and one string-to-sign mistake. When none fits, the credentials
differ (`WrongKeyOrSecret`), reported with the fingerprint of the key or secret used.

Mistake flags (the names the published vectors use):

```
stage minifiedBody   PrettyBodyHashed BodyReserialised SlashEscaped UnicodeEscaped
                     InnerWhitespaceStripped EmptyBodyAsBraces EmptyBodyAsNull
stage stringToSign   QueryDropped QueryAdded PathPrefixMissing BearerInStringToSign
                     TimestampMismatch LowercaseMethod
stage signature      WrongKeyOrSecret
acceptable           HexInsteadOfBase64 (valid, but hex where base64 is expected)
```
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap import canonical
from bisnap.keys import PublicKeyInput, check_verifying_key, fingerprint, load_public_key
from bisnap.minify import minify
from bisnap.secrets import AccessToken, Secret, mask, reveal
from bisnap.signing import (
    STAGES,
    Encoding,
    Kind,
    SignatureTrace,
    decode_signature,
    encode_signature,
    hmac_sha512,
    rsa_verify,
)
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp

__all__ = [
    "BODY_MISTAKES",
    "MISTAKE_STAGES",
    "STRING_MISTAKES",
    "Explanation",
    "SenderStages",
    "body_variants",
    "explain_access_token",
    "explain_service",
    "explain_service_asymmetric",
    "path_prefix_variants",
    "slash_escaped",
    "timestamp_variants",
    "unicode_escaped",
]

#: Mistakes of the minifiedBody stage, most likely first.
BODY_MISTAKES = (
    "PrettyBodyHashed",
    "BodyReserialised",
    "SlashEscaped",
    "UnicodeEscaped",
    "InnerWhitespaceStripped",
    "EmptyBodyAsBraces",
    "EmptyBodyAsNull",
)
#: Mistakes of the stringToSign stage, most likely first.
STRING_MISTAKES = (
    "QueryDropped",
    "QueryAdded",
    "PathPrefixMissing",
    "BearerInStringToSign",
    "TimestampMismatch",
    "LowercaseMethod",
)
#: The first stage each flag changes.
MISTAKE_STAGES: dict[str, str | None] = {
    **dict.fromkeys(BODY_MISTAKES, "minifiedBody"),
    **dict.fromkeys(STRING_MISTAKES, "stringToSign"),
    "WrongKeyOrSecret": "signature",
    "HexInsteadOfBase64": None,
}

# SNAP: providers put a prefix before the version segment `/v{major}.{minor}/`
# (shared/spec/snap-standard.md §4.1); these are the prefixes senders add or forget.
KNOWN_PATH_PREFIXES = ("/snap", "/api", "/openapi", "/snap-service", "/ordersnap/api")
_VERSION_SEGMENT = re.compile(r"/v\d+(?:\.\d+)?/")

_HMAC_BYTES = 64

_HINTS = {
    "PrettyBodyHashed": (
        "you hashed the pretty-printed body as sent; the provider hashes the minified one "
        "(whitespace outside strings removed)"
    ),
    "BodyReserialised": (
        "you hashed a re-encoding of the parsed JSON (json.dumps) instead of the bytes you "
        "sent; serialise once and hash exactly the bytes that go on the wire"
    ),
    "SlashEscaped": (
        "you hashed the body with '/' escaped as '\\/' (PHP json_encode's default) but sent "
        "a raw '/'; hash the bytes you send (JSON_UNESCAPED_SLASHES)"
    ),
    "UnicodeEscaped": (
        "you hashed the body with non-ASCII characters escaped as \\uXXXX but sent raw "
        "UTF-8; hash the bytes you send (ensure_ascii=False / JSON_UNESCAPED_UNICODE)"
    ),
    "InnerWhitespaceStripped": (
        "your minifier also deleted whitespace inside string values; minify removes "
        "whitespace outside strings only"
    ),
    "EmptyBodyAsBraces": (
        "the request has no body but you hashed '{}'; with no body SNAP hashes the empty "
        "string (sha256 e3b0c442…b855)"
    ),
    "EmptyBodyAsNull": (
        "the request has no body but you hashed 'null'; with no body SNAP hashes the empty "
        "string (sha256 e3b0c442…b855)"
    ),
    "QueryDropped": (
        "you signed the path without its query string; the provider signs the path with "
        "'?query' exactly as sent (if your provider signs the bare path, use "
        "include_query=False / --no-query)"
    ),
    "QueryAdded": (
        "you signed the path with its query string; this provider signs the bare path "
        "(include_query=False)"
    ),
    "BearerInStringToSign": (
        "you put 'Bearer <token>' in the string to sign; it takes the bare token, 'Bearer ' "
        "belongs only in the Authorization header"
    ),
    "LowercaseMethod": (
        "you signed the HTTP method in lower case; the string to sign has it upper case (POST, GET)"
    ),
}


@dataclass(frozen=True, repr=False)
class SenderStages:
    """The stages the sender computed, reconstructed from the mistake that fits.

    `minified_body` and `body_sha256` are None for the access-token signature. The string
    to sign may contain the access token: `masked_string_to_sign` and `repr()` mask it.
    """

    string_to_sign: str
    minified_body: bytes | None = None
    body_sha256: str | None = None
    _token: str | None = field(default=None, compare=False)

    @property
    def masked_string_to_sign(self) -> str:
        """The sender's string to sign with the access token masked."""
        return _mask_token(self.string_to_sign, self._token)

    def stages(self, *, reveal_token: bool = False) -> dict[str, Any]:
        """The stages under the vectors' camelCase names (token masked unless asked)."""
        out: dict[str, Any] = {}
        if self.minified_body is not None:
            out["minifiedBody"] = self.minified_body.decode("utf-8", "backslashreplace")
            out["bodySha256"] = self.body_sha256
        out["stringToSign"] = self.string_to_sign if reveal_token else self.masked_string_to_sign
        return out

    def __repr__(self) -> str:
        body = None if self.minified_body is None else f"<{len(self.minified_body)} bytes>"
        return (
            f"SenderStages(minified_body={body}, body_sha256={self.body_sha256!r}, "
            f"string_to_sign={self.masked_string_to_sign!r})"
        )


@dataclass(frozen=True, repr=False)
class Explanation:
    """Why a signature is (in)valid: the first stage that differs and the mistake behind it.

    `expected` is the correct trace (what the provider computes; for HMAC its `signature`
    is the correct one, for RSA it is the presented one). `sender` holds the sender's
    stages when a known mistake fits, else None. `key_fingerprint` identifies the public
    key (`SHA256:…`) or the client secret (`secret-sha256:…`) used, never the secret.
    """

    kind: Kind
    valid: bool
    mismatch_at: str | None
    mistakes: tuple[str, ...]
    hint: str
    expected: SignatureTrace
    signature: str
    encoding: Encoding
    sender: SenderStages | None = None
    key_fingerprint: str | None = None

    def to_dict(self, *, reveal_token: bool = False) -> dict[str, Any]:
        """A JSON-ready dict with the vectors' camelCase names; the token masked unless asked.

        Keys: `kind`, the expected stages (`minifiedBody`, `bodySha256`, `stringToSign`),
        `signature` (as presented), `encoding`, `expectedSignature` (HMAC only), `valid`,
        `mismatchAt`, `mistakes`, `hint`, `sender` (or None) and `keyFingerprint`.
        """
        stages = self.expected.stages(reveal_token=reveal_token)
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("minifiedBody", "bodySha256", "stringToSign"):
            if name in stages:
                out[name] = stages[name]
        out["signature"] = self.signature
        out["encoding"] = self.encoding
        if self.kind == "service":
            out["expectedSignature"] = self.expected.signature
        out["valid"] = self.valid
        out["mismatchAt"] = self.mismatch_at
        out["mistakes"] = list(self.mistakes)
        out["hint"] = self.hint
        out["sender"] = (
            None if self.sender is None else self.sender.stages(reveal_token=reveal_token)
        )
        out["keyFingerprint"] = self.key_fingerprint
        return out

    def __repr__(self) -> str:
        return (
            f"Explanation(kind={self.kind!r}, valid={self.valid!r}, "
            f"mismatch_at={self.mismatch_at!r}, mistakes={self.mistakes!r}, "
            f"key_fingerprint={self.key_fingerprint!r})"
        )


def _mask_token(text: str, token: str | None) -> str:
    if not token:
        return text
    for seg in (f":Bearer {token}:", f":{token}:"):
        if seg in text:
            return text.replace(seg, seg.replace(token, mask(token)), 1)
    return text


# --- the mistake transformations ---------------------------------------------------------


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
    out: list[str] = []
    for char in minified.decode("utf-8"):
        code = ord(char)
        if code < 0x80:
            out.append(char)
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
    return "".join(out).encode("ascii")


def _reserialisations(minified: bytes) -> Iterator[bytes]:
    try:
        obj = json.loads(minified.decode("utf-8"))
    except (ValueError, RecursionError):
        return
    yield json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    yield json.dumps(obj, ensure_ascii=False).encode()
    yield json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def body_variants(body: bytes | str | None) -> list[tuple[str, bytes]]:
    """The bodies a sender hashes by mistake instead of `minify(body)`, with their flags.

    Returns `(flag, bytes hashed)` pairs, most likely first, each different from the
    correct minified body; an empty body gives only `EmptyBodyAsBraces`/`EmptyBodyAsNull`.

    Raises:
        BodyNotJSONError: the body is not JSON.
    """
    correct = minify(body)
    if not correct:
        return [("EmptyBodyAsBraces", b"{}"), ("EmptyBodyAsNull", b"null")]
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body or b"")
    found: list[tuple[str, bytes]] = []

    def add(flag: str, value: bytes) -> None:
        if value != correct and (flag, value) not in found:
            found.append((flag, value))

    add("PrettyBodyHashed", raw)
    for value in _reserialisations(correct):
        add("BodyReserialised", value)
    add("SlashEscaped", slash_escaped(correct))
    add("UnicodeEscaped", unicode_escaped(correct))
    add("InnerWhitespaceStripped", re.sub(rb"\s+", b"", raw))
    return found


def path_prefix_variants(path: str) -> list[str]:
    """Paths a sender signs with the provider prefix forgotten, or a prefix wrongly added.

    `/snap/v1.0/x` → `/v1.0/x` (everything before the first `/v<n>[.<m>]/` segment
    removed); `/v1.0/x` → `/snap/v1.0/x`, `/api/v1.0/x`, ... (the known prefixes).
    """
    match = _VERSION_SEGMENT.search(path.split("?", 1)[0])
    if match is None:
        return []
    if match.start() > 0:
        return [path[match.start() :]]
    return [prefix + path for prefix in KNOWN_PATH_PREFIXES]


_STYLES = (
    TimestampStyle.JAKARTA,
    TimestampStyle.JAKARTA_MS,
    TimestampStyle.UTC_Z,
    TimestampStyle.UTC_Z_MS,
)
_TS_PARTS = re.compile(r"(?P<base>[^.]*?)(?P<frac>\.\d+)?(?P<tz>Z|[+-]\d{2}:?\d{2})\Z")


def timestamp_variants(timestamp: str) -> list[str]:
    """Timestamps a sender signs instead of the X-TIMESTAMP header value.

    The same instant in each provider style (`+07:00` or UTC `Z`, whole seconds or `.SSS`
    milliseconds; a header with milliseconds keeps them), then the header's own spelling
    one second later and earlier. The header value itself is never among them.

    Raises:
        TimestampFormatError: the header value is not an X-TIMESTAMP.
    """
    at = parse_timestamp(timestamp)
    found: list[str] = []
    for style in _STYLES:
        value = format_timestamp(at, style)
        if value != timestamp and value not in found:
            found.append(value)
    parts = _TS_PARTS.match(timestamp)
    if parts is not None:
        for seconds in (1, -1):
            shifted = (at + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
            value = shifted + (parts["frac"] or "") + parts["tz"]
            if value not in found:
                found.append(value)
    return found


# --- the search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    method: str
    path: str  # as sent (fragment removed), query included
    include_query: bool
    token: str | None  # None: asymmetric (no token)
    timestamp: str


@dataclass(frozen=True)
class _Candidate:
    flags: tuple[str, ...]
    sender: SenderStages
    detail: str  # a specific hint part (what was signed instead), may be ""


def _string_variants(req: _Request) -> list[tuple[str, Callable[[str], str], str]]:
    """(flag, digest → string to sign, detail) for each string-stage mistake."""
    m, token, ts = req.method, req.token, req.timestamp
    signed = canonical.signed_path(req.path, include_query=req.include_query)

    def build(
        method: str = m, path: str = signed, tok: str | None = token, stamp: str = ts
    ) -> Callable[[str], str]:
        if tok is None:
            return lambda digest: f"{method}:{path}:{digest}:{stamp}"
        return lambda digest: f"{method}:{path}:{tok}:{digest}:{stamp}"

    out: list[tuple[str, Callable[[str], str], str]] = []
    has_query = "?" in req.path
    if has_query and req.include_query:
        bare = req.path.split("?", 1)[0]
        out.append(("QueryDropped", build(path=bare), f"you signed {bare}"))
    if has_query and not req.include_query:
        out.append(("QueryAdded", build(path=req.path), f"you signed {req.path}"))
    for other in path_prefix_variants(signed):
        detail = f"you signed the path {other} but the request went to {signed}"
        out.append(("PathPrefixMissing", build(path=other), detail))
    if token is not None:
        out.append(("BearerInStringToSign", build(tok=f"Bearer {token}"), ""))
    for stamp in timestamp_variants(ts):
        detail = f"you signed the timestamp {stamp} but sent X-TIMESTAMP {ts}"
        out.append(("TimestampMismatch", build(stamp=stamp), detail))
    if m.lower() != m:
        out.append(("LowercaseMethod", build(method=m.lower()), f"you signed {m.lower()!r}"))
    return out


def _candidates(
    req: _Request, body: bytes | str | None, correct: bytes, digest: str
) -> Iterator[_Candidate]:
    bodies = [(flag, value, canonical.body_sha256(value)) for flag, value in body_variants(body)]
    strings = _string_variants(req)
    correct_string = _string_variants_base(req)
    for flag, value, value_digest in bodies:
        yield _Candidate(
            (flag,), SenderStages(correct_string(value_digest), value, value_digest, req.token), ""
        )
    for flag, build, detail in strings:
        yield _Candidate((flag,), SenderStages(build(digest), correct, digest, req.token), detail)
    for body_flag, value, value_digest in bodies:
        for flag, build, detail in strings:
            sender = SenderStages(build(value_digest), value, value_digest, req.token)
            yield _Candidate((body_flag, flag), sender, detail)


def _string_variants_base(req: _Request) -> Callable[[str], str]:
    path = canonical.signed_path(req.path, include_query=req.include_query)
    if req.token is None:
        return lambda digest: f"{req.method}:{path}:{digest}:{req.timestamp}"
    return lambda digest: f"{req.method}:{path}:{req.token}:{digest}:{req.timestamp}"


def _search(candidates: Iterator[_Candidate], matches: Callable[[str], bool]) -> list[_Candidate]:
    """The candidates that reproduce the signature: all singles that fit, else all pairs."""
    found: list[_Candidate] = []
    size = 1
    checked: dict[str, bool] = {}
    for cand in candidates:
        if len(cand.flags) > size:
            if found:
                break
            size = len(cand.flags)
        sts = cand.sender.string_to_sign
        if sts not in checked:
            checked[sts] = matches(sts)
        if checked[sts]:
            found.append(cand)
    return found


def _hint_for(flag: str, detail: str) -> str:
    base = _HINTS.get(flag, "")
    if flag == "TimestampMismatch":
        return detail + "; sign the X-TIMESTAMP header value byte for byte"
    if flag == "PathPrefixMissing":
        return detail + "; sign the exact path the request goes to, with the provider's prefix"
    return base


def _conclude(
    *,
    kind: Kind,
    expected: SignatureTrace,
    signature: str,
    encoding: Encoding,
    valid: bool,
    found: list[_Candidate],
    key_fingerprint: str,
    credential: str,
) -> Explanation:
    if valid:
        mistakes: tuple[str, ...] = ()
        hint = "the signature is valid"
        if encoding == "hex":
            mistakes = ("HexInsteadOfBase64",)
            hint = (
                "the signature is correct but hex-encoded; verifiers accept it, but Midtrans "
                "and most providers expect base64 (BRI and the ASPI sandbox use hex)"
            )
        return Explanation(
            kind=kind,
            valid=True,
            mismatch_at=None,
            mistakes=mistakes,
            hint=hint,
            expected=expected,
            signature=signature,
            encoding=encoding,
            key_fingerprint=key_fingerprint,
        )
    if not found:
        return Explanation(
            kind=kind,
            valid=False,
            mismatch_at="signature",
            mistakes=("WrongKeyOrSecret",),
            hint=(
                f"credentials differ: no known mistake reproduces the signature with the "
                f"{credential} {key_fingerprint}; the sender signs with another "
                f"{'client secret' if kind == 'service' else 'key pair'} (or changed a stage "
                f"in a way bisnap does not know)"
            ),
            expected=expected,
            signature=signature,
            encoding=encoding,
            key_fingerprint=key_fingerprint,
        )
    flags: list[str] = []
    hints: list[str] = []
    for cand in found:
        for flag in cand.flags:
            if flag not in flags:
                flags.append(flag)
                hints.append(_hint_for(flag, cand.detail))
    stages = [MISTAKE_STAGES[f] for f in found[0].flags]
    mismatch_at = min((s for s in stages if s), key=STAGES.index)
    return Explanation(
        kind=kind,
        valid=False,
        mismatch_at=mismatch_at,
        mistakes=tuple(flags),
        hint="; and ".join(h for h in hints if h),
        expected=expected,
        signature=signature,
        encoding=encoding,
        sender=found[0].sender,
        key_fingerprint=key_fingerprint,
    )


def _verifying_key(public_key: PublicKeyInput) -> rsa.RSAPublicKey:
    key = load_public_key(public_key)
    check_verifying_key(key)
    return key


# --- public API ---------------------------------------------------------------------------


def explain_access_token(
    *, client_key: str, timestamp: str, signature: str, public_key: PublicKeyInput
) -> Explanation:
    """Explain an access-token signature (`clientKey|X-TIMESTAMP`, SHA256withRSA).

    Returns an `Explanation`: valid, or the mistake that fits (`TimestampMismatch`), or
    `WrongKeyOrSecret` with the fingerprint of `public_key`.

    Raises:
        SignatureFormatError: the signature is not base64/hex of the key's size.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        KeyFormatError: `public_key` cannot be loaded.
    """
    key = _verifying_key(public_key)
    string_to_sign = canonical.access_token_string(client_key, timestamp)
    raw, encoding = decode_signature(signature, key.key_size // 8)
    variants = timestamp_variants(timestamp)
    key_fp = fingerprint(key)
    expected = SignatureTrace(
        kind="access_token",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        timestamp=timestamp,
        key_fingerprint=key_fp,
    )

    def matches(sts: str) -> bool:
        return rsa_verify(raw, sts.encode("utf-8"), key)

    valid = matches(string_to_sign)
    found: list[_Candidate] = []
    if not valid:
        cands = (
            _Candidate(
                ("TimestampMismatch",),
                SenderStages(canonical.access_token_string(client_key, stamp)),
                f"you signed the timestamp {stamp} but sent X-TIMESTAMP {timestamp}",
            )
            for stamp in variants
        )
        found = _search(cands, matches)
    return _conclude(
        kind="access_token",
        expected=expected,
        signature=signature.strip(),
        encoding=encoding,
        valid=valid,
        found=found,
        key_fingerprint=key_fp,
        credential="public key",
    )


def explain_service(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    access_token: str | Secret | AccessToken,
    client_secret: str | Secret,
    signature: str,
    include_query: bool = True,
) -> Explanation:
    """Explain an HMAC-SHA512 service signature, recomputing it under each known mistake.

    `body` is the body exactly as sent; `path` the relative path as sent (query included;
    `include_query=False` for providers that sign the bare path). Returns an
    `Explanation`; `key_fingerprint` is `secret-sha256:` + the secret's short fingerprint.

    Raises:
        SignatureFormatError: the signature is not base64/hex of 64 bytes.
        BodyNotJSONError: the body is not JSON.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        SecretFormatError: empty secret or token, a PEM as secret, `Bearer ` in the token.
    """
    presented, encoding = decode_signature(signature, _HMAC_BYTES)
    secret = Secret(reveal(client_secret))
    req, correct, digest = _prepare(method, path, body, timestamp, include_query, access_token)
    string_to_sign = _string_variants_base(req)(digest)
    expected_raw = hmac_sha512(string_to_sign, secret)
    expected = SignatureTrace(
        kind="service",
        string_to_sign=string_to_sign,
        signature=encode_signature(expected_raw, encoding),
        encoding=encoding,
        minified_body=correct,
        body_sha256=digest,
        method=req.method,
        path=canonical.signed_path(path, include_query=include_query),
        timestamp=timestamp,
        _token=req.token,
    )

    def matches(sts: str) -> bool:
        return hmac.compare_digest(hmac_sha512(sts, secret), presented)

    valid = hmac.compare_digest(expected_raw, presented)
    found = [] if valid else _search(_candidates(req, body, correct, digest), matches)
    return _conclude(
        kind="service",
        expected=expected,
        signature=signature.strip(),
        encoding=encoding,
        valid=valid,
        found=found,
        key_fingerprint=f"secret-sha256:{secret.fingerprint}",
        credential="client secret",
    )


def explain_service_asymmetric(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    public_key: PublicKeyInput,
    signature: str,
    include_query: bool = True,
) -> Explanation:
    """Explain a SHA256withRSA service or notification signature (no token).

    Verifies the presented signature against the correct string to sign, then against the
    string to sign of each known mistake, with `public_key`. Returns an `Explanation`.

    Raises:
        SignatureFormatError: the signature is not base64/hex of the key's size.
        BodyNotJSONError: the body is not JSON.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        KeyFormatError: `public_key` cannot be loaded.
    """
    key = _verifying_key(public_key)
    raw, encoding = decode_signature(signature, key.key_size // 8)
    req, correct, digest = _prepare(method, path, body, timestamp, include_query, None)
    string_to_sign = _string_variants_base(req)(digest)
    key_fp = fingerprint(key)
    expected = SignatureTrace(
        kind="service_asymmetric",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        minified_body=correct,
        body_sha256=digest,
        method=req.method,
        path=canonical.signed_path(path, include_query=include_query),
        timestamp=timestamp,
        key_fingerprint=key_fp,
    )

    def matches(sts: str) -> bool:
        return rsa_verify(raw, sts.encode("utf-8"), key)

    valid = matches(string_to_sign)
    found = [] if valid else _search(_candidates(req, body, correct, digest), matches)
    return _conclude(
        kind="service_asymmetric",
        expected=expected,
        signature=signature.strip(),
        encoding=encoding,
        valid=valid,
        found=found,
        key_fingerprint=key_fp,
        credential="public key",
    )


def _prepare(
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    include_query: bool,
    access_token: str | Secret | AccessToken | None,
) -> tuple[_Request, bytes, str]:
    m = canonical.signed_method(method)
    canonical.signed_path(path, include_query=include_query)  # validates the path
    canonical.access_token_string("-", timestamp)  # validates the text
    parse_timestamp(timestamp)
    token = None if access_token is None else canonical.signed_token(access_token)
    correct = minify(body)
    req = _Request(
        method=m,
        path=path.split("#", 1)[0],
        include_query=include_query,
        token=token,
        timestamp=timestamp,
    )
    return req, correct, canonical.body_sha256(correct)
