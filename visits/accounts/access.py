"""The visit a caller may see: the one way to load a visit for a household or for staff.

A household sees its own visits, staff the visits of a facility where they hold one of the roles
the operation allows. Anything else is missing (404 ``visit-not-found``), so another household's
visit gives no hint that it exists; a member of staff without an allowed role at the visit's
facility is refused (403). It lives with the principals because every package that serves a
visit (booking, calendar, pages) needs it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.db.models import Visit
from visits.enums import StaffRole
from visits.errors import NotFound


@dataclass(frozen=True)
class ForHousehold:
    """A household asks: only its own visits exist for it."""

    household_id: uuid.UUID


@dataclass(frozen=True)
class ForStaff:
    """Staff ask, for an operation that ``roles`` may do. ``facility_id`` scopes a page of one
    facility: a visit at another facility is missing there."""

    staff: StaffPrincipal
    roles: frozenset[StaffRole]
    facility_id: uuid.UUID | None = None


Asker = ForHousehold | ForStaff


def _missing() -> NotFound:
    return NotFound("visit-not-found", "There is no such visit.")


async def visit_for(
    session: AsyncSession, visit_id: uuid.UUID, asker: Asker, *, lock: bool = False
) -> Visit:
    """The visit ``asker`` may see, locked for a change when ``lock``; ``NotFound`` for any
    other (``Forbidden`` for staff without an allowed role at its facility)."""
    statement = sa.select(Visit).where(Visit.id == visit_id)
    if isinstance(asker, ForHousehold):
        statement = statement.where(Visit.household_id == asker.household_id)
    elif asker.facility_id is not None:
        statement = statement.where(Visit.facility_id == asker.facility_id)
    visit = await session.scalar(statement.with_for_update() if lock else statement)
    if visit is None:
        raise _missing()
    if isinstance(asker, ForStaff):
        asker.staff.role_for(visit.facility_id, asker.roles)
    return visit
