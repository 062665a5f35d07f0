"""Reads the console needs beyond the API's."""

from __future__ import annotations

import contextlib
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Household, Visit, VisitParty
from visits.enums import VisitStatus
from visits.validation import normalise_email, normalise_mobile


def awaiting_review(facility_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """Requests and booked visits flagged for staff: the review queue."""
    return sa.and_(
        Visit.facility_id == facility_id,
        Visit.needs_review,
        Visit.status.in_((VisitStatus.REQUESTED, VisitStatus.CONFIRMED)),
    )


async def children_per_visit(
    session: AsyncSession, visit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many children each visit brings (visits without children are left out)."""
    if not visit_ids:
        return {}
    rows = await session.execute(
        sa.select(VisitParty.visit_id, sa.func.count())
        .where(VisitParty.visit_id.in_(visit_ids), VisitParty.is_child)
        .group_by(VisitParty.visit_id)
    )
    return {visit_id: count for visit_id, count in rows}


async def find_household(session: AsyncSession, lookup: str) -> Household | None:
    """By e-mail address or mobile number, as a family gives them on the phone."""
    conditions = []
    with contextlib.suppress(ValueError):
        conditions.append(Household.email == normalise_email(lookup))
    with contextlib.suppress(ValueError):
        conditions.append(Household.phone_e164 == normalise_mobile(lookup))
    if not conditions:
        return None
    return await session.scalar(
        sa.select(Household).where(sa.or_(*conditions), Household.erased_at.is_(None)).limit(1)
    )
