"""Staff-side bodies for prisoners, visitor approvals and audit trails."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from visits.accounts.schemas import Reason, ShortName
from visits.enums import ApprovalStatus, CustodyStatus, Relationship


class PrisonerIn(msgspec.Struct, forbid_unknown_fields=True):
    prison_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    given_name: ShortName
    family_name: ShortName
    admission_date: date
    custody_status: CustodyStatus

    def problems(self) -> list[tuple[str, str]]:
        if self.admission_date > date.today():  # noqa: DTZ011 - a date, not an instant
            return [("admission_date", "must not be in the future")]
        return []


class PrisonerOut(msgspec.Struct):
    id: uuid.UUID
    facility_id: uuid.UUID
    prison_number: str
    given_name: str
    family_name: str
    admission_date: date
    custody_status: CustodyStatus


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    status: ApprovalStatus
    reason: Reason
    court_permit_until: date | None = None

    def problems(self) -> list[tuple[str, str]]:
        if self.status == ApprovalStatus.PENDING:
            return [("status", "decide with approved or rejected")]
        return []


class StaffApprovalOut(msgspec.Struct):
    """What staff see: the visitor's age details and relationship, and the reasons."""

    id: uuid.UUID
    prisoner_id: uuid.UUID
    visitor_id: uuid.UUID
    visitor_name: str
    birth_date: date
    relationship: Relationship
    status: ApprovalStatus
    court_permit_until: date | None
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None


class AuditEventOut(msgspec.Struct):
    id: uuid.UUID
    occurred_at: datetime
    actor_type: str
    actor_id: str | None
    actor_role: str | None
    channel: str
    action: str
    object_type: str
    object_id: str | None
    facility_id: uuid.UUID | None
    changes: dict[str, Any]
    reason: str | None
