"""Who may do what with prisoners and approvals (CF-04 names the visits officer; managers and
the safeguarding lead may decide approvals too)."""

from __future__ import annotations

from visits.accounts.principals import ALL_ROLES
from visits.enums import StaffRole

READ_ROLES = ALL_ROLES
PRISONER_EDIT_ROLES = frozenset({StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER})
APPROVAL_ROLES = frozenset(
    {StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER, StaffRole.SAFEGUARDING_LEAD}
)
# Safeguarding facts (CF-05 restrictions, CF-19 "closed visits only"): the safeguarding lead
# only, as the rule catalogue names; not even an administrator without that role.
SAFEGUARDING_ROLES = frozenset({StaffRole.SAFEGUARDING_LEAD})
