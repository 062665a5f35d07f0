"""The gate in process, on SQLite and PostgreSQL: the visit pass (only for staff of the visit's
facility; ages on the visit day and ID needs from the booking's rule results), its QR code on
the family's visit page, and checking a family in (arrived, late, no-show) from the console and
the API, which feeds the visit's status, the allowance ledger, the figures and the audit trail.

The family is a household made here, not one of the demo's, booked through the real API."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client, add_staff, bearer, staff_token
from tests.booking_helpers import sign_in
from tests.web.console_helpers import demo_facility, staff_signs_in
from visits.csv_files import read_document
from visits.db.base import utcnow
from visits.db.models import (
    AllowanceEntry,
    AuditEvent,
    Facility,
    Household,
    Prisoner,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
)
from visits.enums import (
    ApprovalStatus,
    CustodyStatus,
    Language,
    Relationship,
    StaffRole,
    VisitStatus,
    VisitType,
)
from visits.settings import Settings
from visits.web.qr import pass_path, qr_svg
from visits.web.security import SESSION_COOKIE

EMAIL = "lea.schulz@example.net"
PRISON_NUMBER = "T-2026-0042"
# Staff made for these tests, not the demo's: the officer at the gate and a safeguarding lead.
GATE = "pforte.nord@jva-test.example"
LEAD = "kinderschutz.nord@jva-test.example"


@dataclass(frozen=True)
class Booked:
    facility_id: uuid.UUID
    visit_id: uuid.UUID
    reference: str
    day: date
    family_headers: dict[str, str]
    prisoner_id: uuid.UUID

    @property
    def pass_url(self) -> str:
        return pass_path(self.facility_id, self.visit_id)


async def _slots(db: AsyncSession, facility_id: uuid.UUID) -> list[Slot]:
    """Child and family slots from three days ahead, soonest first."""
    return list(
        await db.scalars(
            sa.select(Slot)
            .where(
                Slot.facility_id == facility_id,
                Slot.visit_type == VisitType.CHILD_FAMILY,
                Slot.starts_at > utcnow() + timedelta(days=3),
            )
            .order_by(Slot.starts_at)
        )
    )


async def new_family(
    client: Client,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    slot_index: int = 0,
    *,
    guardian_comes: bool = True,
) -> Booked:
    """The Schulz household (not in the demo): Lea (38, guardian), Noah, who turns 9 on the
    day of the visit, and Ida (2), visiting Jonas Schulz; the facility lets accompanied children
    under 16 come without ID. Booked and confirmed through the family API."""
    facility_id = await demo_facility(db)
    await db.execute(
        sa.update(Facility)
        .where(Facility.id == facility_id)
        .values(rule_overrides={"id_exempt_under_age": 16})
    )
    slot = (await _slots(db, facility_id))[slot_index]
    day = slot.local_date
    prisoner = Prisoner(
        facility_id=facility_id,
        prison_number=PRISON_NUMBER,
        given_name="Jonas",
        family_name="Schulz",
        admission_date=day - timedelta(days=400),
        custody_status=CustodyStatus.SENTENCED,
    )
    household = Household(
        guardian_name="Lea Schulz",
        email=EMAIL,
        phone_e164="+4915771234567",
        language=Language("en"),
        sms_consent=False,
    )
    people = [
        Visitor(
            household=household,
            given_name="Lea",
            family_name="Schulz",
            birth_date=day - relativedelta(years=38, days=20),
            relationship=Relationship.PARTNER,
            is_guardian=guardian_comes,  # else an aunt without the children's consent form
        ),
        Visitor(
            household=household,
            given_name="Noah",
            family_name="Schulz",
            birth_date=day - relativedelta(years=9),  # his ninth birthday is the visit day
            relationship=Relationship.CHILD,
        ),
        Visitor(
            household=household,
            given_name="Ida",
            family_name="Schulz",
            birth_date=day - relativedelta(years=2, days=40),
            relationship=Relationship.CHILD,
        ),
    ]
    db.add_all([prisoner, household, *people])
    await db.flush()
    db.add_all(
        VisitorApproval(
            visitor_id=person.id,
            prisoner_id=prisoner.id,
            status=ApprovalStatus.APPROVED,
            decided_at=utcnow(),
            decided_by="test",
            reason="approved for the test",
        )
        for person in people
    )
    ids = [str(person.id) for person in people]
    slot_id, prisoner_id = slot.id, prisoner.id
    await db.commit()
    await add_staff(db, GATE, [(StaffRole.VISITS_OFFICER, facility_id)])
    await add_staff(db, LEAD, [(StaffRole.SAFEGUARDING_LEAD, facility_id)])
    headers = await sign_in(client, caplog, EMAIL)
    held = await client.post(
        "/api/v1/household/holds",
        headers=headers,
        json={"prisoner_id": str(prisoner_id), "slot_id": str(slot_id), "visitor_ids": ids},
    )
    assert held.status_code == 201, held.text
    confirmed = await client.post(
        f"/api/v1/household/visits/{held.json()['id']}/confirm", headers=headers
    )
    assert confirmed.json()["status"] == "confirmed", confirmed.text
    return Booked(
        facility_id,
        uuid.UUID(held.json()["id"]),
        confirmed.json()["reference"],
        day,
        headers,
        prisoner_id,
    )


async def _visit(db: AsyncSession, visit_id: uuid.UUID) -> Visit:
    db.expire_all()
    visit = await db.get(Visit, visit_id)
    assert visit is not None
    return visit


async def _ledger(db: AsyncSession, visit_id: uuid.UUID) -> tuple[int, int]:
    """What the visit takes from the prisoner's ledgers now: (minutes, visits), debits < 0."""
    minutes, visits = (
        await db.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(AllowanceEntry.minutes), 0),
                sa.func.coalesce(sa.func.sum(AllowanceEntry.visits), 0),
            ).where(AllowanceEntry.visit_id == visit_id)
        )
    ).one()
    await db.commit()
    return int(minutes), int(visits)


def _rows(page: str) -> dict[str, list[str]]:
    """The visit pass's party table: each person's name and the cells of their row."""
    body = page.split('<table class="data visit-pass">', 1)[1].split("</table>", 1)[0]
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]:
        cells = [
            html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows[cells[0]] = cells[1:]
    return rows


async def test_the_pass_is_for_staff_of_the_facility_and_shows_ages_and_id_needs(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture, settings: Settings
) -> None:
    booked = await new_family(client, db, caplog)

    # The family's visit page carries the pass as a QR code of the staff page's address.
    client.cookies.set(SESSION_COOKIE, booked.family_headers["Authorization"].split(" ", 1)[1])
    mine = await client.get(f"/my-visits/{booked.visit_id}", params={"lang": "en"})
    assert mine.status_code == 200
    assert "Visit pass for the gate" in mine.text
    start = mine.text.index('<svg role="img" aria-label="QR code of the visit pass"')
    svg = mine.text[start : mine.text.index("</svg>", start) + len("</svg>")]
    url = f"{settings.resolved_public_url}{booked.pass_url}"
    assert svg == str(qr_svg(url, "QR code of the visit pass"))  # exactly that address
    assert "<script" not in mine.text

    # The family (or anyone without a staff session) scanning it learns nothing.
    scanned = await client.get(booked.pass_url, follow_redirects=False)
    assert scanned.status_code == 303
    assert scanned.headers["location"] == "/staff/sign-in"
    followed = await client.get(booked.pass_url)
    assert "Schulz" not in followed.text
    assert PRISON_NUMBER not in followed.text

    # Staff of another facility are told there is no such visit.
    other = Facility(
        slug="jva-anderswo",
        name="JVA Anderswo",
        timezone="Europe/Berlin",
        street="Weg 1",
        postal_code="10000",
        city="Anderswo",
        country="DE",
        email="besuch@jva-anderswo.example",
        languages=["de", "en"],
        rule_profile="de-nw",
    )
    db.add(other)
    await db.commit()
    await add_staff(db, "pforte@jva-anderswo.example", [(StaffRole.VISITS_OFFICER, other.id)])
    await staff_signs_in(client, "pforte@jva-anderswo.example", password=STAFF_PASSWORD)
    elsewhere = await client.get(booked.pass_url)
    assert elsewhere.status_code in (403, 404)
    assert "Schulz" not in elsewhere.text

    # Gate staff of the facility see the party, ages on the visit day and who needs an ID.
    await staff_signs_in(client, GATE, password=STAFF_PASSWORD)
    seen = await client.get(booked.pass_url)
    assert seen.status_code == 200
    assert booked.reference in seen.text
    assert "Jonas Schulz" in seen.text
    assert PRISON_NUMBER in seen.text
    rows = _rows(seen.text)
    assert rows["Lea Schulz"][0] == "38 years"
    assert rows["Lea Schulz"][1] == "Needed"
    assert rows["Noah Schulz"][0] == "9 years · child"  # his birthday is the visit day
    assert rows["Noah Schulz"][1] == "Not needed"
    assert rows["Ida Schulz"][0] == "2 years · child"
    assert rows["Ida Schulz"][1] == "Not needed"
    assert "aged 16 or over needs an ID document" in seen.text
    for private in (EMAIL, "+4915771234567", str(booked.day.year - 9)):
        assert private not in seen.text  # no contact data, no birth dates
    assert 'value="attended"' not in seen.text  # not the day of the visit yet

    # German staff read it in German.
    german = await client.get(booked.pass_url, params={"lang": "de"})
    assert "Besuchsschein" in german.text
    assert "Nicht nötig" in german.text


async def test_the_pass_names_the_consent_form_a_child_needs_without_a_guardian(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """CF-02: the children come with an adult who is not their guardian and no consent is on
    file, so each child needs the guardian's consent form (in NRW with a copy of the guardian's
    ID); the adult shows no such form."""
    booked = await new_family(client, db, caplog, guardian_comes=False)
    await staff_signs_in(client, GATE, password=STAFF_PASSWORD)
    seen = await client.get(booked.pass_url)
    assert seen.status_code == 200
    rows = _rows(seen.text)
    needed = "Guardian's consent form needed, with a copy of the guardian's ID"
    assert rows["Noah Schulz"][2] == needed
    assert rows["Ida Schulz"][2] == needed
    assert rows["Lea Schulz"][2] == "\u2013"  # a dash: no form
    german = await client.get(booked.pass_url, params={"lang": "de"})
    assert "Einverständniserklärung" in german.text


async def test_checking_in_from_the_day_sheet_records_arrival_once_and_audits_it(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    booked = await new_family(client, db, caplog)
    token = await staff_signs_in(client, GATE, password=STAFF_PASSWORD)
    check_in = f"/staff/facilities/{booked.facility_id}/visits/{booked.visit_id}/check-in"
    early = await client.post(
        check_in, data={"outcome": "attended", "back": "day-sheet", "csrf_token": token}
    )
    assert early.status_code == 409
    assert "Too early" in early.text
    assert (await _visit(db, booked.visit_id)).status is VisitStatus.CONFIRMED
    await db.commit()
    debit = await _ledger(db, booked.visit_id)
    assert debit[1] == -1

    visit = await _visit(db, booked.visit_id)
    starts = visit.starts_at
    await db.commit()
    with time_machine.travel(starts - timedelta(minutes=25), tick=True):
        token = await staff_signs_in(
            client, GATE, password=STAFF_PASSWORD
        )  # a session of the visit day
        sheet = await client.get(
            f"/staff/facilities/{booked.facility_id}/day-sheet",
            params={"date": booked.day.isoformat()},
        )
        assert "Jonas Schulz" in sheet.text
        assert PRISON_NUMBER in sheet.text
        assert sheet.text.count(f'action="{check_in}"') == 1
        assert 'value="no_show"' not in sheet.text.split(check_in, 1)[1].split("</form>", 1)[0]
        done = await client.post(
            check_in,
            data={"outcome": "attended", "back": "day-sheet", "csrf_token": token},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert f"checked={booked.visit_id}" in done.headers["location"]
        shown = await client.get(done.headers["location"])
        assert f"Recorded for {booked.reference}: Arrived." in shown.text
        download = await client.get(
            f"/staff/facilities/{booked.facility_id}/day-sheet.csv",
            params={"date": booked.day.isoformat()},
        )
        assert download.content.startswith(b"\xef\xbb\xbf")
        [row] = [r for r in read_document(download.text) if r["Reference"] == booked.reference]
        assert (row["Prisoner"], row["Prison number"]) == ("Jonas Schulz", PRISON_NUMBER)
        assert (row["Status"], row["Check-in"]) == ("Took place", "Arrived")
        again = await client.post(
            check_in, data={"outcome": "no_show", "back": "day-sheet", "csrf_token": token}
        )
        assert again.status_code == 409
        assert "not booked any more" in again.text
    arrived = await _visit(db, booked.visit_id)
    assert arrived.status is VisitStatus.ATTENDED
    assert arrived.arrived_at is not None
    assert not arrived.arrived_late
    assert abs(arrived.arrived_at - (starts - timedelta(minutes=25))) < timedelta(minutes=5)
    await db.commit()
    assert await _ledger(db, booked.visit_id) == debit  # the visit took place: still debited
    audit = await db.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.object_id == str(booked.visit_id), AuditEvent.action == "visit.attended"
        )
    )
    assert audit is not None
    assert audit.changes == {"outcome": "attended"}
    await db.commit()


async def test_a_no_show_gives_the_allowance_back_and_counts_in_the_figures(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A family that does not come: the visit's allowance goes back to the prisoner's ledger
    (CF-10/CF-11), the month's figures count it as a no-show instead of a visit with children,
    and the children's contact alert (CF-15) no longer counts it as contact."""
    booked = await new_family(client, db, caplog)
    visit = await _visit(db, booked.visit_id)
    starts = visit.starts_at
    await db.commit()
    minutes, visits = await _ledger(db, booked.visit_id)
    assert minutes < 0
    assert visits == -1
    url = f"/api/v1/staff/visits/{booked.visit_id}/attendance"
    figures_url = f"/api/v1/staff/facilities/{booked.facility_id}/figures"
    alerts_url = f"/api/v1/staff/facilities/{booked.facility_id}/alerts"
    month = {"month": f"{booked.day:%Y-%m}"}

    def contact_alerts(answer: list[dict[str, object]]) -> list[dict[str, object]]:
        return [
            a
            for a in answer
            if a["rule_id"] == "CF-15" and a["prisoner_id"] == str(booked.prisoner_id)
        ]

    with time_machine.travel(starts - timedelta(minutes=5), tick=True):
        officer = bearer(await _api_token(client))
        too_soon = await client.post(url, headers=officer, json={"outcome": "no_show"})
        assert too_soon.status_code == 409
        assert too_soon.json()["type"].endswith("not-started")
    with time_machine.travel(starts + timedelta(minutes=20), tick=True):
        officer = bearer(await _api_token(client))
        before = (await client.get(figures_url, headers=officer, params=month)).json()
        alerts = (await client.get(alerts_url, headers=officer)).json()
        assert contact_alerts(alerts) == []  # the children see their father today
        await staff_signs_in(client, GATE, password=STAFF_PASSWORD)
        token = await _console_token(client, booked)
        missed = await client.post(
            f"/staff/facilities/{booked.facility_id}/visits/{booked.visit_id}/check-in",
            data={"outcome": "no_show", "back": "pass", "csrf_token": token},
            follow_redirects=False,
        )
        assert missed.status_code == 303
        assert missed.headers["location"] == booked.pass_url
        page = await client.get(booked.pass_url)
        assert "Did not come" in page.text
        officer = bearer(await _api_token(client))
        sheet = await client.get(
            f"/api/v1/staff/facilities/{booked.facility_id}/day-sheet",
            headers=officer,
            params={"date": booked.day.isoformat()},
        )
        [entry] = [v for v in sheet.json()["visits"] if v["reference"] == booked.reference]
        assert entry["check_in"] == "no_show"
        assert (entry["prisoner_name"], entry["prison_number"]) == ("Jonas Schulz", PRISON_NUMBER)
        after = (await client.get(figures_url, headers=officer, params=month)).json()
        assert after["no_shows"] == before["no_shows"] + 1
        assert after["visits"] == before["visits"] - 1  # it did not take place
        assert after["visits_with_children"] == before["visits_with_children"] - 1
        assert after["attended"] == before["attended"]
        alerts = (await client.get(alerts_url, headers=officer)).json()
        assert len(contact_alerts(alerts)) == 2  # Noah and Ida: a missed visit is no contact
    assert (await _visit(db, booked.visit_id)).status is VisitStatus.NO_SHOW
    await db.commit()
    assert await _ledger(db, booked.visit_id) == (0, 0)  # given back in full


async def test_a_late_family_is_recorded_through_the_api_and_roles_are_checked(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    booked = await new_family(client, db, caplog)
    visit = await _visit(db, booked.visit_id)
    starts = visit.starts_at
    await db.commit()
    with time_machine.travel(starts + timedelta(minutes=15), tick=True):
        officer = bearer(await _api_token(client))
        # The safeguarding lead may read the pass but not check a family in.
        token = await staff_signs_in(client, LEAD, password=STAFF_PASSWORD)
        assert (await client.get(booked.pass_url)).status_code == 200
        refused = await client.post(
            f"/staff/facilities/{booked.facility_id}/visits/{booked.visit_id}/check-in",
            data={"outcome": "late", "csrf_token": token},
        )
        assert refused.status_code == 403
        late = await client.post(
            f"/api/v1/staff/visits/{booked.visit_id}/attendance",
            headers=officer,
            json={"outcome": "late"},
        )
        assert late.status_code == 200, late.text
        assert late.json()["status"] == "attended"
        sheet = await client.get(
            f"/api/v1/staff/facilities/{booked.facility_id}/day-sheet",
            headers=officer,
            params={"date": booked.day.isoformat()},
        )
        [entry] = [v for v in sheet.json()["visits"] if v["reference"] == booked.reference]
        assert entry["check_in"] == "late"
        assert entry["arrived_at"] is not None
        figures = await client.get(
            f"/api/v1/staff/facilities/{booked.facility_id}/figures",
            headers=officer,
            params={"month": f"{booked.day:%Y-%m}"},
        )
        counted = figures.json()
        assert counted["arrived_late"] == 1
        assert counted["attended"] >= 1
    stored = await _visit(db, booked.visit_id)
    assert stored.status is VisitStatus.ATTENDED
    assert stored.arrived_late
    await db.commit()


async def _api_token(client: Client) -> str:
    return await staff_token(client, GATE)


async def _console_token(client: Client, booked: Booked) -> str:
    page = await client.get(booked.pass_url)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)
