"""Reads about visits: a household's visits, the review queue, a visit's party and overrides."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Facility, Room, Slot, Visit, Visitor, VisitOverride, VisitParty
from visits.enums import VisitStatus
from visits.facilities.queries import facility_and_room_of

HOUSEHOLD_VISITS_SHOWN = 200
BOOKED = (VisitStatus.REQUESTED, VisitStatus.CONFIRMED)


@dataclass(frozen=True)
class VisitRow:
    visit: Visit
    facility: Facility
    room_name: str


LATEST_FIRST = (Visit.starts_at.desc(), Visit.id)
SOONEST_FIRST = (Visit.starts_at, Visit.id)


async def _page(
    session: AsyncSession, statement: sa.Select[Visit], *, limit: int, offset: int
) -> tuple[list[Visit], int]:
    """One page of ``statement``'s visits (ordered) and how many there are in all."""
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(statement.order_by(None).subquery())
    )
    rows = await session.scalars(statement.limit(limit).offset(offset))
    return list(rows), total or 0


async def household_visits(session: AsyncSession, household_id: uuid.UUID) -> list[VisitRow]:
    """The household's visits with their facility and room, the latest first."""
    rows = await session.execute(
        sa.select(Visit, Facility, Room.name)
        .join(Facility, Facility.id == Visit.facility_id)
        .join(Slot, Slot.id == Visit.slot_id)
        .join(Room, Room.id == Slot.room_id)
        .where(Visit.household_id == household_id)
        .order_by(*LATEST_FIRST)
        .limit(HOUSEHOLD_VISITS_SHOWN)
    )
    return [VisitRow(visit, facility, room) for visit, facility, room in rows]


async def household_visit_page(
    session: AsyncSession, household_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Visit], int]:
    """One page of the household's visits in every state, the latest first, and their number."""
    statement = sa.select(Visit).where(Visit.household_id == household_id).order_by(*LATEST_FIRST)
    return await _page(session, statement, limit=limit, offset=offset)


async def visit_row(session: AsyncSession, visit: Visit) -> VisitRow:
    """The visit with its facility and the name of its room."""
    facility, room_name = await facility_and_room_of(session, visit.slot_id)
    return VisitRow(visit, facility, room_name)


def _in_review_queue() -> sa.ColumnElement[bool]:
    """Requests and booked visits flagged for staff: the review queue (of every facility)."""
    return sa.and_(Visit.needs_review, Visit.status.in_(BOOKED))


def _awaiting_review(facility_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """The facility's review queue."""
    return sa.and_(Visit.facility_id == facility_id, _in_review_queue())


async def facility_visits(
    session: AsyncSession,
    facility_id: uuid.UUID,
    *,
    status: VisitStatus | None,
    needs_review: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[Visit], int]:
    """One page of the facility's visits, soonest first, and their number: only those in
    ``status``; ``needs_review`` True: only the review queue, False: only visits outside it."""
    statement = sa.select(Visit).where(Visit.facility_id == facility_id)
    if status is not None:
        statement = statement.where(Visit.status == status)
    if needs_review is not None:
        queued = _in_review_queue()
        statement = statement.where(queued if needs_review else sa.not_(queued))
    return await _page(session, statement.order_by(*SOONEST_FIRST), limit=limit, offset=offset)


async def count_awaiting_review(session: AsyncSession, facility_id: uuid.UUID) -> int:
    waiting = await session.scalar(
        sa.select(sa.func.count()).select_from(Visit).where(_awaiting_review(facility_id))
    )
    return waiting or 0


async def awaiting_review(
    session: AsyncSession, facility_id: uuid.UUID, *, limit: int, offset: int
) -> list[tuple[Visit, str]]:
    """One page of the review queue, soonest first, each visit with its room's name."""
    rows = await session.execute(
        sa.select(Visit, Room.name)
        .join(Slot, Slot.id == Visit.slot_id)
        .join(Room, Room.id == Slot.room_id)
        .where(_awaiting_review(facility_id))
        .order_by(*SOONEST_FIRST)
        .limit(limit)
        .offset(offset)
    )
    return [(visit, room_name) for visit, room_name in rows]


async def count_booked_on(session: AsyncSession, facility_id: uuid.UUID, day: date) -> int:
    """Booked visits and requests on a local day of the facility."""
    booked = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Visit)
        .join(Slot, Slot.id == Visit.slot_id)
        .where(Visit.facility_id == facility_id, Visit.status.in_(BOOKED), Slot.local_date == day)
    )
    return booked or 0


async def children_per_visit(
    session: AsyncSession, visit_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """How many children each visit brings (visits without children are left out)."""
    if not visit_ids:
        return {}
    rows = await session.execute(
        sa.select(VisitParty.visit_id, sa.func.count())
        .where(VisitParty.visit_id.in_(visit_ids), VisitParty.is_child)
        .group_by(VisitParty.visit_id)
    )
    return {visit_id: count for visit_id, count in rows}


async def party_with_names(session: AsyncSession, visit_id: uuid.UUID) -> list[Any]:
    """Who comes, oldest first: ``(party member, given name, family name)`` each (the names
    are None for a member who is no registered visitor)."""
    rows = await session.execute(
        sa.select(VisitParty, Visitor.given_name, Visitor.family_name)
        .join(Visitor, Visitor.id == VisitParty.visitor_id, isouter=True)
        .where(VisitParty.visit_id == visit_id)
        .order_by(VisitParty.age_years.desc())
    )
    return list(rows.all())


async def party_visitor_ids(session: AsyncSession, visit_id: uuid.UUID) -> list[uuid.UUID]:
    """The registered visitors of the visit's party."""
    rows = await session.scalars(
        sa.select(VisitParty.visitor_id).where(VisitParty.visit_id == visit_id)
    )
    return [visitor_id for visitor_id in rows if visitor_id is not None]


async def overrides_of(session: AsyncSession, visit_id: uuid.UUID) -> list[VisitOverride]:
    """The rules staff set aside for the visit, in the order they did."""
    rows = await session.scalars(
        sa.select(VisitOverride)
        .where(VisitOverride.visit_id == visit_id)
        .order_by(VisitOverride.created_at)
    )
    return list(rows)
