"""Closures: the slots inside close; booked visits are flagged for review, never cancelled."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.db.models import Closure, Slot
from visits.enums import SlotStatus
from visits.errors import NotFound
from visits.facilities import queries
from visits.facilities.schemas.staff import ClosureIn, ClosureOut, FlaggedVisit
from visits.facilities.service.access import MANAGE_ROLES, READ_ROLES
from visits.facilities.service.review import flag
from visits.i18n import N_
from visits.rules.review import CLOSURE, staff_reason
from visits.validation import field_error, invalid_body


async def _check_room(
    session: AsyncSession, facility_id: uuid.UUID, room_id: uuid.UUID | None
) -> None:
    if room_id is None:
        return
    if await queries.room_in(session, facility_id, room_id) is None:
        raise invalid_body([field_error("room_id", N_("no such room at this facility"))])


async def preview(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: ClosureIn
) -> list[FlaggedVisit]:
    """The booked visits a closure would flag, before it is saved."""
    staff.role_for(facility_id, READ_ROLES)
    await queries.facility_or_404(session, facility_id)
    await _check_room(session, facility_id, data.room_id)
    slots = await queries.slots_between(
        session, facility_id, data.room_id, data.starts_on, data.ends_on
    )
    visits = await queries.active_visits(session, [s.id for s in slots])
    return [
        FlaggedVisit(v.id, v.reference, v.starts_at, _room_of(slots, v.slot_id)) for v in visits
    ]


def _room_of(slots: list[Slot], slot_id: uuid.UUID) -> uuid.UUID:
    return next(s.room_id for s in slots if s.id == slot_id)


async def create_closure(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: ClosureIn
) -> ClosureOut:
    role = staff.role_for(facility_id, MANAGE_ROLES)
    await queries.facility_or_404(session, facility_id)
    await _check_room(session, facility_id, data.room_id)
    closure = Closure(
        facility_id=facility_id,
        room_id=data.room_id,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        reason=data.reason,
    )
    session.add(closure)
    await session.flush()
    slots = await queries.slots_between(
        session, facility_id, data.room_id, data.starts_on, data.ends_on
    )
    for slot in slots:
        if slot.status == SlotStatus.OPEN:
            slot.status, slot.status_reason, slot.closure_id = (
                SlotStatus.CLOSED,
                data.reason,
                closure.id,
            )
    visits = await queries.active_visits(session, [s.id for s in slots])
    await flag(session, visits, staff_reason(CLOSURE, data.reason))
    flagged = [
        FlaggedVisit(v.id, v.reference, v.starts_at, _room_of(slots, v.slot_id)) for v in visits
    ]
    record(
        session,
        staff.actor(role),
        "closure.create",
        "closure",
        closure.id,
        facility_id=facility_id,
        reason=data.reason,
        changes={
            "starts_on": data.starts_on.isoformat(),
            "ends_on": data.ends_on.isoformat(),
            "room_id": str(data.room_id) if data.room_id else None,
            "slots_closed": len(slots),
            "visits_flagged": [str(v.visit_id) for v in flagged],
        },
    )
    return ClosureOut(
        closure.id,
        facility_id,
        data.room_id,
        data.starts_on,
        data.ends_on,
        data.reason,
        len(slots),
        flagged,
    )


async def delete_closure(
    session: AsyncSession, staff: StaffPrincipal, closure_id: uuid.UUID
) -> int:
    """Remove a closure and reopen exactly the slots it closed. Returns the number reopened."""
    closure = await session.get(Closure, closure_id)
    if closure is None:
        raise NotFound("closure-not-found", "There is no such closure.")
    role = staff.role_for(closure.facility_id, MANAGE_ROLES)
    result = await session.execute(
        sa.update(Slot)
        .where(Slot.closure_id == closure.id, Slot.status == SlotStatus.CLOSED)
        .values(status=SlotStatus.OPEN, status_reason=None, closure_id=None)
    )
    reopened = int(result.rowcount or 0)  # type: ignore[attr-defined]
    record(
        session,
        staff.actor(role),
        "closure.delete",
        "closure",
        closure.id,
        facility_id=closure.facility_id,
        changes={"slots_reopened": reopened},
    )
    await session.delete(closure)
    await session.flush()
    return reopened


async def list_closures(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Closure], int]:
    staff.role_for(facility_id, READ_ROLES)
    await queries.facility_or_404(session, facility_id)
    return await queries.list_closures(session, facility_id, limit=limit, offset=offset)
