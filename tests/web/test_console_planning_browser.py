"""Console planning edges in a real browser against a real server (issue 17 point 8): a manager
closes the day of the demo's booked visit and moves the visit to another time from its page (the
family is told); changes a room and a slot template; an administrator opens the new facility
form and sees every problem at once. Every page is checked with axe-core and photographed into
test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser

from tests.accounts_helpers import STAFF_PASSWORD, add_staff
from tests.web.conftest import Server, check_page, new_page
from tests.web.test_console_browser import KAYA, MANAGER, go, staff_sign_in
from visits.db.engine import create_engine, create_session_factory
from visits.enums import StaffRole

ADMIN = "admin@visits.example"


async def _admin(server: Server) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{server.database}")
    try:
        async with create_session_factory(engine)() as db:
            await add_staff(db, ADMIN, [(StaffRole.ADMIN, None)])
    finally:
        await engine.dispose()


async def test_a_manager_moves_a_visit_off_a_closed_day_and_changes_a_room_and_a_template(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    [(day, reference, old_slot)] = server.query(
        "SELECT slot.local_date, visit.reference, visit.slot_id FROM visit "
        "JOIN slot ON slot.id = visit.slot_id WHERE visit.status = 'confirmed'"
    )
    page = await new_page(browser, "en-GB", desktop=True)
    await staff_sign_in(page, server, MANAGER)

    await go(page, "closures")
    await page.locator("#starts_on").fill(str(day))
    await page.locator("#ends_on").fill(str(day))
    await page.locator("#reason").fill("Water damage")
    await page.get_by_role("button", name="Check affected visits").click()
    await page.get_by_role("button", name="Save closure").click()
    await page.wait_for_url(re.compile(r"/review\?done=closure_added"))
    await page.get_by_role("link", name=str(reference)).click()
    await page.get_by_role("heading", name="Move to another time").wait_for()
    reason = page.locator("#reason")
    assert await reason.get_attribute("required") is not None
    assert await reason.get_attribute("aria-describedby") == "reason-hint"
    await check_page(page, axe_script, "console-planning-01-flagged-visit-move")
    new_time = page.get_by_label("New time")
    options = await new_time.locator("option").all_inner_texts()
    assert len(options) > 1  # "Choose a time" and the open times
    await new_time.select_option(index=1)
    await page.get_by_role("button", name="Move the visit").click()
    await page.wait_for_url(re.compile(r"done=moved"))
    assert "The visit was moved. The household was told." in await page.locator("main").inner_text()
    [(status, slot_id, needs_review)] = server.query(
        "SELECT status, slot_id, needs_review FROM visit WHERE reference = ?", reference
    )
    assert (status, needs_review) == ("confirmed", 0)
    assert slot_id != old_slot
    assert server.messages_to(KAYA)[-1] == "visit_moved"

    await go(page, "rooms")
    await page.get_by_role("link", name="Spielzimmer").click()
    await page.get_by_role("heading", name="Take the room out of use").wait_for()
    seats = page.locator("#capacity_seats")
    assert await seats.get_attribute("max") == "2000"
    await check_page(page, axe_script, "console-planning-02-room")
    await seats.fill("2001")
    await page.get_by_role("button", name="Save room").click()
    await page.get_by_text("Please enter a number of seats from 1 to 2000.").first.wait_for()
    await check_page(page, axe_script, "console-planning-03-room-error")
    await seats.fill("20")
    await page.get_by_role("button", name="Save room").click()
    await page.wait_for_url(re.compile(r"done=room_saved"))

    await go(page, "templates")
    await page.locator("main table a", has_text="Change").first.click()
    await page.get_by_role("heading", name="Change the template").wait_for()
    await check_page(page, axe_script, "console-planning-04-template")
    await page.locator("#duration_minutes").fill("90")
    await page.locator("#reason").fill("Shorter afternoons")
    await page.get_by_role("button", name="Save the change").click()
    await page.wait_for_url(re.compile(r"done=template_saved"))

    await page.goto(page.url.split("?")[0] + "?lang=de")
    await page.get_by_role("heading", name="Zeitvorlagen").wait_for()
    await check_page(page, axe_script, "console-planning-05-templates-de")


async def test_an_administrator_creates_a_facility_from_the_console(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    await _admin(server)
    page = await new_page(browser, "de-DE", desktop=True)
    await page.goto(f"{server.url}/staff/sign-in")
    await page.locator("#email").fill(ADMIN)
    await page.locator("#password").fill(STAFF_PASSWORD)
    await page.locator("#password").press("Enter")
    await page.get_by_role("link", name="Anstalt anlegen").click()
    await page.get_by_role("heading", name="Neue Anstalt").wait_for()
    await check_page(page, axe_script, "console-planning-06-facility-new-de")
    await page.locator("#slug").fill("JVA Nord")
    await page.get_by_role("button", name="Anstalt anlegen").click()
    await page.get_by_role("heading", name="Neue Anstalt").wait_for()
    summary = await page.locator(".notice.error").inner_text()
    for problem in ("Kleinbuchstaben", "Namen", "Straße", "E-Mail-Adresse"):
        assert problem in summary, summary
    await check_page(page, axe_script, "console-planning-07-facility-errors-de")
    await page.locator("#slug").fill("jva-nord")
    await page.locator("#name").fill("JVA Nord")
    await page.locator("#street").fill("Am Wall 3")
    await page.locator("#postal_code").fill("12345")
    await page.locator("#city").fill("Nordstadt")
    await page.locator("#email").fill("besuche@jva-nord.example")
    await page.get_by_role("button", name="Anstalt anlegen").click()
    await page.wait_for_url(re.compile(r"/rooms\?done=facility_created"))
    assert server.query("SELECT name FROM facility WHERE slug = 'jva-nord'") == [("JVA Nord",)]
