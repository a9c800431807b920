"""Access Token B2B (73): the body the token providers send and the answer they read."""

from __future__ import annotations

from bisnap.models._base import Model
from bisnap.models.common import SnapResult

__all__ = ["AccessTokenB2bRequest", "AccessTokenB2bResponse"]


class AccessTokenB2bRequest(Model, kw_only=True):
    """`{"grantType": "client_credentials"}`."""

    grant_type: str


class AccessTokenB2bResponse(SnapResult, kw_only=True):
    """The token answer: `expires_in` is a string of seconds (`"900"`)."""

    access_token: str | None = None
    token_type: str | None = None
    expires_in: str | int | None = None

    secret_fields = frozenset({"access_token"})
