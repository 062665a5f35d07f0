"""The outboxes: SMS reminders (one row per visit and offset) and notices to families (one row
per message), each claimed with a lease before sending.

``send_started_at`` is set, in its own committed transaction, just before the provider is
called, and cleared when the outcome is recorded: a row that still carries it has an unknown
outcome (the sender died or timed out) and is reconciled with the provider before any resend.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from visits.db.base import Base, IdMixin, TimestampMixin, enum_type
from visits.enums import ContactChannel, Language, NoticeKind, ReminderState


class Reminder(IdMixin, TimestampMixin, Base):
    __tablename__ = "reminder"
    __table_args__ = (
        sa.UniqueConstraint("visit_id", "offset_minutes"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_reminder_state_due_at", "state", "due_at"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"))
    offset_minutes: Mapped[int]
    due_at: Mapped[datetime]
    language: Mapped[Language] = mapped_column()
    state: Mapped[ReminderState] = mapped_column(
        enum_type(ReminderState, "reminder_state"), default=ReminderState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    provider_status: Mapped[str | None] = mapped_column(sa.String(32))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    send_started_at: Mapped[datetime | None] = mapped_column(
        comment="set while a provider call may have happened and its outcome is not recorded"
    )


class Notice(IdMixin, TimestampMixin, Base):
    """A message to a household, written in the transaction of the change that causes it and
    sent by the notice dispatcher. Stored language-neutral (``kind`` and ``params``), rendered
    in ``language`` when sent; ``params`` are emptied once it is sent, so a sign-in code does
    not outlive its message."""

    __tablename__ = "notice"
    __table_args__ = (
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_notice_state_next_attempt_at", "state", "next_attempt_at"),
    )

    household_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    visit_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("visit.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[NoticeKind] = mapped_column(enum_type(NoticeKind, "notice_kind"))
    channel: Mapped[ContactChannel] = mapped_column(enum_type(ContactChannel, "contact_channel"))
    address: Mapped[str] = mapped_column(sa.String(254))
    language: Mapped[Language] = mapped_column()
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[ReminderState] = mapped_column(
        enum_type(ReminderState, "notice_state"), default=ReminderState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    provider_status: Mapped[str | None] = mapped_column(sa.String(32))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
