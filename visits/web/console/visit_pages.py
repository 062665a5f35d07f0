"""Visit pages: the review queue, one visit with every rule result explained and the decisions
the viewer's role allows, and booking on behalf of a household (phone bookings).

Decisions use the booking service as the staff API does; the service tells the household (the
same notice) and e-mails the invite or cancellation once the decision is committed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide
from litestar.params import FromPath, QueryParameter

from visits.accounts import queries as account_queries
from visits.accounts.access import ForStaff, visit_for
from visits.accounts.principals import ALL_ROLES
from visits.booking import queries as visit_queries
from visits.booking import service, staff_actions
from visits.booking.dependencies import CallersVisit, staff_caller
from visits.booking.facts import Verdict, judge, load_visitors
from visits.booking.roles import BOOKING_ROLES, REVIEW_ROLES, reviews_of, settling_role
from visits.booking.schemas import OverrideIn, Reason, StaffBookIn
from visits.db.models import Household, Prisoner, Room, Slot, Visit, Visitor
from visits.dependencies import AppSettings, DbSession
from visits.enums import BookableBy, StaffRole, VisitStatus
from visits.errors import Conflict, Refused, Unprocessable
from visits.facilities import queries as facility_queries
from visits.notify import queries as notify_queries
from visits.pagination import Limit, Offset
from visits.people import queries as people_queries
from visits.rules.model import RuleResult
from visits.rules.review import shown_reason
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.explain import explain
from visits.web.console.forms import FormValues, read_form
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
        return page.render(
            "console/visit.html",
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
            body = parse_body(OverrideIn, form.present("rule_id", "reason"), strict=False)
            await staff_actions.override_rule(
                db_session,
                page.principal_staff,
                visit,
                body.rule_id,
                body.reason,
                language=page.language,
            )
        except (Conflict, Unprocessable) as problem:
            errors = field_messages(problem.errors, page._, page.language)
            errors = errors or {"rule_id": page.problem(problem)}
            return await self._visit_page(
                page, db_session, visit, status=422, errors=errors, form=form
            )
        return see_other(
            f"/staff/facilities/{visit.facility_id}/visits/{visit.id}", done="overridden"
        )

    # --- phone bookings ---------------------------------------------------------------------

    async def _booking_page(
        self,
        page: StaffPage,
        session: DbSession,
        *,
        lookup: str,
        status: int = 200,
        form: FormValues | None = None,
        errors: dict[str, str] | None = None,
        checked: list[Any] | None = None,
        outcome: str | None = None,
    ) -> Response[Any]:
        facility = page.current_facility
        household: Household | None = None
        lookup_error = None
        if lookup:
            household = await account_queries.find_household(session, lookup)
            if household is None:
                lookup_error = page._("No household has this e-mail address or mobile number.")
        visitors: list[Visitor] = []
        prisoners: list[Prisoner] = []
        if household is not None:
            visitors = await account_queries.household_visitors(session, household.id)
            visitable = await people_queries.visitable(
                session, household.id, facility_id=facility.id
            )
            prisoners = [v.prisoner for v in visitable]
        slots = await facility_queries.open_slots_ahead(
            session, facility.id, weeks=BOOKING_WEEKS, limit=SLOT_CHOICES
        )
        slot_options = [
            (
                str(slot.id),
                f"{page.datetime(slot.starts_at, facility.timezone)}\u2013"
                f"{page.time(slot.ends_at, facility.timezone)} · {room_name} · "
                + page.ngettext(
                    "%(num)d table free",
                    "%(num)d tables free",
                    slot.capacity_tables - slot.booked_tables,
                ),
            )
            for slot, room_name in slots
        ]
        return page.render(
            "console/phone_booking.html",
            status=status,
            lookup=lookup,
            lookup_error=lookup_error,
            household=household,
            visitors=visitors,
            prisoners=prisoners,
            prisoner_options=[
                (str(p.id), f"{p.given_name} {p.family_name} ({p.prison_number})")
                for p in prisoners
            ],
            slot_options=slot_options,
            form=form or FormValues({}),
            errors=errors or {},
            checked=checked,
            outcome=outcome,
        )

    @get("/phone-booking")
    async def phone_booking(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        household: Annotated[str, QueryParameter(max_length=254)] = "",
    ) -> Response[Any]:
        facility_page.require(BOOKING_ROLES)
        return await self._booking_page(facility_page, db_session, lookup=household.strip())

    @post("/phone-booking")
    async def check_or_book(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """ "Check" shows every rule as the family would see it; "Book" books (with the
        overrides ticked, each needing the role the rule names)."""
        page = facility_page
        page.require(BOOKING_ROLES)
        form = await read_form(request)
        lookup = form.get("lookup")
        raw: dict[str, Any] = form.present("household_id", "prisoner_id", "slot_id", "channel")
        raw |= {"visitor_ids": form.all("visitor_ids")}
        if form.get("support_needs"):
            raw["support_needs"] = form.get("support_needs")
        overrides = form.all("override_rules")
        if overrides:
            raw["overrides"] = [
                {"rule_id": rule, "reason": form.get("override_reason")} for rule in overrides
            ]
        try:
            booking = parse_body(StaffBookIn, raw, strict=False)
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._, page.language)
            if any(e.get("name") == "overrides" for e in invalid.errors):
                errors["override_reason"] = page._("Please give a reason of at least 3 characters.")
            return await self._booking_page(
                page, db_session, lookup=lookup, status=422, form=form, errors=errors
            )
        slot = await db_session.get(Slot, booking.slot_id)
        if slot is None or slot.facility_id != page.current_facility.id:
            errors = {"slot_id": page._("Please choose a slot.")}
            return await self._booking_page(
                page, db_session, lookup=lookup, status=422, form=form, errors=errors
            )
        roles = _roles(page)
        if form.get("action") != "book":
            verdict = await _staff_verdict(db_session, booking)
            return await self._booking_page(
                page,
                db_session,
                lookup=lookup,
                form=form,
                checked=explain(verdict.results, roles, page.language),
                outcome=verdict.decision.outcome.value,
            )
        try:
            # A savepoint: a refused attempt's hold is undone, so the rules are judged again
            # on what is stored (the error page then rolls the request back as a whole).
            async with db_session.begin_nested():
                visit = await staff_actions.book_for_household(
                    db_session,
                    staff_caller(
                        page.principal_staff, page.current_facility.id, BOOKING_ROLES, page.language
                    ),
                    booking,
                    settings,
                )
        except Refused as refusal:
            verdict = await _staff_verdict(db_session, booking)
            return await self._booking_page(
                page,
                db_session,
                lookup=lookup,
                status=refusal.status,
                form=form,
                errors={"slot_id": page._("The rules do not allow this booking as it is.")},
                checked=explain(verdict.results, roles, page.language),
                outcome="refused",
            )
        except (Conflict, Unprocessable) as problem:  # the slot filled meanwhile, ...
            return await self._booking_page(
                page,
                db_session,
                lookup=lookup,
                status=problem.status,
                form=form,
                errors={"slot_id": page.problem(problem)},
            )
        done = "requested" if visit.status is VisitStatus.REQUESTED else "booked"
        return see_other(f"/staff/facilities/{visit.facility_id}/visits/{visit.id}", done=done)


async def _staff_verdict(session: DbSession, booking: StaffBookIn) -> Verdict:
    """Every rule for the booking as staff would make it."""
    visitors = await load_visitors(session, booking.visitor_ids, booking.household_id)
    return await judge(
        session,
        slot_id=booking.slot_id,
        prisoner_id=booking.prisoner_id,
        visitors=visitors,
        channel=BookableBy.STAFF,
    )
