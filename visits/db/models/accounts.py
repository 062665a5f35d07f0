"""Staff accounts and their grants, access tokens, one-time sign-in codes, rate-limit counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from visits.db.base import Base, IdMixin, TimestampMixin, enum_type, utcnow
from visits.enums import ContactChannel, StaffRole, TokenKind


class StaffMember(IdMixin, TimestampMixin, Base):
    __tablename__ = "staff_member"

    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]

    grants: Mapped[list[StaffGrant]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )


class StaffGrant(IdMixin, Base):
    """A role at one facility; an ``admin`` grant has no facility and reaches every facility."""

    __tablename__ = "staff_grant"
    __table_args__ = (
        sa.UniqueConstraint("staff_id", "role", "facility_id"),
        sa.CheckConstraint(
            "(role = 'admin' AND facility_id IS NULL)"
            " OR (role <> 'admin' AND facility_id IS NOT NULL)",
            name="admin_is_global",
        ),
    )

    staff_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[StaffRole] = mapped_column(enum_type(StaffRole, "staff_role"))
    facility_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="CASCADE"), index=True
    )

    staff: Mapped[StaffMember] = relationship(back_populates="grants")


class AuthToken(IdMixin, Base):
    """A bearer token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "auth_token"
    __table_args__ = (
        sa.CheckConstraint(
            "(staff_id IS NOT NULL AND household_id IS NULL)"
            " OR (staff_id IS NULL AND household_id IS NOT NULL)",
            name="one_subject",
        ),
    )

    kind: Mapped[TokenKind] = mapped_column(enum_type(TokenKind, "token_kind"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("staff_member.id", ondelete="CASCADE"), index=True
    )
    household_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(sa.String(100))
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class SignInChallenge(IdMixin, Base):
    """A one-time code sent to a household. ``household_id`` is NULL when nobody matched the
    address: the challenge then exists only so that the answer looks the same (no enumeration)."""

    __tablename__ = "sign_in_challenge"
    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    household_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[ContactChannel] = mapped_column(enum_type(ContactChannel, "contact_channel"))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


class RateLimitCounter(Base):
    """Requests per key and fixed window, shared by every replica through the database."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(sa.String(128), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int] = mapped_column(default=0)
