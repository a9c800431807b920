"""The `bisnap` command line: sign, verify, explain, keys, tokens, vectors, demo.

Exit codes: 0 ok/valid, 1 signature invalid, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bisnap.errors import BisnapError

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "main", "run"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

_EPILOG = "exit codes: 0 ok/valid, 1 signature invalid, 2 usage or input error"


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `main` owns the exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `bisnap`."""
    parser = _Parser(
        prog="bisnap",
        description="BI-SNAP signatures: sign, verify, and explain a mismatch.",
        epilog=_EPILOG,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser("demo", help="offline demo: sign, verify, and a rejected signature")
    demo.set_defaults(handler=_cmd_demo)
    return parser


def _cmd_demo(args: argparse.Namespace) -> int:
    from bisnap.demo import run_signing_demo

    return run_signing_demo()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` (default `sys.argv[1:]`); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv) if argv is not None else None)
    except _UsageError as err:
        print(f"bisnap: error: {err}", file=sys.stderr)
        print("run 'bisnap --help' for usage", file=sys.stderr)
        return EXIT_USAGE
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = handler(args)
    except BisnapError as err:
        print(f"bisnap: error: {err}", file=sys.stderr)
        if err.hint:
            print(f"hint: {err.hint}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return code


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
