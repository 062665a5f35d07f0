"""An object's audit history for staff."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.db.models import AuditEvent
from visits.people.schemas import (
    AuditEventOut,
)


async def audit_trail(
    session: AsyncSession,
    staff: StaffPrincipal,
    object_type: str,
    object_id: str,
    *,
    limit: int,
    offset: int,
) -> tuple[list[AuditEventOut], int]:
    """An object's history, limited to events at the caller's facilities (admins: all)."""
    statement = sa.select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == object_id
    )
    if not staff.is_admin:
        statement = statement.where(AuditEvent.facility_id.in_(staff.facility_ids()))
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = await session.scalars(
        statement.order_by(AuditEvent.occurred_at, AuditEvent.id).limit(limit).offset(offset)
    )
    return [
        AuditEventOut(
            id=e.id,
            occurred_at=e.occurred_at,
            actor_type=e.actor_type,
            actor_id=e.actor_id,
            actor_role=e.actor_role,
            channel=e.channel,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            facility_id=e.facility_id,
            changes=e.changes,
            reason=e.reason,
        )
        for e in rows
    ], total or 0
