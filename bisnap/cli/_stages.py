"""How the CLI prints a trace's context and stages, for sign, verify and explain alike."""

from __future__ import annotations

from typing import Any

from bisnap.secrets import Secret, mask
from bisnap.signing import SignatureTrace

from ._common import Printer

__all__ = ["context", "print_context", "print_stages", "trace_context"]


def context(trace: SignatureTrace, token: Secret | None, key: str | None) -> dict[str, Any]:
    """What a trace was computed over: kind, method, path, timestamp, masked token, key."""
    ctx = trace_context(trace, token)
    ctx["keyFingerprint"] = key
    return ctx


def trace_context(trace: SignatureTrace, token: Secret | None) -> dict[str, Any]:
    """`context` without the key: kind, method, path, timestamp, masked token."""
    ctx: dict[str, Any] = {"kind": trace.kind}
    if trace.method is not None:
        ctx["method"] = trace.method
        ctx["path"] = trace.path
    ctx["timestamp"] = trace.timestamp
    if token is not None:
        ctx["accessToken"] = f"{mask(token.reveal())} (sha256:{token.fingerprint})"
    return ctx


def print_context(p: Printer, ctx: dict[str, Any]) -> None:
    """The context lines above the stages (the token masked, the key as a fingerprint)."""
    for name in ("method", "path", "timestamp", "accessToken"):
        if ctx.get(name) is not None:
            p.stage(name, str(ctx[name]))
    if ctx.get("keyFingerprint"):
        p.stage("key", str(ctx["keyFingerprint"]))
    p.line()


def print_stages(p: Printer, stages: dict[str, Any], skip: tuple[str, ...] = ()) -> None:
    """The stages under their vector names, in signing order."""
    for name in ("minifiedBody", "bodySha256", "stringToSign", "signature"):
        if name in stages and name not in skip:
            p.stage(name, str(stages[name]))
