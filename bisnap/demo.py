"""`bisnap demo`: the whole signing story, offline, with a throwaway key pair.

It signs an access-token request and a service request, verifies both, then shows a
signature made over the pretty-printed body being rejected, with every stage printed and
every secret masked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from bisnap.clock import JAKARTA, Clock, FixedClock
from bisnap.errors import SignatureMismatchError
from bisnap.headers import (
    ExternalIdGenerator,
    build_access_token_headers,
    build_service_headers,
    redact_headers,
)
from bisnap.keys import generate_key_pair
from bisnap.secrets import Secret, mask
from bisnap.signing import (
    SignatureTrace,
    sign_access_token,
    sign_service,
    verify_access_token,
    verify_service,
)
from bisnap.timestamps import format_timestamp

__all__ = ["DEMO_BODY", "run_signing_demo"]

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
    wrong_string = f"POST:{path}:{access_token.reveal()}:{wrong_hash}:{timestamp}"
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
