"""Client configuration from the environment, with the variable names the CLI reads.

`SnapClient.from_env()` and `AsyncSnapClient.from_env()` call `client_settings()`:

```
BISNAP_BASE_URL          URL, or an environment of the profile: sandbox, staging, production
BISNAP_APP_BASE_URL      optional: the Get Auth Code host (default: the environment's)
BISNAP_CLIENT_KEY        X-CLIENT-KEY (Midtrans's Client ID)
BISNAP_CLIENT_SECRET     the HMAC client secret (or BISNAP_CLIENT_SECRET_FILE: its path)
BISNAP_PRIVATE_KEY       the merchant RSA key: PEM text (newlines or \\n), base64 DER, or
                         the path of a key file (as the CLI reads it)
BISNAP_PARTNER_ID        X-PARTNER-ID
BISNAP_CHANNEL_ID        CHANNEL-ID
BISNAP_TIMEOUT           optional: seconds per HTTP request (default 30)
```

Secrets are read into `Secret` at once; no message names a secret's value (a path is
named when it is not a file).

```python
from bisnap.settings import client_settings
from bisnap.keys import generate_key_pair, private_key_to_pem
env = {
    "BISNAP_BASE_URL": "sandbox", "BISNAP_CLIENT_KEY": "G1234325-SNAP",
    "BISNAP_CLIENT_SECRET": "s3cret", "BISNAP_PARTNER_ID": "G059876677",
    "BISNAP_CHANNEL_ID": "95221",
    "BISNAP_PRIVATE_KEY": private_key_to_pem(generate_key_pair().private_key).decode(),
}
settings = client_settings(env)
assert settings["partner_id"] == "G059876677"
assert "s3cret" not in repr(settings) and "BEGIN" not in repr(settings)
```
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from bisnap.errors import ConfigurationError
from bisnap.keys import load_private_key
from bisnap.secrets import Secret

__all__ = [
    "ENV_APP_BASE_URL",
    "ENV_BASE_URL",
    "ENV_CHANNEL_ID",
    "ENV_CLIENT_KEY",
    "ENV_CLIENT_SECRET",
    "ENV_CLIENT_SECRET_FILE",
    "ENV_PARTNER_ID",
    "ENV_PRIVATE_KEY",
    "ENV_TIMEOUT",
    "client_settings",
    "read_private_key",
]

ENV_BASE_URL: Final = "BISNAP_BASE_URL"
ENV_APP_BASE_URL: Final = "BISNAP_APP_BASE_URL"
ENV_CLIENT_KEY: Final = "BISNAP_CLIENT_KEY"
ENV_CLIENT_SECRET: Final = "BISNAP_CLIENT_SECRET"  # noqa: S105 - the variable's name
ENV_CLIENT_SECRET_FILE: Final = "BISNAP_CLIENT_SECRET_FILE"  # noqa: S105 - the variable's name
ENV_PRIVATE_KEY: Final = "BISNAP_PRIVATE_KEY"
ENV_PARTNER_ID: Final = "BISNAP_PARTNER_ID"
ENV_CHANNEL_ID: Final = "BISNAP_CHANNEL_ID"
ENV_TIMEOUT: Final = "BISNAP_TIMEOUT"

_KEY_SUFFIXES: Final = (".pem", ".key", ".der", ".p8", ".pk8", ".txt")
_PATH_STARTS: Final = ("/", "./", "../", "~")


def _looks_like_path(value: str) -> bool:
    """A short value naming a file (a PEM has a BEGIN line; base64 DER is ~1600 chars)."""
    if "-----BEGIN" in value or len(value) > 255 or any(c.isspace() for c in value):
        return False
    return value.lower().endswith(_KEY_SUFFIXES) or value.startswith(_PATH_STARTS)


def read_private_key(value: str | os.PathLike[str], *, source: str = ENV_PRIVATE_KEY) -> bytes:
    """The key bytes of `value`: a `Path`, a path string, or the key itself (PEM/base64).

    Raises:
        ConfigurationError: a path (or a value that looks like one) that is not a readable
            file; the message names the path and `source`.
    """
    if isinstance(value, os.PathLike) or _looks_like_path(str(value)):
        path = Path(value).expanduser()
        try:
            return path.read_bytes()
        except FileNotFoundError as err:
            raise ConfigurationError(
                f"{source}: no key file at {path}",
                hint=f"{source} takes PEM text or the path of a key file; check the path.",
            ) from err
        except OSError as err:
            raise ConfigurationError(
                f"{source}: cannot read the key file {path} ({err.strerror})",
                hint="Check the file's permissions.",
            ) from err
    text = value.strip()
    # SNAP keys are PEM; a PEM kept in one environment line has its newlines as \n.
    if "-----BEGIN" in text and "\\n" in text and "\n" not in text:
        text = text.replace("\\n", "\n")
    return text.encode("utf-8")


def _secret(env: Mapping[str, str]) -> Secret:
    path = env.get(ENV_CLIENT_SECRET_FILE, "").strip()
    if path:
        try:
            value = Path(path).expanduser().read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            raise ConfigurationError(
                f"{ENV_CLIENT_SECRET_FILE}: cannot read {path}",
                hint=f"{ENV_CLIENT_SECRET_FILE} takes the path of a file holding the secret.",
            ) from err
    else:
        value = env.get(ENV_CLIENT_SECRET, "").strip()
    if not value:
        raise ConfigurationError(
            f"{ENV_CLIENT_SECRET} is not set",
            hint=f"Set {ENV_CLIENT_SECRET} (or {ENV_CLIENT_SECRET_FILE}, a file's path).",
        )
    return Secret(value)


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"{name} is not set", hint=f"Set {name} to {what}.")
    return value


def client_settings(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The keyword arguments of `SnapClient`/`AsyncSnapClient` read from `env`.

    `env` defaults to `os.environ`. The private key is optional here (a client built with
    `token_provider=` needs none); everything else listed in the module docstring is
    required.

    Raises:
        ConfigurationError: a required variable is missing or empty, a key path is not a
            file, or BISNAP_TIMEOUT is not a positive number.
        KeyFormatError: BISNAP_PRIVATE_KEY is not an RSA private key.
    """
    source = os.environ if env is None else env
    settings: dict[str, Any] = {
        "base_url": _required(source, ENV_BASE_URL, "a URL or sandbox/staging/production"),
        "client_key": _required(source, ENV_CLIENT_KEY, "the X-CLIENT-KEY (Client ID)"),
        "client_secret": _secret(source),
        "partner_id": _required(source, ENV_PARTNER_ID, "the X-PARTNER-ID"),
        "channel_id": _required(source, ENV_CHANNEL_ID, "the CHANNEL-ID"),
    }
    key = source.get(ENV_PRIVATE_KEY, "").strip()
    if key:
        # Loaded at once: a key object has no repr that shows the key (bytes would).
        settings["private_key"] = load_private_key(read_private_key(key))
    app = source.get(ENV_APP_BASE_URL, "").strip()
    if app:
        settings["app_base_url"] = app
    timeout = source.get(ENV_TIMEOUT, "").strip()
    if timeout:
        try:
            seconds = float(timeout)
        except ValueError:
            seconds = -1.0
        if not seconds > 0:
            raise ConfigurationError(
                f"{ENV_TIMEOUT} is {timeout!r}", hint="Use a number of seconds, e.g. 30."
            )
        settings["timeout"] = seconds
    return settings
