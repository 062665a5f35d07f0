"""Slot templates → dated slots: local wall-clock times across DST, rhythm, idempotency."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Closure, Facility, Room, Slot, SlotTemplate
from visits.enums import SlotStatus, VisitType
from visits.facilities.slot_generation import Occurrence, generate_slots, local_to_utc, occurrences

BERLIN = ZoneInfo("Europe/Berlin")
LONDON = ZoneInfo("Europe/London")


def weekly(
    weekday: int,
    at: time,
    first: date,
    last: date,
    zone: ZoneInfo,
    *,
    interval: int = 1,
    valid_from: date | None = None,
    valid_to: date | None = None,
    minutes: int = 120,
) -> list[Occurrence]:
    return occurrences(
        weekday=weekday,
        start_time=at,
        duration_minutes=minutes,
        interval_weeks=interval,
        valid_from=valid_from or first,
        valid_to=valid_to,
        first=first,
        last=last,
        zone=zone,
    )


@pytest.mark.parametrize(
    ("zone", "spring_sunday", "autumn_sunday"),
    [
        (BERLIN, date(2026, 3, 29), date(2026, 10, 25)),
        (LONDON, date(2026, 3, 29), date(2026, 10, 25)),
    ],
)
def test_local_start_time_holds_on_both_sides_of_each_change(
    zone: ZoneInfo, spring_sunday: date, autumn_sunday: date
) -> None:
    for change in (spring_sunday, autumn_sunday):
        found = weekly(6, time(14, 0), change - timedelta(days=7), change + timedelta(days=7), zone)
        assert [o.local_date for o in found] == [
            change - timedelta(days=7),
            change,
            change + timedelta(days=7),
        ]
        assert all(o.starts_at.astimezone(zone).time() == time(14, 0) for o in found)
        offsets = {o.starts_at.astimezone(zone).utcoffset() for o in found}
        assert len(offsets) == 2  # the UTC time moved, the local time did not


def test_berlin_spring_and_autumn_utc_times() -> None:
    summer = local_to_utc(date(2026, 3, 29), time(14, 0), BERLIN)
    winter = local_to_utc(date(2026, 3, 22), time(14, 0), BERLIN)
    assert (winter.hour, summer.hour) == (13, 12)


def test_a_start_inside_the_spring_gap_moves_forward_by_the_gap() -> None:
    starts = local_to_utc(date(2026, 3, 29), time(2, 30), BERLIN)
    assert starts == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert starts.astimezone(BERLIN).time() == time(3, 30)


def test_an_ambiguous_autumn_start_is_the_first_occurrence() -> None:
    starts = local_to_utc(date(2026, 10, 25), time(2, 30), BERLIN)
    assert starts == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET


@pytest.mark.parametrize(
    ("zone", "at", "first", "gap"),
    [
        # Berlin repeats 02:00-03:00 and skips 02:00-03:00; London repeats and skips 01:00-02:00.
        (BERLIN, time(2, 30), "2027-10-31T02:30:00+02:00", "2027-03-28T03:30:00+02:00"),
        (LONDON, time(1, 30), "2027-10-31T01:30:00+01:00", "2027-03-28T02:30:00+01:00"),
    ],
    ids=str,
)
def test_the_2027_change_days_in_berlin_and_london(
    zone: ZoneInfo, at: time, first: str, gap: str
) -> None:
    (autumn,) = weekly(6, at, date(2027, 10, 31), date(2027, 10, 31), zone, minutes=60)
    assert autumn.starts_at.astimezone(zone).isoformat() == first  # the first occurrence
    assert autumn.ends_at - autumn.starts_at == timedelta(minutes=60)
    ends = autumn.ends_at.astimezone(zone)
    assert (ends.time(), ends.fold) == (at, 1)  # the same wall time, its second occurrence
    (spring,) = weekly(6, at, date(2027, 3, 28), date(2027, 3, 28), zone, minutes=60)
    assert spring.starts_at.astimezone(zone).isoformat() == gap  # moved forward by the gap
    assert spring.local_date == date(2027, 3, 28)


def test_duration_is_elapsed_time_across_the_change() -> None:
    (slot,) = weekly(6, time(1, 30), date(2026, 10, 25), date(2026, 10, 25), BERLIN, minutes=120)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=120)
    assert slot.ends_at.astimezone(BERLIN).time() == time(2, 30)  # the clock went back an hour


def test_every_second_week_counts_from_valid_from_not_from_the_window() -> None:
    valid_from = date(2026, 1, 5)  # a Monday
    window = weekly(
        4,
        time(15, 0),
        date(2026, 1, 19),
        date(2026, 2, 28),
        BERLIN,
        interval=2,
        valid_from=valid_from,
    )
    assert [o.local_date for o in window] == [
        date(2026, 1, 23),
        date(2026, 2, 6),
        date(2026, 2, 20),
    ]


def test_validity_bounds_are_inclusive() -> None:
    found = weekly(
        2,
        time(9, 0),
        date(2026, 5, 1),
        date(2026, 6, 30),
        BERLIN,
        valid_from=date(2026, 5, 13),
        valid_to=date(2026, 5, 27),
    )
    assert [o.local_date for o in found] == [
        date(2026, 5, 13),
        date(2026, 5, 20),
        date(2026, 5, 27),
    ]
    assert (
        weekly(
            2, time(9, 0), date(2026, 5, 1), date(2026, 5, 10), BERLIN, valid_from=date(2026, 5, 13)
        )
        == []
    )


async def _facility_with_template(db: AsyncSession) -> tuple[Facility, Room]:
    facility = Facility(
        slug="f",
        name="F",
        timezone="Europe/Berlin",
        street="s",
        postal_code="1",
        city="c",
        country="DE",
        email="f@example.org",
    )
    room = Room(
        facility=facility, name="R", capacity_tables=2, capacity_seats=6, capacity_children=3
    )
    db.add_all([facility, room])
    await db.flush()
    db.add(
        SlotTemplate(
            facility_id=facility.id,
            room_id=room.id,
            visit_type=VisitType.CHILD_FAMILY,
            weekday=2,
            start_time=time(15, 0),
            duration_minutes=120,
            valid_from=date(2026, 3, 2),
            capacity_children=0,
        )
    )
    await db.commit()
    return facility, room


async def test_generation_is_idempotent_and_uses_capacity_overrides(db: AsyncSession) -> None:
    facility, _room = await _facility_with_template(db)
    first, last = date(2026, 3, 1), date(2026, 4, 30)
    created = await generate_slots(db, facility, first, last)
    await db.commit()
    assert created == 9
    assert await generate_slots(db, facility, first, last) == 0
    await db.commit()
    slots = (await db.scalars(sa.select(Slot).order_by(Slot.starts_at))).all()
    assert len(slots) == 9
    assert {s.capacity_children for s in slots} == {0}  # the override, even though it is 0
    assert {s.capacity_tables for s in slots} == {2}  # from the room
    assert {s.starts_at.astimezone(BERLIN).time() for s in slots} == {time(15, 0)}


async def test_slots_in_a_closure_are_created_closed_with_the_reason(db: AsyncSession) -> None:
    facility, room = await _facility_with_template(db)
    db.add(
        Closure(
            facility_id=facility.id,
            room_id=room.id,
            starts_on=date(2026, 3, 11),
            ends_on=date(2026, 3, 11),
            reason="Renovierung",
        )
    )
    await db.commit()
    await generate_slots(db, facility, date(2026, 3, 9), date(2026, 3, 20))
    await db.commit()
    statuses = (
        await db.execute(
            sa.select(Slot.local_date, Slot.status, Slot.status_reason).order_by(Slot.local_date)
        )
    ).all()
    assert [tuple(row) for row in statuses] == [
        (date(2026, 3, 11), SlotStatus.CLOSED, "Renovierung"),
        (date(2026, 3, 18), SlotStatus.OPEN, None),
    ]


async def test_capacity_counters_cannot_pass_capacity(db: AsyncSession) -> None:
    facility, _ = await _facility_with_template(db)
    await generate_slots(db, facility, date(2026, 3, 1), date(2026, 3, 7))
    await db.commit()
    with pytest.raises(sa.exc.IntegrityError):
        await db.execute(sa.update(Slot).values(booked_tables=Slot.capacity_tables + 1))
    await db.rollback()
