"""Reads about households and their members: finding a household, listing its visitors."""

from __future__ import annotations

import contextlib
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Household, Visitor
from visits.validation import normalise_email, normalise_mobile


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


async def household_visitors(
    session: AsyncSession, household_id: uuid.UUID, *, youngest_first: bool = False
) -> list[Visitor]:
    """Everyone in the household, oldest first (or youngest first)."""
    born = Visitor.birth_date.desc() if youngest_first else Visitor.birth_date
    rows = await session.scalars(
        sa.select(Visitor).where(Visitor.household_id == household_id).order_by(born, Visitor.id)
    )
    return list(rows)


async def given_names(session: AsyncSession, visitor_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The first name of each of these visitors."""
    rows = await session.execute(
        sa.select(Visitor.id, Visitor.given_name).where(Visitor.id.in_(visitor_ids))
    )
    return {visitor_id: name for visitor_id, name in rows}
