"""Bodies of the staff API for facilities, rooms, slot templates, closures and reports."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from visits.enums import AgeBand, BookableBy, Language, RoomFeature, VisitType

Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Slug = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$")]
Hours = Annotated[int, msgspec.Meta(ge=0, le=24 * 14)]
Days = Annotated[int, msgspec.Meta(ge=1, le=366)]
Tables = Annotated[int, msgspec.Meta(ge=1, le=500)]
Seats = Annotated[int, msgspec.Meta(ge=1, le=2000)]
Children = Annotated[int, msgspec.Meta(ge=0, le=2000)]


def timezone_problems(name: str | None, field: str = "timezone") -> list[tuple[str, str]]:
    if name is None:
        return []
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return [(field, f"{name!r} is not an IANA time zone such as 'Europe/Berlin'")]
    return []


class FacilityIn(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Text200
    timezone: str
    street: Text200
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    country: Country
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    languages: Annotated[list[Language], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: [Language.DE, Language.EN]
    )
    min_notice_hours: Hours = 48
    max_days_ahead: Days = 28
    rule_profile: str = "generic"
    request_mode: bool = False

    def problems(self) -> list[tuple[str, str]]:
        return timezone_problems(self.timezone)


class FacilityUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text200 | None = None
    timezone: str | None = None
    street: Text200 | None = None
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)] | None = None
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    country: Country | None = None
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    languages: Annotated[list[Language], msgspec.Meta(min_length=1)] | None = None
    min_notice_hours: Hours | None = None
    max_days_ahead: Days | None = None
    rule_profile: str | None = None
    request_mode: bool | None = None
    reminder_offsets_hours: (
        Annotated[list[Annotated[int, msgspec.Meta(ge=1, le=336)]], msgspec.Meta(max_length=5)]
        | None
    ) = None

    def problems(self) -> list[tuple[str, str]]:
        return timezone_problems(self.timezone)


class InformationIn(msgspec.Struct, forbid_unknown_fields=True):
    language: Language
    topic: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,64}$")]
    title: Text200
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=10000)]
    age_band: AgeBand | None = None


class InformationOut(msgspec.Struct):
    id: uuid.UUID
    language: Language
    age_band: AgeBand | None
    topic: str
    title: str
    body: str


class RoomIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    capacity_tables: Tables
    capacity_seats: Seats
    capacity_children: Children
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    features: list[RoomFeature] = []
    age_bands: list[AgeBand] = []
    closed_visits: bool = False


class RoomUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None
    capacity_tables: Tables | None = None
    capacity_seats: Seats | None = None
    capacity_children: Children | None = None
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    features: list[RoomFeature] | None = None
    age_bands: list[AgeBand] | None = None
    closed_visits: bool | None = None
    is_active: bool | None = None


Weekday = Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
Duration = Annotated[int, msgspec.Meta(ge=15, le=1440, description="minutes, 15 to 1440")]
Interval = Annotated[int, msgspec.Meta(ge=1, le=52)]


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    room_id: uuid.UUID
    visit_type: VisitType
    weekday: Weekday
    start_time: time
    duration_minutes: Duration
    valid_from: date
    interval_weeks: Interval = 1
    valid_to: date | None = None
    capacity_tables: Tables | None = None
    capacity_seats: Seats | None = None
    capacity_children: Children | None = None
    bookable_by: BookableBy = BookableBy.PUBLIC

    def problems(self) -> list[tuple[str, str]]:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            return [("valid_to", "must not be before valid_from")]
        if self.start_time.tzinfo is not None:
            return [("start_time", "is a local wall-clock time: give it without an offset")]
        return []


class TemplateUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; ``reason`` is kept in the audit trail and on flagged visits."""

    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
    visit_type: VisitType | None = None
    weekday: Weekday | None = None
    start_time: time | None = None
    duration_minutes: Duration | None = None
    interval_weeks: Interval | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    capacity_tables: Tables | None = None
    capacity_seats: Seats | None = None
    capacity_children: Children | None = None
    bookable_by: BookableBy | None = None
    is_active: bool | None = None


class TemplateOut(msgspec.Struct):
    id: uuid.UUID
    facility_id: uuid.UUID
    room_id: uuid.UUID
    visit_type: VisitType
    weekday: int
    start_time: time
    duration_minutes: int
    interval_weeks: int
    valid_from: date
    valid_to: date | None
    capacity_tables: int | None
    capacity_seats: int | None
    capacity_children: int | None
    bookable_by: BookableBy
    is_active: bool


class TemplateChangeOut(msgspec.Struct):
    template: TemplateOut
    slots_removed: int
    slots_created: int
    visits_flagged: list[uuid.UUID]


class GenerateOut(msgspec.Struct):
    first: date
    last: date
    slots_created: int


class ClosureIn(msgspec.Struct, forbid_unknown_fields=True):
    starts_on: date
    ends_on: date
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
    room_id: uuid.UUID | None = None

    def problems(self) -> list[tuple[str, str]]:
        if self.ends_on < self.starts_on:
            return [("ends_on", "must not be before starts_on")]
        if (self.ends_on - self.starts_on).days > 366:
            return [("ends_on", "a closure covers at most a year; add another for longer")]
        return []


class ClosureListItem(msgspec.Struct):
    id: uuid.UUID
    room_id: uuid.UUID | None
    starts_on: date
    ends_on: date
    reason: str


class FlaggedVisit(msgspec.Struct):
    visit_id: uuid.UUID
    reference: str
    starts_at: datetime
    room_id: uuid.UUID


class ClosureOut(msgspec.Struct):
    id: uuid.UUID
    facility_id: uuid.UUID
    room_id: uuid.UUID | None
    starts_on: date
    ends_on: date
    reason: str
    slots_closed: int
    visits_flagged: list[FlaggedVisit]
