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
    RestrictionCode,
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
    closed_visits_only: Annotated[
        bool, msgspec.Meta(description="Visits only behind a glass partition (CF-19).")
    ] = False
    released_on: date | None = None


def _not_past(name: str, day: date | None) -> list[FieldProblem]:
    if day is not None and day < date.today():  # noqa: DTZ011 - a date, not an instant
        return [(name, Message("must not be in the past"))]
    return []


class RestrictionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A safeguarding restriction (CF-05), with the safeguarding lead's reason; it applies to
    visits up to ``valid_until`` (leave it out: until lifted)."""

    code: RestrictionCode
    reason: Annotated[Reason, msgspec.Meta(examples=["Family court order of 2 November."])]
    valid_until: date | None = None

    def problems(self) -> list[FieldProblem]:
        return _not_past("valid_until", self.valid_until)


class LiftIn(msgspec.Struct, forbid_unknown_fields=True):
    """Why a restriction ends now."""

    reason: Annotated[Reason, msgspec.Meta(examples=["The court order was lifted."])]


class RestrictionOut(msgspec.Struct):
    """A restriction as staff see it (families never do)."""

    id: uuid.UUID
    code: Annotated[
        str,
        msgspec.Meta(
            description="`no_child_contact`, `child_visitors_vetted` (older records: any code).",
            examples=["no_child_contact"],
        ),
    ]
    reason: str
    valid_until: date | None
    recorded_by: str
    recorded_at: datetime
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None
    in_force: Annotated[
        bool, msgspec.Meta(description="Not lifted and valid today (the facility's date).")
    ]


class ClosedVisitsIn(msgspec.Struct, forbid_unknown_fields=True):
    """Set or clear "closed visits only" (CF-19), with the safeguarding lead's reason."""

    closed_visits_only: bool
    reason: Annotated[Reason, msgspec.Meta(examples=["Risk assessment of 1 December."])]


class PrisonerDetailOut(msgspec.Struct):
    """A prisoner with every restriction on record, newest first (staff only)."""

    prisoner: PrisonerOut
    restrictions: list[RestrictionOut]


class TransferIn(msgspec.Struct, forbid_unknown_fields=True):
    """The facility the prisoner moves to (and the prison number there, if it changes)."""

    facility_id: uuid.UUID
    reason: Annotated[Reason, msgspec.Meta(examples=["Transferred by order of 1 December."])]
    prison_number: Annotated[PrisonNumber | None, msgspec.Meta(examples=["D-2026-0042"])] = None


class ReleaseIn(msgspec.Struct, forbid_unknown_fields=True):
    """The day of release: visits from that day on are cancelled."""

    released_on: date
    reason: Annotated[Reason, msgspec.Meta(examples=["End of sentence."])]


class PrisonerChangeOut(msgspec.Struct):
    """The prisoner after a transfer or release, and the visits that were cancelled."""

    prisoner: PrisonerOut
    cancelled_visits: Annotated[
        list[str], msgspec.Meta(description="The references of the cancelled visits.")
    ]


class PrisonerImportIn(msgspec.Struct, forbid_unknown_fields=True):
    """A CSV document with a header row ``prison_number``, ``given_name``, ``family_name``,
    ``admission_date`` (YYYY-MM-DD or DD.MM.YYYY), ``custody_status`` (remand, sentenced);
    separated by semicolons or commas. ``store`` false: only a preview."""

    document: Annotated[str, msgspec.Meta(min_length=1, max_length=1_000_000)]
    store: bool = False


class ImportProblemOut(msgspec.Struct):
    """One problem of one line (line 1 is the header)."""

    line: int
    field: str
    detail: str


class ImportLineOut(msgspec.Struct):
    """A line that can be stored."""

    line: int
    prison_number: str
    given_name: str
    family_name: str
    admission_date: date
    custody_status: CustodyStatus


class PrisonerImportOut(msgspec.Struct):
    """The preview (or the result) of an import: the good lines, each problem, and how many
    prisoners were stored (0 for a preview or when any line has a problem)."""

    lines: list[ImportLineOut]
    problems: list[ImportProblemOut]
    stored: int


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    """``approved`` or ``rejected`` with the reason (kept for staff and the audit trail); a
    remand prisoner's visitors need a court permit, valid until ``court_permit_until``, where
    the facility's profile asks for one. The household is told the outcome; a rejection's
    reason only with ``share_reason`` (never a safeguarding reason)."""

    status: ApprovalStatus
    reason: Annotated[Reason, msgspec.Meta(examples=["Birth certificate seen."])]
    court_permit_until: date | None = None
    share_reason: Annotated[
        bool,
        msgspec.Meta(
            description="Rejections only: tell the household the reason. Leave it false for a "
            "safeguarding reason: the household is then only asked to contact the facility."
        ),
    ] = False

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
