"""Slot templates: validated, never overlapping in one room, and edits that respect bookings."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import Facility, Room, Slot, SlotTemplate, Visit
from visits.enums import SlotStatus
from visits.errors import Conflict, NotFound
from visits.facilities import queries
from visits.facilities.presenters import template_out
from visits.facilities.schemas.staff import (
    GenerateOut,
    TemplateChangeOut,
    TemplateIn,
    TemplateUpdateIn,
)
from visits.facilities.service.access import MANAGE_ROLES, READ_ROLES
from visits.facilities.service.changes import apply_changes
from visits.facilities.service.review import flag
from visits.facilities.service.rooms import InUse
from visits.facilities.slot_generation import (
    Occurrence,
    generate_slots,
    occurrences,
    slot_capacity,
)
from visits.i18n import N_, Message, N_plural
from visits.rules.review import TEMPLATE_CAPACITY, TEMPLATE_CHANGED, staff_reason
from visits.validation import field_error, invalid_body

OVERLAP_LOOKAHEAD = timedelta(days=366)


def _occurrences(t: SlotTemplate, first: date, last: date, zone: ZoneInfo) -> list[Occurrence]:
    return occurrences(
        weekday=t.weekday,
        start_time=t.start_time,
        duration_minutes=t.duration_minutes,
        interval_weeks=t.interval_weeks,
        valid_from=t.valid_from,
        valid_to=t.valid_to,
        first=first,
        last=last,
        zone=zone,
    )


def _overlap_error(template_id: uuid.UUID, day: date) -> dict[str, object]:
    """A ``start_time`` error that clients read by its fields, never by its words: ``code`` is
    ``"overlap"``, ``day`` the first local date (ISO) the templates clash, ``template_id`` the
    other template. ``detail`` is for people reading the document, in their language."""
    detail = Message(
        "overlaps template %(template_id)s in the same room (first on %(day)s)",
        {"template_id": template_id, "day": day.isoformat()},
    )
    return field_error("start_time", detail) | {
        "code": "overlap",
        "day": day.isoformat(),
        "template_id": str(template_id),
    }


async def _overlaps(
    session: AsyncSession, candidate: SlotTemplate, zone: ZoneInfo
) -> list[dict[str, object]]:
    """Other active templates of the room whose slots would overlap the candidate's."""
    others = await session.scalars(
        sa.select(SlotTemplate).where(
            SlotTemplate.room_id == candidate.room_id,
            SlotTemplate.is_active,
            SlotTemplate.id != candidate.id,
        )
    )
    today = utcnow().astimezone(zone).date()
    problems = []
    for other in others:
        first = max(candidate.valid_from, other.valid_from, today) - timedelta(days=1)
        ends = [d for d in (candidate.valid_to, other.valid_to) if d is not None]
        last = min([*ends, first + OVERLAP_LOOKAHEAD])
        if last < first:
            continue
        mine = _occurrences(candidate, first, last, zone)
        theirs = _occurrences(other, first, last, zone)
        clash = next(
            (
                a
                for a in mine
                for b in theirs
                if a.starts_at < b.ends_at and b.starts_at < a.ends_at
            ),
            None,
        )
        if clash is not None:
            problems.append(_overlap_error(other.id, clash.local_date))
    return problems


async def _room_in_facility(session: AsyncSession, room_id: uuid.UUID, facility: Facility) -> Room:
    room = await queries.room_in(session, facility.id, room_id)
    if room is None:
        raise invalid_body([field_error("room_id", N_("no such room at this facility"))])
    return room


async def overlap_problems(
    session: AsyncSession, facility: Facility, data: TemplateIn
) -> list[dict[str, object]]:
    """What ``create_template`` would refuse for overlaps, without saving (for a preview)."""
    candidate = SlotTemplate(facility_id=facility.id, **msgspec.structs.asdict(data))
    candidate.id = uuid.uuid4()
    return await _overlaps(session, candidate, ZoneInfo(facility.timezone))


async def create_template(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: TemplateIn
) -> SlotTemplate:
    role = staff.role_for(facility_id, MANAGE_ROLES)
    facility = await queries.facility_or_404(session, facility_id)
    await _room_in_facility(session, data.room_id, facility)
    template = SlotTemplate(facility_id=facility.id, **msgspec.structs.asdict(data))
    template.id = uuid.uuid4()
    overlaps = await _overlaps(session, template, ZoneInfo(facility.timezone))
    if overlaps:
        raise Conflict(
            "template-overlap", "The template overlaps another in this room.", errors=overlaps
        )
    session.add(template)
    await session.flush()
    record(
        session,
        staff.actor(role),
        "template.create",
        "slot_template",
        template.id,
        facility_id=facility.id,
        changes={
            "room_id": str(data.room_id),
            "weekday": data.weekday,
            "start_time": data.start_time.isoformat(),
        },
    )
    return template


async def publish_slots(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, days: int
) -> GenerateOut:
    """Create the missing slots of every active template from today for ``days`` local days
    (idempotent), audited."""
    role = staff.role_for(facility_id, MANAGE_ROLES)
    facility = await queries.facility_or_404(session, facility_id)
    first = utcnow().astimezone(ZoneInfo(facility.timezone)).date()
    last = first + timedelta(days=days - 1)
    created = await generate_slots(session, facility, first, last)
    record(
        session,
        staff.actor(role),
        "slots.generate",
        "facility",
        facility.id,
        facility_id=facility.id,
        changes={"until": last.isoformat(), "created": created},
    )
    return GenerateOut(first, last, created)


async def get_template(session: AsyncSession, template_id: uuid.UUID) -> SlotTemplate:
    template = await session.get(SlotTemplate, template_id)
    if template is None:
        raise NotFound("template-not-found", "There is no such slot template.")
    return template


async def list_templates(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[SlotTemplate], int]:
    staff.role_for(facility_id, READ_ROLES)
    await queries.facility_or_404(session, facility_id)
    return await queries.list_templates(session, facility_id, limit=limit, offset=offset)


async def _follow_template(
    session: AsyncSession, template: SlotTemplate, zone: ZoneInfo, reason_text: str
) -> tuple[int, list[uuid.UUID]]:
    """Make future slots match the changed template.

    A slot the template still produces (same start and end) is updated in place; one it no
    longer produces is deleted when no visit ever used it, closed when only past bookings
    (cancelled, lapsed holds) point at it, or closed with its visits flagged for review when
    booked. A booked slot whose new capacity would be below its bookings keeps
    its capacity and is flagged too. Returns (slots removed, visits flagged).
    """
    future = list(
        await session.scalars(
            sa.select(Slot).where(Slot.template_id == template.id, Slot.starts_at > utcnow())
        )
    )
    if not future:
        return 0, []
    room = await session.get(Room, template.room_id)
    assert room is not None
    wanted: dict[object, Occurrence] = {}
    if template.is_active:
        last = max(s.local_date for s in future)
        wanted = {
            o.starts_at: o
            for o in _occurrences(template, min(s.local_date for s in future), last, zone)
        }
    visits = await queries.active_visits(session, [s.id for s in future])
    with_history = await queries.slots_with_visits(session, [s.id for s in future])
    by_slot: dict[uuid.UUID, list[Visit]] = {}
    for visit in visits:
        by_slot.setdefault(visit.slot_id, []).append(visit)
    reason = staff_reason(TEMPLATE_CHANGED, reason_text)
    tables, seats, children = slot_capacity(template, room)
    removed, flagged = 0, list[uuid.UUID]()
    for slot in future:
        booked = by_slot.get(slot.id, [])
        occurrence = wanted.get(slot.starts_at)
        if (
            occurrence is not None
            and occurrence.ends_at == slot.ends_at
            and room.id == slot.room_id
        ):
            fits = (
                slot.booked_tables <= tables
                and slot.booked_seats <= seats
                and slot.booked_children <= children
            )
            slot.visit_type, slot.bookable_by = template.visit_type, template.bookable_by
            if fits:
                slot.capacity_tables, slot.capacity_seats, slot.capacity_children = (
                    tables,
                    seats,
                    children,
                )
            else:
                await flag(session, booked, staff_reason(TEMPLATE_CAPACITY, reason_text))
                flagged += [v.id for v in booked]
        elif booked:
            slot.status, slot.status_reason, slot.template_id = SlotStatus.CLOSED, reason_text, None
            await flag(session, booked, reason)
            flagged += [v.id for v in booked]
        elif slot.id in with_history:  # a cancelled or lapsed visit still points at it
            slot.status, slot.status_reason, slot.template_id = SlotStatus.CLOSED, reason_text, None
            removed += 1
        else:
            await session.delete(slot)
            removed += 1
    await session.flush()
    return removed, flagged


async def update_template(
    session: AsyncSession,
    staff: StaffPrincipal,
    template_id: uuid.UUID,
    data: TemplateUpdateIn,
    horizon_days: int,
) -> TemplateChangeOut:
    """Apply the change; future slots follow it. Unbooked slots are replaced; booked ones are
    closed to new bookings and their visits flagged for review with the reason."""
    template = await get_template(session, template_id)
    role = staff.role_for(template.facility_id, MANAGE_ROLES)
    facility = await queries.facility_or_404(session, template.facility_id)
    zone = ZoneInfo(facility.timezone)
    changes = apply_changes(template, data, skip=frozenset({"reason"}))
    if template.valid_to is not None and template.valid_to < template.valid_from:
        raise invalid_body([field_error("valid_to", N_("must not be before valid_from"))])
    if template.is_active:
        overlaps = await _overlaps(session, template, zone)
        if overlaps:
            raise Conflict(
                "template-overlap",
                "The change would overlap another template in this room.",
                errors=overlaps,
            )
    removed, flagged = 0, list[uuid.UUID]()
    if changes:
        removed, flagged = await _follow_template(session, template, zone, data.reason)
        record(
            session,
            staff.actor(role),
            "template.update",
            "slot_template",
            template.id,
            facility_id=facility.id,
            changes=changes | {"visits_flagged": len(flagged)},
            reason=data.reason,
        )
    created = 0
    if changes and template.is_active:
        today = utcnow().astimezone(zone).date()
        created = await generate_slots(
            session, facility, today, today + timedelta(days=horizon_days - 1)
        )
    return TemplateChangeOut(template_out(template), removed, created, flagged)


TEMPLATE_IN_USE = N_plural(
    "The template has %(num)d booked visit ahead. Move or cancel it first.",
    "The template has %(num)d booked visits ahead. Move or cancel them first.",
)


def template_in_use(booked: int) -> Conflict:
    return InUse("template-in-use", TEMPLATE_IN_USE, booked)


async def remove_template(
    session: AsyncSession,
    staff: StaffPrincipal,
    template_id: uuid.UUID,
    reason: str,
    horizon_days: int,
) -> TemplateChangeOut:
    """End a template for good (the console's "remove"): refused while visits are booked in
    its slots ahead (409 ``template-in-use``: staff move or cancel them first, and the families
    are told), so that removing never leaves a family's visit behind; otherwise its free slots
    ahead go, as ``update_template`` with ``is_active`` false does, audited with ``reason``."""
    template = await get_template(session, template_id)
    staff.role_for(template.facility_id, MANAGE_ROLES)
    booked = await queries.visits_ahead(session, template_id=template.id)
    if booked:
        raise template_in_use(len(booked))
    return await update_template(
        session, staff, template.id, TemplateUpdateIn(reason=reason, is_active=False), horizon_days
    )
