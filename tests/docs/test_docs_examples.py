"""Every ```python block in README.md and docs/*.md runs, in order, per file.

Blocks of one file share a namespace (a later block may use what an earlier one defined).
A block fenced as ```python no-run is shown to readers but not executed; keep those rare.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs._support import DOCS, ROOT
from tests.docs._support import blocks as _blocks


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
