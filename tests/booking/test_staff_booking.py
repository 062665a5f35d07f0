"""Staff: phone bookings, overrides by the named role, review, safeguarding, attendance."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.booking_helpers import DEMO_EMAIL, Family, book, demo_family, hold_body
from visits.booking.service import reject_stale_requests
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Facility,
    Household,
    PrisonerRestriction,
    Slot,
    Visit,
    VisitOverride,
)
from visits.enums import Channel, StaffRole, VisitStatus, VisitType


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def staff_headers(
    client: Client, db: AsyncSession, family: Family, role: StaffRole
) -> dict[str, str]:
    email = f"{role.value}@example.org"
    await add_staff(db, email, [(role, family.facility_id)])
    return bearer(await staff_token(client, email))


async def household_id(db: AsyncSession) -> uuid.UUID:
    found = await db.scalar(sa.select(Household.id).where(Household.email == DEMO_EMAIL))
    assert found is not None
    await db.commit()
    return found


async def test_phone_booking_needs_the_named_role_to_override(
    client: Client, db: AsyncSession, family: Family
) -> None:
    officer = await staff_headers(client, db, family, StaffRole.VISITS_OFFICER)
    manager = await staff_headers(client, db, family, StaffRole.VISITS_MANAGER)
    children = [str(c) for c in family.children]
    body = {
        "household_id": str(await household_id(db)),
        "prisoner_id": str(family.prisoner_id),
        "slot_id": str(family.family_slots[0]),
        "visitor_ids": children,
        "overrides": [{"rule_id": "CF-01", "reason": "youth office escort accredited"}],
    }
    by_officer = await client.post("/api/v1/staff/visits", headers=officer, json=body)
    assert by_officer.status_code == 422
    assert by_officer.json()["override_problems"][0]["rule_id"] == "CF-01"
    assert "visits_manager" in by_officer.json()["override_problems"][0]["detail"]
    by_manager = await client.post("/api/v1/staff/visits", headers=manager, json=body)
    assert by_manager.status_code == 201, by_manager.text
    visit = by_manager.json()
    assert (visit["status"], visit["channel"]) == ("confirmed", "phone")
    assert {r["rule_id"] for r in visit["results"] if not r["passed"]} >= {"CF-01"}
    stored = (await db.scalars(sa.select(VisitOverride))).one()
    assert (stored.rule_id, stored.role) == ("CF-01", "visits_manager")
    assert stored.reason == "youth office escort accredited"
    audit = (await db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visit.hold"))).one()
    assert audit.actor_role == "visits_manager"
    assert audit.reason is not None
    await db.commit()
    # The family sees the booking, not the staff reasoning.
    mine = await client.get(f"/api/v1/household/visits/{visit['id']}", headers=family.headers)
    assert mine.json()["channel"] == "phone"
    assert "overridable_by" not in str(
        [r for r in mine.json()["results"] if r.get("overridable_by")]
    )


async def test_request_mode_review_approve_and_reject_tell_the_family(
    client: Client, db: AsyncSession, family: Family, caplog: pytest.LogCaptureFixture
) -> None:
    await db.execute(sa.update(Facility).values(request_mode=True))
    await db.commit()
    officer = await staff_headers(client, db, family, StaffRole.VISITS_OFFICER)
    first = await book(client, family, family.family_slots[0])
    second = await book(client, family, family.family_slots[1])
    assert first["status"] == second["status"] == "requested"
    queue = await client.get(
        f"/api/v1/staff/facilities/{family.facility_id}/visits",
        headers=officer,
        params={"needs_review": "true"},
    )
    assert queue.json()["total"] == 2
    assert all(v["needs_review"] for v in queue.json()["items"])
    approved = await client.post(
        f"/api/v1/staff/visits/{first['id']}/decision",
        headers=officer,
        json={"decision": "approve", "reason": "all checked"},
    )
    assert approved.json()["status"] == "confirmed"
    rejected = await client.post(
        f"/api/v1/staff/visits/{second['id']}/decision",
        headers=officer,
        json={"decision": "reject", "reason": "room needed for a family day"},
    )
    assert rejected.json()["status"] == "rejected"
    visit = await db.get(Visit, uuid.UUID(second["id"]))
    assert visit is not None
    slot_id = visit.slot_id
    await db.commit()

    slot = await db.get(Slot, slot_id)
    assert slot is not None
    assert slot.booked_tables == 0
    await db.commit()
    notices = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict)
        and r.msg.get("event") == "message_logged_not_sent"
        and r.msg.get("to") == DEMO_EMAIL
        and str(r.msg.get("purpose", "")).startswith("visit_")
    ]
    assert [n["purpose"] for n in notices] == ["visit_confirmed", "visit_rejected"]
    assert first["reference"] in notices[0]["text"]


async def test_safeguarding_review_only_the_lead_may_approve_and_families_see_no_reason(
    client: Client, db: AsyncSession, family: Family
) -> None:
    db.add(
        PrisonerRestriction(
            prisoner_id=family.prisoner_id, code="no_child_contact", reason="t", recorded_by="t"
        )
    )
    await db.commit()
    visit = await book(client, family, family.family_slots[0])
    assert visit["status"] == "requested"
    assert "no_child_contact" not in str(visit)
    # The family reads neither the confidential rule's id nor why: only a check by the facility.
    assert "CF-05" not in str(visit)
    check = [r for r in visit["results"] if r["rule_id"] == "facility-check"]
    assert len(check) == 1
    assert check[0]["params"] == {}
    assert check[0]["route_to_review"]
    officer = await staff_headers(client, db, family, StaffRole.VISITS_OFFICER)
    lead = await staff_headers(client, db, family, StaffRole.SAFEGUARDING_LEAD)
    staff_view = await client.get(f"/api/v1/staff/visits/{visit['id']}", headers=officer)
    cf05 = next(r for r in staff_view.json()["results"] if r["rule_id"] == "CF-05")
    assert "no_child_contact" in cf05["message"]
    assert not cf05["passed"]
    by_officer = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/decision",
        headers=officer,
        json={"decision": "approve", "reason": "looks fine"},
    )
    assert by_officer.status_code == 403
    by_lead = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/decision",
        headers=lead,
        json={"decision": "approve", "reason": "best interests: contact supervised"},
    )
    assert by_lead.status_code == 200
    assert by_lead.json()["status"] == "confirmed"
    assert by_lead.json()["status_reason"] == "best interests: contact supervised"
    seen = await client.get(f"/api/v1/household/visits/{visit['id']}", headers=family.headers)
    assert seen.status_code == 200
    assert seen.json()["status"] == "confirmed"
    assert seen.json()["status_reason"] is None
    assert "best interests" not in seen.text
    assert "CF-05" not in seen.text


async def test_a_long_visit_is_approved_in_the_role_that_may_settle_it(
    client: Client, db: AsyncSession, family: Family
) -> None:
    """Holding several roles, staff decide in the one that may settle every review: a long
    visit (CF-25) as visits manager, though safeguarding lead comes first by name."""
    slot = family.family_slots[0]
    await db.execute(sa.update(Slot).where(Slot.id == slot).values(visit_type=VisitType.LONG_VISIT))
    await db.commit()
    visit = await book(client, family, slot)
    assert visit["status"] == "requested", visit
    await add_staff(
        db,
        "both@example.org",
        [
            (StaffRole.SAFEGUARDING_LEAD, family.facility_id),
            (StaffRole.VISITS_MANAGER, family.facility_id),
        ],
    )
    both = bearer(await staff_token(client, "both@example.org"))
    review = await client.get(f"/api/v1/staff/visits/{visit['id']}", headers=both)
    assert [r["rule_id"] for r in review.json()["results"] if r["route_to_review"]] == ["CF-25"]
    approved = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/decision",
        headers=both,
        json={"decision": "approve", "reason": "governor agreed"},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed"
    audit = (
        await db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "visit.approve"))
    ).one()
    assert audit.actor_role == "visits_manager"
    await db.commit()


async def test_overrides_cancel_attendance_and_stale_requests(
    client: Client, db: AsyncSession, family: Family, caplog: pytest.LogCaptureFixture
) -> None:
    officer = await staff_headers(client, db, family, StaffRole.VISITS_OFFICER)
    visit = await book(client, family, family.family_slots[0])
    nothing = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/overrides",
        headers=officer,
        json={"rule_id": "CF-01", "reason": "not needed"},
    )
    assert nothing.status_code == 422
    early = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/attendance",
        headers=officer,
        json={"outcome": "attended"},
    )
    assert early.status_code == 409
    cancelled = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/cancel",
        headers=officer,
        json={"reason": "Wasserschaden im Familienzimmer"},
    )
    assert cancelled.json()["status"] == "cancelled"
    assert any(
        isinstance(r.msg, dict)
        and r.msg.get("purpose") == "visit_cancelled"
        and "Wasserschaden" in str(r.msg.get("text"))
        for r in caplog.records
    )

    await db.execute(sa.update(Facility).values(request_mode=True))
    await db.commit()
    pending = await book(client, family, family.family_slots[1])
    rejected = await reject_stale_requests(db, cutoff_hours=24 * 60)
    await db.commit()
    assert [v.id for v in rejected] == [uuid.UUID(pending["id"])]
    after = await client.get(f"/api/v1/household/visits/{pending['id']}", headers=family.headers)
    assert after.json()["status"] == "rejected"

    third = await book(client, family, family.family_slots[2])
    await db.execute(
        sa.update(Visit)
        .where(Visit.id == uuid.UUID(third["id"]))
        .values(status=VisitStatus.CONFIRMED, starts_at=utcnow() - timedelta(minutes=5))
    )
    await db.commit()
    attended = await client.post(
        f"/api/v1/staff/visits/{third['id']}/attendance",
        headers=officer,
        json={"outcome": "no_show"},
    )
    assert attended.json()["status"] == "no_show"


async def test_staff_may_book_staff_only_slots_and_the_public_may_not(
    client: Client, db: AsyncSession, family: Family
) -> None:
    from visits.enums import BookableBy

    await db.execute(
        sa.update(Slot)
        .where(Slot.id == family.family_slots[0])
        .values(bookable_by=BookableBy.STAFF)
    )
    await db.commit()
    public = await client.post(
        "/api/v1/household/holds",
        headers=family.headers,
        json=hold_body(family, family.family_slots[0]),
    )
    assert public.status_code == 422
    assert "CF-BW" in {r["rule_id"] for r in public.json()["rule_results"]}
    officer = await staff_headers(client, db, family, StaffRole.VISITS_OFFICER)
    booked = await client.post(
        "/api/v1/staff/visits",
        headers=officer,
        json={
            "household_id": str(await household_id(db)),
            "prisoner_id": str(family.prisoner_id),
            "slot_id": str(family.family_slots[0]),
            "visitor_ids": family.everyone,
            "channel": "in_person",
        },
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["channel"] == Channel.IN_PERSON.value
