"""The Django project under test: settings-driven notification views (sync and async).

`RECORDING` holds the test's `Recorder`; the views hand it what they receive. This module
is the ROOT_URLCONF of the sync view, `django_async_urls` that of the async one. One route
takes the SNAP suffixes and the bare prefix (where the legacy notifications arrive).
"""

from __future__ import annotations

from django.urls import re_path

from bisnap.integrations import Received
from bisnap.integrations.django import async_notification_view, notification_view
from tests.integration.frameworks._support import Recorder

RECORDING: list[Recorder] = [Recorder()]


@notification_view
def midtrans(notification: Received) -> None:
    """Settings-driven sync view."""
    RECORDING[0].handle(notification)


@async_notification_view
async def midtrans_async(notification: Received) -> None:
    """Settings-driven async view."""
    await RECORDING[0].ahandle(notification)


ROUTE = r"^hooks/midtrans(?:/.*)?$"
urlpatterns = [re_path(ROUTE, midtrans)]
