"""From the hypotheses that fit to an `Explanation`: its flags, first differing stage and hint.

The hint is worded for the side that runs explain (`audience`): the sender is told what it
did, the receiver what the sender did and what to ask of it (or, when its own framework
re-encoded the body, how to verify the raw bytes).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bisnap.trace import STAGES, Encoding, Kind, SignatureTrace

from ._body import CAPTURE_NOTES, BodyHypothesis
from .hypotheses import MISTAKE_STAGES, Candidate
from .model import Audience, Explanation

__all__ = ["conclude", "elapsed_ms"]

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


def conclude(
    *,
    kind: Kind,
    expected: SignatureTrace,
    signature: str,
    encoding: Encoding,
    valid: bool,
    found: list[Candidate],
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

    def settled(mismatch_at: str | None, mistakes: tuple[str, ...], hint: str) -> Explanation:
        """The explanation when no candidate is reported: valid, or nothing fits."""
        return Explanation(
            valid=valid,
            mismatch_at=mismatch_at,
            mistakes=mistakes,
            hint=_with_notes(hint, notes),
            capture=capture,
            notes=notes,
            elapsed_ms=elapsed_ms(started),
            **common,
        )

    if valid:
        mistakes: tuple[str, ...] = ()
        hint = "the signature is valid"
        if encoding == "hex":
            mistakes = ("HexInsteadOfBase64",)
            hint = (
                "the signature is correct but hex-encoded; verifiers accept it, but Midtrans "
                "and most providers expect base64 (BRI and the ASPI sandbox use hex)"
            )
        return settled(None, mistakes, hint)
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
            return settled("minifiedBody", ("BodyReserialised",), hint)
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
        return settled("signature", ("WrongKeyOrSecret",), hint)
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
        elapsed_ms=elapsed_ms(started),
        **common,
    )


def _with_notes(hint: str, notes: Sequence[str]) -> str:
    return hint if not notes else hint + " (note: " + "; ".join(notes) + ")"


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
