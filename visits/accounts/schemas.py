"""Request and response bodies for sign-up, sign-in, staff accounts, households and visitors.

Every text a person types is bounded and has no control characters: names end up in e-mail
headers, SMS, calendar entries and CSV files, where a line break or a NUL would break the
format (or the database: PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from visits.enums import (
    ApprovalStatus,
    ContactChannel,
    Language,
    NotifyBy,
    Relationship,
    StaffRole,
    VisitStatus,
    VisitType,
)
from visits.i18n import Message
from visits.openapi import schema_name
from visits.pagination import Page
from visits.validation import E164_META, EMAIL_META, FieldProblem, single_line

Name = Annotated[str, single_line(200)]
ShortName = Annotated[str, single_line(100)]
Reason = Annotated[str, single_line(2000, min_length=3)]
Password = Annotated[str, msgspec.Meta(min_length=12, max_length=256)]
Code = Annotated[
    str,
    msgspec.Meta(min_length=6, max_length=6, pattern=r"^[0-9]{6}(?![\s\S])", examples=["493817"]),
]
Email = Annotated[str, EMAIL_META]
Mobile = Annotated[str, E164_META]
PrisonNumber = Annotated[str, single_line(32)]
NewEmail = Annotated[
    str,
    EMAIL_META,
    msgspec.Meta(
        description="A new e-mail address (sign-in codes and notices go there from now on); an "
        "empty string removes it. One contact must stay: an e-mail address or a mobile number."
    ),
]
NewMobile = Annotated[
    str,
    E164_META,
    msgspec.Meta(
        description="A new mobile number (national numbers are read as German, stored in E.164 "
        "form); an empty string removes it. A new number is not confirmed: SMS go there only "
        "once a code sent to it came back (`POST /api/v1/household/phone-confirmation`)."
    ),
]
MAX_GRANTS = 50


class SignUpIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new household: the guardian's name, a contact (e-mail, mobile or both), a language."""

    guardian_name: Annotated[Name, msgspec.Meta(examples=["Anna Beispiel"])]
    language: Language
    email: Email | None = None
    phone: Mobile | None = None
    sms_consent: bool = False

    def problems(self) -> list[FieldProblem]:
        if not self.email and not self.phone:
            return [("email", Message("give an e-mail address, a mobile number, or both"))]
        return []


class CodeRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of the two: the address the code is sent to."""

    email: Email | None = None
    phone: Mobile | None = None

    def problems(self) -> list[FieldProblem]:
        if bool(self.email) == bool(self.phone):
            return [("email", Message("give either an e-mail address or a mobile number"))]
        return []


class ChallengeOut(msgspec.Struct):
    """The same answer whether or not an account exists."""

    challenge_id: uuid.UUID
    channel: ContactChannel
    expires_at: datetime
    message: Annotated[
        str,
        msgspec.Meta(
            examples=["If the address belongs to a household, a sign-in code is on its way."]
        ),
    ]


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    challenge_id: uuid.UUID
    code: Code


class StaffSignInIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenOut(msgspec.Struct):
    """A bearer token, shown once: only its hash is stored."""

    token: Annotated[str, msgspec.Meta(examples=["vh_3q2x0pS1c9Qm…"])]
    token_type: Literal["Bearer"]
    expires_at: datetime


class GrantIO(msgspec.Struct, forbid_unknown_fields=True):
    """A role at a facility; the admin role has no facility and reaches every facility."""

    role: StaffRole
    facility_id: uuid.UUID | None = None


def grant_problems(grants: list[GrantIO], field: str = "grants") -> list[FieldProblem]:
    problems = []
    for index, grant in enumerate(grants):
        if (grant.role == StaffRole.ADMIN) != (grant.facility_id is None):
            problems.append(
                (
                    f"{field}[{index}]",
                    Message("admin grants have no facility; every other role needs one"),
                )
            )
    return problems


Grants = Annotated[list[GrantIO], msgspec.Meta(max_length=MAX_GRANTS)]


class StaffCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    name: Annotated[Name, msgspec.Meta(examples=["Olga Officer"])]
    password: Password
    grants: Annotated[list[GrantIO], msgspec.Meta(min_length=1, max_length=MAX_GRANTS)]

    def problems(self) -> list[FieldProblem]:
        return grant_problems(self.grants)


class StaffUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change; ``grants`` replaces every grant (an empty list: none)."""

    name: Name | None = None
    is_active: bool | None = None
    grants: Grants | None = None
    reason: Reason | None = None

    def problems(self) -> list[FieldProblem]:
        return grant_problems(self.grants or [])


class StaffOut(msgspec.Struct):
    id: uuid.UUID
    email: Email
    name: str
    is_active: bool
    grants: list[GrantIO]
    last_sign_in_at: datetime | None


class MeOut(msgspec.Struct):
    """The caller: a household (its guardian's name) or a member of staff with their grants."""

    kind: Literal["household", "staff"]
    id: uuid.UUID
    name: str
    grants: list[GrantIO] = []


class HouseholdOut(msgspec.Struct):
    id: uuid.UUID
    guardian_name: str
    email: Email | None
    phone: Mobile | None
    language: Language
    sms_consent: bool
    phone_confirmed: Annotated[
        bool,
        msgspec.Meta(
            description="Whether a code sent by SMS to the number came back (signing in with "
            "the mobile number confirms it); SMS go only to a confirmed number."
        ),
    ]
    notify_by: NotifyBy


class HouseholdUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change."""

    guardian_name: Name | None = None
    language: Language | None = None
    email: NewEmail | None = None
    phone: NewMobile | None = None
    sms_consent: bool | None = None
    notify_by: Annotated[
        NotifyBy | None,
        msgspec.Meta(
            description="How notices reach the household: `email`, `sms` or `both`; the other "
            "medium stands in when the chosen one is missing or the number is not confirmed."
        ),
    ] = None


class PhoneConfirmationOut(msgspec.Struct):
    """A confirmation code is on its way by SMS to the household's mobile number; send it back
    with ``challenge_id`` to ``POST /api/v1/household/phone-confirmation/verify``."""

    challenge_id: uuid.UUID
    expires_at: datetime


class PhoneCodeIn(msgspec.Struct, forbid_unknown_fields=True):
    """The code from the SMS and the challenge it answers."""

    challenge_id: uuid.UUID
    code: Code


class VisitorIn(msgspec.Struct, forbid_unknown_fields=True):
    given_name: Annotated[ShortName, msgspec.Meta(examples=["Noah"])]
    family_name: Annotated[ShortName, msgspec.Meta(examples=["Beispiel"])]
    birth_date: date
    relationship: Relationship
    is_guardian: bool = False

    def problems(self) -> list[FieldProblem]:
        return birth_date_problems(self.birth_date)


class VisitorUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields given change."""

    given_name: ShortName | None = None
    family_name: ShortName | None = None
    birth_date: date | None = None
    relationship: Relationship | None = None
    is_guardian: bool | None = None

    def problems(self) -> list[FieldProblem]:
        return birth_date_problems(self.birth_date) if self.birth_date else []


def birth_date_problems(birth_date: date) -> list[FieldProblem]:
    today = date.today()  # noqa: DTZ011 - a day's tolerance either way does not matter here
    if birth_date > today:
        return [("birth_date", Message("must not be in the future"))]
    if birth_date.year < today.year - 120:
        return [("birth_date", Message("is too far in the past"))]
    return []


class ApprovalRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Identify the prisoner as the family knows them."""

    facility_id: uuid.UUID
    prison_number: Annotated[PrisonNumber, msgspec.Meta(examples=["B-2024-0815"])]
    prisoner_family_name: Annotated[ShortName, msgspec.Meta(examples=["Beispiel"])]


class HouseholdApprovalOut(msgspec.Struct):
    """What a family sees of an approval: no staff reasons (they may concern safeguarding),
    and the prisoner's id only once approved (a pending or rejected request reveals nothing
    about the prisoner)."""

    id: uuid.UUID
    visitor_id: uuid.UUID
    prisoner_id: Annotated[
        uuid.UUID | None,
        msgspec.Meta(description="The prisoner to book visits for; null until approved."),
    ]
    facility_id: uuid.UUID
    status: ApprovalStatus
    message: str


class VisitorOut(msgspec.Struct):
    id: uuid.UUID
    given_name: str
    family_name: str
    birth_date: date
    relationship: Relationship
    is_guardian: bool
    approvals: list[HouseholdApprovalOut]


class ExportVisitOut(msgspec.Struct):
    """A visit of the household; ``party`` lists visitor ids (null: a person since removed)."""

    id: uuid.UUID
    reference: str
    status: VisitStatus
    visit_type: VisitType
    starts_at: datetime
    ends_at: datetime
    support_needs: str | None
    party: list[uuid.UUID | None]


class ExportActivityOut(msgspec.Struct):
    """Something the household did, from the audit trail."""

    at: datetime
    action: str
    object_type: str
    object_id: str | None


class HouseholdExportOut(msgspec.Struct):
    """Everything stored about a household (GDPR Art. 15 and 20)."""

    exported_at: datetime
    household: HouseholdOut
    sms_opted_out_at: datetime | None
    created_at: datetime
    visitors: list[VisitorOut]
    visits: list[ExportVisitOut]
    activity: list[ExportActivityOut]


VisitorPage = Annotated[Page[VisitorOut], schema_name("VisitorPage")]
StaffPage = Annotated[Page[StaffOut], schema_name("StaffPage")]
