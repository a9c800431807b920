"""SnapClient on loopback against a raw httpx call signed by hand with hashlib/hmac.

All send the same compact JSON bytes to the same uvicorn+Starlette server (started here in
a thread on 127.0.0.1, stopped at the end). Rounds alternate the callers so that drift in
the machine's load hits all; the ratio of the medians is printed (target: <= 1.15). The
typed path (a `models.VaStatusRequest`, checked, encoded by msgspec, the answer read as
`.data`) is compared with the dict path (a dict, checked, `.body` read) in wall and CPU
time (target: typed <= 1.1x dict).

    .venv/bin/python benchmarks/bench_client.py [--calls 200] [--rounds 15]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bisnap import AccessToken, SnapClient
from bisnap import models as m
from bisnap.emulator import ThreadedServer

PATH = "/v1.0/transfer-va/status"
SECRET = "fdppqbF5wq7vVegyvsV1CROMv646nJ7A"
TOKEN = "gp9HjjEj813Y9JGoqwOeOPWbnt4CupvIJbU1Mmu4a11MNDZ7Sg5u9a"
PARTNER, CHANNEL = "G059876677", "95221"
WIB = timezone(timedelta(hours=7))
BODY: dict[str, Any] = {
    "partnerServiceId": "   70012",
    "customerNo": "0000012345",
    "virtualAccountNo": "   700120000012345",
    "inquiryRequestId": "trx-0001",
    "additionalInfo": {"merchantId": PARTNER, "note": "Jokul Doé a/b"},
}
TYPED = m.VaStatusRequest(
    partner_service_id="   70012",
    customer_no="0000012345",
    virtual_account_no="   700120000012345",
    inquiry_request_id="trx-0001",
    additional_info=m.VaStatusAdditionalInfo(merchant_id=PARTNER, extra={"note": "Jokul Doé a/b"}),
)
ANSWER = json.dumps({"responseCode": "2002600", "responseMessage": "Successful"}).encode()


async def _status(request: Request) -> Response:
    await request.body()
    return Response(ANSWER, media_type="application/json")


class _Token:
    """The one token both sides use (no token endpoint in the measured path)."""

    def __init__(self) -> None:
        self._token = AccessToken.create(TOKEN)

    def get(self) -> AccessToken:
        return self._token

    def invalidate(self, token: AccessToken) -> bool:
        return False


def _raw_caller(http: httpx.Client, url: str) -> Callable[[], object]:
    key = SECRET.encode()
    counter = iter(range(10**9))

    def call() -> object:
        timestamp = datetime.now(WIB).strftime("%Y-%m-%dT%H:%M:%S+07:00")
        body = json.dumps(BODY, separators=(",", ":"), ensure_ascii=False).encode()
        digest = hashlib.sha256(body).hexdigest()
        string_to_sign = f"POST:{PATH}:{TOKEN}:{digest}:{timestamp}"
        mac = hmac.new(key, string_to_sign.encode(), hashlib.sha512).digest()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {TOKEN}",
            "X-TIMESTAMP": timestamp,
            "X-SIGNATURE": base64.b64encode(mac).decode(),
            "X-PARTNER-ID": PARTNER,
            "X-EXTERNAL-ID": f"{next(counter):020d}",
            "CHANNEL-ID": CHANNEL,
        }
        response = http.post(url, content=body, headers=headers)
        return response.json()

    return call


def _per_call(call: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def _paired(
    first: Callable[[], object], second: Callable[[], object], calls: int
) -> tuple[float, float]:
    """second/first in wall and CPU time, the two interleaved call by call (A-B-B-A)."""
    wall = [0.0, 0.0]
    cpu = [0.0, 0.0]
    for i in range(calls):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for side in order:
            call = first if side == 0 else second
            w, c = time.perf_counter(), time.process_time()
            call()
            wall[side] += time.perf_counter() - w
            cpu[side] += time.process_time() - c
    return wall[1] / wall[0], cpu[1] / cpu[0]


def main() -> None:
    """Start the server, measure both callers in alternating rounds, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="calls per round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds per caller")
    args = parser.parse_args()

    app = Starlette(routes=[Route(PATH, _status, methods=["POST"])])
    with ThreadedServer(app, http="h11") as server, httpx.Client() as raw_http:
        client = SnapClient(
            base_url=server.url,
            client_key="G1234325-SNAP",
            client_secret=SECRET,
            partner_id=PARTNER,
            channel_id=CHANNEL,
            token_provider=_Token(),
        )
        with client:
            raw = _raw_caller(raw_http, server.url + PATH)

            def snap() -> object:
                return client.va_status(BODY).body["responseCode"]

            def typed() -> object:
                return client.va_status(TYPED).data.response_code

            assert snap() == typed() == "2002600"
            for call in (raw, snap, typed):  # warm-up: connections, caches
                _per_call(call, 50)
            raw_times: list[float] = []
            snap_times: list[float] = []
            typed_wall: list[float] = []
            typed_cpu: list[float] = []
            for _ in range(args.rounds):
                raw_times.append(_per_call(raw, args.calls))
                snap_times.append(_per_call(snap, args.calls))
                wall, cpu = _paired(snap, typed, args.calls)
                typed_wall.append(wall)
                typed_cpu.append(cpu)
    raw_median, snap_median = statistics.median(raw_times), statistics.median(snap_times)
    print(f"requests: {4 * args.rounds * args.calls + 150} on {server.url}")
    print(f"raw httpx + hashlib/hmac : {raw_median * 1e6:8.1f} us/call (median of rounds)")
    print(f"SnapClient.va_status     : {snap_median * 1e6:8.1f} us/call (median of rounds)")
    print(f"ratio SnapClient / raw   : {snap_median / raw_median:8.3f}  (target <= 1.15)")
    print(
        f"ratio typed / dict, wall : {statistics.median(typed_wall):8.3f}  "
        "(median of rounds, calls interleaved A-B-B-A; target <= 1.10)"
    )
    print(
        f"ratio typed / dict, CPU  : {statistics.median(typed_cpu):8.3f}  "
        "(process CPU, server thread included; target <= 1.10)"
    )


if __name__ == "__main__":
    main()
