"""The strings SNAP signs (bisnap.canonical): checked builders and unchecked formatters."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from bisnap import canonical
from bisnap.errors import InputError, InputTypeError, SecretFormatError
from bisnap.secrets import Secret

TS = "2024-03-05T17:37:16+07:00"
BODY = b'{ "amount" : "10000.00",\n  "note": "a b" }'
MINIFIED = b'{"amount":"10000.00","note":"a b"}'


def test_empty_body_hash_is_sha256_of_nothing() -> None:
    assert hashlib.sha256(b"").hexdigest() == canonical.EMPTY_BODY_SHA256
    assert canonical.minified_and_hash(None) == (b"", hashlib.sha256(b"").hexdigest())


def test_body_is_minified_then_hashed_lowercase_hex() -> None:
    minified, digest = canonical.minified_and_hash(BODY)
    assert minified == MINIFIED
    assert digest == hashlib.sha256(MINIFIED).hexdigest()
    assert digest == digest.lower() and len(digest) == 64
    assert canonical.body_sha256(MINIFIED) == digest


def test_checked_builders_match_the_spec_shapes() -> None:
    digest = hashlib.sha256(MINIFIED).hexdigest()
    assert canonical.access_token_string("G1234325-SNAP", TS) == f"G1234325-SNAP|{TS}"
    assert (
        canonical.symmetric_string(
            method="post",
            path="/v1.0/transfer-va/status?x=1",
            access_token=Secret("tok-123"),
            body_sha256=digest,
            timestamp=TS,
        )
        == f"POST:/v1.0/transfer-va/status?x=1:tok-123:{digest}:{TS}"
    )
    assert canonical.service_string is canonical.symmetric_string
    assert (
        canonical.asymmetric_string(
            method="POST",
            path="/v1.0/debit/notify?x=1",
            body_sha256=digest,
            timestamp=TS,
            include_query=False,
        )
        == f"POST:/v1.0/debit/notify:{digest}:{TS}"
    )


def test_unchecked_formatters_keep_deliberate_mistakes() -> None:
    # explain and the demo build wrong strings on purpose: nothing is checked or changed.
    assert canonical.format_access_token("", " ts ") == "| ts "
    assert canonical.format_symmetric("post", "x", "Bearer t", "H", "") == "post:x:Bearer t:H:"
    assert canonical.format_asymmetric("get", "/p#f", "H", "T") == "get:/p#f:H:T"


@pytest.mark.parametrize(
    ("path", "include_query", "signed"),
    [
        ("/a/b?x=1&y=2", True, "/a/b?x=1&y=2"),
        ("/a/b?x=1", False, "/a/b"),
        ("/a/b#frag", True, "/a/b"),
        ("/a/b?x=1#frag", True, "/a/b?x=1"),
    ],
)
def test_signed_path(path: str, include_query: bool, signed: str) -> None:
    assert canonical.signed_path(path, include_query=include_query) == signed


@pytest.mark.parametrize(
    ("function", "value", "error"),
    [
        (canonical.signed_method, 7, InputTypeError),
        (canonical.signed_method, "PO ST", InputError),
        (canonical.signed_method, "", InputError),
        (canonical.signed_path, b"/a", InputTypeError),
        (canonical.signed_path, "https://host/a", InputError),
        (canonical.signed_path, "a/b", InputError),
        (canonical.signed_timestamp, None, InputTypeError),
        (canonical.signed_timestamp, "", InputError),
        (canonical.signed_timestamp, f" {TS}", InputError),
        (canonical.signed_client_key, "", InputError),
        (canonical.signed_client_key, 3, InputTypeError),
        (canonical.signed_token, "", SecretFormatError),
        (canonical.signed_token, "Bearer abc", SecretFormatError),
        (canonical.signed_token, 12, InputTypeError),
    ],
)
def test_each_part_is_refused_with_a_typed_error_and_a_hint(
    function: Any, value: Any, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        function(value)
    assert getattr(caught.value, "hint", "")


def test_signed_method_upper_cases_and_token_is_bare() -> None:
    assert canonical.signed_method("patch") == "PATCH"
    assert canonical.signed_method(" get ") == "GET"
    assert canonical.signed_token(Secret("abc")) == "abc"
    assert canonical.signed_timestamp(TS) == TS
