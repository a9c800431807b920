"""docs/testing.md's complete example test, run as a user runs it: pytest in a new process.

The block is written to `test_shop.py` in a temporary directory and pytest is started
there, so the `snap_emulator` fixture must come from the installed plugin (the `pytest11`
entry point), not from this repository's conftest.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def test_the_complete_example_passes_under_pytest(tmp_path: Path) -> None:
    (example,) = [b for b in _BLOCK.findall(DOC.read_text("utf-8")) if "def test_" in b]
    (tmp_path / "test_shop.py").write_text(example, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_shop.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b2 passed\b", done.stdout), done.stdout
