"""Only bisnap errors (issue 11): hostile input to the core fails as a typed bisnap error."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import bisnap
from bisnap.cli.rawhttp import parse_raw_request
from bisnap.minify import MAX_DEPTH, minify_reference, minify_unchecked

TS = "2024-03-05T17:37:16+07:00"


# --- minify ---------------------------------------------------------------------------------


@pytest.mark.parametrize("call", [bisnap.minify, minify_unchecked])
def test_nul_after_a_body_is_body_not_json(call: Any) -> None:
    with pytest.raises(bisnap.BodyNotJSONError) as info:
        call(b"{ }\x00")
    assert info.value.offset == 3


def test_five_thousand_digits_are_json() -> None:
    assert bisnap.minify(b"9" * 5000) == b"9" * 5000
    assert bisnap.minify(b"[ -" + b"1" * 5000 + b".5e+3 ]") == b"[-" + b"1" * 5000 + b".5e+3]"


@pytest.mark.parametrize(
    "body",
    [b'"\\ud800"', b'[ "\\udc00\\ud800" ]', b'{"a" : "\\uDFFF x"}', b'"\\ud800\\u0041"'],
)
def test_lone_surrogate_escapes_are_kept(body: bytes) -> None:
    expected = body.replace(b" : ", b":").replace(b"[ ", b"[").replace(b" ]", b"]")
    assert bisnap.minify(body) == expected
    assert minify_reference(body) == expected


def test_nesting_limit_is_exact_and_never_a_recursion_error() -> None:
    deepest = b"[ " * MAX_DEPTH + b"]" * MAX_DEPTH
    assert bisnap.minify(deepest) == b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    objects = b'{"k": ' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH
    assert bisnap.minify(objects) == b'{"k":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH
    too_deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    with pytest.raises(bisnap.BodyNotJSONError) as info:
        bisnap.minify(too_deep)
    assert info.value.reason == "nested too deeply"
    assert info.value.offset == MAX_DEPTH


def test_deep_call_stack_does_not_change_the_answer() -> None:
    body = b"[" * 900 + b"]" * 900

    def nested(depth: int) -> bytes:
        return bisnap.minify(body) if depth == 0 else nested(depth - 1)

    assert nested(sys.getrecursionlimit() // 3) == body


def test_str_body_with_a_lone_surrogate_is_body_not_json() -> None:
    with pytest.raises(bisnap.BodyNotJSONError):
        bisnap.minify('{"a": "\ud800"}')


# --- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-07:00",
        "9999-12-31T23:59:59+07:00",
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
    ],
)
def test_timestamps_at_the_edges_of_time_are_refused(value: str) -> None:
    with pytest.raises(bisnap.TimestampFormatError):
        bisnap.parse_timestamp(value)


def test_supported_range_is_exact_and_leaves_room_for_a_day() -> None:
    from bisnap.clock import JAKARTA

    for value in ("9999-12-29T23:59:59Z", "0001-01-03T00:00:00Z"):
        at = bisnap.parse_timestamp(value)
        local = at.astimezone(JAKARTA)  # the Jakarta day and the midnight after it exist
        datetime.combine(local.date() + timedelta(days=1), local.time(), tzinfo=JAKARTA)
        assert at - timedelta(days=1) < at + timedelta(days=1)
    for value in ("9999-12-30T00:00:00Z", "0001-01-02T23:59:59Z"):
        with pytest.raises(bisnap.TimestampFormatError, match="supported range"):
            bisnap.parse_timestamp(value)


@pytest.mark.parametrize(
    "at",
    [
        datetime.max.replace(tzinfo=UTC),
        datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
        datetime.min.replace(tzinfo=timezone(timedelta(hours=5))),
    ],
)
def test_format_timestamp_near_the_ends_is_a_bisnap_error(at: datetime) -> None:
    with pytest.raises(bisnap.TimestampFormatError):
        bisnap.format_timestamp(at)


def test_year_one_keeps_four_digits() -> None:
    at = datetime(1, 1, 2, tzinfo=UTC)
    assert bisnap.format_timestamp(at, bisnap.TimestampStyle.UTC_Z) == "0001-01-02T00:00:00Z"


@pytest.mark.parametrize("value", [5, None, b"2024-03-05T17:37:16+07:00"])
def test_parse_timestamp_of_the_wrong_type_is_also_a_type_error(value: Any) -> None:
    with pytest.raises(bisnap.TimestampFormatError) as info:
        bisnap.parse_timestamp(value)
    assert isinstance(info.value, TypeError)


def test_format_timestamp_of_the_wrong_type() -> None:
    with pytest.raises(bisnap.InputTypeError):
        bisnap.format_timestamp("now")  # type: ignore[arg-type]


# --- lone surrogates and wrong types in signatures --------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("path", "/v1.0/\udcff", "path"),
        ("timestamp", "2024-03-05T17:37:16\ud800", "timestamp"),
        ("access_token", "tok\udc80", "access token"),
    ],
)
def test_lone_surrogates_are_an_input_error(field: str, value: str, named: str) -> None:
    kwargs: dict[str, Any] = {
        "method": "POST",
        "path": "/v1.0/x",
        "body": b"{}",
        "timestamp": TS,
        "access_token": "tok",
        "client_secret": "secret",
    }
    kwargs[field] = value
    with pytest.raises(bisnap.InputError) as info:
        bisnap.sign_service(**kwargs)
    assert named in str(info.value)
    assert value not in str(info.value)


def test_lone_surrogate_client_key_and_secret() -> None:
    key = bisnap.generate_key_pair().private_key
    with pytest.raises(bisnap.InputError, match="client key"):
        bisnap.sign_access_token(client_key="G1\udcff", timestamp=TS, private_key=key)
    with pytest.raises(bisnap.SecretFormatError):
        bisnap.sign_service(
            method="POST",
            path="/x",
            body=None,
            timestamp=TS,
            access_token="t",
            client_secret="s\ud800",
        )


@pytest.mark.parametrize("field", ["method", "path", "timestamp", "access_token", "client_secret"])
def test_wrong_python_types_are_input_type_errors(field: str) -> None:
    kwargs: dict[str, Any] = {
        "method": "POST",
        "path": "/v1.0/x",
        "body": b"{}",
        "timestamp": TS,
        "access_token": "tok",
        "client_secret": "secret",
    }
    kwargs[field] = 42
    with pytest.raises(bisnap.InputTypeError) as info:
        bisnap.sign_service(**kwargs)
    assert isinstance(info.value, TypeError)


def test_secret_of_the_wrong_type() -> None:
    with pytest.raises(bisnap.InputTypeError):
        bisnap.Secret(5)  # type: ignore[arg-type]


# --- raw requests -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b"POST http://[::1/x HTTP/1.1\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: \u00b2\r\n\r\n{}".encode(),
        b"POST /x HTTP/1.1\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}",
        "POST /\ud800 HTTP/1.1\n\n",
    ],
)
def test_parse_raw_request_only_raises_bisnap_errors(data: bytes | str) -> None:
    try:
        request = parse_raw_request(data)
    except bisnap.BisnapError:
        return
    assert request.body == b"{}"  # odd Content-Length values are ignored, the body kept


def test_parse_raw_request_of_the_wrong_type() -> None:
    with pytest.raises(bisnap.InputTypeError):
        parse_raw_request(42)  # type: ignore[arg-type]


# --- keys -------------------------------------------------------------------------------------


def test_keys_load_from_a_path(tmp_path: Path) -> None:
    pair = bisnap.generate_key_pair()
    path = tmp_path / "partner.pem"
    path.write_bytes(pair.private_pem())
    assert bisnap.fingerprint(bisnap.load_private_key(path)) == pair.fingerprint
    assert bisnap.fingerprint(bisnap.load_private_key(str(path))) == pair.fingerprint
    assert bisnap.fingerprint(bisnap.load_public_key(path)) == pair.fingerprint
    assert bisnap.describe_key(path).bits == 2048


@pytest.mark.parametrize("given", ["creds/partner.pem", "./partner.key", "/no/such/key.pem"])
def test_a_missing_key_path_is_named(given: str) -> None:
    for load in (bisnap.load_private_key, bisnap.load_public_key):
        with pytest.raises(bisnap.KeyFormatError) as info:
            load(given)
        assert given in str(info.value)


def test_a_missing_path_object_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(bisnap.KeyFormatError, match=r"nope\.pem"):
        bisnap.load_private_key(missing)


@pytest.mark.parametrize("value", [5, None, ["pem"], {"a": 1}])
def test_keys_of_the_wrong_type(value: Any) -> None:
    with pytest.raises(bisnap.InputTypeError):
        bisnap.load_private_key(value)
    with pytest.raises(bisnap.InputTypeError):
        bisnap.load_public_key(value)


@pytest.mark.parametrize("bits", [8193, 16384])
def test_generate_refuses_huge_keys(bits: int) -> None:
    with pytest.raises(bisnap.InputError, match="8192"):
        bisnap.generate_key_pair(bits)


# --- errors -----------------------------------------------------------------------------------


def test_error_messages_never_hold_a_lone_surrogate() -> None:
    err = bisnap.InputError("bad \udcff value", hint="fix \ud800")
    str(err).encode("utf-8")
    err.hint.encode("utf-8")
    repr(err).encode("utf-8")


def test_invalid_token_error_is_a_deprecated_alias_not_exported() -> None:
    import jwt

    assert bisnap.InvalidTokenError is bisnap.TokenRejectedError
    assert "InvalidTokenError" not in bisnap.__all__
    pyjwt_names = {name for name in dir(jwt) if not name.startswith("_")}
    assert not (pyjwt_names & set(bisnap.__all__)), pyjwt_names & set(bisnap.__all__)
