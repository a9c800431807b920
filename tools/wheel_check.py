"""Build the wheel, install it in a fresh venv outside the repo, and run `bisnap demo` there.

A missing `py.typed` or data file fails here instead of passing because the source tree
happens to be on `sys.path`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = (
    "bisnap/__init__.py",
    "bisnap/py.typed",
    "bisnap/cli/__init__.py",
    # the debugger page (`bisnap debug`) is served from package data
    "bisnap/debugger/static/index.html",
    "bisnap/debugger/static/debugger.css",
    "bisnap/debugger/static/debugger.js",
)


def main() -> int:
    """Build, install, run; return the exit code."""
    with tempfile.TemporaryDirectory(prefix="bisnap-wheel-") as tmp:
        dist = Path(tmp) / "dist"
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wheels = sorted(dist.glob("bisnap-*.whl"))
        if len(wheels) != 1:
            print(f"expected one wheel, found {wheels}")
            return 1
        names = set(zipfile.ZipFile(wheels[0]).namelist())
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            print(f"wheel is missing {missing}")
            return 1
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        py = env_dir / "bin" / "python"
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", f"{wheels[0]}[emulator]"],
            check=True,
        )
        run_dir = Path(tmp) / "elsewhere"
        run_dir.mkdir()
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        result = subprocess.run(
            [str(env_dir / "bin" / "bisnap"), "demo"],
            cwd=run_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            print(result.stdout[-4000:])
            print(result.stderr[-4000:])
            print(f"'bisnap demo' from the installed wheel exited {result.returncode}")
            return 1
        check = subprocess.run(
            [
                str(py),
                "-c",
                "import bisnap, pathlib; "
                "p = pathlib.Path(bisnap.__file__).parent / 'py.typed'; "
                "assert p.exists(), p; assert 'site-packages' in bisnap.__file__, bisnap.__file__; "
                "from bisnap.debugger.app import STATIC_FILES, _static; "
                "assert all(_static(name) for name in STATIC_FILES)",
            ],
            cwd=run_dir,
            env=env,
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            print(check.stderr)
            return 1
        print(f"ok: {wheels[0].name} installs and 'bisnap demo' runs from {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
