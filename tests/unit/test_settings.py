"""Client settings from the environment: the CLI's names, key paths and PEM text."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap.cli import _common
from bisnap.errors import ConfigurationError, KeyFormatError
from bisnap.keys import generate_key_pair, private_key_to_pem
from bisnap.settings import ENV_CLIENT_SECRET, ENV_PRIVATE_KEY, client_settings, read_private_key

SENTINEL = "SENTINEL-secret-5150"
KEYS = generate_key_pair()
PEM = private_key_to_pem(KEYS.private_key).decode()


def _env(**changes: str) -> dict[str, str]:
    env = {
        "BISNAP_BASE_URL": "sandbox",
        "BISNAP_CLIENT_KEY": "G1234325-SNAP",
        "BISNAP_CLIENT_SECRET": SENTINEL,
        "BISNAP_PARTNER_ID": "G059876677",
        "BISNAP_CHANNEL_ID": "95221",
        "BISNAP_PRIVATE_KEY": PEM,
    }
    env.update(changes)
    return {k: v for k, v in env.items() if v}


def _same_key(key: object) -> bool:
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.private_numbers() == KEYS.private_key.private_numbers()


def test_the_names_are_the_clis() -> None:
    assert ENV_CLIENT_SECRET == _common.ENV_CLIENT_SECRET
    assert ENV_PRIVATE_KEY == _common.ENV_PRIVATE_KEY


def test_pem_text() -> None:
    settings = client_settings(_env())
    assert settings["base_url"] == "sandbox" and settings["channel_id"] == "95221"
    assert settings["client_secret"].reveal() == SENTINEL
    assert _same_key(settings["private_key"])
    assert SENTINEL not in repr(settings) and "BEGIN" not in repr(settings)


def test_pem_on_one_line_with_escaped_newlines() -> None:
    assert _same_key(
        client_settings(_env(BISNAP_PRIVATE_KEY=PEM.replace("\n", "\\n")))["private_key"]
    )


def test_key_path(tmp_path: Path) -> None:
    key = tmp_path / "partner.pem"
    key.write_text(PEM)
    assert _same_key(client_settings(_env(BISNAP_PRIVATE_KEY=str(key)))["private_key"])
    assert read_private_key(key) == PEM.encode()  # a pathlib.Path too


def test_a_path_that_is_not_a_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as info:
        client_settings(_env(BISNAP_PRIVATE_KEY="creds/partner.pem"))
    assert "creds/partner.pem" in str(info.value) and ENV_PRIVATE_KEY in str(info.value)
    with pytest.raises(ConfigurationError):
        read_private_key(tmp_path / "missing.pem")


def test_not_a_key_is_a_key_format_error_without_the_value() -> None:
    with pytest.raises(KeyFormatError) as info:
        client_settings(_env(BISNAP_PRIVATE_KEY=SENTINEL))
    assert SENTINEL not in str(info.value) and SENTINEL not in repr(info.value)


def test_secret_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(SENTINEL + "\n")
    settings = client_settings(_env(BISNAP_CLIENT_SECRET="", BISNAP_CLIENT_SECRET_FILE=str(secret)))
    assert settings["client_secret"].reveal() == SENTINEL


@pytest.mark.parametrize(
    "missing",
    [
        "BISNAP_BASE_URL",
        "BISNAP_CLIENT_KEY",
        "BISNAP_CLIENT_SECRET",
        "BISNAP_PARTNER_ID",
        "BISNAP_CHANNEL_ID",
    ],
)
def test_missing_variables_are_named(missing: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        client_settings(_env(**{missing: ""}))
    assert missing in str(info.value)


def test_optional_values() -> None:
    settings = client_settings(
        _env(BISNAP_PRIVATE_KEY="", BISNAP_TIMEOUT="5", BISNAP_APP_BASE_URL="http://127.0.0.1:1")
    )
    assert "private_key" not in settings
    assert settings["timeout"] == 5.0 and settings["app_base_url"] == "http://127.0.0.1:1"
    for bad in ("0", "-1", "soon"):
        with pytest.raises(ConfigurationError):
            client_settings(_env(BISNAP_TIMEOUT=bad))
