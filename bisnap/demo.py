"""Compatibility path: `bisnap demo` lives in `bisnap.cli.demo`.

`from bisnap.demo import run_demo` keeps working; bisnap itself imports `bisnap.cli.demo`.
"""

from bisnap.cli.demo import DEMO_BODY, run_demo, run_signing_demo

__all__ = ["DEMO_BODY", "run_demo", "run_signing_demo"]
