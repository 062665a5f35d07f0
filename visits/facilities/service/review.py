"""Flagging booked visits for staff review when their slot changes under them.

Closures and template edits never cancel a booked visit: they flag it with the reason, and staff
decide (move, keep or cancel, telling the family). The family hears at once that its visit may
not take place as planned and should not travel before the facility gets in touch (the staff
reason stays with staff).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Visit
from visits.enums import NoticeKind
from visits.notify import outbox


async def flag(session: AsyncSession, visits: Sequence[Visit], reason: str) -> None:
    """Mark visits for review and tell their households; an earlier, different reason is kept
    alongside the new one, and a reason already recorded tells nobody again."""
    for visit in visits:
        if visit.needs_review and visit.review_reason:
            if reason in visit.review_reason:
                continue
            visit.review_reason = f"{visit.review_reason}; {reason}"
        else:
            visit.review_reason = reason
        visit.needs_review = True
        await outbox.tell_household(session, visit, NoticeKind.VISIT_AFFECTED)
