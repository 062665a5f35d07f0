"""Staff API: prisoners and visitor approvals per facility, audit trails, and the notices to
families that need attention."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from litestar import Controller, get, post, put
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

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
from visits.i18n import translate
from visits.notify import queries as notify_queries
from visits.notify.presenters import shown_error
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.people.alerts import AlertOut, facility_alerts
from visits.people.schemas import (
    AuditEventPage,
    ClosedVisitsIn,
    DecisionIn,
    ImportProblemOut,
    LiftIn,
    NoticeOut,
    NoticePage,
    PrisonerDetailOut,
    PrisonerImportIn,
    PrisonerImportOut,
    PrisonerIn,
    PrisonerOut,
    PrisonerPage,
    RestrictionIn,
    RestrictionOut,
    StaffApprovalOut,
    StaffApprovalPage,
)
from visits.people.service import approvals, audit_trail, prisoners
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

SearchText = Annotated[
    str | None,
    QueryParameter(
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*(?![\s\S])",
        description="A part of the prisoner's name or prison number.",
        examples=[Example(value="Beisp")],
    ),
]
RESTRICTION_PROBLEMS = ("prisoner-not-found",)
IMPORT_EXAMPLE = (
    "prison_number;given_name;family_name;admission_date;custody_status\r\n"
    "B-2026-0101;Jonas;Beispiel;20.10.2026;sentenced\r\n"
)

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
        q: SearchText = None,
    ) -> PrisonerPage:
        """The prisoners held at the facility, by family name, one page at a time; `q` finds
        a part of the name or of the prison number (any case). Released prisoners are listed
        with their `released_on`.

        Any staff role at the facility may read the list (admins: every facility); a facility
        where the caller holds no role answers 403, whether or not it exists.
        """
        rows, total = await prisoners.list_prisoners(
            db_session, staff, facility_id, limit=limit, offset=offset, q=q
        )
        return Page([prisoners.prisoner_out(p) for p in rows], total, limit, offset)

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
        return prisoners.prisoner_out(
            await prisoners.create_prisoner(db_session, staff, facility_id, body)
        )

    @post(
        "/facilities/{facility_id:uuid}/prisoners/import",
        status_code=HTTP_200_OK,
        summary="Import prisoners from a CSV file: preview, then store",
        responses=problems("invalid-body", "facility-not-found", "prisoner-exists"),
    )
    async def import_prisoners(
        self,
        db_session: DbSession,
        language: RequestLanguage,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[PrisonerImportIn],
            Body(
                examples=[
                    Example(summary="Preview", value={"document": IMPORT_EXAMPLE}),
                    Example(summary="Store", value={"document": IMPORT_EXAMPLE, "store": True}),
                ]
            ),
        ],
    ) -> PrisonerImportOut:
        """Checks a CSV document of prisoners line by line and, with `store`, registers them.

        The document has a header row naming the columns `prison_number`, `given_name`,
        `family_name`, `admission_date` (YYYY-MM-DD or DD.MM.YYYY) and `custody_status`
        (`remand`, `sentenced`), separated by semicolons (as German spreadsheets save) or
        commas; at most 2000 lines. Without `store` nothing is stored: the answer lists the
        lines that can be stored and every problem by line (line 1 is the header) — a prison
        number registered already or repeated in the file is one. With `store`, all lines are
        registered or none: any problem answers 422 `invalid-body`, each item named
        `lines[N].field`; a number registered meanwhile answers 409 `prisoner-exists`. For
        visits officers and visits managers of the facility (and admins); each prisoner
        registered is audited.
        """
        body = parse_body(PrisonerImportIn, data)
        result = await prisoners.import_prisoners(
            db_session, staff, facility_id, body.document, store=body.store
        )
        return PrisonerImportOut(
            lines=result.lines,
            problems=[
                ImportProblemOut(
                    line=e["line"],
                    field=e["field"],
                    detail=translate(language, e["detail"], **e.get("params", {})),
                )
                for e in result.errors
            ],
            stored=result.stored,
        )

    @get(
        "/prisoners/{prisoner_id:uuid}",
        summary="A prisoner, with the restrictions on record",
        responses=problems("prisoner-not-found"),
    )
    async def prisoner(
        self, db_session: DbSession, staff: StaffUser, prisoner_id: FromPath[uuid.UUID]
    ) -> PrisonerDetailOut:
        """One prisoner with every restriction on record (CF-05), newest first: its reason, who
        recorded it and when, its valid-until date, whether it was lifted and whether it is in
        force today. For any member of staff of the prisoner's facility (admins: all); a
        prisoner elsewhere answers 404. Families never see restrictions or reasons.
        """
        return await prisoners.prisoner_detail(db_session, staff, prisoner_id)

    @post(
        "/prisoners/{prisoner_id:uuid}/restrictions",
        status_code=HTTP_201_CREATED,
        summary="Record a safeguarding restriction (CF-05), with a reason",
        responses=problems("invalid-body", *RESTRICTION_PROBLEMS),
    )
    async def add_restriction(
        self,
        db_session: DbSession,
        staff: StaffUser,
        prisoner_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[RestrictionIn],
            Body(
                examples=[
                    Example(
                        summary="No contact with children until a date",
                        value={
                            "code": "no_child_contact",
                            "reason": "Family court order of 2 November.",
                            "valid_until": "2027-06-30",
                        },
                    )
                ]
            ),
        ],
    ) -> RestrictionOut:
        """Records a restriction on the prisoner: `no_child_contact` or `child_visitors_vetted`,
        with the reason (required, kept for staff and the audit trail) and an optional
        `valid_until` (today or later; left out: until lifted).

        Only the safeguarding lead of the prisoner's facility may record it (CF-05; not even an
        administrator without that role: 403). From then on a visit with a child on a day the
        restriction applies is referred to the safeguarding lead instead of being booked, and
        the family is told only to contact the facility. Visits booked already are not changed.
        """
        body = parse_body(RestrictionIn, data)
        return await prisoners.add_restriction(db_session, staff, prisoner_id, body)

    @post(
        "/prisoners/{prisoner_id:uuid}/restrictions/{restriction_id:uuid}/lift",
        status_code=HTTP_200_OK,
        summary="Lift a restriction, with a reason",
        responses=problems(
            "invalid-body", *RESTRICTION_PROBLEMS, "restriction-not-found", "restriction-lifted"
        ),
    )
    async def lift_restriction(
        self,
        db_session: DbSession,
        staff: StaffUser,
        prisoner_id: FromPath[uuid.UUID],
        restriction_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[LiftIn],
            Body(examples=[Example(summary="Lift", value={"reason": "The court order ended."})]),
        ],
    ) -> RestrictionOut:
        """Ends a restriction now; it stays on record with who lifted it, when and why.

        Only the safeguarding lead of the prisoner's facility (403 otherwise). A restriction
        lifted already answers 409 `restriction-lifted`; one of another prisoner 404.
        """
        body = parse_body(LiftIn, data)
        return await prisoners.lift_restriction(
            db_session, staff, prisoner_id, restriction_id, body
        )

    @put(
        "/prisoners/{prisoner_id:uuid}/closed-visits",
        status_code=HTTP_200_OK,
        summary='Set or clear "closed visits only" (CF-19), with a reason',
        responses=problems("invalid-body", *RESTRICTION_PROBLEMS),
    )
    async def closed_visits(
        self,
        db_session: DbSession,
        staff: StaffUser,
        prisoner_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[ClosedVisitsIn],
            Body(
                examples=[
                    Example(
                        summary="Closed visits only",
                        value={
                            "closed_visits_only": True,
                            "reason": "Risk assessment of 1 December.",
                        },
                    )
                ]
            ),
        ],
    ) -> PrisonerOut:
        """Sets whether the prisoner may be visited only behind a glass partition: a visit with
        a child then goes to staff review (CF-19) and is never self-booked.

        Only the safeguarding lead of the prisoner's facility (CF-19's override role; 403
        otherwise, admins included). The reason is required and audited.
        """
        body = parse_body(ClosedVisitsIn, data)
        return prisoners.prisoner_out(
            await prisoners.set_closed_visits(db_session, staff, prisoner_id, body)
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
        rows, total = await approvals.list_approvals(
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
                    Example(
                        summary="Reject, telling the family why",
                        value={
                            "status": "rejected",
                            "reason": "The prisoner did not name this visitor.",
                            "share_reason": True,
                        },
                    ),
                ]
            ),
        ],
    ) -> StaffApprovalOut:
        """Decides a visitor approval (CF-04): only approved visitors can be booked for the
        prisoner, and while a court permit is needed, only until `court_permit_until`.

        For visits officers, visits managers and safeguarding leads of the prisoner's facility
        (and admins). Approving for a prisoner on remand at a facility whose rule profile needs
        a court permit needs `court_permit_until` (422 `invalid-body` naming it otherwise). The
        reason is required and audited. The household is told of the decision by e-mail or
        text message (the notice outbox): the outcome, a court permit's last day, and a
        rejection's reason only with `share_reason` (leave it false for a safeguarding
        reason). A decision may be changed later by deciding again. The staff console's
        approval queue decides through the same service.
        """
        body = parse_body(DecisionIn, data)
        return await approvals.decide_approval(db_session, staff, approval_id, body)

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
        rows, total = await audit_trail.audit_trail(
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
