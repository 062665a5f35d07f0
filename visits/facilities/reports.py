"""Staff reports: the day sheet for the gate (CF-20) and monthly figures (CF-16)."""

from __future__ import annotations

import csv
import io
import re
import statistics
import uuid
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.db.models import Room, Slot, Visit, Visitor, VisitParty
from visits.enums import VISIT_TYPE_NAMES, SlotStatus, VisitStatus, VisitType
from visits.errors import invalid_parameters
from visits.facilities import queries
from visits.facilities.presenters import CHILD_FRIENDLY_FEATURES
from visits.facilities.service.access import READ_ROLES
from visits.i18n import N_, translate
from visits.plain_text import plain
from visits.rules.model import RuleResult
from visits.rules.profiles import load_profile
from visits.rules.review import shown_reason
from visits.rules.timing import during_school_hours

DAY_SHEET_STATES = (
    VisitStatus.CONFIRMED,
    VisitStatus.REQUESTED,
    VisitStatus.ATTENDED,
    VisitStatus.NO_SHOW,
)
HELD_VISIT_STATES = (VisitStatus.CONFIRMED, VisitStatus.ATTENDED, VisitStatus.NO_SHOW)


class PartyMemberOut(msgspec.Struct):
    name: str | None  # None once a household has been erased
    age: int
    child: bool


class DaySheetVisit(msgspec.Struct):
    visit_id: uuid.UUID
    reference: str
    status: VisitStatus
    visit_type: VisitType
    local_start: datetime
    local_end: datetime
    room_id: uuid.UUID
    room_name: str
    adults: int
    children: int
    child_in_party: bool
    party: list[PartyMemberOut]
    support_needs: str | None
    needs_review: bool
    review_reason: str | None


class DaySheet(msgspec.Struct):
    facility_id: uuid.UUID
    date: date
    timezone: str
    visits: list[DaySheetVisit]


async def day_sheet(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    day: date,
    language: str,
) -> DaySheet:
    staff.role_for(facility_id, READ_ROLES)
    facility = await queries.facility_or_404(session, facility_id)
    zone = ZoneInfo(facility.timezone)
    rows = (
        await session.execute(
            sa.select(Visit, Room.id, Room.name)
            .join(Slot, Slot.id == Visit.slot_id)
            .join(Room, Room.id == Slot.room_id)
            .where(
                Slot.facility_id == facility_id,
                Slot.local_date == day,
                Visit.status.in_(DAY_SHEET_STATES),
            )
            .order_by(Visit.starts_at, Room.name, Visit.reference)
        )
    ).all()
    party_rows = (
        await session.execute(
            sa.select(VisitParty, Visitor.given_name, Visitor.family_name)
            .join(Visitor, Visitor.id == VisitParty.visitor_id, isouter=True)
            .where(VisitParty.visit_id.in_([visit.id for visit, _, _ in rows]))
            .order_by(VisitParty.age_years.desc())
        )
    ).all()
    parties: dict[uuid.UUID, list[PartyMemberOut]] = defaultdict(list)
    for member, given, family in party_rows:
        name = f"{given} {family}" if given else None
        parties[member.visit_id].append(PartyMemberOut(name, member.age_years, member.is_child))
    visits = []
    for visit, room_id, room_name in rows:
        party = parties[visit.id]
        children = sum(1 for m in party if m.child)
        visits.append(
            DaySheetVisit(
                visit_id=visit.id,
                reference=visit.reference,
                status=visit.status,
                visit_type=visit.visit_type,
                local_start=visit.starts_at.astimezone(zone),
                local_end=visit.ends_at.astimezone(zone),
                room_id=room_id,
                room_name=room_name,
                adults=len(party) - children,
                children=children,
                child_in_party=children > 0,
                party=party,
                support_needs=visit.support_needs,
                needs_review=visit.needs_review,
                review_reason=shown_reason(
                    visit.review_reason,
                    [msgspec.convert(r, RuleResult) for r in visit.rule_results],
                    language,
                ),
            )
        )
    return DaySheet(facility_id, day, facility.timezone, visits)


CSV_COLUMNS = (
    N_("Start"),
    N_("End"),
    N_("Room"),
    N_("Reference"),
    N_("Status"),
    N_("Visit type"),
    N_("Adults"),
    N_("Children"),
    N_("Ages"),
    N_("Child in party"),
    N_("Names"),
    N_("Support needs"),
    N_("Needs review"),
)
"""The column headings (English message ids, written in the sheet's language)."""
DAY_SHEET_STATUS_NAMES = {
    VisitStatus.CONFIRMED: N_("Booked"),
    VisitStatus.REQUESTED: N_("Requested"),
    VisitStatus.ATTENDED: N_("Took place"),
    VisitStatus.NO_SHOW: N_("Missed"),
}
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@")


def csv_text(value: str) -> str:
    """A text cell that prints on one line and that no spreadsheet runs as a formula."""
    text = plain(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def day_sheet_csv(sheet: DaySheet, language: str) -> str:
    """The day sheet as CSV (UTF-8, one row per visit), for printing or spreadsheets: headings,
    states, visit types and yes/no in ``language``; stored texts as written."""

    def say(message: str) -> str:
        return translate(language, message)

    def yes_no(value: bool) -> str:
        return say(N_("Yes") if value else N_("No"))

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([say(column) for column in CSV_COLUMNS])
    erased = say(N_("(erased)"))
    for v in sheet.visits:
        writer.writerow(
            [
                v.local_start.strftime("%H:%M"),
                v.local_end.strftime("%H:%M"),
                csv_text(v.room_name),
                csv_text(v.reference),
                say(DAY_SHEET_STATUS_NAMES.get(v.status, v.status.value)),
                say(VISIT_TYPE_NAMES[v.visit_type]),
                v.adults,
                v.children,
                " ".join(str(m.age) for m in v.party),
                yes_no(v.child_in_party),
                csv_text("; ".join(m.name or erased for m in v.party)),
                csv_text(v.support_needs or ""),
                yes_no(v.needs_review),
            ]
        )
    return out.getvalue()


class RoomFigures(msgspec.Struct):
    room_id: uuid.UUID
    room_name: str
    child_friendly: bool
    slots_offered: int
    tables_offered: int
    tables_used: int
    utilisation: float


class WaitingBucket(msgspec.Struct):
    """Visits whose request came ``from_days`` to ``to_days`` days (None: or more) before."""

    from_days: int
    to_days: int | None
    visits: int


WAITING_BUCKETS = ((0, 7), (8, 14), (15, 28), (29, None))


class MonthFigures(msgspec.Struct):
    facility_id: uuid.UUID
    month: str
    slots_offered: int
    slots_closed: int
    tables_offered: int
    tables_used: int
    seats_used: int
    children_places_used: int
    utilisation: float
    child_friendly_slots: int
    child_friendly_outside_school_hours: int
    share_child_friendly_outside_school_hours: float
    school_window: str
    visits: int
    visits_with_children: int
    rooms: list[RoomFigures]
    median_waiting_days: float | None  # from booking or request to the visit
    waiting: list[WaitingBucket]


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


MONTH_PATTERN = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$"  # 2000-01 to 2100-12


def month_bounds(month: str) -> tuple[date, date]:
    """The first day of ``month`` (``YYYY-MM``) and of the month after; a month outside 2000-01
    to 2100-12 is a 400 ``invalid-parameters`` naming ``month``."""
    if not re.fullmatch(MONTH_PATTERN, month):
        raise invalid_parameters(
            [{"name": "month", "in": "query", "detail": "must be YYYY-MM, 2000-01 to 2100-12"}]
        )
    year, number = (int(p) for p in month.split("-"))
    first = date(year, number, 1)
    last = date(year + (number == 12), number % 12 + 1, 1)
    return first, last


async def month_figures(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, month: str
) -> MonthFigures:
    staff.role_for(facility_id, READ_ROLES)
    first, after = month_bounds(month)
    facility = await queries.facility_or_404(session, facility_id)
    zone = ZoneInfo(facility.timezone)
    profile = load_profile(facility.rule_profile, facility.rule_overrides)
    rows = (
        await session.execute(
            sa.select(Slot, Room)
            .join(Room, Room.id == Slot.room_id)
            .where(
                Slot.facility_id == facility_id,
                Slot.local_date >= first,
                Slot.local_date < after,
                Slot.status != SlotStatus.CANCELLED,
            )
        )
    ).all()
    per_room: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0, 0])
    rooms: dict[uuid.UUID, Room] = {}
    offered = closed = tables = used = seats = children = friendly = friendly_outside = 0
    for slot, room in rows:
        rooms[room.id] = room
        used += slot.booked_tables
        seats += slot.booked_seats
        children += slot.booked_children
        per_room[room.id][2] += slot.booked_tables
        if slot.status == SlotStatus.CLOSED:
            closed += 1
            continue
        offered += 1
        tables += slot.capacity_tables
        per_room[room.id][0] += 1
        per_room[room.id][1] += slot.capacity_tables
        if CHILD_FRIENDLY_FEATURES.intersection(room.features):
            friendly += 1
            friendly_outside += not during_school_hours(slot.starts_at, slot.ends_at, zone, profile)
    visit_rows = (
        await session.execute(
            sa.select(
                Visit.id,
                sa.func.max(sa.case((VisitParty.is_child, 1), else_=0)),
                Visit.created_at,
                Visit.starts_at,
            )
            .join(Slot, Slot.id == Visit.slot_id)
            .join(VisitParty, VisitParty.visit_id == Visit.id, isouter=True)
            .where(
                Visit.facility_id == facility_id,
                Slot.local_date >= first,
                Slot.local_date < after,
                Visit.status.in_(HELD_VISIT_STATES),
            )
            .group_by(Visit.id, Visit.created_at, Visit.starts_at)
        )
    ).all()
    waits = sorted(max(0, (starts - created).days) for _, _, created, starts in visit_rows)
    return MonthFigures(
        facility_id=facility_id,
        month=month,
        slots_offered=offered,
        slots_closed=closed,
        tables_offered=tables,
        tables_used=used,
        seats_used=seats,
        children_places_used=children,
        utilisation=_share(used, tables),
        child_friendly_slots=friendly,
        child_friendly_outside_school_hours=friendly_outside,
        share_child_friendly_outside_school_hours=_share(friendly_outside, friendly),
        school_window=f"{profile.school_day_start:%H:%M}-{profile.school_day_end:%H:%M}",
        visits=len(visit_rows),
        visits_with_children=sum(1 for _, c, _, _ in visit_rows if c),
        rooms=[
            RoomFigures(
                room_id=room_id,
                room_name=rooms[room_id].name,
                child_friendly=bool(CHILD_FRIENDLY_FEATURES.intersection(rooms[room_id].features)),
                slots_offered=counts[0],
                tables_offered=counts[1],
                tables_used=counts[2],
                utilisation=_share(counts[2], counts[1]),
            )
            for room_id, counts in sorted(per_room.items(), key=lambda i: rooms[i[0]].name)
        ],
        median_waiting_days=float(statistics.median(waits)) if waits else None,
        waiting=[
            WaitingBucket(
                low, high, sum(1 for w in waits if w >= low and (high is None or w <= high))
            )
            for low, high in WAITING_BUCKETS
        ],
    )
