"""`bisnap vectors check`: run bisnap against the published test vectors.

Policy per result:

- valid: signing reproduces every stage and the signature; verifying succeeds.
- invalid: verifying raises `SignatureMismatchError`, and `explain` names the test's flag
  and the stage it says differs first.
- acceptable `HexInsteadOfBase64`: verifying succeeds; `explain` notes the flag.
- acceptable `WeakKey1024`: signing raises `KeyTooSmallError`; verifying succeeds with a
  `KeyStrengthWarning`.
"""

from __future__ import annotations

import argparse
import base64
import json
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bisnap
from bisnap import canonical
from bisnap.errors import (
    BisnapError,
    BodyNotJSONError,
    InputError,
    KeyStrengthWarning,
    KeyTooSmallError,
    SignatureMismatchError,
    TimestampFormatError,
)
from bisnap.explain import (
    MISTAKE_STAGES,
    Explanation,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
)
from bisnap.keys import load_public_key
from bisnap.minify import minify
from bisnap.signing import (
    SignatureTrace,
    decode_signature,
    hmac_sha512,
    rsa_verify,
    sign_access_token,
    sign_service,
    sign_service_asymmetric,
    verify_access_token,
    verify_service,
    verify_service_asymmetric,
)
from bisnap.timestamps import parse_timestamp

from ._common import Printer, action_adder

__all__ = ["Outcome", "add_vector_commands", "check_file", "default_vector_files"]

EXIT_OK, EXIT_FAILED = 0, 1
_VECTOR_NAMES = (
    "access_token_sign.json",
    "access_token_verify.json",
    "service_hmac_sign.json",
    "service_hmac_verify.json",
    "service_rsa_sign.json",
    "service_rsa_verify.json",
    "minify.json",
    "timestamp.json",
    "service_hmac_explain.json",
    "service_rsa_explain.json",
)


class _VectorFailError(Exception):
    """One test did not behave as its vector says."""


@dataclass(frozen=True)
class Outcome:
    """The result of one vector test: `ok`, and why not."""

    file: str
    tc_id: int
    ok: bool
    reason: str = ""


def default_vector_files(cwd: Path | None = None) -> list[Path]:
    """The vector files of the repository: next to the package, else under `cwd`/vectors.

    Raises:
        InputError: no vectors directory is found.
    """
    candidates = [Path(bisnap.__file__).resolve().parent.parent / "vectors"]
    candidates.append((cwd or Path.cwd()) / "vectors")
    for folder in candidates:
        files = [folder / name for name in _VECTOR_NAMES if (folder / name).is_file()]
        if files:
            return files
    raise InputError(
        "no vectors/ directory with vector files was found",
        hint="Run from the repository root, or pass the vector files as arguments.",
    )


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"no such vector file: {path}") from err
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise InputError(f"{path} is not a JSON vector file") from err
    if not isinstance(data, dict) or not isinstance(data.get("testGroups"), list):
        raise InputError(f"{path} has no testGroups", hint="Vector files are Wycheproof-like JSON.")
    return data


def _group_type(path: Path, group: Mapping[str, Any]) -> str:
    kind = str(group.get("type", ""))
    if kind:
        return kind
    stem = path.stem
    return {
        "access_token_sign": "AccessTokenSign",
        "access_token_verify": "AccessTokenVerify",
        "service_hmac_sign": "ServiceHmacSign",
        "service_hmac_verify": "ServiceHmacVerify",
        "service_rsa_sign": "ServiceRsaSign",
        "service_rsa_verify": "ServiceRsaVerify",
        "minify": "Minify",
        "timestamp": "Timestamp",
    }.get(stem, "")


def check_file(path: Path) -> Iterator[Outcome]:
    """Run every test of one vector file; yield an `Outcome` per test.

    Raises:
        InputError: the file is missing or not a vector file.
    """
    data = _load(path)
    for group in data["testGroups"]:
        kind = _group_type(path, group)
        checker = _CHECKERS.get(kind)
        for test in group.get("tests", []):
            tc_id = int(test.get("tcId", -1))
            if checker is None:
                yield Outcome(path.name, tc_id, False, f"unknown group type {kind!r}")
                continue
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    checker(group, test, caught)
            except _VectorFailError as err:
                yield Outcome(path.name, tc_id, False, str(err))
            except BisnapError as err:
                yield Outcome(path.name, tc_id, False, f"{type(err).__name__}: {err}")
            else:
                yield Outcome(path.name, tc_id, True)


# --- helpers ----------------------------------------------------------------------------


def _body(test: Mapping[str, Any]) -> bytes | str | None:
    if "bodyBase64" in test:
        return base64.b64decode(test["bodyBase64"])
    body = test.get("body")
    return body if isinstance(body, str) else None


def _has_body(test: Mapping[str, Any]) -> bool:
    return "body" in test or "bodyBase64" in test


def _expect(name: str, got: object, want: object) -> None:
    if want is not None and got != want:
        raise _VectorFailError(f"{name}: got {str(got)[:60]!r}, expected {str(want)[:60]!r}")


def _stage_value(test: Mapping[str, Any], name: str) -> Any:
    if f"{name}Base64" in test:
        return base64.b64decode(test[f"{name}Base64"]).decode("utf-8", "backslashreplace")
    return test.get(name)


def _check_trace(trace: SignatureTrace, test: Mapping[str, Any], *, signature: bool) -> None:
    stages = trace.stages(reveal_token=True)
    for name in ("minifiedBody", "bodySha256", "stringToSign"):
        if name in stages:
            _expect(name, stages[name], _stage_value(test, name))
    if signature:
        _expect("signature", trace.signature, test.get("signature"))


def _weak(test: Mapping[str, Any]) -> bool:
    return "WeakKey1024" in test.get("flags", [])


def _check_weak_warning(caught: list[warnings.WarningMessage], test: Mapping[str, Any]) -> None:
    warned = any(issubclass(w.category, KeyStrengthWarning) for w in caught)
    if _weak(test) and not warned:
        raise _VectorFailError("a 1024-bit key verified without a KeyStrengthWarning")


def _check_sign(
    test: Mapping[str, Any],
    sign: Callable[[], SignatureTrace],
    verify: Callable[[], SignatureTrace],
    caught: list[warnings.WarningMessage],
) -> None:
    if _weak(test):
        try:
            sign()
        except KeyTooSmallError:
            pass
        else:
            raise _VectorFailError("signing with a 1024-bit key did not raise KeyTooSmallError")
        verify()
        _check_weak_warning(caught, test)
        return
    _check_trace(sign(), test, signature=True)


def _check_verify(
    test: Mapping[str, Any],
    verify: Callable[[], SignatureTrace],
    explain: Callable[[], Explanation],
    caught: list[warnings.WarningMessage],
) -> None:
    result = test.get("result")
    flags = list(test.get("flags", []))
    if result in ("valid", "acceptable"):
        trace = verify()
        _check_trace(trace, test, signature=False)
        _check_weak_warning(caught, test)
        if "HexInsteadOfBase64" in flags:
            exp = explain()
            if not exp.valid or "HexInsteadOfBase64" not in exp.mistakes:
                raise _VectorFailError(f"explain did not note HexInsteadOfBase64: {exp.mistakes}")
        return
    try:
        verify()
    except SignatureMismatchError:
        pass
    else:
        raise _VectorFailError("an invalid signature verified")
    exp = explain()
    named = [f for f in flags if f in MISTAKE_STAGES]
    if exp.valid:
        raise _VectorFailError("explain says the invalid signature is valid")
    if named and not any(f in exp.mistakes for f in named):
        raise _VectorFailError(f"explain named {list(exp.mistakes)}, expected {named}")
    if test.get("mismatchAt") and exp.mismatch_at != test["mismatchAt"]:
        raise _VectorFailError(
            f"explain says mismatch at {exp.mismatch_at}, expected {test['mismatchAt']}"
        )
    sender = test.get("sender")
    if exp.sender is not None and isinstance(sender, dict):
        got = exp.sender.stages(reveal_token=True)
        for name in ("minifiedBody", "bodySha256", "stringToSign"):
            if name in got and name in sender:
                _expect(f"sender {name}", got[name], sender[name])


# --- per group type ---------------------------------------------------------------------


def _access_token_sign(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    _check_sign(
        t,
        lambda: sign_access_token(
            client_key=t["clientKey"],
            timestamp=t["timestamp"],
            private_key=g["privateKeyPem"],
            encoding=t.get("encoding", "base64"),
        ),
        lambda: verify_access_token(
            client_key=t["clientKey"],
            timestamp=t["timestamp"],
            signature=t["signature"],
            public_key=g["publicKeyPem"],
        ),
        caught,
    )


def _access_token_verify(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    args = {
        "client_key": t["clientKey"],
        "timestamp": t["timestamp"],
        "signature": t["signature"],
        "public_key": g["publicKeyPem"],
    }
    _check_verify(
        t, lambda: verify_access_token(**args), lambda: explain_access_token(**args), caught
    )


def _request_args(g: Mapping[str, Any], t: Mapping[str, Any]) -> dict[str, Any]:
    """The request a service test signs: method, path, body, timestamp, query rule."""
    return {
        "method": t["method"],
        "path": t["path"],
        "body": _body(t),
        "timestamp": t["timestamp"],
        "include_query": bool(g.get("pathIncludesQuery", True)),
    }


def _hmac_args(g: Mapping[str, Any], t: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **_request_args(g, t),
        "access_token": t["accessToken"],
        "client_secret": t["clientSecret"],
    }


def _hash_only_string(g: Mapping[str, Any], t: Mapping[str, Any], *, hmac: bool) -> str:
    """The string to sign from a published body hash (no body published), checked against
    the published one: the HMAC form (with the test's access token) or the asymmetric one."""
    parts = {**_request_args(g, t), "body_sha256": t["bodySha256"]}
    del parts["body"]
    if hmac:
        sts = canonical.symmetric_string(**parts, access_token=t["accessToken"])
    else:
        sts = canonical.asymmetric_string(**parts)
    _expect("stringToSign", sts, t.get("stringToSign"))
    return sts


def _hash_only_verified(t: Mapping[str, Any], verifies: bool) -> None:
    if verifies != (t.get("result") != "invalid"):
        raise _VectorFailError("the published body-hash-only signature does not behave as stated")


def _service_hmac_sign(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    if not _has_body(t):
        mac = hmac_sha512(_hash_only_string(g, t, hmac=True), t["clientSecret"])
        encoded = mac.hex() if t.get("encoding") == "hex" else base64.b64encode(mac).decode()
        _expect("signature", encoded, t.get("signature"))
        return
    trace = sign_service(**_hmac_args(g, t), encoding=t.get("encoding", "base64"))
    _check_trace(trace, t, signature=True)


def _service_hmac_verify(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    if not _has_body(t):
        mac = hmac_sha512(_hash_only_string(g, t, hmac=True), t["clientSecret"])
        sig = str(t["signature"])
        encoded = mac.hex() if len(sig) == 128 else base64.b64encode(mac).decode()
        _hash_only_verified(t, encoded == sig)
        return
    args = {**_hmac_args(g, t), "signature": t["signature"]}
    _check_verify(t, lambda: verify_service(**args), lambda: explain_service(**args), caught)


def _service_rsa_sign(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    args = _request_args(g, t)
    _check_sign(
        t,
        lambda: sign_service_asymmetric(
            **args, private_key=g["privateKeyPem"], encoding=t.get("encoding", "base64")
        ),
        lambda: verify_service_asymmetric(
            **args, public_key=g["publicKeyPem"], signature=t["signature"]
        ),
        caught,
    )


def _service_rsa_verify(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    if not _has_body(t):
        sts = _hash_only_string(g, t, hmac=False)
        key = load_public_key(g["publicKeyPem"])
        raw, _enc = decode_signature(t["signature"], key.key_size // 8)
        _hash_only_verified(t, rsa_verify(raw, sts.encode(), key))
        return
    args = {**_request_args(g, t), "public_key": g["publicKeyPem"], "signature": t["signature"]}
    _check_verify(
        t,
        lambda: verify_service_asymmetric(**args),
        lambda: explain_service_asymmetric(**args),
        caught,
    )


def _minify(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    data: bytes | str | None
    data = base64.b64decode(t["inputBase64"]) if "inputBase64" in t else t.get("input")
    if t.get("result") == "invalid":
        try:
            minify(data)
        except BodyNotJSONError as err:
            _expect("errorOffset", err.offset, t.get("errorOffset"))
            return
        raise _VectorFailError("minify accepted a body that is not JSON")
    out = minify(data)
    want = (
        base64.b64decode(t["minifiedBodyBase64"])
        if "minifiedBodyBase64" in t
        else None
        if t.get("minifiedBody") is None
        else str(t["minifiedBody"]).encode("utf-8")
    )
    _expect("minifiedBody", out, want)
    _expect("bodySha256", canonical.body_sha256(out), t.get("bodySha256"))


def _timestamp(g: Mapping[str, Any], t: Mapping[str, Any], caught: Any) -> None:
    if t.get("result") == "invalid":
        try:
            parse_timestamp(t["timestamp"])
        except TimestampFormatError:
            return
        raise _VectorFailError("parse_timestamp accepted a malformed X-TIMESTAMP")
    at = parse_timestamp(t["timestamp"])
    want = t.get("epochSeconds")
    if isinstance(want, int | float) and abs(at.timestamp() - want) > 1e-6:
        raise _VectorFailError(f"epochSeconds: got {at.timestamp()}, expected {want}")
    if "epochMillis" in t:
        _expect("epochMillis", round(at.timestamp() * 1000), t["epochMillis"])
    offset = at.utcoffset()
    minutes = None if offset is None else int(offset.total_seconds() // 60)
    _expect("utcOffsetMinutes", minutes, t.get("utcOffsetMinutes"))


_CHECKERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any], Any], None]] = {
    "AccessTokenSign": _access_token_sign,
    "AccessTokenVerify": _access_token_verify,
    "ServiceHmacSign": _service_hmac_sign,
    "ServiceHmacVerify": _service_hmac_verify,
    # explain cases: rejected, and explained with their flags and the sender's stages
    "ServiceHmacExplain": _service_hmac_verify,
    "ServiceRsaExplain": _service_rsa_verify,
    "ServiceRsaSign": _service_rsa_sign,
    "ServiceRsaVerify": _service_rsa_verify,
    "Minify": _minify,
    "Timestamp": _timestamp,
}


# --- command ----------------------------------------------------------------------------


def _check(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    files = [Path(f) for f in args.files] if args.files else default_vector_files()
    passed = failed = 0
    per_file: list[dict[str, Any]] = []
    for path in files:
        outcomes = list(check_file(path))
        ok = sum(1 for o in outcomes if o.ok)
        bad = [o for o in outcomes if not o.ok]
        passed += ok
        failed += len(bad)
        per_file.append(
            {
                "file": path.name,
                "passed": ok,
                "failed": len(bad),
                "failures": [{"tcId": o.tc_id, "reason": o.reason} for o in bad],
            }
        )
        if not args.json:
            mark = p.paint("✓", "32") if not bad else p.paint("✗", "31")
            p.line(f"{mark} {path.name:<28} {ok:>4} passed {len(bad):>4} failed")
            for o in bad:
                p.line(f"    tcId {o.tc_id}: {o.reason}")
    if args.json:
        p.json({"files": per_file, "passed": passed, "failed": failed})
    else:
        p.line(f"{passed} passed, {failed} failed")
    return EXIT_OK if failed == 0 else EXIT_FAILED


def add_vector_commands(sub: Any, parser_class: type[argparse.ArgumentParser], epilog: str) -> None:
    """Add `vectors check` to subparsers `sub`."""
    add = action_adder(sub, parser_class, "vectors", "run bisnap against test vectors", epilog)
    check = add(
        "check",
        _check,
        "check bisnap against the published vectors",
        (
            "Run bisnap against the published vectors (every file under the repository's "
            "vectors/ by default) and end with 'N passed, N failed'. Exit 1 when any fails."
        ),
    )
    check.add_argument("files", nargs="*", metavar="FILE", help="vector files (default: all)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
