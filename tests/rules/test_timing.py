"""D. Timing: CF-16 school hours, CF-17 young children's times of day, CF-BW booking window."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from visits.enums import BookableBy, VisitType
from visits.rules.model import Severity

from .builders import BERLIN, LONDON, VISIT_DAY, child, guardian, person, profile, run, slot, turns

DAY = timedelta(days=1)
SATURDAY = date(2026, 5, 16)

# ---------------------------------------------------------------- CF-16 school hours


@pytest.mark.parametrize(
    ("day", "start", "minutes", "passed"),
    [
        (VISIT_DAY, time(10, 0), 60, False),  # Wednesday morning
        (VISIT_DAY, time(14, 0), 120, False),  # overlaps the last school hour
        (VISIT_DAY, time(15, 0), 120, True),  # starts as school ends
        (VISIT_DAY, time(6, 0), 120, True),  # ends as school starts
        (SATURDAY, time(10, 0), 120, True),  # weekend
    ],
)
def test_cf16_school_day_overlap(day: date, start: time, minutes: int, passed: bool) -> None:
    result = run([guardian(), child("anna", 8)], at=slot(day=day, start=start, minutes=minutes))
    assert result["CF-16"].passed is passed
    assert result["CF-16"].severity is Severity.SOFT
    if not passed:
        assert "after school" in result["CF-16"].message_in("en")
        assert "08:00" in result["CF-16"].message_in("de")


@pytest.mark.parametrize(
    ("birth", "school_age"),
    [
        (turns(6), True),  # 6 on the visit date
        (turns(6) + DAY, False),  # 6 from tomorrow
        (turns(17), True),
        (turns(18), False),  # 18 on the visit date: no longer a child
        (turns(18) + DAY, True),  # still 17
    ],
)
def test_cf16_school_age_on_the_visit_date(birth: date, school_age: bool) -> None:
    at = slot(start=time(10, 0), minutes=60)
    assert run([guardian(), person("kid", birth)], at=at)["CF-16"].passed is not school_age


def test_cf16_holidays_are_not_school_days() -> None:
    at = slot(start=time(10, 0), minutes=60)
    holidays = profile("de-nw", school_holidays=[{"from": "2026-05-11", "to": "2026-05-13"}])
    party = [guardian(), child("anna", 8)]
    assert run(party, at=at, rules=holidays)["CF-16"].passed
    ended = profile("de-nw", school_holidays=[{"from": "2026-05-04", "to": "2026-05-12"}])
    assert not run(party, at=at, rules=ended)["CF-16"].passed


def test_cf16_hard_only_for_child_sessions_when_the_facility_says_so() -> None:
    strict = profile("generic", school_overlap_severity="HARD")
    party = [guardian(), child("anna", 8)]
    morning_child = slot(start=time(10, 0), visit_type=VisitType.CHILD_FAMILY)
    morning_regular = slot(start=time(10, 0))
    assert run(party, at=morning_child, rules=strict)["CF-16"].refuses
    regular = run(party, at=morning_regular, rules=strict)["CF-16"]
    assert not regular.passed
    assert regular.severity is Severity.SOFT


def test_cf16_the_school_day_follows_the_profile() -> None:
    at = slot(start=time(15, 0), minutes=60)
    party = [guardian(), child("anna", 8)]
    assert run(party, at=at, rules=profile("de-nw"))["CF-16"].passed  # NRW: school ends 15:00
    assert not run(party, at=at, rules=profile("en-gb"))["CF-16"].passed  # ends 15:30


# ---------------------------------------------------------------- CF-17 young children


@pytest.mark.parametrize(
    ("start", "minutes", "passed"),
    [
        (time(8, 30), 60, False),
        (time(9, 0), 60, True),
        (time(17, 0), 120, True),  # ends 19:00
        (time(17, 30), 120, False),  # ends 19:30
    ],
)
def test_cf17_times_of_day_for_under_sixes(start: time, minutes: int, passed: bool) -> None:
    at = slot(day=SATURDAY, start=start, minutes=minutes)
    result = run([guardian(), child("ben", 4)], at=at)["CF-17"]
    assert result.passed is passed
    assert result.severity is Severity.SOFT
    assert run([guardian(), child("anna", 8)], at=at)["CF-17"].passed


def test_cf17_six_on_the_visit_day_is_no_longer_young() -> None:
    early = slot(day=SATURDAY, start=time(8, 0), minutes=60)
    six_today = person("kid", turns(6, SATURDAY))
    six_tomorrow = person("kid", turns(6, SATURDAY) + DAY)
    assert run([guardian(), six_today], at=early)["CF-17"].passed
    assert not run([guardian(), six_tomorrow], at=early)["CF-17"].passed


# ---------------------------------------------------------------- CF-BW booking window


def _at(hours_before: float) -> datetime:
    return slot().start - timedelta(hours=hours_before)


@pytest.mark.parametrize(
    ("hours_before", "passed"),
    [(48, True), (47.9, False), (1, False), (24 * 28, True), (24 * 29, False)],
)
def test_cfbw_notice_and_window_for_the_public(hours_before: float, passed: bool) -> None:
    result = run([guardian()], now=_at(hours_before))["CF-BW"]
    assert result.passed is passed
    assert result.severity is Severity.HARD


def test_cfbw_days_ahead_count_local_dates() -> None:
    # Counted in local calendar days: 28 days ahead from any time of that day is inside.
    now = datetime.combine(VISIT_DAY - timedelta(days=28), time(0, 1), BERLIN)
    assert run([guardian()], now=now)["CF-BW"].passed
    too_early = datetime.combine(VISIT_DAY - timedelta(days=29), time(23, 59), BERLIN)
    result = run([guardian()], now=too_early)["CF-BW"]
    assert not result.passed
    assert result.params["days_ahead"] == 29
    assert "15 April 2026" in result.message_in("en")  # when it opens
    assert "15.04.2026" in result.message_in("de")


def test_cfbw_staff_may_book_inside_the_notice_period_with_a_warning() -> None:
    result = run([guardian()], now=_at(2), channel=BookableBy.STAFF)["CF-BW"]
    assert not result.passed
    assert result.severity is Severity.SOFT
    assert not result.refuses
    assert result.overridable_by == "visits_officer"


def test_cfbw_a_started_slot_is_refused_for_everyone() -> None:
    for channel in BookableBy:
        result = run([guardian()], now=_at(-0.5), channel=channel)["CF-BW"]
        assert not result.passed
        assert result.refuses


def test_cfbw_staff_only_slots_cannot_be_booked_online() -> None:
    staff_slot = slot(bookable_by=BookableBy.STAFF)
    assert run([guardian()], at=staff_slot)["CF-BW"].refuses
    assert run([guardian()], at=staff_slot, channel=BookableBy.STAFF)["CF-BW"].passed


def test_cfbw_notice_is_elapsed_time_across_the_clock_change_in_london() -> None:
    # Clocks go back at 02:00 on 25 October 2026 in London: 47 hours on the clock are 48 elapsed.
    at = slot(day=date(2026, 10, 26), start=time(10, 0), zone=LONDON)
    now = datetime(2026, 10, 24, 11, 0, tzinfo=LONDON)
    assert run([guardian()], at=at, now=now, rules=profile("en-gb"))["CF-BW"].passed
    later = datetime(2026, 10, 24, 11, 1, tzinfo=LONDON)
    assert not run([guardian()], at=at, now=later, rules=profile("en-gb"))["CF-BW"].passed


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        slot(zone=None)  # type: ignore[arg-type]
