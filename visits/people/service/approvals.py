"""Staff decisions on visitor approvals (CF-04)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import Visitor, VisitorApproval
from visits.enums import ApprovalStatus, NoticeKind
from visits.errors import NotFound
from visits.facilities.queries import facility_or_404
from visits.i18n import N_
from visits.notify import outbox
from visits.people import queries
from visits.people.schemas import (
    DecisionIn,
    StaffApprovalOut,
)
from visits.people.service.roles import APPROVAL_ROLES, READ_ROLES
from visits.validation import field_error, invalid_body


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
    rows, total = await queries.approvals_at(
        session, facility_id, status, limit=limit, offset=offset
    )
    return [_approval_out(row.approval, row.visitor) for row in rows], total


def _approval_not_found() -> NotFound:
    return NotFound("approval-not-found", "There is no such approval request.")


_PERMIT_REQUIRED = N_(
    "is required: the prisoner is on remand and the facility needs a court permit"
)


async def decide_approval(
    session: AsyncSession,
    staff: StaffPrincipal,
    approval_id: uuid.UUID,
    data: DecisionIn,
    *,
    facility_id: uuid.UUID | None = None,
) -> StaffApprovalOut:
    """Approve or reject a visitor for a prisoner (CF-04), for the roles that may (the API and
    the console alike; ``facility_id``: only an approval at that facility, else not found).

    Approving for a prisoner on remand where the facility's profile needs a court permit needs
    its last day. The decision is audited with its reason, and the household is told through
    the notice outbox: the outcome, a court permit's last day, and a rejection's reason only
    where staff chose to tell it (``share_reason``; never a safeguarding reason)."""
    found = await queries.approval_row(session, approval_id, facility_id=facility_id, lock=True)
    if found is None:
        raise _approval_not_found()
    approval, prisoner = found.approval, found.prisoner
    role = staff.role_for(prisoner.facility_id, APPROVAL_ROLES)
    facility = await facility_or_404(session, prisoner.facility_id)
    approving = data.status is ApprovalStatus.APPROVED
    permit = approving and queries.permit_needed(prisoner, facility)
    if permit and data.court_permit_until is None:
        raise invalid_body([field_error("court_permit_until", _PERMIT_REQUIRED)])
    before = approval.status
    approval.status = data.status
    approval.reason = data.reason
    approval.court_permit_until = data.court_permit_until if approving else None
    approval.decided_at = utcnow()
    approval.decided_by = staff.name
    told = not approving and data.share_reason
    record(
        session,
        staff.actor(role),
        "approval.decide",
        "visitor_approval",
        approval.id,
        facility_id=prisoner.facility_id,
        reason=data.reason,
        changes={
            "status": [before.value, data.status.value],
            "court_permit_until": (
                str(approval.court_permit_until) if approval.court_permit_until else None
            ),
            "reason_told": told,
        },
    )
    last_day = approval.court_permit_until if permit else None
    outbox.tell_household_of(
        session,
        found.household,
        NoticeKind.APPROVAL_GIVEN if approving else NoticeKind.APPROVAL_DENIED,
        {
            "facility": facility.name,
            "until": last_day.isoformat() if last_day else "",
            "reason": data.reason if told else "",
        },
    )
    await session.flush()
    return _approval_out(approval, found.visitor)
