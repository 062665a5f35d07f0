"""Staff changes to rooms: capacity, child-friendly features, suitable age bands, and taking a
room out of use."""

from __future__ import annotations

import uuid

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import Room, Slot, SlotTemplate
from visits.enums import SlotStatus
from visits.errors import Conflict, NotFound
from visits.facilities import queries
from visits.facilities.schemas.staff import RoomIn, RoomUpdateIn
from visits.facilities.service.access import MANAGE_ROLES
from visits.facilities.service.changes import apply_changes, unique
from visits.i18n import N_plural, translate_plural


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


class InUse(Conflict):
    """409: visits booked ahead keep a room or a template in use; the detail counts them in
    the reader's language (``forms``: the singular and plural message, ``%(num)d`` the count)."""

    def __init__(self, slug: str, forms: tuple[str, str], booked: int) -> None:
        super().__init__(slug, forms[1], num=booked)
        self.forms = forms

    def text(self, language: str) -> str:
        return translate_plural(language, *self.forms, int(self.params["num"]))


ROOM_IN_USE = N_plural(
    "The room has %(num)d booked visit ahead. Move or cancel it first.",
    "The room has %(num)d booked visits ahead. Move or cancel them first.",
)


def room_in_use(booked: int) -> Conflict:
    return InUse("room-in-use", ROOM_IN_USE, booked)


async def _retire(session: AsyncSession, room: Room) -> dict[str, int]:
    """A room taken out of use: its templates end, its free slots ahead go (deleted, or closed
    where a cancelled visit or lapsed hold still points at one). The caller has made sure no
    booked visit lies ahead."""
    templates = list(
        await session.scalars(
            sa.select(SlotTemplate).where(SlotTemplate.room_id == room.id, SlotTemplate.is_active)
        )
    )
    for template in templates:
        template.is_active = False
    ahead = list(
        await session.scalars(
            sa.select(Slot).where(
                Slot.room_id == room.id,
                Slot.starts_at > utcnow(),
                Slot.status != SlotStatus.CANCELLED,
            )
        )
    )
    remembered = await queries.slots_with_visits(session, [slot.id for slot in ahead])
    for slot in ahead:
        if slot.id in remembered:
            slot.status, slot.template_id = SlotStatus.CLOSED, None
        else:
            await session.delete(slot)
    await session.flush()
    return {"templates_ended": len(templates), "slots_removed": len(ahead)}


async def update_room(
    session: AsyncSession, staff: StaffPrincipal, room_id: uuid.UUID, data: RoomUpdateIn
) -> Room:
    """Change the room. Taking it out of use (``is_active`` false) is refused while booked
    visits lie ahead in it (409 ``room-in-use``: staff move or cancel them first, and the
    families are told); otherwise its templates end and its free slots ahead go."""
    room = await get_room(session, room_id)
    role = staff.role_for(room.facility_id, MANAGE_ROLES)
    retiring = data.is_active is False and room.is_active
    if retiring:
        booked = await queries.visits_ahead(session, room_id=room.id)
        if booked:
            raise room_in_use(len(booked))
    if data.name is not None and data.name != room.name:
        taken = await session.scalar(
            sa.select(Room.id).where(Room.facility_id == room.facility_id, Room.name == data.name)
        )
        if taken is not None:
            raise _room_exists(data.name)
    async with unique(session, _room_exists(data.name or room.name)):
        changes = apply_changes(room, data)
    if retiring:
        changes |= await _retire(session, room)
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
