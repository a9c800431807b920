"""The shape of a catalogue entry: `Endpoint`, `NotificationEndpoint` and `FieldRule`.

`success_code` is built by `bisnap.responses.build_response_code`, the one home for codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bisnap.responses import build_response_code

__all__ = [
    "PARTNER_SERVICE_ID_RULE",
    "SERVICE_CODE_RULE",
    "Endpoint",
    "FieldRule",
    "NotificationEndpoint",
    "RuleCheck",
    "amount_rules",
    "max_length_rules",
    "timestamp_rules",
]


#: What a `FieldRule` checks.
RuleCheck = Literal[
    "amount",
    "currency",
    "partner_service_id",
    "va_number",
    "timestamp",
    "max_length",
    "digits",
    "choice",
    "range",
]


@dataclass(frozen=True)
class FieldRule:
    """A documented format of one body field, checked by the client before sending.

    `path` is the dotted camelCase body path (`[]` steps into every item of a list, e.g.
    `payOptionDetails[].transAmount.value`). `check` says what is checked:

    - `amount`: a string `^\\d+\\.\\d\\d$` (`"10000.00"`, never a number);
    - `currency`: three capital letters (`"IDR"`);
    - `partner_service_id`: 8 characters, the number left-padded with spaces (`"   70012"`);
    - `va_number`: `partnerServiceId + customerNo`, at most `limit` characters;
    - `timestamp`: ISO-8601 with seconds and an offset (`2024-03-05T10:00:00+07:00`);
    - `max_length`: a string of at most `limit` characters;
    - `digits`: a string of exactly `limit` digits;
    - `choice`: one of `choices`;
    - `range`: an integer (or digit string) from `minimum` to `limit`.

    A field that is absent is not checked here (`required_fields` says what must be there).
    """

    path: str
    check: RuleCheck
    limit: int | None = None
    minimum: int | None = None
    choices: tuple[str, ...] = ()

    @property
    def rule(self) -> str:
        """The rule in words, as error messages and docs show it."""
        return _RULE_TEXT[self.check].format(
            limit=self.limit, minimum=self.minimum, choices=", ".join(self.choices)
        )


_RULE_TEXT: dict[str, str] = {
    "amount": "a decimal string with two places, ^\\d+\\.\\d\\d$ (e.g. 10000.00)",
    "currency": "three capital letters (e.g. IDR)",
    "partner_service_id": "8 characters, the number left-padded with spaces (e.g. '   70012')",
    "va_number": "partnerServiceId + customerNo, at most {limit} characters",
    "timestamp": "ISO-8601 with seconds and an offset (e.g. 2024-03-05T10:00:00+07:00)",
    "max_length": "a string of at most {limit} characters",
    "digits": "a string of exactly {limit} digits",
    "choice": "one of {choices}",
    "range": "an integer from {minimum} to {limit}",
}


@dataclass(frozen=True)
class Endpoint:
    """One SNAP API the merchant calls.

    `path` is the path after the provider's base URL (Midtrans has no extra prefix).
    `required_fields` are dotted body paths the provider rejects a request without
    (`400xx02 Invalid Mandatory Field`); `one_of` lists groups of which at least one
    member is required (e.g. `originalReferenceNo` or `originalExternalId`); `rules` are
    the documented formats of fields (`FieldRule`). The client checks all three before
    sending (`bisnap.validation`); the emulator answers `400xx02` for the first two.
    """

    name: str
    method: str
    path: str
    service_code: str
    product: str
    title: str
    required_fields: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    customer_token: bool = False  # Authorization-Customer + X-DEVICE-ID
    customer_token_optional: bool = False
    host: str = "api"  # "api" (merchants.*) or "app" (merchants-app.*, Get Auth Code)
    signed: bool = True
    idempotent_replay: bool = False  # same X-EXTERNAL-ID re-sent = replay, not a new charge
    moves_money: bool = False  # a timeout must not be blindly re-sent
    status_endpoint: str | None = None  # what to ask before retrying a money movement
    read_only: bool = False  # a status or inquiry: safe to re-send after a 5xx or timeout
    rules: tuple[FieldRule, ...] = ()

    @property
    def success_code(self) -> str:
        """`200` + service code + `00`."""
        return build_response_code(200, self.service_code, "00").code


@dataclass(frozen=True)
class NotificationEndpoint:
    """A notification Midtrans sends to the merchant: `{prefix}` + `path`."""

    name: str
    path: str
    service_code: str
    title: str
    echo_virtual_account: bool = False  # the VA reply echoes virtualAccountData

    @property
    def success_code(self) -> str:
        """The responseCode the merchant answers with on success."""
        return build_response_code(200, self.service_code, "00").code


def amount_rules(path: str) -> tuple[FieldRule, FieldRule]:
    return (FieldRule(f"{path}.value", "amount"), FieldRule(f"{path}.currency", "currency"))


def max_length_rules(limit: int, *paths: str) -> tuple[FieldRule, ...]:
    return tuple(FieldRule(path, "max_length", limit) for path in paths)


def timestamp_rules(*paths: str) -> tuple[FieldRule, ...]:
    return tuple(FieldRule(path, "timestamp") for path in paths)


SERVICE_CODE_RULE = FieldRule("serviceCode", "digits", 2)
PARTNER_SERVICE_ID_RULE = FieldRule("partnerServiceId", "partner_service_id")
