"""Reads about households and their members: finding a household, listing its visitors."""

from __future__ import annotations

import contextlib
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Household, Prisoner, Visit, Visitor, VisitorApproval
from visits.validation import normalise_email, normalise_mobile


async def find_household(session: AsyncSession, lookup: str) -> Household | None:
    """By e-mail address or mobile number, as a family gives them on the phone."""
    conditions = []
    with contextlib.suppress(ValueError):
        conditions.append(Household.email == normalise_email(lookup))
    with contextlib.suppress(ValueError):
        conditions.append(Household.phone_e164 == normalise_mobile(lookup))
    if not conditions:
        return None
    return await session.scalar(
        sa.select(Household).where(sa.or_(*conditions), Household.erased_at.is_(None)).limit(1)
    )


async def household_visitors(
    session: AsyncSession, household_id: uuid.UUID, *, youngest_first: bool = False
) -> list[Visitor]:
    """Everyone in the household, oldest first (or youngest first)."""
    born = Visitor.birth_date.desc() if youngest_first else Visitor.birth_date
    rows = await session.scalars(
        sa.select(Visitor).where(Visitor.household_id == household_id).order_by(born, Visitor.id)
    )
    return list(rows)


async def given_names(session: AsyncSession, visitor_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The first name of each of these visitors."""
    rows = await session.execute(
        sa.select(Visitor.id, Visitor.given_name).where(Visitor.id.in_(visitor_ids))
    )
    return {visitor_id: name for visitor_id, name in rows}


# --- households staff may find (phone bookings) ------------------------------------------------

MIN_NAME_SEARCH = 2  # characters: a shorter name would list most families of the facility


def _connected_to(facility_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """The household is known to the facility: one of its people asked for approval (or was
    approved or refused) to visit a prisoner held there, or it has had a visit there."""
    by_approval = (
        sa.select(Visitor.household_id)
        .join(VisitorApproval, VisitorApproval.visitor_id == Visitor.id)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
        .where(Prisoner.facility_id == facility_id)
    )
    by_visit = sa.select(Visit.household_id).where(
        Visit.facility_id == facility_id, Visit.household_id.is_not(None)
    )
    return sa.or_(Household.id.in_(by_approval), Household.id.in_(by_visit))


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _named(term: str) -> sa.ColumnElement[bool]:
    """``term`` is part of the guardian's name or of a name of one of the household's people."""
    pattern = _like(term)
    person = sa.select(Visitor.household_id).where(
        sa.or_(
            sa.func.lower(Visitor.given_name).like(pattern, escape="\\"),
            sa.func.lower(Visitor.family_name).like(pattern, escape="\\"),
        )
    )
    return sa.or_(
        sa.func.lower(Household.guardian_name).like(pattern, escape="\\"),
        Household.id.in_(person),
    )


def _visiting(facility_id: uuid.UUID, prison_number: str) -> sa.ColumnElement[bool]:
    """One of the household's people is connected (any approval state) to the prisoner of this
    prison number at the facility."""
    households = (
        sa.select(Visitor.household_id)
        .join(VisitorApproval, VisitorApproval.visitor_id == Visitor.id)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
        .where(
            Prisoner.facility_id == facility_id,
            sa.func.lower(Prisoner.prison_number) == prison_number.lower(),
        )
    )
    return Household.id.in_(households)


def _search_condition(
    facility_id: uuid.UUID, query: str, default_region: str
) -> sa.ColumnElement[bool] | None:
    """Who ``query`` finds for staff of ``facility_id`` (see ``households_for_staff``)."""
    text = " ".join(query.split())
    if not text or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        return None
    exact = []
    with contextlib.suppress(ValueError):  # spelt on the phone: upper or lower case alike
        exact.append(sa.func.lower(Household.email) == normalise_email(text).lower())
    with contextlib.suppress(ValueError):
        exact.append(Household.phone_e164 == normalise_mobile(text, default_region))
    here = [_visiting(facility_id, text)]
    if len(text) >= MIN_NAME_SEARCH:
        here.append(sa.and_(*(_named(term) for term in text.split())))
    found = sa.and_(_connected_to(facility_id), sa.or_(*here))
    return sa.and_(Household.erased_at.is_(None), sa.or_(*exact, found))


async def households_for_staff(
    session: AsyncSession,
    facility_id: uuid.UUID,
    query: str,
    *,
    default_region: str = "DE",
    limit: int,
    offset: int = 0,
) -> tuple[list[Household], int]:
    """Households staff of ``facility_id`` may find with ``query``, by guardian name, one page.

    - By name (the guardian's or any of the household's people, every word a part of a name,
      at least ``MIN_NAME_SEARCH`` characters) or by the prison number of a prisoner held at
      the facility: only households connected to the facility (``_connected_to``), so staff
      cannot browse the families of other facilities.
    - By an exact e-mail address (upper or lower case alike) or mobile number (any
      formatting; national numbers read in ``default_region``): any household, as a caller
      gives their own contact. It names one household that the caller identified, and lets
      staff book a family's first visit at their facility.
    Erased households are never found.
    """
    condition = _search_condition(facility_id, query, default_region)
    if condition is None:
        return [], 0
    total = await session.scalar(sa.select(sa.func.count()).select_from(Household).where(condition))
    rows = await session.scalars(
        sa.select(Household)
        .where(condition)
        .order_by(Household.guardian_name, Household.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def household_connected(
    session: AsyncSession, facility_id: uuid.UUID, household_id: uuid.UUID
) -> bool:
    """Whether the household is known to the facility (see ``households_for_staff``)."""
    found = await session.scalar(
        sa.select(Household.id).where(Household.id == household_id, _connected_to(facility_id))
    )
    return found is not None


async def people_of(
    session: AsyncSession, household_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[Visitor]]:
    """The people of each of these households, oldest first."""
    result: dict[uuid.UUID, list[Visitor]] = {h: [] for h in household_ids}
    rows = await session.scalars(
        sa.select(Visitor)
        .where(Visitor.household_id.in_(household_ids))
        .order_by(Visitor.birth_date, Visitor.id)
    )
    for visitor in rows:
        result[visitor.household_id].append(visitor)
    return result


async def household_found(
    session: AsyncSession,
    facility_id: uuid.UUID,
    query: str,
    household_id: uuid.UUID,
    *,
    default_region: str = "DE",
) -> Household | None:
    """The household, if ``query`` finds it for staff of the facility (a page that opens a
    household found by a search asks again, so an id alone opens nothing)."""
    condition = _search_condition(facility_id, query, default_region)
    if condition is None:
        return None
    return await session.scalar(sa.select(Household).where(condition, Household.id == household_id))
