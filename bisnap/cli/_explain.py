"""`bisnap explain token|service|notification`: the stage that differs and the mistake behind it.

`bisnap.cli._signatures` gathers the request and the credentials for every action; this
module adds what only explain takes (`--as`, `--registered-client-key`, `--host`,
`--path-prefix`), runs `bisnap.explain` and prints its `Explanation`.
"""

from __future__ import annotations

import argparse
from typing import Any

from bisnap.explain import (
    Audience,
    Explanation,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
)

from ._common import Printer
from ._stages import print_context, print_stages

__all__ = ["add_explain_arguments", "emit_explanation", "explain"]


def explain(
    args: argparse.Namespace, kind: str, request: dict[str, Any], *, host: str | None
) -> Explanation:
    """Run the explain of `kind` over `request` (the verify arguments) and explain's options."""
    audience = _audience(args)
    if kind == "token":
        return explain_access_token(
            **request, registered_client_key=args.registered_client_key, audience=audience
        )
    if kind == "service":
        return explain_service(**request, host=host, audience=audience)
    return explain_service_asymmetric(
        **request, path_prefix=args.path_prefix, host=host, audience=audience
    )


def _audience(args: argparse.Namespace) -> Audience:
    """Whose words the hints use: --as, else the receiver for notifications."""
    chosen = getattr(args, "audience", None)
    if chosen == "receiver" or (chosen is None and args.kind == "notification"):
        return "receiver"
    return "sender"


def emit_explanation(
    p: Printer, args: argparse.Namespace, title: str, exp: Explanation, ctx: dict[str, Any]
) -> None:
    """Print `exp` (one JSON object with --json): what the verifier computes, the result,
    the mistakes and hint, then what the sender computed with the differing stages marked."""
    data = exp.to_dict(reveal_token=args.reveal)
    if args.json:
        data.update({k: v for k, v in ctx.items() if k not in ("kind", "keyFingerprint")})
        p.json(data)
        return
    p.title(title)
    print_context(p, ctx)
    p.line(p.paint("  what the verifier computes", "1"))
    print_stages(p, data, skip=("signature",))
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
    if exp.encoder:
        others = len(exp.same_bytes_as)
        also = f" (and {others} more with the same bytes; --json lists them)" if others else ""
        p.stage("encoder", exp.encoder + also)
    hint = exp.hint
    suffix = " (note: " + "; ".join(exp.notes) + ")"
    if exp.notes and hint.endswith(suffix):  # the notes get lines of their own
        hint = hint[: -len(suffix)]
    p.stage("hint", hint, code="33")
    for note in exp.notes:
        p.stage("note", note, code="33")
    p.stage("searched", f"{exp.hypotheses:,} hypotheses in {exp.elapsed_ms:.1f} ms")
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


def add_explain_arguments(cmd: argparse.ArgumentParser, kind: str) -> None:
    """The options only `bisnap explain KIND` takes."""
    default_as = "receiver" if kind == "notification" else "sender"
    cmd.add_argument(
        "--as",
        dest="audience",
        choices=("sender", "receiver"),
        default=None,
        help=f"word the hints for the side that runs this (default: {default_as})",
    )
    if kind == "token":
        cmd.add_argument(
            "--registered-client-key",
            metavar="ID",
            help="the client key registered with the provider, if X-CLIENT-KEY may differ",
        )
    else:
        cmd.add_argument(
            "--host",
            metavar="HOST",
            help="the request's host, tried as a prefix of the signed path "
            "(default: the captured request's Host header)",
        )
    if kind == "notification":
        cmd.add_argument(
            "--path-prefix",
            metavar="PREFIX",
            help="the prefix your endpoint sits under, removed before verifying "
            "(as NotificationVerifier(path_prefix=...)), e.g. /hooks",
        )
