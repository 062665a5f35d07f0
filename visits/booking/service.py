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
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.audit import Actor, record
from visits.booking import capacity
from visits.booking.facts import Verdict, judge, load_visitors, local_month
from visits.booking.references import new_reference
from visits.booking.roles import BOOKING_ROLES
from visits.booking.schemas import RuleResultView, family_view, staff_view
from visits.calendar.mail import InviteMail
from visits.db.base import utcnow
from visits.db.models import (
    AllowanceEntry,
    Facility,
    Slot,
    Visit,
    Visitor,
    VisitOverride,
    VisitParty,
)
from visits.db.transaction import after_commit
from visits.enums import (
    ACTIVE_VISIT_STATES,
    Attendance,
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
from visits.people import queries as people_queries
from visits.rules import review
from visits.rules.allowances import ledger_for
from visits.rules.catalogue import RuleId
from visits.rules.decision import Outcome, Override, may_override
from visits.rules.model import RuleResult
from visits.rules.party import Usage
from visits.rules.results import result
from visits.rules.texts import say
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


# What a family reads instead of a reason a member of staff typed (it may name a safeguarding
# concern, e.g. "Kinderschutz: …"): a neutral sentence per state.
FAMILY_STATUS_REASONS = {
    VisitStatus.REJECTED: N_(
        "The facility could not accept this request. Please contact the facility if you have "
        "questions."
    ),
    VisitStatus.CANCELLED: N_(
        "The visit was cancelled. Please contact the facility if you have questions."
    ),
}


def family_status_reason(visit: Visit, language: str) -> str | None:
    """``status_reason`` as the household may read it: the system's own reasons (a hold that
    ran out, a request nobody reviewed) in words, anything staff typed as a neutral sentence."""
    reason = visit.status_reason
    if reason is None:
        return None
    code = _STORED_IN_WORDS.get(reason, reason)
    if code in STATUS_REASONS:
        return translate(language, STATUS_REASONS[code])
    neutral = FAMILY_STATUS_REASONS.get(visit.status)
    return translate(language, neutral) if neutral else None


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


# Refusals a family may turn into a request that staff decide (``hold(request_review=True)``):
# CF-07 alone, for a party over the caps per visit (never an empty one). The catalogue: never
# make a family choose which sibling stays home. Every other HARD failure (room capacity CF-07b,
# approval CF-04, ages, composition, allowances, the booking window ...) still refuses; rules
# that route to review (safeguarding CF-05, CF-19, CF-22, CF-25) go to review as always.
REQUESTABLE_RULES = frozenset({RuleId.CF_07.value})


def _over_caps(result: RuleResult) -> bool:
    """A failed CF-07 for a party larger than the caps (not an empty party)."""
    p = result.params
    try:
        return (
            int(p["adults"]) > int(p["max_adults"])
            or int(p["children"]) > int(p["max_children"])
            or int(p["total"]) > int(p["max_total"])
        )
    except (KeyError, TypeError, ValueError):
        return False


def requestable(verdict: Verdict) -> bool:
    """Whether the booking is refused only by rules a family may ask staff to set aside
    (``REQUESTABLE_RULES``): every refusing rule is one of them, the party is over the caps,
    the rule names a role that may set it aside, and no result is confidential."""
    refused_by = set(verdict.decision.refused_by)
    if not refused_by or not refused_by <= REQUESTABLE_RULES:
        return False
    asked = [r for r in verdict.results if r.rule_id in refused_by]
    return all(_over_caps(r) and r.overridable_by is not None and not r.confidential for r in asked)


def refused(verdict: Verdict, caller: Caller, *, may_request: bool = False) -> Refused:
    """A refusal listing every reason at once, in the caller's view (safeguarding stays hidden).
    ``may_request``: the refusal says ``request_review_possible`` when a family could send the
    same booking as a request (``requestable``)."""
    failing = [r for r in verdict.results if r.rule_id in verdict.decision.refused_by]
    extra: dict[str, Any] = {"rule_results": [_builtins(v) for v in views(failing, caller)]}
    if may_request and not caller.is_staff and requestable(verdict):
        extra["request_review_possible"] = True
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


def not_approved(visitor_ids: Sequence[uuid.UUID]) -> RuleResult:
    """CF-04 failed for the whole party: nobody of the household may visit the prisoner. Its
    parameters say nothing about the prisoner (not even whether a court permit is needed)."""
    return result(
        RuleId.CF_04,
        say("CF-04.not_approved"),
        passed=False,
        params={"not_approved": [str(v) for v in visitor_ids], "without_court_permit": []},
    )


async def approval_first(
    session: AsyncSession,
    caller: Caller,
    household_id: uuid.UUID,
    prisoner_id: uuid.UUID,
    visitor_ids: Sequence[uuid.UUID],
) -> None:
    """CF-04 before anything that reads the prisoner's calendar: a household of which nobody
    may visit the prisoner today (``people.queries.visitable``; also a prisoner that does not
    exist) is refused for CF-04 alone, so it never learns when other families visit
    (``prisoner-busy``) nor what the prisoner's ledgers hold. Staff are not asked."""
    if caller.is_staff:
        return
    if await people_queries.visitable(session, household_id, prisoner_id=prisoner_id):
        return
    rule_results = [_builtins(v) for v in views([not_approved(visitor_ids)], caller)]
    raise Refused(
        "booking-refused",
        "This booking is not possible as it is. The reasons are in rule_results.",
        extra={"rule_results": rule_results},
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
    request_review: bool = False,
) -> tuple[Visit, Verdict]:
    """Reserve capacity for the party for ``hold_minutes`` after checking every rule.

    ``request_review`` (a household only): the booking is refused only by rules a family may
    ask staff to set aside (``requestable``: CF-07, a party larger than the usual limit), so it
    becomes a request for staff to decide (``requested``, see ``_asked``) that takes the
    party's capacity as every request does; anything else is refused as without it, and a
    booking that needs no request answers 422 ``no-request-needed``."""
    if request_review and caller.is_staff:
        raise Forbidden("forbidden", "Staff set a rule aside with an override, not a request.")
    await expire_holds(session, slot_id)
    visitors = await load_visitors(session, visitor_ids, household_id)
    await approval_first(session, caller, household_id, prisoner_id, visitor_ids)
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
    asked = request_review and requestable(verdict)
    if verdict.decision.outcome is Outcome.REFUSED and not asked:
        raise refused(verdict, caller, may_request=not request_review)
    if request_review and not asked:
        raise Unprocessable(
            "no-request-needed",
            "This time is possible for the group as it is: hold it without request_review.",
        )
    stored = _asked(verdict) if asked else verdict.results
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
        status=VisitStatus.REQUESTED if asked else VisitStatus.HELD,
        channel=channel,
        starts_at=verdict.slot.starts_at,
        ends_at=verdict.slot.ends_at,
        hold_expires_at=None if asked else utcnow() + timedelta(minutes=hold_minutes),
        needs_review=asked,
        review_reason=_asked_reason(verdict) if asked else None,
        used_tables=verdict.usage.tables,
        used_seats=verdict.usage.seats,
        used_children=verdict.usage.children,
        ical_uid=f"visit-{visit_id}@visits",
        support_needs=support_needs,
        rule_results=_stored(stored),
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
        "visit.request" if asked else "visit.hold",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
        changes={
            "slot_id": str(slot_id),
            "party_size": len(visitors),
            "overridden": list(verdict.decision.overridden),
        }
        | ({"asked_to_set_aside": list(verdict.decision.refused_by)} if asked else {}),
        reason="; ".join(f"{r}: {w}" for r, w in overrides) or None,
    )
    if asked:  # the household gets the tentative invite, as for any request
        after_commit(session, InviteMail(visit.id))
    await session.flush()
    return visit, verdict


def asked_rules(visit: Visit) -> set[str]:
    """The rules a family's request asks staff to set aside (``hold(request_review=True)``)
    and no decision has settled yet: its stored results routed to review by ``_asked``."""
    if visit.status is not VisitStatus.REQUESTED:
        return set()
    return {
        str(r["rule_id"])
        for r in visit.rule_results
        if r.get("rule_id") in REQUESTABLE_RULES
        and not r.get("passed", True)
        and r.get("route_to_review", False)
    }


def still_asked(visit: Visit, verdict: Verdict) -> bool:
    """Whether ``verdict`` (the visit judged again, e.g. at another time) is refused only by
    the rules the visit's request already asks about: it stays a request for staff to decide."""
    asked = asked_rules(visit)
    return bool(asked) and requestable(verdict) and set(verdict.decision.refused_by) <= asked


def _asked(verdict: Verdict) -> list[RuleResult]:
    """The results a request stores: each refusal the family asks staff to set aside is routed
    to review (still failed and HARD; only the role it names sets it aside, ``decide_request``)."""
    return [
        msgspec.structs.replace(r, route_to_review=True)
        if r.rule_id in verdict.decision.refused_by
        else r
        for r in verdict.results
    ]


def _asked_reason(verdict: Verdict) -> str:
    """Why a family's request waits: the large party first, then any rule that routes to review."""
    reviewing = [r for r in verdict.results if r.rule_id in verdict.decision.review_by]
    return review.SEPARATOR.join(
        filter(None, [review.LARGE_PARTY, review.stored_reason(reviewing)])
    )


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
    if visit.household_id is not None:  # approval first, as ``hold``
        party = await session.scalars(
            sa.select(VisitParty.visitor_id).where(
                VisitParty.visit_id == visit.id, VisitParty.visitor_id.is_not(None)
            )
        )
        await approval_first(
            session, caller, visit.household_id, visit.prisoner_id, [v for v in party if v]
        )
    await _no_overlap(session, visit.prisoner_id, new_slot_id, visit.id)
    verdict = await _rejudge(session, visit, caller, new_slot_id)
    asked = still_asked(visit, verdict)  # a large group's request moves as a request
    if verdict.decision.outcome is Outcome.REFUSED and not asked:
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
    visit.rule_results = _stored(_asked(verdict) if asked else verdict.results)
    visit.ical_sequence += 1
    if asked:
        visit.status, visit.needs_review = VisitStatus.REQUESTED, True
        visit.review_reason = _asked_reason(verdict)
    elif verdict.decision.outcome is Outcome.REVIEW or verdict.facility.request_mode:
        visit.status, visit.needs_review = VisitStatus.REQUESTED, True
        visit.review_reason = review.RESCHEDULED
    else:
        visit.status = VisitStatus.CONFIRMED
        visit.needs_review, visit.review_reason = False, None  # a flag on the old slot is settled
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
    household gets the invite (or its cancellation) and a notice with the reason.

    Approving a family's request for a rule it may ask about (``hold(request_review=True)``,
    e.g. CF-07 for a large sibling group) sets that rule aside for the visit, by the role the
    catalogue names (a visits manager for CF-07) with ``reason``, recorded and audited as an
    override; another role is refused (403)."""
    if visit.status is VisitStatus.REQUESTED and approve:
        basis = await rejudging(session, visit, staff=caller.is_staff)
        granted = _granted(caller, visit, reason, {o.rule_id for o in basis.overrides})
        basis = Rejudging(basis.visit, basis.visitors, basis.overrides + granted, basis.channel)
        verdict = await judge_again(session, basis, visit.slot_id)
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
        _record_granted(session, caller, visit, granted)
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


def _granted(caller: Caller, visit: Visit, reason: str, done: set[str]) -> list[Override]:
    """The overrides approving ``visit`` grants: one per rule the family asked staff to set
    aside (``REQUESTABLE_RULES`` routed to review by ``_asked``) and not yet set aside
    (``done``). Only the role each rule names may grant it (``Forbidden`` otherwise)."""
    asked = [
        r
        for r in (msgspec.convert(s, RuleResult) for s in visit.rule_results)
        if r.rule_id in REQUESTABLE_RULES and r.needs_review and r.rule_id not in done
    ]
    for one in asked:
        if not may_override(one, caller.staff_role):
            role = one.overridable_by.value if one.overridable_by else "nobody"
            raise Forbidden(
                "forbidden",
                "Only %(role)s may approve a visit held for %(rule)s.",
                role=role,
                rule=one.rule_id,
            )
    return [
        Override(
            rule_id=r.rule_id,
            role=caller.staff_role,
            actor=caller.staff_name or "",
            reason=reason,
            at=utcnow(),
        )
        for r in asked
        if caller.staff_role is not None
    ]


def _record_granted(
    session: AsyncSession, caller: Caller, visit: Visit, granted: Sequence[Override]
) -> None:
    for override in granted:
        session.add(
            VisitOverride(
                visit_id=visit.id,
                rule_id=override.rule_id,
                actor=override.actor,
                role=override.role.value,
                reason=override.reason,
                created_at=override.at,
            )
        )
        record(
            session,
            caller.actor,
            "visit.override",
            "visit",
            visit.id,
            facility_id=visit.facility_id,
            reason=override.reason,
            changes={"rule_id": override.rule_id},
        )


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
    session: AsyncSession,
    caller: Caller,
    visit: Visit,
    outcome: Attendance,
    *,
    settings: Settings,
) -> Visit:
    """The gate's check-in of a confirmed visit (the API and the console's day sheet alike).

    A party that came (``attended``, or ``late``) is recorded from the start of the visit's
    local day, so the gate can check families in before the visit begins; a ``no_show`` once
    the visit has begun. A no-show gives back what the visit took from the prisoner's
    allowance ledger (CF-10, CF-11, CF-23): the time was never used, and a child's contact is
    never lost because a family could not come (CF-12). A late arrival keeps its debit: the
    place was held and the visit took place. Audited. For visits officers and managers (and
    administrators) only."""
    if caller.staff_role not in (*BOOKING_ROLES, StaffRole.ADMIN):
        raise Forbidden("forbidden", "Only the visits team records who came.")
    if visit.status is not VisitStatus.CONFIRMED:
        raise Conflict("not-confirmed", "The visit is %(state)s.", state=visit.status.value)
    now = utcnow()
    if outcome is Attendance.NO_SHOW:
        if visit.starts_at > now:
            raise Conflict("not-started", "Attendance is recorded once the visit has begun.")
        visit.status = VisitStatus.NO_SHOW
        await _credit(session, visit)
    else:
        facility = await session.get(Facility, visit.facility_id)
        zone = ZoneInfo(facility.timezone if facility else "UTC")
        if visit.starts_at.astimezone(zone).date() > now.astimezone(zone).date():
            raise Conflict("not-started", "Arrival is recorded on the day of the visit.")
        visit.status = VisitStatus.ATTENDED
        visit.arrived_at = now
        visit.arrived_late = outcome is Attendance.LATE
    await reminders.plan(session, visit, settings)
    record(
        session,
        caller.actor,
        f"visit.{visit.status.value}",
        "visit",
        visit.id,
        facility_id=visit.facility_id,
        changes={"outcome": outcome.value},
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
