"""Staff API: prisoners and visitor approvals per facility, audit trails, and the notices to
families that need attention."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_200_OK

from visits.accounts.principals import (
    BEARER_SECURITY,
    STAFF_DEPENDENCIES,
    StaffUser,
    staff_guard,
)
from visits.dependencies import DbSession, RequestLanguage
from visits.enums import ApprovalStatus, ReminderState
from visits.facilities.queries import facility_or_404
from visits.facilities.service.access import READ_ROLES
from visits.notify import queries as notify_queries
from visits.notify.presenters import shown_error
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.people import service
from visits.people.alerts import AlertOut, facility_alerts
from visits.people.schemas import (
    AuditEventPage,
    DecisionIn,
    NoticeOut,
    NoticePage,
    PrisonerIn,
    PrisonerOut,
    PrisonerPage,
    StaffApprovalOut,
    StaffApprovalPage,
)
from visits.validation import parse_body

# Object types are snake_case words; object ids are UUIDs or references (no spaces, no controls).
# "(?![\s\S])" ends the text in Python and ECMA alike ("$" lets a final line break through).
ObjectType = Annotated[
    str,
    QueryParameter(
        min_length=1,
        max_length=32,
        pattern=r"^[a-z_]+(?![\s\S])",
        description="What the object is: visit, visitor, visitor_approval, staff_member, …",
        examples=[Example(value="visitor_approval")],
    ),
]
ObjectId = Annotated[
    str,
    QueryParameter(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+(?![\s\S])",
        description="The object's id (a UUID, or a visit reference).",
        examples=[Example(value="0b7f4a53-9e0c-4f7e-a1de-2f1c8a0e6d11")],
    ),
]

AttentionState = Annotated[
    Literal["pending", "failed", "undeliverable"] | None,
    QueryParameter(
        name="state",  # ``state`` itself is a name Litestar keeps for the application state
        description="Only notices in this state: `failed` (given up after every attempt, or "
        "Twilio reported the SMS failed), `undeliverable` (no channel, or the address or number "
        "was refused), `pending` (failed at least once, to be tried again).",
    ),
]

PRISONER_EXAMPLE = {
    "prison_number": "B-2024-0815",
    "given_name": "Jonas",
    "family_name": "Beispiel",
    "admission_date": "2026-10-20",
    "custody_status": "sentenced",
}


class StaffPeopleController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @get(
        "/facilities/{facility_id:uuid}/prisoners",
        summary="Prisoners at a facility",
        responses=problems("facility-not-found"),
    )
    async def prisoners(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> PrisonerPage:
        """The prisoners held at the facility, by family name, one page at a time.

        Any staff role at the facility may read the list (admins: every facility); a facility
        where the caller holds no role answers 403, whether or not it exists.
        """
        rows, total = await service.list_prisoners(
            db_session, staff, facility_id, limit=limit, offset=offset
        )
        return Page([service.prisoner_out(p) for p in rows], total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/prisoners",
        summary="Register a prisoner",
        responses=problems("invalid-body", "facility-not-found", "prisoner-exists"),
    )
    async def add_prisoner(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[PrisonerIn],
            Body(examples=[Example(summary="A sentenced prisoner", value=PRISONER_EXAMPLE)]),
        ],
    ) -> PrisonerOut:
        """Registers a prisoner at the facility, so that families can ask for approval to visit.

        For visits officers and visits managers of the facility (and admins). A prison number is
        unique within a facility: a second registration answers 409 `prisoner-exists`, also when
        two requests race. The admission date must not be in the future; it starts the CF-14
        watch for a first child visit.
        """
        body = parse_body(PrisonerIn, data)
        return service.prisoner_out(
            await service.create_prisoner(db_session, staff, facility_id, body)
        )

    @get(
        "/facilities/{facility_id:uuid}/approvals",
        summary="Visitor approvals (CF-04)",
        responses=problems("facility-not-found"),
    )
    async def approvals(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        status: Annotated[
            ApprovalStatus | None,
            QueryParameter(description="Only approvals in this state (e.g. `pending`)."),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> StaffApprovalPage:
        """The visitor approvals for prisoners at the facility, oldest request first.

        Any staff role at the facility may read them. Each item names the visitor, their birth
        date and relationship, and staff's decision with its reason (families never see the
        reason). Filter with `status=pending` for the work queue.
        """
        rows, total = await service.list_approvals(
            db_session, staff, facility_id, status, limit=limit, offset=offset
        )
        return Page(rows, total, limit, offset)

    @post(
        "/approvals/{approval_id:uuid}/decision",
        status_code=HTTP_200_OK,
        summary="Approve or reject a visitor for a prisoner, with a reason",
        responses=problems("invalid-body", "approval-not-found"),
    )
    async def decide(
        self,
        db_session: DbSession,
        staff: StaffUser,
        approval_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[DecisionIn],
            Body(
                examples=[
                    Example(
                        summary="Approve",
                        value={"status": "approved", "reason": "Birth certificate seen."},
                    ),
                    Example(
                        summary="Approve with a court permit (remand)",
                        value={
                            "status": "approved",
                            "reason": "Court permit of 3 November seen.",
                            "court_permit_until": "2027-03-31",
                        },
                    ),
                ]
            ),
        ],
    ) -> StaffApprovalOut:
        """Decides a visitor approval (CF-04): only approved visitors can be booked for the
        prisoner, and while a court permit is needed, only until `court_permit_until`.

        For visits officers, visits managers and safeguarding leads of the prisoner's facility
        (and admins). The reason is required and audited; the family sees only the outcome.
        A decision may be changed later by deciding again.
        """
        body = parse_body(DecisionIn, data)
        return await service.decide_approval(db_session, staff, approval_id, body)

    @get("/audit", summary="The audit trail of one object")
    async def audit(
        self,
        db_session: DbSession,
        staff: StaffUser,
        object_type: ObjectType,
        object_id: ObjectId,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> AuditEventPage:
        """Every audited change of one object, oldest first: who did it (type, id, role), through
        which channel, what changed and why.

        Any member of staff may ask; the trail holds only events at the facilities where the
        caller has a role (admins: all events). Personal values a household changed are not in
        the trail, only which fields changed.
        """
        rows, total = await service.audit_trail(
            db_session, staff, object_type, object_id, limit=limit, offset=offset
        )
        return Page(rows, total, limit, offset)

    @get(
        "/facilities/{facility_id:uuid}/alerts",
        summary="Open alerts: CF-09 capacity, CF-14 first child visit, CF-15 and CF-23 contact",
        responses=problems("facility-not-found"),
    )
    async def alerts(
        self,
        db_session: DbSession,
        language: RequestLanguage,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
    ) -> list[AlertOut]:
        """What needs attention now, computed when asked: whether the slots offered let every
        prisoner have the monthly minimum of visiting time (CF-09), children still waiting for
        a first visit after a parent's admission (CF-14), children without a visit in person
        for too long (CF-15) or with video contact only (CF-23). Texts in the request's
        language. For every member of staff of the facility."""
        staff.role_for(facility_id, READ_ROLES)
        facility = await facility_or_404(db_session, facility_id)
        return await facility_alerts(db_session, facility, language)

    @get(
        "/facilities/{facility_id:uuid}/notices",
        summary="Messages to families that need attention",
        responses=problems("facility-not-found"),
    )
    async def notices(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        notice_state: AttentionState = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> NoticePage:
        """The e-mails and text messages to families about visits at the facility (decisions,
        cancellations, moves, closures) that did not reach them: failed, undeliverable, or
        waiting to be tried again after a failed attempt; newest first, one page at a time.

        Any staff role at the facility may read the list (admins: every facility); a facility
        where the caller holds no role answers 403, whether or not it exists. Items name the
        visit, never the address or the message's text; an error quoting the address shows it
        masked. Staff reach the family another way (the visit's household) and fix the address.
        """
        staff.role_for(facility_id, READ_ROLES)
        await facility_or_404(db_session, facility_id)
        rows, total = await notify_queries.notices_needing_attention(
            db_session,
            facility_id,
            state=ReminderState(notice_state) if notice_state else None,
            limit=limit,
            offset=offset,
        )
        items = [
            NoticeOut(
                id=n.id,
                visit_id=n.visit_id,
                kind=n.kind,
                channel=n.channel,
                state=n.state,
                attempts=n.attempts,
                last_error=shown_error(n),
                provider_status=n.provider_status,
                created_at=n.created_at,
                sent_at=n.sent_at,
            )
            for n, _ in rows
        ]
        return Page(items, total, limit, offset)
