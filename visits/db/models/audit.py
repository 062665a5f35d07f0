"""Audit events: who (type, id, role, channel) did what to which object, when and why."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from visits.db.base import Base, IdMixin, enum_type, utcnow
from visits.enums import ActorType, Channel


class AuditEvent(IdMixin, Base):
    """Append-only: rows are written and read, never updated."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id", "occurred_at"),)

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[ActorType] = mapped_column(enum_type(ActorType, "actor_type"))
    actor_id: Mapped[str | None] = mapped_column(sa.String(64))
    actor_role: Mapped[str | None] = mapped_column(sa.String(32))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "channel"))
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    facility_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="SET NULL"), index=True
    )
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str | None] = mapped_column(sa.Text)
