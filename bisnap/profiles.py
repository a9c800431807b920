"""Provider profiles: the knobs where SNAP providers differ, in one frozen value.

Midtrans is the built-in default (`MIDTRANS`). Another provider is a profile, not a fork:

```python
from bisnap.profiles import generic_snap

acme = generic_snap("acme", prefix="/snap", signature_encoding="hex")
assert acme.service_path("/v1.0/transfer-va/create-va") == "/snap/v1.0/transfer-va/create-va"
```

`BRI` and `DOKU` are examples built only from what `shared/spec/snap-standard.md` §4 records
about those providers; check them against your provider's documentation before use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bisnap.catalogue import ACCESS_TOKEN_B2B
from bisnap.clock import Clock
from bisnap.errors import ConfigurationError
from bisnap.headers import ORIGIN, ExternalIdGenerator
from bisnap.signing import Encoding
from bisnap.stores.protocols import OnceStore
from bisnap.timestamps import TimestampStyle

__all__ = [
    "BRI",
    "DOKU",
    "MIDTRANS",
    "MIDTRANS_PRODUCTION",
    "MIDTRANS_SANDBOX",
    "MIDTRANS_STAGING",
    "Environment",
    "ProviderProfile",
    "generic_snap",
]

_TOKEN_PATH = ACCESS_TOKEN_B2B.path


@dataclass(frozen=True)
class Environment:
    """A provider environment: the API base URL and, if separate, the app host.

    `app_base_url` serves catalogue entries marked `host="app"` (Midtrans's Get Auth Code).
    """

    name: str
    base_url: str
    app_base_url: str | None = None


# SNAP: Midtrans BI-SNAP hosts; Get Auth Code lives on merchants-app.* (midtrans-core.md §1.3).
MIDTRANS_SANDBOX = Environment(
    "sandbox", "https://merchants.sbx.midtrans.com", "https://merchants-app.sbx.midtrans.com"
)
MIDTRANS_STAGING = Environment(
    "staging", "https://merchants.stg.midtrans.com", "https://merchants-app.stg.midtrans.com"
)
MIDTRANS_PRODUCTION = Environment(
    "production", "https://merchants.midtrans.com", "https://merchants-app.midtrans.com"
)


@dataclass(frozen=True)
class ProviderProfile:
    """Everything bisnap needs to know to talk SNAP to one provider.

    - `signature_encoding`: `"base64"` (Midtrans, most providers) or `"hex"`.
    - `timestamp_style`: how X-TIMESTAMP is spelled (the signed string is the header value).
    - `include_query`: whether the signed EndpointUrl keeps `?query`.
    - `token_path`: the full path of the B2B access-token call (the prefix is not added).
    - `grant_type_field`: `"grantType"` (the standard) or `"grant_type"`.
    - `path_prefix`: put before every catalogue path (e.g. `/snap`).
    - `path_overrides`: catalogue name → full path, for providers whose paths differ.
    - `origin_header`: `ORIGIN` (the standard) or `X-ORIGIN`.
    - `extra_headers`: sent on every service call.
    - `external_id_length` / `external_id_factory`: the X-EXTERNAL-ID shape.
    - `environments`: named base URLs (`"sandbox"`, `"production"`, ...).
    """

    name: str
    signature_encoding: Encoding = "base64"
    timestamp_style: TimestampStyle = TimestampStyle.JAKARTA
    include_query: bool = True
    token_path: str = _TOKEN_PATH
    grant_type_field: str = "grantType"
    path_prefix: str = ""
    path_overrides: tuple[tuple[str, str], ...] = ()
    origin_header: str = ORIGIN
    extra_headers: tuple[tuple[str, str], ...] = ()
    external_id_length: int = 20
    external_id_factory: Callable[[], str] | None = field(default=None, compare=False)
    environments: tuple[Environment, ...] = ()

    def __post_init__(self) -> None:
        if self.signature_encoding not in ("base64", "hex"):
            raise ConfigurationError(
                f"signature encoding {self.signature_encoding!r} is not 'base64' or 'hex'"
            )
        for path in (self.token_path, *(p for _, p in self.path_overrides)):
            if not path.startswith("/"):
                raise ConfigurationError(f"profile path {path!r} does not start with '/'")
        if self.path_prefix and (
            not self.path_prefix.startswith("/") or self.path_prefix.endswith("/")
        ):
            raise ConfigurationError(
                f"path prefix {self.path_prefix!r} must start with '/' and not end with one",
                hint="Write it like '/snap'.",
            )

    def service_path(self, catalogue_path: str, name: str | None = None) -> str:
        """The path sent for a catalogue path (override by `name`, else prefix + path)."""
        if name is not None:
            for known, path in self.path_overrides:
                if known == name:
                    return path
        return self.path_prefix + catalogue_path

    @property
    def headers(self) -> Mapping[str, str]:
        """`extra_headers` as a mapping."""
        return dict(self.extra_headers)

    def grant_body(self) -> dict[str, str]:
        """The B2B access-token request body, with this provider's `grantType` spelling."""
        # SNAP: body {"grantType":"client_credentials"}; Midtrans's libraries and Bank Neo
        # send grant_type (midtrans-core.md §3.1, snap-standard.md §4.1).
        return {self.grant_type_field: "client_credentials"}

    def environment(self, name: str) -> Environment:
        """The environment called `name`.

        Raises:
            ConfigurationError: the profile has no environment of that name.
        """
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(repr(e.name) for e in self.environments) or "none"
        raise ConfigurationError(
            f"profile {self.name!r} has no environment {name!r} (known: {known})",
            hint="Pass a full base URL such as 'https://merchants.sbx.midtrans.com'.",
        )

    def external_ids(
        self, *, clock: Clock | None = None, registry: OnceStore | None = None
    ) -> ExternalIdGenerator:
        """An X-EXTERNAL-ID generator of this provider's shape."""
        return ExternalIdGenerator(
            length=self.external_id_length,
            clock=clock,
            registry=registry,
            factory=self.external_id_factory,
        )


#: Midtrans BI-SNAP (Core payments, Reporting, Payouts): the built-in default.
# SNAP: Midtrans signs base64 HMAC-SHA512 over the path with query, timestamp +07:00 at
# whole seconds, no path prefix (midtrans-core.md §2.1, §2.2, midtrans-reporting-payouts.md §1.1).
MIDTRANS = ProviderProfile(
    name="midtrans",
    environments=(MIDTRANS_SANDBOX, MIDTRANS_STAGING, MIDTRANS_PRODUCTION),
)


def generic_snap(
    name: str,
    *,
    prefix: str = "",
    token_path: str | None = None,
    signature_encoding: Encoding = "base64",
    timestamp_style: TimestampStyle = TimestampStyle.JAKARTA,
    include_query: bool = True,
    grant_type_field: str = "grantType",
    origin_header: str = ORIGIN,
    path_overrides: Mapping[str, str] | None = None,
    extra_headers: Mapping[str, str] | None = None,
    external_id_length: int = 20,
    external_id_factory: Callable[[], str] | None = None,
    environments: tuple[Environment, ...] = (),
) -> ProviderProfile:
    """A profile for a standard-shaped SNAP provider with its paths under `prefix`.

    The token path defaults to `prefix + "/v1.0/access-token/b2b"`.

    Raises:
        ConfigurationError: a prefix or path that does not start with '/'.
    """
    return ProviderProfile(
        name=name,
        signature_encoding=signature_encoding,
        timestamp_style=timestamp_style,
        include_query=include_query,
        token_path=token_path if token_path is not None else prefix + _TOKEN_PATH,
        grant_type_field=grant_type_field,
        path_prefix=prefix,
        path_overrides=tuple((path_overrides or {}).items()),
        origin_header=origin_header,
        extra_headers=tuple((extra_headers or {}).items()),
        external_id_length=external_id_length,
        external_id_factory=external_id_factory,
        environments=environments,
    )


#: BRI, as recorded in the spec: `/snap` prefix, hex HMAC and the bare path signed (the
#: official PHP SDK), millisecond timestamps (the OAuth doc). An example, not a tested preset.
# SNAP: BRI paths /snap/v1.0/... (snap-standard.md §4.1); hex output, parse_url(PATH) and
# .SSS timestamps (snap-standard.md §4.4).
BRI = generic_snap(
    "bri",
    prefix="/snap",
    signature_encoding="hex",
    include_query=False,
    timestamp_style=TimestampStyle.JAKARTA_MS,
)

#: DOKU, as recorded in the spec: UTC `Z` timestamps and its own token and VA paths.
#: An example, not a tested preset.
# SNAP: DOKU token, VA and direct-debit paths (snap-standard.md §4.1), `Z` timestamps (§4.4).
DOKU = generic_snap(
    "doku",
    token_path="/authorization/v1/access-token/b2b",  # noqa: S106 - a path, not a secret
    timestamp_style=TimestampStyle.UTC_Z,
    path_overrides={
        "create_va": "/virtual-accounts/bi-snap-va/v1.1/transfer-va/create-va",
        "delete_va": "/virtual-accounts/bi-snap-va/v1.1/transfer-va/delete-va",
        "va_status": "/orders/v1.0/transfer-va/status",
        "account_binding": "/direct-debit/core/v1/registration-account-binding",
    },
)
