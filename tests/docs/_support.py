"""What the docs tests share: where the docs are and how their python blocks are read."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python( no-run)?[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list[tuple[int, str]]:
    """The runnable ```python blocks of `path`: (first line number, code)."""
    text = path.read_text(encoding="utf-8")
    out = []
    for match in FENCE.finditer(text):
        if match.group(1):
            continue
        line = text.count("\n", 0, match.start()) + 1
        out.append((line, match.group(2)))
    return out
