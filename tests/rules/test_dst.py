"""The rule engine on the daylight-saving change days of 2027, in Europe/Berlin and Europe/London.

On 31 October 2027 an hour of wall-clock time occurs twice (Berlin 02:00-03:00, London
01:00-02:00); on 28 March 2027 an hour is missing. Python compares and subtracts aware datetimes
that share one time zone by their wall-clock reading and ignores ``fold``, so the first 02:30 plus
an hour (the second 02:30) compares equal to the first. The engine must judge slots by when they
really happen.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from visits.enums import VisitType
from visits.rules.local_time import elapsed_minutes, instant, on_wall
from visits.rules.model import SlotFacts
from visits.rules.timing import during_school_hours

from .builders import ALL_BANDS, BERLIN, LONDON, child, family, guardian, person, profile, run

SPRING = date(2027, 3, 28)  # last Sunday of March
AUTUMN = date(2027, 10, 31)  # last Sunday of October
HOUR = timedelta(hours=1)


def slot_from(start: datetime, minutes: int, zone: ZoneInfo, **fields: Any) -> SlotFacts:
    """A slot as the booking code builds it: UTC instants read on the facility's wall clock."""
    fields.setdefault("visit_type", VisitType.CHILD_FAMILY)
    fields.setdefault("remaining_tables", 5)
    fields.setdefault("remaining_seats", 20)
    fields.setdefault("remaining_children", 10)
    fields.setdefault("room_age_bands", ALL_BANDS)
    begin = start.astimezone(UTC)
    return SlotFacts(
        start=on_wall(begin, zone),
        end=on_wall(begin + timedelta(minutes=minutes), zone),
        **fields,
    )


def template_slot(day: date, at: time, minutes: int, zone: ZoneInfo, **fields: Any) -> SlotFacts:
    """The slot a template at ``at`` produces on ``day`` (first occurrence; gap moves forward)."""
    return slot_from(instant(day, at, zone), minutes, zone, **fields)


# ---------------------------------------------------------------- reading local times


@pytest.mark.parametrize(
    ("zone", "at", "utc_hour", "offset"),
    [
        (BERLIN, time(2, 30), 0, 2),  # the first 02:30 is CEST
        (LONDON, time(1, 30), 0, 1),  # the first 01:30 is BST
    ],
)
def test_a_repeated_wall_time_names_its_first_occurrence(
    zone: ZoneInfo, at: time, utc_hour: int, offset: int
) -> None:
    moment = instant(AUTUMN, at, zone)
    assert moment == datetime(2027, 10, 31, utc_hour, 30, tzinfo=UTC)
    assert on_wall(moment, zone).utcoffset() == timedelta(hours=offset)
    second = on_wall(moment + HOUR, zone)
    assert second.time() == at  # the same reading on the wall, an hour later
    assert second.fold == 1
    assert second.utcoffset() == timedelta(hours=offset - 1)


@pytest.mark.parametrize(
    ("zone", "at", "shown"),
    [(BERLIN, time(2, 30), time(3, 30)), (LONDON, time(1, 30), time(2, 30))],
)
def test_a_wall_time_in_the_spring_gap_moves_forward_by_the_gap(
    zone: ZoneInfo, at: time, shown: time
) -> None:
    moment = instant(SPRING, at, zone)
    assert moment == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert on_wall(moment, zone).time() == shown


def test_elapsed_minutes_ignore_the_wall_clock() -> None:
    first = on_wall(instant(AUTUMN, time(2, 30), BERLIN), BERLIN)
    second = on_wall(first.astimezone(UTC) + HOUR, BERLIN)
    # What Python says for one shared time zone, the trap: equal readings compare equal, and
    # an hour added to a local time is an hour on the wall (here two elapsed hours).
    assert second == first
    assert elapsed_minutes(first, first + HOUR) == 120
    assert elapsed_minutes(first, second) == 60
    assert elapsed_minutes(second, first) == -60


# ---------------------------------------------------------------- slots in the repeated hour


@pytest.mark.parametrize(
    ("zone", "at", "minutes", "end"),
    [
        (BERLIN, time(2, 30), 60, time(2, 30)),  # ends on the same wall time it started
        (BERLIN, time(2, 45), 30, time(2, 15)),  # ends earlier on the wall than it starts
        (BERLIN, time(1, 30), 120, time(2, 30)),  # ends in the second occurrence
        (LONDON, time(1, 30), 60, time(1, 30)),
        (LONDON, time(1, 45), 30, time(1, 15)),
        (LONDON, time(0, 30), 120, time(1, 30)),
    ],
)
def test_a_slot_ending_in_the_repeated_hour_is_judged_by_elapsed_time(
    zone: ZoneInfo, at: time, minutes: int, end: time
) -> None:
    at_night = template_slot(AUTUMN, at, minutes, zone)
    assert (at_night.local_start.time(), at_night.local_end.time()) == (at, end)
    assert at_night.local_end.fold == 1
    assert at_night.minutes == minutes
    assert at_night.visit_date == AUTUMN
    results = run(family(), at=at_night, rules=profile("de-nw"))
    assert results["CF-13"].params["minutes"] == minutes
    assert results["CF-10"].params["minutes"] == minutes
    assert results["CF-06"].passed


def test_a_slot_that_ends_before_it_starts_in_elapsed_time_is_refused() -> None:
    # The second 02:30 (CET) to the first 02:45 (CEST): later on the wall, 45 minutes earlier.
    second = on_wall(instant(AUTUMN, time(2, 30), BERLIN) + HOUR, BERLIN)
    first = on_wall(instant(AUTUMN, time(2, 45), BERLIN), BERLIN)
    assert first > second  # by the wall clock
    with pytest.raises(ValueError, match="ends after it starts"):
        SlotFacts(
            start=second,
            end=first,
            visit_type=VisitType.REGULAR,
            remaining_tables=1,
            remaining_seats=1,
            remaining_children=1,
        )


def test_young_childrens_latest_end_is_an_instant_in_the_repeated_hour() -> None:
    # A latest end of 02:30 is the first 02:30; the second 02:15 is 45 minutes after it.
    rules = profile("generic", young_earliest="00:00", young_latest="02:30")
    party = [guardian(), child("ben", 4)]
    on_time = template_slot(AUTUMN, time(1, 30), 60, BERLIN)  # ends at the first 02:30
    assert run(party, at=on_time, rules=rules)["CF-17"].passed
    too_late = template_slot(AUTUMN, time(2, 0), 75, BERLIN)  # ends at the second 02:15
    assert too_late.local_end.time() == time(2, 15)
    result = run(party, at=too_late, rules=rules)["CF-17"]
    assert not result.passed
    # Shown as the clock reads, each reading of the repeated hour with its offset.
    assert "von 02:00 (UTC+02:00) bis 02:15 (UTC+01:00) Uhr" in result.message_in("de")
    assert "from 02:00 (UTC+02:00) to 02:15 (UTC+01:00)" in result.message_in("en")
    usual = run(party, at=template_slot(AUTUMN, time(20, 0), 60, BERLIN), rules=rules)["CF-17"]
    assert "from 20:00 to 21:00" in usual.message_in("en")


def test_young_childrens_earliest_start_is_an_instant_in_the_repeated_hour() -> None:
    # From 02:30 (the first) on: a slot at the second 02:15 starts 45 minutes after it.
    rules = profile("generic", young_earliest="02:30", young_latest="23:00")
    party = [guardian(), child("ben", 4)]
    first_quarter_past = slot_from(instant(AUTUMN, time(2, 15), BERLIN), 60, BERLIN)
    assert not run(party, at=first_quarter_past, rules=rules)["CF-17"].passed
    second = slot_from(instant(AUTUMN, time(2, 15), BERLIN) + HOUR, 60, BERLIN)
    assert second.local_start.time() == time(2, 15)
    assert run(party, at=second, rules=rules)["CF-17"].passed


def test_school_hours_are_instants_on_the_change_day() -> None:
    # A school that (as a test) meets on Sundays from the first 02:30 until 05:00.
    rules = profile("generic", school_days=[6], school_day_start="02:30", school_day_end="05:00")
    before = template_slot(AUTUMN, time(1, 0), 90, BERLIN)  # ends at the first 02:30
    assert not during_school_hours(before.start, before.end, BERLIN, rules)
    second = slot_from(instant(AUTUMN, time(2, 0), BERLIN) + HOUR, 15, BERLIN)
    assert second.local_start.time() == time(2, 0)  # the second 02:00: after 02:30 in time
    assert during_school_hours(second.start, second.end, BERLIN, rules)
    party = [guardian(), child("anna", 8)]
    assert run(party, at=before, rules=rules)["CF-16"].passed
    assert not run(party, at=second, rules=rules)["CF-16"].passed


# ---------------------------------------------------------------- slots across the spring gap


@pytest.mark.parametrize(
    ("zone", "at", "shown_end"),
    [(BERLIN, time(1, 30), time(4, 30)), (LONDON, time(0, 30), time(3, 30))],
)
def test_a_slot_across_the_gap_lasts_its_elapsed_time(
    zone: ZoneInfo, at: time, shown_end: time
) -> None:
    across = template_slot(SPRING, at, 120, zone)
    assert across.local_end.time() == shown_end  # three hours on the wall
    assert across.minutes == 120
    # 150 minutes of contingent left: the two elapsed hours fit, three wall hours would not.
    results = run(family(), at=across, rules=profile("de-nw", child_bonus_minutes_per_month=150))
    assert results["CF-10"].passed
    assert results["CF-10"].params["remaining_minutes"] == 150
    # Recommended 150 minutes: two hours are below it, though the wall shows three.
    recommended = profile("generic", recommended_child_visit_minutes=150)
    assert not run(family(), at=across, rules=recommended)["CF-13"].passed


def test_a_start_in_the_gap_is_shown_after_it() -> None:
    moved = template_slot(SPRING, time(2, 30), 60, BERLIN)
    assert moved.local_start.time() == time(3, 30)
    assert moved.minutes == 60
    # Even a start given as the missing wall time reads as the clock shows it.
    given = SlotFacts(
        start=datetime.combine(SPRING, time(2, 30), BERLIN),
        end=datetime.combine(SPRING, time(4, 30), BERLIN),
        visit_type=VisitType.REGULAR,
        remaining_tables=1,
        remaining_seats=1,
        remaining_children=1,
    )
    assert (given.local_start.time(), given.minutes) == (time(3, 30), 60)


def test_notice_is_elapsed_time_when_the_clock_goes_forward_in_berlin() -> None:
    # 49 hours on the wall from Friday 11:00 to Sunday 12:00 are 48 elapsed hours.
    at = template_slot(SPRING, time(12, 0), 120, BERLIN)
    friday = datetime(2027, 3, 26, 11, 0, tzinfo=BERLIN)
    assert run(family(), at=at, now=friday)["CF-BW"].params["hours_until_start"] == 48
    assert run(family(), at=at, now=friday)["CF-BW"].passed
    assert not run(family(), at=at, now=friday + timedelta(minutes=1))["CF-BW"].passed


# ---------------------------------------------------------------- whose day it is


def test_a_night_slot_in_london_counts_ages_on_the_local_date() -> None:
    # 00:30 BST on 31 October is 23:30 UTC on 30 October: she turns 16 on the local date.
    night = template_slot(AUTUMN, time(0, 30), 120, LONDON, visit_type=VisitType.REGULAR)
    assert night.start_utc.date() == date(2027, 10, 30)
    sixteen = person("teen", date(2011, 10, 31), is_guardian=False)
    results = run([sixteen], at=night)
    assert results["CF-06"].params["ages"] == {"teen": 16}
    assert results["CF-01"].passed  # 16 may come alone under the generic profile


# ---------------------------------------------------------------- every time of both days


@pytest.mark.parametrize("zone", [BERLIN, LONDON], ids=str)
@pytest.mark.parametrize("day", [SPRING, AUTUMN], ids=str)
def test_every_quarter_hour_of_a_change_day_is_judged_without_error(
    zone: ZoneInfo, day: date
) -> None:
    """Each template start of the day, with short and long durations, through every rule."""
    for quarter in range(96):
        at = time(quarter // 4, quarter % 4 * 15)
        for minutes in (15, 45, 60, 90, 120, 240):
            judged = template_slot(day, at, minutes, zone)
            assert judged.minutes == minutes
            assert judged.end_utc - judged.start_utc == timedelta(minutes=minutes)
            assert judged.local_start.date() == day
            results = run(family(), at=judged, rules=profile("de-nw"))
            assert results["CF-13"].params["minutes"] == minutes
