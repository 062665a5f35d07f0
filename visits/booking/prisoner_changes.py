"""A prisoner moves: transfer to another facility, or release. Their visits follow.

What happens to visits (decided here, documented in the API and the console):

* **Release** on a day: every held, requested or confirmed visit from that day on is cancelled
  (a visit before it, when the day is still ahead, stays). The prisoner can no longer be
  chosen for new bookings (``people.queries.visitable`` leaves released prisoners out).
* **Transfer**: the prisoner is no longer held at the facility, so every upcoming visit there is
  cancelled at once (there is no one to visit; a visit cannot move to another facility).
  Visitor approvals and restrictions stay with the prisoner, so families book at the new
  facility as before.

Each cancellation goes through ``booking.service.cancel`` as a staff cancellation: capacity and
allowance are given back, the calendar invite is cancelled, and the household is told through
the notice outbox, in its language, only that the person it visits is no longer held at the
facility (never whether released or where to, nor the staff's reason, which stays in the audit
trail).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.booking.service import Caller, cancel
from visits.db.base import utcnow
from visits.db.models import Household, Prisoner, Visit
from visits.enums import ACTIVE_VISIT_STATES, StaffRole
from visits.errors import Conflict
from visits.facilities.queries import facility_or_404
from visits.i18n import DEFAULT_LANGUAGE, N_, translate
from visits.people.schemas import ReleaseIn, TransferIn
from visits.people.service.prisoners import staff_prisoner
from visits.people.service.roles import PRISONER_EDIT_ROLES
from visits.rules.local_time import instant
from visits.settings import Settings
from visits.validation import field_error, invalid_body

# What the household reads after "cancelled by the facility:" (release and transfer alike).
FAMILY_REASON = N_("the person you visit is no longer held at this facility")


@dataclass(frozen=True)
class PrisonerChange:
    prisoner: Prisoner
    cancelled: list[Visit]


async def _upcoming_visits(
    session: AsyncSession,
    prisoner: Prisoner,
    facility_id: uuid.UUID,
    since: date | None,
    *,
    lock: bool = True,
) -> list[Visit]:
    """The prisoner's held, requested or confirmed visits at the facility that start from now
    (and from the local midnight starting ``since``), locked, earliest first."""
    facility = await facility_or_404(session, facility_id)
    start = utcnow()
    if since is not None:
        start = max(start, instant(since, time(), ZoneInfo(facility.timezone)))
    statement = (
        sa.select(Visit)
        .where(
            Visit.prisoner_id == prisoner.id,
            Visit.facility_id == facility_id,
            Visit.status.in_(ACTIVE_VISIT_STATES),
            Visit.starts_at >= start,
        )
        .order_by(Visit.starts_at, Visit.id)
    )
    return list(await session.scalars(statement.with_for_update() if lock else statement))


async def visits_to_cancel(
    session: AsyncSession, prisoner: Prisoner, since: date | None
) -> list[Visit]:
    """The visits a release on ``since`` (a transfer: ``None``) would cancel if made now, for
    staff to see before they confirm it (read only, nothing locked)."""
    return await _upcoming_visits(session, prisoner, prisoner.facility_id, since, lock=False)


async def _cancel_all(
    session: AsyncSession,
    staff: StaffPrincipal,
    role: StaffRole,
    visits: list[Visit],
    settings: Settings,
) -> None:
    caller = Caller(actor=staff.actor(role), staff_role=role, staff_name=staff.name)
    for visit in visits:
        household = await session.get(Household, visit.household_id) if visit.household_id else None
        language = household.language.value if household is not None else DEFAULT_LANGUAGE
        await cancel(
            session,
            caller,
            visit,
            reason=translate(language, FAMILY_REASON),
            cutoff_hours=0,
            settings=settings,
        )


async def release(
    session: AsyncSession,
    staff: StaffPrincipal,
    prisoner_id: uuid.UUID,
    data: ReleaseIn,
    settings: Settings,
    *,
    facility_id: uuid.UUID | None = None,
) -> PrisonerChange:
    """Record the release day and cancel the visits from that day on (households told)."""
    prisoner, role = await staff_prisoner(
        session, staff, prisoner_id, PRISONER_EDIT_ROLES, facility_id=facility_id, lock=True
    )
    if prisoner.released_on is not None:
        raise Conflict("prisoner-released", "The prisoner was released already.")
    if data.released_on < prisoner.admission_date:
        raise invalid_body([field_error("released_on", N_("must not be before the admission"))])
    visits = await _upcoming_visits(session, prisoner, prisoner.facility_id, data.released_on)
    prisoner.released_on = data.released_on
    await _cancel_all(session, staff, role, visits, settings)
    record(
        session,
        staff.actor(role),
        "prisoner.release",
        "prisoner",
        prisoner.id,
        facility_id=prisoner.facility_id,
        changes={
            "released_on": data.released_on.isoformat(),
            "cancelled_visits": [v.reference for v in visits],
        },
        reason=data.reason,
    )
    await session.flush()
    return PrisonerChange(prisoner, visits)


async def transfer(
    session: AsyncSession,
    staff: StaffPrincipal,
    prisoner_id: uuid.UUID,
    data: TransferIn,
    settings: Settings,
    *,
    facility_id: uuid.UUID | None = None,
) -> PrisonerChange:
    """Move the prisoner to another facility (by staff of the facility they leave) and cancel
    their upcoming visits at the one they leave (households told)."""
    prisoner, role = await staff_prisoner(
        session, staff, prisoner_id, PRISONER_EDIT_ROLES, facility_id=facility_id, lock=True
    )
    if prisoner.released_on is not None:
        raise Conflict("prisoner-released", "The prisoner was released already.")
    if data.facility_id == prisoner.facility_id:
        raise invalid_body(
            [field_error("facility_id", N_("the prisoner is held at this facility"))]
        )
    target = await facility_or_404(session, data.facility_id)
    if not target.is_active:
        raise invalid_body([field_error("facility_id", N_("the facility takes no visits"))])
    number = data.prison_number or prisoner.prison_number
    taken = await session.scalar(
        sa.select(Prisoner.id).where(
            Prisoner.facility_id == target.id, Prisoner.prison_number == number
        )
    )
    if taken is not None:
        raise Conflict("prisoner-exists", "This prison number is already registered.")
    left = prisoner.facility_id
    visits = await _upcoming_visits(session, prisoner, left, None)
    await _cancel_all(session, staff, role, visits, settings)
    before = prisoner.prison_number
    try:
        async with session.begin_nested():  # the number taken there by a parallel request
            prisoner.facility_id, prisoner.prison_number = target.id, number
    except IntegrityError:
        raise Conflict("prisoner-exists", "This prison number is already registered.") from None
    changes = {
        "facility_id": [str(left), str(target.id)],
        "prison_number": [before, number],
        "cancelled_visits": [v.reference for v in visits],
    }
    for where in (left, target.id):  # each facility's trail shows the move
        record(
            session,
            staff.actor(role),
            "prisoner.transfer",
            "prisoner",
            prisoner.id,
            facility_id=where,
            changes=changes,
            reason=data.reason,
        )
    await session.flush()
    return PrisonerChange(prisoner, visits)
