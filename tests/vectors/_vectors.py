"""Shared helpers for the vector tests: loading files and decoding fields.

Nothing here computes an expected value; expected values live in the vector files.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, Final

Json = dict[str, Any]

REPO: Final = Path(__file__).resolve().parents[2]
VECTORS_DIR: Final = REPO / "vectors"
SCHEMAS_DIR: Final = VECTORS_DIR / "schemas"
GENERATOR: Final = VECTORS_DIR / "tools" / "generate.py"
NODE_CHECKER: Final = VECTORS_DIR / "tools" / "check_node.js"

SIGN_FILES: Final = ("access_token_sign", "service_hmac_sign", "service_rsa_sign")
VERIFY_FILES: Final = ("access_token_verify", "service_hmac_verify", "service_rsa_verify")
#: Explain cases: invalid HMAC cases with every mistake made (possibly several) and the
#: real encoder behind a body mistake.
EXPLAIN_FILES: Final = ("service_hmac_explain", "service_rsa_explain")
SIGNATURE_FILES: Final = SIGN_FILES + VERIFY_FILES + EXPLAIN_FILES
#: Not a test-vector file: every encoder's output for every body (see encoders.json).
ENCODERS_FILE: Final = VECTORS_DIR / "encoders.json"
ALL_FILES: Final = (*SIGNATURE_FILES, "minify", "timestamp")

#: The invalid-case vocabulary (a contract with ``bisnap explain``): flag -> mismatchAt.
VOCABULARY: Final[dict[str, str]] = {
    "PrettyBodyHashed": "minifiedBody",
    "BodyReserialised": "minifiedBody",
    "SlashEscaped": "minifiedBody",
    "UnicodeEscaped": "minifiedBody",
    "InnerWhitespaceStripped": "minifiedBody",
    "QueryDropped": "stringToSign",
    "QueryAdded": "stringToSign",
    "PathPrefixMissing": "stringToSign",
    "BearerInStringToSign": "stringToSign",
    "TimestampMismatch": "stringToSign",
    "LowercaseMethod": "stringToSign",
    "EmptyBodyAsBraces": "minifiedBody",
    "EmptyBodyAsNull": "minifiedBody",
    "WrongKeyOrSecret": "signature",
}

#: Acceptable flags and the policy bisnap follows (mirrored in vectors/README.md).
ACCEPTABLE_POLICY: Final[dict[str, str]] = {
    "HexInsteadOfBase64": "verify succeeds",
    "WeakKey1024": "sign raises KeyTooSmallError; verify succeeds with KeyStrengthWarning",
}


@cache
def load(name: str) -> Json:
    """Load ``vectors/<name>.json``."""
    data: Json = json.loads((VECTORS_DIR / f"{name}.json").read_text("utf-8"))
    return data


def iter_tests(doc: Json) -> Iterator[tuple[Json, Json]]:
    for group in doc["testGroups"]:
        for test in group["tests"]:
            yield group, test


def case_ids(name: str) -> list[tuple[Json, Json]]:
    return list(iter_tests(load(name)))


def body_bytes(test: Json) -> bytes | None:
    """The request body as sent: bytes, or None when there is no body."""
    if "bodyBase64" in test:
        return base64.b64decode(test["bodyBase64"], validate=True)
    body = test.get("body")
    return None if body is None else str(body).encode("utf-8")


def minify_input(test: Json) -> bytes:
    if "inputBase64" in test:
        return base64.b64decode(test["inputBase64"], validate=True)
    return str(test["input"]).encode("utf-8")


def minify_output(test: Json) -> bytes:
    if "minifiedBodyBase64" in test:
        return base64.b64decode(test["minifiedBodyBase64"], validate=True)
    return str(test["minifiedBody"]).encode("utf-8")


def decode_signature(signature: str, encoding: str) -> bytes:
    if encoding == "hex":
        return bytes.fromhex(signature)
    try:
        return base64.b64decode(signature, validate=True)
    except binascii.Error as e:  # pragma: no cover - reported by the lint test
        raise ValueError(f"bad base64 signature: {e}") from e


def signed_path(path: str, include_query: bool) -> str:
    return path if include_query else path.split("?", 1)[0]


def total_tests() -> int:
    return sum(int(load(n)["numberOfTests"]) for n in ALL_FILES)
