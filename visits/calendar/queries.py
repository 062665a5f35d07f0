"""Reads of calendar feed subscriptions (``AuthToken`` of kind FEED), composed by the calendar
API. A listing returns one page, newest first, and the total count."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.calendar.feed_tokens import facility_condition
from visits.db.models import AuthToken, StaffMember
from visits.enums import TokenKind

FeedRow = tuple[AuthToken, str | None]
"""A feed subscription and its staff owner's name (None for a household's feed)."""


async def _feeds(
    session: AsyncSession, condition: sa.ColumnElement[bool], limit: int, offset: int
) -> tuple[list[FeedRow], int]:
    total = await session.scalar(sa.select(sa.func.count()).select_from(AuthToken).where(condition))
    rows = await session.execute(
        sa.select(AuthToken, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == AuthToken.staff_id)
        .where(condition)
        .order_by(AuthToken.created_at.desc(), AuthToken.id)
        .limit(limit)
        .offset(offset)
    )
    return [(row, name) for row, name in rows], total or 0


async def household_feeds(
    session: AsyncSession, household_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[FeedRow], int]:
    """The household's subscriptions, revoked ones included."""
    condition = sa.and_(AuthToken.kind == TokenKind.FEED, AuthToken.household_id == household_id)
    return await _feeds(session, condition, limit, offset)


async def staff_feeds(
    session: AsyncSession, staff_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[FeedRow], int]:
    """One member of staff's own subscriptions at every facility, revoked ones included."""
    condition = sa.and_(AuthToken.kind == TokenKind.FEED, AuthToken.staff_id == staff_id)
    return await _feeds(session, condition, limit, offset)


async def facility_feeds(
    session: AsyncSession, facility_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[FeedRow], int]:
    """Every staff subscription to the facility's or its rooms' schedules."""
    return await _feeds(session, facility_condition(facility_id), limit, offset)


async def household_feed(
    session: AsyncSession, feed_id: uuid.UUID, household_id: uuid.UUID
) -> AuthToken | None:
    """The household's subscription ``feed_id`` (None if it is not the household's)."""
    found: AuthToken | None = await session.scalar(
        sa.select(AuthToken).where(
            AuthToken.id == feed_id,
            AuthToken.kind == TokenKind.FEED,
            AuthToken.household_id == household_id,
        )
    )
    return found


async def staff_feed(session: AsyncSession, feed_id: uuid.UUID) -> AuthToken | None:
    """The staff subscription ``feed_id`` (None if there is none, or it is a household's)."""
    found: AuthToken | None = await session.scalar(
        sa.select(AuthToken).where(
            AuthToken.id == feed_id,
            AuthToken.kind == TokenKind.FEED,
            AuthToken.staff_id.is_not(None),
        )
    )
    return found
