"""Run every published vector through bisnap's public API and check every stage.

Expected values come from the vector files only (generated from raw primitives and
re-checked by openssl and Node), never from bisnap.

Policy for `acceptable` cases (mirrors vectors/README.md):

| flag               | sign                        | verify                                  |
|--------------------|-----------------------------|-----------------------------------------|
| HexInsteadOfBase64 | n/a                         | succeeds                                |
| WeakKey1024        | raises KeyTooSmallError     | succeeds, emits KeyStrengthWarning      |
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bisnap
from bisnap import canonical

from ._vectors import Json, body_bytes, case_ids, minify_input, minify_output

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ids(name: str) -> list[Any]:
    return [pytest.param(g, t, id=f"tc{t['tcId']}") for g, t in case_ids(name)]


def _weak(t: Json) -> bool:
    return "WeakKey1024" in t["flags"]


def _check_body_stages(trace: bisnap.SignatureTrace, t: Json) -> None:
    assert trace.minified_body == t["minifiedBody"].encode("utf-8")
    assert trace.body_sha256 == t["bodySha256"]


def _check_stages(trace: object, t: Json, *, body: bool) -> None:
    assert isinstance(trace, bisnap.SignatureTrace)
    if body:
        _check_body_stages(trace, t)
    assert trace.string_to_sign == t["stringToSign"]


# --- minify and timestamps ---------------------------------------------------------------


@pytest.mark.parametrize(("group", "t"), _ids("minify"))
def test_minify(group: Json, t: Json) -> None:
    data = minify_input(t)
    if t["result"] == "valid":
        out = bisnap.minify(data)
        assert out == minify_output(t)
        assert hashlib.sha256(out).hexdigest() == t["bodySha256"]
        if "inputBase64" not in t:
            assert bisnap.minify(t["input"]) == out  # str input too
    else:
        with pytest.raises(bisnap.BodyNotJSONError) as err:
            bisnap.minify(data)
        assert err.value.offset == t["errorOffset"]


@pytest.mark.parametrize(("group", "t"), _ids("timestamp"))
def test_parse_timestamp(group: Json, t: Json) -> None:
    if t["result"] == "valid":
        dt = bisnap.parse_timestamp(t["timestamp"])
        offset = dt.utcoffset()
        assert offset is not None
        assert offset == timedelta(minutes=t["utcOffsetMinutes"])
        if "epochMillis" in t:
            assert (dt - EPOCH) // timedelta(milliseconds=1) == t["epochMillis"]
        else:
            assert (dt - EPOCH) // timedelta(seconds=1) == t["epochSeconds"]
            assert (dt - EPOCH) % timedelta(seconds=1) == timedelta(0)
    else:
        with pytest.raises(bisnap.TimestampFormatError):
            bisnap.parse_timestamp(t["timestamp"])


# --- access token --------------------------------------------------------------------------


@pytest.mark.parametrize(("group", "t"), _ids("access_token_sign"))
def test_access_token_sign(group: Json, t: Json) -> None:
    kwargs: dict[str, Any] = {
        "client_key": t["clientKey"],
        "timestamp": t["timestamp"],
        "private_key": group["privateKeyPem"],
        "encoding": t["encoding"],
    }
    if _weak(t):
        assert t["result"] == "acceptable"
        with pytest.raises(bisnap.KeyTooSmallError):
            bisnap.sign_access_token(**kwargs)
        return
    trace = bisnap.sign_access_token(**kwargs)
    _check_stages(trace, t, body=False)
    assert trace.signature == t["signature"]
    assert trace.encoding == t["encoding"]


@pytest.mark.parametrize(("group", "t"), _ids("access_token_verify"))
def test_access_token_verify(group: Json, t: Json) -> None:
    kwargs: dict[str, Any] = {
        "client_key": t["clientKey"],
        "timestamp": t["timestamp"],
        "signature": t["signature"],
        "public_key": group["publicKeyPem"],
    }
    if t["result"] == "invalid":
        with pytest.raises(bisnap.SignatureMismatchError) as err:
            bisnap.verify_access_token(**kwargs)
        _check_stages(err.value.trace, t, body=False)
        return
    if _weak(t):
        with pytest.warns(bisnap.KeyStrengthWarning):
            trace = bisnap.verify_access_token(**kwargs)
    else:
        trace = bisnap.verify_access_token(**kwargs)
    _check_stages(trace, t, body=False)
    assert trace.encoding == t["encoding"]


# --- symmetric service (HMAC) --------------------------------------------------------------


def _body_hash_only(group: Json, t: Json) -> None:
    """Only the body hash is published: check the string to sign from its pieces."""
    assert "body" not in t and "minifiedBody" not in t
    sts = canonical.service_string(
        method=t["method"],
        path=t["path"],
        access_token=t["accessToken"],
        body_sha256=t["bodySha256"],
        timestamp=t["timestamp"],
        include_query=group["pathIncludesQuery"],
    )
    assert sts == t["stringToSign"]


@pytest.mark.parametrize(("group", "t"), _ids("service_hmac_sign"))
def test_service_hmac_sign(group: Json, t: Json) -> None:
    if "BodyHashOnly" in t["flags"]:
        _body_hash_only(group, t)
        return
    trace = bisnap.sign_service(
        method=t["method"],
        path=t["path"],
        body=body_bytes(t),
        timestamp=t["timestamp"],
        access_token=t["accessToken"],
        client_secret=t["clientSecret"],
        encoding=t["encoding"],
        include_query=group["pathIncludesQuery"],
    )
    _check_stages(trace, t, body=True)
    assert trace.signature == t["signature"]


@pytest.mark.parametrize(("group", "t"), _ids("service_hmac_verify"))
def test_service_hmac_verify(group: Json, t: Json) -> None:
    if "BodyHashOnly" in t["flags"]:
        _body_hash_only(group, t)
        return
    kwargs: dict[str, Any] = {
        "method": t["method"],
        "path": t["path"],
        "body": body_bytes(t),
        "timestamp": t["timestamp"],
        "access_token": t["accessToken"],
        "client_secret": t["clientSecret"],
        "signature": t["signature"],
        "include_query": group["pathIncludesQuery"],
    }
    if t["result"] == "invalid":
        with pytest.raises(bisnap.SignatureMismatchError) as err:
            bisnap.verify_service(**kwargs)
        _check_stages(err.value.trace, t, body=True)
        return
    trace = bisnap.verify_service(**kwargs)
    _check_stages(trace, t, body=True)
    assert trace.encoding == t["encoding"]


# --- asymmetric service / notifications (RSA) ----------------------------------------------


@pytest.mark.parametrize(("group", "t"), _ids("service_rsa_sign"))
def test_service_rsa_sign(group: Json, t: Json) -> None:
    kwargs: dict[str, Any] = {
        "method": t["method"],
        "path": t["path"],
        "body": body_bytes(t),
        "timestamp": t["timestamp"],
        "private_key": group["privateKeyPem"],
        "encoding": t["encoding"],
        "include_query": group["pathIncludesQuery"],
    }
    if _weak(t):
        assert t["result"] == "acceptable"
        with pytest.raises(bisnap.KeyTooSmallError):
            bisnap.sign_service_asymmetric(**kwargs)
        return
    trace = bisnap.sign_service_asymmetric(**kwargs)
    _check_stages(trace, t, body=True)
    assert trace.signature == t["signature"]


@pytest.mark.parametrize(("group", "t"), _ids("service_rsa_verify"))
def test_service_rsa_verify(group: Json, t: Json) -> None:
    kwargs: dict[str, Any] = {
        "method": t["method"],
        "path": t["path"],
        "body": body_bytes(t),
        "timestamp": t["timestamp"],
        "public_key": group["publicKeyPem"],
        "signature": t["signature"],
        "include_query": group["pathIncludesQuery"],
    }
    if t["result"] == "invalid":
        with pytest.raises(bisnap.SignatureMismatchError) as err:
            bisnap.verify_service_asymmetric(**kwargs)
        _check_stages(err.value.trace, t, body=True)
        return
    if _weak(t):
        with pytest.warns(bisnap.KeyStrengthWarning):
            trace = bisnap.verify_service_asymmetric(**kwargs)
    else:
        trace = bisnap.verify_service_asymmetric(**kwargs)
    _check_stages(trace, t, body=True)
    assert trace.encoding == t["encoding"]
