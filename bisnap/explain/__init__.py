"""Explain a rejected signature: which stage differs, and which known mistake made it.

`401xx00 Unauthorized. [Signature]` says only that the signature is wrong. `explain_*`
recomputes every stage the provider computes, then replays the mistakes integrators are
known to make and tells which one reproduces the presented signature:

```python
from bisnap.explain import explain_service

result = explain_service(
    method="POST", path="/v1.0/transfer-va/create-va", body=body_as_sent,
    timestamp=x_timestamp, access_token=token, client_secret=secret, signature=x_signature,
)
print(result.mismatch_at, result.mistakes, result.encoder, result.hint)
```

One search serves the library, the CLI and the emulator's `bisnapDiagnostic`. It tries,
most likely first and within a bounded budget (`MAX_HYPOTHESES`):

1. one body mistake: every encoder of `bisnap.explain.encoders` (Python `json.dumps`
   flags, `JSON.stringify`, PHP `json_encode` flags, Go `encoding/json`, Gson), the
   pretty body as sent, a naive `\\s+` strip, `\\/` or `\\uXXXX` alone, the empty-body
   conventions (`{}`, `null`, an empty or missing hash segment), each under the capture
   artefacts (a final newline, CRLF line ends, a BOM) undone;
2. one string-to-sign mistake (timestamp spelling, `Bearer`, path prefix added or missing,
   host in the path, version segment missing, query dropped or added, method case);
3. one body mistake with one string-to-sign mistake; two string-to-sign mistakes; one body
   mistake with two string-to-sign mistakes.

HMAC-SHA512 candidates are MACed with the client secret; for SHA256withRSA the digest the
signature carries is recovered once with the public key, so each candidate costs one
SHA-256. Only when nothing fits is it `WrongKeyOrSecret`, with the number of hypotheses
tried and the fingerprint of the key or secret used.

The package, by job: `model` (`Explanation`, `SenderStages`), `hypotheses` (the mistakes,
their flags and the budget), `_body` and `encoders` (the bodies a sender hashes by
mistake), `search` (the levels of hypotheses and the signature check), `conclude` (flags,
first differing stage and hint). This module holds the three public entry points.

Go `encoding/json` is modelled as Go 1.22 and later write it (`go json.…`) and as Go 1.21
and older did (`go<=1.21 json.…`: backspace and form feed as `\\u0008`/`\\u000c`).

Mistake flags (the names the published vectors use):

```
stage minifiedBody   PrettyBodyHashed BodyReserialised SlashEscaped UnicodeEscaped
                     InnerWhitespaceStripped EmptyBodyAsBraces EmptyBodyAsNull
stage bodySha256     EmptyBodyHashEmpty EmptyBodyHashOmitted
stage stringToSign   QueryDropped QueryAdded PathPrefixMissing PathWithHost
                     VersionSegmentMissing BearerInStringToSign TimestampMismatch
                     LowercaseMethod ClientKeyMismatch
stage signature      WrongKeyOrSecret
acceptable           HexInsteadOfBase64 (valid, but hex where base64 is expected)
```
"""

from __future__ import annotations

import hmac
import time

from bisnap import canonical
from bisnap.keys import PublicKeyInput, fingerprint
from bisnap.secrets import AccessToken, Secret, reveal
from bisnap.signing import (
    SignatureTrace,
    client_secret_bytes,
    decode_signature,
    encode_signature,
    hmac_sha512,
)

from ._body import CAPTURE_NOTES, BodyHypothesis, body_hypotheses, body_shapes
from .conclude import conclude
from .encoders import ENCODERS, Encoder, slash_escaped, unicode_escaped
from .hypotheses import (
    BODY_MISTAKES,
    KNOWN_HOSTS,
    MAX_HYPOTHESES,
    MISTAKE_STAGES,
    STRING_MISTAKES,
    Candidate,
    body_variants,
    path_prefix_variants,
    timestamp_variants,
)
from .model import Audience, Explanation, SenderStages
from .search import explain_request, prepare, rsa_matcher, verifying_key

__all__ = [
    "BODY_MISTAKES",
    "CAPTURE_NOTES",
    "ENCODERS",
    "KNOWN_HOSTS",
    "MAX_HYPOTHESES",
    "MISTAKE_STAGES",
    "STRING_MISTAKES",
    "Audience",
    "BodyHypothesis",
    "Encoder",
    "Explanation",
    "SenderStages",
    "body_hypotheses",
    "body_shapes",
    "body_variants",
    "explain_access_token",
    "explain_service",
    "explain_service_asymmetric",
    "path_prefix_variants",
    "slash_escaped",
    "timestamp_variants",
    "unicode_escaped",
]

_HMAC_BYTES = 64


def explain_access_token(
    *,
    client_key: str,
    timestamp: str,
    signature: str,
    public_key: PublicKeyInput,
    registered_client_key: str | None = None,
    audience: Audience = "sender",
) -> Explanation:
    """Explain an access-token signature (`clientKey|X-TIMESTAMP`, SHA256withRSA).

    Returns an `Explanation`: valid, or the mistake that fits (`TimestampMismatch`;
    `ClientKeyMismatch` when `registered_client_key` is given and X-CLIENT-KEY is not it,
    or the signature was made over the registered key), or `WrongKeyOrSecret` with the
    fingerprint of `public_key` and how to compare key fingerprints.

    Raises:
        SignatureFormatError: the signature is not base64/hex of the key's size.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        KeyFormatError: `public_key` cannot be loaded.
    """
    started = time.perf_counter()
    key = verifying_key(public_key)
    string_to_sign = canonical.access_token_string(client_key, timestamp)
    raw, encoding = decode_signature(signature, key.key_size // 8)
    variants = timestamp_variants(timestamp)
    key_fp = fingerprint(key)
    expected = SignatureTrace(
        kind="access_token",
        string_to_sign=string_to_sign,
        signature=signature.strip(),
        encoding=encoding,
        timestamp=timestamp,
        key_fingerprint=key_fp,
    )
    matches = rsa_matcher(raw, key)
    valid = matches(string_to_sign)
    unregistered = registered_client_key is not None and registered_client_key != client_key
    found: list[Candidate] = []
    tried = 1
    if unregistered and registered_client_key is not None:
        detail = (
            f"X-CLIENT-KEY {client_key!r} is not the registered client key "
            f"{registered_client_key!r}; send (and sign) the client key the provider issued"
        )
        cand = Candidate(
            ("ClientKeyMismatch",),
            SenderStages(canonical.format_access_token(client_key, timestamp)),
            (detail,),
            None,
        )
        if valid:
            found = [cand]
        else:
            signed_registered = canonical.format_access_token(registered_client_key, timestamp)
            tried += 1
            if matches(signed_registered):
                found = [
                    Candidate(
                        ("ClientKeyMismatch",),
                        SenderStages(signed_registered),
                        (
                            f"you signed the client key {registered_client_key!r} but sent "
                            f"X-CLIENT-KEY {client_key!r}; send the key you sign",
                        ),
                        None,
                    )
                ]
        valid = False
    if not valid and not found:
        keys = [client_key]
        if registered_client_key and registered_client_key != client_key:
            keys.append(registered_client_key)
        level = []
        for ck in keys:
            for stamp in variants:
                flags: tuple[str, ...] = ("TimestampMismatch",)
                details: tuple[str, ...] = (
                    f"you signed the timestamp {stamp} but sent X-TIMESTAMP {timestamp}",
                )
                if ck != client_key:
                    flags = ("ClientKeyMismatch", "TimestampMismatch")
                    details = (f"you signed the client key {ck!r}", *details)
                level.append(
                    Candidate(
                        flags, SenderStages(canonical.format_access_token(ck, stamp)), details, None
                    )
                )
        found = [c for c in level if matches(c.sender.string_to_sign)]
        tried += len(level)
    return conclude(
        kind=expected.kind,
        expected=expected,
        signature=expected.signature,
        encoding=expected.encoding,
        valid=valid,
        found=found,
        key_fingerprint=key_fp,
        tried=tried,
        started=started,
        audience=audience,
    )


def explain_service(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    access_token: str | Secret | AccessToken,
    client_secret: str | Secret,
    signature: str,
    include_query: bool = True,
    host: str | None = None,
    audience: Audience = "sender",
    max_hypotheses: int = MAX_HYPOTHESES,
) -> Explanation:
    """Explain an HMAC-SHA512 service signature, recomputing it under each known mistake.

    `body` is the body exactly as sent (or as captured: a final newline, CRLF line ends or
    a BOM the capture added are recognised and reported); `path` the relative path as sent
    (query included; `include_query=False` for providers that sign the bare path); `host`
    the request's host, tried as a prefix of the signed path. `audience` words the hints
    for whoever runs it. Returns an `Explanation`; `key_fingerprint` is `secret-sha256:` +
    the secret's short fingerprint.

    Raises:
        SignatureFormatError: the signature is not base64/hex of 64 bytes.
        BodyNotJSONError: the body is not JSON.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        SecretFormatError: empty secret or token, a PEM as secret, `Bearer ` in the token.
    """
    started = time.perf_counter()
    presented, encoding = decode_signature(signature, _HMAC_BYTES)
    secret = Secret(reveal(client_secret))
    key = client_secret_bytes(secret)  # a bisnap error for an unusable secret (lone surrogate, PEM)
    token = canonical.signed_token(access_token)
    prep = prepare(method, path, body, timestamp, include_query, token, None)

    def matches(sts: str) -> bool:
        return hmac.compare_digest(hmac.digest(key, sts.encode("utf-8"), "sha512"), presented)

    return explain_request(
        prep,
        kind="service",
        signature=signature,
        encoding=encoding,
        matches=matches,
        key_fingerprint=f"secret-sha256:{secret.fingerprint}",
        body=body,
        include_query=include_query,
        host=host,
        audience=audience,
        budget=max_hypotheses,
        started=started,
        sign=lambda sts: encode_signature(hmac_sha512(sts, secret), encoding),
    )


def explain_service_asymmetric(
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    timestamp: str,
    public_key: PublicKeyInput,
    signature: str,
    include_query: bool = True,
    path_prefix: str | None = None,
    host: str | None = None,
    audience: Audience = "sender",
    max_hypotheses: int = MAX_HYPOTHESES,
) -> Explanation:
    """Explain a SHA256withRSA service or notification signature (no token).

    The digest the signature carries is recovered once with `public_key`, then compared
    with the SHA-256 of the correct string to sign and of each known mistake's. A
    receiver passes `path_prefix` (as `NotificationVerifier` does): the path it verifies is
    the request path with that prefix removed, and a signature that verifies so is valid,
    with a note. Returns an `Explanation`.

    Raises:
        SignatureFormatError: the signature is not base64/hex of the key's size.
        BodyNotJSONError: the body is not JSON.
        TimestampFormatError: X-TIMESTAMP is not a timestamp.
        KeyFormatError: `public_key` cannot be loaded.
        InputError: the path does not start with `path_prefix`.
    """
    started = time.perf_counter()
    key = verifying_key(public_key)
    raw, encoding = decode_signature(signature, key.key_size // 8)
    prep = prepare(method, path, body, timestamp, include_query, None, path_prefix)
    return explain_request(
        prep,
        kind="service_asymmetric",
        signature=signature,
        encoding=encoding,
        matches=rsa_matcher(raw, key),
        key_fingerprint=fingerprint(key),
        body=body,
        include_query=include_query,
        host=host,
        audience=audience,
        budget=max_hypotheses,
        started=started,
    )
