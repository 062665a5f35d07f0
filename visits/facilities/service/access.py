"""Who may read and who may change a facility's set-up."""

from __future__ import annotations

from visits.accounts.principals import ALL_ROLES
from visits.enums import StaffRole

READ_ROLES = ALL_ROLES
MANAGE_ROLES = frozenset({StaffRole.VISITS_MANAGER})
