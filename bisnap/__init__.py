"""bisnap: Bank Indonesia SNAP (BI-SNAP) API security, byte-exact.

Sign and verify every SNAP signature with every stage visible, minify bodies without
re-serialising them, load keys in every form they arrive in, and get typed errors that
say what to fix.

What the top level exports (the rule `tests/unit/test_exports.py` checks): the names a user
needs for the main tasks, and nothing else:

1. sign / verify / minify: `sign_*`, `verify_*`, their `SignatureTrace`, `minify`, the
   X-TIMESTAMP format (`format_timestamp`, `parse_timestamp`, `TimestampStyle`) and the
   request headers they go into (`build_*_headers`, `ExternalIdGenerator`, `redact_headers`);
2. keys: load, generate, fingerprint, describe and match them;
3. the clients and token providers (`SnapClient`, `SnapAuth`, `TokenProvider`, their async
   twins, `RetryPolicy`, `RefreshPolicy`, the token types and the sans-I/O token exchange)
   and the stores they take (the in-memory ones and the protocols a custom store implements);
4. notification verifiers and replies (`NotificationVerifier`, `Notification`, the legacy
   Midtrans verifiers, `success_reply`, `reply_for_error`);
5. `explain_*` and its `Explanation`;
6. the error tree of `bisnap.errors` (the base classes a caller catches and the errors each
   public function documents) and the warnings bisnap emits;
7. the clock types (`Clock`, `SystemClock`, `FixedClock`, `JAKARTA`).

A value an exported function returns is exported with it. Everything else (stage names,
response-code parsing, provider profiles, notification field types, the signing side of the
legacy signatures, the CLI's own modules) is imported from its module: `bisnap.signing`,
`bisnap.responses`, `bisnap.profiles`, `bisnap.notifications`, `bisnap.legacy`, ...
"""

import logging

from bisnap._version import __version__ as __version__
from bisnap.canonical import EMPTY_BODY_SHA256
from bisnap.clock import JAKARTA, Clock, FixedClock, SystemClock
from bisnap.errors import (
    ApiError,
    BadRequestError,
    BisnapError,
    BodyNotJSONError,
    BodyTypeError,
    CallError,
    ConfigurationError,
    ConflictError,
    ConnectionFailedError,
    ForbiddenError,
    HeaderError,
    InputError,
    InputTypeError,
    KeyFormatError,
    KeyStrengthWarning,
    KeyTooSmallError,
    NotFoundError,
    NotPicklableError,
    RateLimitError,
    ReplayError,
    RequestValidationError,
    ResponseModelError,
    SecretFormatError,
    ServerError,
    SignatureFormatError,
    SignatureMismatchError,
    StoreError,
    StoreUnavailableError,
    TimestampFormatError,
    TimestampOutOfWindowError,
    TokenError,
    TokenExchangeError,
    TokenRejectedError,
    TransportError,
    UnauthorizedError,
    VerificationError,
)
from bisnap.errors import (
    InvalidTokenError as InvalidTokenError,  # deprecated alias of TokenRejectedError
)
from bisnap.explain import (
    Explanation,
    explain_access_token,
    explain_service,
    explain_service_asymmetric,
)
from bisnap.headers import (
    ExternalIdGenerator,
    build_access_token_headers,
    build_service_headers,
    redact_headers,
)
from bisnap.http import AsyncSnapClient, RetryPolicy, SnapAuth, SnapClient, SnapResponse
from bisnap.http.tokens import AsyncTokenProvider, TokenProvider
from bisnap.http.typed import TypedResponse
from bisnap.keys import (
    KeyDescription,
    KeyPair,
    describe_key,
    fingerprint,
    generate_key_pair,
    keys_match,
    load_private_key,
    load_public_key,
)
from bisnap.legacy import (
    verify_core_notification,
    verify_iris_signature,
    verify_payout_notification,
)
from bisnap.minify import minify
from bisnap.notifications import (
    AsyncNotificationVerifier,
    Notification,
    NotificationVerifier,
)
from bisnap.replies import NotificationReply, reply_for_error, success_reply
from bisnap.secrets import AccessToken, Secret
from bisnap.signing import (
    SignatureTrace,
    sign_access_token,
    sign_service,
    sign_service_asymmetric,
    verify_access_token,
    verify_service,
    verify_service_asymmetric,
)
from bisnap.stores.base import MemoryOnceStore
from bisnap.stores.memory import AsyncMemoryTokenStore, MemoryTokenStore
from bisnap.stores.protocols import AsyncTokenStore, OnceStore, TokenStore
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp
from bisnap.tokens import (
    RefreshPolicy,
    StoreFallbackWarning,
    TokenRequest,
    build_b2b2c_token_request,
    build_token_request,
    customer_token_from_binding,
    parse_b2b2c_token_response,
    parse_token_response,
)

# The library logs under "bisnap" and leaves handlers to the application.
logging.getLogger("bisnap").addHandler(logging.NullHandler())

__all__ = [
    "EMPTY_BODY_SHA256",
    "JAKARTA",
    "AccessToken",
    "ApiError",
    "AsyncMemoryTokenStore",
    "AsyncNotificationVerifier",
    "AsyncSnapClient",
    "AsyncTokenProvider",
    "AsyncTokenStore",
    "BadRequestError",
    "BisnapError",
    "BodyNotJSONError",
    "BodyTypeError",
    "CallError",
    "Clock",
    "ConfigurationError",
    "ConflictError",
    "ConnectionFailedError",
    "Explanation",
    "ExternalIdGenerator",
    "FixedClock",
    "ForbiddenError",
    "HeaderError",
    "InputError",
    "InputTypeError",
    "KeyDescription",
    "KeyFormatError",
    "KeyPair",
    "KeyStrengthWarning",
    "KeyTooSmallError",
    "MemoryOnceStore",
    "MemoryTokenStore",
    "NotFoundError",
    "NotPicklableError",
    "Notification",
    "NotificationReply",
    "NotificationVerifier",
    "OnceStore",
    "RateLimitError",
    "RefreshPolicy",
    "ReplayError",
    "RequestValidationError",
    "ResponseModelError",
    "RetryPolicy",
    "Secret",
    "SecretFormatError",
    "ServerError",
    "SignatureFormatError",
    "SignatureMismatchError",
    "SignatureTrace",
    "SnapAuth",
    "SnapClient",
    "SnapResponse",
    "StoreError",
    "StoreFallbackWarning",
    "StoreUnavailableError",
    "SystemClock",
    "TimestampFormatError",
    "TimestampOutOfWindowError",
    "TimestampStyle",
    "TokenError",
    "TokenExchangeError",
    "TokenProvider",
    "TokenRejectedError",
    "TokenRequest",
    "TokenStore",
    "TransportError",
    "TypedResponse",
    "UnauthorizedError",
    "VerificationError",
    "build_access_token_headers",
    "build_b2b2c_token_request",
    "build_service_headers",
    "build_token_request",
    "customer_token_from_binding",
    "describe_key",
    "explain_access_token",
    "explain_service",
    "explain_service_asymmetric",
    "fingerprint",
    "format_timestamp",
    "generate_key_pair",
    "keys_match",
    "load_private_key",
    "load_public_key",
    "minify",
    "parse_b2b2c_token_response",
    "parse_timestamp",
    "parse_token_response",
    "redact_headers",
    "reply_for_error",
    "sign_access_token",
    "sign_service",
    "sign_service_asymmetric",
    "success_reply",
    "verify_access_token",
    "verify_core_notification",
    "verify_iris_signature",
    "verify_payout_notification",
    "verify_service",
    "verify_service_asymmetric",
]
