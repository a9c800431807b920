"""The local signature debugger: a page on 127.0.0.1 that shows both sides' stages.

`bisnap debug` serves it (`bisnap.debugger.cli`); `bisnap.debugger.app.create_app` is the
ASGI app (needs the `emulator` extra: Starlette); `bisnap.debugger.actions` holds the pure
functions behind each API call. `explain_json` answers `POST /api/explain` and gives
exactly what `bisnap explain KIND --json` prints for the same inputs.
"""

from __future__ import annotations

from bisnap.debugger.actions import debug_view, explain_json

__all__ = ["debug_view", "explain_json"]
