"""Prisoner casework in a real browser against a real server (CF-05): the safeguarding lead
finds the demo prisoner in the console and records a "no contact with children" restriction on
his page; then his family books a visit with its children, which goes to review, and the
family's visit page only asks it to contact the facility (no reason, no rule, no code). A
CSV import is checked, then stored, in German. Every page is checked with axe-core and
photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from playwright.async_api import Browser, Page

from tests.web.conftest import Server, check_page, new_page
from tests.web.test_console_browser import OFFICER, staff_sign_in

LEAD = "sozialdienst@jva-musterstadt.example"
FAMILY = "anna.beispiel@example.org"
REASON = "Beschluss des Familiengerichts vom 2. November"


async def _family_token(server: Server) -> str:
    """The demo family signs in through the API (the code from the log channel)."""
    async with httpx.AsyncClient(base_url=server.url) as api:
        before = server.codes_sent(FAMILY)
        challenge = await api.post("/api/v1/auth/household/code", json={"email": FAMILY})
        assert challenge.status_code in (200, 201, 202), challenge.text
        verified = await api.post(
            "/api/v1/auth/household/verify",
            json={
                "challenge_id": challenge.json()["challenge_id"],
                "code": server.sign_in_code(FAMILY, after=before),
            },
        )
        assert verified.status_code == 200, verified.text
        return str(verified.json()["token"])


async def _family_asks(server: Server, token: str, prisoner_id: str) -> dict[str, object]:
    """A visit with the children, in the first free child-and-family slot at least three days
    ahead: held, then confirmed, which sends it to review."""
    soon = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S")
    slots = [
        str(row[0])
        for row in server.query(
            "SELECT id FROM slot WHERE visit_type = 'child_family' AND starts_at > ? "
            "ORDER BY starts_at",
            soon,
        )
    ]
    visitors = [
        str(row[0])
        for row in server.query(
            "SELECT v.id FROM visitor v JOIN household h ON h.id = v.household_id "
            "WHERE h.email = ?",
            FAMILY,
        )
    ]
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as api:
        for slot in slots:
            held = await api.post(
                "/api/v1/household/holds",
                json={
                    "prisoner_id": _uuid(prisoner_id),
                    "slot_id": _uuid(slot),
                    "visitor_ids": [_uuid(v) for v in visitors],
                },
            )
            if held.status_code == 409:  # this slot is taken for the family already
                continue
            assert held.status_code == 201, held.text
            confirmed = await api.post(f"/api/v1/household/visits/{held.json()['id']}/confirm")
            assert confirmed.status_code == 200, confirmed.text
            return dict(confirmed.json())
    raise AssertionError("no child-and-family slot to book")


def _uuid(value: str) -> str:
    """An id as the API writes it (SQLite stores them as 32 hex digits)."""
    hexed = value.replace("-", "")
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


async def _family_signs_in(page: Page, server: Server) -> None:
    before = server.codes_sent(FAMILY)
    await page.goto(f"{server.url}/sign-in")
    await page.get_by_label(re.compile("e-mail", re.IGNORECASE)).fill(FAMILY)
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/sign-in/code\?challenge="))
    await page.locator("#code").fill(server.sign_in_code(FAMILY, after=before))
    await page.locator("main button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/household$"))


async def test_a_restriction_from_the_console_sends_a_child_visit_to_review(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    lead = await new_page(browser, "en-GB", desktop=True)
    await staff_sign_in(lead, server, LEAD)
    await lead.get_by_role("link", name="Prisoners", exact=True).click()
    await lead.wait_for_url(re.compile(r"/prisoners$"))
    await lead.get_by_label("Name or prison number").fill("beispiel")
    await lead.get_by_role("button", name="Search").click()
    await lead.wait_for_url(re.compile(r"/prisoners\?q=beispiel"))
    await check_page(lead, axe_script, "console-prisoners-01-list")
    await lead.get_by_role("link", name="Beispiel, Jonas").click()
    await lead.get_by_role("heading", name="Record a restriction").wait_for()
    prisoner_id = lead.url.rsplit("/", 1)[-1]
    assert server.query("SELECT count(*) FROM prisoner_restriction") == [(0,)]

    await lead.get_by_role("button", name="Record the restriction").click()
    summary = lead.get_by_role("alert")
    await summary.get_by_role("link", name="Please choose a restriction.").wait_for()
    await check_page(lead, axe_script, "console-prisoners-02-problems")
    await lead.get_by_label("Restriction", exact=True).select_option("no_child_contact")
    await lead.locator("#restriction_reason").fill(REASON)
    await lead.get_by_role("button", name="Record the restriction").click()
    await lead.wait_for_url(re.compile(r"done=restriction_added"))
    row = lead.locator("table#restrictions tbody tr").first
    assert "No contact with children" in await row.inner_text()
    assert REASON in await row.inner_text()
    assert "In force" in await row.inner_text()
    await check_page(lead, axe_script, "console-prisoners-03-prisoner")
    assert server.query("SELECT code, reason, recorded_by FROM prisoner_restriction") == [
        ("no_child_contact", REASON, "Sabine Kraus")
    ]

    # The family books a visit with its children: it goes to review.
    token = await _family_token(server)
    visit = await _family_asks(server, token, prisoner_id)
    assert visit["status"] == "requested"
    for hidden in ("CF-05", "no_child_contact", "Familiengericht"):
        assert hidden not in str(visit), hidden
    [(status, results)] = server.query(
        "SELECT status, rule_results FROM visit WHERE id = ?", str(visit["id"]).replace("-", "")
    )
    failed = {r["rule_id"] for r in json.loads(str(results)) if not r["passed"]}
    assert (status, failed) == ("requested", {"CF-05"})  # staff see why; the family does not

    family = await new_page(browser, "en-GB")
    await _family_signs_in(family, server)
    await family.goto(f"{server.url}/my-visits/{visit['id']}?lang=en")
    text = await family.locator("main").inner_text()
    assert "Please contact the prison's visits team" in text
    for hidden in ("CF-05", "no_child_contact", "No contact with children", "Familiengericht"):
        assert hidden not in text, hidden
        assert hidden not in await family.content(), hidden
    await check_page(family, axe_script, "console-prisoners-04-family-visit")
    await family.context.close()
    await lead.context.close()


async def test_an_officer_checks_a_csv_file_before_importing_it(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    officer = await new_page(browser, "de-DE", desktop=True)
    await staff_sign_in(officer, server, OFFICER)
    await officer.get_by_role("link", name="Gefangene", exact=True).click()
    await officer.get_by_role("link", name="Viele Gefangene aus einer CSV-Datei erfassen").click()
    await officer.wait_for_url(re.compile(r"/prisoners/import$"))
    await officer.get_by_label("Oder fügen Sie den Text der Datei ein").fill(
        "prison_number;given_name;family_name;admission_date;custody_status\n"
        "MS-2026-0801;Lena;Hartmann;01.03.2026;sentenced\n"
        "MS-2026-0802;Tim;Roth;30.02.2026;sentenced\n"
    )
    await officer.get_by_role("button", name="Datei prüfen").click()
    problems = officer.locator("table#import-problems tbody tr")
    await problems.first.wait_for()
    assert await problems.count() == 1
    assert (await problems.first.locator("th").inner_text()).strip() == "3"
    assert "ein Datum wie 2026-03-01 oder 01.03.2026" in await problems.first.inner_text()
    assert await officer.get_by_role("button", name=re.compile("importieren$")).count() == 0
    await check_page(officer, axe_script, "console-prisoners-05-import-problems")

    await officer.locator("#document").fill(
        "prison_number;given_name;family_name;admission_date;custody_status\n"
        "MS-2026-0801;Lena;Hartmann;01.03.2026;sentenced\n"
    )
    await officer.get_by_role("button", name="Datei prüfen").click()
    store = officer.get_by_role("button", name="1 Gefangene(n) importieren")
    await store.wait_for()
    assert server.query("SELECT count(*) FROM prisoner WHERE prison_number = 'MS-2026-0801'") == [
        (0,)
    ]
    await check_page(officer, axe_script, "console-prisoners-06-import-preview")
    await store.click()
    await officer.wait_for_url(re.compile(r"/prisoners\?done=imported"))
    assert "Die Gefangenen wurden importiert." in await officer.locator("main").inner_text()
    assert server.query(
        "SELECT given_name, family_name FROM prisoner WHERE prison_number = 'MS-2026-0801'"
    ) == [("Lena", "Hartmann")]
    await officer.context.close()
