"""Dry-run checks and slot listings annotated for a party: what fits, what warns, and why not.

Nothing here commits: the only write, releasing holds that ran out, is committed by the
request's boundary with the listing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from visits.booking.facts import judge, load_visitors
from visits.booking.schemas import (
    AnnotatedSlot,
    CheckOut,
    RuleResultView,
    family_rule_ids,
    family_view,
    staff_view,
)
from visits.booking.service import (
    expire_holds,
    judge_again,
    not_approved,
    rejudging,
    requestable,
    still_asked,
)
from visits.dates import DEFAULT_SLOT_DAYS, date_problems, range_problems
from visits.db.models import Facility, Prisoner, Visit
from visits.enums import BookableBy
from visits.errors import Invalid, NotFound, invalid_parameters
from visits.facilities import queries
from visits.people import queries as people_queries
from visits.rules.decision import Outcome


def parameter_problem(name: str, detail: str) -> Invalid:
    return invalid_parameters([{"name": name, "in": "query", "detail": detail}])


def date_range(zone: ZoneInfo, first: date | None, last: date | None) -> tuple[date, date]:
    """The local dates a slot listing shows, ``first`` to ``last`` inclusive; ``first``
    defaults to today in ``zone`` (the facility's time zone), ``last`` to the default span. A
    400 problem names every parameter out of bounds."""
    wrong = date_problems(**{"from": first, "to": last})
    if wrong:
        raise invalid_parameters(wrong)
    start = first or datetime.now(UTC).astimezone(zone).date()
    end = last or start + timedelta(days=DEFAULT_SLOT_DAYS - 1)
    wrong = range_problems(start, end, "from", "to")
    if wrong:
        raise invalid_parameters(wrong)
    return start, end


async def visitable_prisoner(
    session: AsyncSession, household_id: uuid.UUID, prisoner_id: uuid.UUID
) -> tuple[Prisoner, Facility]:
    """The prisoner, with their facility, if someone of the household may visit them (CF-04,
    ``people.queries.visitable``): not released, at an active facility; a 404 otherwise, with
    no hint whether the prisoner exists."""
    found = await people_queries.visitable(session, household_id, prisoner_id=prisoner_id)
    if not found:
        raise NotFound("prisoner-not-found", "There is no such prisoner to visit.")
    return found[0].prisoner, found[0].facility


async def check(
    session: AsyncSession,
    *,
    household_id: uuid.UUID | None,
    prisoner_id: uuid.UUID,
    slot_id: uuid.UUID,
    visitor_ids: Sequence[uuid.UUID],
    staff: bool,
    language: str,
) -> CheckOut:
    visitors = await load_visitors(session, visitor_ids, household_id)
    if (
        not staff
        and household_id is not None
        and not await people_queries.visitable(session, household_id, prisoner_id=prisoner_id)
    ):  # CF-04 alone, before the prisoner's ledgers (as ``service.approval_first``)
        lone = not_approved(visitor_ids)
        return CheckOut(
            outcome=Outcome.REFUSED,
            refused_by=[lone.rule_id],
            review_by=[],
            warnings=[],
            results=[family_view(lone, language)],
        )
    verdict = await judge(
        session,
        slot_id=slot_id,
        prisoner_id=prisoner_id,
        visitors=visitors,
        channel=BookableBy.STAFF if staff else BookableBy.PUBLIC,
    )
    view = staff_view if staff else family_view
    decision = verdict.decision

    def ids(rules: Sequence[str]) -> list[str]:  # a family never reads a confidential rule's id
        return list(rules) if staff else family_rule_ids(rules, verdict.results)

    return CheckOut(
        outcome=decision.outcome,
        refused_by=ids(decision.refused_by),
        review_by=ids(decision.review_by),
        warnings=ids(decision.warnings),
        results=[view(r, language) for r in verdict.results],
        request_possible=not staff and requestable(verdict),
    )


def _verdict_label(outcome: Outcome, warnings: int) -> str:
    if outcome is Outcome.REFUSED:
        return "not_possible"
    if outcome is Outcome.REVIEW:
        return "review"
    return "warnings" if warnings else "fits"


async def annotated_slots(
    session: AsyncSession,
    *,
    household_id: uuid.UUID,
    prisoner_id: uuid.UUID,
    visitor_ids: Sequence[uuid.UUID],
    criteria: queries.SlotFilter,
    limit: int,
    offset: int,
    language: str,
    moving: Visit | None = None,
) -> tuple[list[AnnotatedSlot], int]:
    """The public slot listing, each slot judged for this party (family view of the reasons).
    Holds that ran out give their capacity back first; the request's boundary commits that.

    ``moving``: the household's booked visit that is to move. Each slot is then judged as
    ``service.reschedule`` judges the move (``service.judge_again``): for the visit's own
    party, with the rules staff set aside for it, and without the visit competing with itself
    (its allowance, entitlement and its own slot's capacity count as free), so the list offers
    exactly the times a move is accepted for; ``visitor_ids`` are not used."""
    basis = await rejudging(session, moving, staff=False) if moving is not None else None
    visitors = [] if basis is not None else await load_visitors(session, visitor_ids, household_id)
    await expire_holds(session)
    rows, total = await queries.list_public_slots(session, criteria, limit=limit, offset=offset)
    items = []
    for row in rows:
        if basis is not None:
            verdict = await judge_again(session, basis, row.slot.id)
        else:
            verdict = await judge(
                session,
                slot_id=row.slot.id,
                prisoner_id=prisoner_id,
                visitors=visitors,
                channel=BookableBy.PUBLIC,
            )
        decision = verdict.decision
        shown = set(decision.refused_by) | set(decision.review_by) | set(decision.warnings)
        # A large group's request moves as a request: refused only by what it asks about.
        outcome = (
            Outcome.REVIEW
            if basis is not None and still_asked(basis.visit, verdict)
            else decision.outcome
        )
        reasons: list[RuleResultView] = [
            family_view(r, language) for r in verdict.results if r.rule_id in shown
        ]
        zone = ZoneInfo(row.timezone)
        items.append(
            AnnotatedSlot(
                slot_id=row.slot.id,
                room_name=row.room_name,
                visit_type=row.slot.visit_type,
                local_start=row.slot.starts_at.astimezone(zone),
                local_end=row.slot.ends_at.astimezone(zone),
                remaining_tables=row.slot.capacity_tables - row.slot.booked_tables,
                verdict=_verdict_label(outcome, len(decision.warnings)),  # type: ignore[arg-type]
                reasons=reasons,
                # A new booking refused only for a large group may be sent as a request.
                request_possible=basis is None and requestable(verdict),
            )
        )
    return items, total
