"""Every error renders; no secret leaks through errors, reprs, logs or pickles."""

from __future__ import annotations

import inspect
import logging
import pickle
from datetime import UTC, datetime, timedelta

import pytest

import bisnap
from bisnap import errors
from bisnap.responses import parse_response_code
from bisnap.secrets import AccessToken, Secret

SENTINEL = "SENTINEL-s3cr3t-7d1e9a"


def _instances() -> list[errors.BisnapError]:
    code = parse_response_code("4017300")
    made: list[errors.BisnapError] = []
    for _, cls in inspect.getmembers(errors, inspect.isclass):
        if not issubclass(cls, errors.BisnapError):
            continue
        if cls is errors.BodyNotJSONError:
            made.append(cls("unexpected character", offset=3))
        elif cls is errors.HeaderError:
            made.append(cls("X-TIMESTAMP is missing", header="X-TIMESTAMP"))
        elif cls is errors.TimestampOutOfWindowError:
            made.append(
                cls(direction="too old", skew=timedelta(seconds=-400), window=timedelta(minutes=5))
            )
        elif cls is errors.TokenExchangeError:
            made.append(cls("refused", code=code, status_code=401))
        elif issubclass(cls, errors.ApiError):
            made.append(cls("provider said no", code=code, status_code=401))
        else:
            made.append(cls("something is wrong"))
    return made


def test_the_tree_is_shallow() -> None:
    for err in _instances():
        depth = type(err).__mro__.index(errors.BisnapError)
        assert depth <= 3, type(err)


@pytest.mark.parametrize("err", _instances(), ids=lambda e: type(e).__name__)
def test_every_error_renders(err: errors.BisnapError) -> None:
    text, shown = str(err), repr(err)
    assert (
        text and "%s" not in text and "{" not in text.replace("{}", "") and "<generator" not in text
    )
    assert type(err).__name__ in shown
    assert isinstance(err.hint, str)
    clone = pickle.loads(pickle.dumps(err))  # noqa: S301 - our own data
    assert str(clone) == text and type(clone) is type(err)


def test_input_errors_are_value_errors() -> None:
    assert issubclass(errors.InputError, ValueError)
    assert issubclass(errors.BodyNotJSONError, ValueError)


def test_token_exchange_401xx00_points_at_explain() -> None:
    err = errors.TokenExchangeError("refused", code=parse_response_code("4017300"))
    assert "bisnap explain token" in err.hint


def test_secret_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    secret = Secret(SENTINEL)
    token = AccessToken.create(
        SENTINEL, expires_in=timedelta(seconds=900), obtained_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("t").info("secret %s token %s %r %r", secret, token, secret, token)
        logging.getLogger("t").info(f"{secret} {token} {secret!r} {token!r}")
    assert SENTINEL not in caplog.text
    for text in (str(secret), repr(secret), format(secret), str(token), repr(token)):
        assert SENTINEL not in text
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        pickle.dumps(token)
    assert secret.reveal() == SENTINEL and token.reveal() == SENTINEL
    assert token.authorization() == f"Bearer {SENTINEL}"
    assert token.expires_at == datetime(2024, 1, 1, 0, 15, tzinfo=UTC)
    assert not token.is_expired(datetime(2024, 1, 1, 0, 14, 59, tzinfo=UTC))
    assert token.is_expired(datetime(2024, 1, 1, 0, 15, tzinfo=UTC))
    assert Secret(SENTINEL) == secret and Secret("other") != secret


def test_signing_errors_never_carry_secrets() -> None:
    with pytest.raises(bisnap.SecretFormatError) as info:
        bisnap.sign_service(
            method="POST",
            path="/x",
            body=None,
            timestamp="T",
            access_token="Bearer " + SENTINEL,
            client_secret=SENTINEL,
        )
    assert SENTINEL not in str(info.value) and SENTINEL not in repr(info.value)
    with pytest.raises(bisnap.KeyFormatError) as key_info:
        bisnap.load_private_key(
            "-----BEGIN PRIVATE KEY-----\n" + SENTINEL + "\n-----END PRIVATE KEY-----"
        )
    assert SENTINEL not in str(key_info.value)
