"""Visit pages: the review queue, one visit with every rule result explained and the decisions
the viewer's role allows, and booking on behalf of a household (phone bookings).

Decisions use the booking service as the staff API does; the household is told by the same
notice, and the invite or cancellation is e-mailed when SMTP is configured.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter

from visits.booking import service, staff_actions
from visits.booking.facts import Verdict, judge, load_visitors
from visits.booking.roles import BOOKING_ROLES, REVIEW_ROLES
from visits.booking.schemas import OverrideIn, Reason, StaffBookIn
from visits.calendar.mail import mail_invite_with
from visits.db.base import utcnow
from visits.db.models import (
    Household,
    Prisoner,
    Room,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
    VisitOverride,
    VisitParty,
)
from visits.dependencies import AppSettings, DbSession, Notifier
from visits.enums import ApprovalStatus, BookableBy, Channel, SlotStatus, StaffRole, VisitStatus
from visits.errors import ProblemError
from visits.notify.notices import notify_household
from visits.pagination import Limit, Offset
from visits.rules.model import RuleResult
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.explain import deciding_role, explain
from visits.web.console.forms import FormValues, read_form
from visits.web.console.labels import field_messages, problem_message
from visits.web.console.queries import awaiting_review, children_per_visit, find_household
from visits.web.console.session import StaffPage
from visits.web.pages import see_other

FacilityId = FromPath[uuid.UUID]
QUEUE_PAGE = 25
SLOT_CHOICES = 120
BOOKING_WEEKS = 8


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: Annotated[str, msgspec.Meta(pattern="^(approve|reject|cancel)$")]
    reason: Reason


def _results(visit: Visit) -> list[RuleResult]:
    return [msgspec.convert(r, RuleResult) for r in visit.rule_results]


def _roles(page: StaffPage, facility_id: uuid.UUID) -> list[StaffRole]:
    return sorted(page.permissions(facility_id).roles)


async def _visit_at(session: DbSession, facility_id: uuid.UUID, visit_id: uuid.UUID) -> Visit:
    visit = await session.scalar(sa.select(Visit).where(Visit.id == visit_id).with_for_update())
    if visit is None or visit.facility_id != facility_id:
        raise ProblemError(404, "visit-not-found", "There is no such visit.")
    return visit


class ConsoleVisitsController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    # --- the review queue -------------------------------------------------------------------

    @get("/review")
    async def review_queue(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        facility_id: FacilityId,
        limit: Limit = QUEUE_PAGE,
        offset: Offset = 0,
    ) -> Response[Any]:
        page = await StaffPage.at_facility(request, db_session, settings, facility_id)
        waiting = awaiting_review(facility_id)
        total = await db_session.scalar(
            sa.select(sa.func.count()).select_from(Visit).where(waiting)
        )
        rows = (
            await db_session.execute(
                sa.select(Visit, Room.name)
                .join(Slot, Slot.id == Visit.slot_id)
                .join(Room, Room.id == Slot.room_id)
                .where(waiting)
                .order_by(Visit.starts_at, Visit.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        children = await children_per_visit(db_session, [visit.id for visit, _ in rows])
        return page.render(
            "console/review.html",
            rows=rows,
            children=children,
            total=total or 0,
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
        facility = page.facility
        assert facility is not None
        results = _results(visit)
        roles = _roles(page, facility.id)
        party = (
            await session.execute(
                sa.select(VisitParty, Visitor.given_name, Visitor.family_name)
                .join(Visitor, Visitor.id == VisitParty.visitor_id, isouter=True)
                .where(VisitParty.visit_id == visit.id)
                .order_by(VisitParty.age_years.desc())
            )
        ).all()
        overrides = list(
            await session.scalars(
                sa.select(VisitOverride)
                .where(VisitOverride.visit_id == visit.id)
                .order_by(VisitOverride.created_at)
            )
        )
        slot = await session.get(Slot, visit.slot_id)
        room = await session.get(Room, slot.room_id) if slot else None
        household = await session.get(Household, visit.household_id) if visit.household_id else None
        prisoner = await session.get(Prisoner, visit.prisoner_id)
        reviewer = deciding_role(results, [r for r in roles if r in REVIEW_ROLES])
        explained = explain(results, roles, page.language)
        done_overrides = {o.rule_id: o for o in overrides}
        can = page.permissions(facility.id)
        return page.render(
            "console/visit.html",
            status=status,
            visit=visit,
            explained=explained,
            override_options=[
                (e.rule_id, f"{e.rule_id}: {e.staff_message}")
                for e in explained
                if e.refuses and e.may_override and e.rule_id not in done_overrides
            ],
            party=party,
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
            errors=errors or {},
            form=form or FormValues({}),
        )

    @get("/visits/{visit_id:uuid}")
    async def visit(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        facility_id: FacilityId,
        visit_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = await StaffPage.at_facility(request, db_session, settings, facility_id)
        visit = await _visit_at(db_session, facility_id, visit_id)
        return await self._visit_page(page, db_session, visit)

    @post("/visits/{visit_id:uuid}/decision")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        notifier: Notifier,
        facility_id: FacilityId,
        visit_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Approve (or keep a flagged visit), reject a request, or cancel; with a reason."""
        page = await StaffPage.at_facility(request, db_session, settings, facility_id)
        page.require(facility_id, REVIEW_ROLES)
        visit = await _visit_at(db_session, facility_id, visit_id)
        form = await read_form(request)
        try:
            body = parse_body(DecisionIn, form.present("decision", "reason"), strict=False)
        except ProblemError as exc:
            errors = field_messages(exc.errors, page._)
            return await self._visit_page(
                page, db_session, visit, status=422, errors=errors, form=form
            )
        staff = page.principal_staff
        roles = _roles(page, facility_id)
        if body.decision == "cancel":
            role = page.require(facility_id, BOOKING_ROLES)
        elif body.decision == "approve":
            role = deciding_role(_results(visit), [r for r in roles if r in REVIEW_ROLES]) or (
                page.require(facility_id, REVIEW_ROLES)
            )
        else:
            role = page.require(facility_id, REVIEW_ROLES)
        caller = service.Caller(
            actor=staff.actor(role), staff_role=role, staff_name=staff.name, language=page.language
        )
        try:
            if body.decision == "cancel":
                await service.cancel(
                    db_session,
                    caller,
                    visit.id,
                    reason=body.reason,
                    cutoff_hours=0,
                    settings=settings,
                )
                notice, done = "cancelled", "cancelled"
            else:
                approve = body.decision == "approve"
                await service.decide_request(
                    db_session, caller, visit, approve, body.reason, settings=settings
                )
                notice, done = ("confirmed", "approved") if approve else ("rejected", "rejected")
            await db_session.commit()
        except ProblemError as exc:
            await db_session.rollback()
            if exc.status_code == 403:
                raise
            visit = await _visit_at(db_session, facility_id, visit_id)
            message = problem_message(exc.slug, page._)
            return await self._visit_page(
                page,
                db_session,
                visit,
                status=exc.status_code,
                errors={"decision": message},
                form=form,
            )
        await notify_household(db_session, notifier, visit, notice, body.reason)
        redirect = see_other(f"/staff/facilities/{facility_id}/review", done=done)
        return await mail_invite_with(db_session, settings, visit.id, redirect)

    @post("/visits/{visit_id:uuid}/override")
    async def override(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        facility_id: FacilityId,
        visit_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = await StaffPage.at_facility(request, db_session, settings, facility_id)
        visit = await _visit_at(db_session, facility_id, visit_id)
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
            await db_session.commit()
        except ProblemError as exc:
            await db_session.rollback()
            if exc.status_code == 403:
                raise
            visit = await _visit_at(db_session, facility_id, visit_id)
            errors = field_messages(exc.errors, page._) or {
                "rule_id": problem_message(exc.slug, page._)
            }
            return await self._visit_page(
                page, db_session, visit, status=422, errors=errors, form=form
            )
        return see_other(f"/staff/facilities/{facility_id}/visits/{visit_id}", done="overridden")

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
        facility = page.facility
        assert facility is not None
        household: Household | None = None
        lookup_error = None
        if lookup:
            household = await find_household(session, lookup)
            if household is None:
                lookup_error = page._("No household has this e-mail address or mobile number.")
        visitors: list[Visitor] = []
        prisoners: list[Prisoner] = []
        if household is not None:
            visitors = list(
                await session.scalars(
                    sa.select(Visitor)
                    .where(Visitor.household_id == household.id)
                    .order_by(Visitor.birth_date, Visitor.id)
                )
            )
            prisoners = list(
                await session.scalars(
                    sa.select(Prisoner)
                    .where(
                        Prisoner.facility_id == facility.id,
                        Prisoner.id.in_(
                            sa.select(VisitorApproval.prisoner_id).where(
                                VisitorApproval.visitor_id.in_([v.id for v in visitors]),
                                VisitorApproval.status == ApprovalStatus.APPROVED,
                            )
                        ),
                    )
                    .order_by(Prisoner.family_name, Prisoner.given_name)
                )
            )
        zone = ZoneInfo(facility.timezone)
        now = utcnow()
        slots = (
            await session.execute(
                sa.select(Slot, Room.name)
                .join(Room, Room.id == Slot.room_id)
                .where(
                    Slot.facility_id == facility.id,
                    Slot.status == SlotStatus.OPEN,
                    Slot.starts_at > now,
                    Slot.starts_at < now + timedelta(weeks=BOOKING_WEEKS),
                )
                .order_by(Slot.starts_at, Room.name)
                .limit(SLOT_CHOICES)
            )
        ).all()
        slot_options = [
            (
                str(slot.id),
                f"{page.datetime(slot.starts_at, facility.timezone)}\u2013"
                f"{slot.ends_at.astimezone(zone):%H:%M} · {room_name} · "
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
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        facility_id: FacilityId,
        household: Annotated[str, QueryParameter(max_length=254)] = "",
    ) -> Response[Any]:
        page = await StaffPage.at_facility(request, db_session, settings, facility_id)
        page.require(facility_id, BOOKING_ROLES)
        return await self._booking_page(page, db_session, lookup=household.strip())

    @post("/phone-booking")
    async def check_or_book(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        facility_id: FacilityId,
    ) -> Response[Any]:
        """ "Check" shows every rule as the family would see it; "Book" books (with the
        overrides ticked, each needing the role the rule names)."""
        page = await StaffPage.at_facility(request, db_session, settings, facility_id)
        role = page.require(facility_id, BOOKING_ROLES)
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
        except ProblemError as exc:
            errors = field_messages(exc.errors, page._)
            if any(e.get("name") == "overrides" for e in exc.errors):
                errors["override_reason"] = page._("Please give a reason of at least 3 characters.")
            return await self._booking_page(
                page, db_session, lookup=lookup, status=422, form=form, errors=errors
            )
        slot = await db_session.get(Slot, booking.slot_id)
        if slot is None or slot.facility_id != facility_id:
            errors = {"slot_id": page._("Please choose a slot.")}
            return await self._booking_page(
                page, db_session, lookup=lookup, status=422, form=form, errors=errors
            )
        staff = page.principal_staff
        caller = service.Caller(
            actor=staff.actor(role), staff_role=role, staff_name=staff.name, language=page.language
        )
        roles = _roles(page, facility_id)
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
            visit = await staff_actions.book_for_household(
                db_session,
                caller,
                household_id=booking.household_id,
                prisoner_id=booking.prisoner_id,
                slot_id=booking.slot_id,
                visitor_ids=booking.visitor_ids,
                support_needs=booking.support_needs,
                channel=Channel(booking.channel),
                overrides=[(o.rule_id, o.reason) for o in booking.overrides],
                settings=settings,
            )
            await db_session.commit()
        except ProblemError as exc:
            await db_session.rollback()
            if exc.status_code == 403:
                raise
            errors = {"slot_id": problem_message(exc.slug, page._)}
            checked = None
            if exc.slug == "booking-refused":
                verdict = await _staff_verdict(db_session, booking)
                checked = explain(verdict.results, roles, page.language)
                errors = {"slot_id": page._("The rules do not allow this booking as it is.")}
            return await self._booking_page(
                page,
                db_session,
                lookup=lookup,
                status=exc.status_code,
                form=form,
                errors=errors,
                checked=checked,
                outcome="refused" if checked else None,
            )
        done = "requested" if visit.status is VisitStatus.REQUESTED else "booked"
        redirect = see_other(f"/staff/facilities/{facility_id}/visits/{visit.id}", done=done)
        return await mail_invite_with(db_session, settings, visit.id, redirect)


async def _staff_verdict(session: DbSession, booking: StaffBookIn) -> Verdict:
    """Every rule for the booking as staff would make it; ends the read transaction."""
    visitors = await load_visitors(session, booking.visitor_ids, booking.household_id)
    verdict = await judge(
        session,
        slot_id=booking.slot_id,
        prisoner_id=booking.prisoner_id,
        visitors=visitors,
        channel=BookableBy.STAFF,
    )
    await session.commit()
    return verdict
