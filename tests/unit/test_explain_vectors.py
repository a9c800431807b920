"""Every flagged invalid case in vectors/*_verify.json is explained with its flag.

The vector files must exist: a missing file fails here, it is never skipped.
"""

from __future__ import annotations

import base64
import json
import warnings
from pathlib import Path
from typing import Any

import pytest

from bisnap.explain import (
    MISTAKE_STAGES,
    Explanation,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
)

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
VERIFY_FILES = ("access_token_verify.json", "service_hmac_verify.json", "service_rsa_verify.json")


def _cases() -> list[Any]:
    cases: list[Any] = []
    for name in VERIFY_FILES:
        path = VECTORS / name
        if not path.is_file():
            cases.append(pytest.param(name, {}, {}, id=f"{name}-MISSING"))
            continue
        data = json.loads(path.read_text("utf-8"))
        for group in data["testGroups"]:
            for test in group["tests"]:
                flagged = [f for f in test["flags"] if f in MISTAKE_STAGES]
                if test["result"] == "invalid" or "HexInsteadOfBase64" in flagged:
                    cases.append(pytest.param(name, group, test, id=f"{name}-{test['tcId']}"))
    return cases


def test_vector_files_are_present() -> None:
    missing = [name for name in VERIFY_FILES if not (VECTORS / name).is_file()]
    assert not missing, f"vector files missing under {VECTORS}: {missing}"


def _explain(name: str, group: dict[str, Any], test: dict[str, Any]) -> Explanation:
    if name.startswith("access_token"):
        return explain_access_token(
            client_key=test["clientKey"],
            timestamp=test["timestamp"],
            signature=test["signature"],
            public_key=group["publicKeyPem"],
        )
    body: bytes | str | None = test.get("body")
    if "bodyBase64" in test:
        body = base64.b64decode(test["bodyBase64"])
    common: dict[str, Any] = {
        "method": test["method"],
        "path": test["path"],
        "body": body,
        "timestamp": test["timestamp"],
        "signature": test["signature"],
        "include_query": group.get("pathIncludesQuery", True),
    }
    if name.startswith("service_hmac"):
        return explain_service(
            **common, access_token=test["accessToken"], client_secret=test["clientSecret"]
        )
    return explain_service_asymmetric(**common, public_key=group["publicKeyPem"])


@pytest.mark.parametrize(("name", "group", "test"), _cases())
def test_vector_is_explained_with_its_flag(
    name: str, group: dict[str, Any], test: dict[str, Any]
) -> None:
    assert test, f"vector file {name} is missing under {VECTORS}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 1024-bit provider keys warn; not the point here
        result = _explain(name, group, test)
    flags = [f for f in test["flags"] if f in MISTAKE_STAGES]
    assert flags, f"tcId {test['tcId']} carries no mistake flag"
    if test["result"] != "invalid":
        assert result.valid
        assert "HexInsteadOfBase64" in result.mistakes
        return
    assert not result.valid
    assert result.mistakes[0] == flags[0], (test["tcId"], result.mistakes, flags)
    assert result.mismatch_at == test["mismatchAt"]
    if flags[0] == "WrongKeyOrSecret":
        assert "credentials differ" in result.hint
        assert result.key_fingerprint and result.key_fingerprint in result.hint
        return
    assert result.sender is not None
    got = result.sender.stages(reveal_token=True)
    for stage in ("minifiedBody", "bodySha256", "stringToSign"):
        if stage in got and stage in test["sender"]:
            assert got[stage] == test["sender"][stage], stage


def _explain_cases() -> list[Any]:
    cases: list[Any] = []
    for name in ("service_hmac_explain", "service_rsa_explain"):
        data = json.loads((VECTORS / f"{name}.json").read_text("utf-8"))
        cases += [
            pytest.param(group, test, id=f"{name}-{test['tcId']}")
            for group in data["testGroups"]
            for test in group["tests"]
        ]
    return cases


CAPTURE_FLAGS = {"TrailingNewline", "CRLF", "ByteOrderMark"}


@pytest.mark.parametrize(("group", "test"), _explain_cases())
def test_explain_case_is_named_with_every_flag_and_encoder(
    group: dict[str, Any], test: dict[str, Any]
) -> None:
    common: dict[str, Any] = {
        "method": test["method"],
        "path": test["path"],
        "body": test["body"].encode("utf-8"),
        "timestamp": test["timestamp"],
        "signature": test["signature"],
        "include_query": group["pathIncludesQuery"],
    }
    if "accessToken" in test:
        result = explain_service(
            access_token=test["accessToken"], client_secret=test["clientSecret"], **common
        )
    else:
        result = explain_service_asymmetric(public_key=group["publicKeyPem"], **common)
    mistakes = [f for f in test["flags"] if f not in CAPTURE_FLAGS]
    assert not result.valid
    assert "WrongKeyOrSecret" not in result.mistakes
    assert sorted(result.mistakes) == sorted(mistakes)
    assert result.mismatch_at == test["mismatchAt"]
    assert sorted(result.capture) == sorted(f for f in test["flags"] if f in CAPTURE_FLAGS)
    assert result.sender is not None
    assert result.sender.string_to_sign == test["sender"]["stringToSign"]
    encoder = test["sender"].get("encoder")
    if encoder is not None:
        assert encoder == result.encoder or encoder in result.same_bytes_as
