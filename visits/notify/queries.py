"""Reads for notifications: the households behind a phone number, a reminder by its provider id."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Household, Reminder


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
