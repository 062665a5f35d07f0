"""Phone bookings in a real browser, in German: the visits officer sets up the household of a
caller who is not in the demo (first with mistakes, shown in an error summary), finds it again
among the families of the same name, and narrows the list of times to one day. Every page is
checked with axe-core and photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser

from tests.web.conftest import Server, check_page, new_page
from tests.web.test_console_browser import OFFICER, go, staff_sign_in


async def test_an_officer_sets_up_a_callers_household_and_picks_a_day(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    prison_number = str(server.query("SELECT prison_number FROM prisoner LIMIT 1")[0][0])
    page = await new_page(browser, "de-DE", desktop=True)
    await staff_sign_in(page, server, OFFICER)
    await go(page, "phone-booking")
    await page.get_by_role("link", name="Haushalt für eine anrufende Person ohne Haushalt").click()
    await page.locator("#guardian_name").wait_for()
    await check_page(page, axe_script, "console-phone-01-new-household")

    await page.locator("#guardian_name").fill("Nora Beispiel")
    await page.locator("#prison_number").fill(prison_number)
    await page.locator("#people-0-given_name").fill("Nora")
    await page.locator("#people-0-family_name").fill("Beispiel")
    await page.locator("#people-0-birth_date").fill("1990-02-03")
    await page.locator("#people-0-relationship").select_option("sibling")
    await page.get_by_role("button", name="Haushalt anlegen").click()
    summary = page.get_by_role("alert")
    await summary.wait_for()
    assert "E-Mail-Adresse, eine Handynummer oder beides" in await summary.inner_text()
    await check_page(page, axe_script, "console-phone-02-new-household-errors")

    await page.locator("#phone").fill("0176 11122233")
    await page.locator("#phone_confirmed").check()
    await page.locator("#sms_consent").check()
    await page.locator("#people-1-given_name").fill("Lotta")
    await page.locator("#people-1-family_name").fill("Beispiel")
    await page.locator("#people-1-birth_date").fill("2020-07-01")
    await page.locator("#people-1-relationship").select_option("other_relative")
    await page.get_by_role("button", name="Haushalt anlegen").click()
    await page.wait_for_url(re.compile(r"created=1"))
    assert "Der Haushalt ist angelegt." in await page.locator("main").inner_text()
    await check_page(page, axe_script, "console-phone-03-household-created")
    stored = server.query(
        "SELECT phone_e164, phone_confirmed_at IS NOT NULL FROM household "
        "WHERE guardian_name = 'Nora Beispiel'"
    )
    assert stored == [("+4917611122233", 1)]

    # Two families of the name: a list to choose from; then the demo's family, to book.
    await page.locator("#q").fill("beispiel")
    await page.get_by_role("button", name="Haushalt suchen").click()
    await page.locator("#results-heading").wait_for()
    assert "2 Haushalte gefunden" in await page.locator("#results-heading").inner_text()
    await check_page(page, axe_script, "console-phone-04-search-results")
    await page.get_by_role("link", name="Für Anna Beispiel buchen").click()
    await page.locator("#booking-heading").wait_for()
    day_options = page.locator("#day option")
    chosen = await day_options.nth(1).inner_text()  # the first day with a free time
    assert re.match(r"^(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), ", chosen)
    await page.locator("#day").select_option(index=1)
    await page.get_by_role("button", name="Zeiten zeigen").click()
    await page.locator("#booking-heading").wait_for()
    times = await page.locator("#slot_id option").all_inner_texts()
    assert len(times) > 1
    assert all(chosen in text for text in times[1:]), times
    await check_page(page, axe_script, "console-phone-05-times-of-a-day")
