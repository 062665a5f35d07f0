"""What the public API shows of facilities, their family information, rooms and slots."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from visits.enums import AgeBand, BookableBy, Language, RoomFeature, SlotStatus, VisitType
from visits.openapi import schema_name
from visits.pagination import Page

TimeZoneName = Annotated[
    str, msgspec.Meta(description="The facility's IANA time zone.", examples=["Europe/Berlin"])
]


class Address(msgspec.Struct):
    street: str
    postal_code: str
    city: str
    country: Annotated[str, msgspec.Meta(description="ISO 3166-1 alpha-2.", examples=["DE"])]


class BookingWindow(msgspec.Struct):
    """How early and how late a visit can be booked."""

    min_notice_hours: int
    max_days_ahead: int


class FacilityOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    timezone: TimeZoneName
    address: Address
    phone: str | None
    email: Annotated[str, msgspec.Meta(extra_json_schema={"extra": {"format": "email"}})]
    languages: list[str]
    booking_window: BookingWindow
    rule_profile: str
    reminder_offsets_hours: list[int] | None = None


FacilityPage = Annotated[Page[FacilityOut], schema_name("FacilityPage")]


class InformationOut(msgspec.Struct):
    """A text for families (CF-21), for everyone or for one age band."""

    id: uuid.UUID
    language: Language
    age_band: AgeBand | None
    topic: str
    title: str
    body: str


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


RoomPage = Annotated[Page[RoomOut], schema_name("RoomPage")]


class SlotOut(msgspec.Struct):
    """A bookable slot; ``local_*`` are in the facility's time zone, ``remaining`` is what is
    still free (holds count as taken until they expire)."""

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
    timezone: TimeZoneName
    status: SlotStatus
    bookable_by: BookableBy
    capacity: Capacity
    remaining: Capacity


SlotPage = Annotated[Page[SlotOut], schema_name("SlotPage")]
