"""The installed `bisnap` console script, run in a subprocess."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Files

SCRIPT = Path(sys.executable).parent / "bisnap"
TS = "2024-03-05T17:37:16+07:00"


def _bisnap(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    assert SCRIPT.is_file(), (
        f"{SCRIPT} is missing: install the package with `pip install -e . --no-deps`"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith("BISNAP_")}
    return subprocess.run(
        [str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**base, **(env or {})},
        check=False,
    )


def test_help_and_exit_codes() -> None:
    done = _bisnap("--help")
    assert done.returncode == 0
    assert "exit codes: 0 ok/valid, 1 signature invalid, 2 usage or input error" in done.stdout


def test_explain_from_stdin_request_with_env_secret(files: Files) -> None:
    body = '{\n  "amount": "1.00"\n}'
    sts = f"POST:/v1.0/debit/status:{files.token_value}:"
    sts += hashlib.sha256(body.encode()).hexdigest() + f":{TS}"
    mac = hmac.new(files.secret_value.encode(), sts.encode(), hashlib.sha512).digest()
    request = files.secret.parent / "req.http"
    request.write_bytes(
        (
            "POST /v1.0/debit/status HTTP/1.1\r\n"
            f"Authorization: Bearer {files.token_value}\r\n"
            f"X-TIMESTAMP: {TS}\r\nX-SIGNATURE: {base64.b64encode(mac).decode()}\r\n\r\n"
        ).encode()
        + body.encode()
    )
    done = _bisnap(
        "explain",
        "service",
        "--request",
        str(request),
        "--json",
        env={"BISNAP_CLIENT_SECRET": files.secret_value},
    )
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["mistakes"] == ["PrettyBodyHashed"]
    for text in (done.stdout, done.stderr):
        assert files.secret_value not in text
        assert files.token_value not in text


def test_secret_on_argv_is_refused(files: Files) -> None:
    done = _bisnap("sign", "service", "--client-secret", files.secret_value)
    assert done.returncode == 2
    assert "--client-secret is not accepted" in done.stderr
    assert files.secret_value not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_bad_input_has_no_traceback(tmp_path: Path) -> None:
    done = _bisnap("keys", "inspect", str(tmp_path / "missing.pem"))
    assert done.returncode == 2
    assert done.stderr.startswith("bisnap: error: ")
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_vectors_check_ends_with_the_count() -> None:
    done = _bisnap("vectors", "check")
    last = done.stdout.strip().splitlines()[-1]
    assert last.endswith(" passed, 0 failed"), done.stdout[-2000:]
    assert done.returncode == 0
