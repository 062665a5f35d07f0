"""Booking API for households (hold, confirm, cancel, reschedule, checks) and for staff."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import (
    ALL_ROLES,
    BEARER_SECURITY,
    HOUSEHOLD_DEPENDENCIES,
    STAFF_DEPENDENCIES,
    HouseholdPrincipal,
    HouseholdUser,
    StaffPrincipal,
    StaffUser,
    household_guard,
    staff_guard,
)
from visits.booking import checks, idempotency, service, staff_actions
from visits.booking.presenters import notify_household, visit_out
from visits.booking.roles import BOOKING_ROLES, REVIEW_ROLES
from visits.booking.schemas import (
    AnnotatedSlot,
    AttendanceIn,
    CancelIn,
    CheckIn,
    CheckOut,
    HoldIn,
    OverrideIn,
    RescheduleIn,
    ReviewDecisionIn,
    StaffBookIn,
    StaffCancelIn,
    VisitOut,
)
from visits.calendar.mail import mail_invite_after
from visits.db.models import Household, Slot, Visit
from visits.dependencies import AppSettings, DbSession, Notifier
from visits.enums import Channel, RoomFeature, StaffRole, VisitStatus, VisitType
from visits.errors import ProblemError
from visits.facilities import queries
from visits.i18n import negotiate_language
from visits.notify.channels import NotificationChannel
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.settings import Settings
from visits.validation import parse_body

VisitId = FromPath[uuid.UUID]
IDEMPOTENCY_HEADER = {
    "Idempotency-Key": "A unique key per intended change; a retry with it returns the first answer."
}
ANY_ROLE = ALL_ROLES


def _household_caller(request: Request[Any, Any, Any], who: HouseholdPrincipal) -> service.Caller:
    return service.Caller(
        actor=who.actor, household_id=who.household_id, language=negotiate_language(request)
    )


def _staff_caller(
    request: Request[Any, Any, Any],
    staff: StaffPrincipal,
    facility_id: uuid.UUID,
    allowed: frozenset[StaffRole],
) -> service.Caller:
    role = staff.role_for(facility_id, allowed)
    return service.Caller(
        actor=staff.actor(role),
        staff_role=role,
        staff_name=staff.name,
        language=negotiate_language(request),
    )


async def _out(
    session: AsyncSession, visit: Visit, caller: service.Caller, settings: Settings
) -> VisitOut:
    return await visit_out(
        session,
        visit,
        staff=caller.is_staff,
        language=caller.language,
        public_url=settings.resolved_public_url,
    )


class HouseholdVisitController(Controller):
    path = "/api/v1/household"
    tags = ["Household: visits"]
    dependencies = HOUSEHOLD_DEPENDENCIES
    guards = [household_guard]
    security = BEARER_SECURITY

    @get("/slots", summary="Slots annotated for a party: fits, warnings, review, not possible")
    async def annotated_slots(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        prisoner_id: Annotated[uuid.UUID, QueryParameter()],
        visitor_id: Annotated[list[uuid.UUID], QueryParameter(min_items=1, max_items=12)],
        facility_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        visit_type: Annotated[VisitType | None, QueryParameter()] = None,
        feature: Annotated[RoomFeature | None, QueryParameter()] = None,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[AnnotatedSlot]:
        start = date_from or datetime.now(UTC).date()
        end = date_to or start + timedelta(days=27)
        if end < start or (end - start).days > 91:
            raise ProblemError(
                400,
                "invalid-parameters",
                "The date range is 1 to 92 days.",
                errors=[
                    {"name": "to", "in": "query", "detail": "must be 0 to 91 days after 'from'"}
                ],
            )
        criteria = queries.SlotFilter(
            date_from=start,
            date_to=end,
            facility_id=facility_id,
            visit_type=visit_type,
            room_feature=feature.value if feature else None,
        )
        items, total = await checks.annotated_slots(
            db_session,
            household_id=household.household_id,
            prisoner_id=prisoner_id,
            visitor_ids=visitor_id,
            criteria=criteria,
            limit=limit,
            offset=offset,
            language=negotiate_language(request),
        )
        return Page(items, total, limit, offset)

    @post("/checks", status_code=HTTP_200_OK, summary="Dry run: every rule for party and slot")
    async def check(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        data: SkipValidation[CheckIn],
    ) -> CheckOut:
        body = parse_body(CheckIn, data)
        return await checks.check(
            db_session,
            household_id=household.household_id,
            prisoner_id=body.prisoner_id,
            slot_id=body.slot_id,
            visitor_ids=body.visitor_ids,
            staff=False,
            language=negotiate_language(request),
        )

    @post(
        "/holds",
        status_code=HTTP_201_CREATED,
        request_headers=IDEMPOTENCY_HEADER,
        summary="Hold a slot for the party (confirm within the hold time)",
    )
    async def hold(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        data: SkipValidation[HoldIn],
    ) -> Response[Any]:
        body = parse_body(HoldIn, data)
        caller = _household_caller(request, household)

        async def operation() -> tuple[int, Any]:
            visit, _ = await service.hold(
                db_session,
                caller,
                household_id=household.household_id,
                prisoner_id=body.prisoner_id,
                slot_id=body.slot_id,
                visitor_ids=body.visitor_ids,
                support_needs=body.support_needs,
                hold_minutes=settings.hold_minutes,
                channel=Channel.ONLINE,
            )
            await db_session.flush()
            return 201, await _out(db_session, visit, caller, settings)

        return await idempotency.run(request, db_session, caller.idempotency_key, data, operation)

    @post(
        "/visits/{visit_id:uuid}/confirm",
        status_code=HTTP_200_OK,
        request_headers=IDEMPOTENCY_HEADER,
        summary="Confirm a held visit (rules checked again)",
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        visit_id: VisitId,
    ) -> Response[Any]:
        caller = _household_caller(request, household)

        async def operation() -> tuple[int, Any]:
            visit, _ = await service.confirm(
                db_session,
                caller,
                visit_id,
                request_mode_reason="facility takes requests only",
                settings=settings,
            )
            await db_session.flush()
            return 200, await _out(db_session, visit, caller, settings)

        response = await idempotency.run(request, db_session, caller.idempotency_key, {}, operation)
        await mail_invite_after(db_session, settings, response)
        return response

    @post(
        "/visits/{visit_id:uuid}/cancel",
        status_code=HTTP_200_OK,
        request_headers=IDEMPOTENCY_HEADER,
        summary="Cancel (until the cut-off before the visit)",
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        visit_id: VisitId,
        data: SkipValidation[CancelIn],
    ) -> Response[Any]:
        body = parse_body(CancelIn, data)
        caller = _household_caller(request, household)

        async def operation() -> tuple[int, Any]:
            visit = await service.cancel(
                db_session,
                caller,
                visit_id,
                reason=body.reason,
                cutoff_hours=settings.cancel_cutoff_hours,
                settings=settings,
            )
            await db_session.flush()
            return 200, await _out(db_session, visit, caller, settings)

        response = await idempotency.run(
            request, db_session, caller.idempotency_key, data, operation
        )
        await mail_invite_after(db_session, settings, response)
        return response

    @post(
        "/visits/{visit_id:uuid}/reschedule",
        status_code=HTTP_200_OK,
        request_headers=IDEMPOTENCY_HEADER,
        summary="Move the visit to another slot (the old one is kept until the new is secured)",
    )
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        visit_id: VisitId,
        data: SkipValidation[RescheduleIn],
    ) -> Response[Any]:
        body = parse_body(RescheduleIn, data)
        caller = _household_caller(request, household)

        async def operation() -> tuple[int, Any]:
            visit, _ = await service.reschedule(
                db_session, caller, visit_id, body.slot_id, settings=settings
            )
            await db_session.flush()
            return 200, await _out(db_session, visit, caller, settings)

        response = await idempotency.run(
            request, db_session, caller.idempotency_key, data, operation
        )
        await mail_invite_after(db_session, settings, response)
        return response

    @get("/visits", summary="The household's visits")
    async def list_visits(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[VisitOut]:
        caller = _household_caller(request, household)
        condition = Visit.household_id == household.household_id
        total = await db_session.scalar(
            sa.select(sa.func.count()).select_from(Visit).where(condition)
        )
        rows = await db_session.scalars(
            sa.select(Visit)
            .where(condition)
            .order_by(Visit.starts_at.desc(), Visit.id)
            .limit(limit)
            .offset(offset)
        )
        return Page(
            [await _out(db_session, v, caller, settings) for v in rows], total or 0, limit, offset
        )

    @get("/visits/{visit_id:uuid}", summary="One visit")
    async def get_visit(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        visit_id: VisitId,
    ) -> VisitOut:
        caller = _household_caller(request, household)
        visit = await service.own_visit(db_session, visit_id, caller)
        return await _out(db_session, visit, caller, settings)


async def _staff_visit(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    staff: StaffPrincipal,
    visit_id: uuid.UUID,
    allowed: frozenset[StaffRole],
) -> tuple[Visit, service.Caller]:
    visit = await session.scalar(sa.select(Visit).where(Visit.id == visit_id).with_for_update())
    if visit is None:
        raise ProblemError(404, "visit-not-found", "There is no such visit.")
    return visit, _staff_caller(request, staff, visit.facility_id, allowed)


async def _tell_household(
    session: AsyncSession,
    notifier: NotificationChannel,
    response: Response[Any],
    visit: Visit,
    notice: str,
    reason: str,
) -> None:
    """After a staff decision took effect (not on a replay): tell the family."""
    if response.status_code == 200 and "Idempotent-Replayed" not in response.headers:
        await notify_household(session, notifier, visit, notice, reason)


class StaffVisitController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff: visits"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @post("/checks", status_code=HTTP_200_OK, summary="Dry run with the staff view of every rule")
    async def check(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        data: SkipValidation[CheckIn],
    ) -> CheckOut:
        body = parse_body(CheckIn, data)
        slot = await db_session.get(Slot, body.slot_id)
        if slot is None:
            raise ProblemError(404, "slot-not-found", "There is no such slot.")
        staff.role_for(slot.facility_id, ANY_ROLE)
        return await checks.check(
            db_session,
            household_id=None,
            prisoner_id=body.prisoner_id,
            slot_id=body.slot_id,
            visitor_ids=body.visitor_ids,
            staff=True,
            language=negotiate_language(request),
        )

    @post(
        "/visits",
        status_code=HTTP_201_CREATED,
        request_headers=IDEMPOTENCY_HEADER,
        summary="Book for a household (phone or in person), with overrides if needed",
    )
    async def book(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        data: SkipValidation[StaffBookIn],
    ) -> Response[Any]:
        body = parse_body(StaffBookIn, data)
        slot = await db_session.get(Slot, body.slot_id)
        if slot is None:
            raise ProblemError(404, "slot-not-found", "There is no such slot.")
        caller = _staff_caller(request, staff, slot.facility_id, BOOKING_ROLES)
        if await db_session.get(Household, body.household_id) is None:
            raise ProblemError(404, "household-not-found", "There is no such household.")

        async def operation() -> tuple[int, Any]:
            visit = await staff_actions.book_for_household(
                db_session,
                caller,
                household_id=body.household_id,
                prisoner_id=body.prisoner_id,
                slot_id=body.slot_id,
                visitor_ids=body.visitor_ids,
                support_needs=body.support_needs,
                channel=Channel(body.channel),
                overrides=[(o.rule_id, o.reason) for o in body.overrides],
                settings=settings,
            )
            return 201, await _out(db_session, visit, caller, settings)

        response = await idempotency.run(
            request, db_session, caller.idempotency_key, data, operation
        )
        await mail_invite_after(db_session, settings, response)
        return response

    @get(
        "/facilities/{facility_id:uuid}/visits",
        summary="Visits of a facility; the review queue with needs_review=true",
    )
    async def list_visits(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        facility_id: FromPath[uuid.UUID],
        status: Annotated[VisitStatus | None, QueryParameter()] = None,
        needs_review: Annotated[bool | None, QueryParameter()] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[VisitOut]:
        caller = _staff_caller(request, staff, facility_id, ANY_ROLE)
        statement = sa.select(Visit).where(Visit.facility_id == facility_id)
        if status is not None:
            statement = statement.where(Visit.status == status)
        if needs_review is not None:
            statement = statement.where(Visit.needs_review.is_(needs_review))
        total = await db_session.scalar(
            sa.select(sa.func.count()).select_from(statement.subquery())
        )
        rows = await db_session.scalars(
            statement.order_by(Visit.starts_at, Visit.id).limit(limit).offset(offset)
        )
        return Page(
            [await _out(db_session, v, caller, settings) for v in rows], total or 0, limit, offset
        )

    @get("/visits/{visit_id:uuid}", summary="One visit with every rule result")
    async def get_visit(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        visit_id: VisitId,
    ) -> VisitOut:
        visit, caller = await _staff_visit(request, db_session, staff, visit_id, ANY_ROLE)
        return await _out(db_session, visit, caller, settings)

    @post(
        "/visits/{visit_id:uuid}/decision",
        status_code=HTTP_200_OK,
        request_headers=IDEMPOTENCY_HEADER,
        summary="Approve or reject a request, with a reason",
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        notifier: Notifier,
        visit_id: VisitId,
        data: SkipValidation[ReviewDecisionIn],
    ) -> Response[Any]:
        body = parse_body(ReviewDecisionIn, data)
        visit, caller = await _staff_visit(request, db_session, staff, visit_id, REVIEW_ROLES)

        async def operation() -> tuple[int, Any]:
            await service.decide_request(
                db_session,
                caller,
                visit,
                body.decision == "approve",
                body.reason,
                settings=settings,
            )
            await db_session.flush()
            return 200, await _out(db_session, visit, caller, settings)

        response = await idempotency.run(
            request, db_session, caller.idempotency_key, data, operation
        )
        await mail_invite_after(db_session, settings, response)
        notice = "confirmed" if body.decision == "approve" else "rejected"
        await _tell_household(db_session, notifier, response, visit, notice, body.reason)
        return response

    @post(
        "/visits/{visit_id:uuid}/overrides",
        status_code=HTTP_200_OK,
        summary="Override a failed HARD rule for this visit (the role the rule names)",
    )
    async def override(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        visit_id: VisitId,
        data: SkipValidation[OverrideIn],
    ) -> VisitOut:
        body = parse_body(OverrideIn, data)
        visit, caller = await _staff_visit(request, db_session, staff, visit_id, ANY_ROLE)
        caller = await staff_actions.override_rule(
            db_session, staff, visit, body.rule_id, body.reason, language=caller.language
        )
        await db_session.commit()
        return await _out(db_session, visit, caller, settings)

    @post(
        "/visits/{visit_id:uuid}/attendance",
        status_code=HTTP_200_OK,
        summary="Record attended or no-show",
    )
    async def attendance(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        visit_id: VisitId,
        data: SkipValidation[AttendanceIn],
    ) -> VisitOut:
        body = parse_body(AttendanceIn, data)
        visit, caller = await _staff_visit(request, db_session, staff, visit_id, BOOKING_ROLES)
        await service.mark_attendance(
            db_session, caller, visit, body.outcome == "attended", settings=settings
        )
        await db_session.commit()
        return await _out(db_session, visit, caller, settings)

    @post(
        "/visits/{visit_id:uuid}/cancel",
        status_code=HTTP_200_OK,
        request_headers=IDEMPOTENCY_HEADER,
        summary="Cancel with a reason; the household is told",
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        notifier: Notifier,
        visit_id: VisitId,
        data: SkipValidation[StaffCancelIn],
    ) -> Response[Any]:
        body = parse_body(StaffCancelIn, data)
        visit, caller = await _staff_visit(request, db_session, staff, visit_id, BOOKING_ROLES)

        async def operation() -> tuple[int, Any]:
            await service.cancel(
                db_session, caller, visit.id, reason=body.reason, cutoff_hours=0, settings=settings
            )
            await db_session.flush()
            return 200, await _out(db_session, visit, caller, settings)

        response = await idempotency.run(
            request, db_session, caller.idempotency_key, data, operation
        )
        await mail_invite_after(db_session, settings, response)
        await _tell_household(db_session, notifier, response, visit, "cancelled", body.reason)
        return response
