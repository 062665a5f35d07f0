"""Flagging booked visits for staff review when their slot changes under them.

Closures and template edits never cancel a booked visit: they flag it with the reason, and staff
decide (move, keep or cancel, telling the family).
"""

from __future__ import annotations

from collections.abc import Sequence

from visits.db.models import Visit


def flag(visits: Sequence[Visit], reason: str) -> None:
    """Mark visits for review; an earlier, different reason is kept alongside the new one."""
    for visit in visits:
        if visit.needs_review and visit.review_reason and reason not in visit.review_reason:
            visit.review_reason = f"{visit.review_reason}; {reason}"
        else:
            visit.review_reason = reason
        visit.needs_review = True
