"""Shared plumbing of the CLI: reading inputs and secrets, and printing stages.

Secrets come only from files or environment variables; they are read into `Secret` at
once and never printed. Keys are shown as fingerprints.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bisnap.cli.rawhttp import RawRequest, parse_raw_request
from bisnap.errors import InputError
from bisnap.secrets import Secret

__all__ = [
    "ENV_ACCESS_TOKEN",
    "ENV_CLIENT_SECRET",
    "ENV_PRIVATE_KEY",
    "ENV_PUBLIC_KEY",
    "Printer",
    "action_adder",
    "argv_bytes",
    "environ",
    "read_bytes",
    "read_key_material",
    "read_request",
    "read_secret",
]

ENV_CLIENT_SECRET = "BISNAP_CLIENT_SECRET"  # noqa: S105 - the variable's name
ENV_ACCESS_TOKEN = "BISNAP_ACCESS_TOKEN"  # noqa: S105 - the variable's name
ENV_PRIVATE_KEY = "BISNAP_PRIVATE_KEY"
ENV_PUBLIC_KEY = "BISNAP_PUBLIC_KEY"

_SHOWN = 240  # characters of a long stage value shown in text mode


def read_bytes(path: str, what: str, *, stdin: TextIO | None = None) -> bytes:
    """Read a whole file (or stdin for `-`) as bytes.

    Raises:
        InputError: the file does not exist or cannot be read.
    """
    if path == "-":
        stream = stdin if stdin is not None else sys.stdin
        return stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    try:
        return Path(path).read_bytes()
    except ValueError as err:  # an embedded NUL byte
        raise InputError(f"{what}: not a usable file path", hint="Check the path.") from err
    except FileNotFoundError as err:
        raise InputError(f"{what}: no such file: {path}", hint=f"Check the path {path}.") from err
    except IsADirectoryError as err:
        raise InputError(f"{what}: {path} is a directory", hint="Pass a file.") from err
    except OSError as err:
        raise InputError(
            f"{what}: cannot read {path} ({err.strerror})", hint="Check the file's permissions."
        ) from err


def read_secret(
    option: str, path: str | None, env: str, env_map: Mapping[str, str]
) -> Secret | None:
    """A secret from the file given to `option`, else from variable `env`, else None.

    The file's surrounding whitespace (a final newline) is dropped. Error messages name
    the option, never the path or the value (a secret pasted as a path stays unseen).

    Raises:
        InputError: the file cannot be read, is not UTF-8, or the secret is empty.
    """
    if path is not None:
        try:
            raw = Path(path).read_bytes()
        except (OSError, ValueError) as err:
            if _path_like(path):  # a path, not a secret pasted by mistake: name it
                reason = "no such file" if isinstance(err, FileNotFoundError) else "cannot read"
                raise InputError(
                    f"{option}: {reason}: {path}",
                    hint=f"Check the path; {option} takes the path of a file holding the value.",
                ) from err
            raise InputError(
                f"cannot read the file given to {option}",
                hint=f"{option} takes the path of a file holding the value, not the value.",
            ) from err
        try:
            value = raw.decode("utf-8").strip()
        except UnicodeDecodeError as err:
            raise InputError(f"the file given to {option} is not UTF-8 text") from err
        if not value:
            raise InputError(f"the file given to {option} is empty")
        return Secret(value)
    value = env_map.get(env, "").strip()
    return Secret(value) if value else None


def argv_bytes(text: str) -> bytes:
    """The bytes a command-line or environment value stood for.

    Python decodes non-UTF-8 argv with `surrogateescape`; encoding the same way gives the
    bytes back (which the body check then reports as not UTF-8). Any other lone surrogate
    is kept as its (invalid) UTF-8 bytes, so the error comes from the check, not from here.
    """
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def _path_like(text: str) -> bool:
    """True when `text` reads as a file path (safe to show), not as a pasted secret.

    A directory separator with an existing parent directory, a leading `.`/`~`, or a file
    suffix such as `.txt`. A bare secret (no separator, no suffix) is never shown.
    """
    if not text or len(text) > 1024 or "\n" in text:
        return False
    if text.startswith(("./", "../", "~/", ".\\")):
        return True
    name = os.path.basename(text)
    has_suffix = "." in name and 1 <= len(name.rsplit(".", 1)[1]) <= 6
    try:
        parent_exists = os.sep in text and os.path.isdir(os.path.dirname(text) or ".")
    except ValueError:
        return False
    return parent_exists or has_suffix


def read_key_material(
    option: str, path: str | None, env: str, env_map: Mapping[str, str]
) -> bytes | None:
    """Key bytes from the file given to `option`, else from variable `env`, else None.

    The variable holds the key itself (PEM, `\\n`-escaped PEM or bare base64) or the path
    of a key file.

    Raises:
        InputError: the file cannot be read.
    """
    if path is not None:
        return read_bytes(path, option)
    value = env_map.get(env, "").strip()
    if not value:
        return None
    if "-----BEGIN" not in value:
        if Path(value).is_file():
            return read_bytes(value, env)
        if _path_like(value):
            raise InputError(
                f"{env}: no such key file: {value}",
                hint=f"{env} holds the key itself (PEM or base64 DER) or the path of a key file.",
            )
    return argv_bytes(value)


def read_request(path: str) -> RawRequest:
    """Parse the captured raw HTTP request in `path` (`-` for stdin).

    Raises:
        InputError: the file cannot be read or is not an HTTP request.
    """
    return parse_raw_request(read_bytes(path, "--request"))


@dataclass
class Printer:
    """Writes aligned stages, in colour on a TTY unless NO_COLOR is set."""

    out: TextIO
    colour: bool

    @classmethod
    def for_stream(cls, out: TextIO, env_map: Mapping[str, str]) -> Printer:
        """A printer for `out`: colour only on a TTY and without NO_COLOR."""
        isatty = getattr(out, "isatty", None)
        tty = bool(isatty()) if callable(isatty) else False
        return cls(out, tty and not env_map.get("NO_COLOR"))

    def paint(self, text: str, code: str) -> str:
        """`text` in ANSI colour `code` (e.g. '32' green) when colour is on."""
        return f"\033[{code}m{text}\033[0m" if self.colour else text

    def line(self, text: str = "") -> None:
        """Write one line (lone surrogates, e.g. from non-UTF-8 argv, shown as escapes)."""
        if not text.isascii():
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
        print(text, file=self.out)

    def title(self, text: str) -> None:
        """Write a section title."""
        self.line(self.paint(text, "1"))

    def stage(self, name: str, value: str, *, marker: str = " ", code: str = "") -> None:
        """Write `name` and `value` aligned; control characters shown escaped."""
        shown = _display(value)
        if code:
            shown = self.paint(shown, code)
        self.line(f"  {self.paint(f'{name:<14}', '2')}{marker} {shown}")

    def json(self, obj: Any) -> None:
        """Write `obj` as one JSON object."""
        self.line(json.dumps(obj, ensure_ascii=False, indent=2))


def _display(value: str) -> str:
    text = value.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    if len(text) > _SHOWN:
        size = len(value.encode("utf-8", "surrogatepass"))
        text = text[:_SHOWN] + f"… ({size} bytes; --json shows all)"
    return text


def environ() -> Mapping[str, str]:
    """The process environment (a seam for tests)."""
    return os.environ


Handler = Callable[[argparse.Namespace, Printer, Mapping[str, str]], int]
AddAction = Callable[[str, Handler, str, str], argparse.ArgumentParser]


def action_adder(
    sub: Any, parser_class: type[argparse.ArgumentParser], name: str, help: str, epilog: str
) -> AddAction:
    """Add the command group `bisnap NAME ACTION` to subparsers `sub`.

    Returns `add(action, handler, help, description)`, which adds one ACTION (with the
    CLI's epilog, no abbreviated options) running `handler`, and returns its parser.
    """
    group = sub.add_parser(name, help=help, allow_abbrev=False)
    actions = group.add_subparsers(
        dest=f"{name}_action", metavar="ACTION", parser_class=parser_class, required=True
    )

    def add(action: str, handler: Handler, help: str, description: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(
            action, help=help, description=description, epilog=epilog, allow_abbrev=False
        )
        parser.set_defaults(handler=handler)
        return parser

    return add
