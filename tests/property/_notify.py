"""What the notification property tests share: a key, and Midtrans-style signing with raw
`cryptography` (never bisnap), and replay stores that accept every claim."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
PATH = "/v1.0/debit/notify"


def sign(body: bytes, timestamp: str, path: str = PATH) -> str:
    """SHA256withRSA over POST:path:lowerhex(sha256(body)):timestamp, base64."""
    data = f"POST:{path}:{hashlib.sha256(body).hexdigest()}:{timestamp}".encode()
    return base64.b64encode(KEY.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


class Recording:
    """A replay store that accepts every claim and records what it was asked."""

    def __init__(self) -> None:
        self.claims: list[tuple[tuple[str, ...], datetime]] = []

    def claim(self, key: str, *, expires_at: datetime) -> bool:
        self.claims.append(((key,), expires_at))
        return True
