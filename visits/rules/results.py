"""One way to build a result, so every rule fills ids, texts and override roles alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from visits.rules.catalogue import RULES
from visits.rules.messages import Localised
from visits.rules.model import RuleResult
from visits.rules.severity import Severity


def result(
    rule_id: str,
    text: Localised,
    *,
    passed: bool,
    params: Mapping[str, Any] | None = None,
    severity: Severity | None = None,
    in_confirmation: bool = False,
    family_text: Localised | None = None,
) -> RuleResult:
    """A result of ``rule_id``; severity, override role and review routing default to its spec."""
    spec = RULES[rule_id]
    return RuleResult(
        rule_id=rule_id,
        severity=severity or spec.severity,
        passed=passed,
        message_de=text.de,
        message_en=text.en,
        params=dict(params or {}),
        overridable_by=spec.overridable_by,
        route_to_review=spec.route_to_review and not passed,
        in_confirmation=in_confirmation,
        family_message_de=family_text.de if family_text else None,
        family_message_en=family_text.en if family_text else None,
    )
