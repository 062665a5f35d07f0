"""Staff-side bodies for prisoners, visitor approvals, audit trails and notices to families."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar.openapi.spec import Schema
from litestar.params import KwargDefinition

from visits.accounts.schemas import PrisonNumber, Reason, ShortName
from visits.enums import (
    ActorType,
    ApprovalStatus,
    Channel,
    ContactChannel,
    CustodyStatus,
    NoticeKind,
    Relationship,
    ReminderState,
)
from visits.i18n import Message
from visits.openapi import schema_name
from visits.pagination import Page
from visits.validation import FieldProblem

# The values of ``changes`` have many shapes (old and new values, lists, nested settings).
AnyJsonObject = Annotated[
    dict[str, Any],
    KwargDefinition(
        schema_extra={
            "additional_properties": Schema(
                description="Any JSON value: a changed field's [old, new], or a fact."
            )
        }
    ),
]


class PrisonerIn(msgspec.Struct, forbid_unknown_fields=True):
    prison_number: Annotated[PrisonNumber, msgspec.Meta(examples=["B-2024-0815"])]
    given_name: Annotated[ShortName, msgspec.Meta(examples=["Jonas"])]
    family_name: Annotated[ShortName, msgspec.Meta(examples=["Beispiel"])]
    admission_date: date
    custody_status: CustodyStatus

    def problems(self) -> list[FieldProblem]:
        if self.admission_date > date.today():  # noqa: DTZ011 - a date, not an instant
            return [("admission_date", Message("must not be in the future"))]
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
    """``approved`` or ``rejected`` with the reason (staff only); a remand prisoner's visitors
    need a court permit, valid until ``court_permit_until``."""

    status: ApprovalStatus
    reason: Annotated[Reason, msgspec.Meta(examples=["Birth certificate seen."])]
    court_permit_until: date | None = None

    def problems(self) -> list[FieldProblem]:
        problems = []
        if self.status == ApprovalStatus.PENDING:
            problems.append(("status", Message("decide with approved or rejected")))
        today = date.today()  # noqa: DTZ011 - a date, not an instant
        if self.court_permit_until is not None and self.court_permit_until < today:
            problems.append(("court_permit_until", Message("must not be in the past")))
        return problems


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
    """One audited change: who (type, id, role), through which channel, what, and why."""

    id: uuid.UUID
    occurred_at: datetime
    actor_type: ActorType
    actor_id: str | None
    actor_role: str | None
    channel: Channel
    action: str
    object_type: str
    object_id: str | None
    facility_id: uuid.UUID | None
    changes: AnyJsonObject
    reason: str | None


class NoticeOut(msgspec.Struct):
    """A message to a family about a visit, as staff see it: what it was about, how it went
    and what went wrong — never where it went nor what it said."""

    id: uuid.UUID
    visit_id: uuid.UUID | None
    kind: NoticeKind
    channel: ContactChannel
    state: ReminderState
    attempts: int
    last_error: Annotated[
        str | None,
        msgspec.Meta(
            description="Why the last attempt failed (the recipient's address masked).",
            examples=["Twilio refused: 21211 The 'To' number +491…78 is not a valid phone number."],
        ),
    ]
    provider_status: Annotated[
        str | None, msgspec.Meta(description="Twilio's last delivery status of an SMS.")
    ]
    created_at: datetime
    sent_at: datetime | None


PrisonerPage = Annotated[Page[PrisonerOut], schema_name("PrisonerPage")]
StaffApprovalPage = Annotated[Page[StaffApprovalOut], schema_name("StaffApprovalPage")]
AuditEventPage = Annotated[Page[AuditEventOut], schema_name("AuditEventPage")]
NoticePage = Annotated[Page[NoticeOut], schema_name("NoticePage")]
