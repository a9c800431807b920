"""What the debugger page asks the local process to do: explain, verify, sign, inspect, vectors.

Pure functions from `DebugInputs` (or a JSON object) to a JSON-ready dict; the Starlette app
only moves them over HTTP. `explain_json` gives exactly what `bisnap explain KIND --json`
prints for the same inputs: the same `explain_*` search and the same `Explanation.to_dict()`,
with the same context fields. `debug_view` adds what the page draws: each stage of the
provider beside the sender's, the first differing byte with the bytes around it escaped, and
a corrected `curl` command.

No secret leaves this module: the access token is masked in every string (in `debug_view`,
by stars of its own length, so byte offsets stay true), the client secret and keys appear
only as fingerprints, and the `curl` command reads the token from `$BISNAP_ACCESS_TOKEN`.
"""

from __future__ import annotations

import inspect
import shlex
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from bisnap.cli._stages import trace_context
from bisnap.clock import SystemClock
from bisnap.errors import InputError, SignatureMismatchError
from bisnap.explain import (
    Explanation,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
)
from bisnap.headers import redact_headers
from bisnap.keys import describe_key, fingerprint, load_private_key, load_public_key
from bisnap.secrets import Secret, mask
from bisnap.signing import (
    STAGES,
    SignatureTrace,
    sign_access_token,
    sign_service,
    sign_service_asymmetric,
    verify_access_token,
    verify_service,
    verify_service_asymmetric,
)
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp

from .inputs import DebugInputs, check_payload, read_inputs

__all__ = [
    "API",
    "CONTEXT_BYTES",
    "debug_view",
    "escape_bytes",
    "explain",
    "explain_json",
    "first_difference",
    "inspect_key_json",
    "inspect_token_json",
    "sign_json",
    "vectors_json",
    "verify_json",
]

#: Bytes shown on each side of the first differing byte.
CONTEXT_BYTES = 24

_TOKEN_ENV = "BISNAP_ACCESS_TOKEN"  # noqa: S105 - the variable's name
_SKIPPED_HEADERS = {"host", "content-length", "authorization", "x-signature", "x-timestamp"}


# --- inputs every kind needs -------------------------------------------------------------


def _need(value: str | None, what: str, hint: str) -> str:
    if not value:
        raise InputError(f"{what} is missing", hint=hint)
    return value


def _path(inp: DebugInputs) -> str:
    path = _need(
        inp.path,
        "the request path",
        "Paste the captured request (its request line has the path), or fill in the path.",
    )
    return path


def _timestamp(inp: DebugInputs) -> str:
    value = _need(
        inp.timestamp,
        "X-TIMESTAMP",
        "Paste the captured request with its X-TIMESTAMP header, or fill in the timestamp.",
    )
    parse_timestamp(value)
    return value


def _signature(inp: DebugInputs) -> str:
    return _need(
        inp.signature,
        "X-SIGNATURE",
        "Paste the captured request with its X-SIGNATURE header, or fill in the signature.",
    )


def _client_key(inp: DebugInputs) -> str:
    return _need(
        inp.client_key,
        "X-CLIENT-KEY (client key)",
        "Paste the token request with its X-CLIENT-KEY header, or fill in the client key.",
    )


def _access_token(inp: DebugInputs) -> Secret:
    if inp.access_token is None:
        raise InputError(
            "the access token is missing",
            hint="Paste the request with its 'Authorization: Bearer …' header, or fill in "
            "the access token.",
        )
    return inp.access_token


def _client_secret(inp: DebugInputs) -> Secret:
    if inp.client_secret is None:
        raise InputError(
            "the client secret is missing",
            hint="Fill in the client secret (it stays in this page and this one request).",
        )
    return inp.client_secret


def _public_key(inp: DebugInputs) -> str:
    return _need(
        inp.public_key,
        "the public key",
        "Paste the signer's public key PEM (or choose its file).",
    )


def _private_key(inp: DebugInputs) -> str:
    return _need(
        inp.private_key,
        "the private key",
        "Paste the private key PEM (or choose its file, or generate a key pair below).",
    )


def _call(
    function: Callable[..., Explanation], kwargs: dict[str, Any], extras: dict[str, Any]
) -> Explanation:
    """Call an `explain_*` function with the optional inputs it takes, as the CLI does.

    `extras` holds the optional keyword arguments (`path_prefix`, `host`, `audience`,
    `registered_client_key`); those left None are not passed, and those the function does
    not take are left out, except `path_prefix`, which is then removed from the path here
    as the notification verifier removes it.
    """
    accepted = inspect.signature(function).parameters
    passed = {k: v for k, v in extras.items() if v is not None and k in accepted}
    prefix = extras.get("path_prefix")
    if prefix is None or "path_prefix" in accepted:
        return function(**kwargs, **passed)
    if not prefix.startswith("/"):
        raise InputError(
            "the path prefix must start with '/'",
            hint="Give the path part of the URL you registered, e.g. /hooks/midtrans.",
        )
    stripped = prefix.rstrip("/")
    path = kwargs["path"]
    rest = path[len(stripped) :]
    if stripped and (not path.startswith(stripped) or not rest.startswith("/")):
        raise InputError(
            f"the request path does not start with the path prefix {stripped[:80]!r}",
            hint="Correct the path prefix, or leave it empty.",
        )
    return function(**{**kwargs, "path": rest if stripped else path}, **passed)


# --- explain ------------------------------------------------------------------------------


def explain(inp: DebugInputs) -> Explanation:
    """Run the `explain_*` search the CLI runs for `inp`.

    Raises:
        InputError (and its subclasses): a missing or malformed input.
    """
    # Hints in the words of whoever runs it: the receiver for a notification (as the CLI).
    audience = inp.audience or ("receiver" if inp.kind == "notification" else None)
    if inp.kind == "token":
        return _call(
            explain_access_token,
            {
                "client_key": _client_key(inp),
                "timestamp": _timestamp(inp),
                "signature": _signature(inp),
                "public_key": _public_key(inp),
            },
            {"registered_client_key": inp.registered_client_key, "audience": audience},
        )
    extras = {"host": inp.host, "audience": audience}
    common: dict[str, Any] = {
        "method": inp.method,
        "path": _path(inp),
        "body": inp.body,
        "timestamp": _timestamp(inp),
        "signature": _signature(inp),
        "include_query": inp.include_query,
    }
    if inp.kind == "service":
        token = _access_token(inp)
        secret = _client_secret(inp)
        return _call(
            explain_service,
            {**common, "access_token": token, "client_secret": secret},
            {**extras, "path_prefix": inp.path_prefix},
        )
    return _call(
        explain_service_asymmetric,
        {**common, "public_key": _public_key(inp)},
        {**extras, "path_prefix": inp.path_prefix},
    )


def explanation_json(exp: Explanation, token: Secret | None) -> dict[str, Any]:
    """The JSON `bisnap explain … --json` prints for `exp`: `to_dict()` and the context.

    The context is the method and signed path (service kinds), the timestamp, and the
    access token as a mask with its fingerprint.
    """
    trace = exp.expected
    data = exp.to_dict()
    context: dict[str, Any] = {}
    if trace.method is not None:
        context["method"] = trace.method
        context["path"] = trace.path
    context["timestamp"] = trace.timestamp
    if token is not None and exp.kind == "service":
        context["accessToken"] = f"{mask(token.reveal())} (sha256:{token.fingerprint})"
    data.update(context)
    return data


def explain_json(payload: object) -> dict[str, Any]:
    """`POST /api/explain`: the same JSON as `bisnap explain KIND --json` for the payload.

    Raises:
        InputError (and its subclasses): a missing or malformed input.
    """
    inp = read_inputs(payload)
    exp = explain(inp)
    return explanation_json(exp, inp.access_token if inp.kind == "service" else None)


# --- the page's view: stages side by side -------------------------------------------------


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
        signature = _sign_inputs(inp).signature
        parts += ["-H", '"Authorization: Bearer $' + _TOKEN_ENV + '"']
    elif inp.private_key is not None:
        signature = _sign_inputs(inp).signature
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
        note += f"; the token is read from ${_TOKEN_ENV}"
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


# --- verify and sign ----------------------------------------------------------------------


def _trace_json(trace: SignatureTrace, token: Secret | None) -> dict[str, Any]:
    data = trace_context(trace, token)
    data.update(trace.stages())
    return data


def verify_json(payload: object) -> dict[str, Any]:
    """`POST /api/verify`: check the signature; `valid`, and the stages either way.

    Raises:
        InputError (and its subclasses): a missing or malformed input.
    """
    inp = read_inputs(payload)
    token = inp.access_token if inp.kind == "service" else None
    try:
        if inp.kind == "token":
            public = load_public_key(_public_key(inp))
            key_fp = fingerprint(public)
            trace = verify_access_token(
                client_key=_client_key(inp),
                timestamp=_timestamp(inp),
                signature=_signature(inp),
                public_key=public,
            )
        elif inp.kind == "service":
            secret = _client_secret(inp)
            key_fp = f"secret-sha256:{secret.fingerprint}"
            trace = verify_service(
                method=inp.method,
                path=_path(inp),
                body=inp.body,
                timestamp=_timestamp(inp),
                access_token=_access_token(inp),
                client_secret=secret,
                signature=_signature(inp),
                include_query=inp.include_query,
            )
        else:
            public = load_public_key(_public_key(inp))
            key_fp = fingerprint(public)
            trace = verify_service_asymmetric(
                method=inp.method,
                path=_path(inp),
                body=inp.body,
                timestamp=_timestamp(inp),
                public_key=public,
                signature=_signature(inp),
                include_query=inp.include_query,
            )
    except SignatureMismatchError as err:
        if not isinstance(err.trace, SignatureTrace):
            raise
        return {
            **_trace_json(err.trace, token),
            "keyFingerprint": key_fp,
            "valid": False,
            "mismatchAt": err.stage,
            "error": str(err),
            "hint": "Explain finds the mistake that made it",
        }
    return {**_trace_json(trace, token), "keyFingerprint": key_fp, "valid": True}


def _sign_inputs(inp: DebugInputs) -> SignatureTrace:
    timestamp = inp.timestamp or format_timestamp(SystemClock().now(), TimestampStyle.JAKARTA)
    parse_timestamp(timestamp)
    if inp.kind == "token":
        return sign_access_token(
            client_key=_client_key(inp),
            timestamp=timestamp,
            private_key=load_private_key(_private_key(inp)),
        )
    if inp.kind == "service":
        return sign_service(
            method=inp.method,
            path=_path(inp),
            body=inp.body,
            timestamp=timestamp,
            access_token=_access_token(inp),
            client_secret=_client_secret(inp),
            include_query=inp.include_query,
        )
    return sign_service_asymmetric(
        method=inp.method,
        path=_path(inp),
        body=inp.body,
        timestamp=timestamp,
        private_key=load_private_key(_private_key(inp)),
        include_query=inp.include_query,
    )


def sign_json(payload: object) -> dict[str, Any]:
    """`POST /api/sign`: the headers to send and every stage (X-TIMESTAMP defaults to now).

    Raises:
        InputError (and its subclasses): a missing or malformed input.
    """
    inp = read_inputs(payload)
    trace = _sign_inputs(inp)
    token = inp.access_token if inp.kind == "service" else None
    headers: dict[str, str] = {}
    if inp.kind == "token":
        headers["X-CLIENT-KEY"] = _client_key(inp)
    headers["X-TIMESTAMP"] = trace.timestamp or ""
    headers["X-SIGNATURE"] = trace.signature
    if inp.kind == "service":
        headers["Authorization"] = f"Bearer ${_TOKEN_ENV}"
    if inp.kind == "service" and inp.client_secret is not None:
        key_fp = f"secret-sha256:{inp.client_secret.fingerprint}"
    else:
        key_fp = trace.key_fingerprint or ""
    return {**_trace_json(trace, token), "keyFingerprint": key_fp, "headers": headers}


# --- inspect and vectors ------------------------------------------------------------------


def inspect_key_json(payload: object) -> dict[str, Any]:
    """`POST /api/inspect-key` with `{"pem": …}`: kind, format, size, fingerprint; never the key.

    Raises:
        InputError, KeyFormatError: no key, or not a key bisnap reads.
    """
    data = check_payload(payload)
    pem = data.get("pem")
    if not isinstance(pem, str) or not pem.strip():
        raise InputError("no key given", hint="Paste a PEM key (or choose its file).")
    info = describe_key(pem.strip())
    return {
        "kind": info.kind,
        "format": info.format,
        "encoding": info.encoding,
        "bits": info.bits,
        "fingerprint": info.fingerprint,
    }


def inspect_token_json(payload: object, now: datetime | None = None) -> dict[str, Any]:
    """`POST /api/inspect-token` with `{"token": …}`: the claims, decoded and NOT verified.

    The token itself is never part of the answer (length and fingerprint only).

    Raises:
        InputError: no token given.
    """
    from bisnap.cli._token import describe_token

    data = check_payload(payload)
    value = data.get("token")
    if not isinstance(value, str) or not value.strip():
        raise InputError("no access token given", hint="Paste the access token.")
    value = value.strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    at = now or SystemClock().now()
    info = describe_token(Secret(value), at)
    info["checkedAt"] = at.isoformat()
    return info


def vectors_json(payload: object) -> dict[str, Any]:
    """`POST /api/vectors`: `bisnap vectors check --json` over the published vectors.

    Raises:
        InputError: the vectors/ directory is not found (an installed wheel has none).
    """
    from bisnap.cli._vectors import check_file, default_vector_files

    check_payload(payload)
    files = default_vector_files()
    per_file: list[dict[str, Any]] = []
    passed = failed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            outcomes = list(check_file(path))
            bad = [o for o in outcomes if not o.ok]
            passed += len(outcomes) - len(bad)
            failed += len(bad)
            per_file.append(
                {
                    "file": path.name,
                    "passed": len(outcomes) - len(bad),
                    "failed": len(bad),
                    "failures": [{"tcId": o.tc_id, "reason": o.reason} for o in bad],
                }
            )
    return {"files": per_file, "passed": passed, "failed": failed}


#: The API routes and the function behind each.
API: Mapping[str, Callable[[object], dict[str, Any]]] = {
    "explain": explain_json,
    "debug": debug_view,
    "verify": verify_json,
    "sign": sign_json,
    "inspect-key": inspect_key_json,
    "inspect-token": inspect_token_json,
    "vectors": vectors_json,
}
