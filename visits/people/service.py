"""Staff work on prisoners and visitor approvals (CF-04)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import ALL_ROLES, StaffPrincipal
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import AuditEvent, Prisoner, Visitor, VisitorApproval
from visits.enums import ApprovalStatus, StaffRole
from visits.errors import Conflict, NotFound
from visits.facilities.queries import facility_or_404
from visits.people.schemas import (
    AuditEventOut,
    DecisionIn,
    PrisonerIn,
    PrisonerOut,
    StaffApprovalOut,
)

# Who may do what (CF-04 names the visits officer; managers and admins may too).
READ_ROLES = ALL_ROLES
PRISONER_EDIT_ROLES = frozenset({StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER})
APPROVAL_ROLES = frozenset(
    {StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER, StaffRole.SAFEGUARDING_LEAD}
)


def prisoner_out(p: Prisoner) -> PrisonerOut:
    return PrisonerOut(
        id=p.id,
        facility_id=p.facility_id,
        prison_number=p.prison_number,
        given_name=p.given_name,
        family_name=p.family_name,
        admission_date=p.admission_date,
        custody_status=p.custody_status,
    )


def _prisoner_exists() -> Conflict:
    return Conflict("prisoner-exists", "This prison number is already registered.")


async def _prisoner_id(
    session: AsyncSession, facility_id: uuid.UUID, prison_number: str
) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(Prisoner.id).where(
            Prisoner.facility_id == facility_id, Prisoner.prison_number == prison_number
        )
    )


async def create_prisoner(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: PrisonerIn
) -> Prisoner:
    role = staff.role_for(facility_id, PRISONER_EDIT_ROLES)
    await facility_or_404(session, facility_id)
    if await _prisoner_id(session, facility_id, data.prison_number):
        raise _prisoner_exists()
    prisoner = Prisoner(
        facility_id=facility_id, **{f: getattr(data, f) for f in data.__struct_fields__}
    )
    try:
        async with session.begin_nested():
            session.add(prisoner)
    except IntegrityError:
        # Registered by a parallel request since the check above (the unique constraint saw it).
        if await _prisoner_id(session, facility_id, data.prison_number):
            raise _prisoner_exists() from None
        raise
    record(
        session,
        staff.actor(role),
        "prisoner.create",
        "prisoner",
        prisoner.id,
        facility_id=facility_id,
        changes={"prison_number": data.prison_number},
    )
    return prisoner


async def list_prisoners(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Prisoner], int]:
    staff.role_for(facility_id, READ_ROLES)
    await facility_or_404(session, facility_id)
    condition = Prisoner.facility_id == facility_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Prisoner).where(condition))
    rows = await session.scalars(
        sa.select(Prisoner)
        .where(condition)
        .order_by(Prisoner.family_name, Prisoner.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


def _approval_out(approval: VisitorApproval, visitor: Visitor) -> StaffApprovalOut:
    return StaffApprovalOut(
        id=approval.id,
        prisoner_id=approval.prisoner_id,
        visitor_id=visitor.id,
        visitor_name=f"{visitor.given_name} {visitor.family_name}",
        birth_date=visitor.birth_date,
        relationship=visitor.relationship,
        status=approval.status,
        court_permit_until=approval.court_permit_until,
        decided_at=approval.decided_at,
        decided_by=approval.decided_by,
        reason=approval.reason,
    )


async def list_approvals(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    status: ApprovalStatus | None,
    *,
    limit: int,
    offset: int,
) -> tuple[list[StaffApprovalOut], int]:
    staff.role_for(facility_id, READ_ROLES)
    await facility_or_404(session, facility_id)
    statement = (
        sa.select(VisitorApproval, Visitor)
        .join(Visitor, Visitor.id == VisitorApproval.visitor_id)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
        .where(Prisoner.facility_id == facility_id)
    )
    if status is not None:
        statement = statement.where(VisitorApproval.status == status)
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = await session.execute(
        statement.order_by(VisitorApproval.created_at, VisitorApproval.id)
        .limit(limit)
        .offset(offset)
    )
    return [_approval_out(a, v) for a, v in rows], total or 0


async def decide_approval(
    session: AsyncSession, staff: StaffPrincipal, approval_id: uuid.UUID, data: DecisionIn
) -> StaffApprovalOut:
    row = (
        await session.execute(
            sa.select(VisitorApproval, Visitor, Prisoner.facility_id)
            .join(Visitor, Visitor.id == VisitorApproval.visitor_id)
            .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
            .where(VisitorApproval.id == approval_id)
        )
    ).first()
    if row is None:
        raise NotFound("approval-not-found", "There is no such approval request.")
    approval, visitor, facility_id = row
    role = staff.role_for(facility_id, APPROVAL_ROLES)
    before = approval.status
    approval.status = data.status
    approval.reason = data.reason
    approval.court_permit_until = data.court_permit_until
    approval.decided_at = utcnow()
    approval.decided_by = staff.name
    record(
        session,
        staff.actor(role),
        "approval.decide",
        "visitor_approval",
        approval.id,
        facility_id=facility_id,
        reason=data.reason,
        changes={
            "status": [before.value, data.status.value],
            "court_permit_until": str(data.court_permit_until) if data.court_permit_until else None,
        },
    )
    return _approval_out(approval, visitor)


async def audit_trail(
    session: AsyncSession,
    staff: StaffPrincipal,
    object_type: str,
    object_id: str,
    *,
    limit: int,
    offset: int,
) -> tuple[list[AuditEventOut], int]:
    """An object's history, limited to events at the caller's facilities (admins: all)."""
    statement = sa.select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == object_id
    )
    if not staff.is_admin:
        statement = statement.where(AuditEvent.facility_id.in_(staff.facility_ids()))
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = await session.scalars(
        statement.order_by(AuditEvent.occurred_at, AuditEvent.id).limit(limit).offset(offset)
    )
    return [
        AuditEventOut(
            id=e.id,
            occurred_at=e.occurred_at,
            actor_type=e.actor_type,
            actor_id=e.actor_id,
            actor_role=e.actor_role,
            channel=e.channel,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            facility_id=e.facility_id,
            changes=e.changes,
            reason=e.reason,
        )
        for e in rows
    ], total or 0
