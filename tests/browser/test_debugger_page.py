"""The debugger page in a real headless chromium: paste, explain, read the DOM, screenshot."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .conftest import (
    MINIFIED,
    PATH,
    PRETTY_OFFSET,
    SECRET,
    TIMESTAMP,
    TOKEN,
    DebugServer,
    captured,
    pretty_hashed_service_request,
    public_pem,
    utc_signed_notification,
)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

_WAIT = 30.0  # seconds an explicit wait may take before the test fails


def wait_for(driver: WebDriver, condition: Callable[[Any], Any]) -> Any:
    """selenium's bounded explicit wait (it polls the DOM, the test never sleeps)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, _WAIT, poll_frequency=0.02).until(condition)


def by_id(driver: WebDriver, element_id: str) -> WebElement:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def paste(driver: WebDriver, element_id: str, text: str) -> None:
    """Put `text` into a field as a paste does (one input event, exact characters)."""
    driver.execute_script(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
        "e.dispatchEvent(new Event('input', {bubbles: true}));",
        element_id,
        text,
    )


def fresh_page(driver: WebDriver, server: DebugServer) -> None:
    driver.get(server.url + "/")
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete")


def set_dark(driver: WebDriver, dark: bool) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]},
    )


def explain_in_page(driver: WebDriver, server: DebugServer, request: str, **fields: str) -> None:
    """Paste the request, type the secrets (or choose a key file: `public-key-file` takes a
    path), press Enter on Explain; wait for the verdict."""
    from selenium.webdriver.common.keys import Keys

    fresh_page(driver, server)
    paste(driver, "request", request)
    for element_id, value in fields.items():
        by_id(driver, element_id).send_keys(value)
        if element_id.endswith("-file"):
            target = element_id.removesuffix("-file")

            def loaded(d: WebDriver, target: str = target) -> bool:
                return bool(by_id(d, target).get_attribute("value"))

            wait_for(driver, loaded)
    button = by_id(driver, "explain-button")
    button.send_keys(Keys.ENTER)
    wait_for(
        driver,
        lambda d: (
            not by_id(d, "result").get_attribute("hidden")
            or "error" in (by_id(d, "status").get_attribute("class") or "")
        ),
    )
    assert "error" not in (by_id(driver, "status").get_attribute("class") or ""), by_id(
        driver, "status"
    ).text


def flags(driver: WebDriver) -> list[str]:
    from selenium.webdriver.common.by import By

    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#flags li.flag")]


def stage_offset(driver: WebDriver, stage: str) -> int | None:
    from selenium.webdriver.common.by import By

    found = driver.find_elements(
        By.CSS_SELECTOR, f'#stages tr[data-stage="{stage}"] td:nth-of-type(1) .offset'
    )
    if not found:
        return None
    return int(found[0].get_attribute("data-offset") or "-1")


def marked(driver: WebDriver, stage: str) -> list[str]:
    from selenium.webdriver.common.by import By

    return [
        m.text
        for m in driver.find_elements(
            By.CSS_SELECTOR, f'#stages tr[data-stage="{stage}"] mark.diff-byte'
        )
    ]


def test_pasted_service_request_shows_the_mistake_and_the_byte(
    browser: WebDriver, debug_server: DebugServer, artefacts: Path
) -> None:
    set_dark(browser, False)
    browser.set_window_size(1280, 1000)
    explain_in_page(
        browser, debug_server, pretty_hashed_service_request(), **{"client-secret": SECRET}
    )
    verdict = by_id(browser, "verdict")
    assert verdict.get_attribute("data-valid") == "false"
    assert verdict.get_attribute("data-mismatch-at") == "minifiedBody"
    assert "PrettyBodyHashed" in flags(browser)
    assert stage_offset(browser, "minifiedBody") == PRETTY_OFFSET
    # the provider's byte, then the sender's: the quote the minifier kept, the space sent.
    assert marked(browser, "minifiedBody") == ['"', ""] or marked(browser, "minifiedBody")[0] == '"'
    assert "first" in (
        browser.find_element("css selector", '#stages tr[data-stage="minifiedBody"]').get_attribute(
            "class"
        )
        or ""
    )
    assert "differs" in (
        browser.find_element("css selector", '#stages tr[data-stage="signature"]').get_attribute(
            "class"
        )
        or ""
    )
    curl = by_id(browser, "curl").text
    assert curl.startswith("curl -X POST")
    assert "$BISNAP_ACCESS_TOKEN" in curl
    html = browser.page_source
    assert SECRET not in html
    assert TOKEN not in html
    assert "SENTINEL" not in html
    assert SECRET not in debug_server.log() and TOKEN not in debug_server.log()
    browser.save_screenshot(str(artefacts / "explain-service-light.png"))


def test_notification_at_360px_in_the_dark(
    browser: WebDriver, debug_server: DebugServer, signer_key: rsa.RSAPrivateKey, artefacts: Path
) -> None:
    set_dark(browser, True)
    browser.set_window_size(360, 900)
    key_file = artefacts / "signer-public.pem"
    key_file.write_text(public_pem(signer_key))
    try:
        # the key is chosen as a file, as a user does with the file picker.
        explain_in_page(
            browser,
            debug_server,
            utc_signed_notification(signer_key),
            **{"public-key-file": str(key_file)},
        )
        assert flags(browser) == ["TimestampMismatch"]
        assert by_id(browser, "verdict").get_attribute("data-mismatch-at") == "stringToSign"
        provider = f"POST:{PATH}:{hashlib.sha256(MINIFIED).hexdigest()}:{TIMESTAMP}"
        sender = provider.replace(TIMESTAMP, "2024-03-05T10:37:16Z")
        expected = next(i for i, (a, b) in enumerate(zip(provider, sender, strict=True)) if a != b)
        assert stage_offset(browser, "stringToSign") == expected
        assert stage_offset(browser, "minifiedBody") is None
        # readable at 360 px: nothing wider than the viewport.
        width = browser.execute_script("return document.documentElement.scrollWidth")
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        assert width <= viewport
        background = browser.execute_script(
            "return getComputedStyle(document.body).backgroundColor"
        )
        assert background == "rgb(21, 23, 26)"  # the dark theme's --bg
        browser.save_screenshot(str(artefacts / "explain-notification-dark-360.png"))
        browser.execute_script(
            "document.querySelector('#stages tr[data-stage=stringToSign]').scrollIntoView()"
        )
        browser.save_screenshot(str(artefacts / "explain-notification-dark-360-stages.png"))
    finally:
        set_dark(browser, False)
        browser.set_window_size(1280, 1000)


def test_sign_in_the_page(browser: WebDriver, debug_server: DebugServer) -> None:
    fresh_page(browser, debug_server)
    request = captured([f"POST {PATH} HTTP/1.1", f"Authorization: Bearer {TOKEN}"], MINIFIED)
    paste(browser, "request", request)
    by_id(browser, "client-secret").send_keys(SECRET)
    by_id(browser, "fields").click()
    by_id(browser, "f-timestamp").send_keys(TIMESTAMP)
    by_id(browser, "sign-button").click()
    wait_for(browser, lambda d: not by_id(d, "plain-result").get_attribute("hidden"))
    digest = hashlib.sha256(MINIFIED).hexdigest()
    mac = hmac.new(
        SECRET.encode(), f"POST:{PATH}:{TOKEN}:{digest}:{TIMESTAMP}".encode(), hashlib.sha512
    ).digest()
    assert base64.b64encode(mac).decode() in by_id(browser, "plain-facts").text
    assert TOKEN not in browser.page_source and SECRET not in browser.page_source
    by_id(browser, "clear-button").click()
    values = browser.execute_script(
        "return Array.from(document.querySelectorAll('input, textarea'), e => e.value).join()"
    )
    assert TOKEN not in values and SECRET not in values
    assert by_id(browser, "plain-result").get_attribute("hidden") is not None


def test_generate_a_key_pair_in_the_browser(browser: WebDriver, debug_server: DebugServer) -> None:
    fresh_page(browser, debug_server)
    by_id(browser, "generate-key").click()
    wait_for(browser, lambda d: by_id(d, "gen-fingerprint").text.startswith("SHA256:"))
    private_pem = by_id(browser, "gen-private").get_attribute("value") or ""
    public = by_id(browser, "gen-public").get_attribute("value") or ""
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert private.public_key().public_numbers().e == 65537
    spki = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert (
        serialization.load_pem_public_key(public.encode()).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == spki
    )
    assert by_id(browser, "gen-fingerprint").text == "SHA256:" + hashlib.sha256(spki).hexdigest()
    assert private_pem.splitlines()[1] not in browser.page_source


def test_inspect_a_token_labelled_not_verified(
    browser: WebDriver, debug_server: DebugServer
) -> None:
    token = jwt.encode(
        {"iss": "midtrans-sbx", "sub": "G123", "exp": 4102444800}, "k" * 32, algorithm="HS256"
    )
    fresh_page(browser, debug_server)
    by_id(browser, "inspect-token").send_keys(token)
    by_id(browser, "token-form").submit()
    wait_for(browser, lambda d: "midtrans-sbx" in by_id(d, "token-facts").text)
    assert "not verified" in by_id(browser, "token-label").text
    assert "NOT verified" in by_id(browser, "token-facts").text
    assert token not in browser.page_source


def test_check_the_vectors(browser: WebDriver, debug_server: DebugServer) -> None:
    fresh_page(browser, debug_server)
    by_id(browser, "check-vectors").click()
    wait_for(browser, lambda d: " failed" in by_id(d, "vectors-result").text)
    text = by_id(browser, "vectors-result").text
    assert "service_hmac_verify.json" in text
    assert text.rstrip().endswith(" 0 failed")


def test_keyboard_reaches_every_control_in_order(
    browser: WebDriver, debug_server: DebugServer
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    fresh_page(browser, debug_server)
    seen: list[str] = []
    for _ in range(60):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        seen.append(browser.switch_to.active_element.get_attribute("id") or "")
        if seen[-1] == "generate-key":
            break
    order = ["request", "kind", "client-secret", "access-token", "explain-button", "generate-key"]
    positions = [seen.index(control) for control in order]
    assert positions == sorted(positions)
