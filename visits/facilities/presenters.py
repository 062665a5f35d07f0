"""Model → API schema conversions, in one place."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from visits.db.models import Facility, FacilityInformation, Room, SlotTemplate
from visits.enums import AgeBand, RoomFeature
from visits.facilities.queries import SlotRow
from visits.facilities.schemas.public import (
    Address,
    BookingWindow,
    Capacity,
    FacilityOut,
    InformationOut,
    RoomOut,
    SlotOut,
)
from visits.facilities.schemas.staff import TemplateOut

# A room counts as child-friendly when it has at least one of these features (CF-18).
CHILD_FRIENDLY_FEATURES = frozenset(
    {
        RoomFeature.PLAY_CORNER,
        RoomFeature.BABY_CHANGING,
        RoomFeature.BOOKS_GAMES,
        RoomFeature.TEEN_ZONE,
        RoomFeature.OUTDOOR,
    }
)


def facility_out(facility: Facility) -> FacilityOut:
    return FacilityOut(
        id=facility.id,
        slug=facility.slug,
        name=facility.name,
        timezone=facility.timezone,
        address=Address(
            street=facility.street,
            postal_code=facility.postal_code,
            city=facility.city,
            country=facility.country,
        ),
        phone=facility.phone,
        email=facility.email,
        languages=list(facility.languages),
        booking_window=BookingWindow(
            min_notice_hours=facility.min_notice_hours, max_days_ahead=facility.max_days_ahead
        ),
        rule_profile=facility.rule_profile,
        reminder_offsets_hours=facility.reminder_offsets_hours,
    )


def room_out(room: Room) -> RoomOut:
    features = [RoomFeature(f) for f in room.features]
    return RoomOut(
        id=room.id,
        facility_id=room.facility_id,
        name=room.name,
        description=room.description,
        features=features,
        age_bands=[AgeBand(b) for b in room.age_bands],
        child_friendly=bool(CHILD_FRIENDLY_FEATURES.intersection(features)),
        capacity=Capacity(
            tables=room.capacity_tables, seats=room.capacity_seats, children=room.capacity_children
        ),
    )


def slot_out(row: SlotRow) -> SlotOut:
    slot, zone = row.slot, ZoneInfo(row.timezone)
    return SlotOut(
        id=slot.id,
        facility_id=slot.facility_id,
        room_id=slot.room_id,
        room_name=row.room_name,
        visit_type=slot.visit_type,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        local_date=slot.local_date,
        local_start=slot.starts_at.astimezone(zone),
        local_end=slot.ends_at.astimezone(zone),
        timezone=row.timezone,
        status=slot.status,
        bookable_by=slot.bookable_by,
        capacity=Capacity(
            tables=slot.capacity_tables, seats=slot.capacity_seats, children=slot.capacity_children
        ),
        remaining=Capacity(
            tables=slot.capacity_tables - slot.booked_tables,
            seats=slot.capacity_seats - slot.booked_seats,
            children=slot.capacity_children - slot.booked_children,
        ),
    )


def information_out(item: FacilityInformation) -> InformationOut:
    return InformationOut(
        id=item.id,
        language=item.language,
        age_band=item.age_band,  # type: ignore[arg-type]
        topic=item.topic,
        title=item.title,
        body=item.body,
    )


def template_out(t: SlotTemplate) -> TemplateOut:
    return TemplateOut(
        id=t.id,
        facility_id=t.facility_id,
        room_id=t.room_id,
        visit_type=t.visit_type,
        weekday=t.weekday,
        start_time=t.start_time,
        duration_minutes=t.duration_minutes,
        interval_weeks=t.interval_weeks,
        valid_from=t.valid_from,
        valid_to=t.valid_to,
        capacity_tables=t.capacity_tables,
        capacity_seats=t.capacity_seats,
        capacity_children=t.capacity_children,
        bookable_by=t.bookable_by,
        is_active=t.is_active,
    )
