"""A new family signs up in a real browser against a real server, in German: from the sign-in
page to sign-up, the code step and its household page; the sign-up page is checked with
axe-core, with and without problems."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser

from tests.web.conftest import Server, check_page, new_page

EMAIL = "familie.sonne@example.org"


async def test_a_new_family_signs_up_in_german_and_reaches_its_household(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    page = await new_page(browser, "de-DE")
    await page.goto(f"{server.url}/")
    await page.get_by_role("link", name="Noch kein Konto? Jetzt registrieren").click()
    await page.wait_for_url(re.compile(r"/sign-up$"))
    assert await page.locator("html").get_attribute("lang") == "de"
    assert await page.locator("#language").input_value() == "de"
    await check_page(page, axe_script, "13-sign-up")
    for target in (".choice", "#phone", "main button"):  # 44 px targets
        box = await page.locator(target).bounding_box()
        assert box is not None
        assert box["height"] >= 44, (target, box)
    tick = await page.locator("#sms_consent").bounding_box()
    assert tick is not None
    assert tick["width"] == tick["height"] >= 24  # not squeezed by its label

    await page.get_by_role("button", name="Registrieren und Code bekommen").click()
    summary = page.get_by_role("alert")
    await summary.get_by_role("link", name="Bitte geben Sie Ihren Namen ein.").wait_for()
    await summary.get_by_role("link", name=re.compile("E-Mail-Adresse oder eine Handy")).click()
    assert await page.evaluate("document.activeElement.id") == "email"
    await check_page(page, axe_script, "14-sign-up-problems")

    await page.get_by_label("Ihr Name").fill("Sabine Sonne")
    await page.get_by_label("Ihre E-Mail-Adresse").fill(EMAIL)
    await page.get_by_label("Ihre Handynummer").fill("0151 2345 6789")
    await page.get_by_label("Ja, schicken Sie mir SMS").check()
    await page.get_by_role("button", name="Registrieren und Code bekommen").click()
    await page.wait_for_url(re.compile(r"/sign-in/code\?challenge="))
    assert server.query(
        "SELECT guardian_name, phone_e164, language, sms_consent FROM household WHERE email = ?",
        EMAIL,
    ) == [("Sabine Sonne", "+4915123456789", "de", 1)]

    await page.locator("#code").fill(server.sign_in_code(EMAIL))
    await page.get_by_role("button", name="Anmelden").click()
    await page.wait_for_url(re.compile(r"/household$"))
    await page.get_by_role("heading", name="Mein Haushalt").wait_for()
    await page.get_by_text("Hallo Sabine Sonne.").wait_for()
    await page.context.close()
