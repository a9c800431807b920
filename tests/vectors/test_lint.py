"""Structural lint of the published vectors (Wycheproof-style contract)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from ._vectors import (
    ACCEPTABLE_POLICY,
    ALL_FILES,
    GENERATOR,
    SCHEMAS_DIR,
    SIGNATURE_FILES,
    VECTORS_DIR,
    VERIFY_FILES,
    VOCABULARY,
    iter_tests,
    load,
    total_tests,
)

HEX_RE = re.compile(r"^[0-9a-f]+$")
SHA_FIELDS = ("bodySha256",)


@pytest.mark.parametrize("name", ALL_FILES)
def test_validates_against_schema(name: str) -> None:
    doc = load(name)
    assert doc["schema"] == f"{name}_schema.json"
    schema = json.loads((SCHEMAS_DIR / doc["schema"]).read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]


@pytest.mark.parametrize("name", ALL_FILES)
def test_one_group_type_per_file(name: str) -> None:
    types = {g["type"] for g in load(name)["testGroups"]}
    assert len(types) == 1, types


@pytest.mark.parametrize("name", ALL_FILES)
def test_tc_ids_contiguous_and_count(name: str) -> None:
    doc = load(name)
    ids = [t["tcId"] for _, t in iter_tests(doc)]
    assert ids == list(range(1, len(ids) + 1))
    assert doc["numberOfTests"] == len(ids)


@pytest.mark.parametrize("name", ALL_FILES)
def test_flags_defined_and_used(name: str) -> None:
    doc = load(name)
    used = {f for _, t in iter_tests(doc) for f in t["flags"]}
    defined = set(doc["notes"])
    assert used - defined == set(), "flags used but not defined"
    assert defined - used == set(), "flags defined but never used"
    for _, t in iter_tests(doc):
        assert len(t["flags"]) == len(set(t["flags"])), t["tcId"]


@pytest.mark.parametrize("name", VERIFY_FILES)
def test_invalid_cases_have_one_vocabulary_flag(name: str) -> None:
    for _, t in iter_tests(load(name)):
        vocab = [f for f in t["flags"] if f in VOCABULARY]
        if t["result"] == "invalid":
            assert len(vocab) == 1 and t["flags"] == vocab, t["tcId"]
            assert t["mismatchAt"] == VOCABULARY[vocab[0]], t["tcId"]
            assert "sender" in t, t["tcId"]
        else:
            assert not vocab, t["tcId"]
            assert "mismatchAt" not in t and "sender" not in t, t["tcId"]


@pytest.mark.parametrize("name", SIGNATURE_FILES)
def test_acceptable_cases_follow_the_policy_table(name: str) -> None:
    for _, t in iter_tests(load(name)):
        policy = [f for f in t["flags"] if f in ACCEPTABLE_POLICY]
        if t["result"] == "acceptable":
            assert len(policy) == 1, t["tcId"]
        else:
            assert not policy, t["tcId"]


@pytest.mark.parametrize("name", VERIFY_FILES)
def test_vocabulary_flags_appear_at_least_three_times(name: str) -> None:
    counts = Counter(f for _, t in iter_tests(load(name)) for f in t["flags"])
    if name.startswith("access_token"):
        applicable = {"TimestampMismatch", "WrongKeyOrSecret", "HexInsteadOfBase64"}
    else:
        applicable = set(VOCABULARY) | {"HexInsteadOfBase64"}
        if name.startswith("service_rsa"):
            applicable.discard("BearerInStringToSign")
    assert {f: counts[f] for f in applicable if counts[f] < 3} == {}
    if name.startswith("access_token"):
        assert set(VOCABULARY) & set(counts) <= {"TimestampMismatch", "WrongKeyOrSecret"}


def _check_signature_text(sig: str, encoding: str, tc: int) -> None:
    if encoding == "hex":
        assert HEX_RE.fullmatch(sig) and len(sig) % 2 == 0, tc
    else:
        raw = base64.b64decode(sig, validate=True)
        assert base64.b64encode(raw).decode("ascii") == sig, f"non-canonical base64 in {tc}"


@pytest.mark.parametrize("name", ALL_FILES)
def test_hex_lowercase_and_base64_canonical(name: str) -> None:
    for _, t in iter_tests(load(name)):
        for obj in (t, t.get("sender", {})):
            for key in SHA_FIELDS:
                if key in obj:
                    assert HEX_RE.fullmatch(obj[key]) and len(obj[key]) == 64, t["tcId"]
        if "signature" in t:
            _check_signature_text(t["signature"], t["encoding"], t["tcId"])
        for key in ("bodyBase64", "inputBase64", "minifiedBodyBase64"):
            if key in t:
                raw = base64.b64decode(t[key], validate=True)
                assert base64.b64encode(raw).decode("ascii") == t[key], t["tcId"]


@pytest.mark.parametrize("name", ALL_FILES)
def test_header_marks_test_only_material(name: str) -> None:
    doc = load(name)
    if name in SIGNATURE_FILES:
        assert any("TEST ONLY" in h for h in doc["header"])


def test_key_files_are_marked_test_only() -> None:
    keys = sorted((VECTORS_DIR / "keys").glob("*.pem"))
    assert len(keys) == 12
    assert all(k.name.startswith("test-only-") for k in keys)


def test_enough_cases() -> None:
    assert total_tests() >= 150


def test_provenance_only_on_published_cases() -> None:
    for name in ALL_FILES:
        for _, t in iter_tests(load(name)):
            assert ("provenance" in t) == ("ProviderPublished" in t["flags"]), (name, t["tcId"])


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    produced = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    committed = sorted(
        [Path(f"{n}.json") for n in ALL_FILES]
        + [Path("encoders.json")]
        + [p.relative_to(VECTORS_DIR) for p in SCHEMAS_DIR.glob("*.json")]
    )
    assert produced == committed
    different = [
        str(rel)
        for rel in produced
        if (tmp_path / rel).read_bytes() != (VECTORS_DIR / rel).read_bytes()
    ]
    assert different == [], "regenerate with: python vectors/tools/generate.py"


def test_readme_case_counts_are_current() -> None:
    readme = (VECTORS_DIR / "README.md").read_text("utf-8")
    for name in ALL_FILES:
        assert f"| {name} | {load(name)['numberOfTests']} |" in readme, name
    assert f"| **Total** | **{total_tests()}** |" in readme
