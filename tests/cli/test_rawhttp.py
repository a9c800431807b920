"""Parsing captured raw HTTP requests (`--request FILE`)."""

from __future__ import annotations

import pytest

from bisnap.cli.rawhttp import parse_raw_request
from bisnap.errors import InputError

TOKEN = "raw-token-value-9f8e7d"
BODY = b'{\r\n  "a": "x y"\r\n}'


def _request(nl: bytes, target: str = "/v1.0/x?q=1") -> bytes:
    head = [
        f"POST {target} HTTP/1.1".encode(),
        b"Host: h.example",
        f"authorization: Bearer {TOKEN}".encode(),
        b"X-Timestamp: 2024-03-05T17:37:16+07:00",
        b"X-SIGNATURE: c2ln",
        f"Content-Length: {len(BODY)}".encode(),
    ]
    return nl.join(head) + nl + nl + BODY


@pytest.mark.parametrize("nl", [b"\r\n", b"\n"])
def test_request_line_headers_and_body(nl: bytes) -> None:
    req = parse_raw_request(_request(nl))
    assert req.method == "POST"
    assert req.path == "/v1.0/x?q=1"
    assert req.header("X-TIMESTAMP") == "2024-03-05T17:37:16+07:00"
    assert req.header("x-signature") == "c2ln"
    assert req.body == BODY  # kept byte for byte, CRLF inside the body included
    assert req.bearer_token is not None
    assert req.bearer_token.reveal() == TOKEN
    assert TOKEN not in repr(req)
    assert TOKEN not in str(req.redacted_headers())


def test_full_url_is_reduced_to_path_and_query() -> None:
    req = parse_raw_request(_request(b"\n", "https://merchants.sbx.midtrans.com/v1.0/x?q=1"))
    assert req.path == "/v1.0/x?q=1"


def test_trailing_editor_newline_is_cut_to_content_length() -> None:
    req = parse_raw_request(_request(b"\n") + b"\n")
    assert req.body == BODY


def test_no_body_is_none_and_get_works() -> None:
    req = parse_raw_request(b"get /v1.0/balance-inquiry?a=1 HTTP/1.1\nHost: h\n\n")
    assert req.method == "GET"
    assert req.body is None


def test_curl_verbose_and_http2_pseudo_headers() -> None:
    curl = parse_raw_request(b"> POST /v1.0/x HTTP/2\n> Host: h\n> X-TIMESTAMP: t\n>\n")
    assert (curl.method, curl.path, curl.header("X-TIMESTAMP")) == ("POST", "/v1.0/x", "t")
    h2 = parse_raw_request(b":method: POST\n:path: /v1.0/y\nx-signature: s\n\n{}")
    assert (h2.method, h2.path, h2.body) == ("POST", "/v1.0/y", b"{}")


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n", b"hello world this is not http\n\n", b"POST /v1.0/x HTTP/1.1\nbad header\n\n"],
)
def test_malformed_requests_are_input_errors(data: bytes) -> None:
    with pytest.raises(InputError) as info:
        parse_raw_request(data)
    assert info.value.hint
