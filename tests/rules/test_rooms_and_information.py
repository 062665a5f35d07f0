"""E/F. Rooms, visit types, information and the child's voice: CF-18 … CF-25."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from visits.enums import RoomFeature, VisitType
from visits.rules.model import Severity, VisitWish

from .builders import (
    child,
    family,
    guardian,
    person,
    prisoner,
    profile,
    run,
    slot,
    turns,
)

DAY = timedelta(days=1)

# ---------------------------------------------------------------- CF-18 child-friendly rooms


def test_cf18_the_room_suits_every_childs_age_band() -> None:
    room = slot(
        room_age_bands=frozenset({"3-5", "6-11"}),
        room_features=frozenset({RoomFeature.PLAY_CORNER}),
    )
    assert run(family(), at=room)["CF-18"].passed  # 8 and 4
    result = run([*family(), child("baby", 1)], at=room)["CF-18"]
    assert not result.passed
    assert result.severity is Severity.SOFT
    assert result.params["missing_age_bands"] == ["0-2"]
    assert result.params["room_features"] == ["play_corner"]
    assert "0-2" in result.message_in("en")
    assert "0-2" in result.message_in("de")


@pytest.mark.parametrize(
    ("birth", "band"),
    [(turns(3), "3-5"), (turns(3) + DAY, "0-2"), (turns(12), "12-17"), (turns(12) + DAY, "6-11")],
)
def test_cf18_bands_on_the_visit_date(birth: date, band: str) -> None:
    result = run([guardian(), person("kid", birth)], at=slot(room_age_bands=frozenset()))
    assert result["CF-18"].params["child_age_bands"] == [band]


def test_cf18_a_facility_may_make_it_hard() -> None:
    strict = profile("generic", child_room_severity="HARD")
    room = slot(room_age_bands=frozenset())
    assert run(family(), at=room, rules=strict)["CF-18"].refuses
    assert run([guardian()], at=room, rules=strict)["CF-18"].passed  # no children, no need


# ---------------------------------------------------------------- CF-19 closed visits


def test_cf19_a_closed_room_with_a_child_goes_to_review() -> None:
    result = run(family(), at=slot(room_closed_visits=True))["CF-19"]
    assert not result.passed
    assert result.needs_review
    assert not result.refuses
    assert result.severity is Severity.HARD
    assert result.overridable_by == "safeguarding_lead"
    assert run([guardian()], at=slot(room_closed_visits=True))["CF-19"].passed


def test_cf19_a_prisoners_closed_status_stays_with_staff() -> None:
    result = run(family(), of=prisoner(closed_visits_only=True))["CF-19"]
    assert result.needs_review
    assert result.confidential
    public = result.for_family()
    assert "closed" not in public.message_in("en").lower()
    assert public.params == {}


# ---------------------------------------------------------------- CF-21 information


def test_cf21_information_for_each_age_band_goes_into_the_confirmation() -> None:
    result = run([*family(), child("teen", 13)])["CF-21"]
    assert result.passed
    assert result.in_confirmation
    assert result.severity is Severity.INFO
    assert result.params["age_bands"] == ["3-5", "6-11", "12-17"]
    assert "3-5, 6-11 and 12-17" in result.message_in("en")
    assert "3-5, 6-11 und 12-17" in result.message_in("de")
    assert run([guardian()])["CF-21"].params["age_bands"] == []


# ---------------------------------------------------------------- CF-22 the child's voice


@pytest.mark.parametrize(
    ("birth", "heard"),
    [(turns(12), True), (turns(12) + DAY, False), (turns(15), True)],
)
def test_cf22_a_visit_against_a_recorded_wish_goes_to_review(birth: date, heard: bool) -> None:
    party = [guardian(), person("kid", birth, visit_wish=VisitWish.NO)]
    result = run(party)["CF-22"]
    assert result.passed is not heard
    assert result.severity is Severity.SOFT
    if heard:
        assert result.needs_review
        assert result.overridable_by == "safeguarding_lead"
        public = result.for_family()
        assert "wish" not in public.message_in("en")
        assert "Wunsch" not in public.message_in("de")
        assert public.params == {}


def test_cf22_only_a_no_sends_it_to_review() -> None:
    for wish in (VisitWish.YES, VisitWish.UNSURE, None):
        assert run([guardian(), child("teen", 14, visit_wish=wish)])["CF-22"].passed


# ---------------------------------------------------------------- CF-24 family programmes


@pytest.mark.parametrize(
    ("ages", "passed"),
    [((3, 15), True), ((2,), False), ((16,), False), ((4, 2), False), ((), False)],
)
def test_cf24_parent_child_group_ages_3_to_15(ages: tuple[int, ...], passed: bool) -> None:
    party = [guardian()] + [child(f"kid{i}", age) for i, age in enumerate(ages)]
    group = slot(visit_type=VisitType.PARENT_CHILD_GROUP)
    result = run(party, at=group)["CF-24"]
    assert result.passed is passed
    assert result.params["ledger"] == "family_programme"
    if not passed:
        assert result.refuses
        assert result.overridable_by == "visits_manager"


def test_cf24_a_sibling_outside_the_ages_is_never_told_to_stay_at_home() -> None:
    party = [guardian(), child("anna", 8), child("baby", 1)]
    result = run(party, at=slot(visit_type=VisitType.PARENT_CHILD_GROUP))["CF-24"]
    assert not result.passed
    assert result.params["children_outside_ages"] == ["baby"]
    assert "all your children can come together" in result.message_in("en")
    assert "alle Ihre Kinder gemeinsam" in result.message_in("de")


def test_cf24_boundaries_on_the_visit_date() -> None:
    group = slot(visit_type=VisitType.PARENT_CHILD_GROUP)
    assert run([guardian(), person("kid", turns(3))], at=group)["CF-24"].passed
    assert not run([guardian(), person("kid", turns(3) + DAY)], at=group)["CF-24"].passed
    assert not run([guardian(), person("kid", turns(16))], at=group)["CF-24"].passed
    assert run([guardian(), person("kid", turns(16) + DAY)], at=group)["CF-24"].passed


def test_cf24_does_not_apply_to_other_visit_types() -> None:
    assert run([guardian()])["CF-24"].passed


# ---------------------------------------------------------------- CF-25 long visits


def test_cf25_long_visits_go_to_the_governor() -> None:
    long = slot(visit_type=VisitType.LONG_VISIT, minutes=180)
    result = run(family(), at=long)["CF-25"]
    assert not result.passed
    assert result.needs_review
    assert result.severity is Severity.HARD
    assert result.overridable_by == "visits_manager"
    relaxed = profile("generic", long_visit_requires_approval=False)
    assert run(family(), at=long, rules=relaxed)["CF-25"].passed
    assert run(family())["CF-25"].passed
