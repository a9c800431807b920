"""A docs block pasted alone runs, or says which earlier block it continues from.

The convention (issue 15): every ```python block in docs/*.md either runs on its own in a
fresh namespace (its imports and setup included), or the prose right before it (between
the previous code fence, or the start of the file, and its opening fence) contains the
phrase "continues from" or "continuing from" and names the block it builds on, e.g.

    *Continues from the first block on this page (`keys`, `mock_client`).*

This test runs each block without such a marker alone, in a fresh namespace and an empty
working directory, and fails naming the block when it does not run. Blocks with the
marker are run in sequence with the rest of their page by `test_docs_examples.py`.
Blocks fenced ```python no-run are not executed anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs._support import ROOT
from tests.docs._support import blocks as _blocks

DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKER = re.compile(r"\bcontinu(?:es|ing) from\b", re.IGNORECASE)
_ANY_FENCE = re.compile(r"^```", re.MULTILINE)


def _prose_before(text: str, line: int) -> str:
    """The text between the previous code fence (or the file's start) and the block at `line`."""
    lines = text.split("\n")
    before = "\n".join(lines[: line - 1])
    fences = list(_ANY_FENCE.finditer(before))
    start = fences[-1].end() if fences else 0
    return before[start:]


def _standalone(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [
        (line, code) for line, code in _blocks(path) if not MARKER.search(_prose_before(text, line))
    ]


def test_marker_is_found_in_the_prose_before_a_block() -> None:
    text = (
        "# T\n\n```python\nx = 1\n```\n\n*Continues from the block above.*\n\n```python\nx\n```\n"
    )
    assert not MARKER.search(_prose_before(text, 3))
    assert MARKER.search(_prose_before(text, 9))
    assert not MARKER.search("this continues the example")


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_each_block_runs_alone_or_says_what_it_continues(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for line, code in _standalone(path):
        namespace: dict[str, object] = {"__name__": f"docs_{path.stem}_{line}"}
        try:
            exec(compile(code, f"{path.name}:{line}", "exec"), namespace)  # noqa: S102
        except Exception as err:
            raise AssertionError(
                f"{path.name} block at line {line} does not run alone ({err!r}): make it "
                "self-contained, or say before it which block it continues from "
                "('Continues from the block above.')"
            ) from err
