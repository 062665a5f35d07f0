"""The safeguarding facts the child-protection rules read, through the staff API: flags on a
visitor (CF-05), a child's own wish (CF-22) and guardian consent per child and adult (CF-02).
Only a safeguarding lead of the facility records them, each with a reason and an audit event;
other staff read them without the reasons; families never read the facts, the rule ids or the
reasons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.booking_helpers import Family, book, demo_family, hold_body
from visits.booking.service import FAMILY_STATUS_REASONS
from visits.db.base import utcnow
from visits.db.models import AuditEvent, Facility, Visitor, VisitorApproval
from visits.enums import ApprovalStatus, Relationship, StaffRole, VisitStatus
from visits.i18n import translate

STAFF = "/api/v1/staff/facilities"


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def staff_headers(
    client: Client, db: AsyncSession, facility_id: uuid.UUID, role: StaffRole, name: str = ""
) -> dict[str, str]:
    email = f"{name or role.value}@example.org"
    await add_staff(db, email, [(role, facility_id)])
    return bearer(await staff_token(client, email))


async def household_of(db: AsyncSession, family: Family) -> uuid.UUID:
    adult = await db.get(Visitor, family.adult)
    assert adult is not None
    household_id = adult.household_id
    await db.commit()
    return household_id


async def add_person(
    db: AsyncSession, family: Family, given: str, years: int, relationship: Relationship
) -> uuid.UUID:
    """Another approved member of the demo household, ``years`` old."""
    household_id = await household_of(db, family)
    person = Visitor(
        household_id=household_id,
        given_name=given,
        family_name="Beispiel",
        birth_date=utcnow().date() - relativedelta(years=years, days=40),
        relationship=relationship,
    )
    db.add(person)
    await db.flush()
    db.add(
        VisitorApproval(
            visitor_id=person.id,
            prisoner_id=family.prisoner_id,
            status=ApprovalStatus.APPROVED,
            decided_at=datetime.now(UTC),
            decided_by="test",
            reason="test",
        )
    )
    await db.commit()
    return person.id


async def audit(db: AsyncSession, action: str) -> list[AuditEvent]:
    events = list(await db.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))
    await db.commit()
    return events


async def check(client: Client, family: Family, visitors: list[uuid.UUID]) -> dict:
    body = hold_body(family, family.family_slots[0], [str(v) for v in visitors])
    answer = await client.post("/api/v1/household/checks", headers=family.headers, json=body)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def result(checked: dict, rule_id: str) -> dict:
    return dict(next(r for r in checked["results"] if r["rule_id"] == rule_id))


async def test_only_the_lead_sets_and_clears_a_flag_with_a_reason_and_families_see_none(
    client: Client, db: AsyncSession, family: Family
) -> None:
    lead = await staff_headers(client, db, family.facility_id, StaffRole.SAFEGUARDING_LEAD)
    officer = await staff_headers(client, db, family.facility_id, StaffRole.VISITS_OFFICER)
    manager = await staff_headers(client, db, family.facility_id, StaffRole.VISITS_MANAGER)
    flags = f"{STAFF}/{family.facility_id}/visitors/{family.adult}/safeguarding-flags"
    body = {"flag": "no_child_contact", "reason": "Jugendamt, Schreiben vom 12. November."}
    for other in (officer, manager):
        refused = await client.post(flags, headers=other, json=body)
        assert refused.status_code == 403, refused.text
    no_reason = await client.post(flags, headers=lead, json={"flag": "no_child_contact"})
    assert no_reason.status_code == 422
    assert await audit(db, "safeguarding.flag_set") == []

    flagged = await client.post(flags, headers=lead, json=body)
    assert flagged.status_code == 200, flagged.text
    assert [f["flag"] for f in flagged.json()["flags"]] == ["no_child_contact"]
    again = await client.post(flags, headers=lead, json=body)
    assert again.status_code == 409
    assert again.json()["type"].endswith(":flag-exists")
    (event,) = await audit(db, "safeguarding.flag_set")
    assert event.reason == body["reason"]
    assert event.actor_role == "safeguarding_lead"
    assert event.changes == {"flag": "no_child_contact"}

    household = f"{STAFF}/{family.facility_id}/households/{await household_of(db, family)}"
    as_lead = (await client.get(household + "/safeguarding", headers=lead)).json()
    as_officer = (await client.get(household + "/safeguarding", headers=officer)).json()
    (anna_lead,) = [p for p in as_lead["people"] if p["visitor_id"] == str(family.adult)]
    (anna_officer,) = [p for p in as_officer["people"] if p["visitor_id"] == str(family.adult)]
    assert anna_lead["flags"][0]["note"]["reason"] == body["reason"]
    assert anna_officer["flags"][0]["flag"] == "no_child_contact"
    assert anna_officer["flags"][0]["note"]["reason"] is None
    assert as_lead["may_record"]
    assert not as_officer["may_record"]

    # The flag sends the family's booking to review; the family reads neither rule nor reason.
    visit = await book(client, family, family.family_slots[0])
    assert visit["status"] == "requested"
    staff_view = await client.get(f"/api/v1/staff/visits/{visit['id']}", headers=officer)
    assert not result(staff_view.json(), "CF-05")["passed"]
    rejected = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/decision",
        headers=lead,
        json={"decision": "reject", "reason": "Kinderschutz: kein Kontakt zu Kindern."},
    )
    assert rejected.status_code == 200, rejected.text
    seen = await client.get(f"/api/v1/household/visits/{visit['id']}", headers=family.headers)
    assert seen.status_code == 200
    assert seen.json()["status"] == "rejected"
    for secret in ("CF-05", "CF-22", "no_child_contact", "Kinderschutz", "Jugendamt"):
        assert secret not in seen.text, secret
    neutral = translate("de", FAMILY_STATUS_REASONS[VisitStatus.REJECTED])
    assert seen.json()["status_reason"] == neutral != FAMILY_STATUS_REASONS[VisitStatus.REJECTED]
    assert any(r["rule_id"] == "facility-check" for r in seen.json()["results"])

    clear = f"{flags}/no_child_contact/clearing"
    assert (await client.post(clear, headers=officer, json={"reason": "ok"})).status_code == 403
    cleared = await client.post(clear, headers=lead, json={"reason": "Prüfung abgeschlossen."})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["flags"] == []
    twice = await client.post(clear, headers=lead, json={"reason": "Prüfung abgeschlossen."})
    assert twice.status_code == 409
    assert twice.json()["type"].endswith(":flag-not-set")
    (gone,) = await audit(db, "safeguarding.flag_cleared")
    assert gone.reason == "Prüfung abgeschlossen."
    after = await check(client, family, [family.adult, *family.children])
    assert result(after, "CF-05")["passed"]
    assert after["outcome"] == "bookable"


async def test_consent_counts_for_the_child_and_the_adult_it_names(
    client: Client, db: AsyncSession, family: Family
) -> None:
    lead = await staff_headers(client, db, family.facility_id, StaffRole.SAFEGUARDING_LEAD)
    officer = await staff_headers(client, db, family.facility_id, StaffRole.VISITS_OFFICER)
    grandma = await add_person(db, family, "Greta", 62, Relationship.OTHER_RELATIVE)
    mia, leon = sorted(family.children, key=str)
    party = [grandma, mia, leon]
    before = result(await check(client, family, party), "CF-02")
    assert not before["passed"]
    assert set(before["params"]["children_without_consent"]) == {str(mia), str(leon)}

    consents = f"{STAFF}/{family.facility_id}/guardian-consents"
    body = {
        "adult_visitor_id": str(grandma),
        "child_visitor_id": str(mia),
        "reason": "Einverständnis der Mutter unterschrieben, Ausweiskopie gesehen.",
    }
    assert (await client.post(consents, headers=officer, json=body)).status_code == 403
    wrong_way = await client.post(
        consents, headers=lead, json=body | {"adult_visitor_id": str(leon)}
    )
    assert wrong_way.status_code == 422
    assert "adult_visitor_id" in str(wrong_way.json()["errors"])
    recorded = await client.post(consents, headers=lead, json=body)
    assert recorded.status_code == 201, recorded.text
    consent_id = recorded.json()["id"]
    again = await client.post(consents, headers=lead, json=body)
    assert again.status_code == 409
    assert again.json()["type"].endswith(":consent-exists")
    (event,) = await audit(db, "consent.record")
    assert event.reason == body["reason"]
    assert event.object_id == consent_id

    # Consent for Mia says nothing about Leon; nor about Mia coming with another adult.
    only_mia = result(await check(client, family, party), "CF-02")
    assert only_mia["params"]["children_without_consent"] == [str(leon)]
    uncle = await add_person(db, family, "Jonas", 40, Relationship.OTHER_RELATIVE)
    other_adult = result(await check(client, family, [uncle, mia]), "CF-02")
    assert other_adult["params"]["children_without_consent"] == [str(mia)]

    withdraw = f"{consents}/{consent_id}/withdrawal"
    assert (
        await client.post(withdraw, headers=officer, json={"reason": "x y z"})
    ).status_code == 403
    withdrawn = await client.post(withdraw, headers=lead, json={"reason": "Mutter widerruft."})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["valid"] is False
    twice = await client.post(withdraw, headers=lead, json={"reason": "Mutter widerruft."})
    assert twice.status_code == 409
    assert twice.json()["type"].endswith(":consent-withdrawn")
    (gone,) = await audit(db, "consent.withdraw")
    assert gone.reason == "Mutter widerruft."
    after = result(await check(client, family, party), "CF-02")
    assert set(after["params"]["children_without_consent"]) == {str(mia), str(leon)}


async def test_a_childs_no_sends_the_visit_to_review_unseen_by_the_family(
    client: Client, db: AsyncSession, family: Family
) -> None:
    lead = await staff_headers(client, db, family.facility_id, StaffRole.SAFEGUARDING_LEAD)
    officer = await staff_headers(client, db, family.facility_id, StaffRole.VISITS_OFFICER)
    teen = await add_person(db, family, "Lina", 13, Relationship.CHILD)
    wish = f"{STAFF}/{family.facility_id}/visitors/{teen}/visit-wish"
    body = {"wish": "no", "reason": "Im Gespräch mit dem Sozialdienst am 1. Dezember."}
    assert (await client.put(wish, headers=officer, json=body)).status_code == 403
    too_young = await client.put(
        f"{STAFF}/{family.facility_id}/visitors/{family.children[0]}/visit-wish",
        headers=lead,
        json=body,
    )
    assert too_young.status_code == 422
    assert "wish" in str(too_young.json()["errors"])
    recorded = await client.put(wish, headers=lead, json=body)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["visit_wish"] == "no"
    assert recorded.json()["wish_note"]["reason"] == body["reason"]
    (event,) = await audit(db, "safeguarding.wish_recorded")
    assert event.reason == body["reason"]
    assert event.changes == {"wish": [None, "no"]}

    held = await client.post(
        "/api/v1/household/holds",
        headers=family.headers,
        json=hold_body(family, family.family_slots[0], [str(family.adult), str(teen)]),
    )
    assert held.status_code == 201, held.text
    confirmed = await client.post(
        f"/api/v1/household/visits/{held.json()['id']}/confirm", headers=family.headers
    )
    assert confirmed.json()["status"] == "requested", confirmed.text
    seen = await client.get(f"/api/v1/household/visits/{held.json()['id']}", headers=family.headers)
    assert "CF-22" not in seen.text
    assert "Sozialdienst" not in seen.text
    assert any(r["rule_id"] == "facility-check" for r in seen.json()["results"])
    staff_view = await client.get(f"/api/v1/staff/visits/{held.json()['id']}", headers=officer)
    assert not result(staff_view.json(), "CF-22")["passed"]

    cleared = await client.put(wish, headers=lead, json={"wish": None, "reason": "Neues Gespräch."})
    assert cleared.status_code == 200
    assert cleared.json()["visit_wish"] is None
    assert result(await check(client, family, [family.adult, teen]), "CF-22")["passed"]


async def test_staff_of_another_facility_find_no_household(
    client: Client, db: AsyncSession, family: Family
) -> None:
    other = Facility(
        slug="jva-anderswo",
        name="JVA Anderswo",
        timezone="Europe/Berlin",
        street="s",
        postal_code="1",
        city="c",
        country="DE",
        email="other@example.org",
    )
    db.add(other)
    await db.commit()
    lead = await staff_headers(client, db, other.id, StaffRole.SAFEGUARDING_LEAD, "lead-other")
    household_id = await household_of(db, family)
    facts = await client.get(
        f"{STAFF}/{other.id}/households/{household_id}/safeguarding", headers=lead
    )
    assert facts.status_code == 404
    assert facts.json()["type"].endswith(":household-not-found")
    flag = await client.post(
        f"{STAFF}/{other.id}/visitors/{family.adult}/safeguarding-flags",
        headers=lead,
        json={"flag": "check_pending", "reason": "Prüfung läuft."},
    )
    assert flag.status_code == 404
    assert flag.json()["type"].endswith(":visitor-not-found")
    assert await audit(db, "safeguarding.flag_set") == []
    # Nor may the lead of another facility read this one's households.
    here = await client.get(
        f"{STAFF}/{family.facility_id}/households/{household_id}/safeguarding", headers=lead
    )
    assert here.status_code == 403
