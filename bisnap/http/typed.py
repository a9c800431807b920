"""Typed answers and the one pre-send step both clients share for catalogue calls.

Every catalogue method of `SnapClient`/`AsyncSnapClient` takes a typed request
(`bisnap.models`) or a dict, checks it against the catalogue (`bisnap.validation`) before
anything is sent, serialises a model once with msgspec (the bytes signed are the bytes
sent), and returns a `TypedResponse`: a `SnapResponse` whose `.data` is the answer as the
endpoint's response model, decoded on first access.

```python
from bisnap.http.typed import prepare_body
from bisnap.models import Amount, QrisGenerateRequest
body = prepare_body("qris_generate", QrisGenerateRequest(
    partner_reference_no="qr-1", amount=Amount(value="5000.00", currency="IDR"),
    merchant_id="G123"))
assert body.startswith(b'{"partnerReferenceNo":"qr-1"')
```
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from bisnap.catalogue import by_name
from bisnap.http.core import Body, SnapResponse
from bisnap.keys import PrivateKeyInput
from bisnap.linking import parse_auth_redirect, seamless_sign
from bisnap.models import GetAuthCodeRequest, GetAuthCodeResponse, Model
from bisnap.models._base import decode_model, encode_model
from bisnap.validation import validate_request

__all__ = ["RequestBody", "TypedResponse", "prepare_body", "typed_response"]

R = TypeVar("R", bound=Model)

#: What a catalogue method accepts: its typed request, or any `Body` (dict, bytes, str, None).
RequestBody = Model | Body


@dataclass(frozen=True, repr=False)
class TypedResponse(SnapResponse, Generic[R]):
    """A `SnapResponse` that also reads its body as the endpoint's response model.

    `data` is decoded from `body` on first access (fields the model does not name are in
    `data.extra`, at every level). For Get Auth Code, `data` is read from the redirect's
    `Location` (`auth_code`, `state`). A Payouts call settled by a status check holds the
    `transfer_status` answer (see `endpoint`); its `data` is still read as the model
    of the method called, with the status fields in `extra`.
    """

    model: Any = field(default=None, compare=False)

    @property
    def data(self) -> R:
        """The answer as the endpoint's response model.

        Raises:
            ResponseModelError: the answer does not fit the model (read `.body` instead).
        """
        cached = self.__dict__.get("_data")
        if cached is None:
            model = cast("type[R]", self.model)
            if model is GetAuthCodeResponse:
                cached = parse_auth_redirect(self.location or "")
            else:
                cached = decode_model(self.body, model)
            object.__setattr__(self, "_data", cached)
        return cast("R", cached)

    def __reduce__(self) -> tuple[Any, ...]:
        # SnapResponse's pickle (tokens masked, no trace), then the model again; the decoded
        # `.data` is not pickled (it is read again from the masked body).
        _, (values,) = super().__reduce__()
        model = values.pop("model", None)
        return (_rebuild_typed, (values, model))


def _rebuild_typed(values: dict[str, Any], model: type[Model]) -> TypedResponse[Model]:
    return typed_response(SnapResponse(**values), model)


def typed_response(response: SnapResponse, model: type[R]) -> TypedResponse[R]:
    """`response` as a `TypedResponse` over `model` (no copy of the body, no decoding yet)."""
    typed: TypedResponse[R] = TypedResponse.__new__(TypedResponse)
    typed.__dict__.update(response.__dict__)
    typed.__dict__["model"] = model
    return typed


def prepare_body(
    name: str,
    body: RequestBody,
    *,
    validate: bool = True,
    private_key: PrivateKeyInput | None = None,
) -> Body:
    """What catalogue entry `name` sends for `body`: a model becomes its bytes (once).

    A model or a dict is checked against the catalogue first (`validate=False` skips
    that); bytes and str are the caller's exact bytes and are sent unchecked. For Get
    Auth Code without a `seamlessSign`, it is computed with `private_key` when given.

    Raises:
        RequestValidationError: the body breaks the catalogue's rules (nothing was sent).
        InputError: a model that cannot be serialised.
    """
    endpoint = by_name(name)
    if name == "get_auth_code" and private_key is not None:
        body = _with_seamless_sign(body, private_key)
    if isinstance(body, Model):
        if validate:
            validate_request(endpoint, body)
        return encode_model(body)
    if validate and (body is None or isinstance(body, Mapping)):
        validate_request(endpoint, {} if body is None else body)
    return body


def _with_seamless_sign(body: RequestBody, private_key: PrivateKeyInput) -> RequestBody:
    if isinstance(body, GetAuthCodeRequest):
        if body.seamless_sign is None and body.seamless_data:
            signed = seamless_sign(private_key, body.seamless_data)
            return GetAuthCodeRequest(
                redirect_url=body.redirect_url,
                scopes=body.scopes,
                state=body.state,
                merchant_id=body.merchant_id,
                seamless_data=body.seamless_data,
                seamless_sign=signed,
                lang=body.lang,
                extra=dict(body.extra),
            )
        return body
    if isinstance(body, Mapping) and not body.get("seamlessSign"):
        data = body.get("seamlessData")
        if isinstance(data, str) and data:
            return {**body, "seamlessSign": seamless_sign(private_key, data)}
    return body
