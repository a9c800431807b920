"""Signing-core benchmarks: ratios against raw primitives measured in the same run.

Run: `python benchmarks/bench_core.py`. Each line prints bisnap's time, the baseline's,
and their ratio (lower is better; 1.00× = as fast as the raw primitive).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import timeit
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import bisnap

TS = "2024-03-05T17:37:16+07:00"


def best(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Best per-call time in microseconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def report(name: str, ours: float, base: float, target: str) -> None:
    """Print one comparison line."""
    print(f"{name:<48} {ours:>11.2f} µs {base:>11.2f} µs {ours / base:>6.2f}×  (target {target})")


def body_of(size: int, pretty: bool) -> bytes:
    """A realistic SNAP-ish body of about `size` bytes."""
    rows = []
    i = 0
    while True:
        rows.append(
            {
                "id": i,
                "name": f"Budi Santoso {i}",
                "amount": {"value": "150000.00", "currency": "IDR"},
                "url": "https://shop.example/o/1",
                "note": "café",
            }
        )
        i += 1
        text = json.dumps(
            {"items": rows},
            indent=2 if pretty else None,
            separators=None if pretty else (",", ":"),
            ensure_ascii=False,
        )
        if len(text) >= size:
            return text.encode()


def main() -> None:
    """Run every benchmark and print the ratios."""
    print(f"{'benchmark':<48} {'bisnap':>14} {'baseline':>14} {'ratio':>7}")
    for label, size, number in (("1 KB", 1024, 3000), ("1 MB", 1 << 20, 5)):
        body = body_of(size, pretty=True)

        def ours_minify(b: bytes = body) -> bytes:
            return bisnap.minify(b)

        def json_round_trip(b: bytes = body) -> bytes:
            return json.dumps(json.loads(b), separators=(",", ":"), ensure_ascii=False).encode()

        ours, base = best(ours_minify, number), best(json_round_trip, number)
        report(f"minify {label} pretty vs json.loads+dumps", ours, base, "≤ 1.0×")

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = key.public_key()
    string = f"G1234325-SNAP|{TS}"
    ours = best(
        lambda: bisnap.sign_access_token(client_key="G1234325-SNAP", timestamp=TS, private_key=key),
        300,
    )
    base = best(
        lambda: base64.b64encode(key.sign(string.encode(), padding.PKCS1v15(), hashes.SHA256())),
        300,
    )
    report("sign_access_token vs raw RSA sign + base64", ours, base, "≤ 1.05×")

    compact = body_of(1024, pretty=False)
    signed = bisnap.sign_service_asymmetric(
        method="POST", path="/v1.0/debit/notify", body=compact, timestamp=TS, private_key=key
    )
    raw_sig = signed.signature_bytes

    def raw_verify() -> None:
        digest = hashlib.sha256(compact).hexdigest()
        pub.verify(
            raw_sig,
            f"POST:/v1.0/debit/notify:{digest}:{TS}".encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )

    def ours_verify(check_json: bool) -> Callable[[], object]:
        return lambda: bisnap.verify_service_asymmetric(
            method="POST",
            path="/v1.0/debit/notify",
            body=compact,
            timestamp=TS,
            public_key=pub,
            signature=signed.signature,
            check_json=check_json,
        )

    base = best(raw_verify, 3000)
    report(
        "verify_service_asymmetric 1 KB vs sha256+RSA verify",
        best(ours_verify(True), 3000),
        base,
        "≤ 1.1×",
    )
    report(
        "  … with check_json=False (parse happens later)",
        best(ours_verify(False), 3000),
        base,
        "≤ 1.1×",
    )

    pretty = body_of(1024, pretty=True)
    minified = bisnap.minify(pretty)

    def raw_hmac() -> str:
        digest = hashlib.sha256(minified).hexdigest()
        msg = f"POST:/v1.0/x:token:{digest}:{TS}".encode()
        return base64.b64encode(hmac.new(b"secret", msg, hashlib.sha512).digest()).decode()

    ours = best(
        lambda: bisnap.sign_service(
            method="POST",
            path="/v1.0/x",
            body=pretty,
            timestamp=TS,
            access_token="token",
            client_secret="secret",
        ),
        3000,
    )
    report(
        "sign_service 1 KB pretty vs hashlib+hmac (minified)",
        ours,
        best(raw_hmac, 3000),
        "report; aim ≤ 2×",
    )


if __name__ == "__main__":
    main()
