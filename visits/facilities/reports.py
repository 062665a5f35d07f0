"""Staff reports: the day sheet for the gate (CF-20), the visit pass, and monthly figures
(CF-16).

The day sheet names whom each family visits (prisoner and prison number) and what the gate
recorded (arrived, late, no-show: ``booking.service.mark_attendance``). The visit pass shows gate
staff one visit's party with each person's age on the visit day and the documents each needs,
read from the rule results stored with the booking (CF-03 ID documents, CF-02 consent forms):
the gate sees what the family was told, never a recomputation. Neither shows birth dates,
contact data or staff reasons beyond the review flag.
"""

from __future__ import annotations

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
from visits.csv_files import csv_document
from visits.db.models import Prisoner, Room, Slot, Visit, Visitor, VisitParty
from visits.enums import VISIT_TYPE_NAMES, Attendance, SlotStatus, VisitStatus, VisitType
from visits.errors import invalid_parameters
from visits.facilities import queries
from visits.facilities.presenters import CHILD_FRIENDLY_FEATURES
from visits.facilities.service.access import READ_ROLES
from visits.i18n import N_, translate
from visits.rules.catalogue import RuleId
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
    age: int  # on the visit day (CF-06)
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
    prisoner_name: str
    prison_number: str
    adults: int
    children: int
    child_in_party: bool
    party: list[PartyMemberOut]
    support_needs: str | None
    needs_review: bool
    review_reason: str | None
    check_in: Attendance | None = None  # what the gate recorded, if anything yet
    arrived_at: datetime | None = None  # local time of the check-in of a party that came


class DaySheet(msgspec.Struct):
    facility_id: uuid.UUID
    date: date
    timezone: str
    visits: list[DaySheetVisit]


def check_in_of(visit: Visit) -> Attendance | None:
    """What the gate recorded for the visit: came (on time or late), did not come, or nothing."""
    if visit.status is VisitStatus.NO_SHOW:
        return Attendance.NO_SHOW
    if visit.status is VisitStatus.ATTENDED:
        return Attendance.LATE if visit.arrived_late else Attendance.ATTENDED
    return None


async def _parties(
    session: AsyncSession, visit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[VisitParty, str | None]]]:
    """Each visit's party, oldest first, with each member's name (None once erased)."""
    rows = (
        await session.execute(
            sa.select(VisitParty, Visitor.given_name, Visitor.family_name)
            .join(Visitor, Visitor.id == VisitParty.visitor_id, isouter=True)
            .where(VisitParty.visit_id.in_(visit_ids))
            .order_by(VisitParty.age_years.desc(), Visitor.given_name)
        )
    ).all()
    parties: dict[uuid.UUID, list[tuple[VisitParty, str | None]]] = defaultdict(list)
    for member, given, family in rows:
        parties[member.visit_id].append((member, f"{given} {family}" if given else None))
    return parties


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
            sa.select(Visit, Room.id, Room.name, Prisoner.given_name, Prisoner.family_name)
            .add_columns(Prisoner.prison_number)
            .join(Slot, Slot.id == Visit.slot_id)
            .join(Room, Room.id == Slot.room_id)
            .join(Prisoner, Prisoner.id == Visit.prisoner_id)
            .where(
                Slot.facility_id == facility_id,
                Slot.local_date == day,
                Visit.status.in_(DAY_SHEET_STATES),
            )
            .order_by(Visit.starts_at, Room.name, Visit.reference)
        )
    ).all()
    parties = await _parties(session, [row[0].id for row in rows])
    visits = []
    for visit, room_id, room_name, given, family, number in rows:
        party = [PartyMemberOut(name, m.age_years, m.is_child) for m, name in parties[visit.id]]
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
                prisoner_name=f"{given} {family}",
                prison_number=number,
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
                check_in=check_in_of(visit),
                arrived_at=visit.arrived_at.astimezone(zone) if visit.arrived_at else None,
            )
        )
    return DaySheet(facility_id, day, facility.timezone, visits)


CSV_COLUMNS = (
    N_("Start"),
    N_("End"),
    N_("Room"),
    N_("Reference"),
    N_("Prisoner"),
    N_("Prison number"),
    N_("Status"),
    N_("Visit type"),
    N_("Adults"),
    N_("Children"),
    N_("Ages"),
    N_("Child in party"),
    N_("Names"),
    N_("Support needs"),
    N_("Needs review"),
    N_("Check-in"),
    N_("Arrived at"),
)
"""The column headings (English message ids, written in the sheet's language)."""
DAY_SHEET_STATUS_NAMES = {
    VisitStatus.CONFIRMED: N_("Booked"),
    VisitStatus.REQUESTED: N_("Requested"),
    VisitStatus.ATTENDED: N_("Took place"),
    VisitStatus.NO_SHOW: N_("Missed"),
}
CHECK_IN_NAMES = {
    Attendance.ATTENDED: N_("Arrived"),
    Attendance.LATE: N_("Arrived late"),
    Attendance.NO_SHOW: N_("Did not come"),
}
"""What the gate recorded, in words (day sheet, CSV, visit pass)."""


def day_sheet_csv(sheet: DaySheet, language: str) -> str:
    """The day sheet as a CSV file for spreadsheets (``csv_files``: semicolons, UTF-8 with BOM,
    formulas neutralised), one row per visit: headings, states, visit types and yes/no in
    ``language``; stored texts as written."""

    def say(message: str) -> str:
        return translate(language, message)

    def yes_no(value: bool) -> str:
        return say(N_("Yes") if value else N_("No"))

    erased = say(N_("(erased)"))
    return csv_document(
        [say(column) for column in CSV_COLUMNS],
        (
            [
                v.local_start.strftime("%H:%M"),
                v.local_end.strftime("%H:%M"),
                v.room_name,
                v.reference,
                v.prisoner_name,
                v.prison_number,
                say(DAY_SHEET_STATUS_NAMES.get(v.status, v.status.value)),
                say(VISIT_TYPE_NAMES[v.visit_type]),
                v.adults,
                v.children,
                " ".join(str(m.age) for m in v.party),
                yes_no(v.child_in_party),
                "; ".join(m.name or erased for m in v.party),
                v.support_needs or "",
                yes_no(v.needs_review),
                say(CHECK_IN_NAMES[v.check_in]) if v.check_in else "",
                v.arrived_at.strftime("%H:%M") if v.arrived_at else "",
            ]
            for v in sheet.visits
        ),
    )


# --- the visit pass -------------------------------------------------------------------------


class PassPerson(msgspec.Struct):
    """One person of the party as the gate needs them: name, age on the visit day, documents."""

    name: str | None  # None once a household has been erased
    age: int
    child: bool
    needs_id: bool | None  # None: the booking holds no CF-03 result for this person
    needs_consent: bool  # a child without their guardian, no consent on file (CF-02)


class VisitPass(msgspec.Struct):
    visit_id: uuid.UUID
    reference: str
    status: VisitStatus
    visit_type: VisitType
    local_start: datetime
    local_end: datetime
    room_name: str
    prisoner_name: str
    prison_number: str
    people: list[PassPerson]
    id_exempt_under_age: int | None  # CF-03's parameter when the visit was booked
    guardian_id_copy: bool  # CF-02: the consent form comes with a copy of the guardian's ID
    support_needs: str | None
    needs_review: bool
    check_in: Attendance | None
    arrived_at: datetime | None


def _stored(visit: Visit, rule: RuleId) -> dict[str, object] | None:
    """The params of the rule's stored result for the visit, if the booking holds one."""
    for result in visit.rule_results:
        if result.get("rule_id") == rule.value:
            params = result.get("params")
            return params if isinstance(params, dict) else {}
    return None


def _ids(params: dict[str, object] | None, key: str) -> set[str]:
    values = params.get(key) if params else None
    return {str(v) for v in values} if isinstance(values, list) else set()


async def visit_pass(
    session: AsyncSession, staff: StaffPrincipal, visit: Visit, zone: ZoneInfo
) -> VisitPass:
    """The gate's view of one visit (for staff of its facility): whom the party visits, each
    person's age on the visit day and the documents each must show, from the booking's rule
    results (CF-03, CF-02)."""
    staff.role_for(visit.facility_id, READ_ROLES)
    room_name = await session.scalar(
        sa.select(Room.name).join(Slot, Slot.room_id == Room.id).where(Slot.id == visit.slot_id)
    )
    prisoner = await session.get(Prisoner, visit.prisoner_id)
    ids = _stored(visit, RuleId.CF_03)
    consent = _stored(visit, RuleId.CF_02)
    needs_id, without_consent = _ids(ids, "needs_id"), _ids(consent, "children_without_consent")
    exempt = ids.get("id_exempt_under_age") if ids else None
    people = [
        PassPerson(
            name=name,
            age=member.age_years,
            child=member.is_child,
            needs_id=None
            if ids is None or member.visitor_id is None
            else str(member.visitor_id) in needs_id,
            needs_consent=member.is_child and str(member.visitor_id) in without_consent,
        )
        for member, name in (await _parties(session, [visit.id]))[visit.id]
    ]
    return VisitPass(
        visit_id=visit.id,
        reference=visit.reference,
        status=visit.status,
        visit_type=visit.visit_type,
        local_start=visit.starts_at.astimezone(zone),
        local_end=visit.ends_at.astimezone(zone),
        room_name=room_name or "",
        prisoner_name=f"{prisoner.given_name} {prisoner.family_name}" if prisoner else "",
        prison_number=prisoner.prison_number if prisoner else "",
        people=people,
        id_exempt_under_age=exempt if isinstance(exempt, int) else None,
        guardian_id_copy=bool(consent and consent.get("guardian_id_copy")),
        support_needs=visit.support_needs,
        needs_review=visit.needs_review,
        check_in=check_in_of(visit),
        arrived_at=visit.arrived_at.astimezone(zone) if visit.arrived_at else None,
    )


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
    visits: int  # booked or taken place; no-shows are counted apart
    visits_with_children: int
    rooms: list[RoomFigures]
    attended: int  # checked in at the gate, on time or late
    arrived_late: int
    no_shows: int
    median_waiting_days: float | None  # from booking or request to the visit, no-shows too
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
                Visit.status,
                Visit.arrived_late,
            )
            .join(Slot, Slot.id == Visit.slot_id)
            .join(VisitParty, VisitParty.visit_id == Visit.id, isouter=True)
            .where(
                Visit.facility_id == facility_id,
                Slot.local_date >= first,
                Slot.local_date < after,
                Visit.status.in_(HELD_VISIT_STATES),
            )
            .group_by(Visit.id, Visit.created_at, Visit.starts_at, Visit.status, Visit.arrived_late)
        )
    ).all()
    waits = sorted(max(0, (row[3] - row[2]).days) for row in visit_rows)
    states = [(row[4], row[5]) for row in visit_rows]
    # A visit the gate recorded as missed did not take place: it is not among the visits (as
    # it counts for no child's contact, CF-15, nor against the allowance, CF-10/CF-11), only
    # among the no-shows. Its waiting time still counts: the family waited for it.
    held = [row for row in visit_rows if row[4] is not VisitStatus.NO_SHOW]
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
        visits=len(held),
        visits_with_children=sum(1 for row in held if row[1]),
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
        attended=sum(1 for status, _ in states if status is VisitStatus.ATTENDED),
        arrived_late=sum(1 for status, late in states if status is VisitStatus.ATTENDED and late),
        no_shows=sum(1 for status, _ in states if status is VisitStatus.NO_SHOW),
        median_waiting_days=float(statistics.median(waits)) if waits else None,
        waiting=[
            WaitingBucket(
                low, high, sum(1 for w in waits if w >= low and (high is None or w <= high))
            )
            for low, high in WAITING_BUCKETS
        ],
    )
