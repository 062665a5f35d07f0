"""A facility of its own (not the demo's) with households whose last contact is set by hand,
for the retention tests."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import (
    Facility,
    Household,
    Prisoner,
    Room,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
    VisitParty,
)
from visits.enums import (
    ApprovalStatus,
    Channel,
    CustodyStatus,
    Language,
    Relationship,
    VisitStatus,
    VisitType,
)

LONG_AGO = timedelta(days=3000)


@dataclass
class Place:
    facility: Facility
    room: Room
    prisoner: Prisoner


async def _people(db: AsyncSession, household: Household) -> list[Visitor]:
    """The household's people, the guardian first."""
    rows = await db.scalars(
        sa.select(Visitor)
        .where(Visitor.household_id == household.id)
        .order_by(Visitor.is_guardian.desc(), Visitor.given_name)
    )
    return list(rows)


async def new_place(db: AsyncSession, slug: str = "jva-retention") -> Place:
    facility = Facility(
        slug=slug,
        name=f"JVA {slug.title()}",
        timezone="Europe/Berlin",
        street="Am Wall 1",
        postal_code="48143",
        city="Münster",
        country="DE",
        email=f"{slug}@example.org",
    )
    room = Room(
        facility=facility,
        name="Familienraum",
        capacity_tables=4,
        capacity_seats=16,
        capacity_children=8,
    )
    db.add_all([facility, room])
    await db.flush()
    prisoner = Prisoner(
        facility_id=facility.id,
        prison_number=f"R-{secrets.token_hex(3)}",
        given_name="Tobias",
        family_name="Brenner",
        admission_date=date(2020, 1, 6),
        custody_status=CustodyStatus.SENTENCED,
    )
    db.add(prisoner)
    await db.flush()
    return Place(facility, room, prisoner)


async def new_household(
    db: AsyncSession, name: str, *, changed_at: datetime, people: int = 2
) -> Household:
    """A household last changed at ``changed_at``, with a guardian and ``people - 1`` children."""
    household = Household(
        guardian_name=name,
        email=f"{secrets.token_hex(4)}@example.net",
        language=Language("de"),
        created_at=changed_at,
        updated_at=changed_at,
    )
    given, family = name.split(" ", 1)
    household.visitors = [
        Visitor(
            given_name=given,
            family_name=family,
            birth_date=date(1988, 3, 14),
            relationship=Relationship.PARTNER,
            is_guardian=True,
        )
    ] + [
        Visitor(
            given_name=f"Kind{n}",
            family_name=family,
            birth_date=date(2016 + n, 5, 2),
            relationship=Relationship.CHILD,
        )
        for n in range(people - 1)
    ]
    db.add(household)
    await db.flush()
    return household


async def visit_at(
    db: AsyncSession,
    place: Place,
    household: Household,
    starts_at: datetime,
    status: VisitStatus = VisitStatus.ATTENDED,
    prisoner: Prisoner | None = None,
) -> Visit:
    """A visit of the whole household starting at ``starts_at`` (its own slot)."""
    ends_at = starts_at + timedelta(hours=1)
    slot = Slot(
        facility_id=place.facility.id,
        room_id=place.room.id,
        visit_type=VisitType.CHILD_FAMILY,
        starts_at=starts_at,
        ends_at=ends_at,
        local_date=starts_at.date(),
        capacity_tables=4,
        capacity_seats=16,
        capacity_children=8,
    )
    db.add(slot)
    await db.flush()
    visitors = await _people(db, household)
    visit = Visit(
        reference=secrets.token_hex(4).upper(),
        facility_id=place.facility.id,
        slot_id=slot.id,
        prisoner_id=(prisoner or place.prisoner).id,
        household_id=household.id,
        visit_type=VisitType.CHILD_FAMILY,
        status=status,
        channel=Channel.ONLINE,
        starts_at=starts_at,
        ends_at=ends_at,
        ical_uid=f"visit-{uuid.uuid4()}@test",
        support_needs="Kinderwagen",
        party=[
            VisitParty(
                visitor_id=v.id,
                age_years=30 if v.is_guardian else 7,
                is_child=not v.is_guardian,
                needs_seat=True,
            )
            for v in visitors
        ],
    )
    db.add(visit)
    await db.flush()
    return visit


async def approval_for(
    db: AsyncSession,
    household: Household,
    prisoner: Prisoner,
    status: ApprovalStatus,
    *,
    asked_at: datetime,
    decided_at: datetime | None = None,
    court_permit_until: date | None = None,
) -> VisitorApproval:
    """An approval of the household's guardian for ``prisoner``."""
    visitors = await _people(db, household)
    approval = VisitorApproval(
        visitor_id=visitors[0].id,
        prisoner_id=prisoner.id,
        status=status,
        created_at=asked_at,
        updated_at=decided_at or asked_at,
        decided_at=decided_at,
        decided_by=None if decided_at is None else "Besuchsdienst",
        court_permit_until=court_permit_until,
    )
    db.add(approval)
    await db.flush()
    return approval
