"""Turning weekly slot templates into dated slots, DST-correctly and idempotently.

Templates speak local wall-clock time; slots are stored in UTC. Two moments a year the wall clock
is ambiguous, and the choice is deliberate:

* a local start that does not exist (spring forward, e.g. 02:30 in Europe/Berlin on the last
  Sunday of March) is moved forward by the length of the gap (03:30 local), the time a clock on
  the wall shows an hour after 01:30;
* a local start that occurs twice (fall back) is the first occurrence (summer time).

A slot lasts ``duration_minutes`` of real, elapsed time, even across a change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from dateutil.rrule import WEEKLY, rrule
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.base import utcnow
from visits.db.models import Closure, Facility, Room, Slot, SlotTemplate
from visits.enums import SlotStatus
from visits.rules.local_time import instant

INSERT_CHUNK = 500  # rows per INSERT, well below SQLite's bound-parameter limit


@dataclass(frozen=True)
class Occurrence:
    local_date: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time, by the rules in the module docstring (the
    rule engine reads school hours and other windows by the same rules)."""
    return instant(day, at, zone)


def occurrences(
    *,
    weekday: int,
    start_time: time,
    duration_minutes: int,
    interval_weeks: int,
    valid_from: date,
    valid_to: date | None,
    first: date,
    last: date,
    zone: ZoneInfo,
) -> list[Occurrence]:
    """Occurrences between ``first`` and ``last`` (inclusive, local dates).

    Every ``interval_weeks`` weeks counts from the first matching weekday on or after
    ``valid_from``, so the rhythm does not depend on when generation runs.
    """
    until = min(last, valid_to) if valid_to else last
    if until < max(first, valid_from):
        return []
    rule = rrule(
        WEEKLY,
        interval=interval_weeks,
        byweekday=weekday,
        dtstart=datetime.combine(valid_from, time()),
        until=datetime.combine(until, time()),
    )
    result = []
    for start in rule:
        day = start.date()
        if day < first:
            continue
        starts_at = local_to_utc(day, start_time, zone)
        result.append(Occurrence(day, starts_at, starts_at + timedelta(minutes=duration_minutes)))
    return result


def slot_capacity(template: SlotTemplate, room: Room) -> tuple[int, int, int]:
    """Tables, seats and children of a slot: the template's overrides, else the room's."""
    return (
        template.capacity_tables or room.capacity_tables,
        template.capacity_seats or room.capacity_seats,
        room.capacity_children
        if template.capacity_children is None
        else template.capacity_children,
    )


def _closed(day: date, room_id: uuid.UUID, closures: list[Closure]) -> Closure | None:
    for closure in closures:
        if closure.starts_on <= day <= closure.ends_on and closure.room_id in (None, room_id):
            return closure
    return None


async def generate_slots(session: AsyncSession, facility: Facility, first: date, last: date) -> int:
    """Create the missing slots of every active template of ``facility`` in ``[first, last]``.

    Existing slots are never touched, so running it again creates nothing. Slots that fall into
    a closure are created closed. Returns the number of slots created; the caller commits.
    """
    zone = ZoneInfo(facility.timezone)
    templates = (
        await session.scalars(
            sa.select(SlotTemplate)
            .join(Room, Room.id == SlotTemplate.room_id)
            .where(SlotTemplate.facility_id == facility.id, SlotTemplate.is_active, Room.is_active)
        )
    ).all()
    closures = list(
        (
            await session.scalars(
                sa.select(Closure).where(
                    Closure.facility_id == facility.id,
                    Closure.ends_on >= first,
                    Closure.starts_on <= last,
                )
            )
        ).all()
    )
    rooms = {
        room.id: room
        for room in await session.scalars(sa.select(Room).where(Room.facility_id == facility.id))
    }
    now = utcnow()
    rows = []
    for template in templates:
        room = rooms[template.room_id]
        tables, seats, children = slot_capacity(template, room)
        for occurrence in occurrences(
            weekday=template.weekday,
            start_time=template.start_time,
            duration_minutes=template.duration_minutes,
            interval_weeks=template.interval_weeks,
            valid_from=template.valid_from,
            valid_to=template.valid_to,
            first=first,
            last=last,
            zone=zone,
        ):
            closure = _closed(occurrence.local_date, room.id, closures)
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "facility_id": facility.id,
                    "room_id": room.id,
                    "template_id": template.id,
                    "visit_type": template.visit_type,
                    "starts_at": occurrence.starts_at,
                    "ends_at": occurrence.ends_at,
                    "local_date": occurrence.local_date,
                    "capacity_tables": tables,
                    "capacity_seats": seats,
                    "capacity_children": children,
                    "booked_tables": 0,
                    "booked_seats": 0,
                    "booked_children": 0,
                    "status": SlotStatus.CLOSED if closure else SlotStatus.OPEN,
                    "status_reason": closure.reason if closure else None,
                    "closure_id": closure.id if closure else None,
                    "bookable_by": template.bookable_by,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    created = 0
    for chunk in range(0, len(rows), INSERT_CHUNK):
        result = await session.execute(
            insert(Slot)
            .values(rows[chunk : chunk + INSERT_CHUNK])
            .on_conflict_do_nothing(index_elements=["room_id", "starts_at"])
            .returning(Slot.id)
        )
        created += len(result.all())
    return created
