"""`bisnap keys generate|inspect|convert`: key files, shown only as fingerprints."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap.errors import InputError, KeyFormatError
from bisnap.keys import (
    MAX_GENERATED_KEY_BITS,
    MIN_PARTNER_KEY_BITS,
    describe_key,
    generate_key_pair,
    keys_match,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
)

from ._common import Printer, action_adder, read_bytes, read_secret

__all__ = ["add_key_commands"]

EXIT_OK, EXIT_MISMATCH = 0, 1


def _bits(text: str) -> int:
    """`--bits`: an integer from 2048 to 8192 (argparse reports anything else as usage)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of bits")
    bits = int(text)
    if not MIN_PARTNER_KEY_BITS <= bits <= MAX_GENERATED_KEY_BITS:
        raise argparse.ArgumentTypeError(
            f"{bits} is out of range: {MIN_PARTNER_KEY_BITS} to {MAX_GENERATED_KEY_BITS}"
        )
    return bits


def _write_new(path: Path, data: bytes, *, private: bool, force: bool) -> None:
    """Write `data` to `path`: mode 0600 for a private key; never overwrite unless forced."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    mode = 0o600 if private else 0o644
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError as err:
        raise InputError(
            f"{path} exists already", hint="Choose another path, or pass --force to replace it."
        ) from err
    except OSError as err:
        raise InputError(f"cannot write {path} ({err.strerror})") from err
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    if private:
        os.chmod(path, 0o600)


def _generate(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    out_dir = Path(args.out_dir)
    if not out_dir.is_dir():
        raise InputError(
            f"{out_dir} is not a directory", hint="Create it first, or pass --out-dir."
        )
    pair = generate_key_pair(args.bits)
    private_path = out_dir / f"{args.name}private-key.pem"
    public_path = out_dir / f"{args.name}public-key.pem"
    for path in (private_path, public_path):
        if path.exists() and not args.force:
            raise InputError(
                f"{path} exists already", hint="Pass --force to replace it, or another --out-dir."
            )
    _write_new(private_path, pair.private_pem(), private=True, force=args.force)
    _write_new(public_path, pair.public_pem(), private=False, force=args.force)
    info = {
        "privateKey": str(private_path),
        "publicKey": str(public_path),
        "bits": args.bits,
        "fingerprint": pair.fingerprint,
    }
    if args.json:
        p.json(info)
        return EXIT_OK
    p.title(f"RSA-{args.bits} key pair (PKCS#8 private, SPKI public)")
    p.stage("private key", f"{private_path}  (mode 0600 — keep it secret, never share it)")
    p.stage("public key", f"{public_path}  (register this one with the provider)")
    p.stage("fingerprint", pair.fingerprint)
    return EXIT_OK


def _inspect(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    password = read_secret("--key-password-file", args.key_password_file, "", {})
    secret = None if password is None else password.reveal()
    datas = [read_bytes(path, "key file") for path in args.files]
    descs = [describe_key(data, password=secret) for data in datas]
    out: dict[str, Any] = {
        "keys": [
            {
                "file": path,
                "kind": d.kind,
                "format": d.format,
                "encoding": d.encoding,
                "bits": d.bits,
                "fingerprint": d.fingerprint,
            }
            for path, d in zip(args.files, descs, strict=True)
        ]
    }
    code = EXIT_OK
    if len(descs) == 2:
        kinds = {d.kind for d in descs}
        if kinds == {"private", "public"} or kinds == {"private", "certificate"}:
            priv = datas[0] if descs[0].kind == "private" else datas[1]
            pub = datas[1] if descs[0].kind == "private" else datas[0]
            match = keys_match(load_private_key(priv, password=secret), load_public_key(pub))
        else:
            match = descs[0].fingerprint == descs[1].fingerprint
        out["match"] = match
        code = EXIT_OK if match else EXIT_MISMATCH
    if args.json:
        p.json(out)
        return code
    for key in out["keys"]:
        p.title(str(key["file"]))
        p.stage("kind", str(key["kind"]))
        p.stage("format", f"{key['format']} ({key['encoding']})")
        p.stage("size", f"{key['bits']} bits" + ("  (under 2048!)" if key["bits"] < 2048 else ""))
        p.stage("fingerprint", str(key["fingerprint"]))
    if "match" in out:
        p.line()
        if out["match"]:
            p.stage("match", "✓ the two files hold the same key pair", code="32")
        else:
            p.stage("match", "✗ the two files do NOT belong together", code="31")
    return code


def _convert(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    data = read_bytes(args.input, "key file")
    password = read_secret("--key-password-file", args.key_password_file, "", {})
    desc = describe_key(data, password=None if password is None else password.reveal())
    target = args.to
    private: rsa.RSAPrivateKey | None = None
    if desc.kind == "private":
        private = load_private_key(data, password=None if password is None else password.reveal())
        public = private.public_key()
    else:
        public = load_public_key(data)
    output = _converted(private, public, target)
    writes_private = private is not None and target in ("pkcs1", "pkcs8", "der", "env")
    if args.out == "-":
        if target == "der":
            raise InputError("DER is binary", hint="Pass --out FILE for --to der.")
        if writes_private:
            raise InputError(
                "a private key is never written to stdout",
                hint="Pass --out FILE (it is created with mode 0600).",
            )
        p.out.write(output.decode("ascii"))
        p.out.flush()
        return EXIT_OK
    _write_new(Path(args.out), output, private=writes_private, force=args.force)
    what = "private" if writes_private else "public"
    info = {"out": args.out, "kind": what, "to": target, "fingerprint": desc.fingerprint}
    if args.json:
        p.json(info)
    else:
        p.title(f"{desc.kind} key ({desc.format}, {desc.encoding}) → {target}")
        p.stage("wrote", f"{args.out}  ({what} key" + (", mode 0600)" if writes_private else ")"))
        p.stage("fingerprint", desc.fingerprint)
    return EXIT_OK


def _converted(private: rsa.RSAPrivateKey | None, public: rsa.RSAPublicKey, target: str) -> bytes:
    if target == "spki":
        return public_key_to_pem(public)
    if target == "pkcs1":
        return (
            private_key_to_pem(private, pkcs1=True)
            if private
            else public_key_to_pem(public, pkcs1=True)
        )
    if target == "pkcs8":
        if private is None:
            raise KeyFormatError(
                "a public key has no PKCS#8 form",
                hint="PKCS#8 is a private-key format; for a public key use --to spki.",
            )
        return private_key_to_pem(private)
    if target == "der":
        if private is not None:
            return private.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        return public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    pem = private_key_to_pem(private) if private else public_key_to_pem(public)
    # the escaped-newline form env files and secret stores take: one line, literal \n
    return pem.decode("ascii").replace("\n", "\\n").encode("ascii") + b"\n"


def add_key_commands(sub: Any, parser_class: type[argparse.ArgumentParser], epilog: str) -> None:
    """Add `keys generate|inspect|convert` to subparsers `sub`."""
    add = action_adder(
        sub, parser_class, "keys", "generate, inspect and convert RSA key files", epilog
    )
    gen = add(
        "generate",
        _generate,
        "generate the RSA-2048 pair a provider's credential exchange wants",
        (
            "Generate an RSA key pair: private-key.pem (PKCS#8, mode 0600) and "
            "public-key.pem (SPKI) — the pair Midtrans's credential exchange asks for. "
            "Prints the paths and the fingerprint, never the private key."
        ),
    )
    gen.add_argument("--out-dir", default=".", metavar="DIR", help="where to write (default: .)")
    gen.add_argument(
        "--bits", type=_bits, default=2048, help="key size, 2048 to 8192 (default: 2048)"
    )
    gen.add_argument("--name", default="", metavar="PREFIX", help="file name prefix")
    gen.add_argument("--force", action="store_true", help="replace existing files")
    gen.add_argument("--json", action="store_true", help="print one JSON object")

    ins = add(
        "inspect",
        _inspect,
        "format, size and fingerprint; with two files, whether they belong together",
        (
            "Show a key file's kind, format, size and fingerprint (never the key). With two "
            "files, tell whether they hold the same key pair (exit 1 when they do not)."
        ),
    )
    ins.add_argument("files", nargs="+", metavar="FILE", help="one or two key files")
    ins.add_argument("--key-password-file", metavar="FILE", help="password of an encrypted key")
    ins.add_argument("--json", action="store_true", help="print one JSON object")

    conv = add(
        "convert",
        _convert,
        "PKCS#1 <-> PKCS#8, PEM <-> DER, escaped-newline env form",
        (
            "Convert a key file. --to pkcs1|pkcs8 (private PEM, or pkcs1 public), spki "
            "(public PEM, also from a private key), der (binary, same kind), env (one line with "
            "literal \\n, for .env files). A private key is written only to a file (mode 0600)."
        ),
    )
    conv.add_argument("input", metavar="IN", help="the key file to convert")
    conv.add_argument("--to", required=True, choices=("pkcs1", "pkcs8", "spki", "der", "env"))
    conv.add_argument(
        "--out", required=True, metavar="FILE", help="output file ('-' only for public keys)"
    )
    conv.add_argument("--key-password-file", metavar="FILE", help="password of an encrypted key")
    conv.add_argument("--force", action="store_true", help="replace an existing output file")
    conv.add_argument("--json", action="store_true", help="print one JSON object")
