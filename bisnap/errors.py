"""Every error bisnap raises, as one shallow tree.

```
BisnapError
├── InputError (also ValueError)            bad input: says what was wrong and how to fix it
│   ├── BodyNotJSONError                     .offset: byte offset of the problem
│   ├── InputTypeError (also TypeError)      a value of the wrong Python type
│   │   └── BodyTypeError                    a dict where the bytes sent belong
│   ├── TimestampFormatError
│   ├── KeyFormatError
│   │   └── KeyTooSmallError                 partner private key under 2048 bits
│   ├── SecretFormatError                    a PEM as client secret, "Bearer " in a token, ...
│   ├── SignatureFormatError                 not base64/hex, wrong length, empty
│   ├── HeaderError                          .header: a missing or malformed header
│   ├── ConfigurationError
│   ├── RequestValidationError               .problems: each bad body field and its rule
│   └── ResponseModelError                   an answer that does not fit its typed model
├── VerificationError                        the input was well formed but does not verify
│   ├── SignatureMismatchError               .stage, .trace
│   ├── TimestampOutOfWindowError            .direction ("too old"/"too new"), .skew
│   └── ReplayError
├── NotPicklableError (also TypeError)     a secret-bearing object refused to be pickled
├── TokenError
│   └── TokenExchangeError                   .code: the parsed responseCode, if any
├── StoreError
│   └── StoreUnavailableError                the token/replay store could not be reached
└── CallError                                a SNAP call failed (catch both below)
    ├── ApiError                             a provider answered with a non-success code
    │   ├── BadRequestError                  400xx: a malformed or incomplete request
    │   ├── UnauthorizedError                401xx00
    │   ├── TokenRejectedError               401xx01..04 (old name InvalidTokenError: deprecated)
    │   ├── ForbiddenError                   403xx: refused for a business reason
    │   ├── NotFoundError                    404xx
    │   ├── ConflictError                    409xx00/409xx01
    │   ├── RateLimitError                   429xx
    │   └── ServerError                      5xx
    └── TransportError                       no answer (timeout, connection lost)
        └── ConnectionFailedError            the request never left (connect failed)
```

Every error has `.hint` (how to fix it). Messages are built from attributes, never from
secrets: no private key, client secret or access token is ever part of a message or repr.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, Unpack

if TYPE_CHECKING:
    from bisnap.responses import ResponseCode

__all__ = [
    "ApiError",
    "BadRequestError",
    "BisnapError",
    "BodyNotJSONError",
    "BodyTypeError",
    "CallContext",
    "CallError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailedError",
    "ForbiddenError",
    "HeaderError",
    "InputError",
    "InputTypeError",
    "KeyFormatError",
    "KeyStrengthWarning",
    "KeyTooSmallError",
    "NotFoundError",
    "NotPicklableError",
    "RateLimitError",
    "ReplayError",
    "RequestValidationError",
    "ResponseModelError",
    "SecretFormatError",
    "ServerError",
    "SignatureFormatError",
    "SignatureMismatchError",
    "StoreError",
    "StoreUnavailableError",
    "TimestampFormatError",
    "TimestampOutOfWindowError",
    "TokenError",
    "TokenExchangeError",
    "TokenRejectedError",
    "TransportError",
    "UnauthorizedError",
    "VerificationError",
]


class BisnapError(Exception):
    """Base class of every bisnap error.

    `str(err)` is the message; `err.hint` says how to fix it.
    """

    default_hint: ClassVar[str] = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = _printable(message)
        super().__init__(message)
        self.message = message
        self.hint = _printable(hint) if hint is not None else self.default_hint

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, hint={self.hint!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the (secret-free) message, hint and data attributes only. A `.trace`
        # (which may hold an access token) is never pickled: it comes back as None.
        state = self._state()
        if "trace" in vars(self):
            state["trace"] = None
        return (_rebuild, (type(self), self.message, self.hint, state))

    def _state(self) -> dict[str, Any]:
        return {}


def _printable(text: str) -> str:
    # A message may quote input holding lone surrogates (undecodable bytes, surrogateescape
    # argv): shown as escapes, so printing or logging the error can never fail.
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _rebuild(cls: type[BisnapError], message: str, hint: str, state: dict[str, Any]) -> BisnapError:
    err = cls.__new__(cls)
    BisnapError.__init__(err, message, hint=hint)
    err.__dict__.update(state)
    return err


class KeyStrengthWarning(UserWarning):
    """A provider key is weaker than the 2048 bits SNAP partners must use (still verified)."""


# --- input errors -----------------------------------------------------------------------


class InputError(BisnapError, ValueError):
    """The input is malformed: the message says what, the hint says how to fix it."""


class BodyNotJSONError(InputError):
    """The request body is not JSON text, so it cannot be minified as SNAP requires."""

    default_hint = (
        "SNAP hashes minify(body) of a JSON body. Send the exact JSON text (UTF-8); "
        "for a request without a body pass None or b''."
    )

    def __init__(self, reason: str, *, offset: int, hint: str | None = None) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(f"body is not JSON: {reason} at byte {offset}", hint=hint)

    def _state(self) -> dict[str, Any]:
        return {"reason": self.reason, "offset": self.offset}


class InputTypeError(InputError, TypeError):
    """A value of the wrong Python type (an int where a str belongs, ...).

    Also a `TypeError`, so code that catches the built-in for wrong types keeps working.
    """


class BodyTypeError(InputTypeError):
    """A body that is not bytes or text (e.g. a dict): bisnap signs the exact bytes sent."""

    default_hint = (
        "Serialise the body once, e.g. json.dumps(body, separators=(',', ':'), "
        "ensure_ascii=False).encode(), send those bytes, and sign or verify the same bytes."
    )


class TimestampFormatError(InputError):
    """An X-TIMESTAMP value that is not an ISO-8601 time with an offset."""

    default_hint = (
        "Use yyyy-MM-ddTHH:mm:ss+07:00 (e.g. 2024-03-05T17:37:16+07:00); a UTC 'Z' and "
        "milliseconds are accepted too, but the offset is required."
    )


class KeyFormatError(InputError):
    """A key that cannot be loaded, or a key of the wrong kind."""

    default_hint = (
        "Pass a PEM (PKCS#8 'PRIVATE KEY', PKCS#1 'RSA PRIVATE KEY', 'PUBLIC KEY', "
        "'RSA PUBLIC KEY' or a certificate), DER bytes, or the bare base64 body."
    )


class KeyTooSmallError(KeyFormatError):
    """A partner private key under 2048 bits: SNAP providers (Midtrans) refuse it."""

    default_hint = "Generate a 2048-bit key: `bisnap keys generate` (or openssl genpkey)."


class SecretFormatError(InputError):
    """A client secret or access token in a form that cannot be right."""


class SignatureFormatError(InputError):
    """A signature that is not base64 or hex of the right length."""

    default_hint = (
        "X-SIGNATURE is base64 (Midtrans) or lowercase hex of the raw signature: "
        "256 bytes for RSA-2048, 64 bytes for HMAC-SHA512."
    )


class HeaderError(InputError):
    """A required header is missing or malformed.

    `.header` names it; `.missing` is True when it is absent (or blank), False when its
    value is malformed.
    """

    def __init__(
        self, message: str, *, header: str, hint: str | None = None, missing: bool = False
    ) -> None:
        self.header = header
        self.missing = missing
        super().__init__(message, hint=hint)

    def _state(self) -> dict[str, Any]:
        return {"header": self.header, "missing": self.missing}


class ConfigurationError(InputError):
    """bisnap was configured in a way that cannot work."""


class RequestValidationError(InputError):
    """A request body breaks the catalogue's rules; found before anything was sent.

    `.endpoint` is the catalogue name; `.problems` holds `(field, rule, detail)` triples,
    one per bad field (the dotted camelCase path the provider uses).
    """

    default_hint = (
        "Fix the fields named above (the rules come from bisnap.catalogue); "
        "pass validate=False to the client to send a body unchecked."
    )

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        problems: tuple[tuple[str, str, str], ...] = (),
        hint: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.problems = problems
        super().__init__(message, hint=hint)

    @property
    def fields(self) -> tuple[str, ...]:
        """The dotted paths of the bad fields, in the order found."""
        return tuple(problem[0] for problem in self.problems)

    def _state(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "problems": self.problems}


class ResponseModelError(InputError):
    """A provider answer does not fit the typed model (its dict is still in `.body`)."""

    default_hint = (
        "Read the answer's .body dict instead, and report the field to the bisnap maintainers."
    )


# --- verification -----------------------------------------------------------------------


class VerificationError(BisnapError):
    """Well-formed input that does not verify."""


class SignatureMismatchError(VerificationError):
    """The presented signature does not match the one computed from the request.

    `.stage` is the first stage that differs between the two sides compared, under the
    vectors' stage names (`minifiedBody`, `bodySha256`, `stringToSign`, `signature`). A
    verifier holds only the presented signature, so the first (and only) stage it can
    compare is `signature`; whoever compares whole traces (`bisnap explain`,
    `explain_service`, ...) sets the earlier stage that really differs. `.trace` is the
    verifier's own trace (secrets masked in its repr; never pickled).
    """

    default_hint = (
        "Run `bisnap explain` with the same request to find the stage and the likely "
        "mistake (pretty body hashed, query dropped, Bearer in the string to sign, ...)."
    )

    def __init__(
        self,
        message: str = "signature does not match",
        *,
        stage: str = "signature",
        trace: object | None = None,
        hint: str | None = None,
    ) -> None:
        self.stage = stage
        self.trace = trace
        super().__init__(message, hint=hint)

    def _state(self) -> dict[str, Any]:
        return {"stage": self.stage, "trace": None}


class TimestampOutOfWindowError(VerificationError):
    """The X-TIMESTAMP is outside the accepted window ("too old" or "too new")."""

    default_hint = (
        "Check the sender's clock (NTP) and that the timestamp is the current time with "
        "the right offset; a replayed request also lands here."
    )

    def __init__(
        self, *, direction: str, skew: timedelta, window: timedelta, hint: str | None = None
    ) -> None:
        self.direction = direction
        self.skew = skew
        self.window = window
        secs = int(abs(skew).total_seconds())
        limit = int(window.total_seconds())
        super().__init__(
            f"timestamp is {direction}: {secs}s from now, window is ±{limit}s", hint=hint
        )

    def _state(self) -> dict[str, Any]:
        return {"direction": self.direction, "skew": self.skew, "window": self.window}


class ReplayError(VerificationError):
    """The same request (the same signed request, or partner id + external id on the same
    day) was already accepted.

    `.already_processed` is True when a handler finished processing it (answer with
    success: nothing is processed twice); False when it was accepted but is still being
    processed, or its outcome is unknown (answer 409: the provider retries later).
    """

    default_hint = (
        "X-EXTERNAL-ID must be unique per partner per day; a retry of a processed "
        "notification can be answered with success without processing it again."
    )

    def __init__(
        self, message: str, *, already_processed: bool = False, hint: str | None = None
    ) -> None:
        self.already_processed = already_processed
        super().__init__(message, hint=hint)

    def _state(self) -> dict[str, Any]:
        return {"already_processed": self.already_processed}


class NotPicklableError(BisnapError, TypeError):
    """An object holding a secret (client secret, token) refused to be pickled.

    Pickles end up in caches, task queues and files; bisnap never writes a secret there.
    Also a `TypeError`, the exception pickle raises for objects it cannot pickle.
    """

    default_hint = (
        "Store what you need explicitly (e.g. token.reveal() into your own encrypted "
        "store), or pickle the object after dropping its secret."
    )


# --- tokens and stores --------------------------------------------------------------------


class TokenError(BisnapError):
    """An access token could not be obtained or used."""


class TokenExchangeError(TokenError):
    """The access-token endpoint refused the request or answered something unusable."""

    def __init__(
        self,
        message: str,
        *,
        code: ResponseCode | None = None,
        status_code: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.code = code
        self.status_code = status_code
        if hint is None and code is not None and code.http_status == 401 and code.case == "00":
            hint = (
                "The provider rejected the access-token signature. Run `bisnap explain token` "
                "with the request you sent (client key, X-TIMESTAMP, X-SIGNATURE)."
            )
        super().__init__(message, hint=hint)

    def _state(self) -> dict[str, Any]:
        return {"code": self.code, "status_code": self.status_code}


class StoreError(BisnapError):
    """The token, replay or external-id store failed."""


class StoreUnavailableError(StoreError):
    """The store (e.g. Redis) could not be reached in time."""

    default_hint = (
        "Check that Redis is running and reachable (host, port, password, TLS); or "
        "configure fallback to the in-process store."
    )


# --- provider answers ---------------------------------------------------------------------


class CallContext(TypedDict, total=False):
    """Which call failed: what `CallError` and its subclasses take besides the message."""

    trace: object | None
    external_id: str | None
    attempt: int | None
    hint: str | None


class CallError(BisnapError):
    """A SNAP call failed: the provider refused it (`ApiError`) or did not answer
    (`TransportError`). `except CallError` catches both.

    `.external_id` is the X-EXTERNAL-ID the call was sent with, `.attempt` the attempt that
    failed (1-based), `.trace` the request's signature trace (never pickled).
    """

    def __init__(self, message: str, **context: Unpack[CallContext]) -> None:
        self.trace = context.get("trace")
        self.external_id = context.get("external_id")
        self.attempt = context.get("attempt")
        super().__init__(message, hint=context.get("hint"))

    def _state(self) -> dict[str, Any]:
        return {"external_id": self.external_id, "attempt": self.attempt, "trace": None}


class ApiError(CallError):
    """A SNAP provider answered with a non-success responseCode.

    `.code` (parsed responseCode), `.status_code`, `.body` (the parsed answer), and
    `.debug_id`: the provider's id of the failed request (Midtrans's `referenceNo` on error
    answers), to quote to the provider's support.
    """

    def __init__(
        self,
        message: str,
        *,
        code: ResponseCode | None = None,
        status_code: int | None = None,
        body: object | None = None,
        debug_id: str | None = None,
        **context: Unpack[CallContext],
    ) -> None:
        self.code = code
        self.status_code = status_code
        self.body = body
        self.debug_id = debug_id
        super().__init__(message, **context)

    def _state(self) -> dict[str, Any]:
        return {
            **super()._state(),
            "code": self.code,
            "status_code": self.status_code,
            "body": _masked_body(self.body),
            "debug_id": self.debug_id,
        }


def _masked_body(body: object) -> object:
    # A pickle of the error never carries a token the provider echoed in its answer.
    from bisnap.tokens import mask_secret_values  # errors.py sits below tokens.py

    return mask_secret_values(body)


class UnauthorizedError(ApiError):
    """401xx00: usually the request signature (or the credentials) was rejected."""

    default_hint = (
        "Run `bisnap explain service` with the request you sent: it recomputes every stage "
        "and names the mistake (the trace of the request is on `.trace`)."
    )


class TokenRejectedError(ApiError):
    """401xx01..04: the access token or customer token is invalid, expired or unknown."""

    default_hint = "Fetch a new access token (TokenProvider refreshes it once automatically)."


#: Deprecated alias of `TokenRejectedError`: the old name shadowed `jwt.InvalidTokenError`
#: (pyjwt), which users import beside bisnap. Kept importable; not in `__all__`.
InvalidTokenError = TokenRejectedError


class ConflictError(ApiError):
    """409xx00 (X-EXTERNAL-ID reused the same day) or 409xx01 (duplicate partnerReferenceNo)."""

    default_hint = "Use a fresh X-EXTERNAL-ID / partnerReferenceNo, or query the status instead."


class ServerError(ApiError):
    """5xx: the provider failed; check the status before retrying a payment or transfer."""

    default_hint = "Query the transaction status before retrying; never blindly re-send money."


class TransportError(CallError):
    """No usable answer from the provider (timeout, connection lost): beside `ApiError`,
    not under it, since no provider answered. `.retryable` is False for failures that a
    re-send cannot mend (an unsupported URL scheme, a local protocol error)."""

    default_hint = "Check connectivity; query the transaction status before any retry."
    #: No answer, so no responseCode, HTTP status or body (read like `ApiError`'s).
    code: ResponseCode | None = None
    status_code: int | None = None
    body: object | None = None

    def __init__(
        self, message: str, *, retryable: bool = True, **context: Unpack[CallContext]
    ) -> None:
        self.retryable = retryable
        super().__init__(message, **context)

    def _state(self) -> dict[str, Any]:
        return {**super()._state(), "retryable": self.retryable}


class ConnectionFailedError(TransportError):
    """The request never left: connection refused, connect or pool timeout (safe to re-send)."""

    default_hint = "Check the base URL, DNS, the proxy and that the provider allows your IP."


class BadRequestError(ApiError):
    """400xx: the provider could not use the request (bad format, missing mandatory field)."""

    default_hint = (
        "Read responseMessage: it names the field (400xx01 Invalid Field Format, "
        "400xx02 Invalid Mandatory Field)."
    )


class ForbiddenError(ApiError):
    """403xx: refused for a business reason (insufficient funds, limits, dormant account)."""

    default_hint = "The request was understood and refused; re-sending it will not help."


class NotFoundError(ApiError):
    """404xx: transaction, account, bill or route not found (or inconsistent)."""

    default_hint = "Check the reference numbers and identifiers in the body."


class RateLimitError(ApiError):
    """429xx: too many requests."""

    default_hint = "Slow down; bisnap retries read-only calls with backoff."
