"""Visit pages: the review queue, one visit with every rule result explained and the decisions
the viewer's role allows (approve or keep, reject, cancel, or move to another time). Phone
bookings are ``caller_pages``.

Decisions and moves use the booking service as the staff API does (a move is
``POST /api/v1/staff/visits/{id}/reschedule``'s ``service.reschedule``); the service tells the
household through the notice outbox and e-mails the invite or cancellation once the change is
committed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath

from visits.accounts.access import ForStaff, visit_for
from visits.accounts.principals import ALL_ROLES
from visits.booking import queries as visit_queries
from visits.booking import service, staff_actions
from visits.booking.dependencies import CallersVisit, staff_caller
from visits.booking.roles import BOOKING_ROLES, REVIEW_ROLES, reviews_of, settling_role
from visits.booking.schemas import OverrideIn, Reason, RescheduleIn
from visits.db.models import Household, Prisoner, Room, Slot, Visit
from visits.dependencies import AppSettings, DbSession
from visits.enums import StaffRole, VisitStatus
from visits.errors import Conflict, NotFound, Refused, Unprocessable
from visits.facilities import queries as facility_queries
from visits.notify import queries as notify_queries
from visits.pagination import Limit, Offset
from visits.people.schemas.safeguarding import PersonSafeguardingOut
from visits.people.service import safeguarding
from visits.rules.model import RuleResult
from visits.rules.review import shown_reason
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.explain import explain
from visits.web.console.forms import FormValues, read_form
from visits.web.console.household_pages import FLAGS, UNKNOWN_FLAG, WISHES
from visits.web.console.labels import field_messages
from visits.web.console.notice_pages import shown
from visits.web.console.session import ConsolePage, StaffPage
from visits.web.pages import see_other

QUEUE_PAGE = 25
SLOT_CHOICES = 120
BOOKING_WEEKS = 8


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: Annotated[str, msgspec.Meta(pattern="^(approve|reject|cancel)$")]
    reason: Reason


def _results(visit: Visit) -> list[RuleResult]:
    return [msgspec.convert(r, RuleResult) for r in visit.rule_results]


def _roles(page: StaffPage) -> list[StaffRole]:
    return sorted(page.permissions().roles)


async def _party_facts(
    page: StaffPage, session: DbSession, visit: Visit
) -> tuple[list[PersonSafeguardingOut], dict[uuid.UUID, str]]:
    """The safeguarding facts about the visit's party (as the household page shows them, without
    reasons here), and the names of the household's people; none for an erased household."""
    if visit.household_id is None:
        return [], {}
    try:
        facts = await safeguarding.household_facts(
            session, page.principal_staff, page.current_facility.id, visit.household_id
        )
    except NotFound:
        return [], {}
    party = set(await visit_queries.party_visitor_ids(session, visit.id))
    names = {p.visitor_id: f"{p.given_name} {p.family_name}" for p in facts.people}
    return [p for p in facts.people if p.visitor_id in party], names


def visit_here(*, lock: bool) -> dict[str, Provide]:
    """Handler dependencies: ``visit``, the visit at the path's ``visit_id`` if it belongs to
    the page's facility (locked for a change when ``lock``); any other is a 404 page."""

    async def provide_visit(
        db_session: DbSession, facility_page: ConsolePage, visit_id: FromPath[uuid.UUID]
    ) -> Visit:
        staff, facility = facility_page.principal_staff, facility_page.current_facility
        asker = ForStaff(staff, ALL_ROLES, facility.id)
        return await visit_for(db_session, visit_id, asker, lock=lock)

    return {"visit": Provide(provide_visit)}


class ConsoleVisitsController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    # --- the review queue -------------------------------------------------------------------

    @get("/review")
    async def review_queue(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        limit: Limit = QUEUE_PAGE,
        offset: Offset = 0,
    ) -> Response[Any]:
        facility_id = facility_page.current_facility.id
        rows = await visit_queries.awaiting_review(
            db_session, facility_id, limit=limit, offset=offset
        )
        children = await visit_queries.children_per_visit(db_session, [v.id for v, _ in rows])
        reasons = {
            v.id: shown_reason(v.review_reason, _results(v), facility_page.language)
            for v, _ in rows
        }
        return facility_page.render(
            "console/review.html",
            rows=rows,
            children=children,
            reasons=reasons,
            total=await visit_queries.count_awaiting_review(db_session, facility_id),
            limit=limit,
            offset=offset,
        )

    # --- one visit --------------------------------------------------------------------------

    async def _visit_page(
        self,
        page: StaffPage,
        session: DbSession,
        visit: Visit,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        form: FormValues | None = None,
        move_refusals: list[str] | None = None,
    ) -> Response[Any]:
        facility = page.current_facility
        results = _results(visit)
        roles = _roles(page)
        slot = await session.get(Slot, visit.slot_id)
        room = await session.get(Room, slot.room_id) if slot else None
        household = await session.get(Household, visit.household_id) if visit.household_id else None
        prisoner = await session.get(Prisoner, visit.prisoner_id)
        reviewer = settling_role(reviews_of(visit), [r for r in roles if r in REVIEW_ROLES])
        explained = explain(results, roles, page.language)
        done_overrides = {o.rule_id: o for o in await visit_queries.overrides_of(session, visit.id)}
        can = page.permissions()
        movable = visit.status in (VisitStatus.CONFIRMED, VisitStatus.REQUESTED) and can.book
        move_options: list[tuple[str, str]] = []
        if movable:
            ahead = await facility_queries.open_slots_ahead(
                session, facility.id, weeks=BOOKING_WEEKS, limit=SLOT_CHOICES
            )
            move_options = _slot_options(
                page, [(s, name) for s, name in ahead if s.id != visit.slot_id]
            )
        party_facts, household_names = await _party_facts(page, session, visit)
        return page.render(
            "console/visit.html",
            party_facts=party_facts,
            household_names=household_names,
            flag_label={f.value: page._(text) for f, text in FLAGS.items()},
            unknown_flag=page._(UNKNOWN_FLAG),
            wish_label={w.value: page._(text) for w, text in WISHES.items()},
            status=status,
            visit=visit,
            review_reason=shown_reason(visit.review_reason, results, page.language),
            explained=explained,
            override_options=[
                (e.rule_id, f"{e.rule_id}: {e.staff_message}")
                for e in explained
                if e.refuses and e.may_override and e.rule_id not in done_overrides
            ],
            party=await visit_queries.party_with_names(session, visit.id),
            overrides=done_overrides,
            room=room,
            household=household,
            prisoner=prisoner,
            zone=facility.timezone,
            may_approve=visit.needs_review and reviewer is not None,
            may_reject=visit.status is VisitStatus.REQUESTED and can.review,
            may_cancel=visit.status in (VisitStatus.CONFIRMED, VisitStatus.REQUESTED) and can.book,
            review_roles=sorted(
                {r.overridable_by for r in results if r.needs_review and r.overridable_by}
            ),
            notices=[shown(n) for n in await notify_queries.notices_of_visit(session, visit.id)],
            errors=errors or {},
            form=form or FormValues({}),
            may_move=movable,
            move_options=move_options,
            move_refusals=move_refusals or [],
        )

    @get("/visits/{visit_id:uuid}", dependencies=visit_here(lock=False))
    async def visit(
        self, facility_page: ConsolePage, visit: CallersVisit, db_session: DbSession
    ) -> Response[Any]:
        return await self._visit_page(facility_page, db_session, visit)

    @post("/visits/{visit_id:uuid}/decision", dependencies=visit_here(lock=True))
    async def decide(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        visit: CallersVisit,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """Approve (or keep a flagged visit), reject a request, or cancel; with a reason."""
        page = facility_page
        page.require(REVIEW_ROLES)
        form = await read_form(request)
        try:
            body = parse_body(DecisionIn, form.present("decision", "reason"), strict=False)
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._, page.language)
            return await self._visit_page(
                page, db_session, visit, status=422, errors=errors, form=form
            )
        staff, language = page.principal_staff, page.language
        if body.decision == "cancel":
            caller = staff_caller(staff, visit.facility_id, BOOKING_ROLES, language)
        else:  # approving needs a role that may settle the visit's review results
            settles = reviews_of(visit) if body.decision == "approve" else []
            caller = staff_caller(staff, visit.facility_id, REVIEW_ROLES, language, settles)
        try:
            if body.decision == "cancel":
                await service.cancel(
                    db_session, caller, visit, reason=body.reason, cutoff_hours=0, settings=settings
                )
                done = "cancelled"
            else:
                approve = body.decision == "approve"
                await service.decide_request(
                    db_session, caller, visit, approve, body.reason, settings=settings
                )
                done = "approved" if approve else "rejected"
        except (Conflict, Unprocessable) as problem:  # decided meanwhile, or the rules refuse
            return await self._visit_page(
                page,
                db_session,
                visit,
                status=problem.status,
                errors={"decision": page.problem(problem)},
                form=form,
            )
        return see_other(f"/staff/facilities/{visit.facility_id}/review", done=done)

    @post("/visits/{visit_id:uuid}/move", dependencies=visit_here(lock=True))
    async def move(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        visit: CallersVisit,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """Move the visit to another time (e.g. one a closure flagged), as the staff API does:
        every rule is judged for the new slot, the new slot is taken before the old one is
        freed, and the household is told and gets the updated invite."""
        page = facility_page
        page.require(BOOKING_ROLES)
        form = await read_form(request)
        try:
            body = parse_body(RescheduleIn, form.present("slot_id"), strict=False)
        except Unprocessable:
            errors = {"slot_id": page._("Please choose the new time.")}
            return await self._visit_page(
                page, db_session, visit, status=422, errors=errors, form=form
            )
        caller = staff_caller(page.principal_staff, visit.facility_id, BOOKING_ROLES, page.language)
        try:
            # A savepoint: a refused move leaves the visit as it was, read again for the page.
            async with db_session.begin_nested():
                await service.reschedule(db_session, caller, visit, body.slot_id, settings=settings)
        except Refused as refusal:
            await db_session.refresh(visit)
            reasons = [
                f"{r['rule_id']}: {r['message']}"
                for r in refusal.extra.get("rule_results", [])
                if isinstance(r, dict)
            ]
            errors = {"slot_id": page._("The rules do not allow this time for this visit.")}
            return await self._visit_page(
                page,
                db_session,
                visit,
                status=refusal.status,
                errors=errors,
                form=form,
                move_refusals=reasons,
            )
        except (Conflict, Unprocessable, NotFound) as problem:  # full, busy, same slot ...
            await db_session.refresh(visit)
            return await self._visit_page(
                page,
                db_session,
                visit,
                status=problem.status,
                errors={"slot_id": page.problem(problem)},
                form=form,
            )
        return see_other(f"/staff/facilities/{visit.facility_id}/visits/{visit.id}", done="moved")

    @post("/visits/{visit_id:uuid}/override", dependencies=visit_here(lock=True))
    async def override(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        visit: CallersVisit,
        db_session: DbSession,
    ) -> Response[Any]:
        page = facility_page
        form = await read_form(request)
        try:
            # "override_reason": the decision form on the same page has its own "reason".
            raw = form.present("rule_id")
            if form.get("override_reason"):
                raw["reason"] = form.get("override_reason")
            body = parse_body(OverrideIn, raw, strict=False)
            await staff_actions.override_rule(
                db_session,
                page.principal_staff,
                visit,
                body.rule_id,
                body.reason,
                language=page.language,
            )
        except (Conflict, Unprocessable) as problem:
            errors = {
                "override_reason" if name == "reason" else name: text
                for name, text in field_messages(problem.errors, page._, page.language).items()
            }
            errors = errors or {"rule_id": page.problem(problem)}
            return await self._visit_page(
                page, db_session, visit, status=422, errors=errors, form=form
            )
        return see_other(
            f"/staff/facilities/{visit.facility_id}/visits/{visit.id}", done="overridden"
        )


def _slot_options(page: StaffPage, slots: list[tuple[Slot, str]]) -> list[tuple[str, str]]:
    """Open slots as choices: date and time in the facility's zone, room, tables free."""
    zone = page.current_facility.timezone
    return [
        (
            str(slot.id),
            f"{page.datetime(slot.starts_at, zone)}\u2013{page.time(slot.ends_at, zone)} · "
            f"{room_name} · "
            + page.ngettext(
                "%(num)d table free",
                "%(num)d tables free",
                slot.capacity_tables - slot.booked_tables,
            ),
        )
        for slot, room_name in slots
    ]
