"""Request context of booking: who calls, and the visit this caller may see.

``visits.accounts.access.visit_for`` is the one way to load a visit for someone (see there).
Services that change a visit take the ``Visit`` it returns, locked (``lock=True``).

API handlers declare what they need instead of building it:

- ``HOUSEHOLD_CALLER`` (controller dependencies, beside ``HOUSEHOLD_DEPENDENCIES``) provides
  ``caller: RequestCaller`` for the signed-in household in the request's language;
- ``household_visit(lock=...)`` (handler dependencies) provides ``visit: CallersVisit`` from the
  path's ``visit_id``;
- ``staff_visit(roles, lock=..., decides=...)`` (handler dependencies) provides
  ``visit: CallersVisit`` and ``caller: RequestCaller`` in the role the person acts in at the
  visit's facility (``booking.roles.acting_role``; for a decision, the role that may settle
  the visit's reviews);
- ``staff_at_facility(roles)`` (handler dependencies) provides ``caller: RequestCaller`` for
  the path's ``facility_id``.

Pages, which hold their principal in their page context, call ``visit_for`` with
``ForHousehold(...)`` or ``ForStaff(...)`` and build the caller with ``household_caller`` /
``staff_caller`` / ``caller_in_role``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation

from visits.accounts.access import ForHousehold, ForStaff, visit_for
from visits.accounts.principals import HouseholdPrincipal, HouseholdUser, StaffPrincipal, StaffUser
from visits.booking.roles import acting_role, reviews_of
from visits.booking.service import Caller
from visits.db.models import Visit
from visits.dependencies import DbSession, RequestLanguage
from visits.enums import StaffRole
from visits.rules.model import RuleResult

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
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    roles: frozenset[StaffRole],
    language: str,
    settles: Iterable[RuleResult] = (),
) -> Caller:
    """Staff acting at ``facility_id`` in a role of ``roles`` that sets aside ``settles`` if
    they hold one (``booking.roles.acting_role``; ``Forbidden`` without a role of ``roles``)."""
    return caller_in_role(staff, acting_role(staff, facility_id, roles, settles), language)


def provide_household_caller(household: HouseholdUser, language: RequestLanguage) -> Caller:
    return household_caller(household, language)


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


def staff_at_facility(roles: frozenset[StaffRole]) -> dict[str, Provide]:
    """Handler dependencies: ``caller``, the member of staff acting at the path's
    ``facility_id`` in a role of ``roles`` (``Forbidden`` without one)."""

    def provide_caller(
        staff: StaffUser, facility_id: FromPath[uuid.UUID], language: RequestLanguage
    ) -> Caller:
        return staff_caller(staff, facility_id, roles, language)

    return {"caller": Provide(provide_caller, sync_to_thread=False)}


def staff_visit(
    roles: frozenset[StaffRole], *, lock: bool, decides: bool = False
) -> dict[str, Provide]:
    """Handler dependencies: ``visit`` at the path's ``visit_id`` for an operation ``roles``
    may do, and ``caller``, the member of staff acting at the visit's facility; ``decides``:
    in the role that may settle every review of the visit, if they hold one."""

    async def provide_visit(
        db_session: DbSession, staff: StaffUser, visit_id: FromPath[uuid.UUID]
    ) -> Visit:
        return await visit_for(db_session, visit_id, ForStaff(staff, roles), lock=lock)

    def provide_caller(staff: StaffUser, visit: CallersVisit, language: RequestLanguage) -> Caller:
        settles = reviews_of(visit) if decides else ()
        return staff_caller(staff, visit.facility_id, roles, language, settles)

    return {
        "visit": Provide(provide_visit),
        "caller": Provide(provide_caller, sync_to_thread=False),
    }
