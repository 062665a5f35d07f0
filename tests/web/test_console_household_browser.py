"""The household page in a real browser against a real server: the safeguarding lead opens a
request with a flagged visitor (demo data), follows the link from the visit page to the
household, first sends the flag form without a choice (the problem named and linked to its
field), then sets a flag with a reason; the page is read in German too. Every page is checked
with axe-core and photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.async_api import Browser

from tests.web.conftest import Server, check_page, new_page
from tests.web.test_console_browser import staff_sign_in

LEAD = "sozialdienst@jva-musterstadt.example"


async def test_the_lead_sets_a_flag_on_the_household_page(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    row, *_ = server.query(
        "SELECT v.facility_id, v.id, p.id FROM visit v JOIN visitor p"
        " ON p.household_id = v.household_id"
        " WHERE v.needs_review AND p.given_name = 'Deniz'"
    )
    facility_id, visit_id, deniz = (uuid.UUID(str(value)) for value in row)
    lead = await new_page(browser, "en-GB", desktop=True)
    await staff_sign_in(lead, server, LEAD)
    await lead.goto(f"{server.url}/staff/facilities/{facility_id}/visits/{visit_id}")
    facts = lead.locator("#party-safeguarding")
    assert "Background check pending" in await facts.inner_text()
    await check_page(lead, axe_script, "console-household-01-visit")
    await lead.get_by_role("link", name="The household's safeguarding facts").click()
    await lead.wait_for_url(re.compile(r"/households/[0-9a-f-]{36}$"))
    await check_page(lead, axe_script, "console-household-02-page")

    person = lead.locator(f"section[aria-labelledby='person-{deniz}']")
    await person.get_by_text("Set a safeguarding flag").click()
    await person.locator(f"#flag-{deniz}-reason").fill("Youth office letter of 12 November.")
    await person.get_by_role("button", name="Set the flag").click()
    summary = lead.get_by_role("alert")
    await summary.get_by_role("link", name="Please choose a flag.").click()
    assert await lead.evaluate("document.activeElement.id") == f"flag-{deniz}-flag"
    await check_page(lead, axe_script, "console-household-03-problem")

    person = lead.locator(f"section[aria-labelledby='person-{deniz}']")
    await person.locator(f"#flag-{deniz}-flag").select_option("court_order")
    await person.get_by_role("button", name="Set the flag").click()
    await lead.wait_for_url(re.compile(r"done=flag_set"))
    person = lead.locator(f"section[aria-labelledby='person-{deniz}']")
    text = await person.inner_text()
    assert "A court order limits contact" in text
    assert "Youth office letter of 12 November." in text
    await check_page(lead, axe_script, "console-household-04-flag-set")

    german = await new_page(browser, "de-DE", desktop=True)
    await staff_sign_in(german, server, LEAD)
    await german.goto(lead.url.split("?")[0])
    assert "Ein Gerichtsbeschluss beschränkt den Kontakt" in await german.inner_text("main")
    await check_page(german, axe_script, "console-household-05-german")
