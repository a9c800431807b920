"""The mistakes explain replays, their flags and stages, and the search budget.

Body mistakes come from `bisnap.explain._body` (and its encoders); this module holds the
string-to-sign mistakes: the timestamp spelled differently, `Bearer` before the token, the
path with a provider prefix added or forgotten, the host or no version segment in it, the
query dropped or added, the method in lower case. `string_mistakes` lists them, most likely
first, as transformations of the `Parts` of a string to sign.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bisnap import canonical
from bisnap.timestamps import TimestampStyle, format_timestamp, parse_timestamp

from ._body import BodyHypothesis, body_hypotheses
from .model import SenderStages

__all__ = [
    "BODY_MISTAKES",
    "KNOWN_HOSTS",
    "KNOWN_PATH_PREFIXES",
    "MAX_HYPOTHESES",
    "MISTAKE_STAGES",
    "STRING_MISTAKES",
    "Candidate",
    "Parts",
    "StringMistake",
    "body_variants",
    "path_prefix_variants",
    "string_mistakes",
    "timestamp_variants",
]

#: Mistakes of the body stages, most likely first.
BODY_MISTAKES = (
    "PrettyBodyHashed",
    "BodyReserialised",
    "SlashEscaped",
    "UnicodeEscaped",
    "InnerWhitespaceStripped",
    "EmptyBodyAsBraces",
    "EmptyBodyAsNull",
    "EmptyBodyHashEmpty",
    "EmptyBodyHashOmitted",
)
#: Mistakes of the stringToSign stage, most likely first.
STRING_MISTAKES = (
    "QueryDropped",
    "QueryAdded",
    "PathPrefixMissing",
    "PathWithHost",
    "VersionSegmentMissing",
    "BearerInStringToSign",
    "TimestampMismatch",
    "LowercaseMethod",
    "ClientKeyMismatch",
)
#: The first stage each flag changes.
MISTAKE_STAGES: dict[str, str | None] = {
    **dict.fromkeys(BODY_MISTAKES, "minifiedBody"),
    "EmptyBodyHashEmpty": "bodySha256",
    "EmptyBodyHashOmitted": "bodySha256",
    **dict.fromkeys(STRING_MISTAKES, "stringToSign"),
    "WrongKeyOrSecret": "signature",
    "HexInsteadOfBase64": None,
}

#: The most hypotheses one search tries (a full search on a 1 KB body tries a few thousand).
MAX_HYPOTHESES = 20_000

# SNAP: providers put a prefix before the version segment `/v{major}.{minor}/`
# (shared/spec/snap-standard.md §4.1); these are the prefixes senders add or forget.
KNOWN_PATH_PREFIXES = ("/snap", "/api", "/openapi", "/snap-service", "/ordersnap/api")
#: Hosts a sender may have put in the signed path (Midtrans's BI-SNAP hosts,
#: shared/spec/midtrans-core.md §4), besides the request's own Host.
KNOWN_HOSTS = (
    "merchants.sbx.midtrans.com",
    "merchants.midtrans.com",
    "merchants.stg.midtrans.com",
    "api.sandbox.midtrans.com",
    "api.midtrans.com",
)
_VERSION_SEGMENT = re.compile(r"/v\d+(?:\.\d+)?/")


def body_variants(body: bytes | str | None) -> list[tuple[str, bytes]]:
    """The bodies a sender hashes by mistake instead of `minify(body)`, with their flags.

    Returns `(flag, bytes hashed)` pairs, most likely first, each different from the
    correct minified body; only the hypotheses that earn a single flag are listed (see
    `body_hypotheses` for all, with their encoders). An empty body gives only
    `EmptyBodyAsBraces`/`EmptyBodyAsNull`.

    Raises:
        BodyNotJSONError: the body is not JSON.
    """
    _, hypotheses = body_hypotheses(body)
    found: list[tuple[str, bytes]] = []
    for hyp in hypotheses:
        if len(hyp.flags) != 1 or hyp.flags[0].startswith("EmptyBodyHash"):
            continue
        pair = (hyp.flags[0], hyp.hashed)
        if pair not in found:
            found.append(pair)
    return found


def path_prefix_variants(path: str) -> list[str]:
    """Paths a sender signs with the provider prefix forgotten, or a prefix wrongly added.

    `/snap/v1.0/x` → `/v1.0/x` (everything before the first `/v<n>[.<m>]/` segment
    removed); `/v1.0/x` → `/snap/v1.0/x`, `/api/v1.0/x`, ... (the known prefixes).
    """
    match = _VERSION_SEGMENT.search(path.split("?", 1)[0])
    if match is None:
        return []
    if match.start() > 0:
        return [path[match.start() :]]
    return [prefix + path for prefix in KNOWN_PATH_PREFIXES]


def _without_version(path: str) -> str | None:
    match = _VERSION_SEGMENT.search(path.split("?", 1)[0])
    if match is None:
        return None
    return path[: match.start()] + path[match.end() - 1 :]


_STYLES = (
    TimestampStyle.JAKARTA,
    TimestampStyle.JAKARTA_MS,
    TimestampStyle.UTC_Z,
    TimestampStyle.UTC_Z_MS,
)
_TS_PARTS = re.compile(r"(?P<base>[^.]*?)(?P<frac>\.\d+)?(?P<tz>Z|[+-]\d{2}:?\d{2})\Z")


def timestamp_variants(timestamp: str) -> list[str]:
    """Timestamps a sender signs instead of the X-TIMESTAMP header value.

    The same instant in each provider style (`+07:00` or UTC `Z`, whole seconds or `.SSS`
    milliseconds; a header with milliseconds keeps them), then the header's own spelling
    one second later and earlier. The header value itself is never among them.

    Raises:
        TimestampFormatError: the header value is not an X-TIMESTAMP.
    """
    at = parse_timestamp(timestamp)
    found: list[str] = []
    for style in _STYLES:
        value = format_timestamp(at, style)
        if value != timestamp and value not in found:
            found.append(value)
    parts = _TS_PARTS.match(timestamp)
    if parts is not None:
        for seconds in (1, -1):
            shifted = (at + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
            value = shifted + (parts["frac"] or "") + parts["tz"]
            if value not in found:
                found.append(value)
    return found


def _other_spellings(timestamp: str) -> list[str]:
    """Spellings of the header's own instant that some clients sign: the offset without its
    colon (Java's SimpleDateFormat `Z`: `+0700`), and the local time with no offset."""
    parts = _TS_PARTS.match(timestamp)
    if parts is None or parts["tz"] == "Z":
        return []
    local = parts["base"] + (parts["frac"] or "")
    found = [local + parts["tz"].replace(":", ""), local]
    return [value for value in found if value != timestamp]


@dataclass(frozen=True)
class Parts:
    """The pieces of a string to sign; `token` None for the asymmetric form."""

    method: str
    path: str
    token: str | None
    timestamp: str

    def build(self, digest: str) -> str:
        """The string to sign with `digest` as its hash segment (canonical formatters)."""
        if self.token is None:
            return canonical.format_asymmetric(self.method, self.path, digest, self.timestamp)
        return canonical.format_symmetric(
            self.method, self.path, self.token, digest, self.timestamp
        )


@dataclass(frozen=True)
class StringMistake:
    flag: str
    slot: str
    apply: Callable[[Parts], Parts]
    detail: str


@dataclass(frozen=True)
class Candidate:
    flags: tuple[str, ...]
    sender: SenderStages
    details: tuple[str, ...]
    body: BodyHypothesis | None


def string_mistakes(
    req: Parts, raw_path: str, include_query: bool, host: str | None
) -> list[StringMistake]:
    """Each string-to-sign mistake, most likely first; one per `slot` combines with others."""
    signed = req.path
    out: list[StringMistake] = []
    ts = req.timestamp

    def path_to(value: str) -> Callable[[Parts], Parts]:
        return lambda p: dataclasses.replace(p, path=value)

    has_query = "?" in raw_path
    if has_query and include_query:
        bare = raw_path.split("?", 1)[0]
        out.append(
            StringMistake(
                "QueryDropped",
                "query",
                lambda p: dataclasses.replace(p, path=p.path.split("?", 1)[0]),
                f"you signed {bare}",
            )
        )
    if has_query and not include_query:
        query = "?" + raw_path.split("?", 1)[1]
        out.append(
            StringMistake(
                "QueryAdded",
                "query",
                lambda p: dataclasses.replace(p, path=p.path + query),
                f"you signed {raw_path}",
            )
        )
    for stamp in [*timestamp_variants(ts), *_other_spellings(ts)]:
        out.append(
            StringMistake(
                "TimestampMismatch",
                "timestamp",
                lambda p, stamp=stamp: dataclasses.replace(p, timestamp=stamp),  # type: ignore[misc]
                f"you signed the timestamp {stamp} but sent X-TIMESTAMP {ts}",
            )
        )
    if req.token is not None:
        bearer = f"Bearer {req.token}"
        out.append(
            StringMistake(
                "BearerInStringToSign",
                "token",
                lambda p: dataclasses.replace(p, token=bearer),
                "",
            )
        )
    for other in path_prefix_variants(signed):
        out.append(
            StringMistake(
                "PathPrefixMissing",
                "path",
                _swap_path(signed, other),
                f"you signed the path {other} but the request went to {signed}",
            )
        )
    hosts = [h for h in dict.fromkeys([*([host] if host else []), *KNOWN_HOSTS]) if h]
    for name in hosts:
        for form in (f"https://{name}{signed}", f"{name}{signed}"):
            out.append(
                StringMistake(
                    "PathWithHost",
                    "path",
                    _swap_path(signed, form),
                    f"you signed {form}, with the host; the string to sign takes the "
                    f"relative path {signed}",
                )
            )
    bare_version = _without_version(signed)
    if bare_version is not None:
        out.append(
            StringMistake(
                "VersionSegmentMissing",
                "path",
                _swap_path(signed, bare_version),
                f"you signed {bare_version}, without the version segment; sign the full "
                f"path {signed}",
            )
        )
    if req.method.lower() != req.method:
        lower = req.method.lower()
        out.append(
            StringMistake(
                "LowercaseMethod",
                "method",
                lambda p: dataclasses.replace(p, method=lower),
                f"you signed {lower!r}",
            )
        )
    return out


def _swap_path(signed: str, other: str) -> Callable[[Parts], Parts]:
    """Replace the signed path by `other`, keeping a query another mistake dropped or added."""
    base, other_base = signed.split("?", 1)[0], other.split("?", 1)[0]

    def apply(p: Parts) -> Parts:
        if p.path == signed:
            return dataclasses.replace(p, path=other)
        if p.path.startswith(base):
            return dataclasses.replace(p, path=other_base + p.path[len(base) :])
        return dataclasses.replace(p, path=other)

    return apply
