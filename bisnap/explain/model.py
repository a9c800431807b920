"""What an explanation says: `Explanation` and the sender's reconstructed `SenderStages`.

Both are frozen, and neither lets the access token out: `repr()`, `to_dict()` (unless asked)
and pickles carry the string to sign with the token masked.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from bisnap.secrets import mask
from bisnap.trace import Encoding, Kind, SignatureTrace, stage_names

__all__ = ["Audience", "Explanation", "SenderStages"]

#: Whose words the hints use: the side that signed, or the side that verifies.
Audience = Literal["sender", "receiver"]


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
        return stage_names(
            self.minified_body,
            self.body_sha256,
            self.string_to_sign if reveal_token else self.masked_string_to_sign,
        )

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
    return trace.replace(string_to_sign=trace.masked_string_to_sign, _token=None)


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
