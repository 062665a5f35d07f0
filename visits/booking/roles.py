"""Which staff roles may do what in booking, and the one rule for the role a person acts in.

Someone may hold several roles at a facility. For an operation that ``allowed`` roles may do,
they act in the first of their roles that may set aside every result the operation settles
(a decision settles the visit's review results, an override its one failed rule); without
such a role, in the first role allowed (the administrator role for admins). The API, the
console and the staff steps all choose the role here (``acting_role``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

import msgspec

from visits.accounts.principals import StaffPrincipal
from visits.db.models import Visit
from visits.enums import StaffRole
from visits.rules.decision import may_override
from visits.rules.model import RuleResult

BOOKING_ROLES = frozenset({StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER})
REVIEW_ROLES = frozenset(
    {StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER, StaffRole.SAFEGUARDING_LEAD}
)


def results_of(visit: Visit) -> list[RuleResult]:
    """The rule results stored with the visit."""
    return [msgspec.convert(r, RuleResult) for r in visit.rule_results]


def reviews_of(visit: Visit) -> list[RuleResult]:
    """The results that sent the visit to review: a decision settles them."""
    return [r for r in results_of(visit) if r.needs_review]


def settling_role(results: Iterable[RuleResult], roles: Sequence[StaffRole]) -> StaffRole | None:
    """The first of ``roles`` that may set aside every one of ``results``, if any."""
    settled = list(results)
    for role in roles:
        if all(may_override(r, role) for r in settled):
            return role
    return None


def deciding_role(results: Iterable[RuleResult], roles: Sequence[StaffRole]) -> StaffRole | None:
    """The first of ``roles`` that may settle every review result among ``results``, if any."""
    return settling_role([r for r in results if r.needs_review], roles)


def acting_role(
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    allowed: frozenset[StaffRole],
    settles: Iterable[RuleResult] = (),
) -> StaffRole:
    """The role ``staff`` acts in at ``facility_id`` for an operation ``allowed`` roles may do
    that sets aside ``settles``: the first held role that may set aside all of them, else the
    first role allowed (admins: the administrator role). ``Forbidden`` without an allowed role.
    """
    held = sorted(staff.roles_at(facility_id) & allowed)
    if staff.is_admin:
        held.append(StaffRole.ADMIN)
    if not held:
        return staff.role_for(facility_id, allowed)  # raises Forbidden
    settled = list(settles)
    if settled:
        role = settling_role(settled, held)
        if role is not None:
            return role
    return StaffRole.ADMIN if staff.is_admin else held[0]
