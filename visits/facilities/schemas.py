"""What the public API shows of facilities, rooms and slots."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec

from visits.enums import AgeBand, BookableBy, RoomFeature, SlotStatus, VisitType


class Address(msgspec.Struct):
    street: str
    postal_code: str
    city: str
    country: str


class BookingWindow(msgspec.Struct):
    min_notice_hours: int
    max_days_ahead: int


class FacilityOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    timezone: str
    address: Address
    phone: str | None
    email: str
    languages: list[str]
    booking_window: BookingWindow
    rule_profile: str
    reminder_offsets_hours: list[int] | None = None


class Capacity(msgspec.Struct):
    tables: int
    seats: int
    children: int


class RoomOut(msgspec.Struct):
    id: uuid.UUID
    facility_id: uuid.UUID
    name: str
    description: str
    features: list[RoomFeature]
    age_bands: list[AgeBand]
    child_friendly: bool
    capacity: Capacity


class SlotOut(msgspec.Struct):
    id: uuid.UUID
    facility_id: uuid.UUID
    room_id: uuid.UUID
    room_name: str
    visit_type: VisitType
    starts_at: datetime
    ends_at: datetime
    local_date: date
    local_start: datetime
    local_end: datetime
    timezone: str
    status: SlotStatus
    bookable_by: BookableBy
    capacity: Capacity
    remaining: Capacity
