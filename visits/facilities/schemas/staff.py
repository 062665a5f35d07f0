"""Bodies of the staff API for facilities, rooms, slot templates, closures and reports.

Every text a person types is bounded and free of control characters: names, addresses and
titles end up in calendar lines, e-mail headers, SMS and CSV files (``single_line``); longer
texts may have line breaks (``multi_line``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated

import msgspec

from visits.dates import EARLIEST_DATE, LATEST_DATE
from visits.enums import AgeBand, BookableBy, Language, RoomFeature, VisitType
from visits.i18n import Message
from visits.openapi import schema_name
from visits.pagination import Page
from visits.validation import (
    EMAIL_META,
    TIME_ZONE_META,
    FieldProblem,
    blank_problems,
    first_per_field,
    line_problems,
    multi_line,
    repeated_problems,
    single_line,
    timezone_problems,
)

Text200 = Annotated[str, single_line(200)]
Slug = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9][a-z0-9-]{1,62}$",
        description="Lower-case letters, digits and dashes; 2 to 63 characters.",
        examples=["jva-musterstadt"],
    ),
]
Country = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2.", examples=["DE"])
]
PostalCode = Annotated[str, single_line(16)]
City = Annotated[str, single_line(100)]
TimeZone = Annotated[str, TIME_ZONE_META]
# EMAIL_META's "format" does not reach Litestar's schema; "extra" does.
Email = Annotated[str, EMAIL_META, msgspec.Meta(extra_json_schema={"extra": {"format": "email"}})]
Phone = Annotated[
    str,
    msgspec.Meta(
        min_length=3,
        max_length=32,
        pattern=r"^\+?[0-9][0-9 ()/.-]*$",
        description="The facility's phone number for families, as it should be printed.",
        examples=["+49 30 1234567"],
    ),
]
ProfileName = Annotated[str, single_line(32)]
Languages = Annotated[
    list[Language],
    msgspec.Meta(min_length=1, max_length=len(Language), description="Without repetitions."),
]
Hours = Annotated[int, msgspec.Meta(ge=0, le=24 * 14)]
Days = Annotated[int, msgspec.Meta(ge=1, le=366)]
Tables = Annotated[int, msgspec.Meta(ge=1, le=500)]
Seats = Annotated[int, msgspec.Meta(ge=1, le=2000)]
Children = Annotated[int, msgspec.Meta(ge=0, le=2000)]
RoomName = Annotated[str, single_line(120)]
RoomDescription = Annotated[str, multi_line(2000)]
Features = Annotated[list[RoomFeature], msgspec.Meta(max_length=len(RoomFeature))]
Bands = Annotated[list[AgeBand], msgspec.Meta(max_length=len(AgeBand))]
Reason = Annotated[
    str, multi_line(2000, min_length=3), msgspec.Meta(examples=["School ends later from May."])
]
ReminderOffsets = Annotated[
    list[Annotated[int, msgspec.Meta(ge=1, le=336)]],
    msgspec.Meta(max_length=5, description="Hours before a visit at which SMS reminders go."),
]

# Litestar describes ``datetime.time`` as an ISO duration; these say what it is: a time of day
# on the facility's wall clock. JSON Schema's ``time`` format demands an offset, which a wall
# time has not, so the format is RFC 3339's ``partial-time`` with a pattern that checks it.
_TIME_OF_DAY = {
    "type": "string",
    "format": "partial-time",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
}
TimeOfDay = Annotated[
    time,
    msgspec.Meta(
        description="A local wall-clock time of the facility, HH:MM:SS, without an offset.",
        examples=["16:00:00"],
        extra_json_schema={"extra": _TIME_OF_DAY},
    ),
]
OptionalTimeOfDay = Annotated[
    time | None,
    msgspec.Meta(
        description="A local wall-clock time of the facility, HH:MM:SS, without an offset.",
        examples=["16:00:00"],
        extra_json_schema={"extra": {"one_of": [_TIME_OF_DAY, {"type": "null"}]}},
    ),
]


class FacilityIn(msgspec.Struct, forbid_unknown_fields=True):
    slug: Slug
    name: Text200
    timezone: TimeZone
    street: Text200
    postal_code: PostalCode
    city: City
    country: Country
    email: Email
    phone: Phone | None = None
    languages: Languages = msgspec.field(default_factory=lambda: list(Language))
    min_notice_hours: Hours = 48
    max_days_ahead: Days = 28
    rule_profile: ProfileName = "generic"
    request_mode: bool = False

    def problems(self) -> list[FieldProblem]:
        return first_per_field(
            timezone_problems(self.timezone)
            + repeated_problems("languages", self.languages)
            + blank_problems(name=self.name, street=self.street, city=self.city)
            + line_problems(self)
        )


class FacilityUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; a field left out (or null) stays as it is."""

    name: Text200 | None = None
    timezone: TimeZone | None = None
    street: Text200 | None = None
    postal_code: PostalCode | None = None
    city: City | None = None
    country: Country | None = None
    email: Email | None = None
    phone: Phone | None = None
    languages: Languages | None = None
    min_notice_hours: Hours | None = None
    max_days_ahead: Days | None = None
    rule_profile: ProfileName | None = None
    request_mode: bool | None = None
    reminder_offsets_hours: ReminderOffsets | None = None

    def problems(self) -> list[FieldProblem]:
        return first_per_field(
            timezone_problems(self.timezone)
            + repeated_problems("languages", self.languages)
            + blank_problems(name=self.name, street=self.street, city=self.city)
            + line_problems(self)
        )


class InformationIn(msgspec.Struct, forbid_unknown_fields=True):
    language: Language
    topic: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^[a-z0-9_-]{1,64}$",
            description="A key of your choice; one text per language, age band and topic.",
            examples=["gate"],
        ),
    ]
    title: Text200
    body: Annotated[str, multi_line(10000, min_length=1)]
    age_band: AgeBand | None = None

    def problems(self) -> list[FieldProblem]:
        return first_per_field(
            blank_problems(title=self.title, body=self.body)
            + line_problems(self, multi_line=frozenset({"body"}))
        )


class RoomIn(msgspec.Struct, forbid_unknown_fields=True):
    name: RoomName
    capacity_tables: Tables
    capacity_seats: Seats
    capacity_children: Children
    description: RoomDescription = ""
    features: Features = []
    age_bands: Bands = []
    closed_visits: bool = False

    def problems(self) -> list[FieldProblem]:
        return first_per_field(
            blank_problems(name=self.name)
            + line_problems(self, multi_line=frozenset({"description"}))
        )


class RoomUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """The fields to change; a field left out (or null) stays as it is."""

    name: RoomName | None = None
    capacity_tables: Tables | None = None
    capacity_seats: Seats | None = None
    capacity_children: Children | None = None
    description: RoomDescription | None = None
    features: Features | None = None
    age_bands: Bands | None = None
    closed_visits: bool | None = None
    is_active: bool | None = None

    def problems(self) -> list[FieldProblem]:
        return first_per_field(
            blank_problems(name=self.name)
            + line_problems(self, multi_line=frozenset({"description"}))
        )


Weekday = Annotated[int, msgspec.Meta(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
Duration = Annotated[int, msgspec.Meta(ge=15, le=1440, description="minutes, 15 to 1440")]
Interval = Annotated[int, msgspec.Meta(ge=1, le=52, description="every n-th week, 1 to 52")]
# Templates describe local dates; these bounds keep every date computation far from the limits.
TemplateDate = Annotated[date, msgspec.Meta(description="A local date, 2000-01-01 to 2100-12-31.")]


BOUNDS = {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()}
LOCAL_TIME = Message("is a local wall-clock time: give it without an offset")


def _date_problems(**dates: date | None) -> list[FieldProblem]:
    return [
        (name, Message("must lie between %(first)s and %(last)s", BOUNDS))
        for name, day in dates.items()
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE
    ]


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True):
    room_id: uuid.UUID
    visit_type: VisitType
    weekday: Weekday
    start_time: TimeOfDay
    duration_minutes: Duration
    valid_from: TemplateDate
    interval_weeks: Interval = 1
    valid_to: TemplateDate | None = None
    capacity_tables: Tables | None = None
    capacity_seats: Seats | None = None
    capacity_children: Children | None = None
    bookable_by: BookableBy = BookableBy.PUBLIC

    def problems(self) -> list[FieldProblem]:
        found = _date_problems(valid_from=self.valid_from, valid_to=self.valid_to)
        if found:
            return found
        if self.valid_to is not None and self.valid_to < self.valid_from:
            return [("valid_to", Message("must not be before valid_from"))]
        if self.start_time.tzinfo is not None:
            return [("start_time", LOCAL_TIME)]
        return []


class TemplateUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; ``reason`` is kept in the audit trail and on flagged visits."""

    reason: Reason
    visit_type: VisitType | None = None
    weekday: Weekday | None = None
    start_time: OptionalTimeOfDay = None
    duration_minutes: Duration | None = None
    interval_weeks: Interval | None = None
    valid_from: TemplateDate | None = None
    valid_to: TemplateDate | None = None
    capacity_tables: Tables | None = None
    capacity_seats: Seats | None = None
    capacity_children: Children | None = None
    bookable_by: BookableBy | None = None
    is_active: bool | None = None

    def problems(self) -> list[FieldProblem]:
        found = _date_problems(valid_from=self.valid_from, valid_to=self.valid_to)
        if self.start_time is not None and self.start_time.tzinfo is not None:
            found.append(("start_time", LOCAL_TIME))
        return found + blank_problems(reason=self.reason)


class TemplateOut(msgspec.Struct):
    id: uuid.UUID
    facility_id: uuid.UUID
    room_id: uuid.UUID
    visit_type: VisitType
    weekday: int
    start_time: TimeOfDay
    duration_minutes: int
    interval_weeks: int
    valid_from: date
    valid_to: date | None
    capacity_tables: int | None
    capacity_seats: int | None
    capacity_children: int | None
    bookable_by: BookableBy
    is_active: bool


TemplatePage = Annotated[Page[TemplateOut], schema_name("TemplatePage")]


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
    starts_on: TemplateDate
    ends_on: TemplateDate
    reason: Reason
    room_id: uuid.UUID | None = None

    def problems(self) -> list[FieldProblem]:
        found = _date_problems(starts_on=self.starts_on, ends_on=self.ends_on)
        if found:
            return found
        if self.ends_on < self.starts_on:
            return [("ends_on", Message("must not be before starts_on"))]
        if (self.ends_on - self.starts_on).days > 366:
            return [("ends_on", Message("a closure covers at most a year; add another for longer"))]
        return blank_problems(reason=self.reason)


class ClosureListItem(msgspec.Struct):
    id: uuid.UUID
    room_id: uuid.UUID | None
    starts_on: date
    ends_on: date
    reason: str


ClosurePage = Annotated[Page[ClosureListItem], schema_name("ClosurePage")]


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
