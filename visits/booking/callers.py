"""Phone bookings for callers: finding a caller's household, and setting one up for a caller
who has none. For the booking roles (``roles.BOOKING_ROLES``: visits officer, visits manager;
admins everywhere), the staff API and the console alike.

Which households staff may find (``accounts.queries.households_for_staff``): by name or by a
prisoner's prison number only those connected to their facility (an approval asked for, given
or refused for a prisoner held there, or a visit there), so nobody browses the families of
other facilities; by an exact e-mail address or mobile number any household, because the
caller names their own contact and a family's first visit at a facility starts that way.

A household set up on the phone is connected at once: the caller names the prisoner they visit
(by prison number at this facility), and each of its people gets a pending approval request
for that prisoner (CF-04), which the approval queue decides; the household is told of each
decision, and of each booking, through its channel (the notice outbox and the invite e-mail).
The caller may confirm their mobile number on the phone (staff call back or the caller reads
the number back): only then do text messages go there, as after a code sent by SMS.

The request and response bodies are here, next to the only service that reads them.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts import queries as account_queries
from visits.accounts.principals import StaffPrincipal
from visits.accounts.schemas import Email, Mobile, Name, PrisonNumber, VisitorIn
from visits.accounts.service import households as household_service
from visits.audit import Actor, record
from visits.booking.roles import BOOKING_ROLES
from visits.db.base import utcnow
from visits.db.models import Household, Prisoner, Visitor, VisitorApproval
from visits.enums import (
    ActorType,
    ApprovalStatus,
    Channel,
    Language,
    NoticeKind,
    NotifyBy,
    Relationship,
)
from visits.errors import Unprocessable
from visits.facilities.queries import facility_or_404
from visits.i18n import Message
from visits.notify import outbox
from visits.openapi import schema_name
from visits.pagination import Page
from visits.validation import FieldProblem, field_error, invalid_body

MAX_PEOPLE = 12

SearchText = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=254,
        description="A name (of the guardian or anyone in the household; every word a part of "
        "a name), an e-mail address, a mobile number in any formatting, or a prisoner's prison "
        "number.",
    ),
]


class PersonOut(msgspec.Struct):
    id: uuid.UUID
    given_name: str
    family_name: str
    birth_date: date
    relationship: Relationship
    is_guardian: bool


class StaffHouseholdOut(msgspec.Struct):
    """A household as staff see it to book on the phone (no safeguarding facts here)."""

    id: uuid.UUID
    guardian_name: str
    email: Email | None
    phone: Mobile | None
    language: Language
    notify_by: NotifyBy
    connected: Annotated[
        bool,
        msgspec.Meta(
            description="Whether the household is known to this facility (an approval request "
            "for a prisoner held here, or a visit here); false for a household found by its "
            "exact e-mail address or mobile number only."
        ),
    ]
    people: list[PersonOut]


StaffHouseholdPage = Annotated[Page[StaffHouseholdOut], schema_name("StaffHouseholdPage")]


class CallerHouseholdIn(msgspec.Struct, forbid_unknown_fields=True):
    """A household for a caller who has none: the guardian's contact and its people, and the
    prisoner they visit at this facility."""

    guardian_name: Name
    language: Language
    prison_number: PrisonNumber
    people: Annotated[list[VisitorIn], msgspec.Meta(min_length=1, max_length=MAX_PEOPLE)]
    email: Email | None = None
    phone: Mobile | None = None
    sms_consent: bool = False
    phone_confirmed: bool = False
    notify_by: Annotated[
        NotifyBy | None,
        msgspec.Meta(
            description="How notices reach the household; by default text messages when it has "
            "only a mobile number, else e-mail."
        ),
    ] = None

    def problems(self) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        if not self.email and not self.phone:
            found.append(("email", Message("give an e-mail address, a mobile number, or both")))
        elif self.notify_by in (NotifyBy.SMS, NotifyBy.BOTH) and not self.phone:
            found.append(("notify_by", Message("text messages need a mobile number")))
        elif self.notify_by in (NotifyBy.EMAIL, NotifyBy.BOTH) and not self.email:
            found.append(("notify_by", Message("e-mail needs an e-mail address")))
        for index, person in enumerate(self.people):
            found.extend((f"people[{index}].{name}", text) for name, text in person.problems())
        return found


def household_out(
    household: Household, people: list[Visitor], connected: bool
) -> StaffHouseholdOut:
    return StaffHouseholdOut(
        id=household.id,
        guardian_name=household.guardian_name,
        email=household.email,
        phone=household.phone_e164,
        language=household.language,
        notify_by=household.notify_by,
        connected=connected,
        people=[
            PersonOut(
                id=v.id,
                given_name=v.given_name,
                family_name=v.family_name,
                birth_date=v.birth_date,
                relationship=v.relationship,
                is_guardian=v.is_guardian,
            )
            for v in people
        ],
    )


async def find_households(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    query: str,
    *,
    limit: int,
    offset: int = 0,
) -> tuple[list[StaffHouseholdOut], int]:
    """The households that ``query`` finds for staff of the facility (see the module); national
    mobile numbers are read in the facility's country."""
    staff.role_for(facility_id, BOOKING_ROLES)
    facility = await facility_or_404(session, facility_id)
    rows, total = await account_queries.households_for_staff(
        session, facility_id, query, default_region=facility.country, limit=limit, offset=offset
    )
    people = await account_queries.people_of(session, [h.id for h in rows])
    found = []
    for household in rows:
        connected = await account_queries.household_connected(session, facility_id, household.id)
        found.append(household_out(household, people[household.id], connected))
    return found, total


def _no_prisoner() -> Unprocessable:
    return invalid_body(
        [field_error("prison_number", Message("no prisoner held at this facility has this number"))]
    )


async def create_household(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    data: CallerHouseholdIn,
    *,
    public_url: str,
    channel: Channel = Channel.PHONE,
) -> tuple[Household, list[VisitorApproval]]:
    """Set up the caller's household and its people, each with a pending approval request for
    the prisoner of ``data.prison_number`` at the facility; audited (without personal values).
    The household is told through its channel that it has an account and where to sign in
    (the family pages' ``/sign-in`` under ``public_url``), so it can follow its approvals and
    visits on its own.

    422 ``invalid-body`` names a prison number that no prisoner held here has;
    422 ``contact-unavailable`` an e-mail address or mobile number another household has
    (find that household by the exact address instead). National mobile numbers are read in
    the facility's country."""
    role = staff.role_for(facility_id, BOOKING_ROLES)
    facility = await facility_or_404(session, facility_id)
    actor = Actor(ActorType.STAFF, str(staff.staff_id), role.value, channel)
    prisoner = await session.scalar(
        sa.select(Prisoner).where(
            Prisoner.facility_id == facility_id,
            sa.func.lower(Prisoner.prison_number) == data.prison_number.strip().lower(),
            Prisoner.released_on.is_(None),
        )
    )
    if prisoner is None:
        raise _no_prisoner()
    household = Household(
        id=uuid.uuid4(),
        guardian_name=data.guardian_name,
        email=data.email or None,
        phone_e164=data.phone or None,
        language=data.language,
        sms_consent=data.sms_consent,
        notify_by=data.notify_by
        or (NotifyBy.SMS if data.phone and not data.email else NotifyBy.EMAIL),
        phone_confirmed_at=utcnow() if data.phone and data.phone_confirmed else None,
    )
    people = await household_service.create_household(
        session,
        actor,
        household,
        data.people,
        facility_id=facility_id,
        default_region=facility.country,
    )
    approvals = [
        VisitorApproval(
            id=uuid.uuid4(),
            visitor_id=person.id,
            prisoner_id=prisoner.id,
            status=ApprovalStatus.PENDING,
        )
        for person in people
    ]
    session.add_all(approvals)
    await session.flush()
    for approval in approvals:
        record(
            session,
            actor,
            "approval.request",
            "visitor_approval",
            approval.id,
            facility_id=facility_id,
        )
    outbox.tell_household_of(
        session,
        household,
        NoticeKind.ACCOUNT_CREATED,
        {"facility": facility.name, "url": f"{public_url}/sign-in"},
    )
    return household, approvals
