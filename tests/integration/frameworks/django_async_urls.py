"""ROOT_URLCONF for the async view (see django_urls)."""

from __future__ import annotations

from django.urls import re_path

from tests.integration.frameworks.django_urls import ROUTE, midtrans_async

urlpatterns = [re_path(ROUTE, midtrans_async)]
