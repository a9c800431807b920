"""Print (or write into docs/architecture.md) where each SNAP rule lives.

Every `# SNAP: <rule> (shared/spec/<file> §…)` citation in `bisnap/`, grouped by module:
`python tools/rulemap.py` prints the map; `--write` replaces the map between the
`<!-- rulemap:start -->` and `<!-- rulemap:end -->` markers of docs/architecture.md.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bisnap"
DOC = ROOT / "docs" / "architecture.md"
START, END = "<!-- rulemap:start -->", "<!-- rulemap:end -->"
CITATION = re.compile(r"#\s*SNAP:\s*(.*)")
SOURCE = re.compile(r"\([^()]*\.md[^()]*\)")


def citations() -> dict[str, list[str]]:
    """Module path (relative to bisnap/) → the first line of each citation in it."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text("utf-8").splitlines()
        for number, line in enumerate(lines):
            match = CITATION.search(line)
            if match:
                found.setdefault(path.relative_to(PACKAGE).as_posix(), []).append(
                    _rule(match.group(1), lines[number + 1 :])
                )
    return found


def _rule(first: str, following: list[str]) -> str:
    """The citation with its continuation comment lines, up to its spec reference."""
    text = first.strip()
    for line in following:
        stripped = line.strip()
        if not stripped.startswith("#") or CITATION.search(stripped) or SOURCE.search(text):
            break
        text += " " + stripped.lstrip("#").strip()
    source = SOURCE.search(text)
    return (text[: source.end()] if source else text).rstrip(".,;:")


def render() -> str:
    """The map as markdown: one heading line per module, one bullet per citation."""
    lines = []
    for module, rules in citations().items():
        lines.append(f"- `{module}` ({len(rules)})")
        lines.extend(f"  - {rule}" for rule in rules)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--write"]:
        doc = DOC.read_text("utf-8")
        head, rest = doc.split(START, 1)
        _old, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}", "utf-8")
        return 0
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
