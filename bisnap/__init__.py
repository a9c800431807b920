"""bisnap: Bank Indonesia SNAP (BI-SNAP) API security, byte-exact.

Sign and verify every SNAP signature with every stage visible, minify bodies without
re-serialising them, load keys in every form they arrive in, and get typed errors that
say what to fix.
"""

from bisnap.canonical import EMPTY_BODY_SHA256
from bisnap.clock import JAKARTA, Clock, FixedClock, SystemClock
from bisnap.errors import (
    ApiError,
    BisnapError,
    BodyNotJSONError,
    ConfigurationError,
    ConflictError,
    HeaderError,
    InputError,
    InvalidTokenError,
    KeyFormatError,
    KeyStrengthWarning,
    KeyTooSmallError,
    ReplayError,
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
    TransportError,
    UnauthorizedError,
    VerificationError,
)
from bisnap.headers import (
    ExternalIdGenerator,
    build_access_token_headers,
    build_service_headers,
    get_header,
    redact_headers,
)
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
from bisnap.minify import minify
from bisnap.responses import ResponseCode, parse_response_code
from bisnap.secrets import AccessToken, Secret
from bisnap.signing import (
    STAGES,
    SignatureTrace,
    sign_access_token,
    sign_service,
    sign_service_asymmetric,
    verify_access_token,
    verify_service,
    verify_service_asymmetric,
)
from bisnap.stores.base import MemoryOnceStore, OnceStore
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp

__version__ = "0.1.0"

__all__ = [
    "EMPTY_BODY_SHA256",
    "JAKARTA",
    "STAGES",
    "AccessToken",
    "ApiError",
    "BisnapError",
    "BodyNotJSONError",
    "Clock",
    "ConfigurationError",
    "ConflictError",
    "ExternalIdGenerator",
    "FixedClock",
    "HeaderError",
    "InputError",
    "InvalidTokenError",
    "KeyDescription",
    "KeyFormatError",
    "KeyPair",
    "KeyStrengthWarning",
    "KeyTooSmallError",
    "MemoryOnceStore",
    "OnceStore",
    "ReplayError",
    "ResponseCode",
    "Secret",
    "SecretFormatError",
    "ServerError",
    "SignatureFormatError",
    "SignatureMismatchError",
    "SignatureTrace",
    "StoreError",
    "StoreUnavailableError",
    "SystemClock",
    "TimestampFormatError",
    "TimestampOutOfWindowError",
    "TimestampStyle",
    "TokenError",
    "TokenExchangeError",
    "TransportError",
    "UnauthorizedError",
    "VerificationError",
    "build_access_token_headers",
    "build_service_headers",
    "describe_key",
    "fingerprint",
    "format_timestamp",
    "generate_key_pair",
    "get_header",
    "keys_match",
    "load_private_key",
    "load_public_key",
    "minify",
    "parse_response_code",
    "parse_timestamp",
    "redact_headers",
    "sign_access_token",
    "sign_service",
    "sign_service_asymmetric",
    "verify_access_token",
    "verify_service",
    "verify_service_asymmetric",
]
