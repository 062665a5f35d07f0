"""The retention review in a real browser against a real server: two families whose last visit
to the demo facility was more than a year ago are written into its database; the visits
manager opens "Data retention" from the menu and finds them listed, in English and German.
Each page is checked with axe-core and photographed into test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from playwright.async_api import Browser

from tests.people.retention_helpers import LONG_AGO, Place, new_household, visit_at
from tests.web.conftest import Server, check_page, new_page
from tests.web.test_console_browser import MANAGER, go, staff_sign_in
from visits.db.base import utcnow
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import Facility, Prisoner, Room


async def _old_families(server: Server) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{server.database}")
    try:
        async with create_session_factory(engine)() as db:
            facility = await db.scalar(sa.select(Facility))
            room = await db.scalar(sa.select(Room).where(Room.facility_id == facility.id))  # type: ignore[union-attr]
            prisoner = await db.scalar(sa.select(Prisoner))
            assert facility is not None
            assert room is not None
            assert prisoner is not None
            place = Place(facility, room, prisoner)
            now = utcnow().replace(second=0, microsecond=0)
            for n, name in enumerate(("Hanna Altmann", "Jörg Vergessen")):
                household = await new_household(db, name, changed_at=now - LONG_AGO, people=2 + n)
                await visit_at(db, place, household, now - timedelta(days=500 + 40 * n, hours=3))
            await db.commit()
    finally:
        await engine.dispose()


async def test_the_manager_reviews_the_households_the_next_run_erases(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    await _old_families(server)
    page = await new_page(browser, "en-GB", desktop=True)
    await staff_sign_in(page, server, MANAGER)
    await go(page, "retention")
    await page.get_by_role("heading", name="Households the next run erases").wait_for()
    table = page.get_by_role("table", name="2 households of this facility will be erased")
    assert await table.get_by_role("row").count() == 3  # the header and two families
    first = table.get_by_role("row").nth(1)
    assert "Jörg Vergessen" in await first.inner_text()  # the longest silent first
    await check_page(page, axe_script, "console-retention-01-list")

    await page.goto(page.url + "?lang=de")
    await page.get_by_role("heading", name="Haushalte, die der nächste Lauf löscht").wait_for()
    assert await page.get_by_role(
        "table", name="2 Haushalte dieser Anstalt werden gelöscht"
    ).is_visible()
    assert await page.locator("nav.main-nav a[aria-current=page]").inner_text() == "Löschfristen"
    await check_page(page, axe_script, "console-retention-02-list-de")
