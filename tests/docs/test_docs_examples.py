"""Every ```python block in README.md and docs/*.md runs, in order, per file.

Blocks of one file share a namespace (a later block may use what an earlier one defined).
A block fenced as ```python no-run is shown to readers but not executed; keep those rare.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python( no-run)?[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _blocks(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    out = []
    for match in FENCE.finditer(text):
        if match.group(1):
            continue
        line = text.count("\n", 0, match.start()) + 1
        out.append((line, match.group(2)))
    return out


def test_docs_have_examples() -> None:
    assert (ROOT / "docs").is_dir()
    assert sum(len(_blocks(p)) for p in DOCS) >= 10


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_examples_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem}"}
    for line, code in _blocks(path):
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as err:
            raise AssertionError(f"{path.name} block at line {line} failed: {err!r}") from err
