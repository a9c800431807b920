"""Properties of the token core: policy monotonicity, expiresIn parsing, request bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from hypothesis import given, settings
from hypothesis import strategies as st

from bisnap import AccessToken, generate_key_pair
from bisnap.stores.redis_tokens import _Codec
from bisnap.tokens import (
    RefreshDecision,
    RefreshPolicy,
    build_token_request,
    parse_token_response,
)

T0 = datetime(2024, 3, 5, 10, 37, 16, tzinfo=UTC)
RANK = {RefreshDecision.FRESH: 0, RefreshDecision.ADVISORY: 1, RefreshDecision.MANDATORY: 2}
KEYS = generate_key_pair()

seconds = st.integers(min_value=1, max_value=10**7)


@st.composite
def policies(draw: st.DrawFn) -> RefreshPolicy:
    mandatory = draw(st.integers(min_value=0, max_value=3600))
    advisory = draw(st.integers(min_value=mandatory, max_value=7200))
    return RefreshPolicy(
        advisory=timedelta(seconds=advisory), mandatory=timedelta(seconds=mandatory)
    )


@settings(deadline=None)
@given(
    policy=policies(),
    life=seconds,
    a=st.integers(min_value=-(10**7), max_value=2 * 10**7),
    b=st.integers(min_value=-(10**7), max_value=2 * 10**7),
)
def test_decision_never_goes_back_as_time_passes(
    policy: RefreshPolicy, life: int, a: int, b: int
) -> None:
    token = AccessToken.create("t", expires_in=timedelta(seconds=life), obtained_at=T0)
    early, late = sorted((a, b))
    first = policy.decide(token, T0 + timedelta(seconds=early))
    second = policy.decide(token, T0 + timedelta(seconds=late))
    assert RANK[first] <= RANK[second]


@settings(deadline=None)
@given(policy=policies(), life=seconds, after=st.integers(min_value=0, max_value=10**6))
def test_fresh_when_obtained_and_mandatory_once_expired(
    policy: RefreshPolicy, life: int, after: int
) -> None:
    token = AccessToken.create("t", expires_in=timedelta(seconds=life), obtained_at=T0)
    assert policy.decide(token, T0) is RefreshDecision.FRESH
    expired_at = T0 + timedelta(seconds=life + after)
    assert policy.decide(token, expired_at) is RefreshDecision.MANDATORY


@settings(deadline=None)
@given(n=st.integers(min_value=1, max_value=999_999_999), as_text=st.booleans())
def test_expires_in_as_string_or_number(n: int, as_text: bool) -> None:
    body = json.dumps({"accessToken": "x", "expiresIn": str(n) if as_text else n})
    token = parse_token_response(200, body, obtained_at=T0)
    assert token.expires_at == T0 + timedelta(seconds=n)


@settings(deadline=None, max_examples=25)
@given(field=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True))
def test_request_body_is_compact_json_with_one_grant(field: str) -> None:
    request = build_token_request(
        client_key="G",
        private_key=KEYS.private_key,
        timestamp="2024-03-05T17:37:16+07:00",
        grant_type_field=field,
    )
    assert json.loads(request.body) == {field: "client_credentials"}
    assert request.body == ('{"' + field + '":"client_credentials"}').encode()


@settings(deadline=None)
@given(
    value=st.text(min_size=1, max_size=200),
    life=seconds,
    kind=st.sampled_from(["b2b", "customer"]),
    encrypted=st.booleans(),
)
def test_stored_form_round_trips(value: str, life: int, kind: str, encrypted: bool) -> None:
    key = Fernet.generate_key() if encrypted else None
    writer, reader = _Codec(key), _Codec(key)  # two processes sharing the key
    token = AccessToken.create(value, expires_in=timedelta(seconds=life), obtained_at=T0, kind=kind)
    stored = writer.encode(token)
    if encrypted:
        assert b":f:" in stored[:16]
    back = reader.decode(stored)
    assert back is not None
    assert back.reveal() == value
    assert back.expires_at == token.expires_at
    assert back.obtained_at == T0
    assert back.kind == kind
