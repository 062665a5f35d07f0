"""Why a visit waits for staff, stored language-neutral and shown in the reader's language.

A visit's ``review_reason`` holds the ids of the rules that routed it to review, or a code the
booking writes itself when no rule does (``REVIEW_REASONS``); several are joined by ``"; "``.
A change staff make (a closure, a slot template edit) stores its code with the staff's own words
after a colon (``"closure:Staff meeting"``, see ``staff_reason``): the code is shown in the
reader's language, the words as written. Anything else (rows stored before the codes, e.g.
``"Closure: Staff meeting"``) is shown as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from visits.i18n import N_, translate
from visits.rules.model import RuleResult

SEPARATOR = "; "
REQUEST_MODE, RESCHEDULED = "request-mode", "rescheduled"
LARGE_PARTY = "large-party"  # a family asks to come as a group larger than the caps (CF-07)
CLOSURE, TEMPLATE_CHANGED, TEMPLATE_CAPACITY = "closure", "template-changed", "template-capacity"
REVIEW_REASONS = {
    REQUEST_MODE: N_("The facility takes requests only."),
    RESCHEDULED: N_("Rescheduled: the new time needs review."),
    LARGE_PARTY: N_(
        "The family asks to come together as a group larger than the usual limit per visit."
    ),
}
STAFF_REASONS = {
    CLOSURE: N_("Closure: %(text)s"),
    TEMPLATE_CHANGED: N_("Slot template changed: %(text)s"),
    TEMPLATE_CAPACITY: N_("Slot template changed: %(text)s (capacity below bookings)"),
}
"""Codes stored with the staff's words (``staff_reason``); ``%(text)s`` is those words."""
_STAFF_TEXT = ":"


def staff_reason(code: str, text: str) -> str:
    """A reason a staff change stores: its code (one of ``STAFF_REASONS``) and the staff's own
    words, kept as written."""
    assert code in STAFF_REASONS, code
    return f"{code}{_STAFF_TEXT}{text}"


def stored_reason(results: Sequence[RuleResult]) -> str | None:
    """The reviewing rules' ids, as a visit stores them (None if no rule routed it)."""
    return SEPARATOR.join(r.rule_id for r in results) or None


def shown_reason(reason: str | None, results: Sequence[RuleResult], language: str) -> str | None:
    """``reason`` in words: each rule id as that rule's staff text for the visit, each code in
    ``language`` (with the staff's words as written), anything else as written."""
    if reason is None:
        return None
    texts = {code: translate(language, words) for code, words in REVIEW_REASONS.items()}
    texts |= {r.rule_id: r.message_in(language) for r in results}

    def shown(part: str) -> str:
        code, colon, text = part.partition(_STAFF_TEXT)
        if colon and code in STAFF_REASONS:
            return translate(language, STAFF_REASONS[code], text=text)
        return texts.get(part, part)

    return SEPARATOR.join(shown(part) for part in reason.split(SEPARATOR))
