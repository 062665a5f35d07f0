"""Every model, imported here so that ``Base.metadata`` knows the whole schema."""

from visits.db.base import Base
from visits.db.models.accounts import (
    AuthToken,
    RateLimitCounter,
    SignInChallenge,
    StaffGrant,
    StaffMember,
)
from visits.db.models.audit import AuditEvent
from visits.db.models.facility import (
    Closure,
    Facility,
    FacilityInformation,
    Room,
    Slot,
    SlotTemplate,
)
from visits.db.models.idempotency import IdempotencyRecord
from visits.db.models.notify import Notice, Reminder
from visits.db.models.people import (
    GuardianConsent,
    Household,
    Prisoner,
    PrisonerRestriction,
    Visitor,
    VisitorApproval,
)
from visits.db.models.visit import AllowanceEntry, Visit, VisitOverride, VisitParty

__all__ = [
    "AllowanceEntry",
    "AuditEvent",
    "AuthToken",
    "Base",
    "Closure",
    "Facility",
    "FacilityInformation",
    "GuardianConsent",
    "Household",
    "IdempotencyRecord",
    "Notice",
    "Prisoner",
    "PrisonerRestriction",
    "RateLimitCounter",
    "Reminder",
    "Room",
    "SignInChallenge",
    "Slot",
    "SlotTemplate",
    "StaffGrant",
    "StaffMember",
    "Visit",
    "VisitOverride",
    "VisitParty",
    "Visitor",
    "VisitorApproval",
]
