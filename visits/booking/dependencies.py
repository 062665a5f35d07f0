"""Request context of booking: who calls, and the visit this caller may see.

``visits.accounts.access.visit_for`` is the one way to load a visit for someone (see there).
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
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation

from visits.accounts.access import ForHousehold, ForStaff, visit_for
from visits.accounts.principals import HouseholdPrincipal, HouseholdUser, StaffPrincipal, StaffUser
from visits.booking.service import Caller
from visits.db.models import Visit
from visits.dependencies import DbSession
from visits.enums import StaffRole
from visits.i18n import negotiate_language

# How handlers declare the caller and the visit they act on (neither is data to validate).
RequestCaller = NamedDependency[SkipValidation[Caller]]
CallersVisit = NamedDependency[SkipValidation[Visit]]


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
