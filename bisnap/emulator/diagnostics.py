"""`bisnapDiagnostic`: what the emulator adds to a `401xx00 Unauthorized. Signature`.

The provider's own stages, from `bisnap.explain`, reduced to what is safe to send back:
the first stage that differs, the likely mistakes and a hint; the body hash and string to
sign the provider expected (access token masked). Never the expected signature, the
client secret or the token itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from bisnap.emulator.credentials import EmulatorCredentials
from bisnap.errors import BisnapError
from bisnap.explain import Explanation, explain_access_token, explain_service
from bisnap.secrets import mask

__all__ = ["DIAGNOSTIC_FIELD", "diagnose_service", "diagnose_token"]

#: The emulator-only field added to a `401xx00` signature rejection.
DIAGNOSTIC_FIELD = "bisnapDiagnostic"


def diagnose_service(
    credentials: EmulatorCredentials,
    *,
    method: str,
    path: str,
    body: bytes,
    timestamp: str,
    token: str,
    signature: str,
) -> dict[str, Any]:
    """`explain_service` of a rejected call, reduced to what is safe to send back."""
    verdict, data = _verdict(
        partial(
            explain_service,
            method=method,
            path=path,
            body=body,
            timestamp=timestamp,
            access_token=token,
            client_secret=credentials.client_secret,
            signature=signature,
        )
    )
    if data is None:
        return verdict
    out: dict[str, Any] = {
        **verdict,
        "encoder": data.get("encoder"),  # the JSON encoder whose output was hashed, if any
        "hypotheses": data.get("hypotheses"),
        # The provider's stages, token masked; never the expected signature or the secret.
        "expected": {
            "bodySha256": data.get("bodySha256"),
            "stringToSign": data.get("stringToSign"),
        },
    }
    sender = data.get("sender")
    if isinstance(sender, dict):
        out["sender"] = {k: sender.get(k) for k in ("bodySha256", "stringToSign") if k in sender}
    scrubbed: dict[str, Any] = _scrub(out, token, credentials.client_secret.reveal())
    return scrubbed


def diagnose_token(
    credentials: EmulatorCredentials, client_key: str, timestamp: str, signature: str
) -> dict[str, Any]:
    """`explain_access_token` of a rejected token request (public data only)."""
    verdict, data = _verdict(
        partial(
            explain_access_token,
            client_key=client_key,
            timestamp=timestamp,
            signature=signature,
            public_key=credentials.partner_public_key,
        )
    )
    if data is None:
        return verdict
    return {
        **verdict,
        "hypotheses": data.get("hypotheses"),
        "expected": {"stringToSign": data.get("stringToSign")},
        "keyFingerprint": data.get("keyFingerprint"),
    }


def _verdict(explain: Callable[[], Explanation]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The explanation's first differing stage, mistakes and hint, and its whole dict (None
    when explain refuses the inputs: then the verdict is the refusal, at "signature")."""
    try:
        result = explain()
    except BisnapError as err:
        hint = f"{err} {err.hint}".strip()
        return {"mismatchAt": "signature", "mistakes": [], "hint": hint}, None
    data = result.to_dict()
    return {
        "mismatchAt": data["mismatchAt"],
        "mistakes": data["mistakes"],
        "hint": data["hint"],
    }, data


def _scrub(value: Any, token: str, secret: str) -> Any:
    """Belt and braces: no token or secret text survives in a diagnostic."""
    if isinstance(value, str):
        return value.replace(token, mask(token)).replace(secret, mask(secret))
    if isinstance(value, dict):
        return {k: _scrub(v, token, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, token, secret) for v in value]
    return value
