"""Visits (bookings), who comes to them, rule overrides and allowance ledger entries."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from visits.db.base import Base, IdMixin, TimestampMixin, enum_type
from visits.enums import Channel, Ledger, VisitStatus, VisitType


class Visit(IdMixin, TimestampMixin, Base):
    """A booking of one slot by one household to see one prisoner.

    ``starts_at``/``ends_at`` copy the slot's times so that a prisoner's overlapping visits can be
    excluded by the database; the ``capacity_*`` columns record exactly what the visit took from
    the slot, so that releasing it gives back the same amounts.
    """

    __tablename__ = "visit"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("ical_sequence >= 0", name="sequence_not_negative"),
        sa.CheckConstraint(
            "used_tables >= 0 AND used_seats >= 0 AND used_children >= 0", name="usage_not_negative"
        ),
        sa.Index("ix_visit_prisoner_id_starts_at", "prisoner_id", "starts_at"),
    )

    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="RESTRICT"), index=True
    )
    slot_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("slot.id", ondelete="RESTRICT"), index=True
    )
    prisoner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("prisoner.id", ondelete="RESTRICT")
    )
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("household.id", ondelete="SET NULL"), index=True
    )
    visit_type: Mapped[VisitType] = mapped_column(enum_type(VisitType, "visit_type"))
    status: Mapped[VisitStatus] = mapped_column(enum_type(VisitStatus, "visit_status"))
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, "channel"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    hold_expires_at: Mapped[datetime | None]
    used_tables: Mapped[int] = mapped_column(default=0)
    used_seats: Mapped[int] = mapped_column(default=0)
    used_children: Mapped[int] = mapped_column(default=0)
    ical_uid: Mapped[str] = mapped_column(sa.String(255), unique=True)
    ical_sequence: Mapped[int] = mapped_column(default=0)
    support_needs: Mapped[str | None] = mapped_column(sa.Text)
    rule_results: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None] = mapped_column(
        comment="when the gate checked the party in"
    )
    arrived_late: Mapped[bool] = mapped_column(
        default=False, server_default=sa.false(), comment="the gate recorded the party as late"
    )

    party: Mapped[list[VisitParty]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )
    overrides: Mapped[list[VisitOverride]] = relationship(
        back_populates="visit", cascade="all, delete-orphan"
    )


class VisitParty(IdMixin, Base):
    """One person in a visit's party. Age and seat needs are fixed on the visit date; they stay
    (anonymised) for statistics when a household is erased and ``visitor_id`` becomes NULL."""

    __tablename__ = "visit_party"
    __table_args__ = (
        sa.UniqueConstraint("visit_id", "visitor_id"),
        sa.CheckConstraint("age_years >= 0", name="age_not_negative"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"))
    visitor_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("visitor.id", ondelete="SET NULL"), index=True
    )
    age_years: Mapped[int]
    is_child: Mapped[bool]
    needs_seat: Mapped[bool]

    visit: Mapped[Visit] = relationship(back_populates="party")


class VisitOverride(IdMixin, Base):
    """A HARD rule result overridden for one visit by a member of staff with the named role."""

    __tablename__ = "visit_override"
    __table_args__ = (sa.UniqueConstraint("visit_id", "rule_id"),)

    visit_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(sa.String(16))
    actor: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]

    visit: Mapped[Visit] = relationship(back_populates="overrides")


class AllowanceEntry(IdMixin, Base):
    """A debit (negative) or credit (positive) on one of a prisoner's allowance ledgers."""

    __tablename__ = "allowance_entry"
    __table_args__ = (
        sa.Index("ix_allowance_entry_prisoner_ledger_period", "prisoner_id", "ledger", "period"),
    )

    prisoner_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("prisoner.id", ondelete="CASCADE"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("visit.id", ondelete="SET NULL"), index=True
    )
    ledger: Mapped[Ledger] = mapped_column(enum_type(Ledger, "ledger"))
    period: Mapped[date] = mapped_column(comment="first day of the local month")
    minutes: Mapped[int]
    visits: Mapped[int]
    created_at: Mapped[datetime]
