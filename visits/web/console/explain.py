"""Rule results explained for staff: what the family is told beside the staff detail, and
whether the person looking may set the result aside."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from visits.enums import StaffRole
from visits.rules.decision import may_override
from visits.rules.model import RuleResult


@dataclass(frozen=True)
class Explained:
    rule_id: str
    severity: str
    passed: bool
    refuses: bool
    needs_review: bool
    family_message: str
    staff_message: str
    overridable_by: StaffRole | None
    may_override: bool  # one of the viewer's roles may override (or decide) it

    @property
    def state(self) -> str:
        if self.passed:
            return "passed"
        if self.refuses:
            return "refuses"
        if self.needs_review:
            return "review"
        return "note"


def explain(
    results: Iterable[RuleResult], roles: Sequence[StaffRole], language: str
) -> list[Explained]:
    """Failures first (those that refuse, then reviews, then notes), then what passed."""
    order = {"refuses": 0, "review": 1, "note": 2, "passed": 3}
    explained = [
        Explained(
            rule_id=r.rule_id,
            severity=r.severity.value,
            passed=r.passed,
            refuses=r.refuses,
            needs_review=r.needs_review,
            family_message=r.for_family().message_in(language),
            staff_message=r.message_in(language),
            overridable_by=r.overridable_by,
            may_override=any(may_override(r, role) for role in roles),
        )
        for r in results
    ]
    return sorted(explained, key=lambda e: (order[e.state], e.rule_id))
