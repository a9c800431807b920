"""Sign requests to the emulator as its merchant: for tests, the benchmark and the demo.

A thin layer over `bisnap.signing` and `bisnap.headers`: the body is serialised once and
the exact bytes are signed and sent.

```python
caller = MerchantCaller(credentials, clock)
headers, body = caller.token_request()
...
headers, body = caller.service_request("/v1.0/balance-inquiry", {"accountNo": "0000000000"},
                                        access_token=token)
```
"""

from __future__ import annotations

import itertools
import secrets as _random
from typing import Any

from bisnap.clock import Clock
from bisnap.emulator.credentials import EmulatorCredentials
from bisnap.emulator.jsonio import compact
from bisnap.errors import ConfigurationError
from bisnap.headers import build_access_token_headers, build_service_headers
from bisnap.secrets import AccessToken, Secret
from bisnap.signing import sign_access_token, sign_service
from bisnap.timestamps import format_timestamp

__all__ = ["MerchantCaller", "compact"]


class MerchantCaller:
    """Build signed token and service requests with the emulator's merchant credentials.

    Raises:
        ConfigurationError: the credentials carry no partner private key (token requests).
    """

    def __init__(self, credentials: EmulatorCredentials, clock: Clock) -> None:
        self._creds = credentials
        self._clock = clock
        self._prefix = "".join(_random.choice("0123456789") for _ in range(8))
        self._counter = itertools.count(1)

    def external_id(self) -> str:
        """A fresh numeric X-EXTERNAL-ID."""
        return f"{self._prefix}{next(self._counter):012d}"

    def token_request(self, *, timestamp: str | None = None) -> tuple[dict[str, str], bytes]:
        """Headers and body of `POST /v1.0/access-token/b2b`."""
        key = self._creds.partner_private_key
        if key is None:
            raise ConfigurationError(
                "these credentials have no partner private key",
                hint="Token requests are signed with the merchant's private key.",
            )
        ts = timestamp or format_timestamp(self._clock.now())
        trace = sign_access_token(client_key=self._creds.client_key, timestamp=ts, private_key=key)
        headers = build_access_token_headers(
            timestamp=ts, client_key=self._creds.client_key, signature=trace.signature
        )
        return headers, compact({"grantType": "client_credentials"})

    def service_request(
        self,
        path: str,
        body: Any,
        *,
        access_token: str | Secret | AccessToken,
        method: str = "POST",
        raw_body: bytes | None = None,
        external_id: str | None = None,
        timestamp: str | None = None,
        customer_token: str | None = None,
        device_id: str = "bisnap-emulator-test",
    ) -> tuple[dict[str, str], bytes]:
        """Headers and body of a signed service call (`raw_body` sends those bytes as they are)."""
        data = raw_body if raw_body is not None else compact(body)
        ts = timestamp or format_timestamp(self._clock.now())
        trace = sign_service(
            method=method,
            path=path,
            body=data,
            timestamp=ts,
            access_token=access_token,
            client_secret=self._creds.client_secret,
        )
        headers = build_service_headers(
            timestamp=ts,
            signature=trace.signature,
            access_token=access_token,
            partner_id=self._creds.partner_id,
            external_id=external_id or self.external_id(),
            channel_id=self._creds.channel_id,
            customer_token=customer_token,
            device_id=device_id if customer_token is not None else None,
        )
        return headers, data

    def __repr__(self) -> str:
        return f"MerchantCaller(client_key={self._creds.client_key!r})"
