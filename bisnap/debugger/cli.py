"""`bisnap debug [--port P]`: the signature debugger page on 127.0.0.1 (needs bisnap[emulator]).

Listens on the loopback address only, on a free port unless `--port` is given, prints its
URL and opens nothing else: no browser, no outgoing connection. Starlette and uvicorn are
imported only when the command runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import sys
from collections.abc import Mapping
from typing import Any

from bisnap.errors import ConfigurationError

__all__ = ["LOOPBACK", "add_parser"]

#: The only address the debugger listens on.
LOOPBACK = "127.0.0.1"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `debug` on the CLI's subparsers; returns its parser."""
    debug = subparsers.add_parser(
        "debug",
        help="a local signature debugger page on 127.0.0.1 (needs bisnap[emulator])",
        description=(
            "Serve the signature debugger page on 127.0.0.1: paste a captured request and see "
            "the provider's stages beside the sender's, the first differing byte and the "
            "mistake; sign, verify, generate and inspect keys, inspect a token, check the "
            "vectors. Secrets stay in the page and the one request; nothing is logged."
        ),
        allow_abbrev=False,
    )
    debug.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    debug.add_argument("--quiet", action="store_true", help="no access log")
    debug.set_defaults(handler=_cmd_debug)
    return debug  # type: ignore[no-any-return]


def _bind(port: int) -> socket.socket:
    if not 0 <= port <= 65535:
        raise ConfigurationError(f"--port {port} is not a port", hint="Pass 0..65535 (0: free).")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((LOOPBACK, port))
        sock.listen(64)
    except OSError as err:
        sock.close()
        raise ConfigurationError(
            f"cannot listen on {LOOPBACK}:{port}: {err.strerror}",
            hint="Pick another --port (0 picks a free one).",
        ) from err
    return sock


def _cmd_debug(args: argparse.Namespace, printer: Any, env: Mapping[str, str]) -> int:
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigurationError(
            f"bisnap debug needs {' and '.join(missing)}, which are not installed",
            hint="Install the extra: pip install 'bisnap[emulator]'",
        )
    import uvicorn

    from .app import create_app

    sock = _bind(args.port)
    host = f"{LOOPBACK}:{sock.getsockname()[1]}"
    sys.stdout.write(
        f"bisnap debugger: http://{host}/\n"
        "  loopback only; secrets stay in the page and are never logged. Ctrl-C stops it.\n"
    )
    sys.stdout.flush()
    config = uvicorn.Config(
        create_app(host=host),
        lifespan="off",
        ws="none",
        access_log=not args.quiet,
        log_level="info" if not args.quiet else "warning",
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
