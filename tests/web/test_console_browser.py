"""The staff console in a real browser against a real server: a manager plans a template,
previews and publishes its slots, closes a day and sees the visits it flags; an officer works
the review queue. Every page is checked with axe-core and photographed into
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Browser, Page

from tests.web.conftest import DEMO_STAFF_PASSWORD, Server, check_page, new_page

MANAGER = "leitung@jva-musterstadt.example"
OFFICER = "besuchsdienst@jva-musterstadt.example"
KAYA = "deniz.kaya@example.org"


async def staff_sign_in(page: Page, server: Server, email: str) -> None:
    """With the keyboard only: type, Tab to the password, Enter."""
    await page.goto(f"{server.url}/staff/sign-in")
    await page.locator("#email").focus()
    await page.keyboard.type(email)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "password"
    await page.keyboard.type(DEMO_STAFF_PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/staff/facilities/[0-9a-f-]{36}$"))


async def go(page: Page, section: str) -> None:
    """Open a section from the console's menu, as a person would."""
    await page.locator(f"nav.main-nav a[href$='/{section}']").click()
    await page.wait_for_load_state()


def _booked_day(server: Server) -> tuple[str, str]:
    """The local date and reference of the demo's booked (confirmed) visit."""
    rows = server.query(
        "SELECT slot.local_date, visit.reference FROM visit JOIN slot ON slot.id = visit.slot_id "
        "WHERE visit.status = 'confirmed'"
    )
    assert len(rows) == 1, rows
    return str(rows[0][0]), str(rows[0][1])


async def test_a_manager_plans_slots_and_closes_a_day_then_an_officer_reviews(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    day, reference = _booked_day(server)
    page = await new_page(browser, "en-GB", desktop=True)
    await page.goto(f"{server.url}/staff/sign-in")
    await check_page(page, axe_script, "console-01-sign-in")
    await staff_sign_in(page, server, MANAGER)
    await check_page(page, axe_script, "console-02-overview")

    # A new Friday afternoon in the family room, from next Monday on.
    await go(page, "templates")
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    monday = today + timedelta(days=7 - today.weekday())
    await page.locator("#room_id").select_option(label="Familienzimmer")
    await page.locator("#visit_type").select_option("child_family")
    await page.locator("#weekday").select_option("4")
    await page.locator("#start_time").fill("16:00")
    await page.locator("#duration_minutes").fill("90")
    await page.locator("#valid_from").fill(monday.isoformat())
    await page.get_by_role("button", name="Preview the week").click()
    await page.locator("#preview-heading").wait_for()
    new_slot = page.locator(".week .slot.new")
    assert await new_slot.count() == 1
    assert re.search(r"4:00\sPM\u20135:30\sPM", await new_slot.inner_text())  # English times
    await check_page(page, axe_script, "console-03-template-preview")
    await page.get_by_role("button", name="Save template").click()
    await page.wait_for_url(re.compile(r"done=template_added"))
    await page.get_by_role("button", name="Publish slots").click()
    await page.wait_for_url(re.compile(r"done=published"))
    published = await page.locator("main").inner_text()
    assert "The slots were published." in published, published[:600]
    created = server.query(
        "SELECT count(*) FROM slot WHERE visit_type = 'child_family' AND local_date >= ? "
        "AND strftime('%w', local_date) = '5'",
        monday.isoformat(),
    )
    assert created[0][0] >= 1

    # Close the family room on the day of the booked visit: the check lists the visit before
    # anything is saved.
    await go(page, "closures")
    await page.locator("#starts_on").fill(day)
    await page.locator("#ends_on").fill(day)
    await page.locator("#room_id").select_option(label="Familienzimmer")
    await page.locator("#reason").fill("Staff training")
    await page.get_by_role("button", name="Check affected visits").click()
    await page.locator("#flagged-heading").wait_for()
    assert "flags 1 booked visit" in await page.locator("#flagged-heading").inner_text()
    assert reference in await page.locator("main table").first.inner_text()
    assert server.query("SELECT count(*) FROM closure")[0][0] == 0
    await check_page(page, axe_script, "console-04-closure-check")
    await page.get_by_role("button", name="Save closure").click()
    await page.wait_for_url(re.compile(r"/review\?done=closure_added"))
    assert reference in await page.locator("main table").inner_text()
    await check_page(page, axe_script, "console-05-review-queue")

    # The officer works the queue: the flagged visit is cancelled with a reason, the request
    # that only the safeguarding lead may approve is rejected.
    officer = await new_page(browser, "en-GB", desktop=True)
    await staff_sign_in(officer, server, OFFICER)
    await go(officer, "review")
    await officer.get_by_role("link", name=reference).click()
    await officer.locator("#decision-heading").wait_for()
    await check_page(officer, axe_script, "console-06-flagged-visit")
    await officer.locator("#decision-cancel").check()
    await officer.locator("#reason").fill("The facility is closed for staff training that day.")
    await officer.get_by_role("button", name="Save decision").click()
    await officer.wait_for_url(re.compile(r"done=cancelled"))
    requested = server.query("SELECT reference FROM visit WHERE status = 'requested'")[0][0]
    await officer.get_by_role("link", name=str(requested)).click()
    await officer.get_by_text("Only these roles may approve this visit:").wait_for()
    assert await officer.locator("#decision-approve").count() == 0
    assert "CF-05" in await officer.locator("table.rules").inner_text()
    await check_page(officer, axe_script, "console-07-request")
    await officer.locator("#decision-reject").check()
    await officer.locator("#reason").fill("The uncle's check is not complete yet.")
    await officer.get_by_role("button", name="Save decision").click()
    await officer.wait_for_url(re.compile(r"done=rejected"))
    assert "Nothing is waiting for review." in await officer.locator("main").inner_text()
    assert server.query("SELECT status FROM visit WHERE reference = ?", reference)[0][0] == (
        "cancelled"
    )
    assert server.messages_to(KAYA)[-2:] == ["visit_cancelled", "visit_rejected"]


async def test_the_console_reports_read_well_in_german(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    page = await new_page(browser, "de-DE", desktop=True)
    await staff_sign_in(page, server, OFFICER)
    assert await page.locator("html").get_attribute("lang") == "de"
    await go(page, "phone-booking")
    await page.locator("#q").fill("anna.beispiel@example.org")
    await page.get_by_role("button", name="Haushalt suchen").click()
    await page.locator("#booking-heading").wait_for()
    await page.locator("#visitor_ids input").first.check()
    await page.locator("#slot_id").select_option(index=1)
    await page.get_by_role("button", name="Regeln prüfen").click()
    await page.locator("#check-heading").wait_for()
    await check_page(page, axe_script, "console-08-phone-booking")
    await go(page, "alerts")
    assert "CF-15" in await page.locator("main").inner_text()
    await check_page(page, axe_script, "console-09-alerts")
    await go(page, "figures")
    assert await page.locator("svg.chart").count() == 4
    await check_page(page, axe_script, "console-10-figures")
    await go(page, "day-sheet")
    await check_page(page, axe_script, "console-11-day-sheet")
    await page.emulate_media(media="print")
    assert not await page.locator("nav.main-nav").is_visible()
    await page.emulate_media(media="screen")
