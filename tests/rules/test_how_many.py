"""B. How many: CF-07 caps, CF-08 composition per visit type, CF-07b room capacity."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from visits.enums import VisitType
from visits.rules.model import Severity
from visits.rules.party import party_usage

from .builders import VISIT_DAY, child, family, guardian, person, profile, run, slot, turns

DAY = timedelta(days=1)

# ---------------------------------------------------------------- CF-07 caps per visit


@pytest.mark.parametrize(
    ("adults", "children", "passed"),
    [
        (1, 3, True),
        (3, 3, True),  # 6 in total, at every cap
        (4, 0, False),  # too many adults
        (1, 4, False),  # too many children
        (2, 5, False),  # too many children and too many in total
    ],
)
def test_cf07_caps(adults: int, children: int, passed: bool) -> None:
    party = [guardian(f"adult{i}", is_guardian=i == 0) for i in range(adults)]
    party += [child(f"kid{i}", 5 + i) for i in range(children)]
    result = run(party)["CF-07"]
    assert result.passed is passed
    assert result.params["adults"] == adults
    assert result.params["children"] == children
    assert result.overridable_by == "visits_manager"


def test_cf07_the_total_cap_binds_in_england() -> None:
    # en-gb: 3 adults and 6 visitors in total, no separate child cap.
    party = [guardian()] + [child(f"kid{i}", 4 + i) for i in range(5)]
    assert run(party, rules=profile("en-gb"))["CF-07"].passed
    party.append(child("kid5", 14))
    result = run(party, rules=profile("en-gb"))["CF-07"]
    assert not result.passed
    assert result.params["total"] == 7


def test_cf07_a_refusal_never_asks_to_leave_a_child_at_home() -> None:
    party = [guardian()] + [child(f"kid{i}", 3 + i) for i in range(4)]
    result = run(party)["CF-07"]
    assert not result.passed
    assert "Nobody has to stay at home" in result.message_in("en")
    assert "Niemand muss zu Hause bleiben" in result.message_in("de")
    assert "family days" in result.message_in("en")


@pytest.mark.parametrize(
    ("baby_birth", "counted"),
    [
        (turns(3), True),  # 3 on the visit day: needs a seat, counts
        (turns(3) + DAY, False),  # turns 3 tomorrow: still an infant
        (turns(3) - DAY, True),
    ],
)
def test_cf07_infants_below_seat_age_can_be_left_out_of_the_caps(
    baby_birth: date, counted: bool
) -> None:
    party = [guardian(), child("a", 5), child("b", 7), child("c", 9), person("baby", baby_birth)]
    lenient = profile("generic", infants_count_toward_caps=False)
    assert run(party, rules=lenient)["CF-07"].passed is not counted
    assert not run(party)["CF-07"].passed  # by default every child counts


def test_cf07_an_empty_party_is_refused() -> None:
    result = run([])["CF-07"]
    assert not result.passed
    assert result.refuses
    assert "at least one visitor" in result.message_in("en")


# ---------------------------------------------------------------- CF-08 composition


def test_cf08_a_child_and_family_visit_needs_children() -> None:
    result = run([guardian()], at=slot(visit_type=VisitType.CHILD_FAMILY))["CF-08"]
    assert not result.passed
    assert result.severity is Severity.HARD
    assert "Child and family visit" in result.message_in("en")
    assert "Kinder- und Familienbesuch" in result.message_in("de")


def test_cf08_one_accompanying_adult_besides_the_children() -> None:
    at = slot(visit_type=VisitType.CHILD_FAMILY)
    assert run(family(), at=at)["CF-08"].passed
    two_adults = [*family(), guardian("grandma", 66, is_guardian=False)]
    result = run(two_adults, at=at)["CF-08"]
    assert not result.passed
    assert result.params["max_accompanying_adults"] == 1
    assert result.params["adults"] == 2
    assert "regular visits" in result.message_in("en")
    # a regular visit takes the same group
    assert run(two_adults)["CF-08"].passed


def test_cf08_an_eighteen_year_old_sibling_counts_as_an_adult_from_the_birthday() -> None:
    at = slot(visit_type=VisitType.CHILD_FAMILY)
    turning = [guardian(), person("big", turns(18)), child("small", 6)]
    assert not run(turning, at=at)["CF-08"].passed
    not_yet = [guardian(), person("big", turns(18) + DAY), child("small", 6)]
    assert run(not_yet, at=at)["CF-08"].passed


def test_cf08_an_override_lifts_the_adult_cap() -> None:
    at = slot(visit_type=VisitType.CHILD_FAMILY)
    party = [*family(), guardian("dad2", is_guardian=False)]
    rules = profile("generic", **{"composition.child_family.max_accompanying_adults": None})
    assert run(party, at=at, rules=rules)["CF-08"].passed


# ---------------------------------------------------------------- CF-07b room capacity


@pytest.mark.parametrize(
    ("tables", "seats", "children", "passed"),
    [
        (1, 2, 2, True),  # exactly enough: two seats (the baby sits on a lap), two children
        (0, 10, 10, False),  # no table left
        (1, 1, 10, False),  # one seat short
        (1, 10, 1, False),  # room for one child only
    ],
)
def test_cf07b_never_exceeds_what_is_left(
    tables: int, seats: int, children: int, passed: bool
) -> None:
    party = [guardian(), child("anna", 8), child("baby", 1)]  # the baby needs no seat
    at = slot(remaining_tables=tables, remaining_seats=seats, remaining_children=children)
    result = run(party, at=at)["CF-07b"]
    assert result.passed is passed
    assert result.params["need_seats"] == 2
    assert result.params["need_children"] == 2
    assert result.overridable_by == "visits_manager"


def test_cf07b_usage_is_what_the_booking_takes_from_the_slot() -> None:
    party = [guardian(), child("anna", 8), person("baby", turns(3) + DAY)]
    usage = party_usage(party, VISIT_DAY, profile())
    assert (usage.tables, usage.seats, usage.children) == (1, 2, 2)
    on_birthday = party_usage(party, VISIT_DAY + DAY, profile())
    assert on_birthday.seats == 3
