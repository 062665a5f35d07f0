"""Prisoners through the staff API, on SQLite and PostgreSQL: registering, listing with a
search, one prisoner's page; importing from a CSV file (a preview that stores nothing, a report
by line, then all or nothing); the safeguarding facts only the safeguarding lead records
(restrictions with a reason and a valid-until date, "closed visits only"), read by the rules
only on the days they apply; and release and transfer, which cancel the prisoner's upcoming
visits and tell each household without a reason of staff's.

Every facility, household and member of staff here is the test's own (not the demo's).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.people.retention_helpers import Place, new_household, new_place, visit_at
from visits.db.base import utcnow
from visits.db.models import AuditEvent, Notice, Prisoner, PrisonerRestriction, Visit
from visits.enums import NoticeKind, StaffRole, VisitStatus
from visits.people import queries as people_queries


@dataclass(frozen=True)
class Staff:
    place: Place
    officer: dict[str, str]
    lead: dict[str, str]
    admin: dict[str, str]


@pytest.fixture
async def staff(client: Client, db: AsyncSession) -> Staff:
    place = await new_place(db, "jva-kasework")
    await db.commit()
    tag = uuid.uuid4().hex[:6]
    headers = {}
    for name, grant in (
        ("officer", (StaffRole.VISITS_OFFICER, place.facility.id)),
        ("lead", (StaffRole.SAFEGUARDING_LEAD, place.facility.id)),
        ("admin", (StaffRole.ADMIN, None)),
    ):
        email = f"{name}-{tag}@kasework.example"
        await add_staff(db, email, [grant])
        headers[name] = bearer(await staff_token(client, email))
    return Staff(place, headers["officer"], headers["lead"], headers["admin"])


def _prisoners(staff: Staff) -> str:
    return f"/api/v1/staff/facilities/{staff.place.facility.id}/prisoners"


async def _register(client: Client, staff: Staff, number: str, family: str) -> dict:
    answer = await client.post(
        _prisoners(staff),
        headers=staff.officer,
        json={
            "prison_number": number,
            "given_name": "Paul",
            "family_name": family,
            "admission_date": "2026-02-01",
            "custody_status": "sentenced",
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_register_list_search_and_read_a_prisoner(client: Client, staff: Staff) -> None:
    made = await _register(client, staff, "K-100", "Zander")
    await _register(client, staff, "K-200", "Albers")
    assert made["closed_visits_only"] is False
    assert made["released_on"] is None
    listed = (await client.get(_prisoners(staff), headers=staff.lead)).json()
    names = [p["family_name"] for p in listed["items"]]
    assert names[:1] == ["Albers"]
    assert {"Zander", "Brenner"} <= set(names)
    found = await client.get(_prisoners(staff), params={"q": "zand"}, headers=staff.lead)
    assert [p["prison_number"] for p in found.json()["items"]] == ["K-100"]
    by_number = await client.get(_prisoners(staff), params={"q": "k-2"}, headers=staff.lead)
    assert [p["family_name"] for p in by_number.json()["items"]] == ["Albers"]
    wildcard = await client.get(_prisoners(staff), params={"q": "%"}, headers=staff.lead)
    assert wildcard.json()["total"] == 0
    one = await client.get(f"/api/v1/staff/prisoners/{made['id']}", headers=staff.lead)
    assert one.status_code == 200, one.text
    assert one.json() == {"prisoner": made, "restrictions": []}
    # The lead reads but does not register; a stranger to the facility does not see the prisoner.
    valid = {**{k: made[k] for k in ("given_name", "family_name", "custody_status")}}
    valid |= {"prison_number": "K-300", "admission_date": "2026-02-01"}
    refused = await client.post(_prisoners(staff), headers=staff.lead, json=valid)
    assert refused.status_code == 403


async def test_other_facilities_staff_do_not_see_a_prisoner(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    other = await new_place(db, "jva-anderswo")
    await db.commit()
    await add_staff(db, "fremd@anderswo.example", [(StaffRole.VISITS_OFFICER, other.facility.id)])
    stranger = bearer(await staff_token(client, "fremd@anderswo.example"))
    url = f"/api/v1/staff/prisoners/{staff.place.prisoner.id}"
    assert (await client.get(url, headers=stranger)).json()["type"].endswith("prisoner-not-found")
    assert (await client.get(url, headers=staff.admin)).status_code == 200


CSV_HEADER = "prison_number;given_name;family_name;admission_date;custody_status\r\n"


async def test_import_previews_reports_each_line_and_stores_all_or_nothing(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    await _register(client, staff, "K-1", "Früh")
    url = f"{_prisoners(staff)}/import"
    document = (
        "\ufeff" + CSV_HEADER + "K-2;Jan;Berg;03.02.2026;sentenced\r\n"
        "K-1;Ina;Doppelt;2026-01-01;remand\r\n"
        "K-3;;Ohne;2026-13-01;lebenslang\r\n"
        "K-2;Tom;Zweimal;2026-01-01;remand\r\n"
        "K-4;Ole;Gut;2026-01-05;REMAND\r\n"
    )
    preview = await client.post(url, headers=staff.officer, json={"document": document})
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert [(line["line"], line["prison_number"]) for line in body["lines"]] == [
        (2, "K-2"),
        (6, "K-4"),
    ]
    assert body["lines"][0]["admission_date"] == "2026-02-03"
    assert body["lines"][1]["custody_status"] == "remand"
    assert {(p["line"], p["field"]) for p in body["problems"]} == {
        (3, "prison_number"),
        (4, "given_name"),
        (4, "admission_date"),
        (4, "custody_status"),
        (5, "prison_number"),
    }
    assert body["stored"] == 0
    assert await _count(db) == 1  # a preview stores nothing

    refused = await client.post(
        url, headers=staff.officer, json={"document": document, "store": True}
    )
    assert refused.status_code == 422
    assert "lines[3].prison_number" in {e["name"] for e in refused.json()["errors"]}
    assert await _count(db) == 1  # all or nothing

    good = (
        CSV_HEADER.replace(";", ",")
        + "K-2,Jan,Berg,2026-02-03,sentenced\r\nK-4,Ole,Gut,05.01.2026,remand\r\n"
    )
    stored = await client.post(url, headers=staff.officer, json={"document": good, "store": True})
    assert stored.status_code == 200, stored.text
    assert stored.json()["stored"] == 2
    assert await _count(db) == 3
    imported = await db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "prisoner.create", AuditEvent.changes["imported"].as_boolean())
    )
    assert imported == 2
    await db.rollback()
    again = await client.post(
        url, headers=staff.officer | {"Accept-Language": "en"}, json={"document": good}
    )
    assert [p["detail"] for p in again.json()["problems"]] == ["is registered already"] * 2
    german = await client.post(url, headers=staff.officer, json={"document": good})
    assert [p["detail"] for p in german.json()["problems"]] == ["ist bereits erfasst"] * 2
    missing = await client.post(url, headers=staff.officer, json={"document": "a;b\r\n1;2\r\n"})
    assert missing.json()["problems"][0]["line"] == 1
    lead = await client.post(url, headers=staff.lead, json={"document": good})
    assert lead.status_code == 403


async def _count(db: AsyncSession) -> int:
    """Prisoners registered by the test (the place's own is a Brenner)."""
    db.expire_all()
    found = await db.scalar(
        sa.select(sa.func.count()).select_from(Prisoner).where(Prisoner.family_name != "Brenner")
    )
    await db.rollback()  # SQLite: the app's requests need the write lock
    return found or 0


async def test_only_the_safeguarding_lead_records_restrictions_which_apply_until_their_day(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    prisoner_id = staff.place.prisoner.id
    url = f"/api/v1/staff/prisoners/{prisoner_id}/restrictions"
    until = utcnow().date() + timedelta(days=10)
    body = {
        "code": "no_child_contact",
        "reason": "Familiengericht, Beschluss vom 2.11.",
        "valid_until": until.isoformat(),
    }
    for headers in (staff.officer, staff.admin):
        assert (await client.post(url, headers=headers, json=body)).status_code == 403
    invalid = await client.post(
        url, headers=staff.lead, json={"code": "banana", "reason": "x", "valid_until": "bald"}
    )
    assert invalid.status_code == 422
    assert {e["name"] for e in invalid.json()["errors"]} == {"code", "reason", "valid_until"}
    past = await client.post(url, headers=staff.lead, json={**body, "valid_until": "2000-01-01"})
    assert past.status_code == 422
    assert {e["name"] for e in past.json()["errors"]} == {"valid_until"}
    made = await client.post(url, headers=staff.lead, json=body)
    assert made.status_code == 201, made.text
    restriction = made.json()
    assert restriction["in_force"] is True
    assert restriction["recorded_by"] == "Lead-" + restriction["recorded_by"].split("-", 1)[1]

    assert await people_queries.restriction_codes(db, prisoner_id, until) == ("no_child_contact",)
    after = until + timedelta(days=1)
    assert await people_queries.restriction_codes(db, prisoner_id, after) == ()

    audit = await db.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "prisoner.restriction_add")
    )
    assert audit is not None
    assert audit.actor_role == "safeguarding_lead"
    assert audit.reason == body["reason"]
    await db.rollback()

    lift = f"{url}/{restriction['id']}/lift"
    assert (
        await client.post(lift, headers=staff.officer, json={"reason": "vorbei"})
    ).status_code == 403
    lifted = await client.post(lift, headers=staff.lead, json={"reason": "Beschluss aufgehoben"})
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["in_force"] is False
    again = await client.post(lift, headers=staff.lead, json={"reason": "Beschluss aufgehoben"})
    assert again.json()["type"].endswith("restriction-lifted")
    db.expire_all()
    assert await people_queries.restriction_codes(db, prisoner_id, until) == ()
    await db.rollback()
    shown = (
        await client.get(f"/api/v1/staff/prisoners/{prisoner_id}", headers=staff.officer)
    ).json()
    assert [r["lift_reason"] for r in shown["restrictions"]] == ["Beschluss aufgehoben"]


async def test_closed_visits_only_is_set_by_the_safeguarding_lead_with_a_reason(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    url = f"/api/v1/staff/prisoners/{staff.place.prisoner.id}/closed-visits"
    body = {"closed_visits_only": True, "reason": "Gefährdungseinschätzung"}
    assert (await client.put(url, headers=staff.officer, json=body)).status_code == 403
    assert (await client.put(url, headers=staff.admin, json=body)).status_code == 403
    answer = await client.put(url, headers=staff.lead, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["closed_visits_only"] is True
    audit = await db.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "prisoner.closed_visits")
    )
    assert audit is not None
    assert audit.changes == {"closed_visits_only": [False, True]}
    assert audit.reason == "Gefährdungseinschätzung"


async def _notices(db: AsyncSession, visit_id: uuid.UUID) -> list[tuple[NoticeKind, str]]:
    """The notices about a visit: kind and values (as text), read in a transaction of their own."""
    db.expire_all()
    found = [
        (n.kind, str(n.params))
        for n in await db.scalars(sa.select(Notice).where(Notice.visit_id == visit_id))
    ]
    await db.rollback()
    return found


async def test_release_cancels_visits_from_that_day_and_tells_each_household(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    place = staff.place
    now = utcnow()
    household = await new_household(db, "Mara Brenner", changed_at=now)
    before = await visit_at(db, place, household, now + timedelta(days=3), VisitStatus.CONFIRMED)
    after = await visit_at(db, place, household, now + timedelta(days=12), VisitStatus.CONFIRMED)
    past = await visit_at(db, place, household, now - timedelta(days=3), VisitStatus.ATTENDED)
    await db.commit()
    ids = {"before": before.id, "after": after.id, "past": past.id}
    after_reference, household_id = after.reference, household.id
    released_on = (now + timedelta(days=8)).date()
    url = f"/api/v1/staff/prisoners/{place.prisoner.id}/release"
    body = {"released_on": released_on.isoformat(), "reason": "Strafende"}
    assert (await client.post(url, headers=staff.lead, json=body)).status_code == 403
    early = await client.post(
        url, headers=staff.officer, json={**body, "released_on": "2019-01-01"}
    )
    assert early.status_code == 422
    answer = await client.post(url, headers=staff.officer, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["cancelled_visits"] == [after_reference]
    assert answer.json()["prisoner"]["released_on"] == released_on.isoformat()
    db.expire_all()
    states = {
        v.id: v.status
        for v in await db.scalars(sa.select(Visit).where(Visit.household_id == household_id))
    }
    await db.rollback()
    assert states == {
        ids["before"]: VisitStatus.CONFIRMED,
        ids["after"]: VisitStatus.CANCELLED,
        ids["past"]: VisitStatus.ATTENDED,
    }
    told = await _notices(db, ids["after"])
    assert [kind for kind, _ in told] == [NoticeKind.VISIT_CANCELLED]
    assert "Strafende" not in told[0][1]  # the staff's reason stays in the audit trail
    assert await _notices(db, ids["before"]) == []
    again = await client.post(url, headers=staff.officer, json=body)
    assert again.json()["type"].endswith("prisoner-released")


async def test_transfer_moves_the_prisoner_and_cancels_visits_at_the_facility_left(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    place = staff.place
    target = await new_place(db, "jva-ziel")
    now = utcnow()
    household = await new_household(db, "Nina Brenner", changed_at=now)
    upcoming = await visit_at(db, place, household, now + timedelta(days=5), VisitStatus.REQUESTED)
    await db.commit()
    upcoming_id, upcoming_reference = upcoming.id, upcoming.reference
    here, there, prisoner_id = place.facility.id, target.facility.id, place.prisoner.id
    url = f"/api/v1/staff/prisoners/{place.prisoner.id}/transfer"
    same = await client.post(
        url,
        headers=staff.officer,
        json={"facility_id": str(place.facility.id), "reason": "Verlegung"},
    )
    assert same.status_code == 422
    taken = await client.post(
        url,
        headers=staff.officer,
        json={
            "facility_id": str(target.facility.id),
            "prison_number": target.prisoner.prison_number,
            "reason": "Verlegung",
        },
    )
    assert taken.json()["type"].endswith("prisoner-exists")
    answer = await client.post(
        url,
        headers=staff.officer,
        json={
            "facility_id": str(target.facility.id),
            "prison_number": "Z-9",
            "reason": "Verlegung",
        },
    )
    assert answer.status_code == 200, answer.text
    moved = answer.json()["prisoner"]
    assert (moved["facility_id"], moved["prison_number"]) == (str(target.facility.id), "Z-9")
    assert answer.json()["cancelled_visits"] == [upcoming_reference]
    told = await _notices(db, upcoming_id)
    assert [kind for kind, _ in told] == [NoticeKind.VISIT_CANCELLED]
    assert "JVA" not in told[0][1]  # never where the prisoner went
    trail = list(
        await db.scalars(
            sa.select(AuditEvent.facility_id).where(AuditEvent.action == "prisoner.transfer")
        )
    )
    assert set(trail) == {here, there}
    await db.rollback()
    # The facility left no longer has the prisoner; its staff do not see them.
    gone = await client.get(f"/api/v1/staff/prisoners/{prisoner_id}", headers=staff.officer)
    assert gone.status_code == 404


async def test_restriction_rows_keep_reason_and_author(db: AsyncSession, staff: Staff) -> None:
    """The model holds what the catalogue asks for: code, reason, author, valid-until."""
    row = PrisonerRestriction(
        prisoner_id=staff.place.prisoner.id,
        code="no_child_contact",
        reason="r",
        recorded_by="x",
        valid_until=date(2030, 1, 1),
    )
    db.add(row)
    await db.commit()
    assert await people_queries.restriction_codes(
        db, staff.place.prisoner.id, date(2029, 12, 31)
    ) == ("no_child_contact",)
