"""`bisnap debug` over real HTTP: the contract JSON, the refusals, and no secret anywhere."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from bisnap.cli import main
from bisnap.debugger.guard import LoopbackGuard
from bisnap.debugger.view import escape_bytes, first_difference

from .conftest import (
    BODY,
    MINIFIED,
    PATH,
    PRETTY_OFFSET,
    SECRET,
    TIMESTAMP,
    TOKEN,
    DebugServer,
    captured,
    pretty_hashed_service_request,
    public_pem,
    rsa_signature,
    utc_signed_notification,
)


def post(server: DebugServer, name: str, payload: Any, **headers: str) -> httpx.Response:
    """POST JSON to the debugger's API as a non-browser client would."""
    return httpx.post(f"{server.url}/api/{name}", json=payload, headers=headers, timeout=60)


def cli_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict[str, Any]:
    """What `bisnap ARGV --json` prints."""
    capsys.readouterr()
    main([*argv, "--json"])
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def cli_explain(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    kind: str,
    request: str,
    key_option: str,
    key: str,
) -> dict[str, Any]:
    """What `bisnap explain KIND --request FILE KEY_OPTION FILE --json` prints."""
    (tmp_path / "captured.http").write_text(request, newline="")
    (tmp_path / "key").write_text(key)
    return cli_json(
        capsys,
        [
            "explain",
            kind,
            "--request",
            str(tmp_path / "captured.http"),
            key_option,
            str(tmp_path / "key"),
        ],
    )


#: Keys whose value is a measurement of the run (the search's time), not of the inputs.
_MEASURED = {"elapsedMs"}


def comparable(data: dict[str, Any]) -> dict[str, Any]:
    """`data` without the keys that differ from one run to the next."""
    return {k: v for k, v in data.items() if k not in _MEASURED}


def no_secret(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text


# --- the contract: the same JSON as `bisnap explain … --json` ---------------------------


def test_explain_service_is_the_cli_json(
    debug_server: DebugServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = pretty_hashed_service_request()
    response = post(
        debug_server, "explain", {"kind": "service", "request": request, "clientSecret": SECRET}
    )
    assert response.status_code == 200, response.text
    no_secret(response.text)
    expected = cli_explain(capsys, tmp_path, "service", request, "--client-secret-file", SECRET)
    data = response.json()
    assert comparable(data) == comparable(expected)
    assert data["valid"] is False
    assert data["mismatchAt"] == "minifiedBody"
    assert "PrettyBodyHashed" in data["mistakes"]


def test_explain_notification_is_the_cli_json(
    debug_server: DebugServer,
    signer_key: rsa.RSAPrivateKey,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    request = utc_signed_notification(signer_key)
    pem = public_pem(signer_key)
    response = post(
        debug_server, "explain", {"kind": "notification", "request": request, "publicKey": pem}
    )
    assert response.status_code == 200, response.text
    expected = cli_explain(capsys, tmp_path, "notification", request, "--public-key", pem)
    assert comparable(response.json()) == comparable(expected)
    assert response.json()["mistakes"] == ["TimestampMismatch"]
    assert response.json()["mismatchAt"] == "stringToSign"


def test_explain_token_is_the_cli_json(
    debug_server: DebugServer,
    signer_key: rsa.RSAPrivateKey,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signature = rsa_signature(f"G123-SNAP|{TIMESTAMP}", other)
    request = captured(
        [
            "POST /v1.0/access-token/b2b HTTP/1.1",
            "X-CLIENT-KEY: G123-SNAP",
            f"X-TIMESTAMP: {TIMESTAMP}",
            f"X-SIGNATURE: {signature}",
        ],
        b'{"grantType":"client_credentials"}',
    )
    pem = public_pem(signer_key)
    # kind left out: detected from the access-token path.
    response = post(debug_server, "explain", {"request": request, "publicKey": pem})
    assert response.status_code == 200, response.text
    expected = cli_explain(capsys, tmp_path, "token", request, "--public-key", pem)
    assert comparable(response.json()) == comparable(expected)
    assert response.json()["mistakes"] == ["WrongKeyOrSecret"]


def test_path_prefix_makes_a_genuine_notification_valid(
    debug_server: DebugServer, signer_key: rsa.RSAPrivateKey
) -> None:
    digest = hashlib.sha256(MINIFIED).hexdigest()
    signature = rsa_signature(f"POST:{PATH}:{digest}:{TIMESTAMP}", signer_key)
    request = captured(
        [
            f"POST /hooks{PATH} HTTP/1.1",
            f"X-TIMESTAMP: {TIMESTAMP}",
            f"X-SIGNATURE: {signature}",
        ],
        MINIFIED,
    )
    payload = {"kind": "notification", "request": request, "publicKey": public_pem(signer_key)}
    assert post(debug_server, "explain", payload).json()["valid"] is False
    fixed = post(debug_server, "explain", {**payload, "pathPrefix": "/hooks"})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["valid"] is True


def test_curl_lf_and_crlf_captures_give_the_same_answer(debug_server: DebugServer) -> None:
    answers = []
    for crlf in (True, False):
        request = pretty_hashed_service_request(crlf=crlf)
        response = post(debug_server, "explain", {"request": request, "clientSecret": SECRET})
        answers.append(response.json())
    text = pretty_hashed_service_request(crlf=False)
    head = text.split("\n\n", 1)[0].split("\n")
    # curl -v prints the head with "> " and no body: the user pastes it after a blank line.
    curl_v = "\n".join("> " + line for line in head) + "\n>\n\n" + BODY.decode()
    response = post(debug_server, "explain", {"request": curl_v, "clientSecret": SECRET})
    answers.append(response.json())
    assert comparable(answers[0]) == comparable(answers[1]) == comparable(answers[2])


# --- the page's view ----------------------------------------------------------------------


def test_debug_view_first_differing_byte_and_corrected_curl(debug_server: DebugServer) -> None:
    request = pretty_hashed_service_request()
    response = post(debug_server, "debug", {"request": request, "clientSecret": SECRET})
    assert response.status_code == 200, response.text
    no_secret(response.text)
    view = response.json()
    assert view["kind"] == "service"
    rows = {row["stage"]: row for row in view["stages"]}
    body = rows["minifiedBody"]
    assert body["offset"] == PRETTY_OFFSET
    assert body["senderContext"]["at"] == " "
    assert body["providerContext"]["at"] == '"'
    assert rows["stringToSign"]["offset"] is not None
    # the token is hidden by stars of its own length: offsets stay true.
    assert "*" * len(TOKEN) in rows["stringToSign"]["provider"]
    # The corrected request carries the signature the provider computes (raw hmac).
    digest = hashlib.sha256(MINIFIED).hexdigest()
    import hmac as std_hmac

    good = base64.b64encode(
        std_hmac.new(
            SECRET.encode(), f"POST:{PATH}:{TOKEN}:{digest}:{TIMESTAMP}".encode(), "sha512"
        ).digest()
    ).decode()
    command = view["curl"]["command"]
    assert good in command
    assert "$BISNAP_ACCESS_TOKEN" in command
    assert "https://merchants.sbx.midtrans.com" + PATH in command


def test_sign_gives_the_headers(debug_server: DebugServer) -> None:
    request = captured([f"POST {PATH} HTTP/1.1", f"Authorization: Bearer {TOKEN}"], BODY)
    payload = {"request": request, "clientSecret": SECRET, "timestamp": TIMESTAMP}
    response = post(debug_server, "sign", payload)
    assert response.status_code == 200, response.text
    no_secret(response.text)
    digest = hashlib.sha256(MINIFIED).hexdigest()
    import hmac as std_hmac

    expected = base64.b64encode(
        std_hmac.new(
            SECRET.encode(), f"POST:{PATH}:{TOKEN}:{digest}:{TIMESTAMP}".encode(), "sha512"
        ).digest()
    ).decode()
    assert response.json()["headers"]["X-SIGNATURE"] == expected
    assert response.json()["headers"]["X-TIMESTAMP"] == TIMESTAMP


def test_verify(debug_server: DebugServer) -> None:
    request = pretty_hashed_service_request()
    response = post(debug_server, "verify", {"request": request, "clientSecret": SECRET})
    assert response.status_code == 200, response.text
    no_secret(response.text)
    assert response.json()["valid"] is False
    assert response.json()["mismatchAt"] == "signature"


def test_inspect_key_and_token_never_echo_them(
    debug_server: DebugServer, signer_key: rsa.RSAPrivateKey
) -> None:
    from cryptography.hazmat.primitives import serialization

    private = signer_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    response = post(debug_server, "inspect-key", {"pem": private})
    assert response.status_code == 200, response.text
    spki = signer_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert response.json()["fingerprint"] == "SHA256:" + hashlib.sha256(spki).hexdigest()
    assert response.json()["kind"] == "private"
    assert private.splitlines()[1] not in response.text
    token = jwt.encode({"iss": "midtrans", "exp": 4102444800}, "k" * 32, algorithm="HS256")
    answer = post(debug_server, "inspect-token", {"token": token})
    assert answer.status_code == 200, answer.text
    assert answer.json()["iss"] == "midtrans"
    assert answer.json()["verified"] is False
    assert token not in answer.text


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "localhost:1", "0:{port}"])
def test_foreign_host_is_refused(debug_server: DebugServer, host: str) -> None:
    header = host.format(port=debug_server.port)
    page = httpx.get(debug_server.url + "/", headers={"Host": header})
    assert page.status_code == 421
    api = post(debug_server, "explain", {}, Host=header)
    assert api.status_code == 421
    assert httpx.get(debug_server.url + "/").status_code == 200


def test_foreign_origin_and_cross_site_posts_are_refused(debug_server: DebugServer) -> None:
    payload = {"request": pretty_hashed_service_request(), "clientSecret": SECRET}
    for headers in (
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Origin": f"http://localhost:{debug_server.port}"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        response = post(debug_server, "explain", payload, **headers)
        assert response.status_code == 403, headers
        no_secret(response.text)
    own = post(debug_server, "explain", payload, Origin=debug_server.url)
    assert own.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None],
)
def test_api_accepts_only_json(debug_server: DebugServer, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    body = json.dumps({"request": pretty_hashed_service_request(), "clientSecret": SECRET})
    response = httpx.post(f"{debug_server.url}/api/explain", content=body, headers=headers)
    assert response.status_code == 415
    no_secret(response.text)


def test_bad_input_is_a_typed_error_without_secrets(debug_server: DebugServer) -> None:
    cases: list[Any] = [
        [1, 2],
        {"kind": "bogus"},
        {"kind": "service", "request": "not a request line at all\n\n"},
        {"kind": "service", "request": pretty_hashed_service_request()},
        {"kind": "service", "request": pretty_hashed_service_request(), "clientSecret": 5},
        {"kind": "notification", "request": "POST /x HTTP/1.1\n\n", "publicKey": SECRET},
    ]
    for payload in cases:
        response = post(debug_server, "explain", payload)
        assert response.status_code == 400, (payload, response.text)
        assert response.json()["error"]
        assert response.json()["type"] != "Internal"
        no_secret(response.text)
    raw = httpx.post(
        f"{debug_server.url}/api/explain",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert raw.status_code == 400


def test_page_and_headers(debug_server: DebugServer) -> None:
    page = httpx.get(debug_server.url + "/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    for name in ("/debugger.js", "/debugger.css"):
        assert httpx.get(debug_server.url + name).status_code == 200
    # No external resource: no scheme-qualified URL in the page's own files.
    for name in ("/", "/debugger.js", "/debugger.css"):
        text = httpx.get(debug_server.url + name).text
        assert "https://" not in text
        assert "http://" not in text


def test_server_log_holds_no_secret(debug_server: DebugServer) -> None:
    payload = {"request": pretty_hashed_service_request(), "clientSecret": SECRET}
    post(debug_server, "debug", payload)
    post(debug_server, "sign", payload)
    post(debug_server, "explain", {"request": 5, "clientSecret": SECRET})
    log = debug_server.log()
    assert "POST /api/debug" in log  # the access log is there, and it is clean
    no_secret(log)


# --- pure helpers -------------------------------------------------------------------------


def test_first_difference_and_escape() -> None:
    assert first_difference(b"abc", b"abc") is None
    assert first_difference(b"abc", b"abd") == 2
    assert first_difference(b"ab", b"abc") == 2
    assert escape_bytes(b'a\n\r\t\\\x00\xc3\xa9"') == 'a\\n\\r\\t\\\\\\x00\\xc3\\xa9"'


def test_guard_refusals_without_a_server() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("not reached")

    guard = LoopbackGuard(app, host="127.0.0.1:9")
    ok = [(b"host", b"127.0.0.1:9"), (b"content-type", b"application/json; charset=utf-8")]
    assert guard.refusal("POST", ok) is None
    assert guard.refusal("GET", [(b"host", b"127.0.0.1:9")]) is None
    assert guard.refusal("GET", []) is not None
    assert guard.refusal("GET", [(b"host", b"127.0.0.1:9"), (b"host", b"127.0.0.1:9")])
    refused = guard.refusal("POST", [*ok, (b"origin", b"http://127.0.0.1:9.evil")])
    assert refused is not None and refused[0] == 403
    two_types = [*ok, (b"content-type", b"text/plain")]
    refused = guard.refusal("POST", two_types)
    assert refused is not None and refused[0] == 415


def test_detect_kind_from_path_and_headers() -> None:
    from bisnap.debugger.inputs import read_inputs

    token = captured(["POST /snap/v1.0/access-token/b2b HTTP/1.1", "X-CLIENT-KEY: k"], None)
    service = captured([f"POST {PATH} HTTP/1.1", f"Authorization: Bearer {TOKEN}"], BODY)
    notification = captured([f"POST {PATH} HTTP/1.1", "X-TIMESTAMP: t"], BODY)
    assert read_inputs({"request": token}).kind == "token"
    assert read_inputs({"request": service}).kind == "service"
    assert read_inputs({"request": notification}).kind == "notification"
    assert read_inputs({"request": notification, "clientSecret": SECRET}).kind == "service"
    assert read_inputs({"request": service, "kind": "notification"}).kind == "notification"
    assert SECRET not in repr(read_inputs({"request": service, "clientSecret": SECRET}))
    assert TOKEN not in repr(read_inputs({"request": service}))


def test_debug_on_a_busy_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        assert main(["debug", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "hint: Pick another --port" in err
    assert main(["debug", "--port", "70000"]) == 2


def test_corrected_curl_signed_with_a_pasted_private_key(
    debug_server: DebugServer, signer_key: rsa.RSAPrivateKey
) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    private = signer_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    request = utc_signed_notification(signer_key).replace(
        "Host: shop.example", "Host: shop.example\nAuthorization-Customer: Bearer " + TOKEN
    )
    payload = {"request": request, "publicKey": public_pem(signer_key)}
    unsigned = post(debug_server, "debug", payload).json()["curl"]
    assert '"X-SIGNATURE: $SIGNATURE"' in unsigned["command"]
    assert "bisnap sign notification" in unsigned["note"]
    view = post(debug_server, "debug", {**payload, "privateKey": private})
    assert view.status_code == 200, view.text
    no_secret(view.text)
    command = view.json()["curl"]["command"]
    assert "Authorization-Customer" in view.json()["curl"]["note"]
    signature = command.split('"X-SIGNATURE: ', 1)[1].split('"', 1)[0]
    digest = hashlib.sha256(MINIFIED).hexdigest()
    signer_key.public_key().verify(
        base64.b64decode(signature),
        f"POST:{PATH}:{digest}:{TIMESTAMP}".encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def test_fields_one_by_one_and_a_valid_signature(debug_server: DebugServer) -> None:
    digest = hashlib.sha256(MINIFIED).hexdigest()
    import hmac as std_hmac

    mac = std_hmac.new(
        SECRET.encode(), f"GET:{PATH}?a=1:{TOKEN}:{digest}:{TIMESTAMP}".encode(), "sha512"
    ).digest()
    payload = {
        "kind": "service",
        "method": "GET",
        "path": PATH + "?a=1",
        "body": BODY.decode(),
        "timestamp": TIMESTAMP,
        "signature": mac.hex(),
        "accessToken": "Bearer " + TOKEN,
        "clientSecret": SECRET,
    }
    view = post(debug_server, "debug", payload)
    assert view.status_code == 200, view.text
    no_secret(view.text)
    data = view.json()
    assert data["explanation"]["valid"] is True
    assert data["explanation"]["mistakes"] == ["HexInsteadOfBase64"]
    assert [row["offset"] for row in data["stages"][:3]] == [None, None, None]
    assert data["request"] is None
    assert "https://PROVIDER_HOST" + PATH + "?a=1" in data["curl"]["command"]
