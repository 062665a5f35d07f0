"""Request and response bodies for sign-up, sign-in, staff accounts, households and visitors."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from visits.enums import ApprovalStatus, ContactChannel, Language, Relationship, StaffRole

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ShortName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]
Password = Annotated[str, msgspec.Meta(min_length=12, max_length=256)]
Code = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]


class SignUpIn(msgspec.Struct, forbid_unknown_fields=True):
    guardian_name: Name
    language: Language
    email: str | None = None
    phone: str | None = None
    sms_consent: bool = False

    def problems(self) -> list[tuple[str, str]]:
        if not self.email and not self.phone:
            return [("email", "give an e-mail address, a mobile number, or both")]
        return []


class CodeRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    email: str | None = None
    phone: str | None = None

    def problems(self) -> list[tuple[str, str]]:
        if bool(self.email) == bool(self.phone):
            return [("email", "give either an e-mail address or a mobile number")]
        return []


class ChallengeOut(msgspec.Struct):
    """The same answer whether or not an account exists."""

    challenge_id: uuid.UUID
    channel: ContactChannel
    expires_at: datetime
    message: str


class VerifyIn(msgspec.Struct, forbid_unknown_fields=True):
    challenge_id: uuid.UUID
    code: Code


class StaffSignInIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenOut(msgspec.Struct):
    token: str
    token_type: str
    expires_at: datetime


class GrantIO(msgspec.Struct, forbid_unknown_fields=True):
    role: StaffRole
    facility_id: uuid.UUID | None = None


def grant_problems(grants: list[GrantIO], field: str = "grants") -> list[tuple[str, str]]:
    problems = []
    for index, grant in enumerate(grants):
        if (grant.role == StaffRole.ADMIN) != (grant.facility_id is None):
            problems.append(
                (f"{field}[{index}]", "admin grants have no facility; every other role needs one")
            )
    return problems


class StaffCreateIn(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(min_length=3, max_length=254)]
    name: Name
    password: Password
    grants: Annotated[list[GrantIO], msgspec.Meta(min_length=1)]

    def problems(self) -> list[tuple[str, str]]:
        return grant_problems(self.grants)


class StaffUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    is_active: bool | None = None
    grants: list[GrantIO] | None = None
    reason: Reason | None = None

    def problems(self) -> list[tuple[str, str]]:
        return grant_problems(self.grants or [])


class StaffOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    name: str
    is_active: bool
    grants: list[GrantIO]
    last_sign_in_at: datetime | None


class MeOut(msgspec.Struct):
    kind: str
    id: uuid.UUID
    name: str
    grants: list[GrantIO] = []


class HouseholdOut(msgspec.Struct):
    id: uuid.UUID
    guardian_name: str
    email: str | None
    phone: str | None
    language: Language
    sms_consent: bool


class HouseholdUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    guardian_name: Name | None = None
    language: Language | None = None
    sms_consent: bool | None = None


class VisitorIn(msgspec.Struct, forbid_unknown_fields=True):
    given_name: ShortName
    family_name: ShortName
    birth_date: date
    relationship: Relationship
    is_guardian: bool = False

    def problems(self) -> list[tuple[str, str]]:
        return birth_date_problems(self.birth_date)


class VisitorUpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    given_name: ShortName | None = None
    family_name: ShortName | None = None
    birth_date: date | None = None
    relationship: Relationship | None = None
    is_guardian: bool | None = None

    def problems(self) -> list[tuple[str, str]]:
        return birth_date_problems(self.birth_date) if self.birth_date else []


def birth_date_problems(birth_date: date) -> list[tuple[str, str]]:
    today = date.today()  # noqa: DTZ011 - a day's tolerance either way does not matter here
    if birth_date > today:
        return [("birth_date", "must not be in the future")]
    if birth_date.year < today.year - 120:
        return [("birth_date", "is too far in the past")]
    return []


class ApprovalRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Identify the prisoner as the family knows them."""

    facility_id: uuid.UUID
    prison_number: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    prisoner_family_name: ShortName


class HouseholdApprovalOut(msgspec.Struct):
    """What a family sees of an approval: no staff reasons (they may concern safeguarding)."""

    id: uuid.UUID
    visitor_id: uuid.UUID
    prisoner_id: uuid.UUID
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
