"""The base of every typed SNAP body: msgspec Structs with camelCase names on the wire.

A `Model` is a `msgspec.Struct` whose Python fields are snake_case and whose JSON names are
the provider's camelCase (`partner_service_id` ⇄ `partnerServiceId`). Optional fields
default to None and are left out of the bytes sent. Fields the model does not name are
kept, never dropped: decoding puts them in `.extra` (at every level), and encoding writes
`.extra` back after the named fields.

```python
from bisnap.models import Amount, encode_model, to_dict
amount = Amount(value="10000.00", currency="IDR")
assert encode_model(amount) == b'{"value":"10000.00","currency":"IDR"}'
assert to_dict(amount) == {"value": "10000.00", "currency": "IDR"}
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import msgspec

from bisnap.errors import InputError, ResponseModelError

__all__ = [
    "EXTRA_WIRE_NAME",
    "Amount",
    "Model",
    "decode_model",
    "encode_model",
    "to_dict",
]

#: The wire name of `Model.extra` (never sent: its content is merged into the object).
EXTRA_WIRE_NAME = "__extra__"
_EXTRA_MARK = b'"__extra__":'

M = TypeVar("M", bound="Model")

_MASK = "***"


class Model(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """A SNAP request or response body (or a nested object of one).

    `extra` holds the fields this model does not name, under their wire names: filled when
    decoding an answer, written after the named fields when encoding a request.
    """

    #: Fields whose value is a credential: masked in `repr`.
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    extra: dict[str, Any] = msgspec.field(default_factory=dict, name=EXTRA_WIRE_NAME)

    def __repr__(self) -> str:
        parts = []
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if value is None or (name == "extra" and not value):
                continue
            shown = _MASK if name in self.secret_fields else repr(value)
            parts.append(f"{name}={shown}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # A pickle (cache, task queue, multiprocessing) never carries a credential: the
        # `secret_fields` and the token members of `extra` are masked (nested models mask
        # their own when pickled).
        from bisnap.tokens import mask_secret_values

        values = {name: getattr(self, name) for name in self.__struct_fields__}
        for name in self.secret_fields:
            if isinstance(values.get(name), str):
                values[name] = _MASK
        values["extra"] = mask_secret_values(values["extra"])
        return (_rebuild_model, (type(self), values))


def _rebuild_model(cls: type[M], values: dict[str, Any]) -> M:
    return cls(**values)


class Amount(Model, kw_only=True):
    """A SNAP money value: `value` a decimal string with two places, `currency` ISO 4217.

    Never a float: `Amount(value="10000.00", currency="IDR")`.
    """

    value: str
    currency: str


def encode_model(model: Model) -> bytes:
    """The compact UTF-8 JSON bytes of `model`, named fields in order, then `extra`.

    The bytes equal `json.dumps(to_dict(model), separators=(",", ":"), ensure_ascii=False)`
    encoded as UTF-8, i.e. what the client sends for the same body given as a dict.

    Raises:
        InputError: a value that JSON cannot carry (NaN, a set, ...).
    """
    try:
        out = msgspec.json.encode(model)
    except (TypeError, ValueError, msgspec.EncodeError) as err:
        raise InputError(
            f"{type(model).__name__} cannot be serialised as JSON: {type(err).__name__}",
            hint="Use str, int, bool, None, lists, dicts and models only (amounts as strings).",
        ) from err
    if _EXTRA_MARK in out:
        out = msgspec.json.encode(to_dict(model))  # extras merged after the named fields
    if b"null" not in out:
        return out
    # A null may be a NaN or an infinity msgspec wrote as null: json refuses those.
    try:
        text = json.dumps(
            to_dict(model), separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as err:
        raise InputError(
            f"{type(model).__name__} cannot be serialised as JSON: {type(err).__name__}",
            hint="Use finite numbers only (amounts as strings).",
        ) from err
    return text.encode("utf-8")


def to_dict(model: Model) -> dict[str, Any]:
    """`model` as the plain dict the provider sees (camelCase keys, extras merged, no None)."""
    built = msgspec.to_builtins(model)
    merged = _merge_extra(built)
    if not isinstance(merged, dict):  # pragma: no cover - a Model always gives a dict
        raise InputError(f"{type(model).__name__} is not a JSON object")
    return merged


def _merge_extra(value: Any) -> Any:
    if isinstance(value, dict):
        extra = value.pop(EXTRA_WIRE_NAME, None)
        out = {key: _merge_extra(item) for key, item in value.items()}
        if extra:
            for key, item in extra.items():
                out.setdefault(key, item)
        return out
    if isinstance(value, list):
        return [_merge_extra(item) for item in value]
    return value


# --- decoding -------------------------------------------------------------------------------

_ENCODED_NAMES: dict[type[Any], frozenset[str]] = {}


def decode_model(data: Mapping[str, Any], model: type[M]) -> M:
    """`data` (a parsed SNAP body) as `model`; fields the model does not name go in `.extra`.

    Numbers sent as strings (and the reverse, where the model says so) are accepted.

    Raises:
        ResponseModelError: `data` does not fit `model` (the message names the field).
    """
    try:
        decoded = msgspec.convert(data, model, strict=False)
    except msgspec.ValidationError as err:
        raise ResponseModelError(
            f"the answer does not fit {model.__name__}: {err}".replace("{", "(").replace("}", ")")
        ) from err
    _keep_unknown(decoded, data)
    return decoded


def _encoded_names(cls: type[Any]) -> frozenset[str]:
    names = _ENCODED_NAMES.get(cls)
    if names is None:
        names = frozenset(cls.__struct_encode_fields__)
        _ENCODED_NAMES[cls] = names
    return names


def _keep_unknown(obj: Any, data: Any) -> None:
    if isinstance(obj, Model) and isinstance(data, Mapping):
        known = _encoded_names(type(obj))
        for key, value in data.items():
            if key not in known:
                obj.extra[key] = value
        for name, wire in zip(obj.__struct_fields__, obj.__struct_encode_fields__, strict=True):
            child = getattr(obj, name)
            if isinstance(child, Model | list) and wire in data:
                _keep_unknown(child, data[wire])
    elif isinstance(obj, list) and isinstance(data, list):
        for child, raw in zip(obj, data, strict=False):
            _keep_unknown(child, raw)
