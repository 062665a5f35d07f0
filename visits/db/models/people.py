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
    """The imprisoned parent. Restrictions such as ``no_child_contact`` (CF-05) are
    :class:`PrisonerRestriction` rows; ``closed_visits_only`` is read by CF-19."""

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
    closed_visits_only: Mapped[bool] = mapped_column(default=False)
    released_on: Mapped[date | None]


class PrisonerRestriction(IdMixin, TimestampMixin, Base):
    """A safeguarding restriction on a prisoner (CF-05), recorded by the safeguarding lead with
    a reason; it applies to visits up to ``valid_until`` (none: until lifted). Staff see it,
    families never do. ``created_at`` is when it was recorded."""

    __tablename__ = "prisoner_restriction"

    prisoner_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("prisoner.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text)
    valid_until: Mapped[date | None] = mapped_column(
        comment="last day the restriction applies; none: until lifted"
    )
    recorded_by: Mapped[str] = mapped_column(sa.String(200))
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(sa.String(200))
    lift_reason: Mapped[str | None] = mapped_column(sa.Text)


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
    # Safeguarding facts (CF-05, CF-22), set and cleared by a safeguarding lead only; consent on
    # file for a child (CF-02) is a relation between two visitors: ``GuardianConsent``.
    safeguarding_flags: Mapped[list[str]] = mapped_column(default=list)
    visit_wish: Mapped[str | None] = mapped_column(
        sa.String(16), comment="a child's own recorded wish (CF-22)"
    )

    household: Mapped[Household] = orm.relationship(back_populates="visitors")


class GuardianConsent(IdMixin, TimestampMixin, Base):
    """Written guardian consent (with the guardian's ID copy where the profile asks) that one
    child may come to visits with one adult of the household who is not their guardian (CF-02).

    Consent is a relation between an adult and a child, one row per pair; a safeguarding lead
    records it with a note and may withdraw it (``valid`` false, who, when and why kept).
    ``created_at`` is when it was recorded. Staff see it, families never do."""

    __tablename__ = "guardian_consent"
    __table_args__ = (
        sa.CheckConstraint("adult_visitor_id <> child_visitor_id", name="two_people"),
        sa.Index("ix_guardian_consent_child_adult", "child_visitor_id", "adult_visitor_id"),
    )

    adult_visitor_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("visitor.id", ondelete="CASCADE"), index=True
    )
    child_visitor_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("visitor.id", ondelete="CASCADE")
    )
    reason: Mapped[str] = mapped_column(sa.Text, comment="what was seen: the form, the ID copy")
    recorded_by: Mapped[str] = mapped_column(sa.String(200))
    valid: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(sa.String(200))
    withdraw_reason: Mapped[str | None] = mapped_column(sa.Text)


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
