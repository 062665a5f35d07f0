"""From rule results to an outcome: bookable, staff review, or refused, with audited overrides.

The public never overrides. A staff override names the rule, the role, who and why; it counts
only when that role may override the rule (a visits manager may also take a visits officer's
decisions; safeguarding decisions belong to a safeguarding lead alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

import msgspec

from visits.enums import StaffRole
from visits.i18n import Message
from visits.rules.model import RuleResult


class Outcome(StrEnum):
    BOOKABLE = "bookable"
    REVIEW = "review"
    REFUSED = "refused"


class Override(msgspec.Struct, frozen=True, kw_only=True):
    """A staff decision to set aside one failed rule for one visit (recorded in the audit)."""

    rule_id: str
    role: StaffRole
    actor: str
    reason: str
    at: datetime


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    outcome: Outcome
    refused_by: tuple[str, ...]  # HARD failures without a valid override
    review_by: tuple[str, ...]  # failures routed to staff review without a decision yet
    warnings: tuple[str, ...]  # SOFT failures: shown, never blocking
    overridden: tuple[str, ...]
    override_problems: tuple[tuple[str, Message], ...]  # (rule id, why the override fails)


def may_override(result: RuleResult, role: StaffRole | None) -> bool:
    """Whether ``role`` may set aside ``result``; ``None`` (the public) never may."""
    if role is None or result.overridable_by is None:
        return False
    if role is result.overridable_by:
        return True
    return result.overridable_by is StaffRole.VISITS_OFFICER and role is StaffRole.VISITS_MANAGER


def decide(results: Iterable[RuleResult], overrides: Iterable[Override] = ()) -> Decision:
    """Refused if a HARD rule failed without a valid override; else review if a rule routes the
    booking to staff; else bookable."""
    failed = {r.rule_id: r for r in results if not r.passed}
    valid: set[str] = set()
    problems: list[tuple[str, Message]] = []
    for override in overrides:
        target = failed.get(override.rule_id)
        if target is None:
            problems.append(
                (override.rule_id, Message("the rule did not fail; nothing to override"))
            )
        elif not override.reason.strip():
            problems.append((override.rule_id, Message("an override needs a reason")))
        elif not may_override(target, override.role):
            only = target.overridable_by
            why = (
                Message("only %(role)s may override this rule", {"role": only.value})
                if only
                else Message("nobody may override this rule")
            )
            problems.append((override.rule_id, why))
        else:
            valid.add(override.rule_id)
    open_failures = [r for r in failed.values() if r.rule_id not in valid]
    refused = tuple(r.rule_id for r in open_failures if r.refuses)
    review = tuple(r.rule_id for r in open_failures if r.needs_review)
    warnings = tuple(r.rule_id for r in open_failures if not r.refuses and not r.needs_review)
    outcome = Outcome.REFUSED if refused else Outcome.REVIEW if review else Outcome.BOOKABLE
    return Decision(
        outcome=outcome,
        refused_by=refused,
        review_by=review,
        warnings=warnings,
        overridden=tuple(sorted(valid)),
        override_problems=tuple(problems),
    )
