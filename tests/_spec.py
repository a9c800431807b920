"""Access to the protocol reference beside the repo (`../shared/spec`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO.parent / "shared" / "spec"


def load(name: str) -> list[dict[str, Any]]:
    """The entries of a `*vectors*.json` file in shared/spec (fails loudly if absent)."""
    path = SPEC / name
    if not path.exists():
        raise AssertionError(f"{path} is missing: CI lays ../shared beside the repo")
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def verified(name: str) -> list[dict[str, Any]]:
    """Only the entries marked VERIFIED (the rest are not test material)."""
    return [
        e
        for e in load(name)
        if e.get("status") == "VERIFIED" or "VERIFIED locally" in e.get("notes", "")
    ]


def by_kind(name: str, kind: str) -> list[dict[str, Any]]:
    """VERIFIED entries of one kind."""
    return [e for e in verified(name) if e["kind"] == kind]
