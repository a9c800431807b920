"""Every answer the emulator writes: SNAP status fields, body, headers, debug id.

One function shape for all routes: `Responder.answer(service_code, outcome)` builds
`{"responseCode", "responseMessage", ...body}` with `bisnap.responses.response_status`,
adds a `referenceNo` debug id to every rejection (as Midtrans does) and the X-TIMESTAMP
header, and writes the body with the one compact-JSON writer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from starlette.responses import Response

from bisnap.clock import Clock
from bisnap.emulator.diagnostics import DIAGNOSTIC_FIELD
from bisnap.emulator.jsonio import compact
from bisnap.emulator.records import Outcome
from bisnap.headers import X_TIMESTAMP
from bisnap.responses import response_status
from bisnap.timestamps import format_timestamp

__all__ = ["JSON_MEDIA_TYPE", "Responder", "debug_id"]

JSON_MEDIA_TYPE = "application/json"


def debug_id() -> str:
    """A fresh debug id for an error answer (a UUID, like Midtrans's)."""
    return str(uuid.uuid4())


class Responder:
    """Writes the emulator's answers with the emulator's clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._stamp: tuple[datetime, object, str] | None = None

    def timestamp(self) -> str:
        """The clock's now as X-TIMESTAMP (formatted once per second of the clock)."""
        now = self._clock.now().replace(microsecond=0)
        offset = now.utcoffset()
        stamp = self._stamp
        if stamp is None or stamp[0] != now or stamp[1] != offset:
            stamp = (now, offset, format_timestamp(now))
            self._stamp = stamp
        return stamp[2]

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """X-TIMESTAMP (+ extra headers)."""
        # SNAP: response headers Content-Type and X-TIMESTAMP (snap-standard.md §1.3).
        headers = {X_TIMESTAMP: self.timestamp()}
        if extra:
            headers.update(extra)
        return headers

    def answer(
        self,
        service_code: str,
        outcome: Outcome,
        *,
        extra_headers: dict[str, str] | None = None,
        diagnostic: dict[str, Any] | None = None,
        extra_fields: dict[str, Any] | None = None,
    ) -> Response:
        """The SNAP answer for `outcome` on a service with `service_code`."""
        payload: dict[str, Any] = dict(
            response_status(outcome.status, service_code, outcome.case, outcome.detail)
        )
        payload.update(outcome.body)
        if not outcome.ok:
            # SNAP: error answers carry referenceNo as a debug id (midtrans-core.md §3.1).
            payload.setdefault("referenceNo", debug_id())
        if extra_fields:
            payload.update(extra_fields)
        if diagnostic is not None:
            payload[DIAGNOSTIC_FIELD] = diagnostic
        return Response(
            compact(payload),
            status_code=outcome.status,
            headers=self.headers(extra_headers),
            media_type=JSON_MEDIA_TYPE,
        )

    def fail(
        self,
        service_code: str,
        status: int,
        case: str,
        detail: str | None = None,
        *,
        extra_headers: dict[str, str] | None = None,
        extra_fields: dict[str, Any] | None = None,
    ) -> Response:
        """A rejection: HTTP status + case code (+ the field or reason in the message)."""
        return self.answer(
            service_code,
            Outcome(status=status, case=case, detail=detail),
            extra_headers=extra_headers,
            extra_fields=extra_fields,
        )

    def too_large(self, service_code: str, limit: int) -> Response:
        """413 with a SNAP body; the connection is closed (the rest is never read)."""
        return self.fail(
            service_code,
            413,
            "00",
            extra_headers={"Connection": "close"},
            extra_fields={"maxBodyBytes": limit},
        )
