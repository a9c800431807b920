"""Check a request body against the catalogue before anything is sent.

The client runs `validate_request` on every dict or typed body it is given (bytes and
str are the caller's exact bytes and go unchecked). It reads the same catalogue entries the
emulator answers from, and reports every problem at once:

```
required_fields   present and not empty (None, "", [], {} count as missing)
one_of            at least one member of each group present
rules             FieldRule formats: amounts "10000.00", currency "IDR", partnerServiceId
                  "   70012", timestamps, lengths, choices, integer ranges
```

```python
from bisnap.catalogue import by_name
from bisnap.errors import RequestValidationError
from bisnap.validation import validate_request
try:
    validate_request(by_name("qris_generate"), {"partnerReferenceNo": "qr-1",
                     "amount": {"value": "5000", "currency": "IDR"}})
except RequestValidationError as err:
    assert err.fields == ("merchantId", "amount.value")
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

import msgspec

from bisnap.catalogue import Endpoint, FieldRule
from bisnap.errors import RequestValidationError, TimestampFormatError
from bisnap.timestamps import parse_timestamp

__all__ = ["Problem", "check_request", "field_values", "validate_request"]

#: One bad field: (dotted camelCase path, the rule it breaks, what was wrong).
Problem = tuple[str, str, str]

_AMOUNT: Final = re.compile(r"\d+\.\d\d")
_CURRENCY: Final = re.compile(r"[A-Z][A-Z][A-Z]")
_PSID: Final = re.compile(r" {0,7}[0-9]{1,8}")
_DIGITS: Final = re.compile(r"[0-9]+")
_TIMESTAMP: Final = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")
# Values of these fields are credentials or personal data: never echoed in a message.
_QUIET: Final = frozenset({"authCode", "seamlessData", "seamlessSign", "accessToken", "token"})
_MISSING: Final = object()
_SHOWN = 32

# Parsed dotted paths: "a.b[]" -> (("a", False), ("b", True)).
_STEPS: dict[str, tuple[tuple[str, bool], ...]] = {}
# Struct attribute lookup by wire name, per class: {"partnerServiceId": "partner_service_id"}.
_WIRE_TO_ATTR: dict[type[Any], dict[str, str]] = {}


def _attrs(cls: type[Any]) -> dict[str, str]:
    table = _WIRE_TO_ATTR.get(cls)
    if table is None:
        table = dict(zip(cls.__struct_encode_fields__, cls.__struct_fields__, strict=True))
        _WIRE_TO_ATTR[cls] = table
    return table


def _child(node: Any, key: str) -> Any:
    if type(node) is dict:  # the common case first: no ABC check
        return node.get(key, _MISSING)
    if isinstance(node, msgspec.Struct):
        attr = _attrs(type(node)).get(key)
        if attr is not None:
            value = getattr(node, attr)
            if value is not None:
                return value
        extra = getattr(node, "extra", None)
        if isinstance(extra, Mapping):
            return extra.get(key, _MISSING)
        return _MISSING
    if isinstance(node, Mapping):
        return node.get(key, _MISSING)
    return _MISSING


def field_values(body: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every `(concrete path, value)` that dotted `path` reaches in `body` (a dict or model).

    `[]` steps into each list item (`payOptionDetails[].transAmount.value` gives
    `payOptionDetails[0].transAmount.value`, ...). Absent fields (and None) are skipped.
    """
    steps = _steps(path)
    if not any(each for _, each in steps):  # a plain dotted path: at most one value
        node = _plain(body, steps)
        if node is not _MISSING:
            yield path, node
        return
    nodes: list[tuple[str, Any]] = [("", body)]
    for key, each in steps:
        following: list[tuple[str, Any]] = []
        for prefix, node in nodes:
            value = _child(node, key)
            if value is _MISSING or value is None:
                continue
            where = f"{prefix}.{key}" if prefix else key
            if each:
                if isinstance(value, list | tuple):
                    following.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
            else:
                following.append((where, value))
        nodes = following
    yield from nodes


def _steps(path: str) -> tuple[tuple[str, bool], ...]:
    steps = _STEPS.get(path)
    if steps is None:
        steps = tuple((p.removesuffix("[]"), p.endswith("[]")) for p in path.split("."))
        _STEPS[path] = steps
    return steps


def _plain(body: Any, steps: tuple[tuple[str, bool], ...]) -> Any:
    """The value at a path without `[]` steps, or `_MISSING` (None counts as missing)."""
    node = body
    for key, _ in steps:
        node = _child(node, key)
        if node is _MISSING or node is None:
            return _MISSING
    return node


def _present(body: Any, path: str) -> bool:
    steps = _steps(path)
    if not any(each for _, each in steps):
        value = _plain(body, steps)
        if value is _MISSING or value == "" or value == [] or value == {}:
            return False
        return not isinstance(value, msgspec.Struct) or _struct_has_content(value)
    for _, value in field_values(body, path):
        if value == "" or value == [] or value == {}:
            continue
        if isinstance(value, msgspec.Struct) and not _struct_has_content(value):
            continue
        return True
    return False


def _struct_has_content(value: msgspec.Struct) -> bool:
    for name in value.__struct_fields__:
        item = getattr(value, name)
        if item is not None and item != {} and item != []:
            return True
    return False


def _shown(path: str, value: Any) -> str:
    if path.rsplit(".", 1)[-1] in _QUIET:
        return f"a {type(value).__name__}"
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _check_value(rule: FieldRule, path: str, value: Any, body: Any) -> str | None:
    """What is wrong with `value` under `rule`, or None."""
    check = rule.check
    if check == "range":
        if isinstance(value, bool) or not isinstance(value, int | str):
            return f"got {_shown(path, value)}"
        if isinstance(value, str) and not _DIGITS.fullmatch(value):
            return f"got {_shown(path, value)}"
        number = int(value)
        low = rule.minimum if rule.minimum is not None else 0
        high = rule.limit if rule.limit is not None else number
        return None if low <= number <= high else f"got {number}"
    if not isinstance(value, str):
        return f"got {_shown(path, value)}, not a string"
    if check == "amount":
        ok = _AMOUNT.fullmatch(value) is not None
    elif check == "currency":
        ok = _CURRENCY.fullmatch(value) is not None
    elif check == "partner_service_id":
        ok = len(value) == 8 and _PSID.fullmatch(value) is not None
    elif check == "va_number":
        # SNAP: virtualAccountNo = partnerServiceId + customerNo (midtrans-core.md §4.2).
        psid, customer = _child(body, "partnerServiceId"), _child(body, "customerNo")
        joined = psid + customer if isinstance(psid, str) and isinstance(customer, str) else None
        ok = (joined is None or value == joined) and len(value) <= (rule.limit or len(value))
    elif check == "timestamp":
        ok = _TIMESTAMP.fullmatch(value) is not None and _parses(value)
    elif check == "max_length":
        ok = len(value) <= (rule.limit or 0)
    elif check == "digits":
        ok = len(value) == rule.limit and _DIGITS.fullmatch(value) is not None
    else:  # choice
        ok = value in rule.choices
    if ok:
        return None
    if check == "max_length":
        return f"got {len(value)} characters"
    return f"got {_shown(path, value)}"


def _parses(value: str) -> bool:
    try:
        parse_timestamp(value)
    except TimestampFormatError:
        return False
    return True


def check_request(endpoint: Endpoint, body: Any) -> list[Problem]:
    """Every problem of `body` (a dict or a typed model) for `endpoint`; empty when good.

    Required fields first (in catalogue order), then `one_of` groups, then formats.
    """
    problems: list[Problem] = []
    # SNAP: a missing mandatory field is 400xx02 Invalid Mandatory Field; a bad format is
    # 400xx01 Invalid Field Format (snap-standard.md §2.1).
    for path in endpoint.required_fields:
        if not _present(body, path):
            problems.append((path, "required", "missing or empty"))
    for group in endpoint.one_of:
        if not any(_present(body, path) for path in group):
            problems.append((group[0], "one of " + ", ".join(group), "none given"))
    for rule in endpoint.rules:
        steps = _steps(rule.path)
        if not any(each for _, each in steps):
            value = _plain(body, steps)
            found: tuple[tuple[str, Any], ...] = () if value is _MISSING else ((rule.path, value),)
        else:
            found = tuple(field_values(body, rule.path))
        for path, value in found:
            wrong = _check_value(rule, path, value, body)
            if wrong is not None:
                problems.append((path, rule.rule, wrong))
    return problems


def validate_request(endpoint: Endpoint, body: Any) -> None:
    """Raise if `body` breaks `endpoint`'s catalogue rules; return None when it is good.

    Raises:
        RequestValidationError: names each bad field, its rule and what was found.
    """
    if not isinstance(body, Mapping | msgspec.Struct):
        problems: list[Problem] = [("(body)", "a JSON object", f"got a {type(body).__name__}")]
    else:
        problems = check_request(endpoint, body)
    if not problems:
        return
    listed = "; ".join(f"{path}: {detail} (rule: {rule})" for path, rule, detail in problems)
    count = "1 invalid field" if len(problems) == 1 else f"{len(problems)} invalid fields"
    raise RequestValidationError(
        f"{endpoint.name}: {count}, nothing was sent: {listed}",
        endpoint=endpoint.name,
        problems=tuple(problems),
    )
