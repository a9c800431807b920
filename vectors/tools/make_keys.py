"""Generate the TEST ONLY RSA key pairs used by the published vectors.

Run ONCE; the resulting ``vectors/keys/*.pem`` files are committed and the vector
generator (``generate.py``) only ever loads them. Re-running this script creates new
random keys and therefore changes every RSA signature in the vectors; it refuses to
overwrite existing files unless ``--force`` is given.

These keys are public test material. Never use them for anything else.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEYS_DIR = Path(__file__).resolve().parent.parent / "keys"

#: (name, bits). The "wrong" key is a second, unrelated 2048-bit key used to build
#: WrongKeyOrSecret cases.
KEY_SPECS: tuple[tuple[str, int], ...] = (
    ("rsa1024", 1024),
    ("rsa2048", 2048),
    ("rsa4096", 4096),
    ("rsa2048-wrong", 2048),
)


def key_paths(name: str) -> dict[str, Path]:
    """Return the three PEM paths (pkcs1, pkcs8, public) for a key name."""
    stem = f"test-only-{name}"
    return {
        "pkcs1": KEYS_DIR / f"{stem}.pkcs1.pem",
        "pkcs8": KEYS_DIR / f"{stem}.pkcs8.pem",
        "public": KEYS_DIR / f"{stem}.public.pem",
    }


def write_key(name: str, bits: int) -> None:
    """Generate one key pair and write it as PKCS#1, PKCS#8 and SPKI PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    paths = key_paths(name)
    paths["pkcs1"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    paths["pkcs8"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths["public"].write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="overwrite existing keys")
    args = parser.parse_args(argv)
    KEYS_DIR.mkdir(parents=True, exist_ok=True)
    existing = [p for name, _ in KEY_SPECS for p in key_paths(name).values() if p.exists()]
    if existing and not args.force:
        print(f"refusing to overwrite {len(existing)} existing key file(s); use --force")
        return 1
    for name, bits in KEY_SPECS:
        write_key(name, bits)
        print(f"wrote {name} ({bits} bit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
