"""One way to build a result, so every rule fills ids, texts and override roles alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from visits.rules.catalogue import RULES, RuleId
from visits.rules.model import RuleResult
from visits.rules.severity import Severity
from visits.rules.texts import Text


def result(
    rule_id: RuleId,
    text: Text,
    *,
    passed: bool,
    params: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
    in_confirmation: bool = False,
    family_text: Text | None = None,
) -> RuleResult:
    """A result of ``rule_id``; severity, override role and review routing default to its spec."""
    spec = RULES[rule_id]
    return RuleResult(
        rule_id=rule_id.value,
        severity=severity or spec.severity,
        passed=passed,
        message=text,
        params=dict(params or {}),
        overridable_by=spec.overridable_by,
        route_to_review=spec.route_to_review and not passed,
        in_confirmation=in_confirmation,
        family_message=family_text,
    )
