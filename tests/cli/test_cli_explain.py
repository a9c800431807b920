"""`bisnap explain` through `main(argv)`: encoders named, capture artefacts, stacked mistakes,
the receiver's side (`--path-prefix`, `--as`), Midtrans's own 401 causes.

Presented signatures are made here with raw hmac/cryptography over strings built by hand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from bisnap import cli
from bisnap.secrets import Secret

from .conftest import Files

DOCS = Path(__file__).resolve().parents[2] / "docs" / "signature-rejected.md"
TS = "2024-03-05T17:37:16+07:00"
NOTIFY = "/v1.0/debit/notify"
NOTIFY_BODY = {
    "originalReferenceNo": "A120240305",
    "latestTransactionStatus": "00",
    "additionalInfo": {"customer": "José Ñúñez 東京", "returnUrl": "https://m.example/r"},
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(out: str) -> dict[str, Any]:
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def _hmac(sts: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), sts.encode(), hashlib.sha512).digest()
    return base64.b64encode(mac).decode()


def _rsa(files: Files, sts: str) -> str:
    return base64.b64encode(
        files.key.sign(sts.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the docs example, saved the way editors save it -------------------------------------


def _doc_capture() -> str:
    text = DOCS.read_text("utf-8")
    section = text.split("## 1. Capture the request you sent", 1)[1]
    block = re.search(r"```\n(POST .*?)\n```", section, re.S)
    assert block is not None
    return block.group(1)


@pytest.mark.parametrize(
    ("line_end", "final_newline", "artefacts"),
    [
        ("\n", False, []),
        ("\n", True, ["TrailingNewline"]),
        ("\r\n", False, ["CRLF"]),
        ("\r\n", True, ["CRLF", "TrailingNewline"]),
    ],
)
def test_docs_example_from_a_saved_file(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    line_end: str,
    final_newline: bool,
    artefacts: list[str],
) -> None:
    capture = _doc_capture().replace("\n", line_end) + (line_end if final_newline else "")
    request = tmp_path / "captured.http"
    request.write_bytes(capture.encode("utf-8"))
    secret = tmp_path / "client-secret.txt"
    secret.write_text("demo-client-secret\n")
    argv = ["explain", "service", "--request", str(request), "--client-secret-file", str(secret)]
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 1, err
    data = _json(out)
    assert data["mistakes"] == ["PrettyBodyHashed"]
    assert data["mismatchAt"] == "minifiedBody"
    assert data["captureArtefacts"] == artefacts
    assert data["keyFingerprint"] == "secret-sha256:" + Secret("demo-client-secret").fingerprint
    # the sender hashed the pretty body with LF line ends and no final newline
    pretty = capture.split(line_end * 2, 1)[1].replace("\r\n", "\n").rstrip("\n")
    assert data["sender"]["bodySha256"] == _sha(pretty.encode())
    assert data["hypotheses"] >= 1
    code, out, _ = _run(capsys, *argv)
    assert code == 1
    if "TrailingNewline" in artefacts:
        assert "your capture ends with a newline the sender did not send" in out
    if "CRLF" in artefacts:
        assert "CRLF" in out
    assert "hypotheses in" in out


# --- encoders named -----------------------------------------------------------------------


def _service(files: Files, body: bytes, tmp_path: Path, signature: str) -> list[str]:
    body_file = tmp_path / "body.json"
    body_file.write_bytes(body)
    return [
        "explain",
        "service",
        "--path",
        "/v1.0/transfer-va/create-va",
        "--timestamp",
        TS,
        "--body-file",
        str(body_file),
        "--client-secret-file",
        str(files.secret),
        "--access-token-file",
        str(files.token),
        "--signature",
        signature,
    ]


def test_python_json_dumps_defaults_are_named(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    obj = {"name": "José 東京", "memo": "a/b"}
    sent = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    hashed = json.dumps(obj).encode()  # what json.dumps gives with its defaults
    sts = f"POST:/v1.0/transfer-va/create-va:{files.token_value}:{_sha(hashed)}:{TS}"
    argv = _service(files, sent, tmp_path, _hmac(sts, files.secret_value))
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 1, err
    data = _json(out)
    assert data["mistakes"] == ["BodyReserialised"]
    assert data["encoder"] == (
        "python json.dumps(ensure_ascii=True, sort_keys=False, separators=default)"
    )
    assert data["sender"]["minifiedBody"] == hashed.decode()
    code, out, _ = _run(capsys, *argv)
    assert "encoder" in out and "python json.dumps(ensure_ascii=True" in out
    assert files.token_value not in out and files.secret_value not in out


def test_php_json_encode_defaults_give_both_escape_flags(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    sent = '{"url":"https://m.example/a","name":"José"}'.encode()
    hashed = b'{"url":"https:\\/\\/m.example\\/a","name":"Jos\\u00e9"}'  # json_encode($obj)
    sts = f"POST:/v1.0/transfer-va/create-va:{files.token_value}:{_sha(hashed)}:{TS}"
    code, out, err = _run(
        capsys, *_service(files, sent, tmp_path, _hmac(sts, files.secret_value)), "--json"
    )
    assert code == 1, err
    data = _json(out)
    assert set(data["mistakes"]) == {"SlashEscaped", "UnicodeEscaped"}
    assert data["encoder"].startswith("php json_encode")


def test_stacked_reencoded_body_and_bearer(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    obj = {"b": 1, "a": [1.5, "x"]}
    sent = json.dumps(obj, separators=(",", ":")).encode()
    hashed = json.dumps(obj, sort_keys=True).encode()
    sts = f"POST:/v1.0/transfer-va/create-va:Bearer {files.token_value}:{_sha(hashed)}:{TS}"
    code, out, err = _run(
        capsys, *_service(files, sent, tmp_path, _hmac(sts, files.secret_value)), "--json"
    )
    assert code == 1, err
    data = _json(out)
    assert data["mistakes"] == ["BodyReserialised", "BearerInStringToSign"]
    assert "sort_keys=True" in data["encoder"]
    assert files.token_value not in out


def test_wrong_secret_reports_the_hypotheses_tried(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    sent = b'{"a":"b"}'
    sts = f"POST:/v1.0/transfer-va/create-va:{files.token_value}:{_sha(sent)}:{TS}"
    code, out, err = _run(
        capsys, *_service(files, sent, tmp_path, _hmac(sts, "another-secret")), "--json"
    )
    assert code == 1, err
    data = _json(out)
    assert data["mistakes"] == ["WrongKeyOrSecret"]
    assert data["hypotheses"] > 100
    assert f"none of the {data['hypotheses']:,} known mistakes" in data["hint"]
    assert "secret-sha256:" in data["hint"]
    assert files.secret_value not in out


def test_host_from_the_captured_request_is_tried(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    body = '{"a":"b"}'
    path = "/v1.0/transfer-va/create-va"
    sts = f"POST:https://pay.example.id{path}:{files.token_value}:{_sha(body.encode())}:{TS}"
    request = tmp_path / "r.http"
    request.write_text(
        f"POST {path} HTTP/1.1\nHost: pay.example.id\nAuthorization: Bearer {files.token_value}\n"
        f"X-TIMESTAMP: {TS}\nX-SIGNATURE: {_hmac(sts, files.secret_value)}\n\n{body}"
    )
    code, out, err = _run(
        capsys,
        "explain",
        "service",
        "--request",
        str(request),
        "--client-secret-file",
        str(files.secret),
        "--json",
    )
    assert code == 1, err
    data = _json(out)
    assert data["mistakes"] == ["PathWithHost"]
    assert "relative path" in data["hint"]


# --- the receiver's side ------------------------------------------------------------------


def _notification(
    files: Files, tmp_path: Path, body: bytes, path: str, signed_sts: str, *extra: str
) -> list[str]:
    body_file = tmp_path / "notification.json"
    body_file.write_bytes(body)
    return [
        "explain",
        "notification",
        "--path",
        path,
        "--timestamp",
        TS,
        "--body-file",
        str(body_file),
        "--public-key",
        str(files.public_key),
        "--signature",
        _rsa(files, signed_sts),
        "--json",
        *extra,
    ]


def test_notification_under_a_prefix_is_valid_with_path_prefix(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    body = json.dumps(NOTIFY_BODY, ensure_ascii=False, separators=(",", ":")).encode()
    sts = f"POST:{NOTIFY}:{_sha(body)}:{TS}"
    argv = _notification(files, tmp_path, body, "/hooks/v1.0/debit/notify", sts)
    code, out, _ = _run(capsys, *argv)
    data = _json(out)
    assert code == 1
    assert data["mistakes"] == ["PathPrefixMissing"]
    assert data["audience"] == "receiver"
    assert "--path-prefix" in data["hint"]
    assert "sign the exact path" not in data["hint"]
    code, out, err = _run(capsys, *argv, "--path-prefix", "/hooks")
    assert code == 0, err
    data = _json(out)
    assert data["valid"] is True
    assert any("/hooks" in note for note in data["notes"])


def test_path_not_under_the_prefix_is_an_input_error(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    body = b'{"a":1}'
    argv = _notification(files, tmp_path, body, NOTIFY, f"POST:{NOTIFY}:{_sha(body)}:{TS}")
    code, _, err = _run(capsys, *argv, "--path-prefix", "/hooks")
    assert code == 2
    assert "prefix" in err


@pytest.mark.parametrize(
    "reencode",
    [
        lambda obj: json.dumps(obj).encode(),  # FastAPI/Flask re-encoding with defaults
        lambda obj: json.dumps(obj, separators=(",", ":")).encode(),  # \\uXXXX only
        lambda obj: json.dumps(json.dumps(obj, ensure_ascii=False, separators=(",", ":"))).encode(),
    ],
    ids=["defaults", "ascii-escapes", "json-in-a-string"],
)
def test_receiver_told_to_verify_the_raw_body(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path, reencode: Any
) -> None:
    wire = json.dumps(NOTIFY_BODY, ensure_ascii=False, separators=(",", ":")).encode()
    sts = f"POST:{NOTIFY}:{_sha(wire)}:{TS}"
    received = reencode(NOTIFY_BODY)
    code, out, err = _run(capsys, *_notification(files, tmp_path, received, NOTIFY, sts))
    assert code == 1, err
    data = _json(out)
    assert data["mistakes"] and data["mistakes"][0] in ("BodyReserialised", "UnicodeEscaped")
    assert "WrongKeyOrSecret" not in data["mistakes"]
    assert "request.get_data()" in data["hint"]
    assert "await request.body()" in data["hint"]


def test_receiver_with_sorted_keys_is_told_about_the_framework(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    # the wire body cannot be rebuilt from sorted keys: named, not blamed on the key
    wire = b'{"z":1,"y":2,"x":"\xc3\xa9","w":[1,2]}'
    sts = f"POST:{NOTIFY}:{_sha(wire)}:{TS}"
    received = json.dumps(json.loads(wire), sort_keys=True).encode()
    code, out, _ = _run(capsys, *_notification(files, tmp_path, received, NOTIFY, sts))
    data = _json(out)
    assert code == 1
    assert data["mistakes"] == ["BodyReserialised"]
    assert "sorted" in data["hint"]
    assert "raw request body" in data["hint"]


def test_as_sender_words_the_hint_for_the_signer(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    body = b'{"a":"x/y"}'
    sts = f"POST:{NOTIFY}:{_sha(body)}:2024-03-05T10:37:16Z"
    argv = _notification(files, tmp_path, body, NOTIFY, sts)
    _, out, _ = _run(capsys, *argv)
    receiver = _json(out)
    assert receiver["mistakes"] == ["TimestampMismatch"]
    assert "the sender signed" in receiver["hint"]
    _, out, _ = _run(capsys, *argv, "--as", "sender")
    sender = _json(out)
    assert sender["audience"] == "sender"
    assert sender["hint"].startswith("you signed the timestamp")


# --- the access token (Midtrans's 4017300 causes) -----------------------------------------


def _token_argv(files: Files, client_key: str, signed: str, *extra: str) -> list[str]:
    return [
        "explain",
        "token",
        "--client-key",
        client_key,
        "--timestamp",
        TS,
        "--public-key",
        str(files.public_key),
        "--signature",
        _rsa(files, signed),
        "--json",
        *extra,
    ]


def test_token_client_key_not_the_registered_one(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    argv = _token_argv(
        files, "G999-SNAP", f"G123-SNAP|{TS}", "--registered-client-key", "G123-SNAP"
    )
    code, out, err = _run(capsys, *argv)
    assert code == 1, err
    data = _json(out)
    assert data["mistakes"] == ["ClientKeyMismatch"]
    assert "G123-SNAP" in data["hint"]


def test_token_wrong_key_says_how_to_compare_fingerprints(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    argv = _token_argv(files, "G123-SNAP", f"G123-SNAP|{TS}")
    argv[argv.index("--public-key") + 1] = str(files.other_public_key)
    code, out, _ = _run(capsys, *argv)
    data = _json(out)
    assert code == 1
    assert data["mistakes"] == ["WrongKeyOrSecret"]
    assert "bisnap keys inspect" in data["hint"]
    assert "none of the" in data["hint"]
