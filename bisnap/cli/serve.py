"""`bisnap serve`: run the SNAP provider emulator (needs `pip install 'bisnap[emulator]'`).

```
bisnap serve [--host 127.0.0.1] [--port 0] [--write-credentials DIR | --load-credentials DIR]
             [--client-key ID] [--partner-id ID] [--client-secret-file FILE]
             [--partner-public-key FILE] [--provider-private-key FILE]
             [--notify-url URL] [--payout-notify-url URL] [--retry-scale F]
             [--reveal-secrets] [--http auto|h11|httptools] [--loop auto|asyncio|uvloop]
             [--max-body BYTES] [--no-admin] [--admin-token-file FILE]
             [--iris-merchant-key-file FILE]
```

Without credentials options, a fresh demo set is generated. Secrets are printed only as
fingerprints unless `--reveal-secrets`; `--write-credentials DIR` writes them to files
(private ones 0600) with a JSON of the non-secret ids. The admin routes answer loopback
callers only, with the admin token printed at start (`--no-admin` leaves them out).
Every numeric option is checked against its range before anything starts.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
import secrets as _random
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bisnap.errors import ConfigurationError, InputError
from bisnap.keys import private_key_to_pem
from bisnap.secrets import Secret

if TYPE_CHECKING:
    from bisnap.emulator.credentials import EmulatorCredentials

__all__ = ["add_parser", "banner"]

_ENV_CLIENT_SECRET = "BISNAP_CLIENT_SECRET"  # noqa: S105 - the variable's name
_ENV_IRIS_KEY = "BISNAP_IRIS_MERCHANT_KEY"
_IRIS_FILE = "iris_merchant_key.txt"
_MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600
_MAX_BODY = 64 * 1024 * 1024
_MAX_RETRY_SCALE = 1000.0


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `serve` on the CLI's subparsers; returns its parser."""
    serve = subparsers.add_parser(
        "serve",
        help="run a Midtrans-like SNAP provider emulator (needs bisnap[emulator])",
        description=(
            "Run a Midtrans-like BI-SNAP provider on loopback: access tokens (RS256 JWT), "
            "every catalogue endpoint with its checks and codes, signed notifications with "
            "Midtrans's retry schedule, admin routes under /_emulator/."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    serve.add_argument("--port", type=int, default=0, help="port (0 = a free one, printed)")
    serve.add_argument(
        "--http",
        choices=("auto", "h11", "httptools"),
        default="auto",
        help="uvicorn's HTTP implementation (auto: httptools when installed)",
    )
    serve.add_argument(
        "--loop",
        choices=("auto", "asyncio", "uvloop"),
        default="auto",
        help="event loop (auto: uvloop when installed)",
    )
    creds = serve.add_argument_group("credentials (default: a generated demo set)")
    creds.add_argument("--write-credentials", metavar="DIR", help="write PEMs + JSON into DIR")
    creds.add_argument("--load-credentials", metavar="DIR", help="reuse a DIR written before")
    creds.add_argument("--client-key", help="X-CLIENT-KEY the merchant sends")
    creds.add_argument("--partner-id", help="X-PARTNER-ID the merchant sends")
    creds.add_argument("--channel-id", default="95221", help="CHANNEL-ID (default 95221)")
    creds.add_argument("--merchant-id", default="G000000001", help="merchant id (MID)")
    creds.add_argument(
        "--client-secret-file", metavar="FILE", help=f"client secret (or ${_ENV_CLIENT_SECRET})"
    )
    creds.add_argument(
        "--partner-public-key", metavar="FILE", help="the merchant's registered public key"
    )
    creds.add_argument(
        "--provider-private-key", metavar="FILE", help="the emulator's own key (signs notifies)"
    )
    creds.add_argument(
        "--reveal-secrets",
        action="store_true",
        help="print the client secret and generated private key (default: fingerprints)",
    )
    behave = serve.add_argument_group("behaviour")
    behave.add_argument("--notify-url", metavar="URL", help="merchant notification URL prefix")
    behave.add_argument(
        "--payout-notify-url",
        metavar="URL",
        help="where Payouts (Iris-Signature) notifications go (none are sent without it)",
    )
    behave.add_argument(
        "--iris-merchant-key-file",
        metavar="FILE",
        help=f"Iris merchant key that signs payout notifications (or ${_ENV_IRIS_KEY}; "
        "default: generated)",
    )
    behave.add_argument(
        "--retry-scale",
        type=float,
        default=1.0,
        help="multiply the 2/10/30/90/210-minute retry schedule (1/60: minutes -> seconds)",
    )
    behave.add_argument(
        "--token-ttl",
        type=int,
        default=900,
        help=f"token lifetime in seconds (1 to {_MAX_TOKEN_TTL_SECONDS})",
    )
    behave.add_argument(
        "--max-body",
        type=int,
        default=1024 * 1024,
        metavar="BYTES",
        help=f"largest request body (default 1 MiB; up to {_MAX_BODY}); larger ones get 413",
    )
    behave.add_argument(
        "--no-admin",
        action="store_true",
        help="leave out the admin routes that change or show state (/_emulator/pay, ...)",
    )
    behave.add_argument(
        "--admin-token-file",
        metavar="FILE",
        help="the admin routes' token (default: a fresh one, printed at start)",
    )
    behave.add_argument("--balance", default="1000000000.00", help="payout balance (IDR)")
    behave.add_argument(
        "--no-diagnostics", action="store_true", help="leave bisnapDiagnostic out of 401s"
    )
    behave.add_argument("--quiet", action="store_true", help="no access log")
    serve.set_defaults(handler=_cmd_serve)
    return serve  # type: ignore[no-any-return]


def _check_options(args: argparse.Namespace) -> Decimal:
    """Every numeric option in its range (a clear InputError, never an OverflowError)."""
    if not 0 <= args.port <= 65535:
        raise InputError(
            f"--port {args.port} is not a TCP port", hint="Pick 0 to 65535 (0 picks a free one)."
        )
    if not 1 <= args.token_ttl <= _MAX_TOKEN_TTL_SECONDS:
        raise InputError(
            f"--token-ttl {args.token_ttl} is out of range",
            hint=f"Pick 1 to {_MAX_TOKEN_TTL_SECONDS} seconds (Midtrans: 900).",
        )
    if not 1 <= args.max_body <= _MAX_BODY:
        raise InputError(
            f"--max-body {args.max_body} is out of range",
            hint=f"Pick 1 to {_MAX_BODY} bytes (default 1048576 = 1 MiB).",
        )
    if not (math.isfinite(args.retry_scale) and 0 <= args.retry_scale <= _MAX_RETRY_SCALE):
        raise InputError(
            f"--retry-scale {args.retry_scale} is out of range",
            hint="Pick 0 to 1000 (1/60 = 0.0166 turns minutes into seconds).",
        )
    for option in ("notify_url", "payout_notify_url"):
        url = getattr(args, option)
        if url is not None and not url.startswith(("http://", "https://")):
            flag = "--" + option.replace("_", "-")
            raise InputError(
                f"{flag} is not an http(s) URL", hint="E.g. http://127.0.0.1:8000/hooks"
            )
    try:
        balance = Decimal(args.balance)
    except InvalidOperation as err:
        raise InputError("--balance is not a number", hint="E.g. --balance 5000000.00") from err
    if not balance.is_finite() or balance < 0 or balance.adjusted() > 15:
        raise InputError("--balance is out of range", hint="E.g. --balance 5000000.00")
    return balance


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _iris_key(args: argparse.Namespace, env: Mapping[str, str]) -> Secret | None:
    if args.iris_merchant_key_file:
        text = _read(args.iris_merchant_key_file, "--iris-merchant-key-file")
        key = text.decode("utf-8", "replace").strip()
        if not key:
            raise InputError(
                "the file given to --iris-merchant-key-file is empty",
                hint="Put the Iris merchant key from the Dashboard in it.",
            )
        return Secret(key)
    if env.get(_ENV_IRIS_KEY, "").strip():
        return Secret(env[_ENV_IRIS_KEY].strip())
    if args.load_credentials:
        path = Path(args.load_credentials) / _IRIS_FILE
        if path.is_file():
            return Secret(_read(str(path), "--load-credentials").decode("utf-8", "replace").strip())
    return None


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _read(path: str, option: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise InputError(
            f"cannot read the file given to {option}", hint=f"{option} takes a file path."
        ) from err


def _credentials(args: argparse.Namespace, env: Mapping[str, str]) -> EmulatorCredentials:
    from bisnap.emulator import EmulatorCredentials

    if args.load_credentials:
        return EmulatorCredentials.load_directory(args.load_credentials)
    secret: Secret | None = None
    if args.client_secret_file:
        text = _read(args.client_secret_file, "--client-secret-file").decode("utf-8", "replace")
        secret = Secret(text.strip())
    elif env.get(_ENV_CLIENT_SECRET, "").strip():
        secret = Secret(env[_ENV_CLIENT_SECRET].strip())
    if args.partner_public_key is None and secret is None and args.provider_private_key is None:
        return EmulatorCredentials.generate(
            client_key=args.client_key,
            partner_id=args.partner_id,
            channel_id=args.channel_id,
            merchant_id=args.merchant_id,
        )
    if args.partner_public_key is None:
        raise ConfigurationError(
            "given credentials need --partner-public-key (the merchant's registered key)",
            hint="Pass the merchant's public key PEM, or leave every credential option out.",
        )
    generated = EmulatorCredentials.generate()
    return EmulatorCredentials.from_values(
        client_key=args.client_key or generated.client_key,
        client_secret=secret or generated.client_secret,
        partner_id=args.partner_id or generated.partner_id,
        channel_id=args.channel_id,
        merchant_id=args.merchant_id,
        partner_public_key=_read(args.partner_public_key, "--partner-public-key"),
        provider_private_key=(
            _read(args.provider_private_key, "--provider-private-key")
            if args.provider_private_key
            else None
        ),
    )


def banner(
    credentials: EmulatorCredentials, url: str, *, reveal: bool, written: str | None
) -> list[str]:
    """The lines printed on start: ids, fingerprints, where secrets are (never the values)."""
    view = credentials.public_view()
    secret_note = "--reveal-secrets prints it" if not written else f"in {written}"
    lines = [
        "bisnap emulator: a Midtrans-like BI-SNAP provider (offline, loopback)",
        f"  listening      {url}",
        f"  client key     {view['clientKey']}",
        f"  partner id     {view['partnerId']}",
        f"  channel id     {view['channelId']}",
        f"  merchant id    {view['merchantId']}",
        f"  client secret  [secure] sha256={view['clientSecretSha256']}  ({secret_note})",
        f"  partner key    {view['partnerPublicKeyFingerprint']}",
        f"  provider key   {view['providerPublicKeyFingerprint']}  "
        "(public key: GET /_emulator/credentials)",
        "  admin          POST /_emulator/pay  POST /_emulator/notify-url  GET /_emulator/state",
    ]
    if reveal:
        lines.append(f"  CLIENT SECRET  {credentials.client_secret.reveal()}")
        if credentials.partner_private_key is not None:
            pem = private_key_to_pem(credentials.partner_private_key).decode("ascii")
            lines.append("  PARTNER PRIVATE KEY (sign token requests with it):")
            lines.extend(pem.rstrip("\n").splitlines())
    return lines


def _cmd_serve(args: argparse.Namespace, printer: Any, env: Mapping[str, str]) -> int:
    from bisnap.emulator import require_emulator_extra

    require_emulator_extra()
    import uvicorn

    from bisnap.emulator import Emulator, EmulatorConfig, create_app
    from bisnap.emulator.server import bind_socket

    balance = _check_options(args)
    credentials = _credentials(args, env)
    iris_key = _iris_key(args, env)
    admin_token = None
    if args.admin_token_file:
        text = _read(args.admin_token_file, "--admin-token-file").decode("utf-8", "replace")
        admin_token = text.strip() or None
    written = None
    if args.write_credentials:
        credentials.write(args.write_credentials)
        written = str(args.write_credentials)
        if iris_key is None:
            iris_key = Secret("IRIS-merchant-" + _random.token_hex(16))
        _write_private(Path(args.write_credentials) / _IRIS_FILE, iris_key.reveal())
    emulator = Emulator(
        EmulatorConfig(
            credentials=credentials,
            token_ttl=timedelta(seconds=args.token_ttl),
            notify_url=args.notify_url,
            payout_notify_url=args.payout_notify_url,
            retry_time_scale=args.retry_scale,
            balance=balance,
            diagnostics=not args.no_diagnostics,
            max_body=args.max_body,
            admin=not args.no_admin,
            admin_token=admin_token,
            iris_merchant_key=iris_key,
        )
    )
    sock = bind_socket(args.host, args.port)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{port}"
    if written:
        print(f"credentials written to {written} (private files 0600)")
    for line in banner(credentials, url, reveal=args.reveal_secrets, written=written):
        print(line)
    if args.no_admin:
        print("  admin routes   off (--no-admin); GET /_emulator/credentials stays")
    else:
        print(f"  admin token    {emulator.admin_token}  (header X-Emulator-Admin-Token)")
        if not _is_loopback(args.host):
            print("  note           admin routes answer loopback callers only")
    print(f"  max body       {args.max_body} bytes (413 above)")
    if args.reveal_secrets:
        print(f"  IRIS MERCHANT KEY  {emulator.iris_merchant_key.reveal()}")
    print(f"  notify url     {args.notify_url or 'none yet (POST /_emulator/notify-url)'}")
    if credentials.partner_private_key is not None and not (written or args.reveal_secrets):
        print("  note           the generated partner private key is needed to sign token")
        print("                 requests: restart with --write-credentials DIR")
    print("Ctrl-C stops the emulator", flush=True)
    config = uvicorn.Config(
        create_app(emulator),
        lifespan="off",
        ws="none",
        http=args.http,
        loop=args.loop,
        access_log=not args.quiet,
        log_level="info",
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
    return 0
