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


# --- real encoders and stacked mistakes ------------------------------------------------------

_rich_text = st.text(
    alphabet=st.sampled_from(list("ab /<>&='é東🍜\u2028 x1")), min_size=0, max_size=10
)
_rich_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**12), 10**12), _rich_text)
_rich_json = st.recursive(
    _rich_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(alphabet="abcxyz/é<&", min_size=1, max_size=4), inner, max_size=3),
    ),
    max_leaves=10,
)
_rich_objects = st.dictionaries(
    st.text(alphabet="abcxyzé", min_size=1, max_size=5), _rich_json, min_size=1, max_size=5
)

_GO_ESCAPES = {b"<": b"\\u003c", b">": b"\\u003e", b"&": b"\\u0026"}


def _go(text: bytes) -> bytes:
    # in compact JSON text '<', '>', '&' occur only inside strings
    for raw, esc in _GO_ESCAPES.items():
        text = text.replace(raw, esc)
    return text.replace("\u2028".encode(), b"\\u2028")


#: Encoders made here with the real `json` plus each language's documented escapes:
#: (name, function of the object → bytes hashed, pretty?).
ENCODER_FUNCS: list[tuple[str, Any, bool]] = [
    *[
        (
            f"python ensure_ascii={ea} sort_keys={sk} compact={c} indent={ind}",
            lambda o, ea=ea, sk=sk, c=c, ind=ind: json.dumps(
                o,
                ensure_ascii=ea,
                sort_keys=sk,
                separators=(",", ":") if c else None,
                indent=ind,
            ).encode(),
            ind is not None,
        )
        for ea in (True, False)
        for sk in (True, False)
        for c in (True, False)
        for ind in (None, 2, 4)
    ],
    (
        "php default flags",
        lambda o: json.dumps(o, separators=(",", ":")).encode().replace(b"/", b"\\/"),
        False,
    ),
    (
        "go map",
        lambda o: _go(
            json.dumps(o, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        ),
        False,
    ),
    (
        "go struct",
        lambda o: _go(json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()),
        False,
    ),
]
BODY_FLAGS = {
    "PrettyBodyHashed",
    "BodyReserialised",
    "SlashEscaped",
    "UnicodeEscaped",
    "InnerWhitespaceStripped",
}
STRING_SLOTS = ["BearerInStringToSign", "TimestampMismatch", "QueryDropped", "PathPrefixMissing"]


@st.composite
def stacked(draw: st.DrawFn) -> dict[str, Any]:
    obj = draw(_rich_objects)
    pretty = draw(st.booleans())
    if pretty:
        sent = json.dumps(obj, ensure_ascii=False, indent=2).encode()
    else:
        sent = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    name, encode, is_pretty = draw(st.sampled_from(ENCODER_FUNCS))
    strings = draw(st.lists(st.sampled_from(STRING_SLOTS), max_size=2, unique=True))
    return {
        "obj": obj,
        "sent": sent,
        "encoder": name,
        "hashed": encode(obj),
        "pretty": is_pretty,
        "strings": strings,
        "token": draw(st.text(alphabet="abcXYZ0189-_.", min_size=8, max_size=30)),
        "secret": "Sentinel-" + draw(st.text(alphabet="abcXYZ0189+/=", max_size=20)),
    }


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(stacked(), st.booleans())
def test_encoder_and_string_mistakes_are_named_never_the_credentials(
    case: dict[str, Any], rsa_signed: bool
) -> None:
    path, method, ts, token = "/snap/v1.0/debit/notify?a=1", "POST", TS, case["token"]
    signed_path = path
    minified = json.dumps(case["obj"], ensure_ascii=False, separators=(",", ":")).encode()
    for flag in case["strings"]:
        if flag == "BearerInStringToSign":
            token = f"Bearer {token}"
        elif flag == "TimestampMismatch":
            ts = "2024-03-05T10:37:16.000Z"
        elif flag == "QueryDropped":
            signed_path = signed_path.split("?", 1)[0]
        else:
            signed_path = signed_path.replace("/snap", "", 1)
    if rsa_signed and "BearerInStringToSign" in case["strings"]:
        case["strings"].remove("BearerInStringToSign")
        token = case["token"]
    made = set(case["strings"])
    if case["hashed"] != minified:
        made |= BODY_FLAGS
    assume(made)
    digest = hashlib.sha256(case["hashed"]).hexdigest()
    if rsa_signed:
        sts = f"{method}:{signed_path}:{digest}:{ts}"
        result = explain_service_asymmetric(
            method=method,
            path=path,
            body=case["sent"],
            timestamp=TS,
            public_key=KEY.public_key(),
            signature=_rsa(sts),
        )
    else:
        sts = f"{method}:{signed_path}:{token}:{digest}:{ts}"
        result = explain_service(
            method=method,
            path=path,
            body=case["sent"],
            timestamp=TS,
            access_token=case["token"],
            client_secret=case["secret"],
            signature=_hmac({"secret": case["secret"]}, sts),
        )
    assert not result.valid
    assert "WrongKeyOrSecret" not in result.mistakes, (case["encoder"], case["strings"])
    assert made & set(result.mistakes), (case["encoder"], case["strings"], result.mistakes)
    assert result.sender is not None
    assert result.sender.string_to_sign == sts
