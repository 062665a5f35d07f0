"""Claiming outbox rows with a lease: the one mechanism both outboxes (reminders, notices) send by.

A dispatcher claims due rows (a conditional update; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL)
by setting them ``sending`` with a lease, and records an outcome only while it still holds that
lease, so any number of dispatchers share the work and none sends a row twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from visits.db.models import Notice, Reminder
from visits.enums import ReminderState

Outbox = type[Reminder] | type[Notice]


def due_rows(
    model: Outbox, now: datetime, *ready: sa.ColumnElement[bool]
) -> sa.ColumnElement[bool]:
    """Rows to send: pending ones that are ``ready`` and not waiting for a retry, and rows
    whose lease ran out (their dispatcher stopped)."""
    return sa.or_(
        sa.and_(
            model.state == ReminderState.PENDING,
            *ready,
            sa.or_(model.next_attempt_at.is_(None), model.next_attempt_at <= now),
        ),
        sa.and_(model.state == ReminderState.SENDING, model.lease_until < now),
    )


async def claim_rows(
    session: AsyncSession,
    model: Outbox,
    due: sa.ColumnElement[bool],
    order_by: InstrumentedAttribute[datetime],
    limit: int,
    lease_until: datetime,
    only: Sequence[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Claim up to ``limit`` ``due`` rows (of ``only``, if given) until ``lease_until``;
    commits the claim."""
    candidates = sa.select(model.id).where(due)
    if only is not None:
        candidates = candidates.where(model.id.in_(only))
    candidates = candidates.order_by(order_by).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    found = list(await session.scalars(candidates))
    if not found:
        await session.commit()
        return []
    claimed = list(
        await session.scalars(
            sa.update(model)
            .where(model.id.in_(found), due)
            .values(state=ReminderState.SENDING, lease_until=lease_until)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
    )
    await session.commit()
    return claimed


def held(model: Outbox, row_id: uuid.UUID, lease_until: datetime) -> sa.Update:
    """An update that only lands while this dispatcher still holds the row."""
    return (
        sa.update(model)
        .where(
            model.id == row_id,
            model.state == ReminderState.SENDING,
            model.lease_until == lease_until,
        )
        .execution_options(synchronize_session=False)
    )
