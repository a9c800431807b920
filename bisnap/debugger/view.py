"""What the debugger page draws: both sides' stages, the first differing byte, a curl command.

`debug_view` answers `POST /api/debug`: the explain JSON (`bisnap.debugger.actions`) plus each
stage of the provider beside the sender's, the first differing byte with the bytes around
it escaped, and a corrected `curl` command.

No secret leaves this module: the access token is masked by stars of its own length (so byte
offsets stay true), and the `curl` command reads the token from `$BISNAP_ACCESS_TOKEN`.
"""

from __future__ import annotations

import shlex
from typing import Any

from bisnap.explain import Explanation
from bisnap.headers import redact_headers
from bisnap.secrets import Secret
from bisnap.trace import STAGES

from .actions import TOKEN_ENV, explain, explanation_json, sign_inputs
from .inputs import DebugInputs, read_inputs

__all__ = ["CONTEXT_BYTES", "debug_view", "escape_bytes", "first_difference"]

#: Bytes shown on each side of the first differing byte.
CONTEXT_BYTES = 24

_SKIPPED_HEADERS = {"host", "content-length", "authorization", "x-signature", "x-timestamp"}


def escape_bytes(data: bytes) -> str:
    """`data` as readable text: printable ASCII as is, `\\n` `\\r` `\\t` `\\\\`, else `\\xNN`."""
    out: list[str] = []
    for byte in data:
        if byte == 0x5C:
            out.append("\\\\")
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        elif byte == 0x0A:
            out.append("\\n")
        elif byte == 0x0D:
            out.append("\\r")
        elif byte == 0x09:
            out.append("\\t")
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out)


def first_difference(left: bytes, right: bytes) -> int | None:
    """The offset of the first byte where `left` and `right` differ (None when equal).

    When one is a prefix of the other, the offset is the shorter one's length.
    """
    if left == right:
        return None
    for offset, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            return offset
    return min(len(left), len(right))


def _context(data: bytes, offset: int) -> dict[str, str]:
    start = max(0, offset - CONTEXT_BYTES)
    return {
        "before": ("…" if start > 0 else "") + escape_bytes(data[start:offset]),
        "at": escape_bytes(data[offset : offset + 1]) if offset < len(data) else "(end)",
        "after": escape_bytes(data[offset + 1 : offset + 1 + CONTEXT_BYTES])
        + ("…" if offset + 1 + CONTEXT_BYTES < len(data) else ""),
    }


def _hide(data: bytes, token: Secret | None) -> bytes:
    """`data` with every copy of the access token replaced by stars of the same length."""
    if token is None or not token.reveal():
        return data
    secret = token.reveal().encode("utf-8")
    return data.replace(secret, b"*" * len(secret))


def _stage_rows(exp: Explanation, token: Secret | None) -> list[dict[str, Any]]:
    trace = exp.expected
    sender = exp.sender
    provider: dict[str, bytes | None] = {
        "minifiedBody": trace.minified_body,
        "bodySha256": None if trace.body_sha256 is None else trace.body_sha256.encode(),
        "stringToSign": trace.string_to_sign.encode("utf-8"),
        # HMAC: the signature the provider computes; RSA: only the sender's is known.
        "signature": trace.signature.encode() if exp.kind == "service" else None,
    }
    theirs: dict[str, bytes | None] = {name: None for name in STAGES}
    if sender is not None:
        theirs["minifiedBody"] = sender.minified_body
        theirs["bodySha256"] = None if sender.body_sha256 is None else sender.body_sha256.encode()
        theirs["stringToSign"] = sender.string_to_sign.encode("utf-8")
    elif exp.valid:
        theirs.update({k: v for k, v in provider.items() if k != "signature"})
    theirs["signature"] = exp.signature.encode()
    rows: list[dict[str, Any]] = []
    for name in STAGES:
        if exp.kind == "access_token" and name in ("minifiedBody", "bodySha256"):
            continue
        ours, other = provider[name], theirs[name]
        row: dict[str, Any] = {
            "stage": name,
            "provider": None if ours is None else escape_bytes(_hide(ours, token)),
            "sender": None if other is None else escape_bytes(_hide(other, token)),
            "offset": None,
        }
        if ours is not None and other is not None:
            offset = first_difference(ours, other)
            row["offset"] = offset
            if offset is not None:
                row["providerContext"] = _context(_hide(ours, token), offset)
                row["senderContext"] = _context(_hide(other, token), offset)
        rows.append(row)
    return rows


def _curl(inp: DebugInputs, exp: Explanation) -> dict[str, str]:
    """A corrected curl command: the request as sent, with the signature the provider expects.

    HMAC: signed here with the client secret. RSA: a private key is needed; when none was
    given the signature is left as `$SIGNATURE` with the `bisnap sign` command that makes it.
    """
    request = inp.request
    host = (request.header("Host") if request else None) or "PROVIDER_HOST"
    path = inp.path or "/"
    url = f"https://{host}{path}"
    parts = ["curl", "-X", inp.method.upper(), shlex.quote(url)]
    note = "the request as captured, with the signature the provider computes"
    if exp.kind == "service":
        signature = sign_inputs(inp).signature
        parts += ["-H", '"Authorization: Bearer $' + TOKEN_ENV + '"']
    elif inp.private_key is not None:
        signature = sign_inputs(inp).signature
    else:
        signature = "$SIGNATURE"
        kind = "token" if exp.kind == "access_token" else "notification"
        note = (
            "SHA256withRSA needs the sender's private key: set SIGNATURE with "
            f"`bisnap sign {kind} --request captured.http --private-key private-key.pem --json`"
            ' (its "signature"), or paste the private key in the Sign section'
        )
    parts += ["-H", shlex.quote(f"X-TIMESTAMP: {inp.timestamp}")]
    parts += ["-H", '"X-SIGNATURE: ' + signature + '"']
    masked: list[str] = []
    for name, value in request.headers if request else ():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        shown = redact_headers([(name, value)])[name]
        if shown != value:
            masked.append(name)
        parts += ["-H", shlex.quote(f"{name}: {shown}")]
    if inp.body is not None:
        text = inp.body.decode("utf-8", "backslashreplace")
        parts += ["--data-binary", shlex.quote(text)]
    if exp.kind == "service":
        note += f"; the token is read from ${TOKEN_ENV}"
    if masked:
        note += f"; fill in the credential masked in {', '.join(masked)}"
    return {"command": " \\\n  ".join(_pairs(parts)), "note": note}


def _pairs(parts: list[str]) -> list[str]:
    """Group `-H value` pairs so each header sits on its own line."""
    out: list[str] = [" ".join(parts[:4])]
    rest = parts[4:]
    for index in range(0, len(rest), 2):
        out.append(" ".join(rest[index : index + 2]))
    return out


def debug_view(payload: object) -> dict[str, Any]:
    """`POST /api/debug`: the explain JSON plus what the page draws.

    Keys: `explanation` (exactly `explain_json`), `kind` (as detected or chosen),
    `request` (method, path, headers with credentials redacted), `stages` (per stage the
    provider's and sender's values escaped, the first differing byte's `offset` and the
    bytes around it), and `curl` (`command`, `note`).

    Raises:
        InputError (and its subclasses): a missing or malformed input.
    """
    inp = read_inputs(payload)
    exp = explain(inp)
    token = inp.access_token if inp.kind == "service" else None
    request = None
    if inp.request is not None:
        request = {
            "method": inp.request.method,
            "path": inp.request.path,
            "headers": inp.request.redacted_headers(),
        }
    return {
        "explanation": explanation_json(exp, token),
        "kind": inp.kind,
        "request": request,
        "stages": _stage_rows(exp, token),
        "curl": _curl(inp, exp),
    }
