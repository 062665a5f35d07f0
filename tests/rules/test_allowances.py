"""C. Allowances: CF-10 child contingent, CF-11 visits per period, CF-12, CF-13, CF-23."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from visits.enums import BookableBy, CustodyStatus, Ledger, Relationship, VisitType
from visits.rules.allowances import entitlement_window, ledger_for
from visits.rules.model import Severity

from .builders import child, family, guardian, person, prisoner, profile, run, slot, turns

DAY = timedelta(days=1)
CHILD_VISIT = slot(visit_type=VisitType.CHILD_FAMILY, minutes=60)

# ---------------------------------------------------------------- ledgers


@pytest.mark.parametrize(
    ("name", "visit_type", "ledger"),
    [
        ("de-nw", VisitType.CHILD_FAMILY, Ledger.CHILD),
        ("en-gb", VisitType.CHILD_FAMILY, Ledger.REGULAR),  # no separate contingent
        ("de-nw", VisitType.REGULAR, Ledger.REGULAR),
        ("de-nw", VisitType.LONG_VISIT, Ledger.REGULAR),
        ("de-nw", VisitType.FAMILY_DAY, Ledger.FAMILY_PROGRAMME),
        ("de-nw", VisitType.PARENT_CHILD_GROUP, Ledger.FAMILY_PROGRAMME),
        ("de-nw", VisitType.VIDEO, Ledger.VIDEO),  # never the child contingent (CF-23)
    ],
)
def test_the_ledger_follows_the_visit_type(
    name: str, visit_type: VisitType, ledger: Ledger
) -> None:
    assert ledger_for(visit_type, profile(name)) is ledger


def test_the_entitlement_period_ends_on_the_visit_date() -> None:
    assert entitlement_window(date(2026, 5, 13), 28) == (date(2026, 4, 16), date(2026, 5, 13))
    assert entitlement_window(date(2026, 5, 13), 7) == (date(2026, 5, 7), date(2026, 5, 13))


# ---------------------------------------------------------------- CF-10 child contingent


def test_cf10_a_child_visit_draws_on_the_child_contingent_not_the_regular_allowance() -> None:
    result = run(family(), at=CHILD_VISIT, rules=profile("de-nw"))["CF-10"]
    assert result.passed
    assert result.params["ledger"] == "child"
    assert result.params["minutes"] == 60
    assert result.params["remaining_minutes"] == 120
    assert "does not count toward the regular" in result.message_in("en")


@pytest.mark.parametrize(
    ("used", "minutes", "passed"),
    [(0, 120, True), (60, 60, True), (61, 60, False), (120, 60, False)],
)
def test_cf10_the_contingent_is_not_overdrawn(used: int, minutes: int, passed: bool) -> None:
    at = slot(visit_type=VisitType.CHILD_FAMILY, minutes=minutes)
    result = run(family(), at=at, of=prisoner(child_minutes_used=used), rules=profile("de-nw"))
    assert result["CF-10"].passed is passed
    if not passed:
        assert result["CF-10"].refuses
        assert "Regular visits are still possible" in result["CF-10"].message_in("en")


@pytest.mark.parametrize(
    ("birth", "eligible"),
    [(turns(18), False), (turns(18) + DAY, True), (turns(18) - DAY, False)],
)
def test_cf10_children_under_18_on_the_visit_date(birth: date, eligible: bool) -> None:
    party = [guardian(), person("teen", birth)]
    result = run(party, at=CHILD_VISIT, rules=profile("de-nw"))["CF-10"]
    assert result.passed is eligible


def test_cf10_other_relationships_only_where_the_profile_allows_them() -> None:
    party = [guardian(), child("step", 9, relationship=Relationship.STEPCHILD)]
    assert not run(party, at=CHILD_VISIT, rules=profile("de-nw"))["CF-10"].passed
    widened = profile("de-nw", child_bonus_relationships=["child", "stepchild"])
    assert run(party, at=CHILD_VISIT, rules=widened)["CF-10"].passed


def test_cf10_bremen_style_age_limit_is_data() -> None:
    hb = profile("de-nw", child_bonus_max_age=13, child_bonus_minutes_per_month=60)
    assert not run([guardian(), child("teen", 14)], at=CHILD_VISIT, rules=hb)["CF-10"].passed
    assert run([guardian(), child("kid", 13)], at=CHILD_VISIT, rules=hb)["CF-10"].passed


def test_cf10_regular_and_programme_visits_never_touch_the_child_contingent() -> None:
    exhausted = prisoner(child_minutes_used=500, regular_minutes_used=90)
    regular = run(family(), of=exhausted, rules=profile("de-nw"))["CF-10"]
    assert regular.params["regular_minutes_used"] == 90
    assert "contingent_minutes" not in regular.params
    assert (
        run(family(), of=exhausted, rules=profile("de-nw"))["CF-10"].params["ledger"] == "regular"
    )
    day = slot(visit_type=VisitType.FAMILY_DAY, minutes=240)
    result = run(family(), at=day, of=exhausted, rules=profile("de-nw"))["CF-10"]
    assert result.passed
    assert result.params["ledger"] == "family_programme"


# ---------------------------------------------------------------- CF-11 visits per period


@pytest.mark.parametrize(
    ("status", "used", "passed"),
    [
        (CustodyStatus.SENTENCED, 0, True),
        (CustodyStatus.SENTENCED, 1, True),  # the second of 2 in 28 days
        (CustodyStatus.SENTENCED, 2, False),
        (CustodyStatus.REMAND, 2, True),  # the third of 3 in 7 days
        (CustodyStatus.REMAND, 3, False),
    ],
)
def test_cf11_england_and_wales_entitlement(status: CustodyStatus, used: int, passed: bool) -> None:
    facts = prisoner(custody_status=status, visits_used_in_period=used)
    result = run(family(), of=facts, rules=profile("en-gb"))["CF-11"]
    assert result.passed is passed
    assert result.severity is Severity.HARD
    assert result.overridable_by == "visits_officer"


def test_cf11_staff_may_book_beyond_the_entitlement_with_a_warning() -> None:
    facts = prisoner(visits_used_in_period=5)
    result = run(family(), of=facts, rules=profile("en-gb"), channel=BookableBy.STAFF)["CF-11"]
    assert not result.passed
    assert result.severity is Severity.SOFT
    assert not result.refuses


def test_cf11_no_cap_in_germany_and_programmes_never_count() -> None:
    facts = prisoner(visits_used_in_period=50)
    assert run(family(), of=facts, rules=profile("de-nw"))["CF-11"].passed
    day = slot(visit_type=VisitType.FAMILY_DAY, minutes=240)
    assert run(family(), at=day, of=facts, rules=profile("en-gb"))["CF-11"].passed
    video = slot(visit_type=VisitType.VIDEO, minutes=30)
    assert run(family(), at=video, of=facts, rules=profile("en-gb"))["CF-11"].passed


# ---------------------------------------------------------------- CF-12 reward or sanction


def test_cf12_incentive_level_and_discipline_never_reduce_a_childs_visits() -> None:
    sanctioned = prisoner(
        incentive_level="basic",
        discipline_flags=("loss_of_privileges",),
        visits_used_in_period=1,
    )
    plain = prisoner(visits_used_in_period=1)
    with_flags = run(family(), of=sanctioned, rules=profile("en-gb"))
    without = run(family(), of=plain, rules=profile("en-gb"))
    assert {k: v for k, v in with_flags.items() if k != "CF-12"} == {
        k: v for k, v in without.items() if k != "CF-12"
    }
    result = with_flags["CF-12"]
    assert result.passed
    assert result.severity is Severity.HARD
    assert result.params["disregarded"] == ["incentive:basic", "loss_of_privileges"]
    public = result.for_family()
    assert "loss_of_privileges" not in public.message_in("en")
    assert public.params == {}


# ---------------------------------------------------------------- CF-13 length


@pytest.mark.parametrize(
    ("visit_type", "minutes", "passed", "severity"),
    [
        (VisitType.CHILD_FAMILY, 45, False, Severity.HARD),
        (VisitType.CHILD_FAMILY, 59, False, Severity.HARD),
        (VisitType.CHILD_FAMILY, 60, False, Severity.SOFT),  # allowed, below the recommendation
        (VisitType.CHILD_FAMILY, 120, True, Severity.HARD),
        (VisitType.PARENT_CHILD_GROUP, 45, False, Severity.HARD),
        (VisitType.REGULAR, 45, False, Severity.SOFT),  # a regular visit is never refused
        (VisitType.REGULAR, 120, True, Severity.SOFT),
    ],
)
def test_cf13_child_visits_last_long_enough(
    visit_type: VisitType, minutes: int, passed: bool, severity: Severity
) -> None:
    result = run(family(), at=slot(visit_type=visit_type, minutes=minutes))["CF-13"]
    assert result.passed is passed
    assert result.severity is severity


def test_cf13_visits_without_children_have_no_minimum() -> None:
    assert run([guardian()], at=slot(minutes=30))["CF-13"].passed


def test_cf13_minutes_are_elapsed_time_across_the_clock_change() -> None:
    # 25 October 2026, Berlin: 01:30 to 03:30 on the clock is three hours.
    night = slot(day=date(2026, 10, 25), start=time(1, 30), minutes=180)
    assert night.end.strftime("%H:%M") == "03:30"
    assert run(family(), at=night)["CF-13"].params["minutes"] == 180


# ---------------------------------------------------------------- CF-23 video (booking)


def test_cf23_a_video_visit_is_on_its_own_ledger() -> None:
    video = slot(visit_type=VisitType.VIDEO, minutes=30)
    results = run(family(), at=video, rules=profile("de-nw"), of=prisoner(child_minutes_used=120))
    assert results["CF-23"].passed
    assert results["CF-23"].params["ledger"] == "video"
    assert results["CF-10"].passed
    assert results["CF-10"].params["ledger"] == "video"
    assert "never replaces" in results["CF-23"].message_in("en")
