"""Reads the family pages need beyond the API's: whom the household may visit, with whom."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Facility, Prisoner, Room, Slot, Visit, Visitor, VisitorApproval
from visits.enums import ApprovalStatus


@dataclass(frozen=True)
class Visitable:
    prisoner: Prisoner
    facility: Facility


async def visitable(session: AsyncSession, household_id: uuid.UUID) -> list[Visitable]:
    """Prisoners someone of the household is approved to visit (CF-04), with their facility."""
    rows = await session.execute(
        sa.select(Prisoner, Facility)
        .join(Facility, Facility.id == Prisoner.facility_id)
        .where(
            Prisoner.id.in_(
                sa.select(VisitorApproval.prisoner_id)
                .join(Visitor, Visitor.id == VisitorApproval.visitor_id)
                .where(
                    Visitor.household_id == household_id,
                    VisitorApproval.status == ApprovalStatus.APPROVED,
                )
            ),
            Prisoner.released_on.is_(None),
            Facility.is_active,
        )
        .order_by(Prisoner.family_name, Prisoner.given_name, Prisoner.id)
    )
    return [Visitable(prisoner, facility) for prisoner, facility in rows]


async def approved_visitors(
    session: AsyncSession, household_id: uuid.UUID, prisoner_id: uuid.UUID
) -> list[Visitor]:
    """The household's visitors approved for this prisoner, oldest first."""
    rows = await session.scalars(
        sa.select(Visitor)
        .join(VisitorApproval, VisitorApproval.visitor_id == Visitor.id)
        .where(
            Visitor.household_id == household_id,
            VisitorApproval.prisoner_id == prisoner_id,
            VisitorApproval.status == ApprovalStatus.APPROVED,
        )
        .order_by(Visitor.birth_date, Visitor.id)
    )
    return list(rows)


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    facility: Facility
    room_name: str


async def household_visits(session: AsyncSession, household_id: uuid.UUID) -> list[VisitRow]:
    rows = await session.execute(
        sa.select(Visit, Facility, Room.name)
        .join(Facility, Facility.id == Visit.facility_id)
        .join(Slot, Slot.id == Visit.slot_id)
        .join(Room, Room.id == Slot.room_id)
        .where(Visit.household_id == household_id)
        .order_by(Visit.starts_at.desc(), Visit.id)
        .limit(200)
    )
    return [VisitRow(visit, facility, room) for visit, facility, room in rows]


async def one_visit(
    session: AsyncSession, household_id: uuid.UUID, visit_id: uuid.UUID
) -> VisitRow | None:
    row = (
        await session.execute(
            sa.select(Visit, Facility, Room.name)
            .join(Facility, Facility.id == Visit.facility_id)
            .join(Slot, Slot.id == Visit.slot_id)
            .join(Room, Room.id == Slot.room_id)
            .where(Visit.id == visit_id, Visit.household_id == household_id)
        )
    ).first()
    return VisitRow(row[0], row[1], row[2]) if row else None
