"""Fixtures of the CLI tests: a key pair on disk and sentinel secrets in files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

#: Sentinels: they must never appear in any output, error or --json.
SENTINEL_SECRET = "SENTINEL-client-secret-7f3a9c"
SENTINEL_TOKEN = "SENTINEL-access-token-b81e44d2"


@dataclass(frozen=True)
class Files:
    """Paths of the files the CLI reads in a test."""

    private_key: Path
    public_key: Path
    other_public_key: Path
    secret: Path
    token: Path
    key: rsa.RSAPrivateKey
    secret_value: str = SENTINEL_SECRET
    token_value: str = SENTINEL_TOKEN


@pytest.fixture(scope="session")
def _keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture
def files(tmp_path: Path, _keys: tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]) -> Files:
    key, other = _keys
    private = tmp_path / "private-key.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "public-key.pem"
    other_public = tmp_path / "other-public.pem"
    for path, k in ((public, key), (other_public, other)):
        path.write_bytes(
            k.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    secret = tmp_path / "secret.txt"
    secret.write_text(SENTINEL_SECRET + "\n")
    token = tmp_path / "token.txt"
    token.write_text(SENTINEL_TOKEN + "\n")
    return Files(private, public, other_public, secret, token, key)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "BISNAP_CLIENT_SECRET",
        "BISNAP_ACCESS_TOKEN",
        "BISNAP_PRIVATE_KEY",
        "BISNAP_PUBLIC_KEY",
        "NO_COLOR",
    ):
        monkeypatch.delenv(name, raising=False)
