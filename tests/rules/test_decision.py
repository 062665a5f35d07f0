"""From results to an outcome: refusals, staff review, warnings and audited overrides."""

from __future__ import annotations

from datetime import UTC, datetime

from visits.enums import StaffRole, VisitType
from visits.rules.decision import Outcome, Override, decide, may_override

from .builders import child, family, guardian, prisoner, run, slot

AT = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _override(rule_id: str, role: StaffRole, reason: str = "accredited escort") -> Override:
    return Override(rule_id=rule_id, role=role, actor="Lea Lead", reason=reason, at=AT)


def test_a_good_booking_is_bookable() -> None:
    decision = decide(run(family()).values())
    assert decision.outcome is Outcome.BOOKABLE
    assert decision.refused_by == decision.review_by == decision.warnings == ()


def test_a_hard_failure_refuses_and_a_soft_one_only_warns() -> None:
    results = run([child("kid", 8)], at=slot(start=slot().start.time().replace(hour=10)))
    decision = decide(results.values())
    assert decision.outcome is Outcome.REFUSED
    assert "CF-01" in decision.refused_by
    assert "CF-16" in decision.warnings


def test_review_rules_route_to_staff_instead_of_refusing() -> None:
    results = run(family(), of=prisoner(restrictions=("no_child_contact",)))
    decision = decide(results.values())
    assert decision.outcome is Outcome.REVIEW
    assert decision.review_by == ("CF-05",)


def test_an_override_needs_the_right_role_and_a_reason() -> None:
    results = list(run([child("kid", 8)]).values())
    officer = decide(results, [_override("CF-01", StaffRole.VISITS_OFFICER)])
    assert officer.outcome is Outcome.REFUSED
    [(rule, why)] = officer.override_problems
    assert (rule, str(why)) == ("CF-01", "only visits_manager may override this rule")
    assert why.translated("de") == "nur visits_manager darf diese Regel übersteuern"
    no_reason = decide(results, [_override("CF-01", StaffRole.VISITS_MANAGER, reason="  ")])
    assert no_reason.outcome is Outcome.REFUSED
    manager = decide(results, [_override("CF-01", StaffRole.VISITS_MANAGER)])
    assert manager.outcome is Outcome.BOOKABLE
    assert manager.overridden == ("CF-01",)


def test_a_manager_may_take_an_officers_decision_but_not_a_safeguarding_one() -> None:
    results = run(
        [guardian(approved_for_prisoner=False), child("kid", 8)],
        of=prisoner(restrictions=("no_child_contact",)),
    )
    assert may_override(results["CF-04"], StaffRole.VISITS_MANAGER)
    assert may_override(results["CF-04"], StaffRole.VISITS_OFFICER)
    assert not may_override(results["CF-05"], StaffRole.VISITS_MANAGER)
    assert not may_override(results["CF-05"], StaffRole.ADMIN)
    assert may_override(results["CF-05"], StaffRole.SAFEGUARDING_LEAD)
    assert not may_override(results["CF-04"], None)  # the public never overrides
    assert not may_override(results["CF-06"], StaffRole.VISITS_MANAGER)  # nobody may


def test_overriding_a_rule_that_passed_is_reported() -> None:
    decision = decide(run(family()).values(), [_override("CF-07", StaffRole.VISITS_MANAGER)])
    [(rule, why)] = decision.override_problems
    assert (rule, str(why)) == ("CF-07", "the rule did not fail; nothing to override")


def test_a_safeguarding_leads_decision_clears_the_review() -> None:
    results = run(
        family(),
        at=slot(visit_type=VisitType.CHILD_FAMILY, room_closed_visits=True),
    )
    assert decide(results.values()).outcome is Outcome.REVIEW
    cleared = decide(results.values(), [_override("CF-19", StaffRole.SAFEGUARDING_LEAD)])
    assert cleared.outcome is Outcome.BOOKABLE
