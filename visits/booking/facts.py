"""From database rows to the rule engine's plain inputs, and the engine's verdict on a booking."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.base import utcnow
from visits.db.models import (
    AllowanceEntry,
    Facility,
    Prisoner,
    Room,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
)
from visits.enums import (
    ApprovalStatus,
    BookableBy,
    Ledger,
    RoomFeature,
    VisitStatus,
)
from visits.errors import NotFound, Unprocessable
from visits.people import queries as people_queries
from visits.rules.ages import age_on
from visits.rules.allowances import entitlement_window, ledger_for
from visits.rules.decision import Decision, Override, decide
from visits.rules.engine import evaluate
from visits.rules.local_time import instant, on_wall
from visits.rules.model import (
    BookingContext,
    HouseholdHistory,
    PartyMember,
    PrisonerFacts,
    RuleResult,
    SlotFacts,
    VisitWish,
)
from visits.rules.party import Usage, party_usage
from visits.rules.profiles import Profile

COUNTED_STATES = (
    VisitStatus.HELD,
    VisitStatus.REQUESTED,
    VisitStatus.CONFIRMED,
    VisitStatus.ATTENDED,
)


@dataclass(frozen=True)
class Verdict:
    """Everything a booking step needs to know after the rules ran."""

    facility: Facility
    slot: Slot
    room: Room
    prisoner: Prisoner
    visitors: list[Visitor]
    profile: Profile
    zone: ZoneInfo
    results: list[RuleResult]
    decision: Decision
    usage: Usage
    ages: dict[uuid.UUID, int]


def local_month(day: date) -> date:
    return day.replace(day=1)


def _bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants from the local midnight starting ``first`` to the one ending ``last``."""
    return instant(first, time(), zone), instant(last + timedelta(days=1), time(), zone)


async def _prisoner_facts(
    session: AsyncSession,
    prisoner: Prisoner,
    visit_day: date,
    zone: ZoneInfo,
    profile: Profile,
    exclude_visit: uuid.UUID | None,
) -> PrisonerFacts:
    month = local_month(visit_day)
    ledger_filter = [AllowanceEntry.prisoner_id == prisoner.id, AllowanceEntry.period == month]
    if exclude_visit is not None:  # a visit being moved does not compete with itself
        ledger_filter.append(
            sa.or_(AllowanceEntry.visit_id.is_(None), AllowanceEntry.visit_id != exclude_visit)
        )
    sums = dict(
        (ledger, (-(minutes or 0), -(visits or 0)))
        for ledger, minutes, visits in await session.execute(
            sa.select(
                AllowanceEntry.ledger,
                sa.func.sum(AllowanceEntry.minutes),
                sa.func.sum(AllowanceEntry.visits),
            )
            .where(*ledger_filter)
            .group_by(AllowanceEntry.ledger)
        )
    )
    entitlement = profile.entitlement.for_status(prisoner.custody_status)
    used_in_period = 0
    if entitlement.capped:
        first, last = entitlement_window(visit_day, entitlement.period_days)
        start, end = _bounds(first, last, zone)
        statement = sa.select(Visit.visit_type).where(
            Visit.prisoner_id == prisoner.id,
            Visit.status.in_(COUNTED_STATES),
            Visit.starts_at >= start,
            Visit.starts_at < end,
        )
        if exclude_visit is not None:
            statement = statement.where(Visit.id != exclude_visit)
        used_in_period = sum(
            1
            for vt in await session.scalars(statement)
            if ledger_for(vt, profile) is Ledger.REGULAR
        )
    return PrisonerFacts(
        custody_status=prisoner.custody_status,
        admission_date=prisoner.admission_date,
        restrictions=await people_queries.restriction_codes(session, prisoner.id, visit_day),
        closed_visits_only=prisoner.closed_visits_only,
        regular_minutes_used=sums.get(Ledger.REGULAR, (0, 0))[0],
        child_minutes_used=sums.get(Ledger.CHILD, (0, 0))[0],
        family_programme_count=sums.get(Ledger.FAMILY_PROGRAMME, (0, 0))[1],
        video_count=sums.get(Ledger.VIDEO, (0, 0))[1],
        visits_used_in_period=used_in_period,
    )


async def _party(
    session: AsyncSession, visitors: Sequence[Visitor], prisoner: Prisoner, visit_day: date
) -> list[PartyMember]:
    approvals = {
        a.visitor_id: a
        for a in await session.scalars(
            sa.select(VisitorApproval).where(
                VisitorApproval.prisoner_id == prisoner.id,
                VisitorApproval.visitor_id.in_([v.id for v in visitors]),
            )
        )
    }
    members = []
    for visitor in visitors:
        approval = approvals.get(visitor.id)
        approved = approval is not None and approval.status == ApprovalStatus.APPROVED
        members.append(
            PartyMember(
                visitor_id=str(visitor.id),
                birth_date=visitor.birth_date,
                relationship=visitor.relationship,
                is_guardian=visitor.is_guardian,
                approved_for_prisoner=approved,
                court_permit_valid=approved
                and approval is not None
                and people_queries.permit_valid(approval, visit_day),
                safeguarding_flags=tuple(visitor.safeguarding_flags),
                visit_wish=VisitWish(visitor.visit_wish) if visitor.visit_wish else None,
            )
        )
    return members


async def load_visitors(
    session: AsyncSession, visitor_ids: Sequence[uuid.UUID], household_id: uuid.UUID | None
) -> list[Visitor]:
    """The party's visitors, all of one household (the caller's, for a household)."""
    if not visitor_ids or len(set(visitor_ids)) != len(visitor_ids):
        raise Unprocessable("invalid-party", "Name each visitor once, at least one.")
    rows = list(await session.scalars(sa.select(Visitor).where(Visitor.id.in_(list(visitor_ids)))))
    households = {v.household_id for v in rows}
    if (
        len(rows) != len(visitor_ids)
        or len(households) != 1
        or (household_id is not None and households != {household_id})
    ):
        raise NotFound("visitor-not-found", "There is no such visitor in the household.")
    return sorted(rows, key=lambda v: v.birth_date)


async def judge(
    session: AsyncSession,
    *,
    slot_id: uuid.UUID,
    prisoner_id: uuid.UUID,
    visitors: list[Visitor],
    channel: BookableBy,
    overrides: Sequence[Override] = (),
    own_usage: Usage | None = None,
    exclude_visit: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Verdict:
    """Run every booking rule for this party, slot and prisoner. ``own_usage`` is capacity the
    visit already holds in this slot (so it does not count against itself)."""
    row = (
        await session.execute(
            sa.select(Slot, Room, Facility)
            .join(Room, Room.id == Slot.room_id)
            .join(Facility, Facility.id == Slot.facility_id)
            .where(Slot.id == slot_id)
        )
    ).first()
    if row is None:
        raise NotFound("slot-not-found", "There is no such slot.")
    slot, room, facility = row
    prisoner = await session.get(Prisoner, prisoner_id)
    if prisoner is None or prisoner.facility_id != facility.id or prisoner.released_on is not None:
        raise Unprocessable(
            "prisoner-not-at-facility", "The prisoner is not at the facility of this slot."
        )
    zone = ZoneInfo(facility.timezone)
    profile = facility.profile()
    # Local on the facility's wall clock, each with its own offset; the rules compare them in UTC.
    start, end = on_wall(slot.starts_at, zone), on_wall(slot.ends_at, zone)
    visit_day = start.date()
    members = await _party(session, visitors, prisoner, visit_day)
    own = own_usage or Usage(0, 0, 0)
    facts = SlotFacts(
        start=start,
        end=end,
        visit_type=slot.visit_type,
        remaining_tables=slot.capacity_tables - slot.booked_tables + own.tables,
        remaining_seats=slot.capacity_seats - slot.booked_seats + own.seats,
        remaining_children=slot.capacity_children - slot.booked_children + own.children,
        room_features=frozenset(RoomFeature(f) for f in room.features),
        room_age_bands=frozenset(room.age_bands),
        room_closed_visits=room.closed_visits,
        bookable_by=slot.bookable_by,
    )
    prisoner_facts = await _prisoner_facts(
        session, prisoner, visit_day, zone, profile, exclude_visit
    )
    history = HouseholdHistory(
        consent_on_file=await people_queries.consented_children(session, [v.id for v in visitors])
    )
    context = BookingContext(now=now or utcnow(), channel=channel, profile=profile)
    results = evaluate(members, facts, prisoner_facts, history, context)
    return Verdict(
        facility=facility,
        slot=slot,
        room=room,
        prisoner=prisoner,
        visitors=list(visitors),
        profile=profile,
        zone=zone,
        results=results,
        decision=decide(results, overrides),
        usage=party_usage(members, visit_day, profile),
        ages={v.id: age_on(v.birth_date, visit_day) for v in visitors},
    )
