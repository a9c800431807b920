"""The debugger's Starlette app: the page from package data, and the JSON API.

```
GET  /                    the page (index.html, debugger.css, debugger.js; no build step)
POST /api/explain         exactly `bisnap explain KIND --json`
POST /api/debug           the explain JSON + stages side by side + a corrected curl
POST /api/verify          POST /api/sign
POST /api/inspect-key     POST /api/inspect-token     POST /api/vectors
```

A bad input answers 400 with `{"error", "hint", "type"}` (a bisnap error: never a secret);
the request body is never logged, stored or echoed. Wrapped in `LoopbackGuard`.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bisnap.errors import BisnapError

from .api import API
from .guard import ASGIApp, LoopbackGuard

__all__ = ["MAX_BODY_BYTES", "STATIC_FILES", "create_app"]

#: The largest request body the API reads.
MAX_BODY_BYTES = 2 * 1024 * 1024

#: The page's files (package data under bisnap/debugger/static) and their media types.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "debugger.css": "text/css; charset=utf-8",
    "debugger.js": "text/javascript; charset=utf-8",
}

_log = logging.getLogger("bisnap.debugger")


def _static(name: str) -> bytes:
    return resources.files("bisnap.debugger").joinpath("static", name).read_bytes()


def _error(status: int, message: str, hint: str = "", kind: str = "InputError") -> JSONResponse:
    return JSONResponse({"error": message, "hint": hint, "type": kind}, status_code=status)


async def _read_json(request: Request) -> Any:
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_BODY_BYTES:
        raise _TooLargeError
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _TooLargeError
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as err:
        raise _NotJSONError from err


class _TooLargeError(Exception):
    pass


class _NotJSONError(Exception):
    pass


async def _api(request: Request) -> Response:
    name = request.path_params["name"]
    action = API.get(name)
    if action is None:
        return _error(404, f"no API call {name[:40]!r}", "See GET / for the page.", "NotFound")
    try:
        payload = await _read_json(request)
    except _TooLargeError:
        return _error(413, "the request body is larger than 2 MiB")
    except _NotJSONError:
        return _error(400, "the request body is not JSON", "Send one JSON object.")
    try:
        result = await run_in_threadpool(action, payload)
    except BisnapError as err:
        return _error(400, str(err), err.hint, type(err).__name__)
    except Exception as err:
        # The type only: an unexpected error's message could quote the input.
        _log.error("debugger: %s in /api/%s", type(err).__name__, name)
        return _error(500, f"unexpected {type(err).__name__}", "Please report it.", "Internal")
    return JSONResponse(result)


def create_app(*, host: str) -> ASGIApp:
    """The debugger app for a server listening on `host` (`address:port`, e.g. `127.0.0.1:8765`).

    Requests whose `Host` header is not exactly `host` are refused (see `LoopbackGuard`).
    """
    pages = {name: (_static(name), media) for name, media in STATIC_FILES.items()}

    def page(name: str) -> Any:
        content, media = pages[name]

        async def endpoint(request: Request) -> Response:
            return Response(content, media_type=media)

        return endpoint

    routes = [
        Route("/", page("index.html"), methods=["GET", "HEAD"]),
        Route("/debugger.css", page("debugger.css"), methods=["GET", "HEAD"]),
        Route("/debugger.js", page("debugger.js"), methods=["GET", "HEAD"]),
        Route("/api/{name}", _api, methods=["POST"]),
    ]
    return LoopbackGuard(Starlette(routes=routes), host=host)
