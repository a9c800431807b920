"""docs/integrations.md's Django files (settings, views, urls), driven as a project would be.

The three blocks are executed into one namespace (the urls block continues from the views
block, as the document says); their `urlpatterns` become the ROOT_URLCONF and their
`BISNAP` the settings, and Django's test client posts a signed notification to both the
sync and the async view.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bisnap import JAKARTA, FixedClock, KeyPair, generate_key_pair
from tests.integration.frameworks._support import (
    DEBIT_BODY,
    DEBIT_PATH,
    PREFIX,
    Deliveries,
    configure_django,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def django_files() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "docs_integrations_django"}
    for marker in ("# settings.py", "# views.py", "# urls.py"):
        (source,) = [b for b in _BLOCK.findall(DOC.read_text("utf-8")) if b.startswith(marker)]
        exec(compile(source, f"{DOC.name}:{marker}", "exec"), namespace)  # noqa: S102 - our docs
    return namespace


class UrlConf:
    """A ROOT_URLCONF made of the documented urlpatterns (Django accepts any object)."""

    def __init__(self, urlpatterns: list[Any]) -> None:
        self.urlpatterns = urlpatterns


@pytest.mark.parametrize("view", ["midtrans", "midtrans_async"])
def test_the_documented_django_views_answer_a_signed_notification(view: str) -> None:
    configure_django()
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import re_path

    files = django_files()
    midtrans: KeyPair = generate_key_pair()
    clock = FixedClock(datetime(2026, 3, 5, 11, 0, tzinfo=JAKARTA))
    conf = dict(files["BISNAP"], PUBLIC_KEY=midtrans.public_pem(), CLOCK=clock)
    assert conf["PATH_PREFIX"] == PREFIX
    if view == "midtrans":
        urls = UrlConf(files["urlpatterns"])
    else:
        urls = UrlConf([re_path(r"^hooks/midtrans(?:/.*)?$", files["midtrans_async"])])

    headers = Deliveries(midtrans, clock).snap(DEBIT_PATH, DEBIT_BODY, "40000000000000000001")
    del headers["Content-Type"]
    with override_settings(BISNAP=conf, ROOT_URLCONF=urls):
        client = Client(enforce_csrf_checks=True)
        answer = client.post(
            PREFIX + DEBIT_PATH, data=DEBIT_BODY, content_type="application/json", headers=headers
        )
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "responseCode": "2005600",
        "responseMessage": "Request has been processed successfully",
    }
    assert files["orders"] == {"A1": "00"}
