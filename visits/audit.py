"""Audit events: one function, called in the same transaction as the change it records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import AuditEvent
from visits.enums import ActorType, Channel


@dataclass(frozen=True)
class Actor:
    type: ActorType
    id: str | None
    role: str | None
    channel: Channel

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorType.SYSTEM, None, None, Channel.SYSTEM)


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: uuid.UUID | str | None,
    *,
    facility_id: uuid.UUID | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit stores it with the change."""
    event = AuditEvent(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_role=actor.role,
        channel=actor.channel,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        facility_id=facility_id,
        changes=changes or {},
        reason=reason,
    )
    session.add(event)
    return event
