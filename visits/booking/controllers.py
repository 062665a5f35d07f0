"""Booking API for households (hold, confirm, cancel, reschedule, checks) and for staff."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, HeaderParameter, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import (
    ALL_ROLES,
    BEARER_SECURITY,
    HOUSEHOLD_DEPENDENCIES,
    STAFF_DEPENDENCIES,
    HouseholdUser,
    StaffUser,
    household_guard,
    staff_guard,
)
from visits.booking import checks, idempotency, service, staff_actions
from visits.booking import queries as visit_queries
from visits.booking.dependencies import (
    HOUSEHOLD_CALLER,
    CallersVisit,
    RequestCaller,
    household_visit,
    staff_at_facility,
    staff_caller,
    staff_visit,
)
from visits.booking.presenters import visit_out
from visits.booking.roles import BOOKING_ROLES, REVIEW_ROLES, acting_role
from visits.booking.schemas import (
    MAX_PARTY,
    AnnotatedSlotPage,
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
    VisitPage,
)
from visits.dates import DateFrom, DateTo
from visits.db.models import Household, Slot, Visit
from visits.dependencies import AppSettings, DbSession, RequestLanguage
from visits.enums import Attendance, Channel, RoomFeature, VisitStatus, VisitType
from visits.errors import NotFound
from visits.facilities import queries
from visits.facilities.presenters import slot_out
from visits.facilities.schemas.public import SlotPage
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.rules.catalogue import RuleId
from visits.settings import Settings
from visits.validation import parse_body

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        description="A unique key per intended change (e.g. a UUID), 1 to "
        f"{idempotency.MAX_KEY_LENGTH} printable characters. A retry with the same key and "
        "body changes nothing and returns the first answer, refusals included, with the "
        "header `Idempotent-Replayed: true`; a concurrent retry waits for the first request.",
        examples=[Example(value="3f1c9b7e-6a52-4d0e-9c1e-2b7d5a8f4e10")],
    ),
]
REPLAYED = [
    ResponseHeader(
        name=idempotency.REPLAYED_HEADER,
        description="`true` when the answer is the stored one of an earlier request with the "
        "same Idempotency-Key (nothing changed this time).",
        required=False,
        documentation_only=True,
    )
]
# What every keyed operation can answer about its key.
KEY_PROBLEMS = ("invalid-idempotency-key", "idempotency-key-reused", "request-in-progress")
# What judging a party for a slot can answer (booking.facts): who comes, where, for whom.
PARTY_PROBLEMS = (
    "invalid-party",
    "visitor-not-found",
    "slot-not-found",
    "prisoner-not-at-facility",
)

PRISONER = "6d1f4c1e-8f0a-4c39-9a51-3b0f2f6c7d10"
SLOT = "0b7f4a53-9e0c-4f7e-a1de-2f1c8a0e6d11"
ADULT, CHILD = "5a3c2e71-0d4b-4f8e-b6a9-1c2d3e4f5a6b", "7c9e1f20-3a4b-4c5d-8e6f-7a8b9c0d1e2f"
HOUSEHOLD = "2e4d6f80-1a3b-4c5d-9e7f-0a1b2c3d4e5f"
FeatureFilter = Annotated[
    RoomFeature | None, QueryParameter(description="Only rooms with this feature.")
]
PARTY_EXAMPLE = {"prisoner_id": PRISONER, "slot_id": SLOT, "visitor_ids": [ADULT, CHILD]}


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
    dependencies = {**HOUSEHOLD_DEPENDENCIES, **HOUSEHOLD_CALLER}
    guards = [household_guard]
    security = BEARER_SECURITY

    @get(
        "/slots",
        summary="Slots annotated for a party: fits, warnings, review, not possible",
        response_description="One page of slots, each with the verdict for the party.",
        responses=problems("prisoner-not-found", "visitor-not-found", "invalid-party"),
    )
    async def annotated_slots(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        language: RequestLanguage,
        prisoner_id: Annotated[
            uuid.UUID,
            QueryParameter(description="A prisoner the household is approved to visit."),
        ],
        visitor_id: Annotated[
            list[uuid.UUID],
            QueryParameter(
                min_items=1,
                max_items=MAX_PARTY,
                description=f"The party: 1 to {MAX_PARTY} visitors of the household, each once "
                "(repeat the parameter).",
            ),
        ],
        facility_id: Annotated[
            uuid.UUID | None,
            QueryParameter(
                description="Optional: the prisoner's facility (slots are always those of the "
                "prisoner's facility; another facility answers 400)."
            ),
        ] = None,
        visit_type: Annotated[VisitType | None, QueryParameter()] = None,
        feature: FeatureFilter = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> AnnotatedSlotPage:
        """The bookable slots at the prisoner's facility, each judged by every rule for this
        party, in time order.

        For a signed-in household, for a prisoner someone in the household is approved to
        visit (otherwise 404 `prisoner-not-found`, whether or not the prisoner exists). Each slot
        says `fits`, `warnings` (bookable; read the reasons), `review` (a request staff decide)
        or `not_possible`, with the reasons in the family view: a confidential result
        (safeguarding, a child's wish) only asks the family to contact the facility. Holds that
        ran out give their capacity back before the slots are read. Paginated with `limit` and
        `offset`.
        """
        prisoner, facility = await checks.visitable_prisoner(
            db_session, household.household_id, prisoner_id
        )
        if facility_id is not None and facility_id != facility.id:
            raise checks.parameter_problem("facility_id", "is not the prisoner's facility")
        start, end = checks.date_range(ZoneInfo(facility.timezone), date_from, date_to)
        criteria = queries.SlotFilter(
            date_from=start,
            date_to=end,
            facility_id=facility.id,
            visit_type=visit_type,
            room_feature=feature.value if feature else None,
        )
        items, total = await checks.annotated_slots(
            db_session,
            household_id=household.household_id,
            prisoner_id=prisoner.id,
            visitor_ids=visitor_id,
            criteria=criteria,
            limit=limit,
            offset=offset,
            language=language,
        )
        return Page(items, total, limit, offset)

    @post(
        "/checks",
        status_code=HTTP_200_OK,
        summary="Dry run: every rule for party and slot",
        response_description="The outcome and every rule's result (family view).",
        responses=problems("invalid-body", *PARTY_PROBLEMS),
    )
    async def check(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        language: RequestLanguage,
        data: Annotated[
            SkipValidation[CheckIn],
            Body(examples=[Example(summary="A parent and a child", value=PARTY_EXAMPLE)]),
        ],
    ) -> CheckOut:
        """Judges a booking without making it: every booking rule's result for this party,
        slot and prisoner, and the outcome (`bookable`, `review` or `refused`).

        For a signed-in household; the visitors must belong to it. A household of which nobody
        is approved to visit the prisoner gets CF-04 as the only result. Results are in the
        family view and in the request's language (`Accept-Language` or `?lang=`).
        """
        body = parse_body(CheckIn, data)
        return await checks.check(
            db_session,
            household_id=household.household_id,
            prisoner_id=body.prisoner_id,
            slot_id=body.slot_id,
            visitor_ids=body.visitor_ids,
            staff=False,
            language=language,
        )

    @post(
        "/holds",
        status_code=HTTP_201_CREATED,
        summary="Hold a slot for the party (confirm within the hold time), or ask for it",
        response_description="The held visit (or, with `request_review`, the requested one).",
        responses=problems(
            "invalid-body",
            *PARTY_PROBLEMS,
            "prisoner-busy",
            "slot-full",
            "booking-refused",
            "no-request-needed",
            *KEY_PROBLEMS,
        ),
        response_headers=REPLAYED,
    )
    async def hold(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        caller: RequestCaller,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[HoldIn],
            Body(
                examples=[
                    Example(summary="A parent and a child", value=PARTY_EXAMPLE),
                    Example(
                        summary="With support needs",
                        value=PARTY_EXAMPLE | {"support_needs": "Wheelchair access, please."},
                    ),
                    Example(
                        summary="A large sibling group asks the facility",
                        value=PARTY_EXAMPLE | {"request_review": True},
                    ),
                ]
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Checks every rule and, if the booking is possible, reserves the slot's capacity for
        the party: the visit is `held` until `hold_expires_at` and must be confirmed before.

        For a signed-in household; the visitors must belong to it. A household of which nobody
        is approved to visit the prisoner is refused for CF-04 alone, before anything about the
        prisoner's calendar is read (so never `prisoner-busy`). A refusal lists every
        failed rule at once in `rule_results` (422 `booking-refused`); a slot that has just
        filled answers 409 `slot-full`, and a prisoner with another visit at that time 409
        `prisoner-busy`. Capacity is taken by the database, so concurrent holds never overbook.
        Send an `Idempotency-Key` to retry safely.

        A group larger than the usual limit per visit (CF-07, e.g. a parent with four children)
        is never a dead end: when CF-07 is the only rule that refuses, the refusal says
        `request_review_possible: true`, and the same body with `request_review: true` sends
        the booking as a request. The visit is then `requested` (no hold time), takes its
        places in the slot as every request does (room capacity, CF-07b, is never exceeded),
        and waits in the facility's review queue; a visits manager approves it (setting CF-07
        aside for this visit, audited) or rejects it, and the household is told. Any other
        refusal answers `booking-refused` as without the flag; a booking that is possible
        without a request answers 422 `no-request-needed`.
        """
        body = parse_body(HoldIn, data)

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
                request_review=body.request_review,
            )
            return 201, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, data, operation
        )

    @post(
        "/visits/{visit_id:uuid}/confirm",
        status_code=HTTP_200_OK,
        summary="Confirm a held visit (rules checked again)",
        response_description="The visit, confirmed or requested.",
        responses=problems(
            "visit-not-found",
            "not-held",
            "hold-expired",
            "booking-refused",
            "visitor-not-found",
            "prisoner-not-at-facility",
            *KEY_PROBLEMS,
        ),
        response_headers=REPLAYED,
        dependencies=household_visit(lock=True),
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Confirms a held visit of the household. Every rule is checked again.

        The answer is `confirmed` (the allowance is debited, reminders are planned and, where
        e-mail is set up, the invite is sent), or `requested` when a rule sends it to staff
        review or the facility takes requests only; staff then decide. A hold that ran out
        answers 409 `hold-expired` (choose the slot again). No body. Send an `Idempotency-Key`
        to retry safely.
        """

        async def operation() -> tuple[int, Any]:
            await service.confirm(
                db_session,
                caller,
                visit,
                settings=settings,
            )
            return 200, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, {}, operation
        )

    @post(
        "/visits/{visit_id:uuid}/cancel",
        status_code=HTTP_200_OK,
        summary="Cancel (until the cut-off before the visit)",
        response_description="The cancelled visit.",
        responses=problems(
            "invalid-body",
            "visit-not-found",
            "not-cancellable",
            "past-cancel-cutoff",
            *KEY_PROBLEMS,
        ),
        response_headers=REPLAYED,
        dependencies=household_visit(lock=True),
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[CancelIn],
            Body(
                examples=[
                    Example(summary="With a reason", value={"reason": "Our daughter is ill."}),
                    Example(summary="Without a reason", value={"reason": None}),
                ]
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Cancels a held, requested or confirmed visit of the household and gives its capacity
        and allowance back.

        A confirmed visit can be cancelled online until the facility's cut-off before it starts
        (409 `past-cancel-cutoff` after: the family calls the facility). The calendar invite is
        cancelled (SEQUENCE goes up). Send an `Idempotency-Key` to retry safely.
        """
        body = parse_body(CancelIn, data)

        async def operation() -> tuple[int, Any]:
            await service.cancel(
                db_session,
                caller,
                visit,
                reason=body.reason,
                cutoff_hours=settings.cancel_cutoff_hours,
                settings=settings,
            )
            return 200, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, data, operation
        )

    @post(
        "/visits/{visit_id:uuid}/reschedule",
        status_code=HTTP_200_OK,
        summary="Move the visit to another slot (the old one is kept until the new is secured)",
        response_description="The visit at its new slot.",
        responses=problems(
            "invalid-body",
            "visit-not-found",
            "not-reschedulable",
            "same-slot",
            *PARTY_PROBLEMS,
            "prisoner-busy",
            "slot-full",
            "booking-refused",
            *KEY_PROBLEMS,
        ),
        response_headers=REPLAYED,
        dependencies=household_visit(lock=True),
    )
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[RescheduleIn],
            Body(examples=[Example(summary="Another slot", value={"slot_id": SLOT})]),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Moves a confirmed or requested visit of the household to another slot, for the same
        party, after checking every rule for the new slot.

        The new slot is secured first and the old one released in the same transaction: a
        refusal or a full slot leaves the visit where it was. The calendar UID stays and
        SEQUENCE goes up. A large group's request (sent with `request_review`) moves as a
        request when the group limit (CF-07) is still the only reason against the new slot.
        Send an `Idempotency-Key` to retry safely.
        """
        body = parse_body(RescheduleIn, data)

        async def operation() -> tuple[int, Any]:
            await service.reschedule(db_session, caller, visit, body.slot_id, settings=settings)
            return 200, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, data, operation
        )

    @get(
        "/visits",
        summary="The household's visits",
        response_description="One page of the household's visits.",
    )
    async def list_visits(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        caller: RequestCaller,
        settings: AppSettings,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> VisitPage:
        """Every visit of the household in every state, latest first, with the rule results
        in the family view. Paginated with `limit` and `offset`."""
        rows, total = await visit_queries.household_visit_page(
            db_session, household.household_id, limit=limit, offset=offset
        )
        return Page(
            [await _out(db_session, v, caller, settings) for v in rows], total, limit, offset
        )

    @get(
        "/visits/{visit_id:uuid}",
        summary="One visit",
        response_description="The visit.",
        responses=problems("visit-not-found"),
        dependencies=household_visit(lock=False),
    )
    async def get_visit(
        self,
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
    ) -> VisitOut:
        """One visit of the household; another household's visit answers 404 as if it did not
        exist."""
        return await _out(db_session, visit, caller, settings)


class StaffVisitController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff: visits"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @post(
        "/checks",
        status_code=HTTP_200_OK,
        summary="Dry run with the staff view of every rule",
        response_description="The outcome and every rule's result (staff view).",
        responses=problems("invalid-body", *PARTY_PROBLEMS),
    )
    async def check(
        self,
        db_session: DbSession,
        staff: StaffUser,
        language: RequestLanguage,
        data: Annotated[
            SkipValidation[CheckIn],
            Body(examples=[Example(summary="A parent and a child", value=PARTY_EXAMPLE)]),
        ],
    ) -> CheckOut:
        """Judges a booking without making it, as staff booking by phone would: every rule's
        result in the staff view (reasons of confidential results, the role that may override
        each failed HARD rule) and the outcome.

        For any staff role at the slot's facility (admins: every facility). The visitors must
        belong to one household.
        """
        body = parse_body(CheckIn, data)
        slot = await db_session.get(Slot, body.slot_id)
        if slot is None:
            raise NotFound("slot-not-found", "There is no such slot.")
        acting_role(staff, slot.facility_id, ALL_ROLES)
        return await checks.check(
            db_session,
            household_id=None,
            prisoner_id=body.prisoner_id,
            slot_id=body.slot_id,
            visitor_ids=body.visitor_ids,
            staff=True,
            language=language,
        )

    @post(
        "/visits",
        status_code=HTTP_201_CREATED,
        summary="Book for a household (phone or in person), with overrides if needed",
        response_description="The booked visit, confirmed or requested.",
        responses=problems(
            "invalid-body",
            "household-not-found",
            *PARTY_PROBLEMS,
            "prisoner-busy",
            "slot-full",
            "booking-refused",
            *KEY_PROBLEMS,
        ),
        response_headers=REPLAYED,
    )
    async def book(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        language: RequestLanguage,
        data: Annotated[
            SkipValidation[StaffBookIn],
            Body(
                examples=[
                    Example(
                        summary="A phone booking",
                        value=PARTY_EXAMPLE | {"household_id": HOUSEHOLD, "channel": "phone"},
                    ),
                    Example(
                        summary="With a rule set aside",
                        value=PARTY_EXAMPLE
                        | {
                            "household_id": HOUSEHOLD,
                            "visitor_ids": [CHILD],
                            "overrides": [
                                {
                                    "rule_id": RuleId.CF_01.value,
                                    "reason": "Escorted by the youth office (accredited).",
                                }
                            ],
                        },
                    ),
                ]
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Books a visit for a household in one step (hold and confirm), as taken on the phone
        or in person: `confirmed`, or `requested` when a rule sends it to review or the facility
        takes requests only.

        For visits officers and visits managers of the slot's facility (admins: every
        facility). Staff may book slots the public cannot. A failed HARD rule can be set aside
        in `overrides`, each with a reason, but only by the role the rule names; an override
        the caller may not make is refused with `override_problems` beside `rule_results`.
        Every override is audited. Send an `Idempotency-Key` to retry safely.
        """
        body = parse_body(StaffBookIn, data)
        slot = await db_session.get(Slot, body.slot_id)
        if slot is None:
            raise NotFound("slot-not-found", "There is no such slot.")
        caller = staff_caller(staff, slot.facility_id, BOOKING_ROLES, language)
        if await db_session.get(Household, body.household_id) is None:
            raise NotFound("household-not-found", "There is no such household.")

        async def operation() -> tuple[int, Any]:
            visit = await staff_actions.book_for_household(db_session, caller, body, settings)
            return 201, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, data, operation
        )

    @get(
        "/facilities/{facility_id:uuid}/visits",
        summary="Visits of a facility; the review queue with needs_review=true",
        response_description="One page of the facility's visits.",
        responses=problems("facility-not-found"),
        dependencies=staff_at_facility(ALL_ROLES),
    )
    async def list_visits(
        self,
        db_session: DbSession,
        caller: RequestCaller,
        settings: AppSettings,
        facility_id: FromPath[uuid.UUID],
        status: Annotated[
            VisitStatus | None, QueryParameter(description="Only visits in this state.")
        ] = None,
        needs_review: Annotated[
            bool | None,
            QueryParameter(description="`true`: the review queue (requests and flagged visits)."),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> VisitPage:
        """The facility's visits in time order, with every rule result in the staff view.

        For any staff role at the facility (admins: every facility); a facility where the
        caller holds no role answers 403, whether or not it exists. `needs_review=true` is the
        review queue. Paginated with `limit` and `offset`.
        """
        await queries.facility_or_404(db_session, facility_id, active_only=True)
        rows, total = await visit_queries.facility_visits(
            db_session,
            facility_id,
            status=status,
            needs_review=needs_review,
            limit=limit,
            offset=offset,
        )
        return Page(
            [await _out(db_session, v, caller, settings) for v in rows], total, limit, offset
        )

    @get(
        "/visits/{visit_id:uuid}",
        summary="One visit with every rule result",
        response_description="The visit (staff view).",
        responses=problems("visit-not-found"),
        dependencies=staff_visit(ALL_ROLES, lock=False),
    )
    async def get_visit(
        self,
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
    ) -> VisitOut:
        """One visit with every rule result in the staff view, its review reason and the
        role that may override each failed rule. For any staff role at the visit's facility
        (admins: every facility)."""
        return await _out(db_session, visit, caller, settings)

    @post(
        "/visits/{visit_id:uuid}/decision",
        status_code=HTTP_200_OK,
        summary="Approve or reject a request, with a reason",
        response_description="The visit, confirmed or rejected.",
        responses=problems(
            "invalid-body",
            "visit-not-found",
            "nothing-to-decide",
            "booking-refused",
            "visitor-not-found",
            "prisoner-not-at-facility",
            *KEY_PROBLEMS,
        ),
        response_headers=REPLAYED,
        dependencies=staff_visit(REVIEW_ROLES, lock=True, decides=True),
    )
    async def decide(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[ReviewDecisionIn],
            Body(
                examples=[
                    Example(
                        summary="Approve",
                        value={"decision": "approve", "reason": "Escort confirmed by phone."},
                    ),
                    Example(
                        summary="Reject",
                        value={"decision": "reject", "reason": "The room is closed that day."},
                    ),
                ]
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Settles a request: `approve` checks every rule again and confirms it (debits the
        allowance); `reject` releases its capacity. A confirmed visit flagged for review is
        cleared with `approve`. The household is told by e-mail or SMS.

        For visits officers, visits managers and safeguarding leads of the visit's facility
        (admins: every facility). A request held by a rule that names a role is approved only
        in that role (403 otherwise): safeguarding (CF-05, CF-19) and a child's wish (CF-22) by
        the safeguarding lead, a long visit (CF-25) by a visits manager. A family's request for
        a group larger than the usual limit (CF-07, sent with `request_review`) is approved by a
        visits manager, which sets CF-07 aside for this visit (an override with the reason).
        The reason is audited. Send an `Idempotency-Key` to retry safely.
        """
        body = parse_body(ReviewDecisionIn, data)

        async def operation() -> tuple[int, Any]:
            await service.decide_request(
                db_session,
                caller,
                visit,
                body.decision == "approve",
                body.reason,
                settings=settings,
            )
            return 200, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, data, operation
        )

    @post(
        "/visits/{visit_id:uuid}/overrides",
        status_code=HTTP_200_OK,
        summary="Override a failed HARD rule for this visit (the role the rule names)",
        response_description="The visit with the override.",
        responses=problems("invalid-body", "visit-not-found", "nothing-to-override"),
        dependencies=staff_visit(ALL_ROLES, lock=True),
    )
    async def override(
        self,
        db_session: DbSession,
        staff: StaffUser,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[OverrideIn],
            Body(
                examples=[
                    Example(
                        summary="Set aside the adult rule",
                        value={
                            "rule_id": RuleId.CF_01.value,
                            "reason": "Escorted by the youth office (accredited).",
                        },
                    )
                ]
            ),
        ],
    ) -> VisitOut:
        """Sets aside one failed HARD rule for this visit, with a reason; the next check of
        the visit (confirmation, a decision) passes it.

        Any staff member at the visit's facility may call it, but the override is made in the
        caller's role the rule names (e.g. CF-01 by a visits manager, CF-05 by the safeguarding
        lead); without that role, 403. A rule that did not fail for the visit answers 422
        `nothing-to-override`. Audited; overriding the same rule twice keeps one override.
        """
        body = parse_body(OverrideIn, data)
        in_role = await staff_actions.override_rule(
            db_session, staff, visit, body.rule_id, body.reason, language=caller.language
        )
        return await _out(db_session, visit, in_role, settings)

    @post(
        "/visits/{visit_id:uuid}/attendance",
        status_code=HTTP_200_OK,
        summary="Check in: attended, late or no-show",
        response_description="The visit, attended or no-show.",
        responses=problems("invalid-body", "visit-not-found", "not-confirmed", "not-started"),
        dependencies=staff_visit(BOOKING_ROLES, lock=True),
    )
    async def attendance(
        self,
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[AttendanceIn],
            Body(
                examples=[
                    Example(summary="Attended", value={"outcome": "attended"}),
                    Example(summary="Arrived late", value={"outcome": "late"}),
                    Example(summary="No-show", value={"outcome": "no_show"}),
                ]
            ),
        ],
    ) -> VisitOut:
        """The gate's check-in of a confirmed visit: `attended` or `late` from the start of
        the visit's local day (the party arrived), `no_show` once the visit has begun (409
        `not-started` before). A no-show gives the visit's allowance back to the prisoner's
        ledger. The console's day sheet records the same. For visits officers and visits
        managers of the visit's facility (admins: every facility)."""
        body = parse_body(AttendanceIn, data)
        await service.mark_attendance(
            db_session, caller, visit, Attendance(body.outcome), settings=settings
        )
        return await _out(db_session, visit, caller, settings)

    @post(
        "/visits/{visit_id:uuid}/cancel",
        status_code=HTTP_200_OK,
        summary="Cancel with a reason; the household is told",
        response_description="The cancelled visit.",
        responses=problems("invalid-body", "visit-not-found", "not-cancellable", *KEY_PROBLEMS),
        response_headers=REPLAYED,
        dependencies=staff_visit(BOOKING_ROLES, lock=True),
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[StaffCancelIn],
            Body(
                examples=[
                    Example(
                        summary="The room is closed",
                        value={"reason": "The room is closed for repairs."},
                    )
                ]
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Cancels a held, requested or confirmed visit at any time (no cut-off for staff) and
        gives its capacity and allowance back; the household is told, with the reason, by
        e-mail or SMS, and its calendar invite is cancelled.

        For visits officers and visits managers of the visit's facility (admins: every
        facility). Send an `Idempotency-Key` to retry safely.
        """
        body = parse_body(StaffCancelIn, data)

        async def operation() -> tuple[int, Any]:
            await service.cancel(
                db_session, caller, visit, reason=body.reason, cutoff_hours=0, settings=settings
            )
            return 200, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, data, operation
        )

    @post(
        "/visits/{visit_id:uuid}/reschedule",
        status_code=HTTP_200_OK,
        summary="Move a visit to another slot; the household is told",
        response_description="The visit at its new slot.",
        responses=problems(
            "invalid-body",
            "visit-not-found",
            "not-reschedulable",
            "same-slot",
            *PARTY_PROBLEMS,
            "prisoner-busy",
            "slot-full",
            "booking-refused",
            *KEY_PROBLEMS,
        ),
        response_headers=REPLAYED,
        dependencies=staff_visit(BOOKING_ROLES, lock=True),
    )
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: RequestCaller,
        visit: CallersVisit,
        settings: AppSettings,
        data: Annotated[
            SkipValidation[RescheduleIn],
            Body(examples=[Example(summary="Another slot", value={"slot_id": SLOT})]),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[VisitOut]:
        """Moves a confirmed or requested visit to another slot of its facility (e.g. one a
        closure flagged), for the same party, after checking every rule for the new slot as a
        booking by staff. The new slot is secured before the old one is released; the household
        is told by e-mail or SMS and gets the updated invite (same UID, SEQUENCE up).

        For visits officers and visits managers of the visit's facility (admins: every
        facility). Send an `Idempotency-Key` to retry safely.
        """
        body = parse_body(RescheduleIn, data)

        async def operation() -> tuple[int, Any]:
            await service.reschedule(db_session, caller, visit, body.slot_id, settings=settings)
            return 200, await _out(db_session, visit, caller, settings)

        return await idempotency.run(
            request, db_session, caller.idempotency_key, idempotency_key, data, operation
        )


class SlotController(Controller):
    path = "/api/v1/slots"
    tags = ["Slots"]

    @get(
        "/",
        summary="List bookable slots with remaining capacity",
        responses=problems("facility-not-found"),
    )
    async def list_slots(
        self,
        db_session: DbSession,
        facility_id: Annotated[
            uuid.UUID | None,
            QueryParameter(description="Only this facility; its local dates apply."),
        ] = None,
        room_id: Annotated[uuid.UUID | None, QueryParameter(description="Only this room.")] = None,
        visit_type: Annotated[
            VisitType | None, QueryParameter(description="Only this type of visit.")
        ] = None,
        feature: FeatureFilter = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> SlotPage:
        """Open slots the public may book that have not started, in time order, with what is
        left of their capacity. Public: no sign-in needed.

        Dates are local dates of the slot's facility. Without `facility_id`, "today" is the
        date in UTC. A range that is backwards, longer than 92 days or outside the supported
        years answers 400 `invalid-parameters` naming the parameter; an unknown `facility_id`
        answers 404 `facility-not-found`. Signed-in households get the same slots judged for
        their party from `GET /api/v1/household/slots`."""
        zone = ZoneInfo("UTC")
        if facility_id is not None:
            facility = await queries.facility_or_404(db_session, facility_id, active_only=True)
            zone = ZoneInfo(facility.timezone)
        start, end = checks.date_range(zone, date_from, date_to)
        # Holds that ran out give their capacity back before anyone reads the counters.
        await service.expire_holds(db_session)
        criteria = queries.SlotFilter(
            date_from=start,
            date_to=end,
            facility_id=facility_id,
            room_id=room_id,
            visit_type=visit_type,
            room_feature=feature.value if feature else None,
        )
        rows, total = await queries.list_public_slots(
            db_session, criteria, limit=limit, offset=offset
        )
        return Page([slot_out(r) for r in rows], total, limit, offset)
