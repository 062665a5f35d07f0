"""Which staff roles may book for a household and which may settle reviews."""

from __future__ import annotations

from visits.enums import StaffRole

BOOKING_ROLES = frozenset({StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER})
REVIEW_ROLES = frozenset(
    {StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER, StaffRole.SAFEGUARDING_LEAD}
)
