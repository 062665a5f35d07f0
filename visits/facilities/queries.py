"""Reads of facilities, rooms, slots, templates and closures, composed by controllers, pages,
services and other domains. A listing returns one page and the total count."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.db.base import utcnow
from visits.db.models import Closure, Facility, FacilityInformation, Room, Slot, SlotTemplate, Visit
from visits.enums import ACTIVE_VISIT_STATES, BookableBy, SlotStatus, VisitType
from visits.errors import NotFound


async def _page(
    session: AsyncSession, statement: sa.Select[*tuple[Any, ...]], limit: int, offset: int
) -> tuple[Sequence[Any], int]:
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = (await session.execute(statement.limit(limit).offset(offset))).all()
    return rows, total or 0


async def list_facilities(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[Facility], int]:
    statement = sa.select(Facility).where(Facility.is_active).order_by(Facility.name, Facility.id)
    rows, total = await _page(session, statement, limit, offset)
    return [row[0] for row in rows], total


async def facility_or_404(
    session: AsyncSession, facility_id: uuid.UUID, *, active_only: bool = False
) -> Facility:
    """The facility (only an active one with ``active_only``, as the public sees them); 404
    ``facility-not-found`` when there is none."""
    facility = await session.get(Facility, facility_id)
    if facility is None or (active_only and not facility.is_active):
        raise NotFound(
            "facility-not-found",
            "There is no facility %(facility_id)s.",
            facility_id=facility_id,
        )
    return facility


async def room_in(session: AsyncSession, facility_id: uuid.UUID, room_id: uuid.UUID) -> Room | None:
    """The room ``room_id`` if it belongs to the facility (in use or not), else None."""
    room = await session.get(Room, room_id)
    return room if room is not None and room.facility_id == facility_id else None


async def room_at(session: AsyncSession, facility_id: uuid.UUID, room_id: uuid.UUID) -> Room:
    """The room of this facility; 404 ``room-not-found`` when the facility has no such room."""
    room = await room_in(session, facility_id, room_id)
    if room is None:
        raise NotFound("room-not-found", "There is no such room.")
    return room


async def public_information(
    session: AsyncSession, facility_id: uuid.UUID, language: str, age_band: str | None
) -> list[FacilityInformation]:
    """Texts for everyone in ``language`` plus those for ``age_band`` (CF-21)."""
    bands: list[sa.ColumnElement[bool]] = [FacilityInformation.age_band.is_(None)]
    if age_band is not None:
        bands.append(FacilityInformation.age_band == age_band)
    rows = await session.scalars(
        sa.select(FacilityInformation)
        .where(
            FacilityInformation.facility_id == facility_id,
            FacilityInformation.language == language,
            sa.or_(*bands),
        )
        .order_by(FacilityInformation.age_band.is_not(None), FacilityInformation.topic)
    )
    return list(rows)


async def list_rooms(
    session: AsyncSession, facility_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Room], int]:
    statement = (
        sa.select(Room)
        .where(Room.facility_id == facility_id, Room.is_active)
        .order_by(Room.name, Room.id)
    )
    rows, total = await _page(session, statement, limit, offset)
    return [row[0] for row in rows], total


@dataclass(frozen=True)
class SlotFilter:
    """Public slot search. Dates are local dates of the facility, both ends inclusive."""

    date_from: date
    date_to: date
    facility_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    visit_type: VisitType | None = None
    room_feature: str | None = None


@dataclass(frozen=True)
class SlotRow:
    slot: Slot
    room_name: str
    timezone: str


async def list_public_slots(
    session: AsyncSession, criteria: SlotFilter, *, limit: int, offset: int
) -> tuple[list[SlotRow], int]:
    """Open, not yet started slots the public may book, in time order."""
    statement = (
        sa.select(Slot, Room.name, Facility.timezone)
        .join(Room, Room.id == Slot.room_id)
        .join(Facility, Facility.id == Slot.facility_id)
        .where(
            Slot.status == SlotStatus.OPEN,
            Slot.bookable_by == BookableBy.PUBLIC,
            Slot.local_date >= criteria.date_from,
            Slot.local_date <= criteria.date_to,
            Slot.starts_at > utcnow(),
            Facility.is_active,
        )
        .order_by(Slot.starts_at, Room.name, Slot.id)
    )
    if criteria.facility_id is not None:
        statement = statement.where(Slot.facility_id == criteria.facility_id)
    if criteria.room_id is not None:
        statement = statement.where(Slot.room_id == criteria.room_id)
    if criteria.visit_type is not None:
        statement = statement.where(Slot.visit_type == criteria.visit_type)
    if criteria.room_feature is not None:
        # Features are a JSON list; rooms are few, so match them in Python, portably.
        rooms = (await session.execute(sa.select(Room.id, Room.features))).all()
        wanted = [room.id for room in rooms if criteria.room_feature in room.features]
        statement = statement.where(Slot.room_id.in_(wanted))
    rows, total = await _page(session, statement, limit, offset)
    return [SlotRow(row[0], row[1], row[2]) for row in rows], total


async def list_templates(
    session: AsyncSession, facility_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[SlotTemplate], int]:
    """The facility's slot templates, active or not, by weekday and start time."""
    statement = (
        sa.select(SlotTemplate)
        .where(SlotTemplate.facility_id == facility_id)
        .order_by(SlotTemplate.weekday, SlotTemplate.start_time, SlotTemplate.id)
    )
    rows, total = await _page(session, statement, limit, offset)
    return [row[0] for row in rows], total


async def list_closures(
    session: AsyncSession, facility_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Closure], int]:
    """The facility's closures, latest first."""
    statement = (
        sa.select(Closure)
        .where(Closure.facility_id == facility_id)
        .order_by(Closure.starts_on.desc(), Closure.id)
    )
    rows, total = await _page(session, statement, limit, offset)
    return [row[0] for row in rows], total


async def slots_between(
    session: AsyncSession,
    facility_id: uuid.UUID,
    room_id: uuid.UUID | None,
    starts_on: date,
    ends_on: date,
) -> list[Slot]:
    """The facility's (or one room's) slots on local dates ``starts_on`` to ``ends_on``, except
    cancelled ones."""
    statement = sa.select(Slot).where(
        Slot.facility_id == facility_id,
        Slot.local_date >= starts_on,
        Slot.local_date <= ends_on,
        Slot.status != SlotStatus.CANCELLED,
    )
    if room_id is not None:
        statement = statement.where(Slot.room_id == room_id)
    return list(await session.scalars(statement))


async def active_visits(session: AsyncSession, slot_ids: Sequence[uuid.UUID]) -> list[Visit]:
    """The visits booked in these slots (held, requested or confirmed), in time order."""
    if not slot_ids:
        return []
    rows = await session.scalars(
        sa.select(Visit)
        .where(Visit.slot_id.in_(list(slot_ids)), Visit.status.in_(ACTIVE_VISIT_STATES))
        .order_by(Visit.starts_at, Visit.id)
    )
    return list(rows)


async def facility_and_room_of(session: AsyncSession, slot_id: uuid.UUID) -> tuple[Facility, str]:
    """The facility of a slot and the name of its room (where a visit takes place)."""
    facility, room_name = (
        await session.execute(
            sa.select(Facility, Room.name)
            .join(Slot, Slot.facility_id == Facility.id)
            .join(Room, Room.id == Slot.room_id)
            .where(Slot.id == slot_id)
        )
    ).one()
    return facility, room_name


async def facility_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    """Every facility's name by id, also of one no longer active (its approvals stay)."""
    rows = await session.execute(sa.select(Facility.id, Facility.name))
    return {facility_id: name for facility_id, name in rows}


async def facilities_of_staff(session: AsyncSession, staff: StaffPrincipal) -> list[Facility]:
    """The facilities a staff member works in (every facility for an administrator), by name."""
    statement = sa.select(Facility).order_by(Facility.name, Facility.id)
    if not staff.is_admin:
        statement = statement.where(Facility.id.in_(staff.facility_ids()))
    return list(await session.scalars(statement))


async def open_slots_ahead(
    session: AsyncSession, facility_id: uuid.UUID, *, weeks: int, limit: int
) -> list[tuple[Slot, str]]:
    """The facility's open slots from now on for ``weeks`` weeks, each with its room's name, in
    time order (at most ``limit``): the choices of a phone booking."""
    now = utcnow()
    rows = await session.execute(
        sa.select(Slot, Room.name)
        .join(Room, Room.id == Slot.room_id)
        .where(
            Slot.facility_id == facility_id,
            Slot.status == SlotStatus.OPEN,
            Slot.starts_at > now,
            Slot.starts_at < now + timedelta(weeks=weeks),
        )
        .order_by(Slot.starts_at, Room.name)
        .limit(limit)
    )
    return [(slot, room_name) for slot, room_name in rows]


async def slots_with_visits(session: AsyncSession, slot_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``slot_ids`` that any visit points at, in whatever state (a slot that a
    cancelled visit or a lapsed hold remembers cannot be deleted)."""
    if not slot_ids:
        return set()
    rows = await session.scalars(
        sa.select(Visit.slot_id).where(Visit.slot_id.in_(slot_ids)).distinct()
    )
    return set(rows)


async def visits_ahead(
    session: AsyncSession,
    *,
    room_id: uuid.UUID | None = None,
    template_id: uuid.UUID | None = None,
) -> list[Visit]:
    """The booked visits (held, requested or confirmed) of slots not begun yet, in one room or
    of one template's slots, in time order: what removing the room or template would touch."""
    statement = (
        sa.select(Visit)
        .join(Slot, Slot.id == Visit.slot_id)
        .where(Slot.starts_at > utcnow(), Visit.status.in_(ACTIVE_VISIT_STATES))
        .order_by(Visit.starts_at, Visit.id)
    )
    if room_id is not None:
        statement = statement.where(Slot.room_id == room_id)
    if template_id is not None:
        statement = statement.where(Slot.template_id == template_id)
    return list(await session.scalars(statement))
