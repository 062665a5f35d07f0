"""Staff changes to rooms: capacity, child-friendly features, suitable age bands."""

from __future__ import annotations

import uuid

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.db.models import Room
from visits.errors import Conflict, NotFound
from visits.facilities import queries
from visits.facilities.schemas.staff import RoomIn, RoomUpdateIn
from visits.facilities.service.access import MANAGE_ROLES
from visits.facilities.service.changes import apply_changes, unique


def _room_exists(name: str) -> Conflict:
    return Conflict("room-exists", "A room called '%(name)s' exists.", name=name)


async def get_room(session: AsyncSession, room_id: uuid.UUID) -> Room:
    """The room, in use or not; 404 ``room-not-found`` when there is none."""
    room = await session.get(Room, room_id)
    if room is None:
        raise NotFound("room-not-found", "There is no such room.")
    return room


async def create_room(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: RoomIn
) -> Room:
    role = staff.role_for(facility_id, MANAGE_ROLES)
    await queries.facility_or_404(session, facility_id)
    if await session.scalar(
        sa.select(Room.id).where(Room.facility_id == facility_id, Room.name == data.name)
    ):
        raise _room_exists(data.name)
    values = msgspec.structs.asdict(data)
    values["features"] = sorted({str(f) for f in data.features})
    values["age_bands"] = sorted(
        {str(b) for b in data.age_bands}, key=lambda b: int(b.split("-")[0])
    )
    room = Room(facility_id=facility_id, **values)
    async with unique(session, _room_exists(data.name)):
        session.add(room)
    record(
        session,
        staff.actor(role),
        "room.create",
        "room",
        room.id,
        facility_id=facility_id,
        changes={"name": data.name},
    )
    return room


async def update_room(
    session: AsyncSession, staff: StaffPrincipal, room_id: uuid.UUID, data: RoomUpdateIn
) -> Room:
    room = await get_room(session, room_id)
    role = staff.role_for(room.facility_id, MANAGE_ROLES)
    if data.name is not None and data.name != room.name:
        taken = await session.scalar(
            sa.select(Room.id).where(Room.facility_id == room.facility_id, Room.name == data.name)
        )
        if taken is not None:
            raise _room_exists(data.name)
    async with unique(session, _room_exists(data.name or room.name)):
        changes = apply_changes(room, data)
    if changes:
        record(
            session,
            staff.actor(role),
            "room.update",
            "room",
            room.id,
            facility_id=room.facility_id,
            changes=changes,
        )
    return room
