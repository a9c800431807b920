"""The fuzz suite's targets: every parser and verifier, with hypothesis strategies.

Each `Target` pairs a strategy with a call into bisnap's public API. The contract under
test (issue 11): given any input, the call returns or raises a `BisnapError`; any other
exception (ValueError, OverflowError, UnicodeError, RecursionError, AttributeError, ...) is
a defect, and so is the CLI printing "internal error".

Used twice: `tests/property/test_fuzz.py` runs a bounded number of examples in CI, and
`benchmarks/fuzz.py --examples 100000` runs the full count and prints per target the
inputs tried and the non-bisnap exceptions found.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import itertools
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import strategies as st

import bisnap
from bisnap import cli
from bisnap.cli.rawhttp import parse_raw_request
from bisnap.clock import JAKARTA
from bisnap.minify import minify_reference, minify_unchecked
from bisnap.notifications import AsyncNotificationVerifier, NotificationVerifier

__all__ = ["TARGETS", "Target", "outcome"]

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
PUBLIC_PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
CLOCK = bisnap.FixedClock(datetime(2024, 3, 5, 17, 37, 16, tzinfo=JAKARTA))
TS0 = "2024-03-05T17:37:16+07:00"


@dataclass(frozen=True)
class Target:
    """One fuzz target: `run(example)` must return or raise a BisnapError."""

    name: str
    strategy: st.SearchStrategy[Any]
    run: Callable[[Any], object]


def outcome(target: Target, example: Any) -> BaseException | None:
    """None when `target` handled `example` (a value or a BisnapError); else the exception."""
    try:
        target.run(example)
    except bisnap.BisnapError:
        return None
    except Exception as err:
        return err
    return None


# --- building blocks ------------------------------------------------------------------------

#: Text with anything in it: lone surrogates, controls, non-BMP characters.
any_text = st.text(st.characters(exclude_categories=()), max_size=60)
#: What Python makes of non-UTF-8 bytes in argv, environment and file names.
escaped_text = st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape"))
texts = st.one_of(st.text(max_size=60), any_text, escaped_text)
#: Values of the wrong Python type.
wrong_types = st.sampled_from([None, 5, -1, 1.5, b"x", ["x"], {"a": 1}, object()])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=()), max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=15,
)


def _dump(value: Any, indent: int | None, ascii_only: bool) -> bytes:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


json_bodies = st.builds(_dump, json_values, st.sampled_from([None, 0, 2]), st.booleans())


@st.composite
def _mutated(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = draw(st.sampled_from(b' \t\r\n"\\{}[],:0-eE.\x00\xff\xc3\xa9ntu'))
        if action == "insert":
            data.insert(where, byte)
        elif data and where < len(data):
            if action == "delete":
                del data[where]
            else:
                data[where] = byte
    return bytes(data)


bodies = st.one_of(
    json_bodies,
    _mutated(json_bodies),
    st.binary(max_size=200),
    st.sampled_from([b"", b" ", b"{ }\x00", b"9" * 5000, b"[" * 3000 + b"]" * 3000]),
    st.integers(1, 1500).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.text(st.characters(exclude_categories=()), max_size=80),
    st.none(),
)
body_or_wrong = st.one_of(bodies, wrong_types)
#: Bodies as bytes only (what arrives over HTTP).
byte_bodies = st.one_of(
    json_bodies,
    _mutated(json_bodies),
    st.binary(max_size=200),
    st.sampled_from([b"", b" ", b"{ }\x00", b"9" * 5000, b"[" * 3000 + b"]" * 3000]),
    st.integers(1, 1500).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
)
timestamps = st.one_of(
    st.just(TS0),
    st.sampled_from(
        [
            "9999-12-31T23:59:59-07:00",
            "0001-01-01T00:00:00+14:00",
            "2024-03-05T10:37:16Z",
            "2024-03-05T17:37:16.196+07:00",
            "2024-02-30T00:00:00+07:00",
            "2024-03-05T17:37:16+2500",
        ]
    ),
    st.from_regex(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})\Z"),
    texts,
)
methods = st.one_of(st.sampled_from(["POST", "get", " PUT ", "", "P0ST"]), texts)
paths = st.one_of(
    st.sampled_from(["/v1.0/x", "/v1.0/x?b=2&a=1#frag", "http://h/x", "x"]),
    texts.map(lambda t: "/" + t),
    texts,
)
signatures = st.one_of(
    st.binary(min_size=256, max_size=256).map(lambda b: base64.b64encode(b).decode()),
    st.binary(min_size=64, max_size=64).map(lambda b: b.hex()),
    st.binary(max_size=300).map(lambda b: base64.b64encode(b).decode()),
    texts,
    st.binary(max_size=40),
)
secrets = st.one_of(st.text(min_size=1, max_size=30), texts)


def _or_wrong(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, strategy, strategy, wrong_types)


# --- key loading ------------------------------------------------------------------------------


def _flip(pem: bytes) -> st.SearchStrategy[bytes]:
    return _mutated(st.just(pem))


key_inputs = st.one_of(
    _flip(PRIVATE_PEM),
    _flip(PUBLIC_PEM),
    st.just(PUBLIC_PEM).map(lambda p: p.replace(b"\n", b"\\n")),
    st.binary(max_size=300),
    st.binary(max_size=300).map(lambda b: base64.b64encode(b"\x30" + b)),
    texts,
    texts.map(lambda t: t + ".pem"),
    st.sampled_from(["", "/", ".", "~", "keys/partner.pem", "-----BEGIN PUBLIC KEY-----"]),
    wrong_types,
)


def _keys(data: Any) -> None:
    for call in (bisnap.load_private_key, bisnap.load_public_key, bisnap.describe_key):
        with contextlib.suppress(bisnap.BisnapError):
            call(data)


# --- timestamps -------------------------------------------------------------------------------

aware = st.builds(
    lambda d, minutes: d.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.datetimes(),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)


def _timestamps(example: tuple[Any, Any, Any]) -> None:
    text, at, style = example
    with contextlib.suppress(bisnap.BisnapError):
        bisnap.parse_timestamp(text)
    bisnap.format_timestamp(at, style)


# --- the six sign/verify functions ------------------------------------------------------------


def _service_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "method": draw(_or_wrong(methods)),
        "path": draw(_or_wrong(paths)),
        "body": draw(body_or_wrong),
        "timestamp": draw(_or_wrong(timestamps)),
        "include_query": draw(st.booleans()),
    }


@st.composite
def _symmetric(draw: st.DrawFn) -> dict[str, Any]:
    kwargs = _service_kwargs(draw)
    kwargs["access_token"] = draw(_or_wrong(secrets))
    kwargs["client_secret"] = draw(_or_wrong(secrets))
    return kwargs


@st.composite
def _asymmetric(draw: st.DrawFn) -> dict[str, Any]:
    return _service_kwargs(draw)


@st.composite
def _token(draw: st.DrawFn) -> dict[str, Any]:
    return {"client_key": draw(_or_wrong(texts)), "timestamp": draw(_or_wrong(timestamps))}


def _sign_access_token(kw: dict[str, Any]) -> None:
    bisnap.sign_access_token(**kw, private_key=KEY)


def _verify_access_token(example: tuple[dict[str, Any], Any]) -> None:
    kw, signature = example
    bisnap.verify_access_token(**kw, signature=signature, public_key=KEY.public_key())


def _sign_service(kw: dict[str, Any]) -> None:
    bisnap.sign_service(**kw)


def _verify_service(example: tuple[dict[str, Any], Any, bool]) -> None:
    kw, signature, check_json = example
    bisnap.verify_service(**kw, signature=signature, check_json=check_json)


def _sign_service_asymmetric(kw: dict[str, Any]) -> None:
    bisnap.sign_service_asymmetric(**kw, private_key=KEY)


def _verify_service_asymmetric(example: tuple[dict[str, Any], Any, bool]) -> None:
    kw, signature, check_json = example
    bisnap.verify_service_asymmetric(
        **kw, signature=signature, check_json=check_json, public_key=KEY.public_key()
    )


# --- notification verifiers -------------------------------------------------------------------

NOTIFY_PATHS = ["/v1.0/debit/notify", "/v1.0/transfer-va/payment", "/v1.0/qr/qr-mpm-notify"]
HEADER_NAMES = ["X-TIMESTAMP", "X-SIGNATURE", "X-PARTNER-ID", "X-EXTERNAL-ID"]


def _raw_signature(path: str, body: bytes, timestamp: str) -> str:
    digest = hashlib.sha256(body).hexdigest()
    data = f"POST:{path}:{digest}:{timestamp}".encode()
    return base64.b64encode(KEY.sign(data, padding.PKCS1v15(), hashes.SHA256())).decode()


@st.composite
def _notification(draw: st.DrawFn) -> dict[str, Any]:
    path = draw(st.one_of(st.sampled_from(NOTIFY_PATHS), paths))
    body = draw(st.one_of(json_bodies, bodies))
    timestamp = draw(st.one_of(st.just(TS0), timestamps))
    headers: dict[str, Any] = {
        "X-TIMESTAMP": timestamp,
        "X-PARTNER-ID": draw(texts),
        "X-EXTERNAL-ID": draw(texts),
    }
    if draw(st.booleans()) and isinstance(body, bytes) and isinstance(path, str):
        # Genuinely signed over the compact body: the later stages are reached too.
        compact = body
        with contextlib.suppress(bisnap.BisnapError):
            compact = bisnap.minify(body)
        with contextlib.suppress(UnicodeEncodeError):
            headers["X-SIGNATURE"] = _raw_signature(path, compact, str(timestamp))
    else:
        headers["X-SIGNATURE"] = draw(signatures)
    extra = draw(
        st.dictionaries(st.one_of(st.sampled_from(HEADER_NAMES), texts), texts, max_size=3)
    )
    if draw(st.booleans()):
        headers.update(extra)
    return {
        "method": draw(st.one_of(st.just("POST"), methods)),
        "path": path,
        "headers": headers,
        "body": body,
    }


def _verifier() -> NotificationVerifier:
    return NotificationVerifier(public_key=PUBLIC_PEM, clock=CLOCK, window=None)


def _notify_sync(kw: dict[str, Any]) -> None:
    _verifier().verify(**kw)


def _notify_async(kw: dict[str, Any]) -> None:
    verifier = AsyncNotificationVerifier(public_key=PUBLIC_PEM, clock=CLOCK, window=None)

    async def main() -> None:
        await verifier.verify(**kw)

    anyio.run(main)


# --- raw requests -----------------------------------------------------------------------------

_REQUEST = (
    b"POST /v1.0/transfer-va/create-va HTTP/1.1\r\nHost: h\r\nX-TIMESTAMP: "
    + TS0.encode()
    + b"\r\n"
    b'Content-Length: 9\r\nAuthorization: Bearer tok\r\n\r\n{ "a":1}\n'
)
raw_requests = st.one_of(
    _mutated(st.just(_REQUEST)),
    st.binary(max_size=200),
    texts,
    st.sampled_from(
        [
            b"POST http://[::1/x HTTP/1.1\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: \u00b2\r\n\r\n{}".encode(),
            b"POST /x HTTP/1.1\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}",
            "POST /\ud800 HTTP/1.1\n\n",
            b"> POST /x HTTP/1.1\n> A: b\n\n",
            b":method: POST\n:path: http://[x\n\n",
        ]
    ),
    wrong_types,
)


# --- the CLI ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CliFiles:
    root: Path
    private: str
    public: str
    secret: str
    request: str


@contextlib.contextmanager
def _cli_sandbox() -> Iterator[_CliFiles]:
    with tempfile.TemporaryDirectory(prefix="bisnap-fuzz-") as tmp:
        root = Path(tmp)
        (root / "private.pem").write_bytes(PRIVATE_PEM)
        (root / "public.pem").write_bytes(PUBLIC_PEM)
        (root / "secret.txt").write_text("fuzz-secret\n")
        (root / "request.http").write_bytes(_REQUEST)
        yield _CliFiles(
            root,
            str(root / "private.pem"),
            str(root / "public.pem"),
            str(root / "secret.txt"),
            str(root / "request.http"),
        )


_SANDBOX: list[_CliFiles] = []


def _files() -> _CliFiles:
    if not _SANDBOX:
        stack = contextlib.ExitStack()
        _SANDBOX.append(stack.enter_context(_cli_sandbox()))
        import atexit

        atexit.register(stack.close)
    return _SANDBOX[0]


_COMMANDS = [
    ["sign", "token"],
    ["sign", "service"],
    ["sign", "notification"],
    ["verify", "token"],
    ["verify", "service"],
    ["verify", "notification"],
    ["explain", "token"],
    ["explain", "service"],
    ["explain", "notification"],
    ["keys", "inspect"],
    ["keys", "convert"],
    ["token", "inspect"],
    ["vectors", "check"],
]
_VALUE_OPTIONS = [
    "--client-key",
    "--method",
    "--path",
    "--body",
    "--body-file",
    "--timestamp",
    "--timestamp-style",
    "--signature",
    "--encoding",
    "--private-key",
    "--public-key",
    "--client-secret-file",
    "--access-token-file",
    "--key-password-file",
    "--request",
    "--token-file",
    "--to",
    "--out",
    "--bits",
]
_FLAGS = ["--json", "--reveal", "--no-query", "--force", "--help", "--version", "--bodyy"]


@st.composite
def _argv(draw: st.DrawFn) -> list[str]:
    files = _files()
    file_values = st.sampled_from(
        [files.private, files.public, files.secret, files.request, str(files.root), "-"]
    )
    argv = list(draw(st.sampled_from(_COMMANDS)))
    if argv[0] in ("keys", "vectors"):
        argv.append(draw(st.one_of(file_values, texts)))  # vectors check: never all files
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 3)) == 0:
            argv.append(draw(st.sampled_from(_FLAGS)))
            continue
        option = draw(st.sampled_from(_VALUE_OPTIONS))
        value = draw(st.one_of(file_values, texts, timestamps, st.just(TS0)))
        if option == "--out":
            value = str(files.root / "out" / draw(st.text("abc", min_size=1, max_size=5)))
        argv += [option, value]
    if draw(st.integers(0, 4)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(texts))
    return argv


def _cli(argv: list[str]) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(b'{"a": 1}'))
    old_stdin = sys.stdin
    sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = cli.main(argv)
    finally:
        sys.stdin = old_stdin
    errors = stderr.getvalue()
    if "internal error" in errors or code not in (0, 1, 2):
        raise AssertionError(f"CLI exit {code}: {errors.strip()[:300]}")


# --- minify: the C path against the pure-Python reference --------------------------------------

_ws = st.text(" \t\r\n", max_size=3)
_escapes = st.one_of(
    st.sampled_from(['\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"]),
    st.integers(0, 0xFFFF).map(lambda n: f"\\u{n:04x}"),
    st.integers(0xD800, 0xDFFF).map(lambda n: f"\\u{n:04X}"),  # lone surrogate escapes
)
_plain = st.characters(exclude_characters='"\\', exclude_categories=("Cs", "Cc"))
_strings = st.lists(st.one_of(_plain, _escapes, st.just(" ")), max_size=8).map(
    lambda parts: '"' + "".join(parts) + '"'
)
_numbers = st.from_regex(
    r"-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,12})?([eE][+-]?[0-9]{1,5})?", fullmatch=True
)
_scalars = st.one_of(_strings, _numbers, st.sampled_from(["true", "false", "null"]))


def _join(open_: str, close: str, items: list[str], ws: list[str]) -> str:
    if not items:
        return open_ + ws[0] + close
    pads = itertools.cycle(ws)
    return open_ + ",".join(f"{next(pads)}{item}{next(pads)}" for item in items) + close


_ws_list = st.lists(_ws, min_size=1, max_size=8)


_json_texts = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.builds(
            _join,
            st.just("["),
            st.just("]"),
            st.lists(inner, max_size=4),
            _ws_list,
        ),
        st.builds(
            _join,
            st.just("{"),
            st.just("}"),
            st.lists(st.builds(lambda k, w, v: f"{k}{w}:{w}{v}", _strings, _ws, inner), max_size=4),
            _ws_list,
        ),
    ),
    max_leaves=20,
)
_deep = st.builds(
    lambda n, ws, kind: (
        (("[" + ws) * n + "1" + (ws + "]") * n)
        if kind
        else ('{"k"' + ws + ":" + ws) * n + "0" + "}" * n
    ),
    st.integers(1, 1100),
    _ws,
    st.booleans(),
)
differential_bodies = st.one_of(
    st.builds(lambda a, t, b: (a + t + b).encode("utf-8"), _ws, _json_texts, _ws),
    _mutated(st.builds(lambda a, t, b: (a + t + b).encode("utf-8"), _ws, _json_texts, _ws)),
    _deep.map(str.encode),
    json_bodies,
    _mutated(json_bodies),
    st.binary(max_size=60),
)


class MinifyMismatchError(AssertionError):
    """msgspec's path and the reference scanner disagree about a body."""


def minify_differential(body: bytes) -> None:
    """The fast path and the reference give the same bytes or the same error kind/offset."""
    try:
        fast: bytes | tuple[str, int] = bisnap.minify(body)
    except bisnap.BodyNotJSONError as err:
        fast = (err.reason, err.offset)
    try:
        slow: bytes | tuple[str, int] = minify_reference(body)
    except bisnap.BodyNotJSONError as err:
        slow = (err.reason, err.offset)
    if fast != slow:
        raise MinifyMismatchError(f"fast {fast!r} != reference {slow!r}")


# --- the table --------------------------------------------------------------------------------


def _minify(body: Any) -> None:
    with contextlib.suppress(bisnap.BisnapError):
        bisnap.minify(body)
    minify_unchecked(body)


# --- explain, provider answers, models, emulator, debugger ----------------------------------

_SECRET = "fuzz-client-secret"
_TOKEN = "fuzz-access-token"


@st.composite
def _explain_inputs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(["access_token", "service", "service_asymmetric"]))
    timestamp = draw(st.one_of(timestamps, st.just(TS0)))
    signature = draw(_or_wrong(signatures))
    if kind == "access_token":
        return kind, {
            "client_key": draw(st.one_of(st.just("G1-SNAP"), texts)),
            "timestamp": timestamp,
            "signature": signature,
            "public_key": draw(st.one_of(st.just(PUBLIC_PEM), st.just(b"junk"), wrong_types)),
            "registered_client_key": draw(st.one_of(st.none(), texts)),
        }
    common = {
        "method": draw(st.one_of(st.sampled_from(["POST", "GET", "post"]), texts)),
        "path": draw(st.one_of(st.just("/v1.0/transfer-va/create-va?x=1"), texts)),
        "body": draw(body_or_wrong),
        "timestamp": timestamp,
        "signature": signature,
    }
    if kind == "service":
        common["access_token"] = draw(st.one_of(st.just(_TOKEN), texts, wrong_types))
        common["client_secret"] = draw(st.one_of(st.just(_SECRET), texts, wrong_types))
    else:
        common["public_key"] = draw(st.one_of(st.just(PUBLIC_PEM), wrong_types))
        common["path_prefix"] = draw(st.one_of(st.none(), st.just("/snap"), texts))
    return kind, common


def _explain(example: tuple[str, dict[str, Any]]) -> None:
    from bisnap import explain

    kind, kwargs = example
    function = getattr(explain, f"explain_{kind}")
    result = function(**kwargs)
    result.to_dict()
    str(result)


_answer_bodies = st.one_of(
    byte_bodies,
    json_values.map(lambda v: _dump(v, None, False)),
    st.fixed_dictionaries(
        {
            "responseCode": st.one_of(
                st.sampled_from(["2002700", "4012700", "5002700"]), json_values
            )
        },
        optional={"responseMessage": json_values, "accessToken": json_values},
    ).map(lambda v: _dump(v, None, False)),
)


@st.composite
def _answers(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "status_code": draw(
            st.one_of(st.sampled_from([200, 202, 302, 400, 401, 500, 504]), st.integers(100, 599))
        ),
        "headers": draw(
            st.dictionaries(
                st.sampled_from(["content-type", "location", "x-request-id", "X-EXTERNAL-ID"]),
                st.text(max_size=30),
                max_size=3,
            )
        ),
        "content": draw(_answer_bodies),
        "query": draw(st.booleans()),
    }


def _parse_response(kw: dict[str, Any]) -> None:
    import httpx

    from bisnap.http.core import Target as CallTarget
    from bisnap.http.core import parse_response

    target = CallTarget(
        endpoint=None,
        method="POST",
        url=httpx.URL("http://127.0.0.1/v1.0/transfer-va/create-va"),
        signed=True,
        mode="safe",
        query_body=kw["query"],
    )
    result = parse_response(
        target=target, status_code=kw["status_code"], headers=kw["headers"], content=kw["content"]
    )
    if isinstance(result, BaseException):
        str(result)
        repr(result)


def _model_names() -> list[str]:
    from bisnap.models import ENDPOINT_MODELS

    return sorted(ENDPOINT_MODELS)


_model_data = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [
                "responseCode",
                "responseMessage",
                "virtualAccountData",
                "accessToken",
                "expiresIn",
                "amount",
                "value",
                "currency",
                "additionalInfo",
                "partnerServiceId",
                "trxId",
                "latestTransactionStatus",
                "qrContent",
                "referenceNo",
                "paidAmount",
            ]
        )
        | st.text(max_size=8),
        json_values,
        max_size=6,
    ),
    json_values,
    wrong_types,
)


def _decode_model(example: tuple[str, bool, Any]) -> None:
    from bisnap.models import ENDPOINT_MODELS
    from bisnap.models._base import decode_model

    name, response, data = example
    model = ENDPOINT_MODELS[name][1 if response else 0]
    decoded = decode_model(data, model)
    repr(decoded)


@dataclass
class _Apps:
    emulator: Any
    admin_headers: dict[str, str]
    routes: list[tuple[str, str]]
    debugger: Any


_APPS: list[_Apps] = []


def _apps() -> _Apps:
    if not _APPS:
        import warnings

        from starlette.exceptions import StarletteDeprecationWarning

        with warnings.catch_warnings():
            # Starlette 1.x asks for httpx2 behind its TestClient and warns when it finds httpx.
            warnings.simplefilter("ignore", StarletteDeprecationWarning)
            from starlette.testclient import TestClient

        from bisnap.catalogue import CATALOGUE
        from bisnap.debugger.app import create_app as create_debugger
        from bisnap.emulator import Emulator, EmulatorConfig, create_app

        emulator = Emulator(EmulatorConfig())
        routes = sorted({(e.method, e.path) for e in CATALOGUE})
        routes += [("POST", "/_emulator/pay"), ("POST", "/_emulator/notify-url")]
        _APPS.append(
            _Apps(
                emulator=TestClient(create_app(emulator), raise_server_exceptions=False),
                admin_headers=dict(emulator.admin_headers()),
                routes=routes,
                debugger=TestClient(
                    create_debugger(host="127.0.0.1:8765"),
                    base_url="http://127.0.0.1:8765",
                    raise_server_exceptions=False,
                ),
            )
        )
    return _APPS[0]


@st.composite
def _emulator_requests(draw: st.DrawFn) -> dict[str, Any]:
    apps = _apps()
    method, path = draw(st.sampled_from(apps.routes))
    headers = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "X-TIMESTAMP",
                    "X-SIGNATURE",
                    "X-CLIENT-KEY",
                    "X-PARTNER-ID",
                    "X-EXTERNAL-ID",
                    "CHANNEL-ID",
                    "Authorization",
                    "Content-Type",
                ]
            ),
            st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
            max_size=5,
        )
    )
    if draw(st.booleans()):
        headers.update(apps.admin_headers)
    return {
        "method": method,
        "path": path,
        "headers": headers,
        "body": draw(byte_bodies),
    }


class ServerFailureError(Exception):
    """An app answered 5xx to a hostile request (the contract: 4xx with a SNAP error body)."""


def _emulator(kw: dict[str, Any]) -> None:
    client = _apps().emulator
    response = client.request(kw["method"], kw["path"], headers=kw["headers"], content=kw["body"])
    if response.status_code >= 500:
        raise ServerFailureError(f"{response.status_code}: {response.text[:300]}")


_DEBUGGER_CALLS = ["explain", "debug", "verify", "sign", "inspect-key", "inspect-token", "vectors"]


def _payload_json(value: dict[str, Any]) -> bytes:
    # Some field strategies draw bytes (signatures, timestamps): sent as their latin-1 text.
    def text(other: object) -> str:
        return other.decode("latin-1") if isinstance(other, bytes) else repr(other)

    return json.dumps(value, default=text).encode("utf-8", "surrogatepass")


@st.composite
def _debugger_payloads(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(_DEBUGGER_CALLS))
    payload = draw(
        st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "kind": st.sampled_from(
                        ["access_token", "service", "service_asymmetric", "notification"]
                    )
                    | texts,
                    "method": st.just("POST") | texts,
                    "path": st.just("/v1.0/x") | texts,
                    "body": json_values,
                    "timestamp": timestamps,
                    "signature": signatures,
                    "client_key": texts,
                    "client_secret": texts,
                    "access_token": texts,
                    "public_key": st.just(PUBLIC_PEM.decode()) | texts,
                    "private_key": st.just(PRIVATE_PEM.decode()) | texts,
                    "token": texts,
                    "key": texts,
                },
            ).map(_payload_json),
            json_values.map(lambda v: _dump(v, None, False)),
            byte_bodies,
        )
    )
    return name, payload


def _debugger(example: tuple[str, bytes]) -> None:
    name, payload = example
    response = _apps().debugger.post(f"/api/{name}", content=payload)
    if response.status_code >= 500:
        raise ServerFailureError(f"{response.status_code}: {response.text[:300]}")


TARGETS: tuple[Target, ...] = (
    Target("minify", body_or_wrong, _minify),
    Target("minify differential (msgspec vs reference)", differential_bodies, minify_differential),
    Target("key loading", key_inputs, _keys),
    Target(
        "timestamps",
        st.tuples(
            st.one_of(timestamps, wrong_types),
            st.one_of(aware, st.datetimes(), wrong_types),
            st.one_of(st.sampled_from(list(bisnap.TimestampStyle)), wrong_types),
        ),
        _timestamps,
    ),
    Target("sign_access_token", _token(), _sign_access_token),
    Target("verify_access_token", st.tuples(_token(), _or_wrong(signatures)), _verify_access_token),
    Target("sign_service", _symmetric(), _sign_service),
    Target(
        "verify_service",
        st.tuples(_symmetric(), _or_wrong(signatures), st.booleans()),
        _verify_service,
    ),
    Target("sign_service_asymmetric", _asymmetric(), _sign_service_asymmetric),
    Target(
        "verify_service_asymmetric",
        st.tuples(_asymmetric(), _or_wrong(signatures), st.booleans()),
        _verify_service_asymmetric,
    ),
    Target("NotificationVerifier.verify", _notification(), _notify_sync),
    Target("AsyncNotificationVerifier.verify", _notification(), _notify_async),
    Target("parse_raw_request", raw_requests, parse_raw_request),
    Target("cli main(argv)", _argv(), _cli),
    Target("explain_* (hostile input)", _explain_inputs(), _explain),
    Target("parse_response (hostile answers)", _answers(), _parse_response),
    Target(
        "bisnap.models decode_model",
        st.tuples(st.sampled_from(_model_names()), st.booleans(), _model_data),
        _decode_model,
    ),
    Target("emulator app (hostile requests)", _emulator_requests(), _emulator),
    Target("debugger API (hostile payloads)", _debugger_payloads(), _debugger),
)
