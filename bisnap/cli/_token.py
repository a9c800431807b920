"""`bisnap token inspect`: what an access token says about itself, never the token."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import jwt

from bisnap.clock import SystemClock
from bisnap.errors import InputError
from bisnap.secrets import Secret
from bisnap.timestamps import parse_timestamp

from ._common import ENV_ACCESS_TOKEN, Printer, action_adder, read_secret

__all__ = ["add_token_commands", "describe_token"]

EXIT_OK = 0


def _time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def describe_token(token: Secret, now: datetime) -> dict[str, Any]:
    """What `token` says about itself at `now`: JWT or opaque, issuer, subject, expiry.

    The claims are decoded without verifying the signature (labelled "not verified");
    the token itself is never part of the result, only its length and short fingerprint.
    """
    info: dict[str, Any] = {
        "length": len(token),
        "sha256": token.fingerprint,
        "jwt": False,
        "verified": False,
    }
    value = token.reveal()
    try:
        header = jwt.get_unverified_header(value)
        claims = jwt.decode(value, options={"verify_signature": False})
    except jwt.PyJWTError:
        info["note"] = "opaque token (not a JWT): its expiry is known only from expiresIn"
        return info
    info["jwt"] = True
    info["algorithm"] = header.get("alg")
    for name in ("iss", "sub", "aud", "jti"):
        if name in claims:
            info[name] = claims[name]
    for name in ("iat", "nbf", "exp"):
        at = _time(claims.get(name))
        if at is not None:
            info[name] = at.isoformat()
    expires = _time(claims.get("exp"))
    if expires is not None:
        left = int((expires - now).total_seconds())
        info["secondsLeft"] = left
        info["expired"] = left <= 0
    info["claims"] = sorted(claims)
    return info


def _left(seconds: int) -> str:
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{sign}{minutes}m{secs:02d}s"


def _inspect(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    token = read_secret("--token-file", args.token_file, ENV_ACCESS_TOKEN, env)
    if token is None:
        raise InputError(
            "no access token given",
            hint=f"Pass --token-file FILE or set {ENV_ACCESS_TOKEN} (never on the command line).",
        )
    if token.reveal()[:7].lower() == "bearer ":
        token = Secret(token.reveal()[7:].strip())
    now = parse_timestamp(args.now) if args.now else SystemClock().now()
    info = describe_token(token, now)
    info["checkedAt"] = now.isoformat()
    if args.json:
        p.json(info)
        return EXIT_OK
    p.title("access token (the token itself is never shown)")
    p.stage("length", f"{info['length']} characters, sha256:{info['sha256']}")
    if not info["jwt"]:
        p.stage("format", str(info["note"]))
        return EXIT_OK
    p.stage("format", f"JWT, alg {info.get('algorithm')} — claims NOT verified", code="33")
    for name, label in (("iss", "issuer"), ("sub", "subject"), ("aud", "audience")):
        if name in info:
            p.stage(label, str(info[name]))
    for name, label in (("iat", "issued at"), ("nbf", "not before"), ("exp", "expires")):
        if name in info:
            p.stage(label, str(info[name]))
    if "secondsLeft" in info:
        if info["expired"]:
            p.stage("time left", f"expired {_left(-info['secondsLeft'])} ago", code="31")
        else:
            p.stage("time left", _left(info["secondsLeft"]), code="32")
    return EXIT_OK


def add_token_commands(sub: Any, parser_class: type[argparse.ArgumentParser], epilog: str) -> None:
    """Add `token inspect` to subparsers `sub`."""
    add = action_adder(sub, parser_class, "token", "inspect an access token", epilog)
    ins = add(
        "inspect",
        _inspect,
        "JWT or opaque; issuer, subject, expiry (not verified) and time left",
        (
            "Decode an access token's claims with pyjwt WITHOUT verifying its signature: "
            "issuer, subject, expiry and the time left by the clock. The token is never "
            f"printed. Read from --token-file or {ENV_ACCESS_TOKEN}."
        ),
    )
    ins.add_argument("--token-file", metavar="FILE", help="file holding the token")
    ins.add_argument(
        "--now", metavar="TS", help="the time to count from (default: the system clock)"
    )
    ins.add_argument("--json", action="store_true", help="print one JSON object")
