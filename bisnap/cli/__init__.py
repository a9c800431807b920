"""The `bisnap` command line: sign, verify, explain, keys, tokens, vectors, demo.

```
bisnap sign|verify|explain token|service|notification [inputs] [--json] [--reveal]
bisnap keys generate [--out-dir DIR] [--bits 2048]
bisnap keys inspect FILE [FILE2]
bisnap keys convert IN --to pkcs1|pkcs8|spki|der|env --out FILE
bisnap token inspect [--token-file FILE]
bisnap vectors check [FILE ...]
bisnap serve [...]                  (the provider emulator, bisnap.cli.serve)
bisnap debug [--port P]             (the signature debugger page, bisnap.debugger)
bisnap demo
```

Exit codes: 0 ok/valid, 1 signature invalid, 2 usage or input error. Secrets are read
only from files or environment variables, never from argv.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from bisnap.errors import BisnapError

from ._common import Printer, environ
from ._keys import add_key_commands
from ._signatures import add_signature_commands
from ._token import add_token_commands
from ._vectors import add_vector_commands

__all__ = ["EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "build_parser", "main", "run"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

_EPILOG = (
    "exit codes: 0 ok/valid, 1 signature invalid, 2 usage or input error\n"
    "secrets are read only from files or environment variables (BISNAP_CLIENT_SECRET,\n"
    "BISNAP_ACCESS_TOKEN, BISNAP_PRIVATE_KEY, BISNAP_PUBLIC_KEY), never from the command line"
)

#: Options that would put a secret on the command line, and what to use instead.
_FORBIDDEN = {
    "--client-secret": "--client-secret-file FILE or the BISNAP_CLIENT_SECRET variable",
    "--secret": "--client-secret-file FILE or the BISNAP_CLIENT_SECRET variable",
    "--access-token": "--access-token-file FILE or the BISNAP_ACCESS_TOKEN variable",
    "--token": "--token-file FILE (or --access-token-file) or BISNAP_ACCESS_TOKEN",
    "--password": "--key-password-file FILE",
    "--key-password": "--key-password-file FILE",
}


class _UsageError(Exception):
    def __init__(self, message: str, prog: str) -> None:
        super().__init__(message)
        self.prog = prog


class _ExitError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `main` owns the exit code."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        raise _UsageError(_scrub(message) + _did_you_mean(self, message), self.prog)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            sys.stderr.write(message)
        raise _ExitError(status)


def _scrub(message: str) -> str:
    """Never echo stray arguments: one of them may be a secret typed by mistake."""
    prefix = "unrecognized arguments: "
    if message.startswith(prefix):
        words = message[len(prefix) :].split()
        options = [w.split("=", 1)[0] for w in words if w.startswith("-")]
        others = len(words) - len(options)
        parts = options + ([f"{others} other argument(s) not shown"] if others else [])
        return prefix + ", ".join(parts)
    return message


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """A close match for a mistyped command or option (difflib), or ''."""
    words: list[str] = []
    candidates: list[str] = []
    if message.startswith("argument ") and "invalid choice: " in message:
        # argparse: "argument COMMAND: invalid choice: 'sing' (choose from 'sign', ...)"
        typed = message.split("invalid choice: ", 1)[1].split(" (choose from", 1)[0]
        words = [typed.strip("'")]
        for action in parser._actions:
            if action.choices is not None and not isinstance(action.choices, range):
                candidates.extend(str(c) for c in action.choices)
    elif message.startswith("unrecognized arguments: "):
        words = [w.split("=", 1)[0] for w in message.split(": ", 1)[1].split() if w[:2] == "--"]
        candidates = sorted(_all_options(_ROOT[0] if _ROOT else parser))
    suggestions = []
    for word in words:
        match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
        if match and match[0] != word:
            suggestions.append(f"{match[0]!r} for {word!r}" if len(words) > 1 else repr(match[0]))
    if not suggestions:
        return ""
    return "; did you mean " + ", ".join(suggestions) + "?"


def _all_options(parser: argparse.ArgumentParser) -> set[str]:
    """Every --option of `parser` and of its subcommands, recursively."""
    found: set[str] = set()
    for action in parser._actions:
        found.update(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in set(action.choices.values()):
                found |= _all_options(sub)
    return found


#: The parser being run (for suggestions across subcommands).
_ROOT: list[argparse.ArgumentParser] = []


def _printable(text: str) -> str:
    """`text` with lone surrogates (non-UTF-8 argv, undecodable input) as escapes."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _forbidden(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if name in _FORBIDDEN:
            return (
                f"{name} is not accepted: a secret on the command line ends up in shell "
                f"history and process listings; use {_FORBIDDEN[name]}"
            )
    return None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `bisnap`."""
    parser = _Parser(
        prog="bisnap",
        description=(
            "BI-SNAP signatures: sign, verify, and explain a mismatch "
            "(401xx00 Unauthorized. [Signature])."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bisnap {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    add_signature_commands(sub, _Parser)
    add_key_commands(sub, _Parser, _EPILOG)
    add_token_commands(sub, _Parser, _EPILOG)
    add_vector_commands(sub, _Parser, _EPILOG)
    demo = sub.add_parser("demo", help="offline demo: sign, verify, and a rejected signature")
    demo.set_defaults(handler=_cmd_demo)
    from .serve import add_parser as add_serve_command

    add_serve_command(sub)
    from bisnap.debugger.cli import add_parser as add_debug_command

    add_debug_command(sub)
    return parser


def _version() -> str:
    from bisnap import __version__

    return __version__


def _cmd_demo(args: argparse.Namespace, p: Printer, env: Mapping[str, str]) -> int:
    from bisnap.cli.demo import run_demo

    return run_demo()


Handler = Callable[[argparse.Namespace, Printer, Mapping[str, str]], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` (default `sys.argv[1:]`); return the exit code."""
    args_list = list(argv) if argv is not None else sys.argv[1:]
    refused = _forbidden(args_list)
    if refused is not None:
        print(f"bisnap: error: {_printable(refused)}", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    _ROOT[:] = [parser]
    try:
        args = parser.parse_args(args_list)
    except _UsageError as err:
        print(f"bisnap: error: {_printable(str(err))}", file=sys.stderr)
        print(f"run '{_printable(err.prog)} --help' for usage", file=sys.stderr)
        return EXIT_USAGE
    except _ExitError as done:
        return done.status
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    env = environ()
    printer = Printer.for_stream(sys.stdout, env)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = handler(args, printer, env)
        for warning in caught:
            print(f"bisnap: warning: {_printable(str(warning.message))}", file=sys.stderr)
    except BisnapError as err:
        print(f"bisnap: error: {_printable(str(err))}", file=sys.stderr)
        if err.hint:
            print(f"hint: {_printable(err.hint)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except Exception as err:
        print(
            f"bisnap: internal error ({type(err).__name__}); please report it with the "
            "command you ran (leave out any secret)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return code


def _silence_stdout() -> None:
    """The reader went away (`bisnap ... | head`): drop what is left of stdout."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
