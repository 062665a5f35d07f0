"""Who may do what with prisoners, approvals and safeguarding facts (CF-04 names the visits
officer; managers and the safeguarding lead may decide approvals too)."""

from __future__ import annotations

import uuid

from visits.accounts.principals import ALL_ROLES, StaffPrincipal
from visits.enums import StaffRole
from visits.errors import Forbidden

READ_ROLES = ALL_ROLES
PRISONER_EDIT_ROLES = frozenset({StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER})
APPROVAL_ROLES = frozenset(
    {StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER, StaffRole.SAFEGUARDING_LEAD}
)
# Safeguarding facts (CF-02 consent, CF-05 flags and restrictions, CF-19 "closed visits only",
# CF-22 a child's wish): the safeguarding lead only, as the rule catalogue names; not even an
# administrator without that role.
SAFEGUARDING_ROLES = frozenset({StaffRole.SAFEGUARDING_LEAD})


def is_safeguarding_lead(staff: StaffPrincipal, facility_id: uuid.UUID) -> bool:
    """Whether ``staff`` records safeguarding facts at the facility (and reads their reasons)."""
    return StaffRole.SAFEGUARDING_LEAD in staff.roles_at(facility_id)


def safeguarding_lead(staff: StaffPrincipal, facility_id: uuid.UUID) -> StaffRole:
    """The role a safeguarding fact is recorded in; 403 ``forbidden`` for anyone else."""
    if not is_safeguarding_lead(staff, facility_id):
        raise Forbidden(
            "forbidden",
            "Your role does not allow this here. Allowed: %(roles)s.",
            roles=StaffRole.SAFEGUARDING_LEAD.value,
        )
    return StaffRole.SAFEGUARDING_LEAD
