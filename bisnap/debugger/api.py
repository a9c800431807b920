"""The debugger's API: each `POST /api/NAME` and the pure function that answers it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .actions import (
    explain_json,
    inspect_key_json,
    inspect_token_json,
    sign_json,
    vectors_json,
    verify_json,
)
from .view import debug_view

__all__ = ["API"]

API: Mapping[str, Callable[[object], dict[str, Any]]] = {
    "explain": explain_json,
    "debug": debug_view,
    "verify": verify_json,
    "sign": sign_json,
    "inspect-key": inspect_key_json,
    "inspect-token": inspect_token_json,
    "vectors": vectors_json,
}
