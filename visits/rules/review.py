"""Why a visit waits for staff, stored language-neutral and shown in the reader's language.

A visit's ``review_reason`` holds the ids of the rules that routed it to review, or a code the
booking writes itself when no rule does (``REVIEW_REASONS``); several are joined by ``"; "``.
A reason staff typed (a closure) is stored and shown as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from visits.i18n import N_, translate
from visits.rules.model import RuleResult

SEPARATOR = "; "
REQUEST_MODE, RESCHEDULED = "request-mode", "rescheduled"
REVIEW_REASONS = {
    REQUEST_MODE: N_("The facility takes requests only."),
    RESCHEDULED: N_("Rescheduled: the new time needs review."),
}


def stored_reason(results: Sequence[RuleResult]) -> str | None:
    """The reviewing rules' ids, as a visit stores them (None if no rule routed it)."""
    return SEPARATOR.join(r.rule_id for r in results) or None


def shown_reason(reason: str | None, results: Sequence[RuleResult], language: str) -> str | None:
    """``reason`` in words: each rule id as that rule's staff text for the visit, each code in
    ``language``, anything else as written."""
    if reason is None:
        return None
    texts = {code: translate(language, words) for code, words in REVIEW_REASONS.items()}
    texts |= {r.rule_id: r.message_in(language) for r in results}
    return SEPARATOR.join(texts.get(part, part) for part in reason.split(SEPARATOR))
