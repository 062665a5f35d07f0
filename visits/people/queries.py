"""Reads about prisoners and approvals: whom a household may visit, and with whom (CF-04)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Facility, Prisoner, Visitor, VisitorApproval
from visits.enums import ApprovalStatus


@dataclass(frozen=True)
class Visitable:
    prisoner: Prisoner
    facility: Facility


async def visitable(
    session: AsyncSession, household_id: uuid.UUID, *, facility_id: uuid.UUID | None = None
) -> list[Visitable]:
    """Prisoners someone of the household is approved to visit (CF-04), with their facility;
    not released, at an active facility (``facility_id``: only there)."""
    statement = (
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
    if facility_id is not None:
        statement = statement.where(Facility.id == facility_id)
    rows = await session.execute(statement)
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
