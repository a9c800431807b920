"""Run the python blocks of docs/notifications.md, then drive their apps further.

Each block is self-contained (it ends with its own "try it" asserts); the tests below take
the `app` each block built and check what the docs promise with the framework's test client.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

import bisnap

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 behind its TestClient and warns when it finds httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

DOC = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks() -> list[str]:
    """The python blocks of the document, in order."""
    return _BLOCK.findall(DOC.read_text(encoding="utf-8"))


def run_block(marker: str) -> dict[str, Any]:
    """Execute the one block containing `marker`; return its namespace."""
    (source,) = [b for b in blocks() if marker in b]
    namespace: dict[str, Any] = {"__name__": "docs_notifications"}
    exec(compile(source, f"{DOC.name}:{marker}", "exec"), namespace)  # noqa: S102 - our docs
    return namespace


def sign(ns: dict[str, Any], path: str, body: bytes, external: str) -> dict[str, str]:
    """Headers of a notification signed with the block's stand-in Midtrans key."""
    timestamp = bisnap.format_timestamp(ns["clock"].now())
    trace = bisnap.sign_service_asymmetric(
        method="POST",
        path=path,
        body=body,
        timestamp=timestamp,
        private_key=ns["midtrans"].private_key,
    )
    return {
        "Content-Type": "application/json",
        "X-TIMESTAMP": timestamp,
        "X-SIGNATURE": trace.signature,
        "X-PARTNER-ID": "G123456789",
        "X-EXTERNAL-ID": external,
    }


def test_every_block_runs() -> None:
    sources = blocks()
    assert len(sources) == 3
    for source in sources:
        namespace: dict[str, Any] = {"__name__": "docs_notifications"}
        exec(compile(source, DOC.name, "exec"), namespace)  # noqa: S102 - our docs


DEBIT_BODY = b'{\n  "latestTransactionStatus": "03",\n  "originalReferenceNo": "B7"\n}'
OTHER_BODY = b'{\n  "latestTransactionStatus": "00",\n  "originalReferenceNo": "B8"\n}'


@pytest.fixture(scope="module")
def fastapi_ns() -> dict[str, Any]:
    return run_block("FastAPI(")


@pytest.fixture(scope="module")
def flask_ns() -> dict[str, Any]:
    return run_block("Flask(")


def test_fastapi_example_answers_every_case(fastapi_ns: dict[str, Any]) -> None:
    ns = fastapi_ns
    url = "/hooks/midtrans/v1.0/qr/qr-mpm-notify"
    with TestClient(ns["app"]) as client:
        headers = sign(ns, "/v1.0/qr/qr-mpm-notify", DEBIT_BODY, "9001")
        ok = client.post(url, content=DEBIT_BODY, headers=headers)
        assert (ok.status_code, ok.json()["responseCode"]) == (200, "2005200")
        assert ok.headers["content-type"] == "application/json"
        assert ok.headers["x-timestamp"]
        assert ns["payments"]["B7"] == "03"

        # Midtrans's retry of a processed notification: success, not processed twice.
        ns["payments"]["B7"] = "seen"
        again = client.post(url, content=DEBIT_BODY, headers=headers)
        assert (again.status_code, again.json()["responseCode"]) == (200, "2005200")
        assert ns["payments"]["B7"] == "seen"
        # The same signed request with another external id is the same notification.
        other_id = dict(headers, **{"X-EXTERNAL-ID": "9003"})
        replayed = client.post(url, content=DEBIT_BODY, headers=other_id)
        assert (replayed.status_code, replayed.json()["responseCode"]) == (200, "2005200")
        assert ns["payments"]["B7"] == "seen"

        # The common mistake: re-serialising the parsed JSON changes the bytes.
        fresh = sign(ns, "/v1.0/qr/qr-mpm-notify", OTHER_BODY, "9002")
        wrong = client.post(url, json={"latestTransactionStatus": "00"}, headers=fresh)
        assert (wrong.status_code, wrong.json()["responseCode"]) == (401, "4015200")

        missing = {k: v for k, v in fresh.items() if k != "X-EXTERNAL-ID"}
        no_id = client.post(url, content=OTHER_BODY, headers=missing)
        assert no_id.status_code == 400
        assert no_id.json() == {
            "responseCode": "4005202",
            "responseMessage": "Invalid Mandatory Field X-EXTERNAL-ID",
        }

        stale = dict(fresh, **{"X-TIMESTAMP": "2020-01-01T00:00:00+07:00"})
        old = client.post(url, content=OTHER_BODY, headers=stale)
        assert (old.status_code, old.json()["responseCode"]) == (400, "4005201")

        outside = client.post("/v1.0/qr/qr-mpm-notify", content=OTHER_BODY, headers=fresh)
        assert outside.status_code == 404  # not routed: the handler lives under the prefix

        # The forged attempts above did not burn 9002.
        good = client.post(url, content=OTHER_BODY, headers=fresh)
        assert good.status_code == 200
        assert ns["payments"]["B8"] == "00"


def test_flask_example_answers_every_case(flask_ns: dict[str, Any]) -> None:
    ns = flask_ns
    client = ns["app"].test_client()
    body = b'{"latestTransactionStatus":"00","originalReferenceNo":"L1"}'
    url = "/hooks/midtrans/v1.0/registration-account/notify"
    headers = sign(ns, "/v1.0/registration-account/notify", body, "7001")
    ok = client.post(url, data=body, headers=headers)
    assert (ok.status_code, ok.get_json()) == (
        200,
        {"responseCode": "2008800", "responseMessage": "Request has been processed successfully"},
    )
    assert ok.headers["Content-Type"] == "application/json"
    again = client.post(url, data=body, headers=headers)  # processed before: success again
    assert (again.status_code, again.get_json()["responseCode"]) == (200, "2008800")
    other = b'{"latestTransactionStatus":"00","originalReferenceNo":"L2"}'
    lower = {
        k.lower(): v
        for k, v in sign(ns, "/v1.0/registration-account/notify", other, "7002").items()
    }
    assert client.post(url, data=other, headers=lower).status_code == 200
    parsed = client.post(url, json={"latestTransactionStatus": "00"}, headers=headers)
    assert parsed.status_code == 401


def test_docs_name_the_raw_body_calls() -> None:
    text = DOC.read_text(encoding="utf-8")
    for phrase in ("await request.body()", "request.get_data()", "pass the raw request body bytes"):
        assert phrase in text


def test_blocks_are_found_by_marker() -> None:
    finders: list[Callable[[str], bool]] = [
        lambda b: "FastAPI(" in b,
        lambda b: "Flask(" in b,
        lambda b: "verify_core_notification" in b,
    ]
    for find in finders:
        assert sum(1 for b in blocks() if find(b)) == 1
