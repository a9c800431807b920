"""minify: whitespace outside strings goes, everything else stays byte for byte."""

from __future__ import annotations

import pytest

from bisnap import BodyNotJSONError, BodyTypeError, minify


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{ "a" : 1 }', b'{"a":1}'),
        (b'{\r\n\t"a":\t[1 ,\n 2]\r\n}', b'{"a":[1,2]}'),
        (b'{"a":"x  y\\t z"}', b'{"a":"x  y\\t z"}'),
        (b'{"s":"caf\\u00e9"}', b'{"s":"caf\\u00e9"}'),
        (b'{"u":"http:\\/\\/x"}', b'{"u":"http:\\/\\/x"}'),
        (b'{"q":"say \\"hi\\" "}', b'{"q":"say \\"hi\\" "}'),
        (b'{"b":"back\\\\" , "c" : 1}', b'{"b":"back\\\\","c":1}'),
        (b'{"b":"\\\\\\" x"}', b'{"b":"\\\\\\" x"}'),
        (b'{"n": 1.50, "e": 1e+10, "z": -0}', b'{"n":1.50,"e":1e+10,"z":-0}'),
        (b'{"k": 1, "k": 2}', b'{"k":1,"k":2}'),
        ('{"é": "ü 😀"}'.encode(), '{"é":"ü 😀"}'.encode()),
        (b"[ ]", b"[]"),
        (b"{ }", b"{}"),
        (b' "lone string " ', b'"lone string "'),
        (b" 42 ", b"42"),
        (b"null", b"null"),
        (b'{"z":1,"a":2}', b'{"z":1,"a":2}'),
    ],
)
def test_minify_keeps_everything_but_outer_whitespace(body: bytes, expected: bytes) -> None:
    assert minify(body) == expected
    assert minify(body.decode("utf-8")) == expected


@pytest.mark.parametrize("body", [None, b"", "", b"  \n\t "])
def test_empty_body_is_the_empty_string(body: bytes | str | None) -> None:
    assert minify(body) == b""


@pytest.mark.parametrize(
    ("body", "offset"),
    [
        (b'{"a":', 5),
        (b'{"a":1', 6),
        (b"a=1&b=2", 0),
        (b'{"a":1} x', 8),
        (b'{"a":1}}', 7),
        (b"[1,2", 4),
        (b'{"a":NaN}', 5),
        (b"Infinity", 0),
        (b'{"a":"\xff"}', 6),
        (b'\xef\xbb\xbf{"a":1}', 0),
        (b'{"a":"x\ny"}', 7),
    ],
)
def test_not_json_names_the_offset(body: bytes, offset: int) -> None:
    with pytest.raises(BodyNotJSONError) as info:
        minify(body)
    assert info.value.offset == offset
    assert f"byte {offset}" in str(info.value)
    assert info.value.hint
    assert isinstance(info.value, ValueError)


def test_deep_nesting_is_a_bisnap_error() -> None:
    with pytest.raises(BodyNotJSONError):
        minify(b"[" * 100_000 + b"]" * 100_000)


def test_large_body_round_trip() -> None:
    row = b'{ "id" : 1, "name" : "a b c", "tags" : [ "x" , "y" ] }'
    body = b"[\n" + b",\n".join([row] * 5000) + b"\n]"
    compact = b'{"id":1,"name":"a b c","tags":["x","y"]}'
    assert minify(body) == b"[" + b",".join([compact] * 5000) + b"]"


def test_bytearray_is_accepted_as_bytes() -> None:
    assert minify(bytearray(b'{ "a" : 1 }')) == b'{"a":1}'  # type: ignore[arg-type]


def test_wrong_type_is_a_type_error() -> None:
    with pytest.raises(BodyTypeError, match="dict") as info:
        minify({"a": 1})  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError) and "json.dumps" in info.value.hint
    with pytest.raises(TypeError):
        minify({"a": 1})  # type: ignore[arg-type]
