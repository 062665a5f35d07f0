"""The safeguarding facts about visitors that the child-protection rules read, recorded by a
safeguarding lead only: safeguarding flags (CF-05), a child's own wish (CF-22) and guardian
consent on file for one child coming with one adult (CF-02).

Who: the catalogue names the safeguarding lead alone as the role that may set CF-05 and CF-22
aside, so only a safeguarding lead of the facility records or clears these facts (not even an
administrator: that is a technical role, not a child-protection one). Every member of staff of
the facility sees the facts (they appear in the rule results anyway); only safeguarding leads
read the reasons. Staff see only households connected to their facility: an approval request
for a prisoner there, or a visit there. Each change carries a reason and is audited; flags and
wishes keep their reason in the audit trail (the page shows the latest), a consent in its row.
Families never see any of it: the family API and pages show only "please contact the
facility" (``RuleResult.for_family``).
"""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import ALL_ROLES, StaffPrincipal
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Facility,
    GuardianConsent,
    Household,
    Prisoner,
    StaffMember,
    Visit,
    Visitor,
    VisitorApproval,
)
from visits.enums import SafeguardingFlag
from visits.errors import Conflict, NotFound
from visits.facilities.queries import facility_or_404
from visits.i18n import Message
from visits.people.schemas.safeguarding import (
    ClearIn,
    ConsentIn,
    ConsentOut,
    FlagIn,
    FlagOut,
    HouseholdSafeguardingOut,
    NoteOut,
    PersonSafeguardingOut,
    WishIn,
)
from visits.people.service.roles import is_safeguarding_lead, safeguarding_lead
from visits.rules.ages import age_on
from visits.rules.model import VisitWish
from visits.validation import field_error, invalid_body

READ_ROLES = ALL_ROLES

FLAG_SET, FLAG_CLEARED = "safeguarding.flag_set", "safeguarding.flag_cleared"
WISH_RECORDED = "safeguarding.wish_recorded"
CONSENT_RECORDED, CONSENT_WITHDRAWN = "consent.record", "consent.withdraw"


def _today(facility: Facility) -> date:
    return utcnow().astimezone(ZoneInfo(facility.timezone)).date()


def connected(facility_id: uuid.UUID, household_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """The household asked to visit a prisoner at the facility, or has a visit there."""
    approval = (
        sa.select(VisitorApproval.id)
        .join(Visitor, Visitor.id == VisitorApproval.visitor_id)
        .join(Prisoner, Prisoner.id == VisitorApproval.prisoner_id)
        .where(Visitor.household_id == household_id, Prisoner.facility_id == facility_id)
    )
    visit = sa.select(Visit.id).where(
        Visit.household_id == household_id, Visit.facility_id == facility_id
    )
    return sa.or_(approval.exists(), visit.exists())


def _household_not_found() -> NotFound:
    return NotFound("household-not-found", "There is no such household.")


def _visitor_not_found() -> NotFound:
    return NotFound("visitor-not-found", "There is no such visitor in the household.")


async def household_here(
    session: AsyncSession, facility_id: uuid.UUID, household_id: uuid.UUID
) -> Household:
    """The household, if it is connected to the facility and not erased; else not found."""
    household = await session.scalar(
        sa.select(Household).where(
            Household.id == household_id,
            Household.erased_at.is_(None),
            connected(facility_id, household_id),
        )
    )
    if household is None:
        raise _household_not_found()
    return household


async def _visitor_here(
    session: AsyncSession, facility_id: uuid.UUID, visitor_id: uuid.UUID
) -> Visitor:
    visitor = await session.get(Visitor, visitor_id)
    if visitor is None:
        raise _visitor_not_found()
    try:
        await household_here(session, facility_id, visitor.household_id)
    except NotFound:
        raise _visitor_not_found() from None
    return visitor


# --- reading -----------------------------------------------------------------------------------


def _note(event: AuditEvent | None, names: dict[str, str], reasons: bool) -> NoteOut:
    if event is None:
        return NoteOut(recorded_by=None, recorded_at=None, reason=None)
    return NoteOut(
        recorded_by=names.get(event.actor_id or ""),
        recorded_at=event.occurred_at,
        reason=event.reason if reasons else None,
    )


async def _latest_events(
    session: AsyncSession, visitor_ids: list[uuid.UUID]
) -> tuple[dict[tuple[str, str], AuditEvent], dict[str, AuditEvent]]:
    """The latest flag-set event per (visitor, flag) and the latest wish event per visitor."""
    flags: dict[tuple[str, str], AuditEvent] = {}
    wishes: dict[str, AuditEvent] = {}
    if not visitor_ids:
        return flags, wishes
    events = await session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.object_type == "visitor",
            AuditEvent.object_id.in_([str(v) for v in visitor_ids]),
            AuditEvent.action.in_([FLAG_SET, WISH_RECORDED]),
        )
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    for event in events:
        key = event.object_id or ""
        if event.action == FLAG_SET:
            flags[(key, str(event.changes.get("flag")))] = event
        else:
            wishes[key] = event
    return flags, wishes


async def _staff_names(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    wanted = []
    for value in ids:
        try:
            wanted.append(uuid.UUID(value))
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = await session.execute(
        sa.select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(wanted))
    )
    return {str(i): name for i, name in rows}


def _consent_out(c: GuardianConsent, reasons: bool) -> ConsentOut:
    withdrawn = (
        NoteOut(
            recorded_by=c.withdrawn_by,
            recorded_at=c.withdrawn_at,
            reason=c.withdraw_reason if reasons else None,
        )
        if not c.valid
        else None
    )
    return ConsentOut(
        id=c.id,
        adult_visitor_id=c.adult_visitor_id,
        child_visitor_id=c.child_visitor_id,
        valid=c.valid,
        note=NoteOut(
            recorded_by=c.recorded_by,
            recorded_at=c.created_at,
            reason=c.reason if reasons else None,
        ),
        withdrawn=withdrawn,
    )


async def household_facts(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, household_id: uuid.UUID
) -> HouseholdSafeguardingOut:
    """The household's people, each with the safeguarding facts about them, for staff of a
    facility the household is connected to; reasons for safeguarding leads only."""
    staff.role_for(facility_id, READ_ROLES)
    facility = await facility_or_404(session, facility_id)
    household = await household_here(session, facility_id, household_id)
    reasons = is_safeguarding_lead(staff, facility_id)
    today = _today(facility)
    profile = facility.profile()
    visitors = list(
        await session.scalars(
            sa.select(Visitor)
            .where(Visitor.household_id == household.id)
            .order_by(Visitor.birth_date, Visitor.id)
        )
    )
    ids = [v.id for v in visitors]
    consents = (
        list(
            await session.scalars(
                sa.select(GuardianConsent)
                .where(GuardianConsent.child_visitor_id.in_(ids))
                .order_by(GuardianConsent.valid.desc(), GuardianConsent.created_at.desc())
            )
        )
        if ids
        else []
    )
    flag_events, wish_events = await _latest_events(session, ids)
    names = await _staff_names(
        session,
        {e.actor_id for e in [*flag_events.values(), *wish_events.values()] if e.actor_id},
    )
    known = {f.value for f in SafeguardingFlag}
    people = []
    for v in visitors:
        age = age_on(v.birth_date, today)
        child = age < profile.adult_age
        key = str(v.id)
        people.append(
            PersonSafeguardingOut(
                visitor_id=v.id,
                given_name=v.given_name,
                family_name=v.family_name,
                birth_date=v.birth_date,
                age=age,
                child=child,
                relationship=v.relationship,
                is_guardian=v.is_guardian,
                flags=[
                    FlagOut(
                        flag=code,
                        known=code in known,
                        note=_note(flag_events.get((key, code)), names, reasons),
                    )
                    for code in sorted(set(v.safeguarding_flags))
                ],
                visit_wish=VisitWish(v.visit_wish) if v.visit_wish else None,
                wish_note=_note(wish_events.get(key), names, reasons) if v.visit_wish else None,
                may_have_wish=child and age >= profile.child_voice_age,
                consents=[_consent_out(c, reasons) for c in consents if c.child_visitor_id == v.id],
            )
        )
    return HouseholdSafeguardingOut(
        household_id=household.id,
        guardian_name=household.guardian_name,
        may_record=reasons,
        people=people,
    )


# --- recording ---------------------------------------------------------------------------------


async def set_flag(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    visitor_id: uuid.UUID,
    data: FlagIn,
) -> Visitor:
    """Set a safeguarding flag on a visitor (CF-05: their visits go to staff review)."""
    role = safeguarding_lead(staff, facility_id)
    await facility_or_404(session, facility_id)
    visitor = await _visitor_here(session, facility_id, visitor_id)
    if data.flag.value in visitor.safeguarding_flags:
        raise Conflict("flag-exists", "The visitor has this safeguarding flag already.")
    visitor.safeguarding_flags = sorted({*visitor.safeguarding_flags, data.flag.value})
    record(
        session,
        staff.actor(role),
        FLAG_SET,
        "visitor",
        visitor.id,
        facility_id=facility_id,
        changes={"flag": data.flag.value},
        reason=data.reason,
    )
    await session.flush()
    return visitor


async def clear_flag(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    visitor_id: uuid.UUID,
    flag: str,
    data: ClearIn,
) -> Visitor:
    """Clear a safeguarding flag (also a code recorded before flags were a fixed list)."""
    role = safeguarding_lead(staff, facility_id)
    await facility_or_404(session, facility_id)
    visitor = await _visitor_here(session, facility_id, visitor_id)
    if flag not in visitor.safeguarding_flags:
        raise Conflict("flag-not-set", "The visitor does not have this safeguarding flag.")
    visitor.safeguarding_flags = sorted(set(visitor.safeguarding_flags) - {flag})
    record(
        session,
        staff.actor(role),
        FLAG_CLEARED,
        "visitor",
        visitor.id,
        facility_id=facility_id,
        changes={"flag": flag},
        reason=data.reason,
    )
    await session.flush()
    return visitor


async def record_wish(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    visitor_id: uuid.UUID,
    data: WishIn,
) -> Visitor:
    """Record (or clear, with ``None``) a child's own wish (CF-22). Only for children from the
    facility profile's ``child_voice_age``; a "no" sends their visits to staff review."""
    role = safeguarding_lead(staff, facility_id)
    facility = await facility_or_404(session, facility_id)
    visitor = await _visitor_here(session, facility_id, visitor_id)
    profile = facility.profile()
    age = age_on(visitor.birth_date, _today(facility))
    if data.wish is not None and not (profile.child_voice_age <= age < profile.adult_age):
        raise invalid_body(
            [
                field_error(
                    "wish",
                    Message(
                        "can be recorded for children from %(from_age)s to %(to_age)s years",
                        {"from_age": profile.child_voice_age, "to_age": profile.adult_age - 1},
                    ),
                )
            ]
        )
    before = visitor.visit_wish
    visitor.visit_wish = data.wish.value if data.wish else None
    record(
        session,
        staff.actor(role),
        WISH_RECORDED,
        "visitor",
        visitor.id,
        facility_id=facility_id,
        changes={"wish": [before, visitor.visit_wish]},
        reason=data.reason,
    )
    await session.flush()
    return visitor


async def record_consent(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: ConsentIn
) -> GuardianConsent:
    """Record written guardian consent for a child to come with one adult of the household
    (CF-02 then counts it as on file whenever that adult comes with the child)."""
    role = safeguarding_lead(staff, facility_id)
    facility = await facility_or_404(session, facility_id)
    adult = await _visitor_here(session, facility_id, data.adult_visitor_id)
    child = await _visitor_here(session, facility_id, data.child_visitor_id)
    profile = facility.profile()
    today = _today(facility)
    problems = []
    if age_on(child.birth_date, today) >= profile.adult_age:
        problems.append(field_error("child_visitor_id", Message("must be a child")))
    if adult.id == child.id or age_on(adult.birth_date, today) < profile.lead_min_age:
        problems.append(
            field_error(
                "adult_visitor_id",
                Message("must be an adult of %(age)s or older", {"age": profile.lead_min_age}),
            )
        )
    if adult.household_id != child.household_id:
        problems.append(field_error("adult_visitor_id", Message("must be of the same household")))
    if problems:
        raise invalid_body(problems)
    existing = await session.scalar(
        sa.select(GuardianConsent.id).where(
            GuardianConsent.adult_visitor_id == adult.id,
            GuardianConsent.child_visitor_id == child.id,
            GuardianConsent.valid.is_(True),
        )
    )
    if existing is not None:
        raise Conflict("consent-exists", "Consent for this child with this adult is on file.")
    consent = GuardianConsent(
        adult_visitor_id=adult.id,
        child_visitor_id=child.id,
        reason=data.reason,
        recorded_by=staff.name,
        valid=True,
    )
    session.add(consent)
    await session.flush()
    record(
        session,
        staff.actor(role),
        CONSENT_RECORDED,
        "guardian_consent",
        consent.id,
        facility_id=facility_id,
        changes={"adult_visitor_id": str(adult.id), "child_visitor_id": str(child.id)},
        reason=data.reason,
    )
    await session.flush()
    return consent


async def withdraw_consent(
    session: AsyncSession,
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    consent_id: uuid.UUID,
    data: ClearIn,
) -> GuardianConsent:
    """Withdraw a consent (the row stays, marked not valid, with who, when and why)."""
    role = safeguarding_lead(staff, facility_id)
    await facility_or_404(session, facility_id)
    consent = await session.get(GuardianConsent, consent_id)
    if consent is None:
        raise NotFound("consent-not-found", "There is no such guardian consent.")
    try:
        await _visitor_here(session, facility_id, consent.child_visitor_id)
    except NotFound:
        raise NotFound("consent-not-found", "There is no such guardian consent.") from None
    if not consent.valid:
        raise Conflict("consent-withdrawn", "The consent is withdrawn already.")
    consent.valid = False
    consent.withdrawn_at = utcnow()
    consent.withdrawn_by = staff.name
    consent.withdraw_reason = data.reason
    record(
        session,
        staff.actor(role),
        CONSENT_WITHDRAWN,
        "guardian_consent",
        consent.id,
        facility_id=facility_id,
        changes={"valid": [True, False]},
        reason=data.reason,
    )
    await session.flush()
    return consent


def consent_out(consent: GuardianConsent) -> ConsentOut:
    """A consent as its recorder sees it (the safeguarding lead: with the reason)."""
    return _consent_out(consent, reasons=True)


async def person_facts(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, visitor: Visitor
) -> PersonSafeguardingOut:
    """One visitor with the facts about them, as ``household_facts`` shows them."""
    facts = await household_facts(session, staff, facility_id, visitor.household_id)
    return next(p for p in facts.people if p.visitor_id == visitor.id)
