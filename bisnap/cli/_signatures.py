"""`bisnap sign|verify|explain token|service|notification`."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bisnap.clock import SystemClock
from bisnap.errors import InputError, SignatureMismatchError
from bisnap.explain import (
    Explanation,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
)
from bisnap.keys import fingerprint, load_private_key, load_public_key
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
    return _Inputs(method, path, body or None, timestamp, signature, client_key, token)


def _need(value: str | None, what: str, how: str) -> str:
    if not value:
        raise InputError(f"{what} is missing", hint=how)
    return value


def _timestamp(inputs: _Inputs, args: argparse.Namespace, *, signing: bool) -> str:
    if inputs.timestamp is None and signing:
        return format_timestamp(SystemClock().now(), TimestampStyle(args.timestamp_style))
    value = _need(
        inputs.timestamp,
        "X-TIMESTAMP",
        "Pass --timestamp, or --request with the captured request's X-TIMESTAMP header.",
    )
    parse_timestamp(value)
    return value


def _path(inputs: _Inputs) -> str:
    return _need(
        inputs.path,
        "the request path",
        "Pass --path '/v1.0/...' (with its ?query), or --request with the captured request.",
    )


def _signature(inputs: _Inputs) -> str:
    return _need(
        inputs.signature,
        "X-SIGNATURE",
        "Pass --signature, or --request with the captured request's X-SIGNATURE header.",
    )


def _client_key(inputs: _Inputs) -> str:
    return _need(
        inputs.client_key,
        "X-CLIENT-KEY (client key)",
        "Pass --client-key, or --request with the captured request's X-CLIENT-KEY header.",
    )


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


def _private_key(args: argparse.Namespace, env: Mapping[str, str]) -> bytes:
    data = read_key_material("--private-key", args.private_key, ENV_PRIVATE_KEY, env)
    if data is None:
        raise InputError(
            "the private key is missing",
            hint=f"Pass --private-key FILE or set {ENV_PRIVATE_KEY} (the PEM or its path).",
        )
    return data


def _public_key(args: argparse.Namespace, env: Mapping[str, str]) -> bytes:
    data = read_key_material("--public-key", args.public_key, ENV_PUBLIC_KEY, env)
    if data is None:
        raise InputError(
            "the public key is missing",
            hint=f"Pass --public-key FILE or set {ENV_PUBLIC_KEY} (the PEM or its path).",
        )
    return data


# --- output ---------------------------------------------------------------------------


def _context(trace: SignatureTrace, token: Secret | None, key: str | None) -> dict[str, Any]:
    ctx: dict[str, Any] = {"kind": trace.kind}
    if trace.method is not None:
        ctx["method"] = trace.method
        ctx["path"] = trace.path
    ctx["timestamp"] = trace.timestamp
    if token is not None:
        ctx["accessToken"] = f"{mask(token.reveal())} (sha256:{token.fingerprint})"
    ctx["keyFingerprint"] = key
    return ctx


def _print_context(p: Printer, ctx: dict[str, Any]) -> None:
    for name in ("method", "path", "timestamp", "accessToken"):
        if ctx.get(name) is not None:
            p.stage(name, str(ctx[name]))
    if ctx.get("keyFingerprint"):
        p.stage("key", str(ctx["keyFingerprint"]))
    p.line()


def _print_stages(p: Printer, stages: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    for name in ("minifiedBody", "bodySha256", "stringToSign", "signature"):
        if name in stages and name not in skip:
            p.stage(name, str(stages[name]))


def _emit_trace(
    p: Printer,
    args: argparse.Namespace,
    title: str,
    trace: SignatureTrace,
    token: Secret | None,
    key: str | None,
    extra: dict[str, Any],
) -> None:
    ctx = _context(trace, token, key)
    stages = trace.stages(reveal_token=args.reveal)
    if args.json:
        p.json({**ctx, **stages, **extra})
        return
    p.title(title)
    _print_context(p, ctx)
    _print_stages(p, stages)
    if "encoding" in stages:
        p.stage("encoding", str(stages["encoding"]))
    if "valid" in extra:
        if extra["valid"]:
            note = " (hex; most providers expect base64)" if trace.encoding == "hex" else ""
            p.stage("result", f"✓ valid{note}", code="32")
        else:
            p.stage("result", f"✗ invalid — {extra['error']}", code="31")
            p.stage("hint", str(extra["hint"]), code="33")


def _emit_explanation(
    p: Printer, args: argparse.Namespace, title: str, exp: Explanation, token: Secret | None
) -> None:
    ctx = _context(exp.expected, token, exp.key_fingerprint)
    data = exp.to_dict(reveal_token=args.reveal)
    if args.json:
        data.update({k: v for k, v in ctx.items() if k not in ("kind", "keyFingerprint")})
        p.json(data)
        return
    p.title(title)
    _print_context(p, ctx)
    p.line(p.paint("  what the verifier computes", "1"))
    _print_stages(p, data, skip=("signature",))
    if "expectedSignature" in data:
        p.stage("signature", str(data["expectedSignature"]))
    p.stage("presented", f"{data['signature']} ({data['encoding']})")
    p.line()
    if exp.valid:
        p.stage("result", "✓ valid", code="32")
    else:
        p.stage("result", f"✗ invalid — first difference at {exp.mismatch_at}", code="31")
    if exp.mistakes:
        p.stage("mistakes", ", ".join(exp.mistakes), code="1")
    p.stage("hint", exp.hint, code="33")
    sender = data.get("sender")
    if sender:
        p.line()
        p.line(p.paint("  what the sender computed (reconstructed)", "1"))
        for name in ("minifiedBody", "bodySha256", "stringToSign"):
            if name in sender:
                differs = sender[name] != data.get(name)
                p.stage(
                    name,
                    str(sender[name]),
                    marker="≠" if differs else " ",
                    code="31" if differs else "",
                )


# --- handlers -------------------------------------------------------------------------


def _run(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    action, kind = args.action, args.kind
    inputs = _gather(args, env)
    title = f"{action} {kind} · {_KINDS[kind]}"
    if kind == "token":
        client_key = _client_key(inputs)
        timestamp = _timestamp(inputs, args, signing=action == "sign")
        if action == "sign":
            key = load_private_key(_private_key(args, env), password=_reveal(_password(args)))
            trace = sign_access_token(
                client_key=client_key, timestamp=timestamp, private_key=key, encoding=args.encoding
            )
            _emit_trace(p, args, title, trace, None, fingerprint(key), {})
            return EXIT_OK
        public = load_public_key(_public_key(args, env))
        signature = _signature(inputs)
        if action == "verify":
            return _verify(
                p,
                args,
                title,
                None,
                fingerprint(public),
                lambda: verify_access_token(
                    client_key=client_key,
                    timestamp=timestamp,
                    signature=signature,
                    public_key=public,
                ),
            )
        exp = explain_access_token(
            client_key=client_key, timestamp=timestamp, signature=signature, public_key=public
        )
        _emit_explanation(p, args, title, exp, None)
        return EXIT_OK if exp.valid else EXIT_INVALID

    path = _path(inputs)
    timestamp = _timestamp(inputs, args, signing=action == "sign")
    include_query = not args.no_query
    if kind == "service":
        token = _token(inputs)
        secret = _client_secret(args, env)
        key_fp = f"secret-sha256:{secret.fingerprint}"
        if action == "sign":
            trace = sign_service(
                method=inputs.method,
                path=path,
                body=inputs.body,
                timestamp=timestamp,
                access_token=token,
                client_secret=secret,
                encoding=args.encoding,
                include_query=include_query,
            )
            _emit_trace(p, args, title, trace, token, key_fp, {})
            return EXIT_OK
        signature = _signature(inputs)
        if action == "verify":
            return _verify(
                p,
                args,
                title,
                token,
                key_fp,
                lambda: verify_service(
                    method=inputs.method,
                    path=path,
                    body=inputs.body,
                    timestamp=timestamp,
                    access_token=token,
                    client_secret=secret,
                    signature=signature,
                    include_query=include_query,
                ),
            )
        exp = explain_service(
            method=inputs.method,
            path=path,
            body=inputs.body,
            timestamp=timestamp,
            access_token=token,
            client_secret=secret,
            signature=signature,
            include_query=include_query,
        )
        _emit_explanation(p, args, title, exp, token)
        return EXIT_OK if exp.valid else EXIT_INVALID

    if action == "sign":
        key = load_private_key(_private_key(args, env), password=_reveal(_password(args)))
        trace = sign_service_asymmetric(
            method=inputs.method,
            path=path,
            body=inputs.body,
            timestamp=timestamp,
            private_key=key,
            encoding=args.encoding,
            include_query=include_query,
        )
        _emit_trace(p, args, title, trace, None, fingerprint(key), {})
        return EXIT_OK
    public = load_public_key(_public_key(args, env))
    signature = _signature(inputs)
    if action == "verify":
        return _verify(
            p,
            args,
            title,
            None,
            fingerprint(public),
            lambda: verify_service_asymmetric(
                method=inputs.method,
                path=path,
                body=inputs.body,
                timestamp=timestamp,
                public_key=public,
                signature=signature,
                include_query=include_query,
            ),
        )
    exp = explain_service_asymmetric(
        method=inputs.method,
        path=path,
        body=inputs.body,
        timestamp=timestamp,
        public_key=public,
        signature=signature,
        include_query=include_query,
    )
    _emit_explanation(p, args, title, exp, None)
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
    if kind == "service":
        cmd.add_argument(
            "--client-secret-file",
            metavar="FILE",
            help=f"file holding the client secret (or set {ENV_CLIENT_SECRET})",
        )
        cmd.add_argument(
            "--access-token-file",
            metavar="FILE",
            help=f"file holding the bare access token (or set {ENV_ACCESS_TOKEN})",
        )
    elif action == "sign":
        cmd.add_argument(
            "--private-key",
            metavar="FILE",
            help=f"RSA private key, PKCS#8 or PKCS#1 (or set {ENV_PRIVATE_KEY})",
        )
        cmd.add_argument(
            "--key-password-file", metavar="FILE", help="password of an encrypted private key"
        )
    else:
        cmd.add_argument(
            "--public-key",
            metavar="FILE",
            help=f"RSA public key or certificate (or set {ENV_PUBLIC_KEY})",
        )
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
    cmd.add_argument("--json", action="store_true", help="print one JSON object")
    cmd.add_argument(
        "--reveal",
        action="store_true",
        help="show the access token in the string to sign (secrets are never shown)",
    )
