"""Families in a real browser against a real server: book in German from sign-in to the invite,
see why children cannot come alone, cancel in English; every page is checked with axe-core and
photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Page

from tests.web.conftest import Server, check_page, new_page

DEMO_EMAIL = "anna.beispiel@example.org"


def read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


async def sign_in(page: Page, server: Server, axe_script: Path, *, shots: bool) -> None:
    before = server.codes_sent(DEMO_EMAIL)
    await page.goto(f"{server.url}/sign-in")
    if shots:
        await check_page(page, axe_script, "01-sign-in")
    await page.get_by_label(re.compile("E-Mail|e-mail", re.IGNORECASE)).fill(DEMO_EMAIL)
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/sign-in/code\?challenge="))
    if shots:
        await check_page(page, axe_script, "02-code")
    code = server.sign_in_code(DEMO_EMAIL, after=before)
    await page.locator("#code").fill(code)
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/household$"))


async def open_slots(page: Page, weeks_ahead: int) -> None:
    """From "Book a visit" to the slot list, ``weeks_ahead`` weeks on (the booking window
    needs notice, so later weeks have free times)."""
    await page.locator("nav.main-nav a[href='/book']").click()
    await page.locator("a.button[href^='/book/']").first.click()
    await page.wait_for_selector("h2#week-heading")
    for _ in range(weeks_ahead):
        await page.locator("nav.week-nav a").last.click()
        await page.wait_for_load_state()


async def test_a_family_books_in_german_and_downloads_the_invite(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    page = await new_page(browser, "de-DE")
    await sign_in(page, server, axe_script, shots=True)
    assert await page.locator("html").get_attribute("lang") == "de"
    await page.locator("#given_name").fill("Ben")
    await page.locator("#family_name").fill("Beispiel")
    await page.locator("#birth_date").fill("2024-03-01")
    await page.locator("#relationship").select_option("child")
    await page.get_by_role("button", name="Person hinzufügen").click()
    await page.wait_for_url(re.compile(r"done=visitor_added"))
    await page.get_by_text("Die Person wurde Ihrem Haushalt hinzugefügt.").wait_for()
    await check_page(page, axe_script, "03-household")

    await page.locator("nav.main-nav a[href='/book']").click()
    await check_page(page, axe_script, "04-book")
    await page.get_by_role("link", name="Über die Anstalt und ihre Räume").first.click()
    await page.get_by_role("heading", name=re.compile("Für Mia")).wait_for()
    await page.get_by_text("Spielecke").first.wait_for()
    await check_page(page, axe_script, "05-facility")

    await open_slots(page, weeks_ahead=1)
    await check_page(page, axe_script, "06-slots")
    fitting = page.locator("li.verdict-fits").first
    await fitting.get_by_role("button").click()
    await page.wait_for_url(re.compile(r"/my-visits/[0-9a-f-]+\?done=held"))
    await check_page(page, axe_script, "07-held")
    await page.get_by_role("button", name="Diesen Besuch buchen").click()
    await page.wait_for_url(re.compile(r"done=(confirmed|requested)"))
    await page.get_by_text("Gebucht", exact=True).wait_for()
    await check_page(page, axe_script, "08-confirmed")

    async with page.expect_download() as info:
        await page.get_by_role("link", name=re.compile("In meinen Kalender")).click()
    download = await info.value
    assert download.suggested_filename.endswith(".ics")
    calendar = read_text(Path(await download.path()))
    assert "BEGIN:VCALENDAR" in calendar
    assert "METHOD:REQUEST" in calendar

    await page.locator("nav.main-nav a[href='/my-visits']").click()
    await check_page(page, axe_script, "09-my-visits")
    await page.get_by_role("button", name="Kalender-Abonnement anlegen").click()
    webcal = page.get_by_role("link", name="In meiner Kalender-App öffnen")
    assert (await webcal.get_attribute("href") or "").startswith("webcal://")
    await check_page(page, axe_script, "10-subscription")
    await page.context.close()


async def test_children_without_an_adult_see_the_reason(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    page = await new_page(browser, "de-DE")
    await sign_in(page, server, axe_script, shots=False)
    await open_slots(page, weeks_ahead=1)
    await page.get_by_label(re.compile(r"^Anna")).uncheck()
    await page.get_by_role("button", name="Termine für diese Gruppe zeigen").click()
    refused = page.locator("li.verdict-not_possible").first
    await refused.wait_for()
    text = await refused.inner_text()
    assert "Für diese Gruppe nicht möglich" in text
    assert "Begleitperson" in text  # CF-01: children under 14 need someone aged 18 or over
    assert await refused.get_by_role("button").count() == 0
    await check_page(page, axe_script, "11-not-possible")
    await page.context.close()


async def test_a_family_cancels_in_english(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    page = await new_page(browser, "de-DE")
    await sign_in(page, server, axe_script, shots=False)
    await page.get_by_role("link", name="English").click()
    assert await page.locator("html").get_attribute("lang") == "en"
    await open_slots(page, weeks_ahead=2)
    assert await page.locator("html").get_attribute("lang") == "en"  # remembered in a cookie
    await page.locator("li.verdict-fits, li.verdict-warnings").last.get_by_role("button").click()
    await page.get_by_role("button", name="Book this visit").click()
    await page.get_by_text("Your visit is booked.").wait_for()
    await page.get_by_role("link", name="Cancel this visit").click()
    await page.locator("#reason").fill("Leon is ill")
    await page.get_by_role("button", name="Yes, cancel this visit").click()
    await page.wait_for_url(re.compile(r"done=cancelled"))
    await page.get_by_text("Cancelled", exact=True).wait_for()
    await check_page(page, axe_script, "12-cancelled")
    await page.context.close()
