"""`bisnap sign|verify|explain token|service|notification`."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bisnap import signing
from bisnap.clock import SystemClock
from bisnap.errors import InputError, SignatureMismatchError
from bisnap.keys import fingerprint, load_private_key, load_public_key
from bisnap.secrets import Secret
from bisnap.signing import SignatureTrace
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp

from ._common import (
    ENV_ACCESS_TOKEN,
    ENV_CLIENT_SECRET,
    ENV_PRIVATE_KEY,
    ENV_PUBLIC_KEY,
    Printer,
    argv_bytes,
    read_bytes,
    read_key_material,
    read_request,
    read_secret,
)
from ._explain import add_explain_arguments, emit_explanation, explain
from ._stages import context, print_context, print_stages

__all__ = ["add_signature_commands"]

EXIT_OK, EXIT_INVALID = 0, 1

_KINDS = {
    "token": "access-token signature: SHA256withRSA over clientKey|X-TIMESTAMP",
    "service": "service signature: HMAC-SHA512 over METHOD:path:accessToken:bodySha256:timestamp",
    "notification": (
        "asymmetric service / notification signature: SHA256withRSA over "
        "METHOD:path:bodySha256:timestamp"
    ),
}


@dataclass
class _Inputs:
    method: str
    path: str | None
    body: bytes | None
    timestamp: str | None
    signature: str | None
    client_key: str | None
    token: Secret | None
    host: str | None = None


def _gather(args: argparse.Namespace, env: Mapping[str, str]) -> _Inputs:
    request = read_request(args.request) if getattr(args, "request", None) else None
    method = getattr(args, "method", None) or (request.method if request else None) or "POST"
    path = getattr(args, "path", None) or (request.path if request else None)
    body: bytes | None = None
    if getattr(args, "body_file", None):
        body = read_bytes(args.body_file, "--body-file")
    elif getattr(args, "body", None) is not None:
        body = argv_bytes(args.body)  # the bytes typed, even when not UTF-8
    elif request is not None:
        body = request.body
    timestamp = args.timestamp or (request.header("X-TIMESTAMP") if request else None)
    signature = getattr(args, "signature", None) or (
        request.header("X-SIGNATURE") if request else None
    )
    client_key = getattr(args, "client_key", None) or (
        request.header("X-CLIENT-KEY") if request else None
    )
    token = None
    if hasattr(args, "access_token_file"):
        token = read_secret("--access-token-file", args.access_token_file, "", {})
        if token is None and request is not None:
            token = request.bearer_token
        if token is None:
            token = read_secret("--access-token-file", None, ENV_ACCESS_TOKEN, env)
    host = getattr(args, "host", None) or (request.header("Host") if request else None)
    return _Inputs(method, path, body or None, timestamp, signature, client_key, token, host)


_MISSING = {
    "path": (
        "the request path",
        "Pass --path '/v1.0/...' (with its ?query), or --request with the captured request.",
    ),
    "timestamp": (
        "X-TIMESTAMP",
        "Pass --timestamp, or --request with the captured request's X-TIMESTAMP header.",
    ),
    "signature": (
        "X-SIGNATURE",
        "Pass --signature, or --request with the captured request's X-SIGNATURE header.",
    ),
    "client_key": (
        "X-CLIENT-KEY (client key)",
        "Pass --client-key, or --request with the captured request's X-CLIENT-KEY header.",
    ),
}


def _need(inputs: _Inputs, name: str) -> str:
    """The input `name` (a field of `_Inputs`), or an InputError saying how to pass it."""
    value: str | None = getattr(inputs, name)
    if not value:
        what, how = _MISSING[name]
        raise InputError(f"{what} is missing", hint=how)
    return value


def _timestamp(inputs: _Inputs, args: argparse.Namespace, *, signing: bool) -> str:
    if inputs.timestamp is None and signing:
        return format_timestamp(SystemClock().now(), TimestampStyle(args.timestamp_style))
    value = _need(inputs, "timestamp")
    parse_timestamp(value)
    return value


def _token(inputs: _Inputs) -> Secret:
    if inputs.token is None:
        raise InputError(
            "the access token is missing",
            hint=(
                f"Pass --access-token-file FILE, set {ENV_ACCESS_TOKEN}, or use --request with "
                "the Authorization: Bearer header (never on the command line)."
            ),
        )
    return inputs.token


def _client_secret(args: argparse.Namespace, env: Mapping[str, str]) -> Secret:
    secret = read_secret("--client-secret-file", args.client_secret_file, ENV_CLIENT_SECRET, env)
    if secret is None:
        raise InputError(
            "the client secret is missing",
            hint=(
                f"Pass --client-secret-file FILE or set {ENV_CLIENT_SECRET} (never on the "
                "command line)."
            ),
        )
    return secret


def _password(args: argparse.Namespace) -> Secret | None:
    return read_secret("--key-password-file", getattr(args, "key_password_file", None), "", {})


def _key_material(args: argparse.Namespace, env: Mapping[str, str], which: str) -> bytes:
    """The PEM of `--private-key` or `--public-key` (`which`), from the flag or the environment."""
    flag, variable = f"--{which}-key", ENV_PRIVATE_KEY if which == "private" else ENV_PUBLIC_KEY
    data = read_key_material(flag, getattr(args, f"{which}_key"), variable, env)
    if data is None:
        raise InputError(
            f"the {which} key is missing",
            hint=f"Pass {flag} FILE or set {variable} (the PEM or its path).",
        )
    return data


# --- output ---------------------------------------------------------------------------


def _emit_trace(
    p: Printer,
    args: argparse.Namespace,
    title: str,
    trace: SignatureTrace,
    token: Secret | None,
    key: str | None,
    extra: dict[str, Any],
) -> None:
    ctx = context(trace, token, key)
    stages = trace.stages(reveal_token=args.reveal)
    if args.json:
        p.json({**ctx, **stages, **extra})
        return
    p.title(title)
    print_context(p, ctx)
    print_stages(p, stages)
    if "encoding" in stages:
        p.stage("encoding", str(stages["encoding"]))
    if "valid" in extra:
        if extra["valid"]:
            note = " (hex; most providers expect base64)" if trace.encoding == "hex" else ""
            p.stage("result", f"✓ valid{note}", code="32")
        else:
            p.stage("result", f"✗ invalid — {extra['error']}", code="31")
            p.stage("hint", str(extra["hint"]), code="33")


# --- handlers -------------------------------------------------------------------------


_SIGN: dict[str, Callable[..., SignatureTrace]] = {
    "token": signing.sign_access_token,
    "service": signing.sign_service,
    "notification": signing.sign_service_asymmetric,
}
_VERIFY: dict[str, Callable[..., SignatureTrace]] = {
    "token": signing.verify_access_token,
    "service": signing.verify_service,
    "notification": signing.verify_service_asymmetric,
}


def _run(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    """One flow for every action and kind: the request, the credentials, then the call."""
    action, kind = args.action, args.kind
    inputs = _gather(args, env)
    title = f"{action} {kind} · {_KINDS[kind]}"
    request: dict[str, Any]
    if kind == "token":
        request = {"client_key": _need(inputs, "client_key")}
    else:
        request = {"method": inputs.method, "path": _need(inputs, "path")}
    request["timestamp"] = _timestamp(inputs, args, signing=action == "sign")
    if kind != "token":
        request.update(body=inputs.body, include_query=not args.no_query)
    token: Secret | None = None
    credentials: dict[str, Any]
    if kind == "service":
        token = _token(inputs)
        secret = _client_secret(args, env)
        credentials = {"access_token": token, "client_secret": secret}
        key_fp = f"secret-sha256:{secret.fingerprint}"
    elif action == "sign":
        pem = _key_material(args, env, "private")
        private = load_private_key(pem, password=_reveal(_password(args)))
        credentials, key_fp = {"private_key": private}, fingerprint(private)
    else:
        public = load_public_key(_key_material(args, env, "public"))
        credentials, key_fp = {"public_key": public}, fingerprint(public)
    if action == "sign":
        trace = _SIGN[kind](**request, **credentials, encoding=args.encoding)
        _emit_trace(p, args, title, trace, token, key_fp, {})
        return EXIT_OK
    request.update(credentials, signature=_need(inputs, "signature"))
    if action == "verify":
        return _verify(p, args, title, token, key_fp, lambda: _VERIFY[kind](**request))
    exp = explain(args, kind, request, host=inputs.host)
    emit_explanation(p, args, title, exp, context(exp.expected, token, exp.key_fingerprint))
    return EXIT_OK if exp.valid else EXIT_INVALID


def _reveal(secret: Secret | None) -> str | None:
    return None if secret is None else secret.reveal()


def _verify(
    p: Printer,
    args: argparse.Namespace,
    title: str,
    token: Secret | None,
    key_fp: str,
    call: Any,
) -> int:
    try:
        trace: SignatureTrace = call()
    except SignatureMismatchError as err:
        if not isinstance(err.trace, SignatureTrace):
            raise
        extra = {
            "valid": False,
            "mismatchAt": err.stage,
            "error": str(err),
            "hint": f"run `bisnap explain {args.kind}` with the same inputs to find the mistake",
        }
        _emit_trace(p, args, title, err.trace, token, key_fp, extra)
        return EXIT_INVALID
    _emit_trace(p, args, title, trace, token, key_fp, {"valid": True})
    return EXIT_OK


# --- parser ---------------------------------------------------------------------------

_EXAMPLES = {
    ("sign", "token"): (
        "bisnap sign token --client-key G123-SNAP --private-key private-key.pem\n"
        "  (X-TIMESTAMP defaults to now, +07:00)"
    ),
    ("sign", "service"): (
        "bisnap sign service --method POST --path /v1.0/transfer-va/create-va \\\n"
        "    --body-file body.json --client-secret-file secret.txt \\\n"
        "    --access-token-file token.txt --timestamp 2024-03-05T17:37:16+07:00"
    ),
    ("verify", "service"): "bisnap verify service --request captured.http --client-secret-file s",
    ("explain", "service"): (
        "bisnap explain service --request captured.http --client-secret-file secret.txt"
    ),
    ("explain", "notification"): (
        "bisnap explain notification --request notification.http --public-key midtrans.pem"
    ),
    ("explain", "token"): "bisnap explain token --request token-request.http --public-key pub.pem",
}


def add_signature_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add the `sign`, `verify` and `explain` command groups to subparsers `sub`."""
    helps = {
        "sign": "compute a signature and show every stage",
        "verify": "check a signature (exit 1 when it does not match)",
        "explain": "find the stage that differs and the mistake that explains it",
    }
    for action, help_text in helps.items():
        group = sub.add_parser(
            action,
            help=help_text,
            description=help_text,
            epilog=_EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
            allow_abbrev=False,
        )
        kinds = group.add_subparsers(
            dest="kind", metavar="KIND", parser_class=parser_class, required=True
        )
        for kind, desc in _KINDS.items():
            example = _EXAMPLES.get((action, kind))
            epilog = _EPILOG + (f"\n\nexample:\n  {example}" if example else "")
            cmd = kinds.add_parser(
                kind,
                help=desc,
                description=f"{action} the {desc}",
                epilog=epilog,
                formatter_class=argparse.RawDescriptionHelpFormatter,
                allow_abbrev=False,
            )
            _add_arguments(cmd, action, kind)
            cmd.set_defaults(handler=_run, action=action)


_EPILOG = (
    "exit codes: 0 ok/valid, 1 signature invalid, 2 usage or input error\n"
    f"secrets only from files or environment: {ENV_CLIENT_SECRET}, {ENV_ACCESS_TOKEN},\n"
    f"{ENV_PRIVATE_KEY}, {ENV_PUBLIC_KEY} (never on the command line)"
)


def _add_arguments(cmd: argparse.ArgumentParser, action: str, kind: str) -> None:
    cmd.add_argument(
        "--request",
        metavar="FILE",
        help="a captured raw HTTP request (request line, headers, blank line, body; "
        "CRLF or LF); supplies method, path, body, X-TIMESTAMP, X-SIGNATURE, X-CLIENT-KEY "
        "and the Authorization bearer token. Flags given too take precedence.",
    )
    cmd.add_argument(
        "--timestamp",
        metavar="TS",
        help="X-TIMESTAMP exactly as sent" + (" (default: now)" if action == "sign" else ""),
    )
    if kind == "token":
        cmd.add_argument("--client-key", metavar="ID", help="X-CLIENT-KEY (the client ID)")
    else:
        cmd.add_argument("--method", metavar="METHOD", help="HTTP method (default: POST)")
        cmd.add_argument("--path", metavar="PATH", help="relative path as sent, with its ?query")
        body = cmd.add_mutually_exclusive_group()
        body.add_argument(
            "--body-file", metavar="FILE", help="the body exactly as sent ('-' for stdin)"
        )
        body.add_argument("--body", metavar="JSON", help="the body as text (for short bodies)")
        cmd.add_argument(
            "--no-query",
            action="store_true",
            help="the provider signs the bare path, without ?query",
        )
    if action != "sign":
        cmd.add_argument("--signature", metavar="SIG", help="X-SIGNATURE (base64 or hex)")
    credentials: tuple[tuple[str, str], ...]
    if kind == "service":
        credentials = (
            (
                "--client-secret-file",
                f"file holding the client secret (or set {ENV_CLIENT_SECRET})",
            ),
            (
                "--access-token-file",
                f"file holding the bare access token (or set {ENV_ACCESS_TOKEN})",
            ),
        )
    elif action == "sign":
        credentials = (
            ("--private-key", f"RSA private key, PKCS#8 or PKCS#1 (or set {ENV_PRIVATE_KEY})"),
            ("--key-password-file", "password of an encrypted private key"),
        )
    else:
        public = f"RSA public key or certificate (or set {ENV_PUBLIC_KEY})"
        credentials = (("--public-key", public),)
    for flag, help_text in credentials:
        cmd.add_argument(flag, metavar="FILE", help=help_text)
    if action == "sign":
        cmd.add_argument(
            "--encoding",
            choices=("base64", "hex"),
            default="base64",
            help="signature encoding (default: base64)",
        )
        cmd.add_argument(
            "--timestamp-style",
            choices=[s.value for s in TimestampStyle],
            default=TimestampStyle.JAKARTA.value,
            help="style of the default timestamp (default: jakarta, +07:00)",
        )
    if action == "explain":
        add_explain_arguments(cmd, kind)
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.add_argument(
        "--reveal",
        action="store_true",
        help="show the access token in the string to sign (secrets are never shown)",
    )
