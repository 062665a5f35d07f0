"""Request context of booking: who calls, and the visit this caller may see.

``visit_for`` is the one way to load a visit for someone: a household sees its own visits,
staff the visits of a facility where they hold one of the roles the operation allows. Anything
else is missing (404 ``visit-not-found``), so another household's visit gives no hint that it
exists; a member of staff without an allowed role at the visit's facility is refused (403).
Services that change a visit take the ``Visit`` it returns, locked (``lock=True``).

API handlers declare what they need instead of building it:

- ``HOUSEHOLD_CALLER`` (controller dependencies, beside ``HOUSEHOLD_DEPENDENCIES``) provides
  ``caller: RequestCaller`` for the signed-in household in the request's language;
- ``household_visit(lock=...)`` (handler dependencies) provides ``visit: CallersVisit`` from the
  path's ``visit_id``;
- ``staff_visit(roles, lock=...)`` (handler dependencies) provides ``visit: CallersVisit`` and
  ``caller: RequestCaller`` in the role allowed at the visit's facility.

Pages, which hold their principal in their page context, call ``visit_for`` with
``ForHousehold(...)`` or ``ForStaff(...)`` and build the caller with ``household_caller`` /
``staff_caller`` / ``caller_in_role``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import HouseholdPrincipal, HouseholdUser, StaffPrincipal, StaffUser
from visits.booking.service import Caller
from visits.db.models import Visit
from visits.dependencies import DbSession
from visits.enums import StaffRole
from visits.errors import NotFound
from visits.i18n import negotiate_language

# How handlers declare the caller and the visit they act on (neither is data to validate).
RequestCaller = NamedDependency[SkipValidation[Caller]]
CallersVisit = NamedDependency[SkipValidation[Visit]]


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


def household_caller(household: HouseholdPrincipal, language: str) -> Caller:
    return Caller(actor=household.actor, household_id=household.household_id, language=language)


def caller_in_role(staff: StaffPrincipal, role: StaffRole, language: str) -> Caller:
    return Caller(
        actor=staff.actor(role), staff_role=role, staff_name=staff.name, language=language
    )


def staff_caller(
    staff: StaffPrincipal, facility_id: uuid.UUID, roles: frozenset[StaffRole], language: str
) -> Caller:
    """Staff acting at ``facility_id`` in a role of ``roles`` (``Forbidden`` without one)."""
    return caller_in_role(staff, staff.role_for(facility_id, roles), language)


def provide_household_caller(request: Request[Any, Any, Any], household: HouseholdUser) -> Caller:
    return household_caller(household, negotiate_language(request))


HOUSEHOLD_CALLER = {"caller": Provide(provide_household_caller, sync_to_thread=False)}


def household_visit(*, lock: bool) -> dict[str, Provide]:
    """Handler dependencies: ``visit``, the household's visit at the path's ``visit_id``."""

    async def provide_visit(
        db_session: DbSession, household: HouseholdUser, visit_id: FromPath[uuid.UUID]
    ) -> Visit:
        return await visit_for(
            db_session, visit_id, ForHousehold(household.household_id), lock=lock
        )

    return {"visit": Provide(provide_visit)}


def staff_visit(roles: frozenset[StaffRole], *, lock: bool) -> dict[str, Provide]:
    """Handler dependencies: ``visit`` at the path's ``visit_id`` for an operation ``roles``
    may do, and ``caller``, the member of staff in that role at the visit's facility."""

    async def provide_visit(
        db_session: DbSession, staff: StaffUser, visit_id: FromPath[uuid.UUID]
    ) -> Visit:
        return await visit_for(db_session, visit_id, ForStaff(staff, roles), lock=lock)

    def provide_caller(
        request: Request[Any, Any, Any], staff: StaffUser, visit: CallersVisit
    ) -> Caller:
        return staff_caller(staff, visit.facility_id, roles, negotiate_language(request))

    return {
        "visit": Provide(provide_visit),
        "caller": Provide(provide_caller, sync_to_thread=False),
    }
