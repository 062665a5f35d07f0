"""Staff management of facilities, family information and rooms."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import ALL_ROLES, StaffPrincipal
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import Facility, FacilityInformation, Room, Slot
from visits.enums import StaffRole
from visits.errors import ProblemError
from visits.facilities.staff_schemas import (
    FacilityIn,
    FacilityUpdateIn,
    InformationIn,
    InformationOut,
    RoomIn,
    RoomUpdateIn,
)
from visits.rules.profiles import available_profiles
from visits.validation import field_error, invalid_body, normalise_email

READ_ROLES = ALL_ROLES
MANAGE_ROLES = frozenset({StaffRole.VISITS_MANAGER})
ADMIN_ONLY = frozenset({StaffRole.ADMIN})


def _changes(target: object, data: msgspec.Struct, skip: set[str] = frozenset()) -> dict[str, Any]:  # type: ignore[assignment]
    """Apply the fields of ``data`` that are set and differ; return them as [old, new] pairs."""
    changes: dict[str, Any] = {}
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if name in skip or value is None:
            continue
        if isinstance(value, list):
            value = (
                sorted({int(v) for v in value}, reverse=True)
                if name.endswith("_hours")
                else [str(v) for v in value]
            )
        old = getattr(target, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(target, name, value)
    return changes


def _plain(value: object) -> object:
    return value if isinstance(value, (str, int, bool, list, type(None))) else str(value)


def _check_profile(name: str | None) -> list[dict[str, Any]]:
    if name is not None and name not in available_profiles():
        options = ", ".join(available_profiles())
        return [field_error("rule_profile", f"unknown profile {name!r}; choose one of {options}")]
    return []


def _check_email(value: str | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    try:
        normalise_email(value)
    except ValueError as exc:
        return [field_error("email", str(exc))]
    return []


async def _flush_unique(session: AsyncSession, conflict: ProblemError) -> None:
    """Flush; a unique constraint that a concurrent request won first becomes ``conflict``
    (the check before the insert cannot see a row that is not committed yet)."""
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise conflict from None


def _room_exists(name: str) -> ProblemError:
    return ProblemError(409, "room-exists", f"A room called {name!r} exists.")


async def get_facility(session: AsyncSession, facility_id: uuid.UUID) -> Facility:
    facility = await session.get(Facility, facility_id)
    if facility is None:
        raise ProblemError(404, "facility-not-found", f"There is no facility {facility_id}.")
    return facility


async def create_facility(
    session: AsyncSession, staff: StaffPrincipal, data: FacilityIn
) -> Facility:
    role = staff.role_for(None, ADMIN_ONLY)
    errors = _check_profile(data.rule_profile) + _check_email(data.email)
    if errors:
        raise invalid_body(errors)
    if await session.scalar(sa.select(Facility.id).where(Facility.slug == data.slug)):
        raise ProblemError(409, "facility-exists", f"The slug {data.slug!r} is taken.")
    values = msgspec.structs.asdict(data)
    values["languages"] = [str(v) for v in data.languages]
    facility = Facility(**values)
    session.add(facility)
    await _flush_unique(
        session, ProblemError(409, "facility-exists", f"The slug {data.slug!r} is taken.")
    )
    record(
        session,
        staff.actor(role),
        "facility.create",
        "facility",
        facility.id,
        facility_id=facility.id,
        changes={"slug": data.slug},
    )
    await session.commit()
    return facility


async def update_facility(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: FacilityUpdateIn
) -> Facility:
    role = staff.role_for(facility_id, MANAGE_ROLES)
    facility = await get_facility(session, facility_id)
    errors = _check_profile(data.rule_profile) + _check_email(data.email)
    if errors:
        raise invalid_body(errors)
    if data.timezone is not None and data.timezone != facility.timezone:
        has_future = await session.scalar(
            sa.select(Slot.id)
            .where(Slot.facility_id == facility.id, Slot.ends_at > utcnow())
            .limit(1)
        )
        if has_future:
            raise ProblemError(
                409,
                "timezone-in-use",
                "The facility has upcoming slots in its current time zone. Close or remove them "
                "before changing the time zone.",
            )
    changes = _changes(facility, data)
    if changes:
        record(
            session,
            staff.actor(role),
            "facility.update",
            "facility",
            facility.id,
            facility_id=facility.id,
            changes=changes,
        )
    await session.commit()
    return facility


def information_out(item: FacilityInformation) -> InformationOut:
    return InformationOut(
        id=item.id,
        language=item.language,
        age_band=item.age_band,  # type: ignore[arg-type]
        topic=item.topic,
        title=item.title,
        body=item.body,
    )


async def put_information(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: InformationIn
) -> FacilityInformation:
    """Create or replace the text for one language, age band and topic."""
    role = staff.role_for(facility_id, MANAGE_ROLES)
    await get_facility(session, facility_id)
    band = data.age_band.value if data.age_band else None
    item = await session.scalar(
        sa.select(FacilityInformation).where(
            FacilityInformation.facility_id == facility_id,
            FacilityInformation.language == data.language,
            FacilityInformation.topic == data.topic,
            FacilityInformation.age_band.is_(None)
            if band is None
            else FacilityInformation.age_band == band,
        )
    )
    if item is None:
        item = FacilityInformation(
            facility_id=facility_id,
            language=data.language,
            age_band=band,
            topic=data.topic,
            title=data.title,
            body=data.body,
        )
        session.add(item)
    else:
        item.title, item.body = data.title, data.body
    await session.flush()
    record(
        session,
        staff.actor(role),
        "information.put",
        "facility_information",
        item.id,
        facility_id=facility_id,
        changes={"language": data.language.value, "age_band": band, "topic": data.topic},
    )
    await session.commit()
    return item


async def delete_information(
    session: AsyncSession, staff: StaffPrincipal, information_id: uuid.UUID
) -> None:
    item = await session.get(FacilityInformation, information_id)
    if item is None:
        raise ProblemError(404, "information-not-found", "There is no such information text.")
    role = staff.role_for(item.facility_id, MANAGE_ROLES)
    record(
        session,
        staff.actor(role),
        "information.delete",
        "facility_information",
        item.id,
        facility_id=item.facility_id,
    )
    await session.delete(item)
    await session.commit()


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


async def get_room(session: AsyncSession, room_id: uuid.UUID) -> Room:
    room = await session.get(Room, room_id)
    if room is None:
        raise ProblemError(404, "room-not-found", "There is no such room.")
    return room


async def create_room(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: RoomIn
) -> Room:
    role = staff.role_for(facility_id, MANAGE_ROLES)
    await get_facility(session, facility_id)
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
    session.add(room)
    await _flush_unique(session, _room_exists(data.name))
    record(
        session,
        staff.actor(role),
        "room.create",
        "room",
        room.id,
        facility_id=facility_id,
        changes={"name": data.name},
    )
    await session.commit()
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
    changes = _changes(room, data)
    await _flush_unique(session, _room_exists(room.name))
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
    await session.commit()
    return room
