"""Benchmark: a full `explain` search on a ~1 KB body, HMAC-SHA512 and SHA256withRSA.

A full search is the worst case: the signature was made with another secret or key, so
every hypothesis (every body mistake × up to two string-to-sign mistakes) is tried before
`WrongKeyOrSecret` is concluded. For each it prints the hypotheses tried, the time of one
search, and the ratio against the raw baseline of the same work done naively in the same
run (one raw HMAC-SHA512, or one raw RSA verify, per hypothesis). A stacked mistake found
half-way (a pretty body and a UTC timestamp) is timed too.

Target: under 100 ms per full search on this machine. It asserts nothing about speed.
Run: `.venv/bin/python benchmarks/bench_explain.py [--quick]`.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap.explain import Explanation, explain_service, explain_service_asymmetric

PATH = "/snap/v1.0/debit/payment-host-to-host?lang=id"
TS = "2024-03-05T17:37:16+07:00"
TOKEN = "bench-access-token-gp9HjjEj813Y9JGoqwOe"
SECRET = "bench-client-secret-Zq8"


def body_1kb() -> bytes:
    """A ~1 KB direct-debit body, pretty-printed, with non-ASCII text and URLs."""
    body = {
        "partnerReferenceNo": "order-2024-03-05-000042",
        "chargeToken": "",
        "merchantId": "G123456789",
        "validUpTo": "2024-03-05T18:37:16+07:00",
        "urlParams": [
            {
                "url": "https://merchant.example/return?x=1&y=2",
                "type": "PAY_RETURN",
                "isDeeplink": "N",
            },
            {"url": "https://merchant.example/notify", "type": "PAY_NOTIFY", "isDeeplink": "N"},
        ],
        "payOptionDetails": [
            {
                "payMethod": "GOPAY",
                "payOption": "GOPAY_WALLET",
                "transAmount": {"value": "150000.00", "currency": "IDR"},
            }
        ],
        "additionalInfo": {
            "customerDetails": {
                "firstName": "José",
                "lastName": "Ñúñez",
                "email": "j@x.id",
                "phone": "+628123456789",
                "address": "Jl. Sudirman 1, 東京",
            },
            "items": [
                {"id": "kopi-susu", "name": "Kopi Susu Gula Aren", "price": 15000, "quantity": 2},
                {"id": "roti", "name": "Roti Bakar <Keju & Coklat>", "price": 20000, "quantity": 1},
            ],
            "metadata": {"note": "kirim sebelum jam 5 — terima kasih 🙏"},
        },
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


def _time(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    rounds = 3 if parser.parse_args().quick else 15
    body = body_1kb()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    digest = hashlib.sha256(body).hexdigest()
    hmac_sts = f"POST:{PATH}:{TOKEN}:{digest}:{TS}"
    rsa_sts = f"POST:{PATH}:{digest}:{TS}"
    wrong_mac = base64.b64encode(
        hmac.new(b"another-secret", hmac_sts.encode(), hashlib.sha512).digest()
    ).decode()
    wrong_rsa = base64.b64encode(
        other.sign(rsa_sts.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    # the right key over a string no known mistake makes: every hypothesis is hashed
    unknown_rsa = base64.b64encode(
        key.sign((rsa_sts + "x").encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()
    stacked = base64.b64encode(
        hmac.new(
            SECRET.encode(),
            f"POST:{PATH}:Bearer {TOKEN}:{digest}:2024-03-05T10:37:16.000Z".encode(),
            hashlib.sha512,
        ).digest()
    ).decode()

    def run_hmac(signature: str) -> Explanation:
        return explain_service(
            method="POST",
            path=PATH,
            body=body,
            timestamp=TS,
            access_token=TOKEN,
            client_secret=SECRET,
            signature=signature,
        )

    def run_rsa(signature: str) -> Explanation:
        return explain_service_asymmetric(
            method="POST",
            path=PATH,
            body=body,
            timestamp=TS,
            public_key=key.public_key(),
            signature=signature,
        )

    sig = base64.b64decode(wrong_rsa)
    pub = key.public_key()
    print(f"body: {len(body)} bytes, rounds: {rounds} (best of)")
    runs: list[tuple[str, Callable[[], Explanation], str]] = [
        ("hmac full search", lambda: run_hmac(wrong_mac), "hmac"),
        ("rsa full search, another key", lambda: run_rsa(wrong_rsa), "rsa"),
        ("rsa full search, every digest compared", lambda: run_rsa(unknown_rsa), "rsa"),
        ("hmac stacked: pretty body, Bearer, UTC ms", lambda: run_hmac(stacked), "hmac"),
    ]
    for name, fn, raw_unit in runs:
        result = fn()
        assert isinstance(result, Explanation)
        seconds = _time(fn, rounds)
        n = result.hypotheses

        def raw_hmac(n: int = n) -> None:
            for i in range(n):
                hmac.digest(SECRET.encode(), f"{hmac_sts}{i}".encode(), "sha512")

        def raw_rsa(n: int = n) -> None:
            for i in range(n):
                with contextlib.suppress(InvalidSignature):
                    pub.verify(sig, f"{rsa_sts}{i}".encode(), padding.PKCS1v15(), hashes.SHA256())

        baseline = _time(raw_hmac if raw_unit == "hmac" else raw_rsa, max(1, rounds // 3))
        print(
            f"{name:48} {list(result.mistakes)!s:44} hypotheses {n:6,}  "
            f"{seconds * 1000:7.1f} ms  raw {raw_unit}×{n}: {baseline * 1000:7.1f} ms  "
            f"ratio {seconds / baseline:5.2f}x"
        )


if __name__ == "__main__":
    main()
