"""Explain a rejected signature: which stage differs, and which known mistake made it.

`401xx00 Unauthorized. [Signature]` says only that the signature is wrong. `explain_*`
recomputes every stage the provider computes, then replays the mistakes integrators are
known to make and tells which one reproduces the presented signature:

```python
from bisnap.explain import explain_service

result = explain_service(
    method="POST", path="/v1.0/transfer-va/create-va", body=body_as_sent,
    timestamp=x_timestamp, access_token=token, client_secret=secret, signature=x_signature,
)
print(result.mismatch_at, result.mistakes, result.encoder, result.hint)
```

One search serves the library, the CLI and the emulator's `bisnapDiagnostic`. It tries,
most likely first and within a bounded budget (`MAX_HYPOTHESES`):

1. one body mistake: every encoder of `bisnap.explain.encoders` (Python `json.dumps`
   flags, `JSON.stringify`, PHP `json_encode` flags, Go `encoding/json`, Gson), the
   pretty body as sent, a naive `\\s+` strip, `\\/` or `\\uXXXX` alone, the empty-body
   conventions (`{}`, `null`, an empty or missing hash segment), each under the capture
   artefacts (a final newline, CRLF line ends, a BOM) undone;
2. one string-to-sign mistake (timestamp spelling, `Bearer`, path prefix added or missing,
   host in the path, version segment missing, query dropped or added, method case);
3. one body mistake with one string-to-sign mistake; two string-to-sign mistakes; one body
   mistake with two string-to-sign mistakes.

HMAC-SHA512 candidates are MACed with the client secret; for SHA256withRSA the digest the
signature carries is recovered once with the public key, so each candidate costs one
SHA-256. Only when nothing fits is it `WrongKeyOrSecret`, with the number of hypotheses
tried and the fingerprint of the key or secret used.

Mistake flags (the names the published vectors use):

```
stage minifiedBody   PrettyBodyHashed BodyReserialised SlashEscaped UnicodeEscaped
                     InnerWhitespaceStripped EmptyBodyAsBraces EmptyBodyAsNull
stage bodySha256     EmptyBodyHashEmpty EmptyBodyHashOmitted
stage stringToSign   QueryDropped QueryAdded PathPrefixMissing PathWithHost
                     VersionSegmentMissing BearerInStringToSign TimestampMismatch
                     LowercaseMethod ClientKeyMismatch
stage signature      WrongKeyOrSecret
acceptable           HexInsteadOfBase64 (valid, but hex where base64 is expected)
```
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap import canonical
from bisnap.errors import InputError
from bisnap.keys import PublicKeyInput, check_verifying_key, fingerprint, load_public_key
from bisnap.secrets import AccessToken, Secret, mask, reveal
from bisnap.signing import (
    STAGES,
    Encoding,
    Kind,
    SignatureTrace,
    decode_signature,
    encode_signature,
    hmac_sha512,
)
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp

from ._body import CAPTURE_NOTES, BodyHypothesis, body_hypotheses, body_shapes, strip_bom
from .encoders import ENCODERS, Encoder, slash_escaped, unicode_escaped

__all__ = [
    "BODY_MISTAKES",
    "CAPTURE_NOTES",
    "ENCODERS",
    "KNOWN_HOSTS",
    "MAX_HYPOTHESES",
    "MISTAKE_STAGES",
    "STRING_MISTAKES",
    "Audience",
    "BodyHypothesis",
    "Encoder",
    "Explanation",
    "SenderStages",
    "body_hypotheses",
    "body_shapes",
    "body_variants",
    "explain_access_token",
    "explain_service",
    "explain_service_asymmetric",
    "path_prefix_variants",
    "slash_escaped",
    "timestamp_variants",
    "unicode_escaped",
]

Audience = Literal["sender", "receiver"]

#: Mistakes of the body stages, most likely first.
BODY_MISTAKES = (
    "PrettyBodyHashed",
    "BodyReserialised",
    "SlashEscaped",
    "UnicodeEscaped",
    "InnerWhitespaceStripped",
    "EmptyBodyAsBraces",
    "EmptyBodyAsNull",
    "EmptyBodyHashEmpty",
    "EmptyBodyHashOmitted",
)
#: Mistakes of the stringToSign stage, most likely first.
STRING_MISTAKES = (
    "QueryDropped",
    "QueryAdded",
    "PathPrefixMissing",
    "PathWithHost",
    "VersionSegmentMissing",
    "BearerInStringToSign",
    "TimestampMismatch",
    "LowercaseMethod",
    "ClientKeyMismatch",
)
#: The first stage each flag changes.
MISTAKE_STAGES: dict[str, str | None] = {
    **dict.fromkeys(BODY_MISTAKES, "minifiedBody"),
    "EmptyBodyHashEmpty": "bodySha256",
    "EmptyBodyHashOmitted": "bodySha256",
    **dict.fromkeys(STRING_MISTAKES, "stringToSign"),
    "WrongKeyOrSecret": "signature",
    "HexInsteadOfBase64": None,
}

#: The most hypotheses one search tries (a full search on a 1 KB body tries a few thousand).
MAX_HYPOTHESES = 20_000

# SNAP: providers put a prefix before the version segment `/v{major}.{minor}/`
# (shared/spec/snap-standard.md §4.1); these are the prefixes senders add or forget.
KNOWN_PATH_PREFIXES = ("/snap", "/api", "/openapi", "/snap-service", "/ordersnap/api")
#: Hosts a sender may have put in the signed path (Midtrans's BI-SNAP hosts,
#: shared/spec/midtrans-core.md §4), besides the request's own Host.
KNOWN_HOSTS = (
    "merchants.sbx.midtrans.com",
    "merchants.midtrans.com",
    "merchants.stg.midtrans.com",
    "api.sandbox.midtrans.com",
    "api.midtrans.com",
)
_VERSION_SEGMENT = re.compile(r"/v\d+(?:\.\d+)?/")

_HMAC_BYTES = 64
# DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

_HINTS = {
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

#: A body shape that a provider may send itself (PHP's json_encode does): weak evidence.
_ESCAPES_SHAPE = "non-ASCII text written as \\uXXXX escapes"

_RECEIVER_RAW_BODY = (
    "verify the raw request body bytes (`await request.body()` in FastAPI/Starlette, "
    "`request.get_data()` in Flask, `request.body` in Django), not a re-encoding of the "
    "parsed JSON"
)


@dataclass(frozen=True, repr=False)
class SenderStages:
    """The stages the sender computed, reconstructed from the mistake that fits.

    `minified_body` and `body_sha256` are None for the access-token signature. The string
    to sign may contain the access token: `masked_string_to_sign`, `repr()` and pickles
    mask it.
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

    def __reduce__(self) -> tuple[Any, ...]:
        # Never the access token in pickle bytes: the masked string, no token.
        return (
            SenderStages,
            (self.masked_string_to_sign, self.minified_body, self.body_sha256, None),
        )


def _masked_trace(trace: SignatureTrace) -> SignatureTrace:
    return dataclasses.replace(trace, string_to_sign=trace.masked_string_to_sign, _token=None)


@dataclass(frozen=True, repr=False)
class Explanation:
    """Why a signature is (in)valid: the first stage that differs and the mistake behind it.

    `expected` is the correct trace (what the provider computes; for HMAC its `signature`
    is the correct one, for RSA it is the presented one). `sender` holds the sender's
    stages when a known mistake fits, else None. `key_fingerprint` identifies the public
    key (`SHA256:…`) or the client secret (`secret-sha256:…`) used, never the secret.
    `encoder` names the encoder whose output the sender hashed (when a body mistake fits),
    `capture` the capture artefacts undone, `hypotheses` how many candidate strings to
    sign were tried and `elapsed_ms` how long the search took. Pickles mask the token.
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
    encoder: str | None = None
    capture: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    hypotheses: int = 0
    elapsed_ms: float = 0.0
    audience: Audience = "sender"
    same_bytes_as: tuple[str, ...] = ()

    def to_dict(self, *, reveal_token: bool = False) -> dict[str, Any]:
        """A JSON-ready dict with the vectors' camelCase names; the token masked unless asked.

        Keys: `kind`, the expected stages (`minifiedBody`, `bodySha256`, `stringToSign`),
        `signature` (as presented), `encoding`, `expectedSignature` (HMAC only), `valid`,
        `mismatchAt`, `mistakes`, `hint`, `sender` (or None), `keyFingerprint`, `encoder`
        (or None), `sameBytesAs` (other encoders with the same output), `captureArtefacts`,
        `notes`, `hypotheses`, `elapsedMs` and `audience`.
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
        out["encoder"] = self.encoder
        out["sameBytesAs"] = list(self.same_bytes_as)
        out["captureArtefacts"] = list(self.capture)
        out["notes"] = list(self.notes)
        out["hypotheses"] = self.hypotheses
        out["elapsedMs"] = round(self.elapsed_ms, 3)
        out["audience"] = self.audience
        return out

    def __repr__(self) -> str:
        return (
            f"Explanation(kind={self.kind!r}, valid={self.valid!r}, "
            f"mismatch_at={self.mismatch_at!r}, mistakes={self.mistakes!r}, "
            f"encoder={self.encoder!r}, hypotheses={self.hypotheses!r}, "
            f"key_fingerprint={self.key_fingerprint!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Never the access token in pickle bytes: the traces are pickled masked.
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values["expected"] = _masked_trace(self.expected)
        return (_rebuild_explanation, (values,))


def _rebuild_explanation(values: dict[str, Any]) -> Explanation:
    return Explanation(**values)


def _mask_token(text: str, token: str | None) -> str:
    if not token:
        return text
    for seg in (f":Bearer {token}:", f":{token}:"):
        if seg in text:
            return text.replace(seg, seg.replace(token, mask(token)), 1)
    return text


# --- the mistake transformations ---------------------------------------------------------


def body_variants(body: bytes | str | None) -> list[tuple[str, bytes]]:
    """The bodies a sender hashes by mistake instead of `minify(body)`, with their flags.

    Returns `(flag, bytes hashed)` pairs, most likely first, each different from the
    correct minified body; only the hypotheses that earn a single flag are listed (see
    `body_hypotheses` for all, with their encoders). An empty body gives only
    `EmptyBodyAsBraces`/`EmptyBodyAsNull`.

    Raises:
        BodyNotJSONError: the body is not JSON.
    """
    _, hypotheses = body_hypotheses(body)
    found: list[tuple[str, bytes]] = []
    for hyp in hypotheses:
        if len(hyp.flags) != 1 or hyp.flags[0].startswith("EmptyBodyHash"):
            continue
        pair = (hyp.flags[0], hyp.hashed)
        if pair not in found:
            found.append(pair)
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


def _without_version(path: str) -> str | None:
    match = _VERSION_SEGMENT.search(path.split("?", 1)[0])
    if match is None:
        return None
    return path[: match.start()] + path[match.end() - 1 :]


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


def _other_spellings(timestamp: str) -> list[str]:
    """Spellings of the header's own instant that some clients sign: the offset without its
    colon (Java's SimpleDateFormat `Z`: `+0700`), and the local time with no offset."""
    parts = _TS_PARTS.match(timestamp)
    if parts is None or parts["tz"] == "Z":
        return []
    local = parts["base"] + (parts["frac"] or "")
    found = [local + parts["tz"].replace(":", ""), local]
    return [value for value in found if value != timestamp]


# --- the search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Parts:
    """The pieces of a string to sign; `token` None for the asymmetric form."""

    method: str
    path: str
    token: str | None
    timestamp: str

    def build(self, digest: str) -> str:
        """The string to sign with `digest` as its hash segment (canonical formatters)."""
        if self.token is None:
            return canonical.format_asymmetric(self.method, self.path, digest, self.timestamp)
        return canonical.format_symmetric(
            self.method, self.path, self.token, digest, self.timestamp
        )


@dataclass(frozen=True)
class _StringMistake:
    flag: str
    slot: str
    apply: Callable[[_Parts], _Parts]
    detail: str


@dataclass(frozen=True)
class _Candidate:
    flags: tuple[str, ...]
    sender: SenderStages
    details: tuple[str, ...]
    body: BodyHypothesis | None


def _string_mistakes(
    req: _Parts, raw_path: str, include_query: bool, host: str | None
) -> list[_StringMistake]:
    """Each string-to-sign mistake, most likely first; one per `slot` combines with others."""
    signed = req.path
    out: list[_StringMistake] = []
    ts = req.timestamp

    def path_to(value: str) -> Callable[[_Parts], _Parts]:
        return lambda p: dataclasses.replace(p, path=value)

    has_query = "?" in raw_path
    if has_query and include_query:
        bare = raw_path.split("?", 1)[0]
        out.append(
            _StringMistake(
                "QueryDropped",
                "query",
                lambda p: dataclasses.replace(p, path=p.path.split("?", 1)[0]),
                f"you signed {bare}",
            )
        )
    if has_query and not include_query:
        query = "?" + raw_path.split("?", 1)[1]
        out.append(
            _StringMistake(
                "QueryAdded",
                "query",
                lambda p: dataclasses.replace(p, path=p.path + query),
                f"you signed {raw_path}",
            )
        )
    for stamp in [*timestamp_variants(ts), *_other_spellings(ts)]:
        out.append(
            _StringMistake(
                "TimestampMismatch",
                "timestamp",
                lambda p, stamp=stamp: dataclasses.replace(p, timestamp=stamp),  # type: ignore[misc]
                f"you signed the timestamp {stamp} but sent X-TIMESTAMP {ts}",
            )
        )
    if req.token is not None:
        bearer = f"Bearer {req.token}"
        out.append(
            _StringMistake(
                "BearerInStringToSign",
                "token",
                lambda p: dataclasses.replace(p, token=bearer),
                "",
            )
        )
    for other in path_prefix_variants(signed):
        out.append(
            _StringMistake(
                "PathPrefixMissing",
                "path",
                _swap_path(signed, other),
                f"you signed the path {other} but the request went to {signed}",
            )
        )
    hosts = [h for h in dict.fromkeys([*([host] if host else []), *KNOWN_HOSTS]) if h]
    for name in hosts:
        for form in (f"https://{name}{signed}", f"{name}{signed}"):
            out.append(
                _StringMistake(
                    "PathWithHost",
                    "path",
                    _swap_path(signed, form),
                    f"you signed {form}, with the host; the string to sign takes the "
                    f"relative path {signed}",
                )
            )
    bare_version = _without_version(signed)
    if bare_version is not None:
        out.append(
            _StringMistake(
                "VersionSegmentMissing",
                "path",
                _swap_path(signed, bare_version),
                f"you signed {bare_version}, without the version segment; sign the full "
                f"path {signed}",
            )
        )
    if req.method.lower() != req.method:
        lower = req.method.lower()
        out.append(
            _StringMistake(
                "LowercaseMethod",
                "method",
                lambda p: dataclasses.replace(p, method=lower),
                f"you signed {lower!r}",
            )
        )
    return out


def _swap_path(signed: str, other: str) -> Callable[[_Parts], _Parts]:
    """Replace the signed path by `other`, keeping a query another mistake dropped or added."""
    base, other_base = signed.split("?", 1)[0], other.split("?", 1)[0]

    def apply(p: _Parts) -> _Parts:
        if p.path == signed:
            return dataclasses.replace(p, path=other)
        if p.path.startswith(base):
            return dataclasses.replace(p, path=other_base + p.path[len(base) :])
        return dataclasses.replace(p, path=other)

    return apply


@dataclass(frozen=True)
class _Combo:
    """Up to two string-to-sign mistakes, with the string to sign around the hash segment."""

    mistakes: tuple[_StringMistake, ...]
    head: str
    tail: str

    def string(self, digest: str | None) -> str:
        if digest is None:  # the hash segment left out: "…:token:" + ":ts" → "…:token:ts"
            return self.head[:-1] + self.tail
        return self.head + digest + self.tail


_SENTINEL = "\x00"


def _combo(req: _Parts, mistakes: tuple[_StringMistake, ...]) -> _Combo:
    parts = req
    for m in mistakes:
        parts = m.apply(parts)
    head, tail = parts.build(_SENTINEL).split(_SENTINEL)
    return _Combo(mistakes, head, tail)


_Hypothesis = tuple[BodyHypothesis | None, _Combo]


def _levels(
    req: _Parts, bodies: list[BodyHypothesis], strings: list[_StringMistake]
) -> Iterator[Iterator[_Hypothesis]]:
    """The hypotheses, level by level: one mistake, body+string, two strings, body+2 strings."""
    none = _combo(req, ())
    singles = [_combo(req, (s,)) for s in strings]
    pairs = [
        _combo(req, (a, b))
        for i, a in enumerate(strings)
        for b in strings[i + 1 :]
        # a host in the path is a mistake of its own: tried alone and with a body mistake
        if a.slot != b.slot and "PathWithHost" not in (a.flag, b.flag)
    ]
    yield itertools.chain(((b, none) for b in bodies), ((None, c) for c in singles))
    yield ((b, c) for b in bodies for c in singles)
    yield ((None, c) for c in pairs)
    yield ((b, c) for b in bodies for c in pairs)


def _search(
    levels: Iterator[Iterator[_Hypothesis]],
    digest: str,
    matches: Callable[[str], bool],
    budget: int,
) -> tuple[list[_Hypothesis], int]:
    """The hypotheses that reproduce the signature (all of the first level with a match),
    and how many distinct strings to sign were tried."""
    checked: set[str] = set()
    for level in levels:
        found: list[_Hypothesis] = []
        for body, combo in level:
            sts = combo.string(digest if body is None else body.digest)
            if sts in checked:
                continue
            if len(checked) >= budget:
                return found, len(checked)
            checked.add(sts)
            if matches(sts):
                found.append((body, combo))
        if found:
            return found, len(checked)
    return [], len(checked)


def _candidate(hyp: _Hypothesis, correct: bytes, digest: str, token: str | None) -> _Candidate:
    body, combo = hyp
    body_digest = digest if body is None else body.digest
    hashed = correct if body is None else body.hashed
    sender = SenderStages(combo.string(body_digest), hashed, body_digest, token)
    mistakes = sorted(combo.mistakes, key=lambda m: STRING_MISTAKES.index(m.flag))
    flags = (*(() if body is None else body.flags), *(m.flag for m in mistakes))
    return _Candidate(flags, sender, tuple(m.detail for m in mistakes), body)


def _hint_for(flag: str, detail: str, body: BodyHypothesis | None, audience: Audience) -> str:
    if body is not None and flag in body.flags:
        if audience == "receiver":
            return _receiver_body_hint(flag, body)
        return body.hint
    if audience == "receiver":
        return _receiver_hint(flag, detail)
    if flag == "TimestampMismatch":
        return detail + "; sign the X-TIMESTAMP header value byte for byte"
    if flag == "PathPrefixMissing":
        return detail + "; sign the exact path the request goes to, with the provider's prefix"
    if flag in ("PathWithHost", "VersionSegmentMissing", "ClientKeyMismatch"):
        return detail
    return _HINTS.get(flag, detail)


def _receiver_body_hint(flag: str, body: BodyHypothesis) -> str:
    if flag in ("BodyReserialised", "UnicodeEscaped", "SlashEscaped"):
        return (
            f"the sender signed {body.encoder} of the body you verified, so your body is not "
            f"the bytes that were on the wire; {_RECEIVER_RAW_BODY}"
        )
    if flag == "PrettyBodyHashed":
        return (
            f"the sender hashed the body without minifying it ({body.encoder}); SNAP hashes "
            "the minified body: the mistake is the sender's, report it to them (and verify "
            "the raw request body, in case your framework pretty-printed it)"
        )
    if flag == "InnerWhitespaceStripped":
        return (
            "the sender's minifier also deleted whitespace inside string values: the mistake "
            "is the sender's, report it to them"
        )
    return (
        f"the sender hashed {body.encoder} for an empty body; SNAP hashes the empty string: "
        "the mistake is the sender's, report it to them"
    )


def _receiver_hint(flag: str, detail: str) -> str:
    if flag == "PathPrefixMissing":
        return (
            detail.replace("you signed", "the sender signed").replace(
                "the request went to", "you verified"
            )
            + "; if your endpoint sits under a prefix, verify with that prefix removed "
            "(path_prefix= / --path-prefix)"
        )
    if flag == "QueryDropped":
        return (
            "the sender signed the path without its query string; verify the bare path "
            "(include_query=False / --no-query)"
        )
    if flag == "QueryAdded":
        return "the sender signed the path with its query string; verify path+query as received"
    if flag == "TimestampMismatch":
        return (
            detail.replace("you signed", "the sender signed").replace("but sent", "but sent")
            + "; the sender must sign its X-TIMESTAMP header byte for byte: report it to them"
        )
    if flag == "LowercaseMethod":
        return "the sender signed the method in lower case; report it to them"
    if flag == "BearerInStringToSign":
        return (
            "the sender put 'Bearer <token>' in the string to sign; it takes the bare token: "
            "report it to them"
        )
    return detail.replace("you signed", "the sender signed") or _HINTS.get(flag, "")


def _conclude(
    *,
    kind: Kind,
    expected: SignatureTrace,
    signature: str,
    encoding: Encoding,
    valid: bool,
    found: list[_Candidate],
    key_fingerprint: str,
    tried: int,
    started: float,
    audience: Audience,
    capture: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
    shapes: Sequence[str] = (),
    budget_hit: bool = False,
) -> Explanation:
    common: dict[str, Any] = {
        "kind": kind,
        "expected": expected,
        "signature": signature,
        "encoding": encoding,
        "key_fingerprint": key_fingerprint,
        "hypotheses": tried,
        "audience": audience,
    }
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
            valid=True,
            mismatch_at=None,
            mistakes=mistakes,
            hint=_with_notes(hint, notes),
            capture=capture,
            notes=notes,
            elapsed_ms=_ms(started),
            **common,
        )
    if not found:
        secret = kind == "service"
        what = "client secret" if secret else "key"
        count = f"{tried:,}" + (" (the search budget)" if budget_hit else "")
        if audience == "receiver" and any(s != _ESCAPES_SHAPE for s in shapes):
            hint = (
                f"your body shows a framework re-encoded it before you verified it "
                f"({', '.join(shapes)}); {_RECEIVER_RAW_BODY}. None of the {count} known "
                f"mistakes reproduces the signature from this body with {key_fingerprint}"
            )
            return Explanation(
                valid=False,
                mismatch_at="minifiedBody",
                mistakes=("BodyReserialised",),
                hint=_with_notes(hint, notes),
                capture=capture,
                notes=notes,
                elapsed_ms=_ms(started),
                **common,
            )
        hint = (
            f"credentials differ: none of the {count} known mistakes reproduces this "
            f"signature; the sender's {what} differs from {key_fingerprint}"
        )
        if not secret and audience == "sender":
            hint += (
                " (check that your private key matches the public key registered with the "
                "provider: `bisnap keys inspect private-key.pem public-key.pem` shows both "
                "fingerprints)"
            )
        elif not secret:
            hint += (
                " (check that you verify with the provider's public key for this "
                "environment, sandbox or production)"
            )
        else:
            hint += (
                " (the HMAC key is the client secret, not the client ID or the server key; "
                "compare the fingerprints)"
            )
        if shapes:  # escapes alone: providers send them too, so only a possibility
            hint += (
                f"; your body has {', '.join(shapes)}: if your framework re-encoded it, "
                f"{_RECEIVER_RAW_BODY}"
            )
        return Explanation(
            valid=False,
            mismatch_at="signature",
            mistakes=("WrongKeyOrSecret",),
            hint=_with_notes(hint, notes),
            capture=capture,
            notes=notes,
            elapsed_ms=_ms(started),
            **common,
        )
    flags: list[str] = []
    hints: list[str] = []
    for cand in found:
        details = dict(
            zip(
                [f for f in cand.flags if cand.body is None or f not in cand.body.flags],
                cand.details,
                strict=False,
            )
        )
        for flag in cand.flags:
            if flag not in flags:
                flags.append(flag)
                hint = _hint_for(flag, details.get(flag, ""), cand.body, audience)
                if hint and hint not in hints:
                    hints.append(hint)
    first = found[0]
    stages = [MISTAKE_STAGES[f] for f in first.flags]
    mismatch_at = min((s for s in stages if s), key=STAGES.index)
    body = first.body
    capture_all = tuple(dict.fromkeys([*capture, *(body.capture if body else ())]))
    all_notes = (*notes, *(CAPTURE_NOTES[c] for c in capture_all if c not in capture))
    text = "; and ".join(hints)
    return Explanation(
        valid=False,
        mismatch_at=mismatch_at,
        mistakes=tuple(flags),
        hint=_with_notes(text, all_notes),
        sender=first.sender,
        encoder=None if body is None else body.encoder,
        same_bytes_as=() if body is None else body.also,
        capture=capture_all,
        notes=all_notes,
        elapsed_ms=_ms(started),
        **common,
    )


def _with_notes(hint: str, notes: Sequence[str]) -> str:
    return hint if not notes else hint + " (note: " + "; ".join(notes) + ")"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0


def _verifying_key(public_key: PublicKeyInput) -> rsa.RSAPublicKey:
    key = load_public_key(public_key)
    check_verifying_key(key)
    return key


def _rsa_matcher(raw: bytes, key: rsa.RSAPublicKey) -> Callable[[str], bool]:
    """`sts → signature verifies`: the signed digest recovered once with the public key,
    then one SHA-256 per candidate (the same check as a PKCS#1 v1.5 SHA-256 verify)."""
    try:
        recovered = key.recover_data_from_signature(raw, padding.PKCS1v15(), None)
    except (InvalidSignature, ValueError):
        return lambda sts: False
    if not recovered.startswith(_SHA256_DIGEST_INFO) or len(recovered) != 51:
        return lambda sts: False
    wanted = recovered[len(_SHA256_DIGEST_INFO) :]

    def matches(sts: str) -> bool:
        return hmac.compare_digest(hashlib.sha256(sts.encode("utf-8")).digest(), wanted)

    return matches


# --- public API ---------------------------------------------------------------------------


def explain_access_token(
    *,
    client_key: str,
    timestamp: str,
    signature: str,
    public_key: PublicKeyInput,
    registered_client_key: str | None = None,
    audience: Audience = "sender",
) -> Explanation:
    """Explain an access-token signature (`clientKey|X-TIMESTAMP`, SHA256withRSA).

    Returns an `Explanation`: valid, or the mistake that fits (`TimestampMismatch`;
    `ClientKeyMismatch` when `registered_client_key` is given and X-CLIENT-KEY is not it,
    or the signature was made over the registered key), or `WrongKeyOrSecret` with the
    fingerprint of `public_key` and how to compare key fingerprints.

    Raises:
        SignatureFormatError: the signature is not base64/hex of the key's size.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        KeyFormatError: `public_key` cannot be loaded.
    """
    started = time.perf_counter()
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
    matches = _rsa_matcher(raw, key)
    valid = matches(string_to_sign)
    unregistered = registered_client_key is not None and registered_client_key != client_key
    found: list[_Candidate] = []
    tried = 1
    if unregistered and registered_client_key is not None:
        detail = (
            f"X-CLIENT-KEY {client_key!r} is not the registered client key "
            f"{registered_client_key!r}; send (and sign) the client key the provider issued"
        )
        cand = _Candidate(
            ("ClientKeyMismatch",),
            SenderStages(canonical.format_access_token(client_key, timestamp)),
            (detail,),
            None,
        )
        if valid:
            found = [cand]
        else:
            signed_registered = canonical.format_access_token(registered_client_key, timestamp)
            tried += 1
            if matches(signed_registered):
                found = [
                    _Candidate(
                        ("ClientKeyMismatch",),
                        SenderStages(signed_registered),
                        (
                            f"you signed the client key {registered_client_key!r} but sent "
                            f"X-CLIENT-KEY {client_key!r}; send the key you sign",
                        ),
                        None,
                    )
                ]
        valid = False
    if not valid and not found:
        keys = [client_key]
        if registered_client_key and registered_client_key != client_key:
            keys.append(registered_client_key)
        level = []
        for ck in keys:
            for stamp in variants:
                flags: tuple[str, ...] = ("TimestampMismatch",)
                details: tuple[str, ...] = (
                    f"you signed the timestamp {stamp} but sent X-TIMESTAMP {timestamp}",
                )
                if ck != client_key:
                    flags = ("ClientKeyMismatch", "TimestampMismatch")
                    details = (f"you signed the client key {ck!r}", *details)
                level.append(
                    _Candidate(
                        flags, SenderStages(canonical.format_access_token(ck, stamp)), details, None
                    )
                )
        found = [c for c in level if matches(c.sender.string_to_sign)]
        tried += len(level)
    return _conclude(
        kind="access_token",
        expected=expected,
        signature=signature.strip(),
        encoding=encoding,
        valid=valid,
        found=found,
        key_fingerprint=key_fp,
        tried=tried,
        started=started,
        audience=audience,
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
    host: str | None = None,
    audience: Audience = "sender",
    max_hypotheses: int = MAX_HYPOTHESES,
) -> Explanation:
    """Explain an HMAC-SHA512 service signature, recomputing it under each known mistake.

    `body` is the body exactly as sent (or as captured: a final newline, CRLF line ends or
    a BOM the capture added are recognised and reported); `path` the relative path as sent
    (query included; `include_query=False` for providers that sign the bare path); `host`
    the request's host, tried as a prefix of the signed path. `audience` words the hints
    for whoever runs it. Returns an `Explanation`; `key_fingerprint` is `secret-sha256:` +
    the secret's short fingerprint.

    Raises:
        SignatureFormatError: the signature is not base64/hex of 64 bytes.
        BodyNotJSONError: the body is not JSON.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        SecretFormatError: empty secret or token, a PEM as secret, `Bearer ` in the token.
    """
    started = time.perf_counter()
    presented, encoding = decode_signature(signature, _HMAC_BYTES)
    secret = Secret(reveal(client_secret))
    key = secret.reveal().encode("utf-8")
    token = canonical.signed_token(access_token)
    prep = _prepare(method, path, body, timestamp, include_query, token, None)
    string_to_sign = prep.parts.build(prep.digest)
    expected_raw = hmac_sha512(string_to_sign, secret)
    expected = SignatureTrace(
        kind="service",
        string_to_sign=string_to_sign,
        signature=encode_signature(expected_raw, encoding),
        encoding=encoding,
        minified_body=prep.correct,
        body_sha256=prep.digest,
        method=prep.parts.method,
        path=prep.parts.path,
        timestamp=timestamp,
        _token=token,
    )

    def matches(sts: str) -> bool:
        # the presented signature is public: a plain comparison leaks nothing
        return hmac.digest(key, sts.encode("utf-8"), "sha512") == presented

    valid = hmac.compare_digest(expected_raw, presented)
    return _run(
        prep,
        kind="service",
        expected=expected,
        signature=signature.strip(),
        encoding=encoding,
        valid=valid,
        matches=matches,
        key_fingerprint=f"secret-sha256:{secret.fingerprint}",
        body=body,
        include_query=include_query,
        host=host,
        audience=audience,
        budget=max_hypotheses,
        started=started,
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
    path_prefix: str | None = None,
    host: str | None = None,
    audience: Audience = "sender",
    max_hypotheses: int = MAX_HYPOTHESES,
) -> Explanation:
    """Explain a SHA256withRSA service or notification signature (no token).

    The digest the signature carries is recovered once with `public_key`, then compared
    with the SHA-256 of the correct string to sign and of each known mistake's. A
    receiver passes `path_prefix` (as `NotificationVerifier` does): the path it verifies is
    the request path with that prefix removed, and a signature that verifies so is valid,
    with a note. Returns an `Explanation`.

    Raises:
        SignatureFormatError: the signature is not base64/hex of the key's size.
        BodyNotJSONError: the body is not JSON.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        KeyFormatError: `public_key` cannot be loaded.
        InputError: the path does not start with `path_prefix`.
    """
    started = time.perf_counter()
    key = _verifying_key(public_key)
    raw, encoding = decode_signature(signature, key.key_size // 8)
    prep = _prepare(method, path, body, timestamp, include_query, None, path_prefix)
    string_to_sign = prep.parts.build(prep.digest)
    key_fp = fingerprint(key)
    expected = SignatureTrace(
        kind="service_asymmetric",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        minified_body=prep.correct,
        body_sha256=prep.digest,
        method=prep.parts.method,
        path=prep.parts.path,
        timestamp=timestamp,
        key_fingerprint=key_fp,
    )
    matches = _rsa_matcher(raw, key)
    valid = matches(string_to_sign)
    return _run(
        prep,
        kind="service_asymmetric",
        expected=expected,
        signature=signature.strip(),
        encoding=encoding,
        valid=valid,
        matches=matches,
        key_fingerprint=key_fp,
        body=body,
        include_query=include_query,
        host=host,
        audience=audience,
        budget=max_hypotheses,
        started=started,
    )


@dataclass(frozen=True)
class _Prepared:
    parts: _Parts
    raw_path: str
    correct: bytes
    digest: str
    bodies: list[BodyHypothesis]
    capture: tuple[str, ...]
    notes: tuple[str, ...]


def _prepare(
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    include_query: bool,
    token: str | None,
    path_prefix: str | None,
) -> _Prepared:
    m = canonical.signed_method(method)
    canonical.signed_path(path, include_query=include_query)  # validates the path
    canonical.access_token_string("-", timestamp)  # validates the text
    parse_timestamp(timestamp)
    notes: list[str] = []
    raw_path = path.split("#", 1)[0]
    if path_prefix is not None:
        prefix = path_prefix.rstrip("/")
        if not path_prefix.startswith("/"):
            raise InputError(
                "path_prefix must be a path starting with '/'",
                hint="Pass the path part of the URL you registered, e.g. '/hooks/midtrans'.",
            )
        if prefix:
            if not (raw_path == prefix or raw_path.startswith(prefix + "/")):
                raise InputError(
                    f"the request path does not start with the path prefix {prefix!r}",
                    hint="Pass the path as received and the prefix your endpoint sits under.",
                )
            stripped = raw_path[len(prefix) :] or "/"
            notes.append(
                f"verified over {stripped.split('?', 1)[0]}: the request path with the path "
                f"prefix {prefix} removed"
            )
            raw_path = stripped
    unbommed, had_bom = strip_bom(body)
    capture: tuple[str, ...] = ("ByteOrderMark",) if had_bom else ()
    if had_bom:
        notes.append(CAPTURE_NOTES["ByteOrderMark"])
    correct, bodies = body_hypotheses(unbommed)
    parts = _Parts(
        m, canonical.signed_path(raw_path, include_query=include_query), token, timestamp
    )
    return _Prepared(
        parts, raw_path, correct, canonical.body_sha256(correct), bodies, capture, tuple(notes)
    )


def _run(
    prep: _Prepared,
    *,
    kind: Kind,
    expected: SignatureTrace,
    signature: str,
    encoding: Encoding,
    valid: bool,
    matches: Callable[[str], bool],
    key_fingerprint: str,
    body: bytes | str | None,
    include_query: bool,
    host: str | None,
    audience: Audience,
    budget: int,
    started: float,
) -> Explanation:
    found: list[_Candidate] = []
    tried = 1
    shapes: list[str] = []
    if not valid:
        strings = _string_mistakes(prep.parts, prep.raw_path, include_query, host)
        levels = _levels(prep.parts, prep.bodies, strings)
        hits, more = _search(levels, prep.digest, matches, budget)
        found = [_candidate(h, prep.correct, prep.digest, prep.parts.token) for h in hits]
        tried += more
        if audience == "receiver":
            shapes = body_shapes(strip_bom(body)[0])
    return _conclude(
        kind=kind,
        expected=expected,
        signature=signature,
        encoding=encoding,
        valid=valid,
        found=found,
        key_fingerprint=key_fingerprint,
        tried=tried,
        started=started,
        audience=audience,
        capture=prep.capture,
        notes=prep.notes,
        shapes=shapes,
        budget_hit=tried > budget,
    )
