"""Large sibling groups are never a dead end online (issue 17, point 4; CF-07), through the API
on SQLite and PostgreSQL: a mother with four children (the caps allow three per visit) is
refused with the offer to ask, sends a request for her whole group with ``request_review``,
the request holds its places (room capacity, CF-07b, is never exceeded), waits in the review
queue with its reason, and only a visits manager approves it (CF-07 set aside for the visit,
audited); a rejection gives the places back; the household is told either way. Nothing but
CF-07 becomes a request.

The family is made here (``tests.large_group_helpers``), not one of the demo's."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.large_group_helpers import MANAGER, OFFICER, LargeFamily, large_family
from tests.visit_helpers import book_directly
from visits.db.base import utcnow
from visits.db.models import AuditEvent, Notice, PrisonerRestriction, Slot, Visit, VisitOverride
from visits.enums import NoticeKind, StaffRole, VisitStatus, VisitType

HOLDS = "/api/v1/household/holds"
LEAD = "sozialdienst.haddad-test@example.org"


async def _slot(db: AsyncSession, slot_id: uuid.UUID) -> Slot:
    db.expire_all()
    slot = await db.get(Slot, slot_id)
    assert slot is not None
    await db.commit()
    return slot


async def _notices(db: AsyncSession, visit_id: str) -> list[NoticeKind]:
    kinds = list(
        await db.scalars(
            sa.select(Notice.kind)
            .where(Notice.visit_id == uuid.UUID(visit_id))
            .order_by(Notice.created_at)
        )
    )
    await db.commit()
    return kinds


async def _actions(db: AsyncSession, visit_id: str) -> list[tuple[str, str | None, str | None]]:
    rows = (
        await db.execute(
            sa.select(AuditEvent.action, AuditEvent.actor_role, AuditEvent.reason)
            .where(AuditEvent.object_id == visit_id)
            .order_by(AuditEvent.occurred_at)
        )
    ).all()
    await db.commit()
    return [(a, r, why) for a, r, why in rows]


async def _ask(client: Client, family: LargeFamily, slot: uuid.UUID) -> dict[str, Any]:
    asked = await client.post(
        HOLDS, headers=family.headers, json=family.body(slot, request_review=True)
    )
    assert asked.status_code == 201, asked.text
    return dict(asked.json())


async def test_the_refusal_and_the_week_offer_to_ask_for_the_whole_group(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await large_family(client, db, caplog)
    slot = family.slots[0]

    refused = await client.post(HOLDS, headers=family.headers, json=family.body(slot))
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:visits:problem:booking-refused"
    assert [r["rule_id"] for r in problem["rule_results"]] == ["CF-07"]
    assert problem["request_review_possible"] is True
    assert "Nobody has to stay at home" in problem["rule_results"][0]["message"]

    # The annotated week says which times the group may ask for; a group within the caps
    # (the mother and three children) is never offered a request.
    for party, possible in ((family.everyone, True), (family.everyone[:4], False)):
        listed = await client.get(
            "/api/v1/household/slots",
            headers=family.headers,
            params={
                "prisoner_id": str(family.prisoner_id),
                "visitor_id": party,
                "visit_type": VisitType.CHILD_FAMILY.value,
                "from": family.day.isoformat(),
                "to": family.day.isoformat(),
            },
        )
        assert listed.status_code == 200, listed.text
        item = next(i for i in listed.json()["items"] if i["slot_id"] == str(slot))
        assert item["request_possible"] is possible
        assert item["verdict"] == ("not_possible" if possible else "fits")
        # The dry run says the same for the slot.
        checked = await client.post(
            "/api/v1/household/checks",
            headers=family.headers,
            json={
                "prisoner_id": str(family.prisoner_id),
                "slot_id": str(slot),
                "visitor_ids": party,
            },
        )
        assert checked.status_code == 200, checked.text
        assert checked.json()["request_possible"] is possible
        assert checked.json()["outcome"] == ("refused" if possible else "bookable")

    # A group that fits needs no request.
    needless = await client.post(
        HOLDS,
        headers=family.headers,
        json=family.body(slot, family.everyone[:4], request_review=True),
    )
    assert needless.status_code == 422, needless.text
    assert needless.json()["type"] == "urn:visits:problem:no-request-needed"
    assert await db.scalar(sa.select(sa.func.count()).select_from(Visit)) is not None
    assert (
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(Visit)
            .where(Visit.household_id == family.household_id)
        )
        == 0
    )
    await db.commit()


async def test_a_request_holds_its_places_and_a_visits_manager_approves_it(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await large_family(client, db, caplog)
    slot_id = family.slots[0]
    before = await _slot(db, slot_id)
    seats, children = before.booked_seats, before.booked_children

    visit = await _ask(client, family, slot_id)
    assert visit["status"] == "requested"
    assert visit["hold_expires_at"] is None
    assert len(visit["party"]) == 5
    assert "review_reason" not in visit or visit["review_reason"] is None  # family view
    after = await _slot(db, slot_id)
    assert (after.booked_seats, after.booked_children) == (seats + 5, children + 4)

    # Staff find it in the review queue with the reason, in their language.
    manager = bearer(await staff_token(client, MANAGER))
    officer = bearer(await staff_token(client, OFFICER))
    queue = await client.get(
        f"/api/v1/staff/facilities/{family.facility_id}/visits",
        headers=officer | {"Accept-Language": "de"},
        params={"needs_review": "true"},
    )
    assert queue.status_code == 200, queue.text
    waiting = next(v for v in queue.json()["items"] if v["id"] == visit["id"])
    assert waiting["review_reason"].startswith(
        "Die Familie möchte gemeinsam kommen, als Gruppe größer als die übliche Grenze"
    )

    # A visits officer may not set the limit aside; a visits manager may.
    decision = f"/api/v1/staff/visits/{visit['id']}/decision"
    denied = await client.post(
        decision, headers=officer, json={"decision": "approve", "reason": "Geschwister"}
    )
    assert denied.status_code == 403, denied.text
    assert (await _slot(db, slot_id)).booked_seats == seats + 5  # nothing changed
    approved = await client.post(
        decision,
        headers=manager,
        json={"decision": "approve", "reason": "All four siblings together."},
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed"

    overrides = list(
        await db.scalars(
            sa.select(VisitOverride).where(VisitOverride.visit_id == uuid.UUID(visit["id"]))
        )
    )
    await db.commit()
    assert [(o.rule_id, o.role, o.reason) for o in overrides] == [
        ("CF-07", "visits_manager", "All four siblings together.")
    ]
    actions = await _actions(db, visit["id"])
    assert [a for a, _, _ in actions] == ["visit.request", "visit.override", "visit.approve"]
    assert actions[1][1] == "visits_manager"
    assert await _notices(db, visit["id"]) == [NoticeKind.VISIT_CONFIRMED]
    assert (await _slot(db, slot_id)).booked_seats == seats + 5  # kept, not taken twice

    # The household reads a confirmed visit, with the number of visitors set aside.
    mine = await client.get(f"/api/v1/household/visits/{visit['id']}", headers=family.headers)
    assert mine.json()["status"] == "confirmed"


async def test_a_rejected_request_gives_the_places_back_and_the_family_is_told(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await large_family(client, db, caplog)
    slot_id = family.slots[0]
    seats = (await _slot(db, slot_id)).booked_seats
    visit = await _ask(client, family, slot_id)
    officer = bearer(await staff_token(client, OFFICER))
    rejected = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/decision",
        headers=officer,
        json={"decision": "reject", "reason": "Room closed for painting."},
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert (await _slot(db, slot_id)).booked_seats == seats
    assert await _notices(db, visit["id"]) == [NoticeKind.VISIT_REJECTED]
    mine = await client.get(f"/api/v1/household/visits/{visit['id']}", headers=family.headers)
    assert mine.json()["status"] == "rejected"


async def test_only_the_group_limit_becomes_a_request(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await large_family(client, db, caplog)

    # Room capacity (CF-07b) is never exceeded: with four seats left, neither a booking nor a
    # request for five people goes through, and the refusal offers no request.
    full = await _slot(db, family.slots[1])
    left = full.capacity_seats - full.booked_seats
    await book_directly(db, full, [40] * (left - 4))
    for body in (family.body(full.id), family.body(full.id, request_review=True)):
        refused = await client.post(HOLDS, headers=family.headers, json=body)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert {r["rule_id"] for r in problem["rule_results"]} == {"CF-07", "CF-07b"}
        assert "request_review_possible" not in problem

    # Nor the booking window (CF-BW): a time that starts tomorrow is refused, request or not.
    soon = utcnow().replace(microsecond=0) + timedelta(hours=26, minutes=7)
    moved = await _slot(db, family.slots[2])
    length = moved.ends_at - moved.starts_at
    await db.execute(
        sa.update(Slot).where(Slot.id == moved.id).values(starts_at=soon, ends_at=soon + length)
    )
    await db.commit()
    refused = await client.post(
        HOLDS, headers=family.headers, json=family.body(moved.id, request_review=True)
    )
    assert refused.status_code == 422, refused.text
    assert "CF-BW" in {r["rule_id"] for r in refused.json()["rule_results"]}
    assert "request_review_possible" not in refused.json()

    # Staff book with an override, not a request.
    staff = bearer(await staff_token(client, MANAGER))
    by_staff = await client.post(
        "/api/v1/staff/visits",
        headers=staff,
        json={
            "household_id": str(family.household_id),
            **family.body(family.slots[0], request_review=True),
        },
    )
    assert by_staff.status_code == 422, by_staff.text
    assert by_staff.json()["type"] == "urn:visits:problem:invalid-body"
    count = await db.scalar(
        sa.select(sa.func.count())
        .select_from(Visit)
        .where(Visit.household_id == family.household_id, Visit.status != VisitStatus.CANCELLED)
    )
    await db.commit()
    assert count == 0


async def test_a_request_moves_to_another_time_as_a_request(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await large_family(client, db, caplog)
    first, second = family.slots[0], family.slots[1]
    seats = {s: (await _slot(db, s)).booked_seats for s in (first, second)}
    visit = await _ask(client, family, first)

    moved = await client.post(
        f"/api/v1/household/visits/{visit['id']}/reschedule",
        headers=family.headers,
        json={"slot_id": str(second)},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "requested"
    assert (await _slot(db, first)).booked_seats == seats[first]
    assert (await _slot(db, second)).booked_seats == seats[second] + 5
    stored = await db.get(Visit, uuid.UUID(visit["id"]), populate_existing=True)
    assert stored is not None
    assert stored.needs_review
    assert stored.review_reason == "large-party"
    cf07 = next(r for r in stored.rule_results if r["rule_id"] == "CF-07")
    await db.commit()
    assert (cf07["passed"], cf07["route_to_review"]) == (False, True)

    # Still only a visits manager may approve it.
    officer = bearer(await staff_token(client, OFFICER))
    denied = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/decision",
        headers=officer,
        json={"decision": "approve", "reason": "Geschwister"},
    )
    assert denied.status_code == 403, denied.text


async def test_a_safeguarding_restriction_stays_hidden_and_keeps_its_own_decision(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A large group visiting a prisoner under a child-contact restriction (CF-05): the family
    is offered the request exactly as any large group (nothing tells it about the restriction),
    and the request needs both decisions: the group limit by a visits manager, the
    safeguarding review by the safeguarding lead alone."""
    family = await large_family(client, db, caplog)
    db.add(
        PrisonerRestriction(
            prisoner_id=family.prisoner_id,
            code="no_child_contact",
            reason="Kinderschutz: Verfahren läuft",
            recorded_by="test",
        )
    )
    await db.commit()
    slot = family.slots[0]
    refused = await client.post(HOLDS, headers=family.headers, json=family.body(slot))
    assert refused.status_code == 422, refused.text
    assert [r["rule_id"] for r in refused.json()["rule_results"]] == ["CF-07"]
    assert refused.json()["request_review_possible"] is True
    assert "CF-05" not in refused.text
    assert "Kinderschutz" not in refused.text

    visit = await _ask(client, family, slot)
    assert visit["status"] == "requested"
    assert "CF-05" not in str(visit)
    assert "Kinderschutz" not in str(visit)

    manager = bearer(await staff_token(client, MANAGER))
    decision = f"/api/v1/staff/visits/{visit['id']}/decision"
    approve = {"decision": "approve", "reason": "Alle Kinder gemeinsam."}
    denied = await client.post(decision, headers=manager, json=approve)
    assert denied.status_code == 403, denied.text  # the safeguarding review is not theirs
    assert (
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(VisitOverride)
            .where(VisitOverride.visit_id == uuid.UUID(visit["id"]))
        )
        == 0
    )
    await db.commit()

    # The manager sets the group limit aside; the safeguarding lead then decides the rest.
    set_aside = await client.post(
        f"/api/v1/staff/visits/{visit['id']}/overrides",
        headers=manager,
        json={"rule_id": "CF-07", "reason": "Alle Kinder gemeinsam."},
    )
    assert set_aside.status_code == 200, set_aside.text
    await add_staff(db, LEAD, [(StaffRole.SAFEGUARDING_LEAD, family.facility_id)])
    lead = bearer(await staff_token(client, LEAD))
    approved = await client.post(
        decision, headers=lead, json={"decision": "approve", "reason": "Begleiteter Besuch."}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "confirmed"
