"""Reads about prisoners and approvals: whom a household may visit, and with whom (CF-04).

One rule decides whether a visitor's approval lets them come on a day (``may_come``), the one
the booking rule CF-04 applies on the visit's date (``booking.facts`` reads ``permit_valid``):
the approval is granted, and while the prisoner is on remand at a facility that requires a
court permit, the permit is valid that day. The lists here apply it to today at the facility.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Facility, Prisoner, Visitor, VisitorApproval
from visits.enums import ApprovalStatus, CustodyStatus


@dataclass(frozen=True)
class Visitable:
    prisoner: Prisoner
    facility: Facility


def permit_valid(approval: VisitorApproval, on: date) -> bool:
    """The approval carries a court permit valid on ``on``."""
    return approval.court_permit_until is not None and approval.court_permit_until >= on


def may_come(approval: VisitorApproval, prisoner: Prisoner, facility: Facility, on: date) -> bool:
    """The approval lets its visitor visit ``prisoner`` on ``on`` (CF-04)."""
    if approval.status != ApprovalStatus.APPROVED:
        return False
    permit_needed = (
        prisoner.custody_status is CustodyStatus.REMAND
        and facility.profile().requires_court_permit_on_remand
    )
    return not permit_needed or permit_valid(approval, on)


def _today_at(facility: Facility) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(facility.timezone)).date()


async def _approvals(
    session: AsyncSession,
    household_id: uuid.UUID,
    *,
    prisoner_id: uuid.UUID | None = None,
    facility_id: uuid.UUID | None = None,
) -> list[tuple[Visitor, VisitorApproval, Prisoner, Facility]]:
    """The household's approvals that let a visitor come today, with the visitor, and the
    prisoner (not released) and facility (active) they are for."""
    statement = (
        sa.select(Visitor, VisitorApproval, Prisoner, Facility)
        .join(VisitorApproval, VisitorApproval.visitor_id == Visitor.id)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
        .join(Facility, Facility.id == Prisoner.facility_id)
        .where(
            Visitor.household_id == household_id,
            VisitorApproval.status == ApprovalStatus.APPROVED,
            Prisoner.released_on.is_(None),
            Facility.is_active,
        )
    )
    if prisoner_id is not None:
        statement = statement.where(Prisoner.id == prisoner_id)
    if facility_id is not None:
        statement = statement.where(Facility.id == facility_id)
    rows = await session.execute(statement)
    return [
        (visitor, approval, prisoner, facility)
        for visitor, approval, prisoner, facility in rows
        if may_come(approval, prisoner, facility, _today_at(facility))
    ]


async def visitable(
    session: AsyncSession,
    household_id: uuid.UUID,
    *,
    facility_id: uuid.UUID | None = None,
    prisoner_id: uuid.UUID | None = None,
) -> list[Visitable]:
    """Prisoners someone of the household may visit (CF-04, ``may_come`` today), with their
    facility; not released, at an active facility (``facility_id``, ``prisoner_id``: only
    there, only them). By name."""
    found = {
        prisoner.id: Visitable(prisoner, facility)
        for _, _, prisoner, facility in await _approvals(
            session, household_id, prisoner_id=prisoner_id, facility_id=facility_id
        )
    }
    return sorted(
        found.values(),
        key=lambda v: (v.prisoner.family_name, v.prisoner.given_name, str(v.prisoner.id)),
    )


async def approved_visitors(
    session: AsyncSession, household_id: uuid.UUID, prisoner_id: uuid.UUID
) -> list[Visitor]:
    """The household's visitors who may visit this prisoner (``may_come`` today), oldest
    first."""
    rows = await _approvals(session, household_id, prisoner_id=prisoner_id)
    return sorted((visitor for visitor, *_ in rows), key=lambda v: (v.birth_date, str(v.id)))
