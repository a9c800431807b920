"""`bisnap demo`: the whole flow against the emulator, every stage printed, no secret shown."""

from __future__ import annotations

from typing import Any

import pytest

import bisnap.cli.demo
from bisnap.cli import main
from bisnap.emulator import EmulatorCredentials
from bisnap.emulator.tokens import IssuedToken, TokenIssuer
from bisnap.errors import ConfigurationError
from bisnap.keys import private_key_to_pem

SENTINEL = "sentinel-demo-secret-7c1d2e"


def test_demo_runs_the_flow_and_shows_no_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    generated = EmulatorCredentials.generate(client_key="G123456789-DEMO-SNAP")
    planted = EmulatorCredentials.from_values(
        client_key=generated.client_key,
        client_secret=SENTINEL,
        partner_id=generated.partner_id,
        partner_public_key=generated.partner_public_key,
        provider_private_key=generated.provider_private_key,
        partner_private_key=generated.partner_private_key,
    )
    monkeypatch.setattr(bisnap.cli.demo, "_demo_credentials", lambda: planted)
    minted: list[str] = []
    original = TokenIssuer.mint

    def spy(self: TokenIssuer) -> IssuedToken:
        token = original(self)
        minted.append(token.value)
        return token

    monkeypatch.setattr(TokenIssuer, "mint", spy)

    assert main(["demo"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    for stage in (
        "1. Access token",
        "2007300",
        "2. Create VA",
        "2002700",
        "3. The customer pays",
        "NotificationVerifier",
        "2002500",
        "4. Status",
        "paymentFlag     00",
        "5. A broken signature",
        "4012600 Unauthorized. Signature",
        "PrettyBodyHashed",
        "stopped both servers",
    ):
        assert stage in out, stage
    assert "FAILED" not in out
    assert minted, "the demo fetched a token from the emulator"
    everything = out + captured.err
    assert SENTINEL not in everything
    for token in minted:
        assert token not in everything
        assert token[:40] not in everything
    assert "PRIVATE KEY" not in everything
    assert partner_pem_body(planted) not in everything


def partner_pem_body(creds: EmulatorCredentials) -> str:
    key = creds.partner_private_key
    assert key is not None
    return private_key_to_pem(key).decode().splitlines()[5]


def test_demo_falls_back_without_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing() -> Any:
        raise ConfigurationError(
            "the emulator needs starlette, which is not installed",
            hint="Install the extra: pip install 'bisnap[emulator]'",
        )

    monkeypatch.setattr("bisnap.emulator.require_emulator_extra", missing)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "pip install 'bisnap[emulator]'" in out
    assert "offline signing demo" in out
    assert "1. Access token request" in out
    assert "rejected" in out
