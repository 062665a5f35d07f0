"""Prisoners, households (the guardian contact) and their visitors.

Children's data is kept to what the rules need: a name to address them, the birth date (ages on
the visit date) and the relationship to the prisoner.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.orm import Mapped, mapped_column

from visits.db.base import Base, IdMixin, TimestampMixin, enum_type
from visits.enums import ApprovalStatus, CustodyStatus, Language, NotifyBy, Relationship


class Prisoner(IdMixin, TimestampMixin, Base):
    """The imprisoned parent. ``restrictions`` hold codes such as ``no_child_contact`` (CF-05)."""

    __tablename__ = "prisoner"
    __table_args__ = (sa.UniqueConstraint("facility_id", "prison_number"),)

    facility_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="RESTRICT"), index=True
    )
    prison_number: Mapped[str] = mapped_column(sa.String(32))
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    admission_date: Mapped[date]
    custody_status: Mapped[CustodyStatus] = mapped_column(
        enum_type(CustodyStatus, "custody_status")
    )
    restrictions: Mapped[list[str]] = mapped_column(default=list)
    closed_visits_only: Mapped[bool] = mapped_column(default=False)
    released_on: Mapped[date | None]


class Household(IdMixin, TimestampMixin, Base):
    """A guardian's household: the contact that books, receives invites and reminders."""

    __tablename__ = "household"
    __table_args__ = (
        sa.CheckConstraint(
            "email IS NOT NULL OR phone_e164 IS NOT NULL OR erased_at IS NOT NULL",
            name="has_contact",
        ),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("phone_e164"),
    )

    guardian_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone_e164: Mapped[str | None] = mapped_column(sa.String(16))
    language: Mapped[Language] = mapped_column()
    sms_consent: Mapped[bool] = mapped_column(default=False)
    sms_opted_out_at: Mapped[datetime | None]
    phone_confirmed_at: Mapped[datetime | None] = mapped_column(
        comment="when a code sent by SMS to phone_e164 came back: only then are SMS sent there"
    )
    notify_by: Mapped[NotifyBy] = mapped_column(
        enum_type(NotifyBy, "notify_by"), default=NotifyBy.EMAIL, server_default="email"
    )
    erased_at: Mapped[datetime | None]

    visitors: Mapped[list[Visitor]] = orm.relationship(
        back_populates="household",
        order_by="Visitor.birth_date",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Visitor(IdMixin, TimestampMixin, Base):
    """A member of a household who may come to visits (adult or child)."""

    __tablename__ = "visitor"

    household_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[date]
    relationship: Mapped[Relationship] = mapped_column(enum_type(Relationship, "relationship"))
    is_guardian: Mapped[bool] = mapped_column(
        default=False, comment="legal guardian of the household's children (CF-02)"
    )
    safeguarding_flags: Mapped[list[str]] = mapped_column(default=list)
    guardian_consent_on_file: Mapped[bool] = mapped_column(
        default=False,
        server_default=sa.false(),
        comment="written guardian consent (and ID copy) held by the facility (CF-02)",
    )
    visit_wish: Mapped[str | None] = mapped_column(
        sa.String(16), comment="a child's own recorded wish (CF-22)"
    )

    household: Mapped[Household] = orm.relationship(back_populates="visitors")


class VisitorApproval(IdMixin, TimestampMixin, Base):
    """Staff approval of a visitor for one prisoner (CF-04), with the remand court permit."""

    __tablename__ = "visitor_approval"
    __table_args__ = (sa.UniqueConstraint("visitor_id", "prisoner_id"),)

    visitor_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("visitor.id", ondelete="CASCADE"), index=True
    )
    prisoner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("prisoner.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[ApprovalStatus] = mapped_column(
        enum_type(ApprovalStatus, "approval_status"), default=ApprovalStatus.PENDING
    )
    court_permit_until: Mapped[date | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    reason: Mapped[str | None] = mapped_column(sa.Text)
