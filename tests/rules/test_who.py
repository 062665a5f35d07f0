"""A. Who may come: CF-01 … CF-06, with age boundaries on the visit date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from visits.enums import CustodyStatus, Relationship
from visits.rules.model import HouseholdHistory, Severity

from .builders import (
    BERLIN,
    VISIT_DAY,
    aged,
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

# ---------------------------------------------------------------- CF-01 lead visitor


@pytest.mark.parametrize(
    ("lead_birth", "passed"),
    [
        (turns(18), True),  # 18th birthday on the visit date counts
        (turns(18) - DAY, True),  # turned 18 the day before
        (turns(18) + DAY, False),  # turns 18 the day after the visit: still 17
        (aged(40), True),
        (aged(17), False),
    ],
)
def test_cf01_the_companion_is_old_enough_on_the_visit_date(lead_birth: date, passed: bool) -> None:
    party = [person("lead", lead_birth, Relationship.SIBLING), child("kid", 5)]
    result = run(party)["CF-01"]
    assert result.passed is passed
    assert result.severity is Severity.HARD
    assert result.params["unaccompanied_children"] == ([] if passed else ["kid"])
    assert result.overridable_by == "visits_manager"


@pytest.mark.parametrize(
    ("birth", "passed"),
    [
        (turns(16), True),  # 16 on the visit day: may come alone (generic)
        (turns(16) - DAY, True),
        (turns(16) + DAY, False),  # 16 only from tomorrow
        (aged(12), False),
    ],
)
def test_cf01_a_teenager_alone_needs_unaccompanied_min_age(birth: date, passed: bool) -> None:
    assert run([person("teen", birth)])["CF-01"].passed is passed


def test_cf01_england_and_wales_never_lets_under_18s_come_alone() -> None:
    assert not run([child("teen", 17)], rules=profile("en-gb"))["CF-01"].passed
    assert run([child("teen", 17)], rules=profile("de-nw"))["CF-01"].passed


@pytest.mark.parametrize(
    ("visit_day", "passed"),
    [
        (date(2026, 2, 28), False),  # born 29 Feb 2008: still 17 on 28 Feb in a common year
        (date(2026, 3, 1), True),  # 18 on 1 March
        (date(2028, 2, 28), True),  # leap years: 20 and beyond, of course
    ],
)
def test_cf01_a_leap_day_companion(visit_day: date, passed: bool) -> None:
    party = [person("lead", date(2008, 2, 29), Relationship.SIBLING), child("kid", 5, on=visit_day)]
    assert run(party, at=slot(day=visit_day))["CF-01"].passed is passed


def test_cf01_ages_count_on_the_visit_date_not_on_the_booking_date() -> None:
    # Booked while the companion is 17; on the visit day they are 18.
    party = [person("lead", turns(18), Relationship.SIBLING), child("kid", 5)]
    booked_at = datetime.combine(VISIT_DAY - timedelta(days=20), time(12), BERLIN)
    assert run(party, now=booked_at)["CF-01"].passed


def test_cf01_ages_use_the_local_date_of_a_slot_just_after_midnight() -> None:
    # 00:30 in Berlin on 13 May is 22:30 UTC on 12 May; the 16th birthday is the local date.
    teen = person("teen", turns(16))
    at = slot(start=time(0, 30), minutes=60)
    assert at.start.astimezone(BERLIN).date() == VISIT_DAY
    assert run([teen], at=at)["CF-01"].passed


def test_cf01_a_child_cannot_accompany_themselves() -> None:
    rules = profile("generic", lead_min_age=14, unaccompanied_min_age=16)
    assert not run([child("teen", 15)], rules=rules)["CF-01"].passed
    assert run([child("teen", 15), child("sib", 15)], rules=rules)["CF-01"].passed


# ---------------------------------------------------------------- CF-02 consent


def test_cf02_no_consent_needed_with_the_guardian() -> None:
    result = run(family())["CF-02"]
    assert result.passed
    assert result.severity is Severity.SOFT


def test_cf02_a_non_guardian_adult_brings_consent() -> None:
    party = [guardian("aunt", is_guardian=False), child("anna", 8)]
    result = run(party)["CF-02"]
    assert not result.passed
    assert result.severity is Severity.SOFT  # a checklist, never a refusal
    assert result.in_confirmation
    assert result.params["children_without_consent"] == ["anna"]
    assert "guardian" in result.message_in("en")
    assert "ID" not in result.message_in("en")  # generic asks for no ID copy


def test_cf02_nrw_also_asks_for_a_copy_of_the_guardians_id() -> None:
    party = [guardian("aunt", is_guardian=False), child("anna", 8)]
    result = run(party, rules=profile("de-nw"))["CF-02"]
    assert not result.passed
    assert "Kopie ihres Ausweises" in result.message_in("de")
    assert "copy of the guardian's ID" in result.message_in("en")


def test_cf02_consent_on_file_is_enough() -> None:
    party = [guardian("aunt", is_guardian=False), child("anna", 8), child("ben", 4)]
    partial = run(party, history=HouseholdHistory(consent_on_file=frozenset({"anna"})))["CF-02"]
    assert not partial.passed
    assert partial.params["children_without_consent"] == ["ben"]
    both = HouseholdHistory(consent_on_file=frozenset({"anna", "ben"}))
    assert run(party, history=both)["CF-02"].passed


def test_cf02_a_sixteen_year_old_alone_in_nrw_brings_written_consent() -> None:
    result = run([child("teen", 16)], rules=profile("de-nw"))["CF-02"]
    assert not result.passed
    assert "Jugendliche" in result.message_in("de")
    no_consent = profile("de-nw", unaccompanied_requires_consent=False)
    assert run([child("teen", 16)], rules=no_consent)["CF-02"].passed


def test_cf02_a_guardian_who_is_a_minor_does_not_count_as_the_adult_guardian() -> None:
    party = [child("teen_mum", 17, is_guardian=True, relationship=Relationship.PARTNER)]
    party.append(child("baby", 0))
    assert not run(party, rules=profile("de-nw"))["CF-02"].passed


# ---------------------------------------------------------------- CF-03 ID documents


def test_cf03_every_child_needs_id_in_germany() -> None:
    result = run(family(), rules=profile("de-nw"))["CF-03"]
    assert result.passed
    assert result.severity is Severity.INFO
    assert result.in_confirmation
    assert sorted(result.params["needs_id"]) == ["anna", "ben", "mum"]
    assert "Babys" in result.message_in("de")


@pytest.mark.parametrize(
    ("birth", "needs_id"),
    [(turns(16), True), (turns(16) + DAY, False), (turns(16) - DAY, True), (aged(4), False)],
)
def test_cf03_accompanied_under_16s_need_no_id_in_england(birth: date, needs_id: bool) -> None:
    result = run([guardian(), person("kid", birth)], rules=profile("en-gb"))["CF-03"]
    assert ("kid" in result.params["needs_id"]) is needs_id
    assert "16" in result.message_in("en")


def test_cf03_an_unaccompanied_child_always_needs_id() -> None:
    rules = profile("en-gb", unaccompanied_min_age=14)
    assert run([child("teen", 15)], rules=rules)["CF-03"].params["needs_id"] == ["teen"]


# ---------------------------------------------------------------- CF-04 approval


def test_cf04_every_visitor_is_approved() -> None:
    party = [guardian(), child("anna", 8, approved_for_prisoner=False)]
    result = run(party)["CF-04"]
    assert not result.passed
    assert result.severity is Severity.HARD
    assert result.params["not_approved"] == ["anna"]
    assert result.overridable_by == "visits_officer"
    assert run(family())["CF-04"].passed


@pytest.mark.parametrize(
    ("name", "status", "passed"),
    [
        ("de-nw", CustodyStatus.REMAND, False),
        ("de-nw", CustodyStatus.SENTENCED, True),
        ("en-gb", CustodyStatus.REMAND, True),  # no court permits in England and Wales
    ],
)
def test_cf04_remand_needs_a_court_permit_per_visitor(
    name: str, status: CustodyStatus, passed: bool
) -> None:
    party = [guardian(), child("anna", 8, court_permit_valid=False)]
    result = run(party, rules=profile(name), of=prisoner(custody_status=status))["CF-04"]
    assert result.passed is passed
    if not passed:
        assert result.params["without_court_permit"] == ["anna"]
        assert "Besuchserlaubnis des Gerichts" in result.message_in("de")


def test_cf04_both_problems_are_explained() -> None:
    party = [guardian(court_permit_valid=False), child("anna", 8, approved_for_prisoner=False)]
    result = run(party, of=prisoner(custody_status=CustodyStatus.REMAND))["CF-04"]
    assert "approved" in result.message_in("en")
    assert "court" in result.message_in("en")


# ---------------------------------------------------------------- CF-05 safeguarding


def test_cf05_a_prisoner_restriction_sends_a_visit_with_children_to_review() -> None:
    restricted = prisoner(restrictions=("no_child_contact",))
    result = run(family(), of=restricted)["CF-05"]
    assert not result.passed
    assert result.severity is Severity.HARD
    assert result.route_to_review
    assert result.needs_review
    assert not result.refuses
    assert result.overridable_by == "safeguarding_lead"
    assert "no_child_contact" in result.message_in("en")
    public = result.for_family()
    assert "no_child_contact" not in public.message_in("en") + public.message_in("de")
    assert public.params == {}
    assert "visits team" in public.message_in("en")


def test_cf05_an_adult_only_visit_is_not_blocked_by_a_child_contact_restriction() -> None:
    restricted = prisoner(restrictions=("no_child_contact",))
    assert run([guardian()], of=restricted)["CF-05"].passed


def test_cf05_a_flag_on_any_visitor_blocks_self_booking() -> None:
    party = [guardian(safeguarding_flags=("vetting_pending",))]
    result = run(party)["CF-05"]
    assert not result.passed
    assert result.params["visitor_flags"] == {"mum": ["vetting_pending"]}
    assert result.confidential


# ---------------------------------------------------------------- CF-06 ages


def test_cf06_reports_the_ages_on_the_visit_date() -> None:
    party = [guardian(), person("leap", date(2016, 2, 29)), person("today", turns(7))]
    result = run(party, at=slot(day=date(2026, 3, 1)))["CF-06"]
    assert result.passed
    assert result.params["visit_date"] == "2026-03-01"
    assert result.params["ages"]["leap"] == 10  # 29 Feb: a year older on 1 March
    assert result.params["ages"]["today"] == 6  # turns 7 on 13 May, not yet on 1 March
    assert "1 March 2026" in result.message_in("en")
    assert "01.03.2026" in result.message_in("de")


def test_cf06_a_birth_date_after_the_visit_is_an_error() -> None:
    result = run([guardian(), person("baby", VISIT_DAY + DAY)])["CF-06"]
    assert not result.passed
    assert result.refuses
    assert result.params["born_after_visit"] == ["baby"]
    assert run([guardian(), person("baby", VISIT_DAY)])["CF-06"].passed  # born that very day


def test_a_visitor_twice_in_the_party_is_a_caller_bug() -> None:
    with pytest.raises(ValueError, match="twice"):
        run([guardian(), guardian()])
