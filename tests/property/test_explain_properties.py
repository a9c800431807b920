"""Properties of explain over random requests.

- a correct signature is valid with no mistakes;
- a signature made under mistake M is explained with M among the mistakes.

Mistaken signatures are made here with raw hmac/cryptography and independent transforms.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bisnap.explain import explain_service, explain_service_asymmetric

SETTINGS = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TS = "2024-03-05T17:37:16+07:00"

_text = st.text(alphabet=st.sampled_from(list('ab /:.-_ 09é東🍜\\"\t')), min_size=0, max_size=12)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), _text)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet="abcxyz/ é", min_size=1, max_size=5), inner, max_size=3),
    ),
    max_leaves=8,
)
_objects = st.dictionaries(st.text(alphabet="abcxyz", min_size=1, max_size=5), _json, max_size=4)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    obj = draw(_objects)
    indent = draw(st.sampled_from([None, 2, 4, "\t"]))
    if indent is None:
        body = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    else:
        body = json.dumps(obj, ensure_ascii=False, indent=indent)
    prefix = draw(st.sampled_from(["", "/snap", "/api"]))
    query = draw(st.sampled_from(["", "?a=1", "?x=%20y&z=2"]))
    no_body = draw(st.booleans()) and draw(st.booleans())
    return {
        "method": draw(st.sampled_from(["POST", "GET", "PUT", "DELETE"])),
        "path": f"{prefix}/v1.0/some-service/op{query}",
        "body": None if no_body else body.encode("utf-8"),
        "token": draw(st.text(alphabet="abcXYZ0189-_.", min_size=8, max_size=40)),
        "secret": "Sentinel-" + draw(st.text(alphabet="abcXYZ0189+/=é", max_size=40)),
    }


def _minified(body: bytes | None) -> bytes:
    """Independent minify for bodies made by json.dumps (no whitespace in keys' syntax)."""
    if body is None:
        return b""
    return json.dumps(
        json.loads(body), ensure_ascii=False, separators=(",", ":")
    ).encode()  # json.dumps output round-trips exactly here


MISTAKES = [
    "PrettyBodyHashed",
    "SlashEscaped",
    "UnicodeEscaped",
    "InnerWhitespaceStripped",
    "EmptyBodyAsBraces",
    "EmptyBodyAsNull",
    "QueryDropped",
    "PathPrefixMissing",
    "BearerInStringToSign",
    "TimestampMismatch",
    "LowercaseMethod",
]


def _mistaken(req: dict[str, Any], mistake: str, *, token: bool) -> str:
    """The sender's string to sign under `mistake` (independent of bisnap)."""
    body: bytes | None = req["body"]
    hashed = _minified(body)
    method, path, ts = req["method"], req["path"], TS
    tok = req["token"]
    if mistake == "PrettyBodyHashed":
        assume(body is not None and body != hashed)
        hashed = body or b""
    elif mistake == "SlashEscaped":
        assume(b"/" in hashed)
        hashed = re.sub(rb"\\.|/", lambda m: m.group() if len(m.group()) == 2 else b"\\/", hashed)
    elif mistake == "UnicodeEscaped":
        escaped = json.dumps(json.loads(hashed), separators=(",", ":")).encode() if hashed else b""
        assume(escaped != hashed)
        hashed = escaped
    elif mistake == "InnerWhitespaceStripped":
        stripped = re.sub(rb"\s+", b"", body or b"")
        assume(body is not None and stripped != hashed)
        hashed = stripped
    elif mistake in ("EmptyBodyAsBraces", "EmptyBodyAsNull"):
        assume(body is None)
        hashed = b"{}" if mistake == "EmptyBodyAsBraces" else b"null"
    elif mistake == "QueryDropped":
        assume("?" in path)
        path = path.split("?", 1)[0]
    elif mistake == "PathPrefixMissing":
        path = path[path.index("/v1.0/") :] if not path.startswith("/v1.0/") else "/api" + path
    elif mistake == "BearerInStringToSign":
        assume(token)
        tok = f"Bearer {tok}"
    elif mistake == "TimestampMismatch":
        ts = "2024-03-05T10:37:16Z"
    elif mistake == "LowercaseMethod":
        method = method.lower()
    digest = hashlib.sha256(hashed).hexdigest()
    if token:
        return f"{method}:{path}:{tok}:{digest}:{ts}"
    return f"{method}:{path}:{digest}:{ts}"


def _hmac(req: dict[str, Any], sts: str) -> str:
    mac = hmac.new(req["secret"].encode(), sts.encode(), hashlib.sha512).digest()
    return base64.b64encode(mac).decode()


def _rsa(sts: str) -> str:
    return base64.b64encode(KEY.sign(sts.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def _hmac_explain(req: dict[str, Any], signature: str) -> Any:
    return explain_service(
        method=req["method"],
        path=req["path"],
        body=req["body"],
        timestamp=TS,
        access_token=req["token"],
        client_secret=req["secret"],
        signature=signature,
    )


@SETTINGS
@given(requests())
def test_correct_hmac_signature_is_valid(req: dict[str, Any]) -> None:
    digest = hashlib.sha256(_minified(req["body"])).hexdigest()
    sts = f"{req['method']}:{req['path']}:{req['token']}:{digest}:{TS}"
    result = _hmac_explain(req, _hmac(req, sts))
    assert result.valid
    assert result.mistakes == ()
    assert result.mismatch_at is None


@SETTINGS
@given(requests(), st.sampled_from(MISTAKES))
def test_hmac_mistake_is_named(req: dict[str, Any], mistake: str) -> None:
    result = _hmac_explain(req, _hmac(req, _mistaken(req, mistake, token=True)))
    assert not result.valid
    assert mistake in result.mistakes


@SETTINGS
@given(requests(), st.sampled_from([m for m in MISTAKES if m != "BearerInStringToSign"]))
def test_rsa_mistake_is_named(req: dict[str, Any], mistake: str) -> None:
    result = explain_service_asymmetric(
        method=req["method"],
        path=req["path"],
        body=req["body"],
        timestamp=TS,
        public_key=KEY.public_key(),
        signature=_rsa(_mistaken(req, mistake, token=False)),
    )
    assert not result.valid
    assert mistake in result.mistakes


@SETTINGS
@given(requests())
def test_wrong_secret_is_never_valid(req: dict[str, Any]) -> None:
    digest = hashlib.sha256(_minified(req["body"])).hexdigest()
    sts = f"{req['method']}:{req['path']}:{req['token']}:{digest}:{TS}"
    other = dict(req, secret=req["secret"] + "x")
    result = _hmac_explain(req, _hmac(other, sts))
    assert result.mistakes == ("WrongKeyOrSecret",)
    assert req["secret"] not in result.hint
