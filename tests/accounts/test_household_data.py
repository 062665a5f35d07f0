"""A household's visitors, approval by staff (CF-04), export and erasure."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, sign_up, staff_token
from visits.db.base import utcnow
from visits.db.models import (
    AuthToken,
    Facility,
    Household,
    Prisoner,
    Slot,
    Visit,
    Visitor,
    VisitParty,
)
from visits.demo import seed_demo
from visits.enums import Channel, CustodyStatus, StaffRole, VisitStatus, VisitType
from visits.people.queries import approved_visitors


@pytest.fixture
async def world(db: AsyncSession) -> tuple[Facility, Prisoner]:
    await seed_demo(db)
    facility = await db.scalar(sa.select(Facility))
    prisoner = await db.scalar(sa.select(Prisoner))
    assert facility is not None
    assert prisoner is not None
    await db.commit()
    return facility, prisoner


async def approved_visitor_ids(
    db: AsyncSession, prisoner_id: uuid.UUID, visitor_ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``visitor_ids`` may visit the prisoner today (``people.queries``)."""
    households = set(
        await db.scalars(sa.select(Visitor.household_id).where(Visitor.id.in_(visitor_ids)))
    )
    found = {v.id for h in households for v in await approved_visitors(db, h, prisoner_id)}
    return found & set(visitor_ids)


async def add_child(client: Client, token: str, **overrides: str) -> dict:
    body = {
        "given_name": "Noah",
        "family_name": "K",
        "birth_date": "2019-06-30",
        "relationship": "child",
    } | overrides
    response = await client.post("/api/v1/household/visitors", headers=bearer(token), json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_visitor_lifecycle_and_validation(
    client: Client, caplog: pytest.LogCaptureFixture, world: tuple[Facility, Prisoner]
) -> None:
    token = await sign_up(client, caplog, "fam@example.org")
    child = await add_child(client, token)
    assert child["approvals"] == []
    changed = await client.patch(
        f"/api/v1/household/visitors/{child['id']}",
        headers=bearer(token),
        json={"birth_date": "2019-07-01"},
    )
    assert changed.json()["birth_date"] == "2019-07-01"
    future = (utcnow().date() + timedelta(days=3)).isoformat()
    bad = await client.post(
        "/api/v1/household/visitors",
        headers=bearer(token),
        json={"given_name": "", "family_name": "K", "birth_date": future, "relationship": "cousin"},
    )
    assert bad.status_code == 422
    assert {e["name"] for e in bad.json()["errors"]} == {"given_name", "relationship"}
    not_born = await client.post(
        "/api/v1/household/visitors",
        headers=bearer(token),
        json={"given_name": "A", "family_name": "K", "birth_date": future, "relationship": "child"},
    )
    assert not_born.json()["errors"] == [
        {"name": "birth_date", "in": "body", "detail": "darf nicht in der Zukunft liegen"}
    ]
    listed = await client.get("/api/v1/household/visitors", headers=bearer(token))
    assert listed.json()["total"] == 1
    assert (
        await client.delete(f"/api/v1/household/visitors/{child['id']}", headers=bearer(token))
    ).status_code == 204
    assert (await client.get("/api/v1/household/visitors", headers=bearer(token))).json()[
        "total"
    ] == 0


async def test_staff_approval_makes_a_visitor_bookable(
    client: Client,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    world: tuple[Facility, Prisoner],
) -> None:
    facility, prisoner = world
    token = await sign_up(client, caplog, "fam@example.org")
    child = await add_child(client, token)
    request = {
        "facility_id": str(facility.id),
        "prison_number": prisoner.prison_number,
        "prisoner_family_name": prisoner.family_name.upper(),
    }
    wrong = await client.post(
        f"/api/v1/household/visitors/{child['id']}/approval-requests",
        headers=bearer(token),
        json=request | {"prisoner_family_name": "Someone"},
    )
    assert wrong.status_code == 422
    asked = await client.post(
        f"/api/v1/household/visitors/{child['id']}/approval-requests",
        headers=bearer(token),
        json=request,
    )
    assert asked.status_code == 200
    assert asked.json()["status"] == "pending"
    child_id = uuid.UUID(child["id"])
    assert await approved_visitor_ids(db, prisoner.id, [child_id]) == set()
    await db.commit()

    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, facility.id)])
    officer = bearer(await staff_token(client, "officer@example.org"))
    pending = await client.get(
        f"/api/v1/staff/facilities/{facility.id}/approvals",
        headers=officer,
        params={"status": "pending"},
    )
    assert pending.json()["total"] == 1
    item = pending.json()["items"][0]
    assert item["visitor_id"] == child["id"]
    decided = await client.post(
        f"/api/v1/staff/approvals/{item['id']}/decision",
        headers=officer,
        json={"status": "approved", "reason": "birth certificate seen"},
    )
    assert decided.status_code == 200
    assert decided.json()["decided_by"] == "Officer"
    assert await approved_visitor_ids(db, prisoner.id, [child_id]) == {child_id}
    await db.commit()
    # The family sees the outcome, never the staff reason.
    seen = await client.get(f"/api/v1/household/visitors/{child['id']}", headers=bearer(token))
    approval = seen.json()["approvals"][0]
    assert approval["status"] == "approved"
    assert "birth certificate" not in seen.text
    trail = await client.get(
        "/api/v1/staff/audit",
        headers=officer,
        params={"object_type": "visitor_approval", "object_id": item["id"]},
    )
    assert [e["action"] for e in trail.json()["items"]] == ["approval.request", "approval.decide"]
    assert trail.json()["items"][1]["reason"] == "birth certificate seen"


async def test_expired_court_permits_do_not_count_on_remand(
    db: AsyncSession, world: tuple[Facility, Prisoner]
) -> None:
    facility, prisoner = world
    from visits.db.models import VisitorApproval

    assert facility.profile().requires_court_permit_on_remand
    approvals = list(
        await db.scalars(
            sa.select(VisitorApproval).where(VisitorApproval.prisoner_id == prisoner.id)
        )
    )
    ids = [a.visitor_id for a in approvals]
    today = utcnow().date()
    approvals[0].court_permit_until = today - timedelta(days=1)
    for approval in approvals[1:]:
        approval.court_permit_until = today + timedelta(days=30)
    await db.commit()
    # Sentenced, the permit does not matter; on remand, an ended one does (as CF-04 judges).
    assert await approved_visitor_ids(db, prisoner.id, ids) == set(ids)
    prisoner.custody_status = CustodyStatus.REMAND
    await db.commit()
    assert await approved_visitor_ids(db, prisoner.id, ids) == set(ids[1:])


async def _past_visit(
    db: AsyncSession, household_id: uuid.UUID, visitor: Visitor, days: int
) -> Visit:
    slot = await db.scalar(sa.select(Slot).limit(1))
    prisoner = await db.scalar(sa.select(Prisoner))
    assert slot is not None
    assert prisoner is not None
    starts = utcnow() + timedelta(days=days)
    visit = Visit(
        reference=uuid.uuid4().hex[:10].upper(),
        facility_id=slot.facility_id,
        slot_id=slot.id,
        prisoner_id=prisoner.id,
        household_id=household_id,
        visit_type=VisitType.CHILD_FAMILY,
        status=VisitStatus.ATTENDED if days < 0 else VisitStatus.CONFIRMED,
        channel=Channel.ONLINE,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        ical_uid=f"visit-{uuid.uuid4()}@test",
        support_needs="wheelchair",
        party=[VisitParty(visitor_id=visitor.id, age_years=6, is_child=True, needs_seat=True)],
    )
    db.add(visit)
    await db.commit()
    return visit


async def test_export_and_erasure_leave_only_anonymised_visits(
    client: Client,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    world: tuple[Facility, Prisoner],
) -> None:
    token = await sign_up(client, caplog, "leave@example.org")
    child = await add_child(client, token)
    household_id = await db.scalar(
        sa.select(Household.id).where(Household.email == "leave@example.org")
    )
    visitor = await db.get(Visitor, uuid.UUID(child["id"]))
    assert household_id is not None
    assert visitor is not None
    past = await _past_visit(db, household_id, visitor, days=-10)
    visitor_id, past_id, past_reference = visitor.id, past.id, past.reference

    exported = await client.get("/api/v1/household/export", headers=bearer(token))
    assert exported.status_code == 200
    data = exported.json()
    assert data["household"]["email"] == "leave@example.org"
    assert [v["id"] for v in data["visitors"]] == [child["id"]]
    assert data["visits"][0]["reference"] == past_reference
    assert {"household.sign_up", "household.sign_in", "visitor.create"} <= {
        a["action"] for a in data["activity"]
    }

    upcoming = await _past_visit(db, household_id, visitor, days=5)
    refused = await client.delete("/api/v1/household", headers=bearer(token))
    assert refused.status_code == 409
    await db.delete(upcoming)
    await db.commit()

    assert (await client.delete("/api/v1/household", headers=bearer(token))).status_code == 204
    db.expire_all()
    assert await db.get(Household, household_id) is None
    assert await db.get(Visitor, visitor_id) is None
    assert await db.scalar(sa.select(sa.func.count()).select_from(AuthToken)) == 0
    kept = await db.get(Visit, past_id)
    assert kept is not None
    assert kept.household_id is None
    assert kept.support_needs is None
    party = (await db.scalars(sa.select(VisitParty).where(VisitParty.visit_id == past_id))).one()
    assert (party.visitor_id, party.age_years, party.is_child) == (None, 6, True)
    await db.commit()
    assert (await client.get("/api/v1/household", headers=bearer(token))).status_code == 401
