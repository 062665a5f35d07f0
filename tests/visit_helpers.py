"""Visits written straight to the database, for tests of what happens around bookings."""

from __future__ import annotations

import secrets
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Prisoner, Slot, Visit, VisitParty
from visits.enums import Channel, VisitStatus


async def book_directly(
    db: AsyncSession,
    slot: Slot,
    ages: list[int],
    *,
    status: VisitStatus = VisitStatus.CONFIRMED,
    support_needs: str | None = None,
) -> Visit:
    """A visit on ``slot`` with one party member per age, its capacity taken from the slot."""
    prisoner = await db.scalar(sa.select(Prisoner).where(Prisoner.facility_id == slot.facility_id))
    assert prisoner is not None
    children = sum(1 for age in ages if age < 18)
    visit = Visit(
        reference=secrets.token_hex(4).upper(),
        facility_id=slot.facility_id,
        slot_id=slot.id,
        prisoner_id=prisoner.id,
        household_id=None,
        visit_type=slot.visit_type,
        status=status,
        channel=Channel.PHONE,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        used_tables=1,
        used_seats=len(ages),
        used_children=children,
        ical_uid=f"visit-{uuid.uuid4()}@test",
        support_needs=support_needs,
        party=[
            VisitParty(visitor_id=None, age_years=age, is_child=age < 18, needs_seat=age >= 3)
            for age in ages
        ],
    )
    slot.booked_tables += 1
    slot.booked_seats += len(ages)
    slot.booked_children += children
    db.add(visit)
    await db.commit()
    return visit
