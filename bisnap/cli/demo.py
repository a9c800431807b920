"""`bisnap demo`: a whole SNAP integration, offline, in a few seconds.

`run_demo` starts the provider emulator in-process on a free loopback port (uvicorn in a
background thread) and a tiny merchant endpoint beside it, then runs the flow a merchant
runs against Midtrans: access token → create VA → the customer pays → the signed
notification arrives and is verified → status query → one deliberately broken signature,
rejected with the emulator's diagnostic. Every stage is printed; every secret is masked.

Without the `emulator` extra it falls back to `run_signing_demo`: the same signatures,
signed and verified offline with a throwaway key pair, no server.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from bisnap import canonical
from bisnap.clock import JAKARTA, Clock, FixedClock, SystemClock
from bisnap.errors import BisnapError, ConfigurationError, SignatureMismatchError
from bisnap.headers import (
    ExternalIdGenerator,
    build_access_token_headers,
    build_service_headers,
    redact_headers,
)
from bisnap.keys import fingerprint, generate_key_pair
from bisnap.secrets import Secret, mask
from bisnap.signing import (
    SignatureTrace,
    sign_access_token,
    sign_service,
    verify_access_token,
    verify_service,
)
from bisnap.timestamps import format_timestamp

if TYPE_CHECKING:
    from bisnap.emulator.credentials import EmulatorCredentials

__all__ = ["DEMO_BODY", "run_demo", "run_signing_demo"]

Write = Callable[[str], None]

#: The service request of the demo: a Midtrans "create VA" body, pretty-printed as a
#: developer would write it (the signature is over its minified form).
DEMO_BODY = json.dumps(
    {
        "partnerServiceId": "   70012",
        "customerNo": "0000000042",
        "virtualAccountNo": "   700120000000042",
        "virtualAccountName": "Budi Santoso",
        "trxId": "order-2024-0001",
        "totalAmount": {"value": "150000.00", "currency": "IDR"},
        "additionalInfo": {"bank": "bca", "merchantId": "G123456789", "note": "café / toko"},
    },
    indent=2,
    ensure_ascii=False,
).encode("utf-8")


def _stage(write: Write, name: str, value: str) -> None:
    write(f"  {name:<15} {value}")


def _trace(write: Write, trace: SignatureTrace) -> None:
    if trace.minified_body is not None:
        _stage(write, "minifiedBody", trace.minified_body.decode("utf-8"))
        _stage(write, "bodySha256", str(trace.body_sha256))
    _stage(write, "stringToSign", trace.masked_string_to_sign)
    _stage(write, "signature", trace.signature)


def run_signing_demo(write: Write = print, *, clock: Clock | None = None) -> int:
    """Run the offline signing demo, writing lines with `write`. Returns 0 on success."""
    clock = clock or FixedClock(datetime(2024, 3, 5, 17, 37, 16, tzinfo=JAKARTA))
    keys = generate_key_pair()
    client_key = "G123456789-SNAP"
    client_secret = Secret("demo-client-secret-" + keys.fingerprint[-12:])
    access_token = Secret("demo-access-token-" + keys.fingerprint[-24:])
    timestamp = format_timestamp(clock.now())

    write("bisnap demo — offline, throwaway RSA-2048 key pair, secrets masked")
    write(f"  partner key     {keys.fingerprint}")
    write("")
    write("1. Access token request  POST /v1.0/access-token/b2b  (SHA256withRSA)")
    token_trace = sign_access_token(
        client_key=client_key, timestamp=timestamp, private_key=keys.private_key
    )
    _trace(write, token_trace)
    headers = build_access_token_headers(
        timestamp=timestamp, client_key=client_key, signature=token_trace.signature
    )
    for name, value in redact_headers(headers).items():
        _stage(write, name, value)
    verify_access_token(
        client_key=client_key,
        timestamp=timestamp,
        signature=token_trace.signature,
        public_key=keys.public_key,
    )
    write("  verified        ✓ with the partner public key")
    write("")

    path = "/v1.0/transfer-va/create-va"
    write(f"2. Service request  POST {path}  (HMAC-SHA512)")
    write(f"  body as sent    {len(DEMO_BODY)} bytes, pretty-printed")
    service_trace = sign_service(
        method="POST",
        path=path,
        body=DEMO_BODY,
        timestamp=timestamp,
        access_token=access_token,
        client_secret=client_secret,
    )
    _trace(write, service_trace)
    ids = ExternalIdGenerator(clock=clock)
    service_headers = build_service_headers(
        timestamp=timestamp,
        signature=service_trace.signature,
        access_token=access_token,
        partner_id="G123456789",
        external_id=ids.next(),
        channel_id="95221",
    )
    for name, value in redact_headers(service_headers).items():
        _stage(write, name, value)
    verify_service(
        method="POST",
        path=path,
        body=DEMO_BODY,
        timestamp=timestamp,
        access_token=access_token,
        client_secret=client_secret,
        signature=service_trace.signature,
    )
    write("  verified        ✓ over the bytes received")
    write("")

    write("3. The classic mistake: hashing the pretty-printed body instead of the minified one")
    import hashlib
    import hmac

    wrong_hash = hashlib.sha256(DEMO_BODY).hexdigest()
    wrong_string = canonical.format_symmetric(
        "POST", path, access_token.reveal(), wrong_hash, timestamp
    )
    wrong = hmac.new(
        client_secret.reveal().encode(), wrong_string.encode(), hashlib.sha512
    ).digest()
    import base64

    wrong_sig = base64.b64encode(wrong).decode()
    _stage(write, "bodySha256", f"{wrong_hash}  (sender, pretty body)")
    _stage(write, "bodySha256", f"{service_trace.body_sha256}  (provider, minified)")
    try:
        verify_service(
            method="POST",
            path=path,
            body=DEMO_BODY,
            timestamp=timestamp,
            access_token=access_token,
            client_secret=client_secret,
            signature=wrong_sig,
        )
    except SignatureMismatchError as err:
        write(f"  rejected        ✗ {err} — 401xx00 Unauthorized. [Signature]")
        write(f"  hint            {err.hint}")
    else:  # pragma: no cover - the demo is wrong if this happens
        write("  ERROR: the wrong signature was accepted")
        return 1
    write("")
    write(
        f"secrets shown only masked: client secret {mask(client_secret.reveal())}, "
        f"access token {mask(access_token.reveal())}"
    )
    return 0


# --- the emulator demo ----------------------------------------------------------------------

_VA_PATH = "/v1.0/transfer-va/create-va"
_STATUS_PATH = "/v1.0/transfer-va/status"
_MERCHANT_PREFIX = "/merchant"
_WAIT = 10.0  # seconds: bound on waiting for the notification to reach the merchant


def _demo_credentials() -> EmulatorCredentials:
    """Throwaway credentials for one demo run (tests replace this to plant a sentinel)."""
    from bisnap.emulator.credentials import EmulatorCredentials

    return EmulatorCredentials.generate(client_key="G123456789-DEMO-SNAP")


def run_demo(write: Write = print, *, http: str = "auto") -> int:
    """`bisnap demo`: the emulator flow, or the offline signing demo without the extra.

    Writes lines with `write`; returns 0 when every stage behaved as expected.
    """
    try:
        from bisnap.emulator import require_emulator_extra

        require_emulator_extra()
    except ConfigurationError as err:
        write(f"note: {err}; {err.hint}")
        write("note: running the offline signing demo instead (no emulator)")
        write("")
        return run_signing_demo(write)
    return _EmulatorDemo(write, http=http).run()


class _EmulatorDemo:
    """One run of the emulator demo: two loopback servers, a client, printed stages."""

    def __init__(self, write: Write, *, http: str) -> None:
        self.write = write
        self.http = http
        self.received: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self.failures = 0

    # -- printing ------------------------------------------------------------------------

    def stage(self, name: str, value: str) -> None:
        self.write(f"  {name:<15} {value}")

    def check(self, ok: bool, what: str) -> None:
        if ok:
            self.stage("ok", f"✓ {what}")
        else:
            self.failures += 1
            self.stage("FAILED", f"✗ {what}")

    def exchange(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            data = {}
        parsed: dict[str, Any] = data if isinstance(data, dict) else {}
        code = parsed.get("responseCode", "-")
        message = parsed.get("responseMessage", "")
        self.stage("answer", f"HTTP {response.status_code}  {code} {message}".rstrip())
        return parsed

    # -- the merchant's endpoint -----------------------------------------------------------

    def merchant_app(self, credentials: EmulatorCredentials, clock: Clock) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        from bisnap.notifications import NotificationVerifier
        from bisnap.replies import reply_for_error, success_reply

        verifier = NotificationVerifier(
            public_key=credentials.provider_public_key,
            clock=clock,
            path_prefix=_MERCHANT_PREFIX,
        )

        async def notify(request: Request) -> Response:
            raw = await request.body()
            path = request.url.path
            try:
                with verifier.receive(
                    method=request.method, path=path, headers=request.headers, body=raw
                ) as notification:
                    reply = success_reply(notification, clock=clock)
                    self.received.append(
                        {
                            "path": path,
                            "signedPath": notification.trace.path,
                            "externalId": notification.external_id,
                            "virtualAccountNo": notification.virtual_account_no,
                            "paymentFlagStatus": notification.payment_flag_status,
                            "paidAmount": notification.body.get("paidAmount"),
                            "reply": reply.response_code,
                        }
                    )
            except BisnapError as err:
                reply = reply_for_error(err, path=path, clock=clock, body=raw)
                self.received.append({"path": path, "error": f"{type(err).__name__}: {err}"})
            self.arrived.set()
            return Response(reply.body, reply.status_code, dict(reply.headers))

        return Starlette(
            routes=[Route(_MERCHANT_PREFIX + "/{rest:path}", notify, methods=["POST"])]
        )

    # -- the flow -----------------------------------------------------------------------------

    def run(self) -> int:
        from bisnap.emulator import Emulator, EmulatorConfig, ThreadedServer, create_app
        from bisnap.emulator.caller import MerchantCaller
        from bisnap.http import SnapClient
        from bisnap.tokens import TokenProvider

        write = self.write
        clock = SystemClock()
        credentials = _demo_credentials()
        partner_key = credentials.partner_private_key
        if partner_key is None:  # pragma: no cover - generated credentials always have it
            raise ConfigurationError("the demo credentials need a partner private key")
        emulator = Emulator(EmulatorConfig(credentials=credentials, clock=clock))
        write("bisnap demo: a whole BI-SNAP flow against the local provider emulator")
        write("  (offline, loopback only, throwaway credentials, secrets masked)")
        started = time.monotonic()
        with (
            ThreadedServer(create_app(emulator), http=self.http) as provider,
            ThreadedServer(self.merchant_app(credentials, clock), http=self.http) as merchant,
            httpx.Client(base_url=provider.url, timeout=10.0) as http,
        ):
            self.stage("emulator", f"{provider.url}  (Midtrans-like provider)")
            self.stage("merchant", f"{merchant.url}{_MERCHANT_PREFIX}  (notification endpoint)")
            self.stage("client key", credentials.client_key)
            self.stage("partner id", credentials.partner_id)
            self.stage(
                "client secret",
                f"{credentials.client_secret!s} sha256={credentials.client_secret.fingerprint}",
            )
            self.stage("partner key", fingerprint(partner_key))
            self.stage("provider key", fingerprint(credentials.provider_public_key))
            write("")

            write("1. Access token  POST /v1.0/access-token/b2b  (SHA256withRSA, TokenProvider)")
            sent: list[httpx.Request] = []
            http.event_hooks["request"].append(sent.append)
            tokens = TokenProvider(
                base_url=provider.url,
                client_key=credentials.client_key,
                private_key=partner_key,
                clock=clock,
                http_client=http,
            )
            token = tokens.get()
            http.event_hooks["request"].remove(sent.append)
            token_request = sent[-1]
            token_trace = verify_access_token(
                client_key=token_request.headers["X-CLIENT-KEY"],
                timestamp=token_request.headers["X-TIMESTAMP"],
                signature=token_request.headers["X-SIGNATURE"],
                public_key=partner_key.public_key(),
            )
            self.stage("stringToSign", token_trace.string_to_sign)
            self.stage("X-SIGNATURE", token_trace.signature)
            self.stage("verified", "✓ with the partner public key (what the provider checks)")
            remaining = token.remaining(clock.now())
            seconds = int(remaining.total_seconds()) if remaining is not None else 0
            self.stage("answer", "2007300 Successful")
            self.stage("accessToken", f"{token!s} (RS256 JWT, expires in ~{seconds}s)")
            write("")

            caller = MerchantCaller(credentials, clock)
            va = {
                "partnerServiceId": "   70012",
                "customerNo": "0000000042",
                "virtualAccountNo": "   700120000000042",
                "virtualAccountName": "Budi Santoso",
                "trxId": f"order-{int(clock.now().timestamp())}",
                "totalAmount": {"value": "150000.00", "currency": "IDR"},
                "additionalInfo": {"bank": "bca", "merchantId": credentials.merchant_id},
            }
            client = SnapClient(
                base_url=provider.url,
                client_key=credentials.client_key,
                client_secret=credentials.client_secret,
                partner_id=credentials.partner_id,
                channel_id=credentials.channel_id,
                token_provider=tokens,
                clock=clock,
                http_client=http,
            )
            write(f"2. Create VA  POST {_VA_PATH}  (SnapClient, HMAC-SHA512 over the bytes sent)")
            created = client.create_va(va)
            trace = created.trace
            if trace is not None and trace.minified_body is not None:
                self.stage("body", f"{len(trace.minified_body)} bytes, compact JSON")
                self.stage("bodySha256", str(trace.body_sha256))
                self.stage("stringToSign", trace.masked_string_to_sign)
            for name, value in redact_headers(created.request_headers).items():
                self.stage(name, value)
            self.stage("answer", f"HTTP {created.status_code}  {created.code} {created.message}")
            self.check(created.code.code == "2002700", "VA created")
            write("")

            write(
                "3. The customer pays  POST /_emulator/pay  → signed notification to the merchant"
            )
            admin = emulator.admin_headers()  # the admin routes need the emulator's token
            http.post(
                "/_emulator/notify-url",
                json={"url": merchant.url + _MERCHANT_PREFIX},
                headers=admin,
            ).raise_for_status()
            paid = http.post(
                "/_emulator/pay", json={"virtualAccountNo": va["virtualAccountNo"]}, headers=admin
            )
            delivery = paid.json().get("notification", {})
            self.arrived.wait(_WAIT)
            attempts = delivery.get("attempts") or [{}]
            self.stage(
                "notification", f"POST {merchant.url}{_MERCHANT_PREFIX}{delivery.get('path', '?')}"
            )
            self.stage("signature", "SHA256withRSA over POST:path:sha256(minify(body)):X-TIMESTAMP")
            if self.received:
                got = self.received[0]
                if "error" in got:
                    self.check(False, f"merchant rejected it: {got['error']}")
                else:
                    self.stage(
                        "verified",
                        f"NotificationVerifier, provider key "
                        f"{fingerprint(credentials.provider_public_key)}",
                    )
                    self.stage("signed path", str(got["signedPath"]))
                    self.stage("X-EXTERNAL-ID", str(got["externalId"]))
                    amount = got.get("paidAmount") or {}
                    self.stage(
                        "payment",
                        f"VA {str(got['virtualAccountNo']).strip()} "
                        f"paymentFlagStatus {got['paymentFlagStatus']} "
                        f"paid {amount.get('value')} {amount.get('currency')}",
                    )
                    self.stage("merchant reply", f"{got['reply']} (+ virtualAccountData echo)")
                    self.check(
                        got["reply"] == "2002500" and attempts[0].get("statusCode") == 200,
                        "notification verified and acknowledged with HTTP 200",
                    )
            else:
                self.check(False, "no notification reached the merchant")
            write("")

            write(f"4. Status  POST {_STATUS_PATH}  (SnapClient)")
            query = {
                "partnerServiceId": va["partnerServiceId"],
                "customerNo": va["customerNo"],
                "virtualAccountNo": va["virtualAccountNo"],
                "inquiryRequestId": va["trxId"],
                "additionalInfo": {"merchantId": credentials.merchant_id},
            }
            status = client.va_status(query)
            self.stage("answer", f"HTTP {status.status_code}  {status.code} {status.message}")
            flag = (status.body.get("virtualAccountData") or {}).get("paymentFlagStatus")
            self.stage("paymentFlag", f"{flag} ({'Success' if flag == '00' else 'unexpected'})")
            self.check(status.code.code == "2002600" and flag == "00", "VA is paid")
            write("")

            write("5. A broken signature: the pretty-printed body hashed, as sent")
            pretty = json.dumps(query, indent=2).encode("utf-8")
            headers, _ = caller.service_request(_STATUS_PATH, query, access_token=token)
            headers["X-SIGNATURE"] = _pretty_signature(
                pretty, headers["X-TIMESTAMP"], token.reveal(), credentials
            )
            self.stage("body", f"{len(pretty)} bytes, pretty-printed; signed without minify")
            answer = self.exchange(http.post(_STATUS_PATH, content=pretty, headers=headers))
            diagnostic = answer.get("bisnapDiagnostic") or {}
            self.stage("mismatchAt", str(diagnostic.get("mismatchAt")))
            self.stage("mistakes", ", ".join(diagnostic.get("mistakes") or []) or "-")
            self.stage("hint", str(diagnostic.get("hint")))
            expected = diagnostic.get("expected") or {}
            sender = diagnostic.get("sender") or {}
            self.stage("bodySha256", f"{expected.get('bodySha256')}  (provider, minified)")
            self.stage("bodySha256", f"{sender.get('bodySha256')}  (you, pretty)")
            self.check(
                answer.get("responseCode") == "4012600"
                and "PrettyBodyHashed" in (diagnostic.get("mistakes") or []),
                "rejected with 401xx00, diagnosed as PrettyBodyHashed",
            )
            tokens.close()
            write("")
        elapsed = time.monotonic() - started
        write(
            f"stopped both servers; {elapsed:.1f}s. Secrets were shown only masked "
            f"(client secret {credentials.client_secret!s}, access token {token!s})."
        )
        if self.failures:
            write(f"{self.failures} stage(s) did not behave as expected")
            return 1
        return 0


def _pretty_signature(
    pretty: bytes, timestamp: str, token: str, credentials: EmulatorCredentials
) -> str:
    """The signature a sender makes when it hashes the pretty body instead of the minified."""
    import base64
    import hashlib
    import hmac

    string = f"POST:{_STATUS_PATH}:{token}:{hashlib.sha256(pretty).hexdigest()}:{timestamp}"
    secret = credentials.client_secret.reveal().encode("utf-8")
    return base64.b64encode(hmac.new(secret, string.encode(), hashlib.sha512).digest()).decode()
