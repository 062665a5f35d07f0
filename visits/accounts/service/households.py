"""A household's own data: profile, visitors, approval requests, export and erasure.

Every query is filtered by the signed-in household, so another household's identifiers answer
404 exactly like identifiers that do not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from visits.accounts import rate_limit, tokens
from visits.accounts.principals import HouseholdPrincipal
from visits.accounts.schemas import (
    ApprovalRequestIn,
    ExportActivityOut,
    ExportVisitOut,
    HouseholdApprovalOut,
    HouseholdExportOut,
    HouseholdOut,
    HouseholdUpdateIn,
    VisitorIn,
    VisitorOut,
    VisitorUpdateIn,
)
from visits.accounts.service.sign_in import contact_from, has_controls
from visits.audit import Actor, record
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Household,
    Prisoner,
    SignInChallenge,
    Visit,
    Visitor,
    VisitorApproval,
    VisitParty,
)
from visits.enums import ACTIVE_VISIT_STATES, ApprovalStatus, ContactChannel
from visits.errors import Conflict, NotFound, Unprocessable
from visits.i18n import N_, translate
from visits.notify import reminders
from visits.settings import Settings
from visits.validation import field_error, invalid_body

_APPROVAL_MESSAGES = {
    ApprovalStatus.PENDING: N_("The facility is checking this request."),
    ApprovalStatus.APPROVED: N_("Approved for visits."),
    ApprovalStatus.REJECTED: N_("Not approved. Please contact the facility."),
}


class VisitorHasVisits(Conflict):
    """The person is in the party of an upcoming visit, so they cannot be removed (409)."""


class HouseholdHasVisits(Conflict):
    """The household has upcoming visits, so it cannot be erased (409)."""


def _household_not_found() -> NotFound:
    return NotFound("household-not-found", "There is no such household.")


async def get_household(session: AsyncSession, who: HouseholdPrincipal) -> Household:
    household = await session.get(Household, who.household_id)
    if household is None:  # erased while the token was in flight
        raise _household_not_found()
    return household


def household_out(household: Household) -> HouseholdOut:
    return HouseholdOut(
        id=household.id,
        guardian_name=household.guardian_name,
        email=household.email,
        phone=household.phone_e164,
        language=household.language,
        sms_consent=household.sms_consent,
        phone_confirmed=household.phone_confirmed_at is not None,
        notify_by=household.notify_by,
    )


class ContactUnavailable(Unprocessable):
    """An e-mail address or mobile number the household cannot take (422), answered in the
    same words whatever the reason (see ``update_household``)."""


# Changing a contact tells whether the new address is free: counted per household, in the
# database like every rate limit, so probing addresses is slow (10 tries per 15 minutes).
CONTACT_CHANGES = rate_limit.Limit("contact-change", 10, rate_limit.WINDOW)
_UNAVAILABLE = N_("cannot be used; please choose another")
_KEEP_ONE = N_("keep an e-mail address or a mobile number")


def _unavailable(fields: list[str]) -> ContactUnavailable:
    return ContactUnavailable(
        "contact-unavailable",
        N_("This address cannot be used. Please choose another."),
        errors=[field_error(name, _UNAVAILABLE) for name in fields],
    )


async def _change_contact(
    session: AsyncSession, household: Household, data: HouseholdUpdateIn, default_region: str
) -> list[str]:
    """Apply a new e-mail address and/or mobile number (``""`` removes one); return the API
    names of the fields that changed."""
    if data.email is None and data.phone is None:
        return []
    new_email, new_phone = contact_from(data.email or None, data.phone or None, default_region)
    email = household.email if data.email is None else new_email
    phone = household.phone_e164 if data.phone is None else new_phone
    if email is None and phone is None:
        raise invalid_body([field_error("email", _KEEP_ONE)])
    wanted = {"email": email, "phone_e164": phone}
    values = {column: v for column, v in wanted.items() if v != getattr(household, column)}
    if not values:
        return []
    names = ["phone" if column == "phone_e164" else column for column in values]
    # Counted (and committed) before anything changes: the answer below tells whether an
    # address is free.
    await rate_limit.hit(session, CONTACT_CHANGES, str(household.id))
    taken = []
    for column, value in values.items():
        if value is not None:
            other = await session.scalar(
                sa.select(Household.id).where(
                    getattr(Household, column) == value, Household.id != household.id
                )
            )
            if other is not None:
                taken.append("phone" if column == "phone_e164" else column)
    if taken:
        raise _unavailable(taken)
    now = utcnow()
    channels = []
    if "email" in values:
        channels.append(ContactChannel.EMAIL)
    if "phone_e164" in values:
        channels.append(ContactChannel.SMS)
        # A new number is not confirmed; a STOP from the old number was about that number.
        values |= {"phone_confirmed_at": None, "sms_opted_out_at": None}
    await session.flush()
    try:
        # A core UPDATE in a savepoint: a refusal by the unique constraints (another
        # household took the address a moment ago) leaves the loaded household untouched.
        async with session.begin_nested():
            await session.execute(
                sa.update(Household)
                .where(Household.id == household.id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        raise _unavailable(names) from None
    for column, value in values.items():
        set_committed_value(household, column, value)
    # Codes sent to the old address or number no longer sign in or confirm anything.
    await session.execute(
        sa.update(SignInChallenge)
        .where(
            SignInChallenge.household_id == household.id,
            SignInChallenge.channel.in_(channels),
            SignInChallenge.consumed_at.is_(None),
            SignInChallenge.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return names


async def update_household(
    session: AsyncSession,
    who: HouseholdPrincipal,
    data: HouseholdUpdateIn,
    settings: Settings,
    default_region: str = "DE",
) -> Household:
    """Name, language, contact (e-mail, mobile), SMS consent and how notices reach the
    household; reminders of upcoming visits follow the consent and the number.

    Contacts are normalised as at sign-up (``sign_in.contact_from``; national mobile numbers
    read in ``default_region``); ``""`` removes one, and one must stay. A new mobile number is
    unconfirmed (``phone_confirmed_at`` cleared): no SMS and no reminders go there until a code
    sent to it comes back (``service.phone``); removing the number also withdraws SMS consent.
    Outstanding codes sent to a replaced address or number stop working.

    Enumeration: an address or number that another household has, or that the database's
    unique constraint refuses when two changes race, gets one answer, a 422
    ``contact-unavailable`` "this address cannot be used; please choose another", which never
    names or describes that household. It cannot be made silent (the household would see its
    old address stay), so a signed-in household can learn that an address is not free; to
    keep that slow, every contact change counts against ``CONTACT_CHANGES`` per household
    before the address is looked up (429 beyond it), and only households that signed in with
    a code can ask at all. The audit trail records which fields changed, never the values.
    """
    household = await get_household(session, who)
    changes = dict.fromkeys(await _change_contact(session, household, data, default_region), True)
    for name in ("guardian_name", "language", "sms_consent", "notify_by"):
        value = getattr(data, name)
        if value is not None and value != getattr(household, name):
            changes[name] = True  # that it changed; personal values stay out of the audit
            setattr(household, name, value)
    if "phone" in changes and household.phone_e164 is None:
        household.sms_consent = False  # the consent was to texts to the number just removed
    if changes:
        record(session, who.actor, "household.update", "household", household.id, changes=changes)
    if changes.keys() & {"sms_consent", "language", "phone"}:
        await reminders.replan_household(session, household.id, settings)
    return household


async def own_visitor(
    session: AsyncSession, who: HouseholdPrincipal, visitor_id: uuid.UUID
) -> Visitor:
    visitor = await session.scalar(
        sa.select(Visitor).where(Visitor.id == visitor_id, Visitor.household_id == who.household_id)
    )
    if visitor is None:
        raise NotFound("visitor-not-found", "There is no such visitor.")
    return visitor


def approval_out(
    approval: VisitorApproval, facility_id: uuid.UUID, language: str
) -> HouseholdApprovalOut:
    return HouseholdApprovalOut(
        id=approval.id,
        visitor_id=approval.visitor_id,
        prisoner_id=approval.prisoner_id if approval.status is ApprovalStatus.APPROVED else None,
        facility_id=facility_id,
        status=approval.status,
        message=translate(language, _APPROVAL_MESSAGES[approval.status]),
    )


async def _approvals_by_visitor(
    session: AsyncSession, visitor_ids: list[uuid.UUID], language: str
) -> dict[uuid.UUID, list[HouseholdApprovalOut]]:
    rows = await session.execute(
        sa.select(VisitorApproval, Prisoner.facility_id)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
        .where(VisitorApproval.visitor_id.in_(visitor_ids))
        .order_by(VisitorApproval.created_at)
    )
    result: dict[uuid.UUID, list[HouseholdApprovalOut]] = {v: [] for v in visitor_ids}
    for approval, facility_id in rows:
        result[approval.visitor_id].append(approval_out(approval, facility_id, language))
    return result


async def visitors_out(
    session: AsyncSession, visitors: list[Visitor], language: str
) -> list[VisitorOut]:
    """The household's visitors with their approvals, the approval texts in ``language``."""
    approvals = await _approvals_by_visitor(session, [v.id for v in visitors], language)
    return [
        VisitorOut(
            id=v.id,
            given_name=v.given_name,
            family_name=v.family_name,
            birth_date=v.birth_date,
            relationship=v.relationship,
            is_guardian=v.is_guardian,
            approvals=approvals[v.id],
        )
        for v in visitors
    ]


async def list_visitors(
    session: AsyncSession, who: HouseholdPrincipal, *, limit: int, offset: int
) -> tuple[list[Visitor], int]:
    condition = Visitor.household_id == who.household_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Visitor).where(condition))
    rows = await session.scalars(
        sa.select(Visitor)
        .where(condition)
        .order_by(Visitor.birth_date, Visitor.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total or 0


async def add_visitor(session: AsyncSession, who: HouseholdPrincipal, data: VisitorIn) -> Visitor:
    await get_household(session, who)
    visitor = Visitor(household_id=who.household_id, **msgspec.structs.asdict(data))
    session.add(visitor)
    await session.flush()
    record(session, who.actor, "visitor.create", "visitor", visitor.id)
    return visitor


async def update_visitor(
    session: AsyncSession, who: HouseholdPrincipal, visitor_id: uuid.UUID, data: VisitorUpdateIn
) -> Visitor:
    visitor = await own_visitor(session, who, visitor_id)
    changed = []
    for name, value in msgspec.structs.asdict(data).items():
        if value is not None and value != getattr(visitor, name):
            setattr(visitor, name, value)
            changed.append(name)
    if changed:
        record(
            session,
            who.actor,
            "visitor.update",
            "visitor",
            visitor.id,
            changes={"fields": sorted(changed)},
        )
    return visitor


async def _has_upcoming_visits(session: AsyncSession, condition: sa.ColumnElement[bool]) -> bool:
    found = await session.scalar(
        sa.select(Visit.id)
        .join(VisitParty, VisitParty.visit_id == Visit.id, isouter=True)
        .where(condition, Visit.status.in_(ACTIVE_VISIT_STATES), Visit.ends_at > utcnow())
        .limit(1)
    )
    return found is not None


async def remove_visitor(
    session: AsyncSession, who: HouseholdPrincipal, visitor_id: uuid.UUID
) -> None:
    visitor = await own_visitor(session, who, visitor_id)
    if await _has_upcoming_visits(session, VisitParty.visitor_id == visitor.id):
        raise VisitorHasVisits(
            "visitor-has-visits",
            N_("This person is booked for an upcoming visit. Cancel it first."),
        )
    record(session, who.actor, "visitor.delete", "visitor", visitor.id)
    await session.delete(visitor)


# Asking for approval tells whether a prisoner of that number and family name is held at the
# facility: counted per household like every rate limit, so it cannot be used to search the
# prison (20 look-ups per 15 minutes: a family of six may send the form three times).
PRISONER_LOOKUPS = rate_limit.Limit("prisoner-lookup", 20, rate_limit.WINDOW)


def _not_matched() -> Unprocessable:
    return Unprocessable(
        "prisoner-not-matched",
        "No prisoner matches this facility, prison number and family name. "
        "Please check the details or contact the facility.",
    )


async def _approval(
    session: AsyncSession, visitor_id: uuid.UUID, prisoner_id: uuid.UUID
) -> VisitorApproval | None:
    return await session.scalar(
        sa.select(VisitorApproval).where(
            VisitorApproval.visitor_id == visitor_id, VisitorApproval.prisoner_id == prisoner_id
        )
    )


async def request_approval(
    session: AsyncSession,
    who: HouseholdPrincipal,
    visitor_id: uuid.UUID,
    data: ApprovalRequestIn,
    language: str,
) -> HouseholdApprovalOut:
    """Ask the facility to approve a visitor for a prisoner the family names (CF-04).

    Asking again returns the existing request (also when two requests race). The look-up tells
    whether a prisoner of that number and name is held there, so it is counted per household
    (``PRISONER_LOOKUPS``) before it is made."""
    visitor = await own_visitor(session, who, visitor_id)
    await rate_limit.hit(session, PRISONER_LOOKUPS, str(who.household_id))
    if has_controls(data.prison_number) or has_controls(data.prisoner_family_name):
        raise _not_matched()  # no prisoner has such a name (and PostgreSQL refuses a NUL)
    prisoner = await session.scalar(
        sa.select(Prisoner).where(
            Prisoner.facility_id == data.facility_id,
            Prisoner.prison_number == data.prison_number.strip(),
            sa.func.lower(Prisoner.family_name) == data.prisoner_family_name.strip().lower(),
            Prisoner.released_on.is_(None),
        )
    )
    if prisoner is None:
        raise _not_matched()
    prisoner_id, facility_id = prisoner.id, prisoner.facility_id
    approval = await _approval(session, visitor.id, prisoner_id)
    if approval is None:
        approval = VisitorApproval(visitor_id=visitor.id, prisoner_id=prisoner_id)
        try:
            async with session.begin_nested():
                session.add(approval)
        except IntegrityError:
            # A parallel request (a double click) stored the same request a moment ago.
            approval = await _approval(session, visitor_id, prisoner_id)
            if approval is None:
                raise
            return approval_out(approval, facility_id, language)
        record(
            session,
            who.actor,
            "approval.request",
            "visitor_approval",
            approval.id,
            facility_id=facility_id,
        )
    return approval_out(approval, facility_id, language)


async def export(
    session: AsyncSession, who: HouseholdPrincipal, language: str
) -> HouseholdExportOut:
    """Everything stored about the household (GDPR Art. 15 and 20)."""
    household = await get_household(session, who)
    visitors = list(
        await session.scalars(
            sa.select(Visitor)
            .where(Visitor.household_id == household.id)
            .order_by(Visitor.birth_date, Visitor.id)
        )
    )
    visits = list(
        await session.scalars(
            sa.select(Visit)
            .where(Visit.household_id == household.id)
            .order_by(Visit.starts_at, Visit.id)
        )
    )
    parties = list(
        await session.scalars(
            sa.select(VisitParty).where(VisitParty.visit_id.in_([v.id for v in visits]))
        )
    )
    events = list(
        await session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.actor_type == "household", AuditEvent.actor_id == str(household.id))
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )
    return HouseholdExportOut(
        exported_at=utcnow(),
        household=household_out(household),
        sms_opted_out_at=household.sms_opted_out_at,
        created_at=household.created_at,
        visitors=await visitors_out(session, visitors, language),
        visits=[
            ExportVisitOut(
                id=v.id,
                reference=v.reference,
                status=v.status,
                visit_type=v.visit_type,
                starts_at=v.starts_at,
                ends_at=v.ends_at,
                support_needs=v.support_needs,
                party=[p.visitor_id for p in parties if p.visit_id == v.id],
            )
            for v in visits
        ],
        activity=[
            ExportActivityOut(
                at=e.occurred_at,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
            )
            for e in events
        ],
    )


async def erase(session: AsyncSession, who: HouseholdPrincipal) -> None:
    """Delete the household, its people and tokens. Past visits stay, anonymised: no household,
    no visitor link, only ages and seat needs for statistics."""
    household = await get_household(session, who)
    if await _has_upcoming_visits(session, Visit.household_id == household.id):
        raise HouseholdHasVisits(
            "household-has-visits",
            N_("There are upcoming visits. Cancel them first, then ask for erasure."),
        )
    await erase_household(session, household, who.actor, "household.erase")


async def erase_household(
    session: AsyncSession,
    household: Household,
    actor: Actor,
    action: str,
    changes: dict[str, Any] | None = None,
) -> None:
    """The erasure itself, for the household's own request and for retention
    (``people.retention``): one audit record ``action``, without personal data."""
    await tokens.revoke_all(session, household_id=household.id)
    await session.execute(
        sa.update(Visit)
        .where(Visit.household_id == household.id)
        .values(household_id=None, support_needs=None)
    )
    record(session, actor, action, "household", household.id, changes=changes)
    await session.delete(household)  # visitors, approvals, tokens and challenges cascade


async def create_household(
    session: AsyncSession,
    actor: Actor,
    household: Household,
    people: list[VisitorIn],
    *,
    facility_id: uuid.UUID | None = None,
    default_region: str = "DE",
) -> list[Visitor]:
    """Store a household that staff set up for a caller, with its people; audited without
    personal values. Its e-mail address and mobile number are normalised as at sign-up
    (``sign_in.contact_from``); one taken by another household is refused (422
    ``contact-unavailable``, naming the field): staff may find that household by the exact
    address instead. Nothing is sent here; the caller's service tells the household."""
    email, phone = contact_from(household.email, household.phone_e164, default_region)
    if email is None and phone is None:
        raise invalid_body([field_error("email", _KEEP_ONE)])
    household.email, household.phone_e164 = email, phone
    household.sms_consent = household.sms_consent and phone is not None
    wanted = {"email": (Household.email, email), "phone": (Household.phone_e164, phone)}
    taken = []
    for name, (column, value) in wanted.items():
        other = sa.select(Household.id).where(column == value)
        if value is not None and await session.scalar(other):
            taken.append(name)
    if taken:
        raise _unavailable(taken)
    try:
        async with session.begin_nested():  # a household that took the address a moment ago
            session.add(household)
    except IntegrityError:
        raise _unavailable([n for n, v in (("email", email), ("phone", phone)) if v]) from None
    visitors = [Visitor(household_id=household.id, **msgspec.structs.asdict(p)) for p in people]
    session.add_all(visitors)
    await session.flush()
    record(
        session,
        actor,
        "household.create",
        "household",
        household.id,
        facility_id=facility_id,
        changes={"people": len(visitors), "phone_confirmed": bool(household.phone_confirmed_at)},
    )
    for visitor in visitors:
        record(session, actor, "visitor.create", "visitor", visitor.id, facility_id=facility_id)
    return visitors
