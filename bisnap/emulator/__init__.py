"""A Midtrans-like SNAP provider to test an integration offline (`bisnap serve`).

Needs the `emulator` extra (`pip install 'bisnap[emulator]'`: Starlette and uvicorn);
importing this package without it raises `ConfigurationError` saying so.

```python
import httpx
from bisnap.emulator import Emulator, EmulatorConfig, create_app

emulator = Emulator(EmulatorConfig())
transport = httpx.ASGITransport(create_app(emulator))
```

Parts: `credentials` (both sides' keys and ids), `tokens` (RS256 JWT access tokens),
`state` (what the emulator remembers) and `handlers/` (what every catalogue entry answers,
one module per product), `records` (the shared types), `notify` (signed notifications
with Midtrans's retry schedule), `respond` and `jsonio` (every answer, the one JSON writer,
bounded body reading), `admin` (the `/_emulator/` routes, loopback and token only),
`diagnostics` (`bisnapDiagnostic`), `app` (the Starlette app and its checks), `server`
(uvicorn in a background thread).
"""

from __future__ import annotations

import importlib.util

from bisnap.errors import ConfigurationError

__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_TOKEN_HEADER",
    "DEFAULT_MAX_BODY",
    "DIAGNOSTIC_FIELD",
    "LINKING_RETRY_SCHEDULE",
    "RETRY_SCHEDULE",
    "Delivery",
    "Emulator",
    "EmulatorConfig",
    "EmulatorCredentials",
    "NotificationSender",
    "ThreadedServer",
    "TokenIssuer",
    "create_app",
    "require_emulator_extra",
]


def require_emulator_extra() -> None:
    """Raise `ConfigurationError` unless Starlette and uvicorn are importable."""
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigurationError(
            f"the emulator needs {' and '.join(missing)}, which are not installed",
            hint="Install the extra: pip install 'bisnap[emulator]'",
        )


require_emulator_extra()

from bisnap.emulator.app import (  # noqa: E402 - only after the extra check
    ADMIN_PREFIX,
    ADMIN_TOKEN_HEADER,
    DIAGNOSTIC_FIELD,
    Emulator,
    EmulatorConfig,
    create_app,
)
from bisnap.emulator.credentials import EmulatorCredentials  # noqa: E402
from bisnap.emulator.jsonio import DEFAULT_MAX_BODY  # noqa: E402
from bisnap.emulator.notify import (  # noqa: E402
    LINKING_RETRY_SCHEDULE,
    RETRY_SCHEDULE,
    Delivery,
    NotificationSender,
)
from bisnap.emulator.server import ThreadedServer  # noqa: E402
from bisnap.emulator.tokens import TokenIssuer  # noqa: E402
