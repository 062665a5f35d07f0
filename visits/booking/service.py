"""Booking steps: hold, confirm, cancel, reschedule, review, attendance, expiry.

Functions here never commit: the request (or job) boundary commits once, so a failure anywhere
leaves nothing half done. A step that changes what the household was told registers its e-mail
invite and notice with ``after_commit``, so every entry point (API, pages, jobs) sends them, and
only once the change is committed. Steps on an existing visit take the ``Visit`` the caller may
see (``booking.dependencies.visit_for``, locked). Capacity is taken with conditional updates
(``capacity.take``); a prisoner's overlapping visits are refused here and, on PostgreSQL, by an
exclusion constraint as well.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.audit import Actor, record
from visits.booking import capacity
from visits.booking.facts import Verdict, judge, load_visitors, local_month
from visits.booking.references import new_reference
from visits.booking.schemas import RuleResultView, family_view, staff_view
from visits.calendar.mail import InviteMail
from visits.db.base import utcnow
from visits.db.models import (
    AllowanceEntry,
    Slot,
    Visit,
    Visitor,
    VisitOverride,
    VisitParty,
)
from visits.db.transaction import after_commit
from visits.enums import (
    ACTIVE_VISIT_STATES,
    BookableBy,
    Channel,
    ContactChannel,
    NoticeKind,
    StaffRole,
    VisitStatus,
)
from visits.errors import Conflict, Forbidden, NotFound, Refused, Unprocessable
from visits.i18n import DEFAULT_LANGUAGE, N_, translate
from visits.notify import outbox, reminders
from visits.rules import review
from visits.rules.allowances import ledger_for
from visits.rules.catalogue import RuleId
from visits.rules.decision import Outcome, Override, may_override
from visits.rules.model import RuleResult
from visits.rules.party import Usage
from visits.settings import Settings

log = structlog.get_logger(__name__)
REFERENCE_ATTEMPTS = 5
# Why a visit ended when no person gave a reason: stored as a code, shown in the reader's
# language (``shown_status_reason``); a reason staff typed is stored and shown as written.
HOLD_EXPIRED, STALE_REASON = "hold-expired", "not-reviewed"
STATUS_REASONS = {
    HOLD_EXPIRED: N_("The hold ran out."),
    STALE_REASON: N_("The request was not reviewed before the cut-off."),
}
# What visits stored before the codes, in English.
_STORED_IN_WORDS = {"hold expired": HOLD_EXPIRED, "not reviewed before the cut-off": STALE_REASON}


def shown_status_reason(reason: str | None, language: str) -> str | None:
    """A visit's ``status_reason`` in ``language``: a code in words, a typed reason as written."""
    if reason is None:
        return None
    code = _STORED_IN_WORDS.get(reason, reason)
    return translate(language, STATUS_REASONS[code]) if code in STATUS_REASONS else reason


@dataclass(frozen=True)
class Caller:
    """Who acts: a household (public) or a member of staff with the role they act in."""

    actor: Actor
    household_id: uuid.UUID | None = None
    staff_role: StaffRole | None = None
    staff_name: str | None = None
    language: str = DEFAULT_LANGUAGE

    @property
    def is_staff(self) -> bool:
        return self.staff_role is not None

    @property
    def idempotency_key(self) -> str:
        return f"{self.actor.type.value}:{self.actor.id}"


def views(results: Sequence[RuleResult], caller: Caller) -> list[RuleResultView]:
    view = staff_view if caller.is_staff else family_view
    return [view(r, caller.language) for r in results]


def refused(verdict: Verdict, caller: Caller) -> Refused:
    """A refusal listing every reason at once, in the caller's view (safeguarding stays hidden)."""
    failing = [r for r in verdict.results if r.rule_id in verdict.decision.refused_by]
    extra: dict[str, Any] = {"rule_results": [_builtins(v) for v in views(failing, caller)]}
    if verdict.decision.override_problems:
        extra["override_problems"] = [
            {"rule_id": rule, "detail": why.translated(caller.language)}
            for rule, why in verdict.decision.override_problems
        ]
    return Refused(
        "booking-refused",
        "This booking is not possible as it is. The reasons are in rule_results.",
        extra=extra,
    )


def _builtins(view: RuleResultView) -> dict[str, Any]:
    result: dict[str, Any] = msgspec.to_builtins(view)
    return result


def _stored(results: Sequence[RuleResult]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(r) for r in results]


async def _no_overlap(
    session: AsyncSession, prisoner_id: uuid.UUID, slot_id: uuid.UUID, exclude: uuid.UUID | None
) -> None:
    """The prisoner has no other active visit at the slot's time (checked before the rules:
    it is the clearest reason)."""
    slot = await session.get(Slot, slot_id)
    if slot is None:
        raise NotFound("slot-not-found", "There is no such slot.")
    statement = sa.select(Visit.id).where(
        Visit.prisoner_id == prisoner_id,
        Visit.status.in_(ACTIVE_VISIT_STATES),
        Visit.starts_at < slot.ends_at,
        Visit.ends_at > slot.starts_at,
    )
    if exclude is not None:
        statement = statement.where(Visit.id != exclude)
    if await session.scalar(statement.limit(1)) is not None:
        raise Conflict(
            "prisoner-busy",
            "The prisoner already has a visit at this time. Please choose another slot.",
        )


def _slot_full() -> Conflict:
    return Conflict("slot-full", "This slot has just been filled. Please choose another.")


async def expire_holds(session: AsyncSession, slot_id: uuid.UUID | None = None) -> int:
    """Release holds whose time ran out (all, or one slot's). Returns how many expired."""
    statement = sa.select(Visit).where(
        Visit.status == VisitStatus.HELD, Visit.hold_expires_at < utcnow()
    )
    if slot_id is not None:
        statement = statement.where(Visit.slot_id == slot_id)
    expired = list(await session.scalars(statement.with_for_update(skip_locked=True)))
    for visit in expired:
        await _release(session, visit)
        visit.status, visit.status_reason = VisitStatus.EXPIRED, HOLD_EXPIRED
        record(
            session,
            Actor.system(),
            "visit.expire",
            "visit",
            visit.id,
            facility_id=visit.facility_id,
        )
    return len(expired)


def _usage(visit: Visit) -> Usage:
    return Usage(visit.used_tables, visit.used_seats, visit.used_children)


async def _release(session: AsyncSession, visit: Visit) -> None:
    await capacity.release(session, visit.slot_id, _usage(visit))


async def _take(session: AsyncSession, verdict: Verdict, caller: Caller, overbook: bool) -> None:
    if await capacity.take(session, verdict.slot.id, verdict.usage):
        return
    if overbook:
        await capacity.overbook(session, verdict.slot.id, verdict.usage)
        return
    raise _slot_full()


def _overrides(caller: Caller, requested: Sequence[tuple[str, str]]) -> list[Override]:
    if not requested:
        return []
    if not caller.is_staff or caller.staff_role is None:
        raise Forbidden("forbidden", "Only staff may override a rule.")
    return [
        Override(
            rule_id=rule,
            role=caller.staff_role,
            actor=caller.staff_name or "",
            reason=why,
            at=utcnow(),
        )
        for rule, why in requested
    ]


async def _new_reference(session: AsyncSession) -> str:
    for _ in range(REFERENCE_ATTEMPTS):
        reference = new_reference()
        if await session.scalar(sa.select(Visit.id).where(Visit.reference == reference)) is None:
            return reference
    raise RuntimeError("could not find a free visit reference")  # 30^8 makes this unreachable


async def hold(
    session: AsyncSession,
    caller: Caller,
    *,
    household_id: uuid.UUID,
    prisoner_id: uuid.UUID,
    slot_id: uuid.UUID,
    visitor_ids: Sequence[uuid.UUID],
    support_needs: str | None,
    hold_minutes: int,
    channel: Channel,
    overrides: Sequence[tuple[str, str]] = (),
) -> tuple[Visit, Verdict]:
    """Reserve capacity for the party for ``hold_minutes`` after checking every rule."""
    await expire_holds(session, slot_id)
    visitors = await load_visitors(session, visitor_ids, household_id)
    await _no_overlap(session, prisoner_id, slot_id, None)
    verdict = await judge(
        session,
        slot_id=slot_id,
        prisoner_id=prisoner_id,
        visitors=visitors,
        channel=BookableBy.STAFF if caller.is_staff else BookableBy.PUBLIC,
        overrides=_overrides(caller, overrides),
    )
    if verdict.decision.override_problems and caller.is_staff:
        raise refused(verdict, caller)
    if verdict.decision.outcome is Outcome.REFUSED:
        raise refused(verdict, caller)
    overbook = RuleId.CF_07B in verdict.decision.overridden
    await _take(session, verdict, caller, overbook)
    visit_id = uuid.uuid4()
    visit = Visit(
        id=visit_id,
        reference=await _new_reference(session),
        facility_id=verdict.facility.id,
        slot_id=verdict.slot.id,
        prisoner_id=verdict.prisoner.id,
        household_id=household_id,
        visit_type=verdict.slot.visit_type,
        status=VisitStatus.HELD,
        channel=channel,
        starts_at=verdict.slot.starts_at,
        ends_at=verdict.slot.ends_at,
        hold_expires_at=utcnow() + timedelta(minutes=hold_minutes),
        used_tables=verdict.usage.tables,
        used_seats=verdict.usage.seats,
        used_children=verdict.usage.children,
        ical_uid=f"visit-{visit_id}@visits",
        support_needs=support_needs,
        rule_results=_stored(verdict.results),
        party=[
            VisitParty(
                visitor_id=v.id,
                age_years=verdict.ages[v.id],
                is_child=verdict.ages[v.id] < verdict.profile.adult_age,
                needs_seat=verdict.ages[v.id] >= verdict.profile.seat_age,
            )
            for v in verdict.visitors
        ],
        overrides=[
            VisitOverride(
                rule_id=o.rule_id,
                actor=o.actor,
                role=o.role.value,
                reason=o.reason,
                created_at=o.at,
            )
            for o in _overrides(caller, overrides)
            if o.rule_id in verdict.decision.overridden
        ],
    )
    session.add(visit)
    try:
        await session.flush()
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint caught a race
        raise Conflict("prisoner-busy", "The prisoner already has a visit at this time.") from exc
    record(
        session,
        caller.actor,
        "visit.hold",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
        changes={
            "slot_id": str(slot_id),
            "party_size": len(visitors),
            "overridden": list(verdict.decision.overridden),
        },
        reason="; ".join(f"{r}: {w}" for r, w in overrides) or None,
    )
    await session.flush()
    return visit, verdict


def _debit(session: AsyncSession, visit: Visit, verdict: Verdict) -> None:
    """Take the visit from its ledger in the month of its local date (CF-10, CF-11, CF-23)."""
    minutes = int((visit.ends_at - visit.starts_at).total_seconds() // 60)
    local_day = visit.starts_at.astimezone(verdict.zone).date()
    session.add(
        AllowanceEntry(
            prisoner_id=visit.prisoner_id,
            visit_id=visit.id,
            ledger=ledger_for(visit.visit_type, verdict.profile),
            period=local_month(local_day),
            minutes=-minutes,
            visits=-1,
            created_at=utcnow(),
        )
    )


async def confirm(
    session: AsyncSession,
    caller: Caller,
    visit: Visit,
    *,
    settings: Settings,
) -> tuple[Visit, Verdict]:
    """Check every rule again; refuse with every reason, route to review, or confirm. The
    household gets the invite (confirmed) or the tentative one (requested)."""
    if visit.status is not VisitStatus.HELD:
        raise Conflict("not-held", "The visit is %(state)s, not held.", state=visit.status.value)
    if visit.hold_expires_at is not None and visit.hold_expires_at <= utcnow():
        raise Conflict("hold-expired", "The hold has run out. Please choose the slot again.")
    verdict = await _rejudge(session, visit, caller, visit.slot_id)
    if verdict.decision.outcome is Outcome.REFUSED:
        raise refused(verdict, caller)
    visit.rule_results = _stored(verdict.results)
    visit.hold_expires_at = None
    if verdict.decision.outcome is Outcome.REVIEW or verdict.facility.request_mode:
        visit.status = VisitStatus.REQUESTED
        reasons = [r for r in verdict.results if r.rule_id in verdict.decision.review_by]
        visit.needs_review = True
        visit.review_reason = review.stored_reason(reasons) or review.REQUEST_MODE
    else:
        visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, utcnow()
        _debit(session, visit, verdict)
    await reminders.plan(session, visit, settings)
    record(
        session,
        caller.actor,
        f"visit.{visit.status.value}",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
    )
    after_commit(session, InviteMail(visit.id))
    if visit.status is VisitStatus.CONFIRMED:  # the e-mail is the invite; a text says it too
        await outbox.tell_household(session, visit, NoticeKind.VISIT_BOOKED, by=ContactChannel.SMS)
    await session.flush()
    return visit, verdict


@dataclass(frozen=True)
class Rejudging:
    """What judging a booked visit again needs, loaded once: its party, the rules staff set
    aside for it, and the channel it is judged for. A move (the API's and the pages' list of
    new times alike) judges each candidate slot with it (``judge_again``)."""

    visit: Visit
    visitors: list[Visitor]
    overrides: list[Override]
    channel: BookableBy


async def rejudging(session: AsyncSession, visit: Visit, *, staff: bool) -> Rejudging:
    """The basis for judging ``visit`` again, for staff (``staff``) or its household."""
    party = list(
        await session.scalars(
            sa.select(VisitParty.visitor_id).where(VisitParty.visit_id == visit.id)
        )
    )
    visitors = await load_visitors(session, [p for p in party if p is not None], visit.household_id)
    stored = list(
        await session.scalars(sa.select(VisitOverride).where(VisitOverride.visit_id == visit.id))
    )
    overrides = [
        Override(
            rule_id=o.rule_id,
            role=StaffRole(o.role),
            actor=o.actor,
            reason=o.reason,
            at=o.created_at,
        )
        for o in stored
    ]
    channel = (
        BookableBy.STAFF if staff or visit.channel is not Channel.ONLINE else BookableBy.PUBLIC
    )
    return Rejudging(visit, visitors, overrides, channel)


async def judge_again(session: AsyncSession, basis: Rejudging, slot_id: uuid.UUID) -> Verdict:
    """Every rule for the visit in ``slot_id``: the visit does not compete with itself (its
    capacity in its own slot, its allowance and its entitlement count as free), and the rules
    staff set aside for it stay set aside."""
    visit = basis.visit
    return await judge(
        session,
        slot_id=slot_id,
        prisoner_id=visit.prisoner_id,
        visitors=basis.visitors,
        channel=basis.channel,
        overrides=basis.overrides,
        own_usage=_usage(visit) if slot_id == visit.slot_id else None,
        exclude_visit=visit.id,
    )


async def _rejudge(
    session: AsyncSession, visit: Visit, caller: Caller, slot_id: uuid.UUID
) -> Verdict:
    return await judge_again(
        session, await rejudging(session, visit, staff=caller.is_staff), slot_id
    )


async def cancel(
    session: AsyncSession,
    caller: Caller,
    visit: Visit,
    *,
    reason: str | None,
    cutoff_hours: int,
    settings: Settings,
) -> Visit:
    """Give back capacity and allowance; the invite is cancelled, and when staff cancel, the
    household is told why."""
    if visit.status not in ACTIVE_VISIT_STATES:
        raise Conflict("not-cancellable", "The visit is %(state)s.", state=visit.status.value)
    if (
        not caller.is_staff
        and visit.status is VisitStatus.CONFIRMED
        and (visit.starts_at - utcnow() < timedelta(hours=cutoff_hours))
    ):
        raise Conflict(
            "past-cancel-cutoff",
            "Visits can be cancelled online until %(hours)s hours before. "
            "Please call the facility.",
            hours=cutoff_hours,
        )
    await _release(session, visit)
    if visit.status is VisitStatus.CONFIRMED:
        await _credit(session, visit)
    visit.status, visit.status_reason, visit.cancelled_at = VisitStatus.CANCELLED, reason, utcnow()
    visit.needs_review = False  # nothing is left to review on a cancelled visit
    visit.ical_sequence += 1
    await reminders.plan(session, visit, settings)
    record(
        session,
        caller.actor,
        "visit.cancel",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
        reason=reason,
    )
    after_commit(session, InviteMail(visit.id))
    if caller.is_staff:
        await outbox.tell_household(session, visit, NoticeKind.VISIT_CANCELLED, reason or "")
    await session.flush()
    return visit


async def _credit(session: AsyncSession, visit: Visit) -> None:
    """Give back exactly what the visit's debit took (CF-10, CF-11, CF-23)."""
    debits = list(
        await session.scalars(sa.select(AllowanceEntry).where(AllowanceEntry.visit_id == visit.id))
    )
    balance: dict[tuple[Any, Any], list[int]] = {}
    for entry in debits:
        key = (entry.ledger, entry.period)
        total = balance.setdefault(key, [0, 0])
        total[0] += entry.minutes
        total[1] += entry.visits
    for (ledger, period), (minutes, visits) in balance.items():
        if minutes or visits:
            session.add(
                AllowanceEntry(
                    prisoner_id=visit.prisoner_id,
                    visit_id=visit.id,
                    ledger=ledger,
                    period=period,
                    minutes=-minutes,
                    visits=-visits,
                    created_at=utcnow(),
                )
            )


async def reschedule(
    session: AsyncSession,
    caller: Caller,
    visit: Visit,
    new_slot_id: uuid.UUID,
    *,
    settings: Settings,
) -> tuple[Visit, Verdict]:
    """Move the visit: the new slot is secured first, then the old one released, in one
    transaction; the calendar UID stays, SEQUENCE goes up and the household gets the invite."""
    if visit.status not in (VisitStatus.CONFIRMED, VisitStatus.REQUESTED):
        raise Conflict("not-reschedulable", "The visit is %(state)s.", state=visit.status.value)
    if new_slot_id == visit.slot_id:
        raise Unprocessable("same-slot", "The visit is already in this slot.")
    await _no_overlap(session, visit.prisoner_id, new_slot_id, visit.id)
    verdict = await _rejudge(session, visit, caller, new_slot_id)
    if verdict.decision.outcome is Outcome.REFUSED:
        raise refused(verdict, caller)
    await _take(session, verdict, caller, RuleId.CF_07B in verdict.decision.overridden)
    await _release(session, visit)
    was_confirmed = visit.status is VisitStatus.CONFIRMED
    if was_confirmed:
        await _credit(session, visit)
    old_slot = visit.slot_id
    visit.slot_id, visit.starts_at, visit.ends_at = (
        new_slot_id,
        verdict.slot.starts_at,
        verdict.slot.ends_at,
    )
    visit.visit_type = verdict.slot.visit_type
    visit.used_tables, visit.used_seats, visit.used_children = (
        verdict.usage.tables,
        verdict.usage.seats,
        verdict.usage.children,
    )
    visit.rule_results = _stored(verdict.results)
    visit.ical_sequence += 1
    if verdict.decision.outcome is Outcome.REVIEW or verdict.facility.request_mode:
        visit.status, visit.needs_review = VisitStatus.REQUESTED, True
        visit.review_reason = review.RESCHEDULED
    else:
        visit.status = VisitStatus.CONFIRMED
        visit.confirmed_at = visit.confirmed_at or utcnow()
        _debit(session, visit, verdict)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("prisoner-busy", "The prisoner already has a visit at this time.") from exc
    await reminders.plan(session, visit, settings)
    record(
        session,
        caller.actor,
        "visit.reschedule",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
        changes={"from_slot": str(old_slot), "to_slot": str(new_slot_id)},
    )
    after_commit(session, InviteMail(visit.id))
    if caller.is_staff:
        await outbox.tell_household(session, visit, NoticeKind.VISIT_MOVED)
    await session.flush()
    return visit, verdict


async def decide_request(
    session: AsyncSession,
    caller: Caller,
    visit: Visit,
    approve: bool,
    reason: str,
    *,
    settings: Settings,
) -> Visit:
    """Staff settle a request (or a flagged visit): approve confirms, reject releases; the
    household gets the invite (or its cancellation) and a notice with the reason."""
    if visit.status is VisitStatus.REQUESTED and approve:
        verdict = await _rejudge(session, visit, caller, visit.slot_id)
        if verdict.decision.refused_by:
            raise refused(verdict, caller)
        for result in verdict.results:
            # A safeguarding or long-visit review belongs to the role the rule names.
            if result.rule_id in verdict.decision.review_by and not may_override(
                result, caller.staff_role
            ):
                role = result.overridable_by.value if result.overridable_by else "nobody"
                raise Forbidden(
                    "forbidden",
                    "Only %(role)s may approve a visit held for %(rule)s.",
                    role=role,
                    rule=result.rule_id,
                )
        visit.status, visit.confirmed_at = VisitStatus.CONFIRMED, utcnow()
        _debit(session, visit, verdict)
    elif visit.status is VisitStatus.REQUESTED:
        await _release(session, visit)
        visit.status = VisitStatus.REJECTED
        visit.ical_sequence += 1
    elif not (visit.status is VisitStatus.CONFIRMED and visit.needs_review and approve):
        raise Conflict(
            "nothing-to-decide",
            "The visit is %(state)s and not awaiting a decision.",
            state=visit.status.value,
        )
    visit.needs_review, visit.status_reason = False, reason
    await reminders.plan(session, visit, settings)
    record(
        session,
        caller.actor,
        "visit.approve" if approve else "visit.reject",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
        reason=reason,
    )
    after_commit(session, InviteMail(visit.id))
    decided = NoticeKind.VISIT_CONFIRMED if approve else NoticeKind.VISIT_REJECTED
    await outbox.tell_household(session, visit, decided)  # a staff reason is never told
    await session.flush()
    return visit


async def add_override(
    session: AsyncSession, caller: Caller, visit: Visit, rule_id: str, reason: str
) -> Visit:
    """Set aside one failed HARD rule for this visit; only the role the result names may."""
    stored = {r["rule_id"]: r for r in visit.rule_results}
    result = stored.get(rule_id)
    if result is None or result.get("passed", True):
        raise Unprocessable(
            "nothing-to-override", "%(rule)s did not fail for this visit.", rule=rule_id
        )
    if not may_override(msgspec.convert(result, RuleResult), caller.staff_role):
        allowed = result.get("overridable_by") or "nobody"
        raise Forbidden(
            "forbidden", "Only %(role)s may override %(rule)s.", role=allowed, rule=rule_id
        )
    exists = await session.scalar(
        sa.select(VisitOverride.id).where(
            VisitOverride.visit_id == visit.id, VisitOverride.rule_id == rule_id
        )
    )
    if exists is None:
        session.add(
            VisitOverride(
                visit_id=visit.id,
                rule_id=rule_id,
                actor=caller.staff_name or "",
                role=caller.staff_role.value if caller.staff_role else "",
                reason=reason,
                created_at=utcnow(),
            )
        )
    record(
        session,
        caller.actor,
        "visit.override",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
        reason=reason,
        changes={"rule_id": rule_id},
    )
    await session.flush()
    return visit


async def mark_attendance(
    session: AsyncSession, caller: Caller, visit: Visit, attended: bool, *, settings: Settings
) -> Visit:
    if visit.status is not VisitStatus.CONFIRMED:
        raise Conflict("not-confirmed", "The visit is %(state)s.", state=visit.status.value)
    if visit.starts_at > utcnow():
        raise Conflict("not-started", "Attendance is recorded once the visit has begun.")
    visit.status = VisitStatus.ATTENDED if attended else VisitStatus.NO_SHOW
    await reminders.plan(session, visit, settings)
    record(
        session,
        caller.actor,
        f"visit.{visit.status.value}",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
    )
    await session.flush()
    return visit


async def reject_stale_requests(session: AsyncSession, cutoff_hours: int) -> list[Visit]:
    """Requests nobody decided before the cut-off are rejected (a job calls this); each
    household is told and its tentative invite cancelled."""
    stale = list(
        await session.scalars(
            sa.select(Visit)
            .where(
                Visit.status == VisitStatus.REQUESTED,
                Visit.starts_at < utcnow() + timedelta(hours=cutoff_hours),
            )
            .with_for_update(skip_locked=True)
        )
    )
    for visit in stale:
        await _release(session, visit)
        visit.status, visit.status_reason = VisitStatus.REJECTED, STALE_REASON
        visit.needs_review = False
        visit.ical_sequence += 1
        record(
            session,
            Actor.system(),
            "visit.reject",
            "visit",
            visit.id,
            facility_id=visit.facility_id,
            reason=STALE_REASON,
        )
        await outbox.tell_household(session, visit, NoticeKind.REQUEST_EXPIRED)
        after_commit(session, InviteMail(visit.id))
    return stale
