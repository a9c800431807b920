"""explain's search: encoders named, capture artefacts, empty-body conventions, host and
version segment, client key, the budget, the receiver's side, pickles.

Presented signatures are made here with raw hmac/cryptography; the bytes each sender hashed
are written out by hand or made with the real `json` module, never through bisnap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import pickle

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bisnap.errors import InputError
from bisnap.explain import (
    Explanation,
    body_shapes,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
)

SECRET = "unit-client-secret-Zq8"
TOKEN = "unit-access-token-Xy7Wq2"
TS = "2024-03-05T17:37:16+07:00"
PATH = "/v1.0/transfer-va/create-va"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mac(sts: str, secret: str = SECRET) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), sts.encode(), hashlib.sha512).digest()
    ).decode()


def _sts(
    hashed: bytes, *, method: str = "POST", path: str = PATH, token: str = TOKEN, ts: str = TS
) -> str:
    return f"{method}:{path}:{token}:{_sha(hashed)}:{ts}"


def _explain(body: bytes | None, signature: str, **kw: object) -> Explanation:
    args: dict[str, object] = {
        "method": "POST",
        "path": PATH,
        "body": body,
        "timestamp": TS,
        "access_token": TOKEN,
        "client_secret": SECRET,
        "signature": signature,
    }
    args.update(kw)
    return explain_service(**args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _rsa(key: rsa.RSAPrivateKey, sts: str) -> str:
    return base64.b64encode(key.sign(sts.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


# --- encoders named -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "hashed", "flags", "encoder"),
    [
        (
            '{"b":1,"a":"Jos\u00e9"}',
            '{"b": 1, "a": "Jos\\u00e9"}',
            ("BodyReserialised",),
            "python json.dumps(ensure_ascii=True, sort_keys=False, separators=default)",
        ),
        (
            '{"b":1,"a":"x"}',
            '{"a":"x","b":1}',
            ("BodyReserialised",),
            "python json.dumps(ensure_ascii=True, sort_keys=True, separators=compact)",
        ),
        (
            '{"n":1E+10,"m":1.50}',
            '{"n":10000000000,"m":1.5}',
            ("BodyReserialised",),
            "js JSON.stringify(JSON.parse(body))",
        ),
        (
            '{"q":"a<b>&c","z":1}',
            '{"q":"a\\u003cb\\u003e\\u0026c","z":1}',
            ("BodyReserialised",),
            "go json.Marshal(struct)",
        ),
        (
            '{"z":1,"q":"<","n":1.0}',
            '{"n":1,"q":"\\u003c","z":1}',
            ("BodyReserialised",),
            "go json.Marshal(map[string]interface{})",
        ),
        (
            '{"q":"a=b \'c\'"}',
            '{"q":"a\\u003db \\u0027c\\u0027"}',
            ("BodyReserialised",),
            "java new Gson().toJson(JsonParser.parseString(body))",
        ),
        (
            '{"u":"https://x/y","n":"\u00e9","big":1e25}',
            '{"u":"https:\\/\\/x\\/y","n":"\\u00e9","big":1.0e+25}',
            ("BodyReserialised",),
            "php json_encode(json_decode(body)) with default flags",
        ),
        (
            '{"u":"https://x/y","n":"\u00e9"}',
            '{"u":"https:\\/\\/x\\/y","n":"\\u00e9"}',
            ("SlashEscaped", "UnicodeEscaped"),
            "php json_encode(json_decode(body)) with default flags",
        ),
        (
            '{"a":{},"b":[1]}',
            '{\n    "a": {},\n    "b": [\n        1\n    ]\n}',
            ("PrettyBodyHashed",),
            "php json_encode(json_decode(body), JSON_PRETTY_PRINT)",
        ),
    ],
)
def test_the_encoder_is_named(sent: str, hashed: str, flags: tuple[str, ...], encoder: str) -> None:
    result = _explain(sent.encode(), _mac(_sts(hashed.encode())))
    assert result.mistakes == flags
    assert result.mismatch_at == "minifiedBody"
    assert encoder == result.encoder or encoder in result.same_bytes_as, (
        result.encoder,
        result.same_bytes_as,
    )
    assert result.to_dict()["encoder"] == result.encoder


@pytest.mark.parametrize(
    ("hashed", "encoder"),
    [
        # written by hand: Go 1.22+ short escapes, and Go 1.21's \u0008/\u000c
        (b'{"h":"\\u003c","memo":"line\\bone\\ftwo"}', "go json.Marshal(map[string]interface{})"),
        (
            b'{"h":"\\u003c","memo":"line\\u0008one\\u000ctwo"}',
            "go<=1.21 json.Marshal(map[string]interface{})",
        ),
    ],
)
def test_the_go_version_is_told_by_its_control_escapes(hashed: bytes, encoder: str) -> None:
    sent = b'{"memo":"line\\bone\\ftwo","h":"<"}'
    result = _explain(sent, _mac(_sts(hashed)))
    assert result.mistakes == ("BodyReserialised",)
    assert result.encoder == encoder
    assert result.sender is not None
    assert result.sender.minified_body == hashed


# --- capture artefacts ----------------------------------------------------------------------

PRETTY = b'{\n  "a": "x  y",\n  "b": [1, 2]\n}'


@pytest.mark.parametrize(
    ("captured", "artefacts"),
    [
        (PRETTY + b"\n", ("TrailingNewline",)),
        (PRETTY.replace(b"\n", b"\r\n"), ("CRLF",)),
        (PRETTY.replace(b"\n", b"\r\n") + b"\r\n", ("CRLF", "TrailingNewline")),
    ],
)
def test_capture_artefacts_are_undone_and_reported(
    captured: bytes, artefacts: tuple[str, ...]
) -> None:
    result = _explain(captured, _mac(_sts(PRETTY)))
    assert result.mistakes == ("PrettyBodyHashed",)
    assert result.capture == artefacts
    assert result.sender is not None
    assert result.sender.minified_body == PRETTY
    if "TrailingNewline" in artefacts:
        assert "your capture ends with a newline the sender did not send" in result.hint


def test_a_bom_in_the_capture_is_taken_off_and_noted() -> None:
    compact = b'{"a":"x  y","b":[1,2]}'
    result = _explain(b"\xef\xbb\xbf" + compact, _mac(_sts(compact)))
    assert result.valid
    assert result.capture == ("ByteOrderMark",)
    assert "byte-order mark" in result.hint


# --- empty bodies, host, version segment, stacked -----------------------------------------


@pytest.mark.parametrize(
    ("sts", "flag", "stage"),
    [
        (f"GET:{PATH}:{TOKEN}:{_sha(b'{}')}:{TS}", "EmptyBodyAsBraces", "minifiedBody"),
        (f"GET:{PATH}:{TOKEN}:{_sha(b'null')}:{TS}", "EmptyBodyAsNull", "minifiedBody"),
        (f"GET:{PATH}:{TOKEN}::{TS}", "EmptyBodyHashEmpty", "bodySha256"),
        (f"GET:{PATH}:{TOKEN}:{TS}", "EmptyBodyHashOmitted", "bodySha256"),
    ],
)
def test_empty_body_conventions(sts: str, flag: str, stage: str) -> None:
    result = _explain(None, _mac(sts), method="GET")
    assert result.mistakes == (flag,)
    assert result.mismatch_at == stage
    assert result.sender is not None
    assert result.sender.string_to_sign == sts


def test_host_in_the_signed_path() -> None:
    body = b'{"a":1}'
    result = _explain(
        body, _mac(_sts(body, path=f"https://api.bank.example{PATH}")), host="api.bank.example"
    )
    assert result.mistakes == ("PathWithHost",)
    midtrans = _explain(body, _mac(_sts(body, path=f"merchants.sbx.midtrans.com{PATH}")))
    assert midtrans.mistakes == ("PathWithHost",)


def test_version_segment_left_out() -> None:
    body = b'{"a":1}'
    result = _explain(body, _mac(_sts(body, path="/transfer-va/create-va")))
    assert result.mistakes == ("VersionSegmentMissing",)
    assert "/v1.0/transfer-va/create-va" in result.hint


def test_a_body_mistake_with_two_string_mistakes() -> None:
    sent = '{"name":"Jos\u00e9","u":"a/b"}'.encode()
    hashed = json.dumps(json.loads(sent)).encode()
    sts = _sts(hashed, token=f"Bearer {TOKEN}", ts="2024-03-05T10:37:16.000Z")
    result = _explain(sent, _mac(sts))
    assert result.mistakes == ("BodyReserialised", "BearerInStringToSign", "TimestampMismatch")
    assert result.sender is not None and result.sender.string_to_sign == sts
    assert result.hypotheses > 100


def test_rsa_stacked_mistake_found_through_the_recovered_digest(key: rsa.RSAPrivateKey) -> None:
    sent = b'{"b":"\xc3\xa9","a":1}'
    hashed = json.dumps(json.loads(sent), sort_keys=True).encode()
    sts = f"POST:{PATH}:{_sha(hashed)}:2024-03-05T10:37:16Z"
    result = explain_service_asymmetric(
        method="POST",
        path=PATH,
        body=sent,
        timestamp=TS,
        public_key=key.public_key(),
        signature=_rsa(key, sts),
    )
    assert result.mistakes == ("BodyReserialised", "TimestampMismatch")
    assert result.encoder is not None and "sort_keys=True" in result.encoder


def test_wrong_secret_counts_every_hypothesis_and_the_budget_is_kept() -> None:
    body = b'{"a":"b/c"}'
    full = _explain(body, _mac(_sts(body), secret="other"))
    assert full.mistakes == ("WrongKeyOrSecret",)
    assert f"none of the {full.hypotheses:,} known mistakes reproduces this signature" in full.hint
    assert "the sender's client secret differs from secret-sha256:" in full.hint
    assert full.elapsed_ms >= 0
    capped = _explain(body, _mac(_sts(body), secret="other"), max_hypotheses=10)
    assert capped.hypotheses <= 11
    assert "search budget" in capped.hint


# --- the access token -----------------------------------------------------------------------


def test_client_key_not_the_registered_one(key: rsa.RSAPrivateKey) -> None:
    signed = _rsa(key, f"G123-SNAP|{TS}")
    result = explain_access_token(
        client_key="G999-SNAP",
        timestamp=TS,
        signature=signed,
        public_key=key.public_key(),
        registered_client_key="G123-SNAP",
    )
    assert result.mistakes == ("ClientKeyMismatch",)
    assert result.mismatch_at == "stringToSign"
    valid_but_unregistered = explain_access_token(
        client_key="G999-SNAP",
        timestamp=TS,
        signature=_rsa(key, f"G999-SNAP|{TS}"),
        public_key=key.public_key(),
        registered_client_key="G123-SNAP",
    )
    assert not valid_but_unregistered.valid
    assert valid_but_unregistered.mistakes == ("ClientKeyMismatch",)
    assert "not the registered client key" in valid_but_unregistered.hint


def test_wrong_private_key_hint_names_keys_inspect(key: rsa.RSAPrivateKey) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = explain_access_token(
        client_key="G123-SNAP",
        timestamp=TS,
        signature=_rsa(other, f"G123-SNAP|{TS}"),
        public_key=key.public_key(),
    )
    assert result.mistakes == ("WrongKeyOrSecret",)
    assert "bisnap keys inspect" in result.hint


# --- the receiver's side --------------------------------------------------------------------


def test_path_prefix_makes_a_prefixed_notification_valid(key: rsa.RSAPrivateKey) -> None:
    body = b'{"a":1}'
    sig = _rsa(key, f"POST:/v1.0/debit/notify:{_sha(body)}:{TS}")

    def run(path: str, **kw: object) -> Explanation:
        return explain_service_asymmetric(
            method="POST",
            path=path,
            body=body,
            timestamp=TS,
            public_key=key.public_key(),
            signature=sig,
            **kw,  # type: ignore[arg-type]
        )

    plain = run("/hooks/v1.0/debit/notify", audience="receiver")
    assert plain.mistakes == ("PathPrefixMissing",)
    assert "path_prefix" in plain.hint
    fixed = run("/hooks/v1.0/debit/notify", path_prefix="/hooks/")
    assert fixed.valid
    assert fixed.notes and "/hooks" in fixed.notes[0]
    with pytest.raises(InputError):
        run("/v1.0/debit/notify", path_prefix="/hooks")


def test_body_shapes_of_a_re_encoded_body() -> None:
    assert body_shapes(json.dumps({"b": "\u00e9", "a": 1}).encode()) == [
        "', ' and ': ' separators (Python json.dumps defaults)",
        "non-ASCII text written as \\uXXXX escapes",
    ]
    assert "keys in sorted order" in body_shapes(b'{"a":1,"b":2,"c":3}')
    assert body_shapes(json.dumps('{"a":1}').encode()) == ["a JSON document inside a JSON string"]
    assert body_shapes(b'{"z":"\xc3\xa9","a":1}') == []


# --- pickles --------------------------------------------------------------------------------


def test_explanations_pickle_without_the_token() -> None:
    body = b'{"a":1}'
    result = _explain(body, _mac(_sts(body, token=f"Bearer {TOKEN}")))
    assert result.mistakes == ("BearerInStringToSign",)
    data = pickle.dumps(result)
    assert TOKEN.encode() not in data
    assert SECRET.encode() not in data
    back = pickle.loads(data)  # noqa: S301 - our own bytes
    assert back.mistakes == result.mistakes
    assert back.to_dict() == result.to_dict()
    assert back.sender is not None and TOKEN not in back.sender.string_to_sign
    assert TOKEN.encode() not in pickle.dumps(result.sender)


def test_escapes_alone_do_not_overrule_the_credentials(key: rsa.RSAPrivateKey) -> None:
    # PHP's json_encode sends \uXXXX itself: with another key it stays WrongKeyOrSecret,
    # with the re-encoding named as a possibility
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = b'{"customer":"Jos\\u00e9","status":"00"}'
    result = explain_service_asymmetric(
        method="POST",
        path="/v1.0/debit/notify",
        body=body,
        timestamp=TS,
        public_key=key.public_key(),
        signature=_rsa(other, f"POST:/v1.0/debit/notify:{_sha(body)}:{TS}"),
        audience="receiver",
    )
    assert result.mistakes == ("WrongKeyOrSecret",)
    assert "\\uXXXX" in result.hint
    assert "request.get_data()" in result.hint


def test_a_body_stringified_twice_is_named() -> None:
    # Midtrans's Node README: the payload passed as a string is JSON.stringify'd again
    sent = b'{"a":"b","n":1}'
    hashed = b'"{\\"a\\":\\"b\\",\\"n\\":1}"'
    result = _explain(sent, _mac(_sts(hashed)))
    assert result.mistakes == ("BodyReserialised",)
    assert result.encoder == "js JSON.stringify(body as a string): encoded twice"


@pytest.mark.parametrize("signed", ["2024-03-05T17:37:16+0700", "2024-03-05T17:37:16"])
def test_java_and_offsetless_timestamp_spellings(signed: str) -> None:
    body = b'{"a":1}'
    result = _explain(body, _mac(_sts(body, ts=signed)))
    assert result.mistakes == ("TimestampMismatch",)
    assert signed in result.hint


def test_receiver_hints_for_the_senders_body_mistakes(key: rsa.RSAPrivateKey) -> None:
    pretty = b'{\n  "a": "x"\n}'
    result = explain_service_asymmetric(
        method="POST",
        path="/v1.0/debit/notify",
        body=pretty,
        timestamp=TS,
        public_key=key.public_key(),
        signature=_rsa(key, f"POST:/v1.0/debit/notify:{_sha(pretty)}:{TS}"),
        audience="receiver",
    )
    assert result.mistakes == ("PrettyBodyHashed",)
    assert "report it to them" in result.hint
    assert not result.hint.startswith("you ")
