"""The emulator's credentials: what a Midtrans credential exchange would give both sides.

A merchant (the *partner*) has a client key, a client secret, a partner id, a channel id
and an RSA key pair whose public half is registered with the provider. The provider (the
emulator) has its own RSA key pair and signs notifications with the private half.

`EmulatorCredentials.generate()` makes a fresh demo set; `write(directory)` stores it (private
files 0600, a JSON of the non-secret ids); `load_directory(directory)` reads it back.
`public_view()` is everything that may be shown: ids, public keys, fingerprints.
"""

from __future__ import annotations

import json
import os
import secrets as _random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap.errors import ConfigurationError
from bisnap.keys import (
    fingerprint,
    generate_key_pair,
    load_private_key,
    load_public_key,
    private_key_to_pem,
    public_key_to_pem,
)
from bisnap.secrets import Secret

__all__ = ["CREDENTIALS_JSON", "EmulatorCredentials"]

#: The file `write()` puts the non-secret ids in.
CREDENTIALS_JSON = "credentials.json"

_FILES = {
    "client_secret": "client_secret.txt",
    "partner_private_key": "partner_private_key.pem",
    "partner_public_key": "partner_public_key.pem",
    "provider_private_key": "provider_private_key.pem",
    "provider_public_key": "provider_public_key.pem",
}


@dataclass(frozen=True, repr=False)
class EmulatorCredentials:
    """Both sides' credentials. `repr` shows ids and fingerprints only.

    `partner_private_key` is None when only the partner's public key was given (the
    emulator never needs the private half; a demo or test that signs as the merchant does).
    """

    client_key: str
    client_secret: Secret
    partner_id: str
    channel_id: str
    partner_public_key: rsa.RSAPublicKey
    provider_private_key: rsa.RSAPrivateKey
    partner_private_key: rsa.RSAPrivateKey | None = None
    merchant_id: str = "G000000001"

    @classmethod
    def generate(
        cls,
        *,
        client_key: str | None = None,
        partner_id: str | None = None,
        channel_id: str = "95221",
        merchant_id: str = "G000000001",
    ) -> EmulatorCredentials:
        """A fresh demo set: random client key/secret/partner id, two RSA-2048 key pairs."""
        partner = generate_key_pair()
        provider = generate_key_pair()
        suffix = "".join(_random.choice("0123456789") for _ in range(8))
        return cls(
            client_key=client_key or f"G{suffix}-EMULATOR-SNAP",
            client_secret=Secret(_random.token_urlsafe(24)),
            partner_id=partner_id or f"{suffix}{suffix}",
            channel_id=channel_id,
            partner_public_key=partner.public_key,
            provider_private_key=provider.private_key,
            partner_private_key=partner.private_key,
            merchant_id=merchant_id,
        )

    @classmethod
    def from_values(
        cls,
        *,
        client_key: str,
        client_secret: str | Secret,
        partner_id: str,
        partner_public_key: bytes | str | rsa.RSAPublicKey,
        provider_private_key: bytes | str | rsa.RSAPrivateKey | None = None,
        partner_private_key: bytes | str | rsa.RSAPrivateKey | None = None,
        channel_id: str = "95221",
        merchant_id: str = "G000000001",
    ) -> EmulatorCredentials:
        """Credentials from given values; a provider key pair is generated when not given.

        Raises:
            KeyFormatError: a key cannot be loaded.
            ConfigurationError: an empty id or secret.
        """
        secret = client_secret if isinstance(client_secret, Secret) else Secret(client_secret)
        for name, value in (("client key", client_key), ("partner id", partner_id)):
            if not value:
                raise ConfigurationError(f"the {name} is empty", hint=f"Pass a {name}.")
        if not secret:
            raise ConfigurationError("the client secret is empty", hint="Pass a client secret.")
        provider = (
            load_private_key(provider_private_key)
            if provider_private_key is not None
            else generate_key_pair().private_key
        )
        return cls(
            client_key=client_key,
            client_secret=secret,
            partner_id=partner_id,
            channel_id=channel_id,
            partner_public_key=load_public_key(partner_public_key),
            provider_private_key=provider,
            partner_private_key=(
                load_private_key(partner_private_key) if partner_private_key is not None else None
            ),
            merchant_id=merchant_id,
        )

    @property
    def provider_public_key(self) -> rsa.RSAPublicKey:
        """The key a merchant verifies the emulator's notifications with."""
        return self.provider_private_key.public_key()

    def public_view(self) -> dict[str, Any]:
        """Everything that may be shown: ids, public keys (PEM), fingerprints. No secret."""
        return {
            "clientKey": self.client_key,
            "partnerId": self.partner_id,
            "channelId": self.channel_id,
            "merchantId": self.merchant_id,
            "clientSecretSha256": self.client_secret.fingerprint,
            "partnerPublicKey": public_key_to_pem(self.partner_public_key).decode("ascii"),
            "partnerPublicKeyFingerprint": fingerprint(self.partner_public_key),
            "providerPublicKey": public_key_to_pem(self.provider_public_key).decode("ascii"),
            "providerPublicKeyFingerprint": fingerprint(self.provider_public_key),
        }

    def write(self, directory: str | os.PathLike[str]) -> dict[str, Path]:
        """Write PEMs, the client secret and `credentials.json` into `directory`.

        Private keys and the client secret are created with mode 0600. Returns the paths
        written, by name.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}

        def put(name: str, data: bytes, private: bool) -> None:
            path = out / _FILES[name]
            mode = 0o600 if private else 0o644
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(path, mode)  # an existing file keeps its old mode through os.open
            written[name] = path

        put("client_secret", self.client_secret.reveal().encode("utf-8"), True)
        put("partner_public_key", public_key_to_pem(self.partner_public_key), False)
        put("provider_private_key", private_key_to_pem(self.provider_private_key), True)
        put("provider_public_key", public_key_to_pem(self.provider_public_key), False)
        if self.partner_private_key is not None:
            put("partner_private_key", private_key_to_pem(self.partner_private_key), True)
        ids = {
            "clientKey": self.client_key,
            "partnerId": self.partner_id,
            "channelId": self.channel_id,
            "merchantId": self.merchant_id,
            "clientSecretSha256": self.client_secret.fingerprint,
            "partnerPublicKeyFingerprint": fingerprint(self.partner_public_key),
            "providerPublicKeyFingerprint": fingerprint(self.provider_public_key),
            "files": {name: path.name for name, path in written.items()},
        }
        json_path = out / CREDENTIALS_JSON
        json_path.write_text(json.dumps(ids, indent=2) + "\n", encoding="utf-8")
        written["credentials_json"] = json_path
        return written

    @classmethod
    def load_directory(cls, directory: str | os.PathLike[str]) -> EmulatorCredentials:
        """Read back what `write()` wrote.

        Raises:
            ConfigurationError: the directory or a file is missing or unreadable.
            KeyFormatError: a key file is damaged.
        """
        src = Path(directory)
        try:
            ids = json.loads((src / CREDENTIALS_JSON).read_text(encoding="utf-8"))
            secret = (src / _FILES["client_secret"]).read_text(encoding="utf-8").strip()
            partner_public = (src / _FILES["partner_public_key"]).read_bytes()
            provider_private = (src / _FILES["provider_private_key"]).read_bytes()
            private_path = src / _FILES["partner_private_key"]
            partner_private = private_path.read_bytes() if private_path.exists() else None
            client_key, partner_id = str(ids["clientKey"]), str(ids["partnerId"])
            channel_id = str(ids.get("channelId", "95221"))
            merchant_id = str(ids.get("merchantId", "G000000001"))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ConfigurationError(
                f"cannot read emulator credentials from {src}",
                hint="Point at a directory written by `bisnap serve --write-credentials DIR`.",
            ) from err
        return cls.from_values(
            client_key=client_key,
            client_secret=secret,
            partner_id=partner_id,
            channel_id=channel_id,
            merchant_id=merchant_id,
            partner_public_key=partner_public,
            provider_private_key=provider_private,
            partner_private_key=partner_private,
        )

    def __repr__(self) -> str:
        return (
            f"EmulatorCredentials(client_key={self.client_key!r}, partner_id={self.partner_id!r}, "
            f"client_secret={self.client_secret!r}, "
            f"partner_key={fingerprint(self.partner_public_key)!r}, "
            f"provider_key={fingerprint(self.provider_public_key)!r})"
        )
