"""Signing-core benchmarks: ratios against raw primitives measured in the same run.

Run: `python benchmarks/bench_core.py [--rounds N]`. Each line prints bisnap's time, the
baseline's, and their ratio (lower is better; 1.00× = as fast as the raw primitive).

How it measures, so small differences mean something on a shared, noisy machine:

- CPU time of this thread (`time.thread_time`), not wall time: other processes do not count;
- rounds interleaved: each round times bisnap then the baseline back to back, and the best
  round of each is kept (noise only ever adds time);
- every baseline does the same work as bisnap: the verify baseline decodes the base64
  signature and builds the string to sign; the minify baseline parses and re-serialises
  (which also validates the JSON, as minify does); the signing baselines encode the
  signature as base64.
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import hmac
import json
import time
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import bisnap

TS = "2024-03-05T17:37:16+07:00"


def per_call(fn: Callable[[], object], number: int) -> float:
    """CPU seconds of this thread per call, over `number` calls."""
    start = time.thread_time()
    for _ in range(number):
        fn()
    return (time.thread_time() - start) / number


def interleaved(
    ours: Callable[[], object], base: Callable[[], object], number: int, rounds: int
) -> tuple[float, float]:
    """Best per-call CPU time (µs) of `ours` and `base`, timed in alternating rounds."""
    ours(), base()  # warm caches (key loading, imports) outside the timed rounds
    best_ours = best_base = float("inf")
    for _ in range(rounds):
        best_ours = min(best_ours, per_call(ours, number))
        best_base = min(best_base, per_call(base, number))
    return best_ours * 1e6, best_base * 1e6


def calls_for(seconds: float, fn: Callable[[], object]) -> int:
    """How many calls of `fn` take about `seconds` of CPU (at least one)."""
    once = per_call(fn, 1)
    return max(1, int(seconds / max(once, 1e-7)))


def report(name: str, ours: float, base: float, target: str) -> float:
    """Print one comparison line; return the ratio."""
    ratio = ours / base
    print(f"{name:<52} {ours:>12.2f} µs {base:>12.2f} µs {ratio:>6.3f}×  (target {target})")
    return ratio


def _row(i: int) -> dict[str, object]:
    return {
        "id": i,
        "name": f"Budi Santoso {i}",
        "amount": {"value": "150000.00", "currency": "IDR"},
        "url": "https://shop.example/o/1",
        "note": "café",
    }


def body_of(size: int, pretty: bool) -> bytes:
    """A realistic SNAP-ish body of about `size` bytes (at least `size`), built in one pass.

    Each row is rendered once and the rows are joined: linear in the size (re-rendering the
    whole body per added row took minutes at 1 MB).
    """
    if pretty:
        head, sep, tail = '{\n  "items": [\n', ",\n", "\n  ]\n}"
    else:
        head, sep, tail = '{"items":[', ",", "]}"
    rows: list[str] = []
    total = len(head) + len(tail)
    i = 0
    while total < size or not rows:
        if pretty:
            text = json.dumps(_row(i), indent=2, ensure_ascii=False).replace("\n", "\n    ")
            text = "    " + text
        else:
            text = json.dumps(_row(i), separators=(",", ":"), ensure_ascii=False)
        rows.append(text)
        total += len(text.encode()) + len(sep)
        i += 1
    return (head + sep.join(rows) + tail).encode()


def json_round_trip(body: bytes) -> bytes:
    """The stdlib way to validate and compact a body (what minify must beat)."""
    return json.dumps(json.loads(body), separators=(",", ":"), ensure_ascii=False).encode()


def main() -> None:
    """Run every benchmark and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (best kept)")
    args = parser.parse_args()
    rounds: int = args.rounds

    print(f"{'benchmark (CPU time per call)':<52} {'bisnap':>15} {'baseline':>15} {'ratio':>7}")
    for label, size in (("1 KB", 1024), ("1 MB", 1 << 20)):
        body = body_of(size, pretty=True)
        ours_fn = functools.partial(bisnap.minify, body)
        base_fn = functools.partial(json_round_trip, body)
        ours, base = interleaved(ours_fn, base_fn, calls_for(0.05, base_fn), rounds)
        report(f"minify {label} pretty vs json.loads+dumps", ours, base, "≤ 0.25×")

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key()
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()

    def raw_token_sign() -> str:
        string = f"G1234325-SNAP|{TS}"
        return base64.b64encode(key.sign(string.encode(), pkcs1, sha256)).decode()

    ours, base = interleaved(
        lambda: bisnap.sign_access_token(client_key="G1234325-SNAP", timestamp=TS, private_key=key),
        raw_token_sign,
        100,
        rounds,
    )
    report("sign_access_token vs raw RSA sign + base64", ours, base, "≤ 1.05×")

    compact = body_of(1024, pretty=False)
    signature = bisnap.sign_service_asymmetric(
        method="POST", path="/v1.0/debit/notify", body=compact, timestamp=TS, private_key=key
    ).signature

    def raw_verify() -> None:
        raw_sig = base64.b64decode(signature, validate=True)
        digest = hashlib.sha256(compact).hexdigest()
        pub.verify(raw_sig, f"POST:/v1.0/debit/notify:{digest}:{TS}".encode(), pkcs1, sha256)

    def ours_verify(check_json: bool) -> Callable[[], object]:
        return lambda: bisnap.verify_service_asymmetric(
            method="POST",
            path="/v1.0/debit/notify",
            body=compact,
            timestamp=TS,
            public_key=pub,
            signature=signature,
            check_json=check_json,
        )

    for label, check in (("", True), (" (check_json=False)", False)):
        ours, base = interleaved(ours_verify(check), raw_verify, 2000, rounds)
        report(f"verify_service_asymmetric 1 KB{label} vs b64+sha256+RSA", ours, base, "≤ 1.3×")

    pretty = body_of(1024, pretty=True)
    minified = bisnap.minify(pretty)

    def raw_hmac() -> str:
        digest = hashlib.sha256(minified).hexdigest()
        msg = f"POST:/v1.0/x:token:{digest}:{TS}".encode()
        return base64.b64encode(hmac.new(b"secret", msg, hashlib.sha512).digest()).decode()

    def ours_hmac() -> object:
        return bisnap.sign_service(
            method="POST",
            path="/v1.0/x",
            body=pretty,
            timestamp=TS,
            access_token="token",
            client_secret="secret",
        )

    ours, base = interleaved(ours_hmac, raw_hmac, 5000, rounds)
    report("sign_service 1 KB pretty vs sha256+HMAC (minified)", ours, base, "≤ 2.0×")


if __name__ == "__main__":
    main()
