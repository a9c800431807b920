"""Django: CSRF-exempt notification views configured from `settings.BISNAP`.

```python
# settings.py
BISNAP = {
    "PUBLIC_KEY": MIDTRANS_PUBLIC_KEY_PEM,       # or "PUBLIC_KEY_FILE": "/etc/…/midtrans.pem"
    "PATH_PREFIX": "/hooks/midtrans",            # the URL path registered with Midtrans
    "REPLAY_STORE": "redis://localhost:6379/0",  # or a store object; default: in memory
    "SERVER_KEY": os.environ["MIDTRANS_SERVER_KEY"],  # optional: legacy signature_key
    "IRIS_MERCHANT_KEY": os.environ["IRIS_KEY"],      # optional: Payouts Iris-Signature
}

# views.py
@notification_view
def midtrans(notification: Notification | LegacyNotification) -> None:
    record(notification)  # raise to answer 500 and have Midtrans retry

# urls.py
urlpatterns = [re_path(r"^hooks/midtrans/", views.midtrans)]
```

`async_notification_view` is the same for an `async def` handler (served by Django's ASGI
handler; its replay store is the async one). Both views take only POST, read the RAW
`request.body`, and answer with the exact SNAP reply. The receiver is built from the
settings on first use and rebuilt when `BISNAP` changes (`override_settings` in tests);
pass `receiver=` to configure a view in code instead.

Settings keys (all but the public key optional):

```
PUBLIC_KEY / PUBLIC_KEY_FILE   Midtrans's notification public key (PEM, DER or base64)
PATH_PREFIX                    the prefix before the SNAP path (default: none)
WINDOW                         X-TIMESTAMP window, a timedelta; None turns it off (5 min)
REPLAY_STORE                   "redis://…" URL or a store object (default: memory)
ON_DUPLICATE                   "conflict" (default) or "success"
SERVER_KEY                     legacy Core API server key (turns legacy notifications on)
IRIS_MERCHANT_KEY              Payouts merchant key (turns Payouts notifications on)
CLOCK                          a bisnap Clock (default SystemClock(); tests inject one)
NAMESPACE                      replay-key namespace (default "bisnap:notify")
```

Needs Django (`pip install 'bisnap[django]'`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, TypeVar, overload

from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from bisnap.clock import SystemClock
from bisnap.errors import ConfigurationError
from bisnap.integrations._core import (
    AsyncHandler,
    AsyncNotificationReceiver,
    NotificationReceiver,
    SyncHandler,
)
from bisnap.notifications import DEFAULT_WINDOW, AsyncNotificationVerifier, NotificationVerifier
from bisnap.replies import NotificationReply
from bisnap.stores.base import MemoryOnceStore

__all__ = [
    "SETTINGS_NAME",
    "async_notification_view",
    "async_receiver_from_settings",
    "notification_view",
    "receiver_from_settings",
    "to_response",
]

#: The Django setting read: a dict of the keys in the module docstring.
SETTINGS_NAME: Final = "BISNAP"

_KEYS: Final = frozenset(
    {
        "PUBLIC_KEY",
        "PUBLIC_KEY_FILE",
        "PATH_PREFIX",
        "WINDOW",
        "REPLAY_STORE",
        "ON_DUPLICATE",
        "SERVER_KEY",
        "IRIS_MERCHANT_KEY",
        "CLOCK",
        "NAMESPACE",
    }
)
_HINT: Final = "Set settings.BISNAP = {'PUBLIC_KEY': <Midtrans public key PEM>, ...}."

View = Callable[..., HttpResponse]
AsyncView = Callable[..., Awaitable[HttpResponse]]

_cache: dict[str, NotificationReceiver | AsyncNotificationReceiver] = {}


def _forget(*, setting: str, **_: Any) -> None:
    if setting == SETTINGS_NAME:
        _cache.clear()


setting_changed.connect(_forget, dispatch_uid="bisnap.integrations.django")


def _config() -> Mapping[str, Any]:
    conf = getattr(settings, SETTINGS_NAME, None)
    if not isinstance(conf, Mapping):
        raise ConfigurationError(f"settings.{SETTINGS_NAME} is not set (a dict)", hint=_HINT)
    unknown = sorted(set(conf) - _KEYS)
    if unknown:
        raise ConfigurationError(
            f"settings.{SETTINGS_NAME} has unknown keys: {', '.join(map(str, unknown))}",
            hint=f"Known keys: {', '.join(sorted(_KEYS))}.",
        )
    return conf


def _public_key(conf: Mapping[str, Any]) -> Any:
    if conf.get("PUBLIC_KEY") is not None:
        return conf["PUBLIC_KEY"]
    path = conf.get("PUBLIC_KEY_FILE")
    if path is None:
        raise ConfigurationError(f"settings.{SETTINGS_NAME} has no PUBLIC_KEY", hint=_HINT)
    try:
        return Path(path).read_bytes()
    except (OSError, TypeError) as err:
        raise ConfigurationError(
            f"cannot read settings.{SETTINGS_NAME}['PUBLIC_KEY_FILE']: {type(err).__name__}",
            hint="Point PUBLIC_KEY_FILE at Midtrans's public key PEM file.",
        ) from err


def _common(conf: Mapping[str, Any]) -> dict[str, Any]:
    clock = conf.get("CLOCK") or SystemClock()
    window = conf.get("WINDOW", DEFAULT_WINDOW)
    if isinstance(window, int | float) and not isinstance(window, bool):
        window = timedelta(seconds=window)
    return {
        "public_key": _public_key(conf),
        "clock": clock,
        "window": window,
        "path_prefix": conf.get("PATH_PREFIX"),
        "namespace": conf.get("NAMESPACE", "bisnap:notify"),
    }


def _legacy(conf: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "on_duplicate": conf.get("ON_DUPLICATE", "conflict"),
        "server_key": conf.get("SERVER_KEY"),
        "iris_merchant_key": conf.get("IRIS_MERCHANT_KEY"),
    }


def receiver_from_settings() -> NotificationReceiver:
    """The sync receiver built from `settings.BISNAP` (cached until the setting changes).

    Raises:
        ConfigurationError: BISNAP is missing, has unknown keys or unusable values.
        KeyFormatError: the public key cannot be loaded.
    """
    return _from_settings(NotificationReceiver, NotificationVerifier, asynchronous=False)


def async_receiver_from_settings() -> AsyncNotificationReceiver:
    """The async receiver built from `settings.BISNAP` (a Redis URL gives the async store).

    Raises:
        ConfigurationError, KeyFormatError: as `receiver_from_settings`.
    """
    return _from_settings(AsyncNotificationReceiver, AsyncNotificationVerifier, asynchronous=True)


_R = TypeVar("_R", NotificationReceiver, AsyncNotificationReceiver)


def _from_settings(receiver_type: type[_R], verifier_type: type[Any], *, asynchronous: bool) -> _R:
    kind = "async" if asynchronous else "sync"
    found = _cache.get(kind)
    if isinstance(found, receiver_type):
        return found
    conf = _config()
    common = _common(conf)
    store = conf.get("REPLAY_STORE")
    if isinstance(store, str):
        from bisnap.stores.redis import AsyncRedisOnceStore, RedisOnceStore

        store = (AsyncRedisOnceStore if asynchronous else RedisOnceStore).from_url(store)
    elif store is None:
        store = MemoryOnceStore(clock=common["clock"])
    receiver = receiver_type(verifier_type(replay_store=store, **common), **_legacy(conf))
    _cache[kind] = receiver
    return receiver


def to_response(reply: NotificationReply) -> HttpResponse:
    """The Django `HttpResponse` for a `NotificationReply` (status, headers, exact body)."""
    return HttpResponse(reply.body, status=reply.status_code, headers=dict(reply.headers))


def _parts(request: HttpRequest) -> dict[str, Any]:
    # request.path includes SCRIPT_NAME: the whole path Midtrans called.
    return {
        "method": request.method or "POST",
        "path": request.path,
        "headers": list(request.headers.items()),
        "body": bytes(request.body),
    }


@overload
def notification_view(handler: SyncHandler, /) -> View: ...
@overload
def notification_view(
    *, receiver: NotificationReceiver | None = None
) -> Callable[[SyncHandler], View]: ...
def notification_view(
    handler: SyncHandler | None = None, /, *, receiver: NotificationReceiver | None = None
) -> View | Callable[[SyncHandler], View]:
    """Decorator: turn `handler(notification)` into a CSRF-exempt, POST-only Django view.

    `@notification_view` reads `settings.BISNAP`; `@notification_view(receiver=...)` uses
    the receiver given. URL arguments are ignored.
    """

    def decorate(handler: SyncHandler) -> View:
        @functools.wraps(handler)
        def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            chosen = receiver if receiver is not None else receiver_from_settings()
            return to_response(chosen.handle(handler=handler, **_parts(request)))

        exempt: View = csrf_exempt(view)
        return exempt

    return decorate(handler) if handler is not None else decorate


@overload
def async_notification_view(handler: AsyncHandler, /) -> AsyncView: ...
@overload
def async_notification_view(
    *, receiver: AsyncNotificationReceiver | None = None
) -> Callable[[AsyncHandler], AsyncView]: ...
def async_notification_view(
    handler: AsyncHandler | None = None,
    /,
    *,
    receiver: AsyncNotificationReceiver | None = None,
) -> AsyncView | Callable[[AsyncHandler], AsyncView]:
    """`notification_view` as an async Django view; `handler` may be `async def`."""

    def decorate(handler: AsyncHandler) -> AsyncView:
        @functools.wraps(handler)
        async def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            chosen = receiver if receiver is not None else async_receiver_from_settings()
            reply = await chosen.handle(handler=handler, **_parts(request))
            return to_response(reply)

        exempt: AsyncView = csrf_exempt(view)
        return exempt

    return decorate(handler) if handler is not None else decorate
