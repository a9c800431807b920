"""Emulator parts without a server: tokens, credentials, the extra check, the state."""

from __future__ import annotations

import importlib.util
import json
import stat
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bisnap.clock import JAKARTA, FixedClock
from bisnap.emulator import EmulatorCredentials, TokenIssuer, require_emulator_extra
from bisnap.emulator.tokens import TokenRejected
from bisnap.errors import ConfigurationError
from bisnap.keys import generate_key_pair

START = datetime(2024, 3, 5, 10, 0, 0, tzinfo=JAKARTA)
KEY = generate_key_pair()


def test_token_lives_exactly_its_ttl() -> None:
    clock = FixedClock(START)
    issuer = TokenIssuer(private_key=KEY.private_key, client_key="C", clock=clock)
    token = issuer.mint()
    assert token.expires_in == 900
    assert issuer.check(token.value)["sub"] == "C"
    clock.advance(timedelta(seconds=899))
    issuer.check(token.value)
    clock.advance(timedelta(seconds=1))
    with pytest.raises(TokenRejected) as err:
        issuer.check(token.value)
    assert err.value.reason == "expired"


def test_token_for_another_client_or_issuer_key_is_rejected() -> None:
    clock = FixedClock(START)
    mine = TokenIssuer(private_key=KEY.private_key, client_key="C", clock=clock)
    other = TokenIssuer(private_key=KEY.private_key, client_key="D", clock=clock)
    with pytest.raises(TokenRejected):
        mine.check(other.mint().value)
    stranger = TokenIssuer(private_key=generate_key_pair().private_key, client_key="C", clock=clock)
    with pytest.raises(TokenRejected):
        mine.check(stranger.mint().value)
    value = mine.mint().value
    with pytest.raises(TokenRejected):
        mine.check(value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))


def test_issued_token_repr_hides_the_value() -> None:
    issuer = TokenIssuer(private_key=KEY.private_key, client_key="C", clock=FixedClock(START))
    token = issuer.mint()
    assert token.value not in repr(token)


def test_credentials_round_trip_with_private_modes(tmp_path: Path) -> None:
    creds = EmulatorCredentials.generate()
    written = creds.write(tmp_path / "c")
    for name in ("client_secret", "partner_private_key", "provider_private_key"):
        assert stat.S_IMODE(written[name].stat().st_mode) == 0o600
    assert stat.S_IMODE(written["partner_public_key"].stat().st_mode) == 0o644
    json_text = written["credentials_json"].read_text()
    assert creds.client_secret.reveal() not in json_text
    loaded = EmulatorCredentials.load_directory(tmp_path / "c")
    assert loaded.client_secret == creds.client_secret
    assert loaded.public_view() == creds.public_view()
    assert loaded.partner_private_key is not None


def test_credentials_repr_and_view_hold_no_secret() -> None:
    creds = EmulatorCredentials.generate()
    secret = creds.client_secret.reveal()
    assert secret not in repr(creds)
    assert secret not in str(creds.public_view())
    assert "PRIVATE" not in str(creds.public_view())


def test_missing_credentials_directory_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as err:
        EmulatorCredentials.load_directory(tmp_path / "nothing")
    assert "--write-credentials" in err.value.hint


def test_from_values_refuses_empty_ids() -> None:
    creds = EmulatorCredentials.generate()
    with pytest.raises(ConfigurationError):
        EmulatorCredentials.from_values(
            client_key="",
            client_secret="s",
            partner_id="p",
            partner_public_key=creds.partner_public_key,
        )


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "uvicorn" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    with pytest.raises(ConfigurationError) as err:
        require_emulator_extra()
    assert "pip install 'bisnap[emulator]'" in err.value.hint
    assert "uvicorn" in str(err.value)


# --- jsonio and qrimage ------------------------------------------------------------------


def test_compact_is_utf8_without_whitespace_and_survives_lone_surrogates() -> None:
    from bisnap.emulator.jsonio import compact

    assert compact({"a": [1, "é/"], "b": None}) == '{"a":[1,"é/"],"b":null}'.encode()
    lone = compact({"s": "\ud800x"})
    assert lone == b'{"s":"\\ud800x"}'
    assert json.loads(lone) == {"s": "\ud800x"}


def test_parse_object_refuses_everything_but_a_shallow_json_object() -> None:
    from bisnap.emulator.jsonio import MAX_DEPTH, NotAnObject, parse_object

    assert parse_object(b"  ", empty={}) == {}
    assert parse_object(b'{"a":{"b":[1]}}') == {"a": {"b": [1]}}
    deep_ok = b'{"a":' * MAX_DEPTH + b"1" + b"}" * MAX_DEPTH
    assert parse_object(deep_ok)
    too_deep = b'{"a":' * (MAX_DEPTH + 2) + b"1" + b"}" * (MAX_DEPTH + 2)
    hostile = [
        too_deep,
        b"[" * 100_000 + b"]" * 100_000,
        b"",
        b"[]",
        b'"x"',
        b'{"a":NaN}',
        b'{"a":-Infinity}',
        '{"a":1}'.encode("utf-16"),
        b'{"a":"\xff"}',
        b'{"a":1}\x00',
        b"9" * 5000,
    ]
    for raw in hostile:
        with pytest.raises(NotAnObject):
            parse_object(raw)


def test_qr_image_is_a_valid_png_that_depends_on_the_content() -> None:
    import base64
    import struct
    import zlib

    from bisnap.emulator.qrimage import qr_image_base64, qr_png

    png = qr_png("000201")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (length,) = struct.unpack(">I", png[8:12])
    assert png[12:16] == b"IHDR"
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    assert (width, height, depth, colour) == (116, 116, 8, 0)
    (crc,) = struct.unpack(">I", png[16 + length : 20 + length])
    assert crc == zlib.crc32(png[12 : 16 + length])
    assert base64.b64decode(qr_image_base64("000201")) == png
    assert qr_png("000202") != png


def test_token_lifetime_is_bounded() -> None:
    from bisnap.emulator.tokens import MAX_TOKEN_TTL

    key = KEY.private_key
    clock = FixedClock(datetime(2024, 3, 5, 10, 0, tzinfo=JAKARTA))
    for ttl in (timedelta(0), timedelta(seconds=-5), MAX_TOKEN_TTL + timedelta(seconds=1)):
        with pytest.raises(ConfigurationError):
            TokenIssuer(private_key=key, client_key="c", clock=clock, ttl=ttl)
    issuer = TokenIssuer(private_key=key, client_key="c", clock=clock, ttl=MAX_TOKEN_TTL)
    assert issuer.mint().expires_in == int(MAX_TOKEN_TTL.total_seconds())
