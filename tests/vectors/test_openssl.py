"""Re-derive every body hash and signature in the vectors with the ``openssl`` CLI.

Body hashes and HMACs are batched (one ``openssl dgst`` process hashes many files); RSA
sign/verify runs one process per operation on a small thread pool. A missing ``openssl``
is a test failure, never a skip.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from ._vectors import (
    SIGNATURE_FILES,
    Json,
    decode_signature,
    iter_tests,
    load,
    minify_output,
    signed_path,
)

BATCH = 200


def openssl() -> str:
    exe = shutil.which("openssl")
    if exe is None:
        pytest.fail(
            "the `openssl` CLI is not on PATH: the vector cross-check requires it "
            "(install the openssl package); this test never skips"
        )
    return exe


class Files:
    """Content-addressed temp files (identical content -> one file)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.paths: dict[bytes, Path] = {}

    def put(self, data: bytes, suffix: str = ".bin") -> Path:
        p = self.paths.get(data)
        if p is None:
            p = self.root / f"{hashlib.sha256(data).hexdigest()[:24]}{suffix}"
            p.write_bytes(data)
            self.paths[data] = p
        return p


def run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(args, capture_output=True, check=False, timeout=120)


def dgst_batch(args: list[str], paths: list[Path]) -> dict[Path, str]:
    """Run ``openssl dgst <args> -r`` over many files; map path -> lowercase hex."""
    out: dict[Path, str] = {}
    for i in range(0, len(paths), BATCH):
        chunk = paths[i : i + BATCH]
        proc = run([openssl(), "dgst", *args, "-r", *map(str, chunk)])
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        lines = proc.stdout.decode().splitlines()
        assert len(lines) == len(chunk)
        for p, line in zip(chunk, lines, strict=True):
            digest, name = line.split(" ", 1)
            assert name.lstrip("*") == str(p)
            out[p] = digest.lower()
    return out


def signature_tests() -> Iterator[tuple[str, Json, Json]]:
    for name in SIGNATURE_FILES:
        for g, t in iter_tests(load(name)):
            yield name, g, t


def test_strings_to_sign_rebuilt() -> None:
    n = 0
    for name, g, t in signature_tests():
        if name.startswith("access_token"):
            sts = f"{t['clientKey']}|{t['timestamp']}"
        else:
            parts = [t["method"].upper(), signed_path(t["path"], g["pathIncludesQuery"])]
            if name.startswith("service_hmac"):
                parts.append(t["accessToken"])
            parts += [t["bodySha256"], t["timestamp"]]
            sts = ":".join(parts)
        assert sts == t["stringToSign"], (name, t["tcId"])
        n += 1
    assert n > 200


def test_body_hashes(tmp_path: Path) -> None:
    files = Files(tmp_path)
    jobs: list[tuple[Path, str, str]] = []
    for g, t in iter_tests(load("minify")):
        del g
        if t["result"] == "valid":
            jobs.append((files.put(minify_output(t)), t["bodySha256"], f"minify {t['tcId']}"))
    for name, _, t in signature_tests():
        if "minifiedBody" in t:
            jobs.append(
                (files.put(t["minifiedBody"].encode()), t["bodySha256"], f"{name} {t['tcId']}")
            )
        sender = t.get("sender", {})
        if "minifiedBody" in sender:
            jobs.append(
                (
                    files.put(sender["minifiedBody"].encode()),
                    sender["bodySha256"],
                    f"{name} {t['tcId']} sender",
                )
            )
    digests = dgst_batch(["-sha256"], sorted(set(p for p, _, _ in jobs)))
    bad = [label for p, want, label in jobs if digests[p] != want]
    assert bad == []
    assert len(jobs) > 300


def test_hmac_signatures(tmp_path: Path) -> None:
    files = Files(tmp_path)
    # secret -> list of (message file, expected mac or None, must_equal, label)
    by_secret: dict[str, list[tuple[Path, bytes, bool, str]]] = {}
    for name in ("service_hmac_sign", "service_hmac_verify", "service_hmac_explain"):
        for _, t in iter_tests(load(name)):
            presented = decode_signature(t["signature"], t["encoding"])
            label = f"{name} {t['tcId']}"
            correct = (
                files.put(t["stringToSign"].encode()),
                presented,
                t["result"] != "invalid",
                label,
            )
            by_secret.setdefault(t["clientSecret"], []).append(correct)
            if t["result"] == "invalid":
                s = t["sender"]
                secret = s.get("clientSecret", t["clientSecret"])
                by_secret.setdefault(secret, []).append(
                    (files.put(s["stringToSign"].encode()), presented, True, label + " sender")
                )
    bad: list[str] = []
    count = 0
    for secret, jobs in by_secret.items():
        key_hex = secret.encode("utf-8").hex()
        macs = dgst_batch(
            ["-sha512", "-mac", "HMAC", "-macopt", f"hexkey:{key_hex}"],
            sorted(set(p for p, _, _, _ in jobs)),
        )
        for p, presented, must_equal, label in jobs:
            count += 1
            if (bytes.fromhex(macs[p]) == presented) != must_equal:
                bad.append(label)
    assert bad == []
    assert count > 150


@dataclass(frozen=True)
class RsaJob:
    label: str
    op: str  # "sign" | "verify"
    key: Path
    message: Path
    signature: bytes
    expect: bool  # for sign: output equals signature; for verify: verifies


def rsa_jobs(files: Files) -> list[RsaJob]:
    jobs: list[RsaJob] = []

    def key(pem: str) -> Path:
        return files.put(pem.encode("ascii"), ".pem")

    for name, g, t in signature_tests():
        if name.startswith("service_hmac"):
            continue
        label = f"{name} {t['tcId']}"
        presented = decode_signature(t["signature"], t["encoding"])
        msg = files.put(t["stringToSign"].encode())
        pub = key(g["publicKeyPem"])
        if t["result"] == "invalid":
            s = t["sender"]
            smsg = files.put(s["stringToSign"].encode())
            spub = key(s.get("publicKeyPem", g["publicKeyPem"]))
            jobs.append(RsaJob(label, "verify", pub, msg, presented, False))
            jobs.append(RsaJob(label + " sender", "verify", spub, smsg, presented, True))
            spriv = s.get("privateKeyPem", g.get("privateKeyPem"))
            if spriv is not None:
                jobs.append(RsaJob(label + " sender", "sign", key(spriv), smsg, presented, True))
        else:
            jobs.append(RsaJob(label, "verify", pub, msg, presented, True))
            if "privateKeyPem" in g:
                jobs.append(RsaJob(label, "sign", key(g["privateKeyPem"]), msg, presented, True))
    return jobs


def run_rsa(job: RsaJob, workdir: Path, index: int) -> str | None:
    exe = openssl()
    if job.op == "sign":
        out = workdir / f"sig-{index}.bin"
        proc = run(
            [exe, "dgst", "-sha256", "-sign", str(job.key), "-out", str(out), str(job.message)]
        )
        if proc.returncode != 0:
            return f"{job.label}: openssl sign failed: {proc.stderr.decode(errors='replace')}"
        return None if out.read_bytes() == job.signature else f"{job.label}: signature differs"
    sig = workdir / f"in-{index}.bin"
    sig.write_bytes(job.signature)
    proc = run(
        [exe, "dgst", "-sha256", "-verify", str(job.key), "-signature", str(sig), str(job.message)]
    )
    verified = proc.returncode == 0 and b"Verified OK" in proc.stdout
    if verified != job.expect:
        return f"{job.label}: verify={verified}, expected {job.expect}"
    return None


def test_rsa_signatures(tmp_path: Path) -> None:
    openssl()
    files = Files(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    jobs = rsa_jobs(files)
    with ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2) * 2)) as pool:
        results = list(pool.map(lambda ij: run_rsa(ij[1], work, ij[0]), enumerate(jobs)))
    assert [r for r in results if r is not None] == []
    assert sum(j.op == "verify" for j in jobs) > 200
    assert sum(j.op == "sign" for j in jobs) > 150
