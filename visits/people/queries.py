"""Reads about prisoners and approvals: whom a household may visit, and with whom (CF-04).

One rule decides whether a visitor's approval lets them come on a day (``may_come``), the one
the booking rule CF-04 applies on the visit's date (``booking.facts`` reads ``permit_valid``):
the approval is granted, and while the prisoner is on remand at a facility that requires a
court permit, the permit is valid that day. The lists here apply it to today at the facility.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import (
    Facility,
    GuardianConsent,
    Household,
    Prisoner,
    PrisonerRestriction,
    Visitor,
    VisitorApproval,
)
from visits.enums import ApprovalStatus, CustodyStatus


@dataclass(frozen=True)
class Visitable:
    prisoner: Prisoner
    facility: Facility


def permit_valid(approval: VisitorApproval, on: date) -> bool:
    """The approval carries a court permit valid on ``on``."""
    return approval.court_permit_until is not None and approval.court_permit_until >= on


def permit_needed(prisoner: Prisoner, facility: Facility) -> bool:
    """Visitors of ``prisoner`` need a court permit: on remand, where the facility's rule
    profile asks for one (CF-04)."""
    return (
        prisoner.custody_status is CustodyStatus.REMAND
        and facility.profile().requires_court_permit_on_remand
    )


def may_come(approval: VisitorApproval, prisoner: Prisoner, facility: Facility, on: date) -> bool:
    """The approval lets its visitor visit ``prisoner`` on ``on`` (CF-04)."""
    if approval.status != ApprovalStatus.APPROVED:
        return False
    return not permit_needed(prisoner, facility) or permit_valid(approval, on)


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


def restriction_in_force(on: date) -> sa.ColumnElement[bool]:
    """A restriction applies on ``on``: not lifted, and no valid-until date before it (CF-05)."""
    return sa.and_(
        PrisonerRestriction.lifted_at.is_(None),
        sa.or_(PrisonerRestriction.valid_until.is_(None), PrisonerRestriction.valid_until >= on),
    )


async def restriction_codes(
    session: AsyncSession, prisoner_id: uuid.UUID, on: date
) -> tuple[str, ...]:
    """The codes of the prisoner's restrictions that apply on ``on`` (the visit's date), sorted:
    what the booking rule CF-05 reads."""
    codes = await session.scalars(
        sa.select(PrisonerRestriction.code)
        .where(PrisonerRestriction.prisoner_id == prisoner_id, restriction_in_force(on))
        .distinct()
    )
    return tuple(sorted(codes))


async def restrictions_of(
    session: AsyncSession, prisoner_id: uuid.UUID
) -> list[PrisonerRestriction]:
    """All the prisoner's restrictions, lifted and expired ones too, newest first (staff only)."""
    rows = await session.scalars(
        sa.select(PrisonerRestriction)
        .where(PrisonerRestriction.prisoner_id == prisoner_id)
        .order_by(PrisonerRestriction.created_at.desc(), PrisonerRestriction.id)
    )
    return list(rows)


# --- staff's queue of approval requests ------------------------------------------------------


@dataclass(frozen=True)
class ApprovalRow:
    """An approval request as staff handle it: the visitor, their household, the prisoner."""

    approval: VisitorApproval
    visitor: Visitor
    household: Household
    prisoner: Prisoner


def _approval_rows() -> sa.Select[VisitorApproval, Visitor, Household, Prisoner]:
    return (
        sa.select(VisitorApproval, Visitor, Household, Prisoner)
        .join(Visitor, Visitor.id == VisitorApproval.visitor_id)
        .join(Household, Household.id == Visitor.household_id)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
    )


def _at_facility(facility_id: uuid.UUID, status: ApprovalStatus | None) -> list[Any]:
    conditions: list[Any] = [Prisoner.facility_id == facility_id]
    if status is not None:
        conditions.append(VisitorApproval.status == status)
    return conditions


async def approvals_at(
    session: AsyncSession,
    facility_id: uuid.UUID,
    status: ApprovalStatus | None,
    *,
    limit: int,
    offset: int,
) -> tuple[list[ApprovalRow], int]:
    """One page of the approvals for prisoners at the facility (only ``status``, if given),
    oldest request first; and how many there are in all."""
    conditions = _at_facility(facility_id, status)
    total = await session.scalar(
        sa.select(sa.func.count())
        .select_from(VisitorApproval)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
        .where(*conditions)
    )
    rows = await session.execute(
        _approval_rows()
        .where(*conditions)
        .order_by(VisitorApproval.created_at, VisitorApproval.id)
        .limit(limit)
        .offset(offset)
    )
    return [ApprovalRow(a, v, h, p) for a, v, h, p in rows], total or 0


async def count_pending_approvals(session: AsyncSession, facility_id: uuid.UUID) -> int:
    """How many approval requests for prisoners at the facility wait for a decision."""
    return (
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(VisitorApproval)
            .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
            .where(*_at_facility(facility_id, ApprovalStatus.PENDING))
        )
        or 0
    )


async def approval_row(
    session: AsyncSession,
    approval_id: uuid.UUID,
    *,
    facility_id: uuid.UUID | None = None,
    lock: bool = False,
) -> ApprovalRow | None:
    """One approval with its visitor, household and prisoner (only at ``facility_id``, if
    given); locked for a decision when ``lock``."""
    statement = _approval_rows().where(VisitorApproval.id == approval_id)
    if facility_id is not None:
        statement = statement.where(Prisoner.facility_id == facility_id)
    if lock:
        statement = statement.with_for_update(of=VisitorApproval)
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    approval, visitor, household, prisoner = row
    return ApprovalRow(approval, visitor, household, prisoner)


async def consented_children(
    session: AsyncSession, visitor_ids: Sequence[uuid.UUID]
) -> frozenset[str]:
    """Those of ``visitor_ids`` who are children with valid guardian consent on file for coming
    with an adult who is also among ``visitor_ids``: what CF-02 reads as consent on file. A
    consent names one adult; another companion needs a consent of their own."""
    if not visitor_ids:
        return frozenset()
    rows = await session.scalars(
        sa.select(GuardianConsent.child_visitor_id).where(
            GuardianConsent.valid.is_(True),
            GuardianConsent.child_visitor_id.in_(list(visitor_ids)),
            GuardianConsent.adult_visitor_id.in_(list(visitor_ids)),
        )
    )
    return frozenset(str(child) for child in rows)
