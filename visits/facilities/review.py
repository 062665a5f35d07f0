"""Flagging booked visits for staff review when their slot changes under them.

Closures and template edits never cancel a booked visit: they flag it with the reason, and staff
decide (move, keep or cancel, telling the family).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Visit
from visits.enums import ACTIVE_VISIT_STATES


async def active_visits(session: AsyncSession, slot_ids: Sequence[uuid.UUID]) -> list[Visit]:
    if not slot_ids:
        return []
    rows = await session.scalars(
        sa.select(Visit)
        .where(Visit.slot_id.in_(list(slot_ids)), Visit.status.in_(ACTIVE_VISIT_STATES))
        .order_by(Visit.starts_at, Visit.id)
    )
    return list(rows)


def flag(visits: Sequence[Visit], reason: str) -> None:
    """Mark visits for review; an earlier, different reason is kept alongside the new one."""
    for visit in visits:
        if visit.needs_review and visit.review_reason and reason not in visit.review_reason:
            visit.review_reason = f"{visit.review_reason}; {reason}"
        else:
            visit.review_reason = reason
        visit.needs_review = True
