"""ALERT rules for scheduled jobs: CF-09, CF-14, CF-15 and the CF-23 video-only alert."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from visits.rules.alerts import (
    contact_gap,
    first_child_visit,
    regular_capacity,
    video_only_contact,
)
from visits.rules.model import Severity

from .builders import profile

ADMITTED = date(2026, 3, 2)


def _day(n: int) -> date:
    return ADMITTED + timedelta(days=n)


@pytest.mark.parametrize(
    ("table_minutes", "prisoners", "alert"),
    [(120 * 40, 40, False), (119 * 40, 40, True), (0, 40, True), (0, 0, False)],
)
def test_cf09_capacity_against_the_regular_minimum(
    table_minutes: int, prisoners: int, alert: bool
) -> None:
    result = regular_capacity(date(2026, 5, 1), table_minutes, prisoners, profile("de-nw"))
    assert result.rule_id == "CF-09"
    assert result.severity is Severity.ALERT
    assert result.passed is not alert
    assert result.params["month"] == "2026-05"
    if alert:
        assert "below the minimum of 120" in result.message_in("en")


def test_cf09_does_not_apply_where_the_minimum_is_counted_in_visits() -> None:
    assert regular_capacity(date(2026, 5, 1), 0, 40, profile("en-gb")).passed


@pytest.mark.parametrize(
    ("today", "visits", "alert"),
    [
        (4, [], False),  # day 4: not due yet
        (5, [], True),  # day 5 without a booked child visit
        (5, [_day(6)], False),  # booked for day 6
        (9, [_day(-3)], True),  # a visit before admission does not count
        (12, [_day(10)], False),  # booked late: no alert, but outside the target
    ],
)
def test_cf14_first_child_visit_after_admission(
    today: int, visits: list[date], alert: bool
) -> None:
    result = first_child_visit(ADMITTED, _day(today), visits, profile())
    assert result.rule_id == "CF-14"
    assert result.severity is Severity.ALERT
    assert result.passed is not alert


def test_cf14_records_whether_the_target_was_met() -> None:
    assert first_child_visit(ADMITTED, _day(8), [_day(7)], profile()).params["within_target"]
    late = first_child_visit(ADMITTED, _day(12), [_day(10), _day(8)], profile())
    assert late.params["first_child_visit"] == _day(8).isoformat()
    assert late.params["within_target"] is False


@pytest.mark.parametrize(
    ("last_visit", "today", "alert"),
    [(_day(0), _day(27), False), (_day(0), _day(28), True), (None, _day(28), True)],
)
def test_cf15_no_visit_for_28_days(last_visit: date | None, today: date, alert: bool) -> None:
    result = contact_gap("anna", last_visit, ADMITTED, today, profile())
    assert result.rule_id == "CF-15"
    assert result.passed is not alert
    if alert:
        assert "anna" in result.message_in("en")
        assert "28" in result.message_in("de")


@pytest.mark.parametrize(
    ("last_in_person", "videos", "today", "alert"),
    [
        (_day(0), [_day(10), _day(20)], _day(28), True),  # four weeks of video only
        (_day(0), [_day(10), _day(20)], _day(27), False),
        (_day(0), [], _day(40), False),  # no video contact: CF-15's business
        (_day(20), [_day(10)], _day(40), False),  # the video came before the last visit
        (None, [_day(3)], _day(28), True),
    ],
)
def test_cf23_video_only_contact(
    last_in_person: date | None, videos: list[date], today: date, alert: bool
) -> None:
    result = video_only_contact("ben", last_in_person, videos, ADMITTED, today, profile())
    assert result.rule_id == "CF-23"
    assert result.severity is Severity.ALERT
    assert result.passed is not alert
    if alert:
        assert "never replace" in result.message_in("en")
