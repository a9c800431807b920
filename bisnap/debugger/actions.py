"""What the debugger page asks the local process to do: explain, verify, sign, inspect, vectors.

Pure functions from `DebugInputs` (or a JSON object) to a JSON-ready dict; the Starlette app
only moves them over HTTP. `explain_json` gives exactly what `bisnap explain KIND --json`
prints for the same inputs: the same `explain_*` search and the same `Explanation.to_dict()`,
with the same context fields. What the page draws from an explanation is in
`bisnap.debugger.view`; the route table is `bisnap.debugger.api.API`.

No secret leaves this module: the access token is masked in every string, and the client
secret and keys appear only as fingerprints.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
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
from bisnap.keys import describe_key, fingerprint, load_private_key, load_public_key
from bisnap.secrets import Secret, mask
from bisnap.signing import (
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
    "TOKEN_ENV",
    "explain",
    "explain_json",
    "explanation_json",
    "inspect_key_json",
    "inspect_token_json",
    "sign_inputs",
    "sign_json",
    "vectors_json",
    "verify_json",
]

#: The environment variable the commands shown read the access token from (never printed).
TOKEN_ENV = "BISNAP_ACCESS_TOKEN"  # noqa: S105 - the variable's name


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


def sign_inputs(inp: DebugInputs) -> SignatureTrace:
    """The signature the inputs call for (X-TIMESTAMP defaults to now)."""
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
    trace = sign_inputs(inp)
    token = inp.access_token if inp.kind == "service" else None
    headers: dict[str, str] = {}
    if inp.kind == "token":
        headers["X-CLIENT-KEY"] = _client_key(inp)
    headers["X-TIMESTAMP"] = trace.timestamp or ""
    headers["X-SIGNATURE"] = trace.signature
    if inp.kind == "service":
        headers["Authorization"] = f"Bearer ${TOKEN_ENV}"
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
