"""The gate in a real browser against a real server: a family that is not in the demo signs up,
books through the API and finds the visit pass's QR code on its visit page; on the day, the
officer at the gate opens the day sheet, sees whom the family visits, checks it in and reads
the pass with each person's age and ID needs. Every page is checked with axe-core and
photographed into test-artifacts/screenshots/."""

from __future__ import annotations

import re
import sqlite3
import uuid
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import Browser

from tests.web.conftest import DEMO_STAFF_PASSWORD, Server, check_page, new_page
from tests.web.test_console_browser import OFFICER, go, staff_sign_in
from visits.web.security import SESSION_COOKIE

EMAIL = "mara.yilmaz@example.net"
PRISON_NUMBER = "G-2026-0777"


def _execute(server: Server, sql: str, *params: object) -> None:
    """Write to the server's SQLite database directly (what a test cannot do through a page)."""
    with closing(sqlite3.connect(server.database)) as connection:
        connection.execute(sql, params)
        connection.commit()


def _stored(moment: datetime) -> str:
    """A UTC instant as the SQLite database stores it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _family_books(server: Server) -> tuple[str, str, str]:
    """The Yilmaz household (Mara, 35, and Elif, 6) signs up and books a child and family visit
    to a newly registered prisoner; the visit is then moved to start five minutes ago, so that
    the gate can check the family in today. Returns (visit id, reference, family token)."""
    with httpx.Client(base_url=server.url, timeout=15) as api:
        staff = api.post(
            "/api/v1/auth/staff/sign-in",
            json={"email": OFFICER, "password": DEMO_STAFF_PASSWORD},
        ).json()["token"]
        facility = str(server.query("SELECT id FROM facility")[0][0])
        facility_id = str(uuid.UUID(facility))
        prisoner = api.post(
            f"/api/v1/staff/facilities/{facility_id}/prisoners",
            headers={"Authorization": f"Bearer {staff}"},
            json={
                "prison_number": PRISON_NUMBER,
                "given_name": "Deniz",
                "family_name": "Yilmaz",
                "admission_date": "2026-01-15",
                "custody_status": "sentenced",
            },
        )
        assert prisoner.status_code == 201, prisoner.text
        prisoner_id = prisoner.json()["id"]
        signed_up = api.post(
            "/api/v1/auth/households",
            json={"guardian_name": "Mara Yilmaz", "language": "en", "email": EMAIL},
        )
        assert signed_up.status_code == 202, signed_up.text
        verified = api.post(
            "/api/v1/auth/household/verify",
            json={
                "challenge_id": signed_up.json()["challenge_id"],
                "code": server.sign_in_code(EMAIL),
            },
        )
        assert verified.status_code == 200, verified.text
        family = {"Authorization": f"Bearer {verified.json()['token']}"}
        today = datetime.now(ZoneInfo("Europe/Berlin")).date()
        people = []
        for given, birth, relationship, guardian in (
            ("Mara", today.replace(year=today.year - 35), "partner", True),
            ("Elif", today.replace(year=today.year - 6) - timedelta(days=30), "child", False),
        ):
            made = api.post(
                "/api/v1/household/visitors",
                headers=family,
                json={
                    "given_name": given,
                    "family_name": "Yilmaz",
                    "birth_date": birth.isoformat(),
                    "relationship": relationship,
                    "is_guardian": guardian,
                },
            )
            assert made.status_code == 201, made.text
            people.append(made.json()["id"])
        now = _stored(datetime.now(UTC))
        for person in people:  # approved for this prisoner (CF-04), as staff would
            _execute(
                server,
                "INSERT INTO visitor_approval (id, visitor_id, prisoner_id, status, decided_at, "
                "decided_by, reason, created_at, updated_at) VALUES (?, ?, ?, 'approved', ?, "
                "'test', 'approved for the test', ?, ?)",
                uuid.uuid4().hex,
                uuid.UUID(person).hex,
                uuid.UUID(prisoner_id).hex,
                now,
                now,
                now,
            )
        soon = _stored(datetime.now(UTC) + timedelta(days=3))
        slot = server.query(
            "SELECT id FROM slot WHERE visit_type = 'child_family' AND booked_tables = 0 "
            "AND status = 'open' AND starts_at > ? ORDER BY starts_at LIMIT 1",
            soon,
        )[0][0]
        held = api.post(
            "/api/v1/household/holds",
            headers=family,
            json={
                "prisoner_id": prisoner_id,
                "slot_id": str(uuid.UUID(str(slot))),
                "visitor_ids": people,
            },
        )
        assert held.status_code == 201, held.text
        visit_id = held.json()["id"]
        confirmed = api.post(f"/api/v1/household/visits/{visit_id}/confirm", headers=family)
        assert confirmed.json()["status"] == "confirmed", confirmed.text
    start = datetime.now(UTC) - timedelta(minutes=5)
    end = start + timedelta(hours=2)
    local_day = start.astimezone(ZoneInfo("Europe/Berlin")).date().isoformat()
    _execute(
        server,
        "UPDATE slot SET starts_at = ?, ends_at = ?, local_date = ? WHERE id = ?",
        _stored(start),
        _stored(end),
        local_day,
        slot,
    )
    _execute(
        server,
        "UPDATE visit SET starts_at = ?, ends_at = ? WHERE id = ?",
        _stored(start),
        _stored(end),
        uuid.UUID(visit_id).hex,
    )
    return visit_id, str(confirmed.json()["reference"]), str(verified.json()["token"])


async def test_the_gate_checks_a_new_family_in(
    browser: Browser, server: Server, axe_script: Path
) -> None:
    visit_id, reference, family_token = _family_books(server)

    # The family's visit page shows the pass as a QR code, without script.
    family = await new_page(browser, "en-GB")
    await family.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": family_token, "url": server.url}]
    )
    await family.goto(f"{server.url}/my-visits/{visit_id}")
    qr = family.get_by_role("img", name="QR code of the visit pass")
    await qr.wait_for()
    assert await family.locator("script").count() == 0
    await check_page(family, axe_script, "gate-01-family-visit-pass")
    # Scanning the code in the family's browser leads to the staff sign-in, nothing more.
    facility = str(uuid.UUID(str(server.query("SELECT id FROM facility")[0][0])))
    await family.goto(f"{server.url}/staff/facilities/{facility}/visits/{visit_id}/pass")
    assert family.url.endswith("/staff/sign-in")
    assert "Yilmaz" not in await family.locator("body").inner_text()

    # At the gate: the day sheet names whom the family visits; the officer checks it in.
    gate = await new_page(browser, "en-GB", desktop=True)
    await staff_sign_in(gate, server, OFFICER)
    await go(gate, "day-sheet")
    row = gate.locator("tr", has_text=reference)
    assert "Deniz Yilmaz" in await row.inner_text()
    assert PRISON_NUMBER in await row.inner_text()
    await check_page(gate, axe_script, "gate-02-day-sheet")
    await row.get_by_role("button", name=re.compile(r"^Arrived")).click()
    await gate.wait_for_url(re.compile(r"checked="))
    status = gate.get_by_role("status")
    assert f"Recorded for {reference}: Arrived." in await status.inner_text()
    assert "Arrived" in await gate.locator("tr", has_text=reference).inner_text()
    assert await gate.locator("tr", has_text=reference).get_by_role("button").count() == 0
    await check_page(gate, axe_script, "gate-03-checked-in")
    stored = server.query(
        "SELECT status, arrived_at IS NOT NULL, arrived_late FROM visit WHERE reference = ?",
        reference,
    )
    assert stored == [("attended", 1, 0)]

    # The pass: the party with ages on the day and what each person shows at the gate.
    await gate.get_by_role("link", name=reference).click()
    await gate.locator("#party-heading").wait_for()
    table = await gate.locator("table.visit-pass").inner_text()
    assert re.search(r"Mara Yilmaz\s+35 years\s+Needed", table), table
    assert re.search(r"Elif Yilmaz\s+6 years · child\s+Needed", table), table
    assert "Arrived" in await gate.locator("dl.facts").inner_text()
    await check_page(gate, axe_script, "gate-04-visit-pass")
    await gate.goto(gate.url + "?lang=de")
    assert "Besuchsschein" in await gate.locator("h1").inner_text()
    assert "Angekommen" in await gate.locator("dl.facts").inner_text()
    await check_page(gate, axe_script, "gate-05-visit-pass-de")
