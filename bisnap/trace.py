"""`SignatureTrace`: every stage of one signature computation, immutable and cheap to build.

`bisnap.signing` computes the stages (`Stages`) and builds each trace with `trace_of`;
everything that shows a signature (the CLI, `explain`, the debugger page, errors) reads it.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, Literal

from bisnap.errors import InputTypeError
from bisnap.secrets import mask

__all__ = ["STAGES", "Encoding", "Kind", "SignatureTrace", "Stages", "stage_names", "trace_of"]

Encoding = Literal["base64", "hex"]
Kind = Literal["access_token", "service", "service_asymmetric"]

#: The stage names, in order, as used by vectors, the CLI and `SignatureMismatchError.stage`.
STAGES = ("minifiedBody", "bodySha256", "stringToSign", "signature")


_TRACE_FIELDS = (
    "kind",
    "string_to_sign",
    "signature",
    "encoding",
    "minified_body",
    "body_sha256",
    "method",
    "path",
    "timestamp",
    "key_fingerprint",
)


class SignatureTrace:
    """Every stage of one signature computation (immutable).

    `minified_body` and `body_sha256` are None for the access-token signature.
    `string_to_sign` is the exact string signed; it contains the access token for the
    symmetric service signature, so `repr()` and `masked_string_to_sign` mask that segment,
    and a pickled trace carries the masked string only (the token never reaches the bytes).
    """

    # One tuple holds every stage: building a trace is one allocation, and the attributes
    # below are read-only properties over it (attached after the class).
    __slots__ = ("_stages",)
    _stages: tuple[Any, ...]

    if TYPE_CHECKING:

        @property
        def kind(self) -> Kind: ...
        @property
        def string_to_sign(self) -> str: ...
        @property
        def signature(self) -> str: ...
        @property
        def encoding(self) -> Encoding: ...
        @property
        def minified_body(self) -> bytes | None: ...
        @property
        def body_sha256(self) -> str | None: ...
        @property
        def method(self) -> str | None: ...
        @property
        def path(self) -> str | None: ...
        @property
        def timestamp(self) -> str | None: ...
        @property
        def key_fingerprint(self) -> str | None: ...
        @property
        def _token(self) -> str | None: ...

    def __init__(
        self,
        *,
        kind: Kind,
        string_to_sign: str,
        signature: str,
        encoding: Encoding,
        minified_body: bytes | None = None,
        body_sha256: str | None = None,
        method: str | None = None,
        path: str | None = None,
        timestamp: str | None = None,
        key_fingerprint: str | None = None,
        _token: str | None = None,
    ) -> None:
        _SET_STAGES(
            self,
            (
                kind,
                string_to_sign,
                signature,
                encoding,
                minified_body,
                body_sha256,
                method,
                path,
                timestamp,
                key_fingerprint,
                _token,
            ),
        )

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SignatureTrace is immutable: cannot assign {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SignatureTrace is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not SignatureTrace:
            return NotImplemented
        return self._stages[:-1] == other._stages[:-1]  # the token is not compared

    def __hash__(self) -> int:
        return hash(self._stages[:-1])

    def replace(self, **changes: Any) -> SignatureTrace:
        """A copy with `changes` applied (the field names of the constructor)."""
        state = dict(zip((*_TRACE_FIELDS, "_token"), self._stages, strict=True))
        unknown = set(changes) - state.keys()
        if unknown:
            raise InputTypeError(
                f"SignatureTrace has no field {sorted(unknown)[0]!r}",
                hint=f"Replace one of: {', '.join(state)}.",
            )
        state.update(changes)
        return SignatureTrace(**state)

    __replace__ = replace  # copy.replace() (Python 3.13+)

    def __reduce__(self) -> tuple[Any, ...]:
        # The token goes nowhere: the pickle holds the masked string to sign and no token.
        state = dict(zip(_TRACE_FIELDS, self._stages, strict=False))
        state["string_to_sign"] = self.masked_string_to_sign
        return (_rebuild_trace, (state,))

    @property
    def masked_string_to_sign(self) -> str:
        """The string to sign with the access-token segment masked."""
        token = self._token
        if token:
            return self.string_to_sign.replace(f":{token}:", f":{mask(token)}:", 1)
        return self.string_to_sign

    @property
    def signature_bytes(self) -> bytes:
        """The raw signature bytes (decoded from base64 or hex)."""
        if self.encoding == "hex":
            return bytes.fromhex(self.signature)
        return base64.b64decode(self.signature)

    def stages(self, *, reveal_token: bool = False) -> dict[str, Any]:
        """The stages under the vectors' camelCase names (token masked unless asked)."""
        out = stage_names(
            self.minified_body,
            self.body_sha256,
            self.string_to_sign if reveal_token else self.masked_string_to_sign,
        )
        out["signature"] = self.signature
        out["encoding"] = self.encoding
        return out

    def __repr__(self) -> str:
        body = None
        if self.minified_body is not None:
            body = f"<{len(self.minified_body)} bytes>"
        return (
            f"SignatureTrace(kind={self.kind!r}, minified_body={body}, "
            f"body_sha256={self.body_sha256!r}, string_to_sign={self.masked_string_to_sign!r}, "
            f"signature={self.signature!r}, encoding={self.encoding!r})"
        )


_SET_STAGES = vars(SignatureTrace)["_stages"].__set__  # the slot's own setter


def _stage_property(index: int, name: str) -> property:
    def get(trace: SignatureTrace) -> Any:
        return trace._stages[index]

    return property(get, doc=f"The {name} stage.")


for _index, _name in enumerate((*_TRACE_FIELDS, "_token")):
    setattr(SignatureTrace, _name, _stage_property(_index, _name))


def _rebuild_trace(state: dict[str, Any]) -> SignatureTrace:
    return SignatureTrace(**state)


_NEW = object.__new__


#: What a signature is computed over, computed once per call: the string to sign, its UTF-8
#: bytes, the minified body, its SHA-256, the method, path, timestamp and token as signed.
Stages = tuple[str, bytes, bytes | None, str | None, str | None, str | None, str, str | None]


def trace_of(
    kind: Kind, stages: Stages, signature: str, encoding: Encoding, fp: str | None
) -> SignatureTrace:
    """The trace of `stages` signed as `signature` (the hot paths' constructor: positional,
    one tuple, no keyword parsing, no `__init__`)."""
    sts, _, minified, digest, m, p, ts, token = stages
    trace: SignatureTrace = _NEW(SignatureTrace)
    _SET_STAGES(trace, (kind, sts, signature, encoding, minified, digest, m, p, ts, fp, token))
    return trace


def stage_names(
    minified_body: bytes | None, body_sha256: str | None, string_to_sign: str
) -> dict[str, Any]:
    """The body and string-to-sign stages under the vectors' camelCase names."""
    out: dict[str, Any] = {}
    if minified_body is not None:
        out["minifiedBody"] = minified_body.decode("utf-8", "backslashreplace")
        out["bodySha256"] = body_sha256
    out["stringToSign"] = string_to_sign
    return out
