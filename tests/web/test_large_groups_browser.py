"""A large sibling group in a real browser against a real server (issue 17, point 4; CF-07): a
mother with four children (not in the demo) finds "Ask the facility for this time" on a time
that is not possible only because of the group limit, sends the request by keyboard, and a
visits manager (made here) approves it from the review queue in the German console. Every page
is checked with axe-core and photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from playwright.async_api import Browser, Page

from tests.accounts_helpers import STAFF_PASSWORD, add_staff
from tests.large_group_helpers import EMAIL, LargeFamily, add_large_family
from tests.web.conftest import SCREENSHOTS, Server, check_page, new_page
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import Facility
from visits.enums import StaffRole

MANAGER = "leitung.browser-haddad@example.org"


async def _the_family_arrives(server: Server) -> LargeFamily:
    """The Haddad household and a visits manager, written to the server's database."""
    engine = create_engine(f"sqlite+aiosqlite:///{server.database}")
    try:
        async with create_session_factory(engine)() as db:
            facility_id = await db.scalar(sa.select(Facility.id))
            assert facility_id is not None
            family = await add_large_family(db, facility_id, "en")
            await add_staff(db, MANAGER, [(StaffRole.VISITS_MANAGER, facility_id)])
    finally:
        await engine.dispose()
    return family


async def _family_signs_in(page: Page, server: Server) -> None:
    before = server.codes_sent(EMAIL)
    await page.goto(f"{server.url}/sign-in")
    await page.get_by_label(re.compile("e-mail", re.IGNORECASE)).fill(EMAIL)
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/sign-in/code\?challenge="))
    await page.locator("#code").fill(server.sign_in_code(EMAIL, after=before))
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/household$"))


def _status(server: Server, reference: str) -> str:
    return str(server.query("SELECT status FROM visit WHERE reference = ?", reference)[0][0])


async def test_a_large_family_asks_and_a_manager_approves(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    family = await _the_family_arrives(server)
    monday = family.day - timedelta(days=family.day.weekday())

    page = await new_page(browser, "en-GB")
    await _family_signs_in(page, server)
    await page.goto(f"{server.url}/book/{family.prisoner_id}?week={monday.isoformat()}&lang=en")
    card = page.locator(f"#slot-{family.slots[0]}")
    await card.wait_for()
    assert "verdict-not_possible" in (await card.get_attribute("class") or "")
    ask = card.get_by_role("button", name=re.compile(r"^Ask the facility for this time"))
    hint = await ask.get_attribute("aria-describedby")
    assert hint is not None
    assert "The visits team decides" in await page.locator(f"#{hint}").inner_text()
    await check_page(page, axe_script, "large-group-01-week")
    await card.screenshot(path=str(SCREENSHOTS / "large-group-01-time.png"))

    await ask.focus()
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"done=requested"))
    await page.get_by_text("Your request was sent.").wait_for()
    await check_page(page, axe_script, "large-group-02-requested")
    reference = str(
        server.query("SELECT reference FROM visit WHERE household_id = ?", family.household_id.hex)[
            0
        ][0]
    )
    assert _status(server, reference) == "requested"

    # The visits manager finds it in the German review queue with the reason, and approves.
    staff = await new_page(browser, "de-DE", desktop=True)
    await staff.goto(f"{server.url}/staff/sign-in")
    await staff.locator("#email").fill(MANAGER)
    await staff.locator("#password").fill(STAFF_PASSWORD)
    await staff.locator("main button[type=submit]").click()
    await staff.wait_for_url(re.compile(r"/staff/facilities/[0-9a-f-]{36}$"))
    await staff.goto(f"{server.url}/staff/facilities/{family.facility_id}/review")
    row = staff.locator("tr").filter(has_text=reference)
    assert "größer als die übliche Grenze" in await row.inner_text()
    await check_page(staff, axe_script, "large-group-03-queue-de")
    await row.get_by_role("link", name=reference).click()
    await staff.locator("#decision-heading").wait_for()
    await check_page(staff, axe_script, "large-group-04-request-de")
    await staff.locator("#decision-approve").check()
    await staff.locator("#reason").fill("Alle vier Kinder gemeinsam.")
    await staff.locator("form[action$='/decision'] button[type=submit]").click()
    await staff.wait_for_url(re.compile(r"/review\?done=approved"))
    assert _status(server, reference) == "confirmed"

    await page.reload()
    await page.get_by_text("The number of visitors").wait_for()
    await check_page(page, axe_script, "large-group-05-booked")
    await page.context.close()
    await staff.context.close()
