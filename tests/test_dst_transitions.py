"""Slots on the two daylight-saving days of 2027, end to end through the API.

On the last Sunday of October an hour of wall-clock time occurs twice (Europe/Berlin 02:00-03:00,
Europe/London 01:00-02:00); on the last Sunday of March an hour does not occur at all. Slots that
start in the repeated hour, end in its second occurrence, or span the gap are listed, checked,
held and confirmed without a server error, and every local time carries its own UTC offset.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.booking_helpers import Family, demo_family, hold_body
from visits.db.models import AllowanceEntry, Facility, Room, Slot, SlotTemplate
from visits.enums import VisitType
from visits.facilities.slot_generation import generate_slots

SPRING = date(2027, 3, 28)  # last Sunday of March 2027
AUTUMN = date(2027, 10, 31)  # last Sunday of October 2027


@dataclass(frozen=True)
class Case:
    """A template on a change day; the local start and end the API must answer with, and how
    the rule texts (CF-17, for the four-year-old) show the times."""

    zone: str
    day: date
    start: time
    minutes: int
    local_start: str
    local_end: str
    runs: str
    visit_type: VisitType = VisitType.CHILD_FAMILY
    room: str = "Familienzimmer"

    @property
    def id(self) -> str:
        return f"{self.zone}-{self.day}-{self.start:%H%M}+{self.minutes}"


BERLIN, LONDON = "Europe/Berlin", "Europe/London"
CASES = [
    # The repeated hour: the first 02:30 (CEST) plus an hour is the second 02:30 (CET).
    Case(BERLIN, AUTUMN, time(2, 30), 60, "2027-10-31T02:30:00+02:00",
         "2027-10-31T02:30:00+01:00", "02:30 (UTC+02:00) to 02:30 (UTC+01:00)"),
    # Ends in the second occurrence: two hours from 01:30 read 02:30 on the wall.
    Case(BERLIN, AUTUMN, time(1, 30), 120, "2027-10-31T01:30:00+02:00",
         "2027-10-31T02:30:00+01:00", "01:30 to 02:30 (UTC+01:00)"),
    # Ends earlier on the wall than it starts: the first 02:45 plus 30 minutes is 02:15 CET.
    Case(BERLIN, AUTUMN, time(2, 45), 30, "2027-10-31T02:45:00+02:00",
         "2027-10-31T02:15:00+01:00", "02:45 (UTC+02:00) to 02:15 (UTC+01:00)",
         VisitType.REGULAR, "Besuchssaal"),
    Case(LONDON, AUTUMN, time(1, 30), 60, "2027-10-31T01:30:00+01:00",
         "2027-10-31T01:30:00+00:00", "01:30 (UTC+01:00) to 01:30 (UTC+00:00)"),
    Case(LONDON, AUTUMN, time(0, 30), 120, "2027-10-31T00:30:00+01:00",
         "2027-10-31T01:30:00+00:00", "00:30 to 01:30 (UTC+00:00)"),
    # Spring: across the gap two hours of elapsed time read three on the wall.
    Case(BERLIN, SPRING, time(1, 30), 120, "2027-03-28T01:30:00+01:00",
         "2027-03-28T04:30:00+02:00", "01:30 to 04:30"),
    # A start inside the gap moves forward by the gap (02:30 -> 03:30 CEST).
    Case(BERLIN, SPRING, time(2, 30), 60, "2027-03-28T03:30:00+02:00",
         "2027-03-28T04:30:00+02:00", "03:30 to 04:30"),
    Case(LONDON, SPRING, time(0, 30), 120, "2027-03-28T00:30:00+00:00",
         "2027-03-28T03:30:00+01:00", "00:30 to 03:30"),
    Case(LONDON, SPRING, time(1, 30), 60, "2027-03-28T02:30:00+01:00",
         "2027-03-28T03:30:00+01:00", "02:30 to 03:30"),
]  # fmt: skip


def _shown(local_start: str, local_end: str) -> tuple[tuple[str, timedelta | None], ...]:
    """Each local time as its wall-clock reading and its UTC offset (a zero offset may be 'Z')."""
    moments = (datetime.fromisoformat(local_start), datetime.fromisoformat(local_end))
    return tuple((m.replace(tzinfo=None).isoformat(), m.utcoffset()) for m in moments)


async def _slot_on_the_change_day(db: AsyncSession, family: Family, case: Case) -> uuid.UUID:
    """Move the demo facility to ``case.zone`` and publish one child/family slot from a template
    on the change day, as slot generation does for staff."""
    facility = await db.get(Facility, family.facility_id)
    assert facility is not None
    facility.timezone = case.zone
    room = await db.scalar(sa.select(Room).where(Room.name == case.room))
    assert room is not None
    db.add(
        SlotTemplate(
            facility_id=facility.id,
            room_id=room.id,
            visit_type=case.visit_type,
            weekday=case.day.weekday(),
            start_time=case.start,
            duration_minutes=case.minutes,
            valid_from=case.day,
            valid_to=case.day,
        )
    )
    await db.flush()
    assert await generate_slots(db, facility, case.day, case.day) == 1
    await db.commit()
    slot = await db.scalar(
        sa.select(Slot).where(Slot.local_date == case.day, Slot.room_id == room.id)
    )
    assert slot is not None
    assert slot.ends_at - slot.starts_at == timedelta(minutes=case.minutes)
    slot_id = slot.id
    await db.commit()
    return slot_id


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_list_check_hold_and_confirm_on_a_change_day(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    ten_days_before = datetime.combine(case.day - timedelta(days=10), time(12), UTC)
    with time_machine.travel(ten_days_before, tick=True):
        family = await demo_family(client, db, caplog)
        slot_id = await _slot_on_the_change_day(db, family, case)
        day = case.day.isoformat()
        expected = _shown(case.local_start, case.local_end)

        public = await client.get(
            "/api/v1/slots",
            params={"facility_id": str(family.facility_id), "from": day, "to": day},
        )
        assert public.status_code == 200, public.text
        (listed,) = [s for s in public.json()["items"] if s["id"] == str(slot_id)]
        assert _shown(listed["local_start"], listed["local_end"]) == expected
        assert listed["timezone"] == case.zone

        judged = await client.get(
            "/api/v1/household/slots",
            headers=family.headers,
            params={
                "prisoner_id": str(family.prisoner_id),
                "visitor_id": family.everyone,
                "facility_id": str(family.facility_id),
                "from": day,
                "to": day,
            },
        )
        assert judged.status_code == 200, judged.text
        (annotated,) = [s for s in judged.json()["items"] if s["slot_id"] == str(slot_id)]
        assert _shown(annotated["local_start"], annotated["local_end"]) == expected
        assert annotated["verdict"] in {"fits", "warnings"}, annotated

        checked = await client.post(
            "/api/v1/household/checks",
            headers=family.headers | {"Accept-Language": "en"},
            json=hold_body(family, slot_id),
        )
        assert checked.status_code == 200, checked.text
        results = {r["rule_id"]: r for r in checked.json()["results"]}
        assert results["CF-13"]["params"]["minutes"] == case.minutes  # elapsed, not wall clock
        assert not results["CF-17"]["passed"]  # a night visit for a four-year-old
        assert f"this one runs from {case.runs}." in results["CF-17"]["message"]

        held = await client.post(
            "/api/v1/household/holds", headers=family.headers, json=hold_body(family, slot_id)
        )
        assert held.status_code == 201, held.text
        assert _shown(held.json()["local_start"], held.json()["local_end"]) == expected
        confirmed = await client.post(
            f"/api/v1/household/visits/{held.json()['id']}/confirm", headers=family.headers
        )
        assert confirmed.status_code == 200, confirmed.text
        visit = confirmed.json()
        assert visit["status"] == "confirmed"
        assert _shown(visit["local_start"], visit["local_end"]) == expected
        debited = await db.scalar(sa.select(sa.func.sum(AllowanceEntry.minutes)))
        await db.commit()
        assert debited == -case.minutes


def test_the_cases_are_the_2027_change_days() -> None:
    """Guard the table: each day really is a change day in each zone."""
    for case in CASES:
        zone = ZoneInfo(case.zone)
        before = datetime.combine(case.day, time(0), zone).utcoffset()
        after = datetime.combine(case.day, time(12), zone).utcoffset()
        assert before != after
