"""Fixtures of the debugger tests: a real `bisnap debug` process, captured requests with
known mistakes built from raw `hmac`/`hashlib`/`cryptography` (never through bisnap), and
one headless Debian chromium shared by the browser tests.

If `chromium` or `chromedriver` is missing the browser fixture FAILS (never skips): run
`tools/setup`, which installs Debian's `chromium` and `chromium-driver`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

#: Sentinels: they must never appear in a page, a response or the server's log.
SECRET = "SENTINEL-debug-secret-5be01c"
TOKEN = "SENTINEL-debug-token-93ad7f11"

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

PATH = "/v1.0/transfer-va/create-va"
TIMESTAMP = "2024-03-05T17:37:16+07:00"
#: The same instant as TIMESTAMP, in UTC: what a sender who signs `Z` time signs.
TIMESTAMP_UTC = "2024-03-05T10:37:16Z"
#: Sent as is; one space after the comma is outside the strings.
BODY = b'{"partnerServiceId":"   70012","customerNo":"0000001", "trxId":"order-1/a"}'
#: What the provider hashes: BODY without the space outside strings (written by hand).
MINIFIED = b'{"partnerServiceId":"   70012","customerNo":"0000001","trxId":"order-1/a"}'
#: The first byte where BODY and MINIFIED differ.
PRETTY_OFFSET = BODY.index(b', "') + 1


def hmac_signature(string_to_sign: str, secret: str = SECRET) -> str:
    """Base64 HMAC-SHA512, computed with the standard library."""
    mac = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha512).digest()
    return base64.b64encode(mac).decode()


def rsa_signature(string_to_sign: str, key: rsa.RSAPrivateKey) -> str:
    """Base64 SHA256withRSA (PKCS#1 v1.5), computed with `cryptography`."""
    raw = key.sign(string_to_sign.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """The SPKI PEM of `key`'s public half."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def captured(head: list[str], body: bytes | None, *, crlf: bool = True, curl: bool = False) -> str:
    """A captured request as text: request line and headers, a blank line, the body."""
    lines = [f"> {line}" if curl else line for line in head]
    end = "\r\n" if crlf else "\n"
    text = end.join(lines) + end + (">" if curl else "") + end
    return text + (body or b"").decode()


def pretty_hashed_service_request(*, crlf: bool = True) -> str:
    """An HMAC service request whose sender hashed the body as sent (not minified)."""
    digest = hashlib.sha256(BODY).hexdigest()
    signature = hmac_signature(f"POST:{PATH}:{TOKEN}:{digest}:{TIMESTAMP}")
    head = [
        f"POST {PATH} HTTP/1.1",
        "Host: merchants.sbx.midtrans.com",
        "Content-Type: application/json",
        f"Content-Length: {len(BODY)}",
        f"X-TIMESTAMP: {TIMESTAMP}",
        f"X-SIGNATURE: {signature}",
        f"Authorization: Bearer {TOKEN}",
        "X-PARTNER-ID: G000000001",
    ]
    return captured(head, BODY, crlf=crlf)


def utc_signed_notification(key: rsa.RSAPrivateKey, *, prefix: str = "") -> str:
    """A notification whose sender signed the UTC spelling of the X-TIMESTAMP it sent."""
    digest = hashlib.sha256(MINIFIED).hexdigest()
    signature = rsa_signature(f"POST:{PATH}:{digest}:{TIMESTAMP_UTC}", key)
    head = [
        f"POST {prefix}{PATH} HTTP/1.1",
        "Host: shop.example",
        "Content-Type: application/json",
        f"X-TIMESTAMP: {TIMESTAMP}",
        f"X-SIGNATURE: {signature}",
    ]
    return captured(head, MINIFIED, crlf=False)


@dataclass
class DebugServer:
    """A running `bisnap debug --port P` process and everything it printed."""

    process: subprocess.Popen[str]
    url: str
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        """`127.0.0.1:PORT`: the only Host header the debugger accepts."""
        return f"127.0.0.1:{self.port}"

    def log(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return "".join(self.lines)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="session")
def debug_server() -> Iterator[DebugServer]:
    """`bisnap debug --port P` in a subprocess (as a user starts it), for the session."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bisnap", "debug", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("BISNAP_")},
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    if "http://" not in first:
        process.kill()
        rest = process.stdout.read()
        pytest.fail(f"bisnap debug did not print its URL: {first!r} {rest[-2000:]!r}")
    url = first.split("http://", 1)[1].split()[0].rstrip("/")
    server = DebugServer(process, "http://" + url, port, [first])
    stream = process.stdout

    def drain() -> None:
        for line in stream:
            server.lines.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    yield server
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    reader.join(timeout=10)
    stream.close()


@pytest.fixture(scope="session")
def signer_key() -> rsa.RSAPrivateKey:
    """The sender's RSA key (notifications, access-token requests)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go (pytest's tmp dir: never committed)."""
    return tmp_path_factory.mktemp("debugger-screenshots")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Debian chromium for every browser test (selenium-manager never runs)."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if shutil.which(p) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: the debugger's browser tests need Debian's "
            "chromium and chromium-driver; run tools/setup (apt-get install chromium "
            "chromium-driver)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-extensions",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
