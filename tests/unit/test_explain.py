"""explain: each mistake transformation, and each mistake named, with independent values.

Expected values are computed here with raw hashlib/hmac/cryptography, never through the
signing code under test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap.errors import (
    BodyNotJSONError,
    SecretFormatError,
    SignatureFormatError,
    TimestampFormatError,
)
from bisnap.explain import (
    BODY_MISTAKES,
    MISTAKE_STAGES,
    STRING_MISTAKES,
    Explanation,
    body_variants,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
    path_prefix_variants,
    slash_escaped,
    timestamp_variants,
    unicode_escaped,
)
from bisnap.secrets import Secret

SECRET = "unit-client-secret-Zq8"
TOKEN = "unit-access-token-Xy7Wq2"
TS = "2024-03-05T17:37:16+07:00"
PATH = "/v1.0/transfer-va/create-va"
COMPACT = b'{"name":"Jos\xc3\xa9 \xf0\x9f\x8d\x9c","url":"https://x.example/a","memo":"a  b"}'
PRETTY = (
    b'{\n  "name": "Jos\xc3\xa9 \xf0\x9f\x8d\x9c",\n  "url": "https://x.example/a",\n'
    b'  "memo": "a  b"\n}'
)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_b64(sts: str, secret: str = SECRET) -> str:
    mac = hmac.new(secret.encode(), sts.encode(), hashlib.sha512).digest()
    return base64.b64encode(mac).decode()


def _sts(
    body_hashed: bytes,
    *,
    method: str = "POST",
    path: str = PATH,
    token: str = TOKEN,
    ts: str = TS,
) -> str:
    return f"{method}:{path}:{token}:{_sha(body_hashed)}:{ts}"


def _explain(
    signature: str, *, body: bytes | None = PRETTY, path: str = PATH, **kw: object
) -> Explanation:
    args: dict[str, object] = {
        "method": "POST",
        "path": path,
        "body": body,
        "timestamp": TS,
        "access_token": TOKEN,
        "client_secret": SECRET,
        "signature": signature,
    }
    args.update(kw)
    return explain_service(**args)  # type: ignore[arg-type]


# --- the transformations ------------------------------------------------------------------


def test_slash_escaped_escapes_raw_slashes_and_keeps_escaped_ones() -> None:
    assert slash_escaped(b'{"u":"a/b","v":"c\\/d","w":"e\\\\/f"}') == (
        b'{"u":"a\\/b","v":"c\\/d","w":"e\\\\\\/f"}'
    )


def test_unicode_escaped_matches_python_ensure_ascii() -> None:
    obj = {"n": "José 🍜 東京 — ✓"}
    raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    expected = json.dumps(obj, ensure_ascii=True, separators=(",", ":")).encode()
    assert unicode_escaped(raw) == expected
    assert b"\\ud83c\\udf5c" in unicode_escaped(raw)


def test_body_variants_of_a_pretty_body() -> None:
    variants = dict((flag, value) for flag, value in reversed(body_variants(PRETTY)))
    assert variants["PrettyBodyHashed"] == PRETTY
    assert variants["SlashEscaped"] == COMPACT.replace(b"/", b"\\/")
    assert variants["InnerWhitespaceStripped"] == re.sub(rb"\s+", b"", PRETTY)
    assert b"\\u00e9" in variants["UnicodeEscaped"]
    obj = json.loads(PRETTY)
    reserialised = [v for f, v in body_variants(PRETTY) if f == "BodyReserialised"]
    assert json.dumps(obj, ensure_ascii=False).encode() in reserialised
    assert json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode() in (
        reserialised
    )
    assert all(value != COMPACT for _, value in body_variants(PRETTY))


def test_body_variants_of_no_body() -> None:
    assert body_variants(None) == [("EmptyBodyAsBraces", b"{}"), ("EmptyBodyAsNull", b"null")]
    assert body_variants(b"  \n") == body_variants(None)


def test_body_variants_refuse_a_body_that_is_not_json() -> None:
    with pytest.raises(BodyNotJSONError):
        body_variants(b"a=1&b=2")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/snap/v1.0/transfer-va/create-va", ["/v1.0/transfer-va/create-va"]),
        ("/ordersnap/api/v1.0/x?q=1", ["/v1.0/x?q=1"]),
        ("/api/v2/test-notif/dana", ["/v2/test-notif/dana"]),
        (
            "/v1.0/x",
            [
                "/snap/v1.0/x",
                "/api/v1.0/x",
                "/openapi/v1.0/x",
                "/snap-service/v1.0/x",
                "/ordersnap/api/v1.0/x",
            ],
        ),
        ("/callback/notify", []),
    ],
)
def test_path_prefix_variants(path: str, expected: list[str]) -> None:
    assert path_prefix_variants(path) == expected


def test_timestamp_variants_cover_styles_and_one_second() -> None:
    assert timestamp_variants("2024-03-05T17:37:16+07:00") == [
        "2024-03-05T17:37:16.000+07:00",
        "2024-03-05T10:37:16Z",
        "2024-03-05T10:37:16.000Z",
        "2024-03-05T17:37:17+07:00",
        "2024-03-05T17:37:15+07:00",
    ]
    millis = timestamp_variants("2024-03-05T10:37:16.196Z")
    assert "2024-03-05T17:37:16.196+07:00" in millis
    assert "2024-03-05T10:37:15.196Z" in millis
    assert "2024-03-05T10:37:16.196Z" not in millis


def test_timestamp_variants_refuse_a_malformed_timestamp() -> None:
    with pytest.raises(TimestampFormatError):
        timestamp_variants("05/03/2024 17:37")


def test_every_flag_has_a_stage() -> None:
    assert set(BODY_MISTAKES) | set(STRING_MISTAKES) <= set(MISTAKE_STAGES)
    assert MISTAKE_STAGES["WrongKeyOrSecret"] == "signature"


# --- HMAC: each mistake named --------------------------------------------------------------


def test_correct_signature_is_valid_without_mistakes() -> None:
    result = _explain(_hmac_b64(_sts(COMPACT)))
    assert result.valid
    assert result.mismatch_at is None
    assert result.mistakes == ()
    assert result.sender is None
    assert result.expected.body_sha256 == _sha(COMPACT)


def test_hex_signature_is_valid_and_flagged() -> None:
    mac = hmac.new(SECRET.encode(), _sts(COMPACT).encode(), hashlib.sha512).hexdigest()
    result = _explain(mac)
    assert result.valid
    assert result.mistakes == ("HexInsteadOfBase64",)
    assert "hex" in result.hint


BODY_CASES: list[tuple[str, bytes | None, bytes]] = [
    ("PrettyBodyHashed", PRETTY, PRETTY),
    (
        "BodyReserialised",
        PRETTY,
        json.dumps(
            json.loads(PRETTY), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode(),
    ),
    ("SlashEscaped", PRETTY, COMPACT.replace(b"/", b"\\/")),
    (
        "UnicodeEscaped",
        PRETTY,
        json.dumps(json.loads(PRETTY), separators=(",", ":")).encode(),
    ),
    ("InnerWhitespaceStripped", PRETTY, re.sub(rb"\s+", b"", PRETTY)),
    ("EmptyBodyAsBraces", None, b"{}"),
    ("EmptyBodyAsNull", None, b"null"),
]


@pytest.mark.parametrize(("flag", "body", "hashed"), BODY_CASES)
def test_body_mistake_is_named(flag: str, body: bytes | None, hashed: bytes) -> None:
    result = _explain(_hmac_b64(_sts(hashed)), body=body)
    assert not result.valid
    assert result.mistakes[0] == flag
    assert result.mismatch_at == "minifiedBody"
    assert result.sender is not None
    assert result.sender.minified_body == hashed
    assert result.sender.body_sha256 == _sha(hashed)
    assert result.sender.string_to_sign == _sts(hashed)


STRING_CASES: list[tuple[str, str, bool, str]] = [
    ("QueryDropped", PATH + "?a=1", True, _sts(COMPACT)),
    ("QueryAdded", PATH + "?a=1", False, _sts(COMPACT, path=PATH + "?a=1")),
    ("PathPrefixMissing", "/snap" + PATH, True, _sts(COMPACT)),
    ("PathPrefixMissing", PATH, True, _sts(COMPACT, path="/openapi" + PATH)),
    ("BearerInStringToSign", PATH, True, _sts(COMPACT, token=f"Bearer {TOKEN}")),
    ("TimestampMismatch", PATH, True, _sts(COMPACT, ts="2024-03-05T10:37:16Z")),
    ("TimestampMismatch", PATH, True, _sts(COMPACT, ts="2024-03-05T17:37:17+07:00")),
    ("LowercaseMethod", PATH, True, _sts(COMPACT, method="post")),
]


@pytest.mark.parametrize(("flag", "path", "include_query", "sender_sts"), STRING_CASES)
def test_string_mistake_is_named(
    flag: str, path: str, include_query: bool, sender_sts: str
) -> None:
    result = _explain(_hmac_b64(sender_sts), path=path, include_query=include_query)
    assert not result.valid
    assert result.mistakes == (flag,)
    assert result.mismatch_at == "stringToSign"
    assert result.sender is not None
    assert result.sender.string_to_sign == sender_sts
    assert result.sender.body_sha256 == _sha(COMPACT)


def test_timestamp_hint_names_both_values() -> None:
    result = _explain(_hmac_b64(_sts(COMPACT, ts="2024-03-05T10:37:16Z")))
    assert "2024-03-05T10:37:16Z" in result.hint
    assert TS in result.hint


def test_pair_of_pretty_body_and_dropped_query_is_found() -> None:
    sender = _sts(PRETTY, path=PATH)
    result = _explain(_hmac_b64(sender), path=PATH + "?lang=id")
    assert result.mistakes == ("PrettyBodyHashed", "QueryDropped")
    assert result.mismatch_at == "minifiedBody"
    assert " and " in result.hint


def test_wrong_secret_says_credentials_differ_with_fingerprint() -> None:
    result = _explain(_hmac_b64(_sts(COMPACT), secret="another-secret"))
    assert not result.valid
    assert result.mistakes == ("WrongKeyOrSecret",)
    assert result.mismatch_at == "signature"
    assert result.sender is None
    assert result.key_fingerprint == f"secret-sha256:{Secret(SECRET).fingerprint}"
    assert "credentials differ" in result.hint
    assert result.key_fingerprint in result.hint
    assert SECRET not in result.hint


def test_malformed_signature_is_a_bisnap_error() -> None:
    with pytest.raises(SignatureFormatError):
        _explain("not base64 !!")
    with pytest.raises(SignatureFormatError):
        _explain(base64.b64encode(b"short").decode())


def test_bearer_token_input_is_refused() -> None:
    with pytest.raises(SecretFormatError):
        _explain(_hmac_b64(_sts(COMPACT)), access_token=f"Bearer {TOKEN}")


def test_to_dict_masks_the_token_unless_asked() -> None:
    result = _explain(_hmac_b64(_sts(COMPACT, token=f"Bearer {TOKEN}")))
    data = result.to_dict()
    assert set(data) >= {
        "minifiedBody",
        "bodySha256",
        "stringToSign",
        "signature",
        "valid",
        "mismatchAt",
        "mistakes",
        "hint",
        "sender",
    }
    assert data["mistakes"] == ["BearerInStringToSign"]
    assert TOKEN not in json.dumps(data)
    assert "Bearer ********" in data["sender"]["stringToSign"]
    assert TOKEN not in repr(result)
    assert TOKEN not in repr(result.sender)
    revealed = result.to_dict(reveal_token=True)
    assert TOKEN in revealed["stringToSign"]
    assert SECRET not in json.dumps(revealed)


# --- RSA ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _rsa_b64(key: rsa.RSAPrivateKey, sts: str) -> str:
    return base64.b64encode(key.sign(sts.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def _asym_sts(hashed: bytes, *, method: str = "POST", path: str = PATH, ts: str = TS) -> str:
    return f"{method}:{path}:{_sha(hashed)}:{ts}"


RSA_CASES: list[tuple[str, str, bytes | None, Callable[[], str]]] = [
    ("PrettyBodyHashed", PATH, PRETTY, lambda: _asym_sts(PRETTY)),
    ("QueryDropped", PATH + "?x=1", PRETTY, lambda: _asym_sts(COMPACT)),
    ("EmptyBodyAsNull", PATH, None, lambda: _asym_sts(b"null")),
    ("LowercaseMethod", PATH, PRETTY, lambda: _asym_sts(COMPACT, method="post")),
    (
        "TimestampMismatch",
        PATH,
        PRETTY,
        lambda: _asym_sts(COMPACT, ts="2024-03-05T10:37:16.000Z"),
    ),
]


@pytest.mark.parametrize(("flag", "path", "body", "sender"), RSA_CASES)
def test_rsa_mistake_is_named(
    rsa_key: rsa.RSAPrivateKey,
    flag: str,
    path: str,
    body: bytes | None,
    sender: Callable[[], str],
) -> None:
    result = explain_service_asymmetric(
        method="POST",
        path=path,
        body=body,
        timestamp=TS,
        public_key=rsa_key.public_key(),
        signature=_rsa_b64(rsa_key, sender()),
    )
    assert not result.valid
    assert result.mistakes[0] == flag
    assert result.sender is not None
    assert result.sender.string_to_sign == sender()


def test_rsa_correct_and_wrong_key(rsa_key: rsa.RSAPrivateKey) -> None:
    sts = _asym_sts(COMPACT)
    good = explain_service_asymmetric(
        method="POST",
        path=PATH,
        body=PRETTY,
        timestamp=TS,
        public_key=rsa_key.public_key(),
        signature=_rsa_b64(rsa_key, sts),
    )
    assert good.valid
    assert good.mistakes == ()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = explain_service_asymmetric(
        method="POST",
        path=PATH,
        body=PRETTY,
        timestamp=TS,
        public_key=rsa_key.public_key(),
        signature=_rsa_b64(other, sts),
    )
    assert bad.mistakes == ("WrongKeyOrSecret",)
    der = rsa_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert bad.key_fingerprint == "SHA256:" + hashlib.sha256(der).hexdigest()
    assert bad.key_fingerprint in bad.hint


def test_access_token_explained(rsa_key: rsa.RSAPrivateKey) -> None:
    client_key = "G123-SNAP"
    good = explain_access_token(
        client_key=client_key,
        timestamp=TS,
        signature=_rsa_b64(rsa_key, f"{client_key}|{TS}"),
        public_key=rsa_key.public_key(),
    )
    assert good.valid
    assert good.to_dict()["stringToSign"] == f"{client_key}|{TS}"
    utc = explain_access_token(
        client_key=client_key,
        timestamp=TS,
        signature=_rsa_b64(rsa_key, f"{client_key}|2024-03-05T10:37:16Z"),
        public_key=rsa_key.public_key(),
    )
    assert utc.mistakes == ("TimestampMismatch",)
    assert utc.mismatch_at == "stringToSign"
    assert utc.sender is not None
    assert utc.sender.string_to_sign == f"{client_key}|2024-03-05T10:37:16Z"
    wrong = explain_access_token(
        client_key="other-client",
        timestamp=TS,
        signature=_rsa_b64(rsa_key, f"{client_key}|{TS}"),
        public_key=rsa_key.public_key(),
    )
    assert wrong.mistakes == ("WrongKeyOrSecret",)
    raw = rsa_key.sign(f"{client_key}|{TS}".encode(), padding.PKCS1v15(), hashes.SHA256())
    hexed = explain_access_token(
        client_key=client_key, timestamp=TS, signature=raw.hex(), public_key=rsa_key.public_key()
    )
    assert hexed.valid
    assert hexed.mistakes == ("HexInsteadOfBase64",)
