"""Facilities, their rooms, slot templates, dated slots and closures."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from visits.db.base import Base, IdMixin, TimestampMixin, enum_type
from visits.enums import BookableBy, Language, SlotStatus, VisitType
from visits.i18n import LANGUAGES
from visits.rules.profiles import Profile, load_profile


class Facility(IdMixin, TimestampMixin, Base):
    """A prison (JVA). Local times are interpreted in ``timezone`` (an IANA name)."""

    __tablename__ = "facility"
    __table_args__ = (
        sa.CheckConstraint("min_notice_hours >= 0", name="min_notice_not_negative"),
        sa.CheckConstraint("max_days_ahead >= 1", name="max_days_ahead_positive"),
    )

    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    street: Mapped[str] = mapped_column(sa.String(200))
    postal_code: Mapped[str] = mapped_column(sa.String(16))
    city: Mapped[str] = mapped_column(sa.String(100))
    country: Mapped[str] = mapped_column(sa.String(2))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    email: Mapped[str] = mapped_column(sa.String(254))
    languages: Mapped[list[str]] = mapped_column(default=lambda: list(LANGUAGES))
    min_notice_hours: Mapped[int] = mapped_column(default=48)
    max_days_ahead: Mapped[int] = mapped_column(default=28)
    rule_profile: Mapped[str] = mapped_column(sa.String(32), default="generic")
    rule_overrides: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_mode: Mapped[bool] = mapped_column(default=False)
    reminder_offsets_hours: Mapped[list[int] | None] = mapped_column(
        comment="SMS reminder offsets; NULL: the service's default"
    )
    is_active: Mapped[bool] = mapped_column(default=True)

    rooms: Mapped[list[Room]] = relationship(back_populates="facility", order_by="Room.name")
    information: Mapped[list[FacilityInformation]] = relationship(back_populates="facility")

    def profile(self) -> Profile:
        """The facility's rule profile with its overrides; the booking window comes from the
        facility's own columns, which staff edit with the facility. Kept on the model (a pure
        function of the row) so that every package can read it without importing another
        domain."""
        overrides = {
            **self.rule_overrides,
            "min_notice_hours": self.min_notice_hours,
            "max_days_ahead": self.max_days_ahead,
        }
        return load_profile(self.rule_profile, overrides)


class FacilityInformation(IdMixin, TimestampMixin, Base):
    """Family information per language and child age band (CF-21); ``age_band`` NULL = all."""

    __tablename__ = "facility_information"
    __table_args__ = (
        sa.UniqueConstraint("facility_id", "language", "age_band", "topic"),
        sa.CheckConstraint(
            "age_band IS NULL OR age_band IN ('0-2', '3-5', '6-11', '12-17')", name="age_band"
        ),
    )

    facility_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[Language] = mapped_column()
    age_band: Mapped[str | None] = mapped_column(sa.String(8))
    topic: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)

    facility: Mapped[Facility] = relationship(back_populates="information")


class Room(IdMixin, TimestampMixin, Base):
    """A visiting room with its child-friendly features, suitable age bands and capacity."""

    __tablename__ = "room"
    __table_args__ = (
        sa.UniqueConstraint("facility_id", "name"),
        sa.CheckConstraint("capacity_tables >= 1", name="capacity_tables_positive"),
        sa.CheckConstraint("capacity_seats >= 1", name="capacity_seats_positive"),
        sa.CheckConstraint("capacity_children >= 0", name="capacity_children_not_negative"),
    )

    facility_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    features: Mapped[list[str]] = mapped_column(default=list)
    age_bands: Mapped[list[str]] = mapped_column(default=list)
    capacity_tables: Mapped[int]
    capacity_seats: Mapped[int]
    capacity_children: Mapped[int]
    closed_visits: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)

    facility: Mapped[Facility] = relationship(back_populates="rooms")


class SlotTemplate(IdMixin, TimestampMixin, Base):
    """A weekly recurrence in the facility's local time that generates dated slots."""

    __tablename__ = "slot_template"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        sa.CheckConstraint("duration_minutes BETWEEN 15 AND 1440", name="duration_range"),
        sa.CheckConstraint("interval_weeks BETWEEN 1 AND 52", name="interval_range"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),
        sa.CheckConstraint(
            "(capacity_tables IS NULL OR capacity_tables >= 1)"
            " AND (capacity_seats IS NULL OR capacity_seats >= 1)"
            " AND (capacity_children IS NULL OR capacity_children >= 0)",
            name="capacity_overrides",
        ),
    )

    facility_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("room.id", ondelete="RESTRICT"), index=True
    )
    visit_type: Mapped[VisitType] = mapped_column(enum_type(VisitType, "visit_type"))
    weekday: Mapped[int] = mapped_column(comment="0 = Monday … 6 = Sunday")
    start_time: Mapped[time] = mapped_column(comment="local wall-clock time")
    duration_minutes: Mapped[int]
    interval_weeks: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    capacity_tables: Mapped[int | None]
    capacity_seats: Mapped[int | None]
    capacity_children: Mapped[int | None]
    bookable_by: Mapped[BookableBy] = mapped_column(
        enum_type(BookableBy, "bookable_by"), default=BookableBy.PUBLIC
    )
    is_active: Mapped[bool] = mapped_column(default=True)

    room: Mapped[Room] = relationship()


class Slot(IdMixin, TimestampMixin, Base):
    """A dated, bookable instance. Counters can never pass capacity: the database checks it."""

    __tablename__ = "slot"
    __table_args__ = (
        sa.UniqueConstraint("room_id", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "booked_tables >= 0 AND booked_tables <= capacity_tables", name="tables_within_capacity"
        ),
        sa.CheckConstraint(
            "booked_seats >= 0 AND booked_seats <= capacity_seats", name="seats_within_capacity"
        ),
        sa.CheckConstraint(
            "booked_children >= 0 AND booked_children <= capacity_children",
            name="children_within_capacity",
        ),
        sa.Index("ix_slot_facility_id_starts_at", "facility_id", "starts_at"),
    )

    facility_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("facility.id", ondelete="CASCADE"))
    room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("room.id", ondelete="RESTRICT"))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("slot_template.id", ondelete="SET NULL"), index=True
    )
    visit_type: Mapped[VisitType] = mapped_column(enum_type(VisitType, "visit_type"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    local_date: Mapped[date] = mapped_column(comment="the date in the facility's time zone")
    capacity_tables: Mapped[int]
    capacity_seats: Mapped[int]
    capacity_children: Mapped[int]
    booked_tables: Mapped[int] = mapped_column(default=0)
    booked_seats: Mapped[int] = mapped_column(default=0)
    booked_children: Mapped[int] = mapped_column(default=0)
    status: Mapped[SlotStatus] = mapped_column(
        enum_type(SlotStatus, "slot_status"), default=SlotStatus.OPEN
    )
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    bookable_by: Mapped[BookableBy] = mapped_column(
        enum_type(BookableBy, "bookable_by"), default=BookableBy.PUBLIC
    )
    closure_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("closure.id", ondelete="SET NULL"), index=True
    )

    room: Mapped[Room] = relationship()


class Closure(IdMixin, TimestampMixin, Base):
    """Dates on which a facility, or one room (``room_id`` set), receives no visits."""

    __tablename__ = "closure"
    __table_args__ = (sa.CheckConstraint("ends_on >= starts_on", name="date_order"),)

    facility_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("facility.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("room.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date] = mapped_column(comment="inclusive")
    reason: Mapped[str] = mapped_column(sa.Text)
