"""The search: every hypothesis, most likely first, checked against the presented signature.

Hypotheses go level by level (one mistake; a body and a string-to-sign mistake; two
string-to-sign mistakes; a body and two) and each distinct string to sign is checked once,
within the budget. HMAC-SHA512 candidates are MACed with the client secret; for
SHA256withRSA the digest the signature carries is recovered once (`rsa_matcher`).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap import canonical
from bisnap.errors import InputError
from bisnap.keys import PublicKeyInput, check_verifying_key, load_public_key
from bisnap.timestamps import parse_timestamp
from bisnap.trace import Encoding, Kind, SignatureTrace

from ._body import CAPTURE_NOTES, BodyHypothesis, body_hypotheses, body_shapes, strip_bom
from .conclude import conclude
from .hypotheses import STRING_MISTAKES, Candidate, Parts, StringMistake, string_mistakes
from .model import Audience, Explanation, SenderStages

__all__ = ["Prepared", "explain_request", "prepare", "rsa_matcher", "verifying_key"]

# DER DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True)
class _Combo:
    """Up to two string-to-sign mistakes, with the string to sign around the hash segment."""

    mistakes: tuple[StringMistake, ...]
    head: str
    tail: str

    def string(self, digest: str | None) -> str:
        if digest is None:  # the hash segment left out: "…:token:" + ":ts" → "…:token:ts"
            return self.head[:-1] + self.tail
        return self.head + digest + self.tail


_SENTINEL = "\x00"


def _combo(req: Parts, mistakes: tuple[StringMistake, ...]) -> _Combo:
    parts = req
    for m in mistakes:
        parts = m.apply(parts)
    head, tail = parts.build(_SENTINEL).split(_SENTINEL)
    return _Combo(mistakes, head, tail)


_Hypothesis = tuple[BodyHypothesis | None, _Combo]


def _levels(
    req: Parts, bodies: list[BodyHypothesis], strings: list[StringMistake]
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


def _candidate(hyp: _Hypothesis, correct: bytes, digest: str, token: str | None) -> Candidate:
    body, combo = hyp
    body_digest = digest if body is None else body.digest
    hashed = correct if body is None else body.hashed
    sender = SenderStages(combo.string(body_digest), hashed, body_digest, token)
    mistakes = sorted(combo.mistakes, key=lambda m: STRING_MISTAKES.index(m.flag))
    flags = (*(() if body is None else body.flags), *(m.flag for m in mistakes))
    return Candidate(flags, sender, tuple(m.detail for m in mistakes), body)


def verifying_key(public_key: PublicKeyInput) -> rsa.RSAPublicKey:
    key = load_public_key(public_key)
    check_verifying_key(key)
    return key


def rsa_matcher(raw: bytes, key: rsa.RSAPublicKey) -> Callable[[str], bool]:
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


@dataclass(frozen=True)
class Prepared:
    parts: Parts
    raw_path: str
    correct: bytes
    digest: str
    bodies: list[BodyHypothesis]
    capture: tuple[str, ...]
    notes: tuple[str, ...]


def prepare(
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    include_query: bool,
    token: str | None,
    path_prefix: str | None,
) -> Prepared:
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
    parts = Parts(m, canonical.signed_path(raw_path, include_query=include_query), token, timestamp)
    return Prepared(
        parts, raw_path, correct, canonical.body_sha256(correct), bodies, capture, tuple(notes)
    )


def explain_request(
    prep: Prepared,
    *,
    kind: Kind,
    signature: str,
    encoding: Encoding,
    matches: Callable[[str], bool],
    key_fingerprint: str,
    body: bytes | str | None,
    include_query: bool,
    host: str | None,
    audience: Audience,
    budget: int,
    started: float,
    sign: Callable[[str], str] | None = None,
) -> Explanation:
    """Explain a service signature over a prepared request.

    `matches(sts)` tells whether a candidate string to sign reproduces the signature; `sign`
    (HMAC only) computes the correct signature, shown as the expected one. The RSA trace
    carries the presented signature and the key's fingerprint instead.
    """
    string_to_sign = prep.parts.build(prep.digest)
    presented = signature.strip()
    expected = SignatureTrace(
        kind=kind,
        string_to_sign=string_to_sign,
        signature=presented if sign is None else sign(string_to_sign),
        encoding=encoding,
        minified_body=prep.correct,
        body_sha256=prep.digest,
        method=prep.parts.method,
        path=prep.parts.path,
        timestamp=prep.parts.timestamp,
        key_fingerprint=key_fingerprint if sign is None else None,
        _token=prep.parts.token,
    )
    valid = matches(string_to_sign)
    found: list[Candidate] = []
    tried = 1
    shapes: list[str] = []
    if not valid:
        strings = string_mistakes(prep.parts, prep.raw_path, include_query, host)
        levels = _levels(prep.parts, prep.bodies, strings)
        hits, more = _search(levels, prep.digest, matches, budget)
        found = [_candidate(h, prep.correct, prep.digest, prep.parts.token) for h in hits]
        tried += more
        if audience == "receiver":
            shapes = body_shapes(strip_bom(body)[0])
    return conclude(
        kind=kind,
        expected=expected,
        signature=presented,
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
