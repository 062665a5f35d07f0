"""A pending approval request reveals nothing about the prisoner or other families (CF-04).

A household that asked for approval does not learn the prisoner's id before staff approve; a
household that is not approved but knows the id gets the approval refusal (CF-04, and nothing
else) from a hold, a dry run or a move, never ``prisoner-busy`` on the slots where another
family visits nor anything from the prisoner's ledgers; and the
look-up of a prisoner by number and name is throttled per household, with the same answer for a
right and a wrong guess once the limit is reached. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, sign_up, staff_token
from tests.booking_helpers import sign_in
from visits.accounts.service.households import PRISONER_LOOKUPS
from visits.db.base import utcnow
from visits.db.models import Facility, Household, Prisoner, Slot, Visit, VisitorApproval
from visits.demo import seed_demo
from visits.enums import ApprovalStatus, StaffRole, VisitStatus

KAYA = "deniz.kaya@example.org"  # the demo family with a booked visit to Murat Kaya


@dataclass(frozen=True)
class World:
    facility_id: uuid.UUID
    prisoner: dict[str, str]  # id, prison_number, family_name of the Kaya family's prisoner
    busy_slot: uuid.UUID  # where the Kaya family visits him
    headers: dict[str, str]  # a new household, not in the demo
    visitor_id: str  # its one person


async def _world(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> World:
    await seed_demo(db, second_family=True)
    facility_id = await db.scalar(sa.select(Facility.id))
    prisoner = await db.scalar(sa.select(Prisoner).where(Prisoner.family_name == "Kaya"))
    assert facility_id is not None
    assert prisoner is not None
    busy = await db.scalar(
        sa.select(Visit.slot_id).where(
            Visit.prisoner_id == prisoner.id, Visit.status == VisitStatus.CONFIRMED
        )
    )
    assert busy is not None
    known = {
        "id": str(prisoner.id),
        "prison_number": prisoner.prison_number,
        "family_name": prisoner.family_name,
    }
    await db.commit()
    token = await sign_up(client, caplog, "lena.neumann@example.org", "Lena Neumann")
    person = await client.post(
        "/api/v1/household/visitors",
        headers=bearer(token),
        json={
            "given_name": "Lena",
            "family_name": "Neumann",
            "birth_date": "1990-04-12",
            "relationship": "partner",
        },
    )
    assert person.status_code == 201, person.text
    return World(facility_id, known, busy, bearer(token), person.json()["id"])


async def _ask(client: Client, world: World, family_name: str | None = None) -> Any:
    return await client.post(
        f"/api/v1/household/visitors/{world.visitor_id}/approval-requests",
        headers=world.headers,
        json={
            "facility_id": str(world.facility_id),
            "prison_number": world.prisoner["prison_number"],
            "prisoner_family_name": family_name or world.prisoner["family_name"],
        },
    )


def _only_approval(results: list[dict[str, Any]], world: World) -> bool:
    """The answer is CF-04 for the party and nothing else: no other rule (ledgers,
    entitlements), not even whether the prisoner needs a court permit; in the household's
    language (German)."""
    expected = {
        "rule_id": "CF-04",
        "severity": "HARD",
        "passed": False,
        "message": "Noch nicht alle Personen in dieser Buchung sind für Besuche zugelassen. "
        "Sie können buchen, sobald die Anstalt sie zugelassen hat. Das Besuchsteam sagt Ihnen "
        "gern, wie weit die Zulassung ist.",
        "route_to_review": False,
        "params": {"not_approved": [world.visitor_id], "without_court_permit": []},
    }
    return [{k: v for k, v in r.items() if k != "overridable_by"} for r in results] == [expected]


def _hold(world: World, slot: uuid.UUID) -> dict[str, Any]:
    return {
        "prisoner_id": world.prisoner["id"],
        "slot_id": str(slot),
        "visitor_ids": [world.visitor_id],
    }


async def _free_slot(db: AsyncSession, world: World) -> uuid.UUID:
    """A slot of the facility some days ahead where the prisoner has no visit."""
    taken = sa.select(Visit.slot_id).where(Visit.prisoner_id == uuid.UUID(world.prisoner["id"]))
    slot = await db.scalar(
        sa.select(Slot.id)
        .where(
            Slot.facility_id == world.facility_id,
            Slot.starts_at > utcnow() + timedelta(days=3),
            Slot.id.not_in(taken),
        )
        .order_by(Slot.starts_at)
        .limit(1)
    )
    assert slot is not None
    await db.commit()
    return slot


async def test_a_pending_request_names_no_prisoner_id_until_staff_approve(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    world = await _world(client, db, caplog)
    asked = await _ask(client, world)
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "pending"
    assert asked.json()["prisoner_id"] is None
    again = await _ask(client, world)  # asking again: the same request, still without the id
    assert again.json()["id"] == asked.json()["id"]
    assert again.json()["prisoner_id"] is None
    for path in (f"/api/v1/household/visitors/{world.visitor_id}", "/api/v1/household/export"):
        shown = await client.get(path, headers=world.headers)
        assert shown.status_code == 200
        assert world.prisoner["id"] not in shown.text, path

    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, world.facility_id)])
    officer = bearer(await staff_token(client, "officer@example.org"))
    decided = await client.post(
        f"/api/v1/staff/approvals/{asked.json()['id']}/decision",
        headers=officer,
        json={"status": "rejected", "reason": "Kinderschutz: Prüfung läuft."},
    )
    assert decided.status_code == 200, decided.text
    seen = await client.get(f"/api/v1/household/visitors/{world.visitor_id}", headers=world.headers)
    assert seen.json()["approvals"][0]["status"] == "rejected"
    assert seen.json()["approvals"][0]["prisoner_id"] is None  # rejected: still nothing
    assert "Kinderschutz" not in seen.text

    approved = await client.post(
        f"/api/v1/staff/approvals/{asked.json()['id']}/decision",
        headers=officer,
        json={"status": "approved", "reason": "Ausweis gesehen."},
    )
    assert approved.status_code == 200, approved.text
    seen = await client.get(f"/api/v1/household/visitors/{world.visitor_id}", headers=world.headers)
    assert seen.json()["approvals"][0]["prisoner_id"] == world.prisoner["id"]


async def test_an_unapproved_household_never_learns_when_the_prisoner_has_visitors(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    world = await _world(client, db, caplog)
    assert (await _ask(client, world)).status_code == 200
    free = await _free_slot(db, world)
    # Busy and free slots answer alike: the approval refusal, CF-04 alone, checked first.
    for slot in (world.busy_slot, free):
        held = await client.post(
            "/api/v1/household/holds", headers=world.headers, json=_hold(world, slot)
        )
        assert held.status_code == 422, held.text
        assert held.json()["type"] == "urn:visits:problem:booking-refused"
        assert _only_approval(held.json()["rule_results"], world)
        checked = await client.post(
            "/api/v1/household/checks", headers=world.headers, json=_hold(world, slot)
        )
        assert checked.status_code == 200, checked.text
        assert (checked.json()["outcome"], checked.json()["refused_by"]) == ("refused", ["CF-04"])
        assert _only_approval(checked.json()["results"], world)
    # An id that names no prisoner answers the same.
    stranger = _hold(world, world.busy_slot) | {"prisoner_id": str(uuid.uuid4())}
    unknown = await client.post("/api/v1/household/holds", headers=world.headers, json=stranger)
    assert unknown.status_code == 422
    assert _only_approval(unknown.json()["rule_results"], world)
    held_visits = (
        sa.select(sa.func.count()).select_from(Visit).where(Visit.status == VisitStatus.HELD)
    )
    assert await db.scalar(held_visits) == 0

    # Once approved, the household may hear that the prisoner is busy then (the same request
    # that was refused above): the check depends on approval, not on the slot.
    approval = await db.scalar(
        sa.select(VisitorApproval).where(VisitorApproval.visitor_id == uuid.UUID(world.visitor_id))
    )
    assert approval is not None
    approval.status = ApprovalStatus.APPROVED
    await db.commit()
    busy = await client.post(
        "/api/v1/household/holds", headers=world.headers, json=_hold(world, world.busy_slot)
    )
    assert busy.status_code == 409, busy.text
    assert busy.json()["type"] == "urn:visits:problem:prisoner-busy"


async def test_a_household_whose_approval_was_withdrawn_cannot_probe_by_moving_its_visit(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    world = await _world(client, db, caplog)
    kaya = await sign_in(client, caplog, KAYA)
    household = await db.scalar(sa.select(Household.id).where(Household.email == KAYA))
    requested = await db.scalar(
        sa.select(Visit).where(Visit.household_id == household, Visit.status == "requested")
    )
    assert requested is not None
    visit_id, busy = requested.id, world.busy_slot
    await db.execute(
        sa.update(VisitorApproval)
        .where(VisitorApproval.prisoner_id == uuid.UUID(world.prisoner["id"]))
        .values(status=ApprovalStatus.REJECTED)
    )
    await db.commit()
    moved = await client.post(
        f"/api/v1/household/visits/{visit_id}/reschedule",
        headers=kaya,
        json={"slot_id": str(busy)},
    )
    assert moved.status_code == 422, moved.text
    assert moved.json()["type"] == "urn:visits:problem:booking-refused"
    assert [r["rule_id"] for r in moved.json()["rule_results"]] == ["CF-04"]


async def test_the_prisoner_look_up_is_throttled_per_household(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    world = await _world(client, db, caplog)
    answers = [
        (await _ask(client, world, family_name=f"Guess{n}")).status_code
        for n in range(PRISONER_LOOKUPS.hits)
    ]
    assert answers == [422] * PRISONER_LOOKUPS.hits  # every guess wrong, each counted
    # Past the limit a right guess answers as a wrong one would: no oracle, nothing stored.
    right = await _ask(client, world)
    wrong = await _ask(client, world, family_name="Guess-again")
    for answer in (right, wrong):
        assert answer.status_code == 429, answer.text
        assert answer.json()["type"] == "urn:visits:problem:rate-limited"
        assert int(answer.headers["retry-after"]) >= 1
    stored = await db.scalar(
        sa.select(sa.func.count())
        .select_from(VisitorApproval)
        .where(VisitorApproval.visitor_id == uuid.UUID(world.visitor_id))
    )
    assert stored == 0
    await db.commit()  # SQLite: the test's reading session holds the write lock until then
    # Another household is counted on its own.
    other = bearer(await sign_up(client, caplog, "jan.other@example.org", "Jan Other"))
    person = await client.post(
        "/api/v1/household/visitors",
        headers=other,
        json={
            "given_name": "Jan",
            "family_name": "Other",
            "birth_date": "1985-01-02",
            "relationship": "sibling",
        },
    )
    asked = await client.post(
        f"/api/v1/household/visitors/{person.json()['id']}/approval-requests",
        headers=other,
        json={
            "facility_id": str(world.facility_id),
            "prison_number": world.prisoner["prison_number"],
            "prisoner_family_name": world.prisoner["family_name"],
        },
    )
    assert asked.status_code == 200, asked.text
