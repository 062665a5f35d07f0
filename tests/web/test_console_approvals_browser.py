"""Visitor approvals in a real browser against a real server: a new family (not in the demo)
signs up and asks to visit a prisoner; a visits officer finds the request counted on the
overview, opens the queue, first sends the decision form empty (every problem named and
linked), then approves; the family is told, and its page says so. The queue is read in German
too. Every page is checked with axe-core and photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser

from tests.web.conftest import Server, check_page, new_page
from tests.web.test_console_browser import OFFICER, staff_sign_in

EMAIL = "familie.nordmann@example.org"


def _pending(server: Server) -> int:
    return int(
        server.query("SELECT count(*) FROM visitor_approval WHERE status = 'pending'")[0][0]  # type: ignore[arg-type]
    )


async def test_an_officer_approves_a_new_familys_request_in_the_console(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    # The family signs up, adds a child and asks for approval to visit Murat Kaya.
    family = await new_page(browser, "de-DE")
    await family.goto(f"{server.url}/sign-up")
    await family.get_by_label("Ihr Name").fill("Ronja Nordmann")
    await family.get_by_label("Ihre E-Mail-Adresse").fill(EMAIL)
    await family.get_by_role("button", name="Registrieren und Code bekommen").click()
    await family.wait_for_url(re.compile(r"/sign-in/code\?challenge="))
    await family.locator("#code").fill(server.sign_in_code(EMAIL))
    await family.get_by_role("button", name="Anmelden").click()
    await family.wait_for_url(re.compile(r"/household$"))
    await family.locator("#given_name").fill("Ole")
    await family.locator("#family_name").fill("Nordmann")
    await family.locator("#birth_date").fill("2018-08-21")
    await family.locator("#relationship").select_option("child")
    await family.get_by_role("button", name="Person hinzufügen").click()
    await family.wait_for_url(re.compile(r"done=visitor_added"))
    before = _pending(server)
    await family.goto(f"{server.url}/book")
    await family.locator("#prison_number").fill("MS-2026-0107")
    await family.locator("#prisoner_family_name").fill("Kaya")
    await family.locator("form[action='/book/approval'] button[type=submit]").click()
    await family.wait_for_url(re.compile(r"done=approval_requested"))
    assert _pending(server) == before + 1

    # The officer sees it counted on the overview and opens the queue from there.
    officer = await new_page(browser, "en-GB", desktop=True)
    await staff_sign_in(officer, server, OFFICER)
    tile = officer.locator(".tile").filter(has_text="Visitor approvals waiting")
    assert await tile.locator(".figure").inner_text() == str(before + 1)
    await check_page(officer, axe_script, "console-approvals-01-overview")
    await tile.get_by_role("link").click()
    await officer.wait_for_url(re.compile(r"/approvals$"))
    row = officer.locator("table#approvals tr").filter(has_text="Ole Nordmann")
    assert "Ronja Nordmann" in await row.inner_text()
    assert "Murat Kaya (MS-2026-0107)" in await row.inner_text()
    await check_page(officer, axe_script, "console-approvals-02-queue")

    await row.get_by_role("link", name="Ole Nordmann").click()
    await officer.locator("#decision-heading").wait_for()
    await check_page(officer, axe_script, "console-approvals-03-request")
    await officer.get_by_role("button", name="Save decision").click()
    summary = officer.get_by_role("alert")
    await summary.get_by_role("link", name="Please choose a decision.").wait_for()
    await summary.get_by_role("link", name="Please give a reason of at least 3 characters.").click()
    assert await officer.evaluate("document.activeElement.id") == "reason"
    described = await officer.locator("#reason").get_attribute("aria-describedby")
    assert described == "reason-hint reason-error"
    assert await officer.locator("#reason").get_attribute("required") is not None
    await check_page(officer, axe_script, "console-approvals-04-problems")
    assert _pending(server) == before + 1  # nothing decided

    await officer.get_by_label("Approve: this person may be booked").check()
    await officer.get_by_label("Reason", exact=True).fill(
        "Birth certificate and the mother's ID seen."
    )
    await officer.get_by_role("button", name="Save decision").click()
    await officer.wait_for_url(re.compile(r"/approvals\?done=approved"))
    assert "Decision saved. The household was told." in await officer.locator("main").inner_text()
    assert await officer.locator("table#approvals tr").filter(has_text="Ole Nordmann").count() == 0
    assert _pending(server) == before
    assert server.query(
        "SELECT a.status, a.decided_by FROM visitor_approval a JOIN visitor v "
        "ON v.id = a.visitor_id WHERE v.given_name = 'Ole'"
    ) == [("approved", "Omar Haddad")]
    assert server.messages_to(EMAIL)[-1] == "approval_given"

    # The family's page says so.
    await family.goto(f"{server.url}/household")
    assert "Zugelassen" in await family.locator("main").inner_text()
    await family.context.close()

    # The queue reads well in German: the decided request, in German words only.
    german = await new_page(browser, "de-DE", desktop=True)
    await staff_sign_in(german, server, OFFICER)
    tile = german.locator(".tile").filter(has_text="Offene Besuchszulassungen")
    await tile.get_by_role("link").click()
    await german.get_by_role("link", name="Zugelassen", exact=True).click()
    await german.wait_for_url(re.compile(r"status=approved"))
    text = await german.locator("main").inner_text()
    for words in ("Besuchszulassungen", "Ole Nordmann", "Kind", "In Strafhaft", "Entschieden"):
        assert words in text, words
    for english in ("Visitor", "Asked on", "Decided", "Sentenced", "Approved"):
        assert english not in text, english
    await check_page(german, axe_script, "console-approvals-05-german")
    await german.get_by_role("link", name="Ole Nordmann").click()
    await german.get_by_role("heading", name="Entscheidung ändern").wait_for()
    await check_page(german, axe_script, "console-approvals-06-german-request")
    await officer.context.close()
    await german.context.close()
