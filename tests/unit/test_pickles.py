"""No secret in a pickle: every public type that can hold one, built with sentinel secrets.

Caches, task queues and multiprocessing pickle without asking. Each type either pickles
with its secrets masked or refuses with `NotPicklableError` (a bisnap error and a
`TypeError`). The table is meant to grow: add a row `(name, builder)` for every new public
type that can carry a client secret, an access token, an auth code or a private key.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

import bisnap
from bisnap.cli.rawhttp import parse_raw_request

SECRET = "SENTINEL-pickle-secret-5c1d9e"
TOKEN = "SENTINEL-pickle-token-a77f30"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TS = "2024-03-05T17:37:16+07:00"


def _service_trace() -> bisnap.SignatureTrace:
    return bisnap.sign_service(
        method="POST",
        path="/v1.0/x",
        body=b'{"a": 1}',
        timestamp=TS,
        access_token=TOKEN,
        client_secret=SECRET,
    )


def _mismatch() -> bisnap.SignatureMismatchError:
    try:
        bisnap.verify_service(
            method="POST",
            path="/v1.0/x",
            body=b'{"a": 1}',
            timestamp=TS,
            access_token=TOKEN,
            client_secret=SECRET,
            signature="00" * 64,
        )
    except bisnap.SignatureMismatchError as err:
        return err
    raise AssertionError("the signature should not verify")


def _raw_request() -> object:
    return parse_raw_request(
        f"POST /v1.0/x HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"X-Client-Secret: {SECRET}\r\n\r\n{{}}".encode()
    )


def _raw_request_basic() -> object:
    return parse_raw_request(f"POST /v1.0/x HTTP/1.1\r\nAuthorization: Basic {TOKEN}\r\n\r\n")


#: (name, builder) of every public type that can hold a secret. The lead extends this table
#: with Explanation, SnapResponse and TokenRequest.
PICKLE_CASES: list[tuple[str, Callable[[], object]]] = [
    ("Secret", lambda: bisnap.Secret(SECRET)),
    ("AccessToken", lambda: bisnap.AccessToken.create(TOKEN, refresh_token=SECRET)),
    ("SignatureTrace (sign_service)", _service_trace),
    (
        "SignatureTrace (sign_access_token)",
        lambda: bisnap.sign_access_token(client_key="G1-SNAP", timestamp=TS, private_key=KEY),
    ),
    ("SignatureMismatchError with .trace", _mismatch),
    (
        "UnauthorizedError with .trace",
        lambda: bisnap.UnauthorizedError("401", trace=_service_trace()),
    ),
    ("ServerError with .trace", lambda: bisnap.ServerError("500", trace=_service_trace())),
    ("ApiError with .trace", lambda: bisnap.ApiError("x", trace=_service_trace())),
    ("RawRequest (Bearer)", _raw_request),
    ("RawRequest (other scheme)", _raw_request_basic),
    ("KeyPair", lambda: bisnap.KeyPair(KEY)),
]

SENTINELS = (SECRET, TOKEN)


def _leaks(data: bytes) -> list[str]:
    found = []
    for sentinel in SENTINELS:
        for encoding in ("utf-8", "utf-16-le", "raw_unicode_escape"):
            if sentinel.encode(encoding) in data:
                found.append(f"{sentinel} ({encoding})")
    return found


@pytest.mark.parametrize(("name", "build"), PICKLE_CASES, ids=[n for n, _ in PICKLE_CASES])
@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_masks_or_refuses(name: str, build: Callable[[], object], protocol: int) -> None:
    obj = build()
    try:
        data = pickle.dumps(obj, protocol=protocol)
    except bisnap.NotPicklableError as err:
        assert isinstance(err, TypeError)
        assert not _leaks(str(err).encode())
        return
    assert not _leaks(data), f"{name} pickles a secret"
    clone = pickle.loads(data)  # noqa: S301 - our own bytes
    assert type(clone) is type(obj)


@pytest.mark.parametrize(("name", "build"), PICKLE_CASES, ids=[n for n, _ in PICKLE_CASES])
def test_deepcopy_never_fails_with_a_foreign_error(name: str, build: Callable[[], object]) -> None:
    obj = build()
    with contextlib.suppress(bisnap.NotPicklableError):
        copy.deepcopy(obj)


def test_unpickled_trace_is_masked_but_usable() -> None:
    trace = _service_trace()
    clone = pickle.loads(pickle.dumps(trace))  # noqa: S301 - our own bytes
    assert TOKEN in trace.string_to_sign
    assert TOKEN not in clone.string_to_sign
    assert clone.signature == trace.signature
    assert clone.body_sha256 == trace.body_sha256
    assert clone.masked_string_to_sign == trace.masked_string_to_sign


def test_unpickled_error_keeps_its_data_and_drops_the_trace() -> None:
    err = _mismatch()
    clone = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own bytes
    assert (clone.stage, clone.message, clone.hint) == (err.stage, err.message, err.hint)
    assert clone.trace is None
    api = pickle.loads(pickle.dumps(bisnap.UnauthorizedError("401", trace=_service_trace())))  # noqa: S301
    assert api.trace is None
