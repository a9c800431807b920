"""The local signature debugger: a page on 127.0.0.1 that shows both sides' stages.

`bisnap debug` serves it (`bisnap.debugger.cli`); `bisnap.debugger.app.create_app` is the
ASGI app (needs the `emulator` extra: Starlette). The pure functions behind each API call
(`bisnap.debugger.api.API`) live in `bisnap.debugger.actions` (explain, verify, sign,
inspect, vectors) and `bisnap.debugger.view` (what the page draws). `explain_json` answers
`POST /api/explain` and gives exactly what `bisnap explain KIND --json` prints for the same
inputs.
"""

from __future__ import annotations

from bisnap.debugger.actions import explain_json
from bisnap.debugger.view import debug_view

__all__ = ["debug_view", "explain_json"]
