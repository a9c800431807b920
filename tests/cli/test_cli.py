"""The `bisnap` CLI through `main(argv)`, output captured.

Expected signatures are computed here with raw hashlib/hmac/cryptography.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import os
import stat
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from bisnap import cli
from bisnap.cli._common import Printer
from bisnap.keys import describe_key, fingerprint

from .conftest import Files

TS = "2024-03-05T17:37:16+07:00"
PATH = "/v1.0/transfer-va/create-va"
PRETTY = '{\n  "partnerServiceId": "  088899",\n  "url": "https://m.example/a"\n}'
COMPACT = '{"partnerServiceId":"  088899","url":"https://m.example/a"}'


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hmac(sts: str, secret: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), sts.encode(), hashlib.sha512).digest()
    ).decode()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(out: str) -> dict[str, Any]:
    data = json.loads(out)
    assert isinstance(data, dict)
    return data


def _service_flags(files: Files, *extra: str) -> list[str]:
    return [
        "--method",
        "POST",
        "--path",
        PATH,
        "--timestamp",
        TS,
        "--client-secret-file",
        str(files.secret),
        "--access-token-file",
        str(files.token),
        *extra,
    ]


def _no_secret(files: Files, *texts: str) -> None:
    for text in texts:
        assert files.secret_value not in text
        assert files.token_value not in text


# --- help and usage -------------------------------------------------------------------------


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    assert "0 ok/valid, 1 signature invalid, 2 usage or input error" in out
    for command in ("sign", "verify", "explain", "keys", "token", "vectors", "demo"):
        assert command in out
    code, out, _ = _run(capsys, "explain", "service", "--help")
    assert code == 0
    assert "--request" in out
    assert "exit codes" in out


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys)
    assert code == 2
    assert "usage:" in out


@pytest.mark.parametrize("flag", ["--client-secret", "--access-token", "--token", "--secret"])
def test_secret_on_argv_is_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str], files: Files, flag: str
) -> None:
    for form in ([flag, files.secret_value], [f"{flag}={files.secret_value}"]):
        code, out, err = _run(capsys, "sign", "service", "--path", PATH, *form)
        assert code == 2
        assert f"{flag} is not accepted" in err
        assert "shell history" in err
        _no_secret(files, out, err)


def test_unknown_arguments_are_not_echoed(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, out, err = _run(
        capsys, "verify", "service", "--bogus", files.secret_value, files.token_value
    )
    assert code == 2
    assert "--bogus" in err
    assert "Traceback" not in err
    _no_secret(files, out, err)


def test_option_abbreviation_is_off(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, _, err = _run(capsys, "sign", "service", "--path", PATH, "--client-sec", "x")
    assert code == 2
    assert "--client-sec" in err


# --- sign / verify / explain: service ------------------------------------------------------


def test_sign_service_shows_every_stage_and_masks(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    code, out, err = _run(capsys, "sign", "service", *_service_flags(files, "--body", PRETTY))
    assert code == 0
    sts = f"POST:{PATH}:{files.token_value}:{_sha(COMPACT)}:{TS}"
    for stage in ("minifiedBody", "bodySha256", "stringToSign", "signature"):
        assert stage in out
    assert _sha(COMPACT) in out
    assert _hmac(sts, files.secret_value) in out
    assert "********" in out
    _no_secret(files, out, err)


def test_sign_service_json_and_reveal(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, out, err = _run(
        capsys, "sign", "service", *_service_flags(files, "--body", PRETTY, "--json")
    )
    assert code == 0
    data = _json(out)
    assert data["minifiedBody"] == COMPACT
    assert data["bodySha256"] == _sha(COMPACT)
    assert data["signature"] == _hmac(
        f"POST:{PATH}:{files.token_value}:{_sha(COMPACT)}:{TS}", files.secret_value
    )
    _no_secret(files, out, err)
    code, out, err = _run(
        capsys, "sign", "service", *_service_flags(files, "--body", PRETTY, "--json", "--reveal")
    )
    data = _json(out)
    assert files.token_value in data["stringToSign"]
    assert files.secret_value not in out


def test_sign_service_hex_and_no_query(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    flags = _service_flags(files, "--encoding", "hex", "--no-query", "--json")
    flags[flags.index(PATH)] = PATH + "?a=1"
    code, out, _ = _run(capsys, "sign", "service", *flags)
    assert code == 0
    sts = f"POST:{PATH}:{files.token_value}:{_sha('')}:{TS}"
    mac = hmac.new(files.secret_value.encode(), sts.encode(), hashlib.sha512).hexdigest()
    assert _json(out)["signature"] == mac


def test_body_file_and_stdin(
    capsys: pytest.CaptureFixture[str],
    files: Files,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = tmp_path / "body.json"
    body.write_text(PRETTY)
    code, out, _ = _run(
        capsys, "sign", "service", *_service_flags(files, "--body-file", str(body), "--json")
    )
    assert code == 0
    assert _json(out)["bodySha256"] == _sha(COMPACT)

    class _Stdin(io.StringIO):
        buffer = io.BytesIO(PRETTY.encode())

    monkeypatch.setattr("sys.stdin", _Stdin())
    code, out, _ = _run(
        capsys, "sign", "service", *_service_flags(files, "--body-file", "-", "--json")
    )
    assert code == 0
    assert _json(out)["bodySha256"] == _sha(COMPACT)


def test_secrets_from_environment(
    capsys: pytest.CaptureFixture[str], files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BISNAP_CLIENT_SECRET", files.secret_value)
    monkeypatch.setenv("BISNAP_ACCESS_TOKEN", files.token_value)
    code, out, err = _run(
        capsys, "sign", "service", "--path", PATH, "--timestamp", TS, "--body", "{}", "--json"
    )
    assert code == 0
    sts = f"POST:{PATH}:{files.token_value}:{_sha('{}')}:{TS}"
    assert _json(out)["signature"] == _hmac(sts, files.secret_value)
    _no_secret(files, out, err)


def test_verify_service_valid_and_invalid(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    good = _hmac(f"POST:{PATH}:{files.token_value}:{_sha(COMPACT)}:{TS}", files.secret_value)
    code, out, err = _run(
        capsys, "verify", "service", *_service_flags(files, "--body", PRETTY, "--signature", good)
    )
    assert code == 0
    assert "✓ valid" in out
    bad = _hmac(f"POST:{PATH}:{files.token_value}:{_sha(PRETTY)}:{TS}", files.secret_value)
    code, out, err = _run(
        capsys,
        "verify",
        "service",
        *_service_flags(files, "--body", PRETTY, "--signature", bad, "--json"),
    )
    assert code == 1
    data = _json(out)
    assert data["valid"] is False
    assert data["stringToSign"].count("********") == 1
    _no_secret(files, out, err)


def test_explain_service_names_the_mistake(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    bad = _hmac(f"POST:{PATH}:{files.token_value}:{_sha(PRETTY)}:{TS}", files.secret_value)
    flags = _service_flags(files, "--body", PRETTY, "--signature", bad)
    code, out, err = _run(capsys, "explain", "service", *flags)
    assert code == 1
    assert "PrettyBodyHashed" in out
    assert "minifiedBody" in out
    assert "pretty-printed" in out
    _no_secret(files, out, err)
    code, out, err = _run(capsys, "explain", "service", *flags, "--json")
    data = _json(out)
    assert data["valid"] is False
    assert data["mismatchAt"] == "minifiedBody"
    assert data["mistakes"] == ["PrettyBodyHashed"]
    assert "pretty" in data["hint"]
    for stage in ("minifiedBody", "bodySha256", "stringToSign", "signature"):
        assert stage in data
    assert data["sender"]["bodySha256"] == _sha(PRETTY)
    _no_secret(files, out, err)


def test_explain_bearer_mistake_never_prints_the_token(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    bad = _hmac(f"POST:{PATH}:Bearer {files.token_value}:{_sha('')}:{TS}", files.secret_value)
    for extra in ((), ("--json",)):
        code, out, err = _run(
            capsys, "explain", "service", *_service_flags(files, "--signature", bad, *extra)
        )
        assert code == 1
        assert "BearerInStringToSign" in out
        _no_secret(files, out, err)


def test_explain_wrong_secret_shows_fingerprint_only(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    bad = _hmac(f"POST:{PATH}:{files.token_value}:{_sha('')}:{TS}", "not-the-secret")
    code, out, err = _run(
        capsys, "explain", "service", *_service_flags(files, "--signature", bad, "--json")
    )
    assert code == 1
    data = _json(out)
    assert data["mistakes"] == ["WrongKeyOrSecret"]
    assert "credentials differ" in data["hint"]
    assert data["keyFingerprint"].startswith("secret-sha256:")
    _no_secret(files, out, err)


# --- --request ---------------------------------------------------------------------------


def _raw_request(files: Files, signature: str, *, crlf: bool, url: bool) -> bytes:
    target = f"https://merchants.sbx.midtrans.com{PATH}?lang=id" if url else f"{PATH}?lang=id"
    lines = [
        f"POST {target} HTTP/1.1",
        "Host: merchants.sbx.midtrans.com",
        "Content-Type: application/json",
        f"Authorization: Bearer {files.token_value}",
        f"X-TIMESTAMP: {TS}",
        f"X-SIGNATURE: {signature}",
        "X-PARTNER-ID: G123",
        "",
        "",
    ]
    nl = "\r\n" if crlf else "\n"
    return (nl.join(lines)).encode() + PRETTY.encode()


@pytest.mark.parametrize(("crlf", "url"), [(True, False), (False, True), (True, True)])
def test_explain_from_a_captured_request(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path, crlf: bool, url: bool
) -> None:
    # pretty body hashed and the query dropped: a pair of mistakes
    bad = _hmac(f"POST:{PATH}:{files.token_value}:{_sha(PRETTY)}:{TS}", files.secret_value)
    request = tmp_path / "request.http"
    request.write_bytes(_raw_request(files, bad, crlf=crlf, url=url))
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
    assert data["mistakes"] == ["PrettyBodyHashed", "QueryDropped"]
    assert data["path"] == PATH + "?lang=id"
    _no_secret(files, out, err)
    good = _hmac(
        f"POST:{PATH}?lang=id:{files.token_value}:{_sha(COMPACT)}:{TS}", files.secret_value
    )
    request.write_bytes(_raw_request(files, good, crlf=crlf, url=url))
    code, out, err = _run(
        capsys,
        "verify",
        "service",
        "--request",
        str(request),
        "--client-secret-file",
        str(files.secret),
    )
    assert code == 0, err
    _no_secret(files, out, err)


def test_explain_token_from_request(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    wrong_ts = "2024-03-05T10:37:16Z"
    raw = files.key.sign(f"G123-SNAP|{wrong_ts}".encode(), padding.PKCS1v15(), hashes.SHA256())
    request = tmp_path / "token.http"
    request.write_text(
        "POST /v1.0/access-token/b2b HTTP/1.1\n"
        f"X-TIMESTAMP: {TS}\nX-CLIENT-KEY: G123-SNAP\n"
        f"X-SIGNATURE: {base64.b64encode(raw).decode()}\n\n"
        '{"grantType":"client_credentials"}'
    )
    code, out, err = _run(
        capsys, "explain", "token", "--request", str(request), "--public-key", str(files.public_key)
    )
    assert code == 1, err
    assert "TimestampMismatch" in out
    assert wrong_ts in out
    assert fingerprint(files.key) in out


# --- token / notification with keys ---------------------------------------------------------


def test_sign_and_verify_token(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, out, _ = _run(
        capsys,
        "sign",
        "token",
        "--client-key",
        "G123-SNAP",
        "--timestamp",
        TS,
        "--private-key",
        str(files.private_key),
        "--json",
    )
    assert code == 0
    data = _json(out)
    raw = files.key.sign(f"G123-SNAP|{TS}".encode(), padding.PKCS1v15(), hashes.SHA256())
    assert data["signature"] == base64.b64encode(raw).decode()
    assert data["stringToSign"] == f"G123-SNAP|{TS}"
    assert data["keyFingerprint"] == fingerprint(files.key)
    assert "PRIVATE KEY" not in out
    verify = ["verify", "token", "--client-key", "G123-SNAP", "--timestamp", TS]
    code, out, _ = _run(
        capsys, *verify, "--signature", data["signature"], "--public-key", str(files.public_key)
    )
    assert code == 0
    code, out, _ = _run(
        capsys,
        *verify,
        "--signature",
        data["signature"],
        "--public-key",
        str(files.other_public_key),
    )
    assert code == 1


def test_sign_token_default_timestamp_is_now(
    capsys: pytest.CaptureFixture[str], files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BISNAP_PRIVATE_KEY", files.private_key.read_text())
    code, out, _ = _run(capsys, "sign", "token", "--client-key", "G1", "--json")
    assert code == 0
    assert _json(out)["stringToSign"].endswith("+07:00")


def test_notification_roundtrip_and_explain(
    capsys: pytest.CaptureFixture[str], files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    notify = "/v1.0/debit/notify"
    common = ["--path", notify, "--timestamp", TS, "--body", PRETTY]
    code, out, _ = _run(
        capsys, "sign", "notification", *common, "--private-key", str(files.private_key), "--json"
    )
    assert code == 0
    signature = _json(out)["signature"]
    monkeypatch.setenv("BISNAP_PUBLIC_KEY", str(files.public_key))  # a path works too
    code, out, _ = _run(capsys, "verify", "notification", *common, "--signature", signature)
    assert code == 0
    raw = files.key.sign(
        f"POST:{notify}:{_sha(PRETTY)}:{TS}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    code, out, _ = _run(
        capsys,
        "explain",
        "notification",
        *common,
        "--signature",
        base64.b64encode(raw).decode(),
        "--json",
    )
    assert code == 1
    assert _json(out)["mistakes"] == ["PrettyBodyHashed"]


# --- bad input: one line and a hint, exit 2 ---------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            [
                "verify",
                "token",
                "--client-key",
                "a",
                "--timestamp",
                TS,
                "--signature",
                "x",
                "--public-key",
                "/nonexistent/key.pem",
            ],
            "no such file",
        ),
        (["sign", "service", "--path", PATH, "--body", "a=1&b=2"], "not JSON"),
        (
            [
                "verify",
                "service",
                "--path",
                PATH,
                "--timestamp",
                "2024-03-05 17:37",
                "--signature",
                "x",
            ],
            "X-TIMESTAMP",
        ),
        (
            ["explain", "service", "--path", PATH, "--timestamp", TS, "--signature", "!!!"],
            "neither base64 nor hex",
        ),
        (["verify", "service", "--path", PATH, "--signature", "x"], "X-TIMESTAMP is missing"),
        (["explain", "service", "--path", PATH, "--timestamp", TS], "X-SIGNATURE is missing"),
        (["sign", "service", "--path", "https://h/v1.0/x"], "relative path"),
        (["explain", "token", "--request", "/nonexistent.http"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_a_hint(
    capsys: pytest.CaptureFixture[str], files: Files, argv: list[str], expected: str
) -> None:
    argv = [*argv]
    if argv[1] == "service":
        argv += ["--client-secret-file", str(files.secret), "--access-token-file", str(files.token)]
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
    assert err.startswith("bisnap: error: ")
    _no_secret(files, out, err)


def test_key_of_the_wrong_kind(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, out, err = _run(
        capsys, "sign", "token", "--client-key", "a", "--private-key", str(files.public_key)
    )
    assert code == 2
    assert not out
    assert "not a private key" in err
    assert "hint:" in err


def test_missing_secret_file_does_not_echo_the_path(
    capsys: pytest.CaptureFixture[str], files: Files
) -> None:
    code, out, err = _run(
        capsys,
        "sign",
        "service",
        "--path",
        PATH,
        "--access-token-file",
        str(files.token),
        "--client-secret-file",
        files.secret_value,  # a secret pasted where its file belongs
    )
    assert code == 2
    assert "--client-secret-file" in err
    _no_secret(files, out, err)


def test_unexpected_error_is_one_line_please_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> int:
        raise RuntimeError("internal detail")

    monkeypatch.setattr("bisnap.cli._token._inspect", boom)
    monkeypatch.setenv("BISNAP_ACCESS_TOKEN", "x")
    code, _, err = _run(capsys, "token", "inspect")
    assert code == 2
    assert "please report" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


# --- output: colour --------------------------------------------------------------------------


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_tty_without_no_color() -> None:
    assert Printer.for_stream(_Tty(), {}).colour
    assert not Printer.for_stream(_Tty(), {"NO_COLOR": "1"}).colour
    assert not Printer.for_stream(io.StringIO(), {}).colour
    stream = _Tty()
    Printer.for_stream(stream, {}).stage("result", "ok", code="32")
    assert "\033[32m" in stream.getvalue()


def test_no_colour_in_captured_output(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    _, out, _ = _run(capsys, "sign", "service", *_service_flags(files))
    assert "\033[" not in out


# --- keys ----------------------------------------------------------------------------------


def test_keys_generate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = _run(capsys, "keys", "generate", "--out-dir", str(tmp_path), "--json")
    assert code == 0
    data = _json(out)
    private, public = Path(data["privateKey"]), Path(data["publicKey"])
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    desc = describe_key(private.read_bytes())
    assert (desc.format, desc.bits) == ("pkcs8", 2048)
    assert data["fingerprint"] == desc.fingerprint
    assert "PRIVATE KEY" not in out + err
    # never overwrite silently
    code, _, err = _run(capsys, "keys", "generate", "--out-dir", str(tmp_path))
    assert code == 2
    assert "exists" in err


def test_keys_generate_refuses_small_keys(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = _run(capsys, "keys", "generate", "--out-dir", str(tmp_path), "--bits", "1024")
    assert code == 2
    assert "2048" in err


def test_keys_inspect_and_match(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, out, _ = _run(capsys, "keys", "inspect", str(files.private_key), "--json")
    assert code == 0
    data = _json(out)
    assert data["keys"][0]["fingerprint"] == fingerprint(files.key)
    assert "MII" not in out
    code, out, _ = _run(capsys, "keys", "inspect", str(files.private_key), str(files.public_key))
    assert code == 0
    assert "same key pair" in out
    code, out, _ = _run(
        capsys, "keys", "inspect", str(files.private_key), str(files.other_public_key)
    )
    assert code == 1
    assert "NOT" in out


@pytest.mark.parametrize(
    ("target", "begins"),
    [
        ("pkcs1", b"-----BEGIN RSA PRIVATE KEY-----"),
        ("pkcs8", b"-----BEGIN PRIVATE KEY-----"),
        ("spki", b"-----BEGIN PUBLIC KEY-----"),
        ("der", b"\x30"),
        ("env", b"-----BEGIN PRIVATE KEY-----\\n"),
    ],
)
def test_keys_convert(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path, target: str, begins: bytes
) -> None:
    out_file = tmp_path / f"out.{target}"
    code, out, _ = _run(
        capsys, "keys", "convert", str(files.private_key), "--to", target, "--out", str(out_file)
    )
    assert code == 0
    data = out_file.read_bytes()
    assert data.startswith(begins)
    assert describe_key(data).fingerprint == fingerprint(files.key)
    if target != "spki":
        assert stat.S_IMODE(os.stat(out_file).st_mode) == 0o600
    if target == "env":
        assert data.count(b"\n") == 1
    assert "MII" not in out


def test_keys_convert_public_and_stdout(capsys: pytest.CaptureFixture[str], files: Files) -> None:
    code, out, _ = _run(
        capsys, "keys", "convert", str(files.public_key), "--to", "pkcs1", "--out", "-"
    )
    assert code == 0
    assert out.startswith("-----BEGIN RSA PUBLIC KEY-----")
    loaded = serialization.load_pem_public_key(out.encode())
    assert fingerprint(loaded) == fingerprint(files.key)  # type: ignore[arg-type]
    code, out, err = _run(
        capsys, "keys", "convert", str(files.private_key), "--to", "pkcs1", "--out", "-"
    )
    assert code == 2
    assert "never written to stdout" in err
    assert "PRIVATE" not in out
    code, _, err = _run(
        capsys, "keys", "convert", str(files.public_key), "--to", "pkcs8", "--out", "-"
    )
    assert code == 2
    assert "PKCS#8" in err


# --- token inspect ---------------------------------------------------------------------------


def test_token_inspect_jwt(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    token = jwt.encode(
        {"iss": "midtrans", "sub": "G123-SNAP", "exp": 1709635936, "iat": 1709635036},
        "k" * 32,
        algorithm="HS256",
    )
    path = tmp_path / "token.txt"
    path.write_text(token)
    argv = ["token", "inspect", "--token-file", str(path), "--now", TS]
    code, out, err = _run(capsys, *argv)
    assert code == 0
    assert "NOT verified" in out
    assert "midtrans" in out
    assert "G123-SNAP" in out
    assert "15m00s" in out
    assert token not in out + err
    code, out, _ = _run(capsys, *argv, "--json")
    data = _json(out)
    assert data["jwt"] is True
    assert data["verified"] is False
    assert data["secondsLeft"] == 900
    assert data["exp"] == "2024-03-05T10:52:16+00:00"
    assert token not in out


def test_token_inspect_expired_and_opaque(
    capsys: pytest.CaptureFixture[str], files: Files, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = jwt.encode({"exp": 1709635036 - 60}, "k" * 32, algorithm="HS256")
    monkeypatch.setenv("BISNAP_ACCESS_TOKEN", token)
    code, out, _ = _run(capsys, "token", "inspect", "--now", TS)
    assert code == 0
    assert "expired 1m00s ago" in out
    code, out, err = _run(capsys, "token", "inspect", "--token-file", str(files.token))
    assert code == 0
    assert "opaque" in out
    _no_secret(files, out, err)


def test_token_inspect_without_token(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "token", "inspect")
    assert code == 2
    assert "BISNAP_ACCESS_TOKEN" in err


# --- vectors check ---------------------------------------------------------------------------


def test_vectors_check_all_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "vectors", "check")
    last = out.strip().splitlines()[-1]
    assert last.endswith(" passed, 0 failed"), out
    assert int(last.split()[0]) > 300
    assert code == 0, err


def test_vectors_check_explicit_file_and_a_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = Path(__file__).resolve().parents[2] / "vectors" / "service_hmac_verify.json"
    data = json.loads(source.read_text("utf-8"))
    code, out, _ = _run(capsys, "vectors", "check", str(source))
    assert code == 0
    n = sum(len(g["tests"]) for g in data["testGroups"])
    assert out.strip().splitlines()[-1] == f"{n} passed, 0 failed"
    # break one valid case: its signature no longer matches
    test = next(t for g in data["testGroups"] for t in g["tests"] if t["result"] == "valid")
    test["stringToSign"] = test["stringToSign"] + "x"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(data))
    code, out, _ = _run(capsys, "vectors", "check", str(broken))
    assert code == 1
    assert out.strip().splitlines()[-1] == f"{n - 1} passed, 1 failed"
    assert f"tcId {test['tcId']}" in out


def test_vectors_check_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "vectors", "check", "/nonexistent/vectors.json")
    assert code == 2
    assert "no such vector file" in err


# --- demo still works -------------------------------------------------------------------------


def test_demo_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "demo")
    assert code == 0
    assert out


def test_weak_provider_key_verifies_with_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    vectors = Path(__file__).resolve().parents[2] / "vectors"
    data = json.loads((vectors / "service_rsa_verify.json").read_text("utf-8"))
    group = next(g for g in data["testGroups"] if g.get("keySize") == 1024)
    test = group["tests"][0]
    argv = [
        "verify",
        "notification",
        "--method",
        test["method"],
        "--path",
        test["path"],
        "--timestamp",
        test["timestamp"],
        "--signature",
        test["signature"],
    ]
    if test.get("body") is not None:
        argv += ["--body", test["body"]]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BISNAP_PUBLIC_KEY", group["publicKeyPem"])
        code, out, err = _run(capsys, *argv)
    assert code == 0, err
    assert "✓ valid" in out
    assert "bisnap: warning:" in err
    assert "1024 bits" in err


# --- version, suggestions, ranges, hostile argv ----------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import bisnap

    code, out, _ = _run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"bisnap {bisnap.__version__}"


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["sing", "service"], "'sign'"),
        (["sign", "servise"], "'service'"),
        (["sign", "service", "--bodyy", "{}"], "'--body'"),
        (["keys", "genrate"], "'generate'"),
    ],
)
def test_did_you_mean(capsys: pytest.CaptureFixture[str], argv: list[str], suggestion: str) -> None:
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert f"did you mean {suggestion}" in err


@pytest.mark.parametrize("bits", ["1024", "8193", "16384", "big", "²"])
def test_keys_generate_bits_range(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bits: str
) -> None:
    code, _, err = _run(capsys, "keys", "generate", "--out-dir", str(tmp_path), "--bits", bits)
    assert code == 2
    assert "internal error" not in err
    assert not list(tmp_path.iterdir())


def test_missing_secret_file_that_reads_as_a_path_is_named(
    capsys: pytest.CaptureFixture[str], files: Files, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nowhere" / "secret.txt")
    code, _, err = _run(
        capsys,
        "sign",
        "service",
        "--path",
        PATH,
        "--access-token-file",
        str(files.token),
        "--client-secret-file",
        missing,
    )
    assert code == 2
    assert missing in err


def test_missing_key_path_in_the_environment_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BISNAP_PRIVATE_KEY", "creds/partner.pem")
    code, _, err = _run(capsys, "sign", "token", "--client-key", "G1")
    assert code == 2
    assert "creds/partner.pem" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["sign", b"\xff\xfe".decode("utf-8", "surrogateescape")],
        ["sign", "service", "--path", b"/v1.0/\xff".decode("utf-8", "surrogateescape")],
        ["sign", "token", "--client-key", b"G\xc3".decode("utf-8", "surrogateescape")],
        ["verify", "service", "--body", b'{"a": "\xff"}'.decode("utf-8", "surrogateescape")],
        ["keys", "inspect", b"/tmp/\xff.pem".decode("utf-8", "surrogateescape")],
        ["sign", "service", "--timestamp", "9999-12-31T23:59:59-07:00"],
        # found by benchmarks/fuzz.py: a body and timestamp of control bytes and surrogates
        ["sign", "service", "--body", "\x02e\udcd02\udca7\x08VGS\udc87F", "--timestamp", "\x02e"],
        ["sign", "service", "--body", "\ud800" * 100, "--path", "/x" + "\ud800" * 300],
    ],
)
def test_non_utf8_argv_is_never_an_internal_error(
    capsys: pytest.CaptureFixture[str], files: Files, argv: list[str]
) -> None:
    extra = ["--access-token-file", str(files.token), "--client-secret-file", str(files.secret)]
    if argv[:2] == ["sign", "token"]:
        extra = ["--private-key", str(files.private_key)]
    elif argv[0] == "keys" or len(argv) < 3:
        extra = []
    code, out, err = _run(capsys, *argv, *extra)
    assert code in (0, 1, 2)
    assert "internal error" not in err
    (out + err).encode("utf-8")  # printable: lone surrogates were escaped
