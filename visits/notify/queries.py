"""Reads for notifications: the households behind a phone number, a reminder or notice by its
provider id, and the notices staff look at (a visit's, and those of a facility that need
attention)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Household, Notice, Reminder, Visit
from visits.enums import ReminderState

NEEDS_ATTENTION = sa.or_(
    Notice.state.in_((ReminderState.FAILED, ReminderState.UNDELIVERABLE)),
    sa.and_(Notice.state == ReminderState.PENDING, Notice.attempts > 0),
)
"""A notice staff should look at: given up on, refused, or waiting to be tried again."""


def household_ids_with_phone(phone: str) -> sa.Select[uuid.UUID]:
    """The ids of the households reached at ``phone`` (E.164), as a subquery to filter by."""
    return sa.select(Household.id).where(Household.phone_e164 == phone)


async def households_with_phone(session: AsyncSession, phone: str) -> list[Household]:
    """Every household reached at ``phone`` (E.164); several may share a number."""
    return list(await session.scalars(sa.select(Household).where(Household.phone_e164 == phone)))


async def reminder_by_message_id(session: AsyncSession, message_id: str) -> Reminder | None:
    """The reminder the SMS provider knows as ``message_id``, if any."""
    query = sa.select(Reminder).where(Reminder.provider_message_id == message_id)
    return await session.scalar(query)


async def notice_by_message_id(session: AsyncSession, message_id: str) -> Notice | None:
    """The notice the SMS provider knows as ``message_id``, if any."""
    query = sa.select(Notice).where(Notice.provider_message_id == message_id)
    return await session.scalar(query)


async def notices_of_visit(session: AsyncSession, visit_id: uuid.UUID) -> list[Notice]:
    """Every notice about the visit, newest first."""
    query = (
        sa.select(Notice)
        .where(Notice.visit_id == visit_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
    )
    return list(await session.scalars(query))


def _needing_attention(
    facility_id: uuid.UUID, state: ReminderState | None
) -> sa.Select[Notice, str]:
    """Notices about visits at the facility that need attention (only in ``state``, if given),
    with the visit's reference. Sign-in codes belong to no visit, so to no facility."""
    query = (
        sa.select(Notice, Visit.reference)
        .join(Visit, Visit.id == Notice.visit_id)
        .where(Visit.facility_id == facility_id, NEEDS_ATTENTION)
    )
    if state is not None:
        query = query.where(Notice.state == state)
    return query


async def notices_needing_attention(
    session: AsyncSession,
    facility_id: uuid.UUID,
    *,
    state: ReminderState | None = None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Notice, str]], int]:
    """One page of the facility's notices that need attention, newest first, each with its
    visit's reference; and how many there are in all."""
    query = _needing_attention(facility_id, state)
    total = await session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    page = query.order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit).offset(offset)
    rows = [(notice, reference) for notice, reference in (await session.execute(page)).all()]
    return rows, total or 0


async def count_notices_needing_attention(session: AsyncSession, facility_id: uuid.UUID) -> int:
    """How many of the facility's notices need attention."""
    query = _needing_attention(facility_id, None)
    return await session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
