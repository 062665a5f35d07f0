"""Staff API: prisoners and visitor approvals per facility, audit trails."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_200_OK

from visits.accounts.principals import (
    BEARER_SECURITY,
    STAFF_DEPENDENCIES,
    StaffUser,
    staff_guard,
)
from visits.dependencies import DbSession
from visits.enums import ApprovalStatus
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.people import service
from visits.people.schemas import (
    AuditEventOut,
    DecisionIn,
    PrisonerIn,
    PrisonerOut,
    StaffApprovalOut,
)
from visits.validation import parse_body


class StaffPeopleController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @get("/facilities/{facility_id:uuid}/prisoners", summary="Prisoners at a facility")
    async def prisoners(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[PrisonerOut]:
        rows, total = await service.list_prisoners(
            db_session, staff, facility_id, limit=limit, offset=offset
        )
        return Page([service.prisoner_out(p) for p in rows], total, limit, offset)

    @post("/facilities/{facility_id:uuid}/prisoners", summary="Register a prisoner")
    async def add_prisoner(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        data: SkipValidation[PrisonerIn],
    ) -> PrisonerOut:
        body = parse_body(PrisonerIn, data)
        return service.prisoner_out(
            await service.create_prisoner(db_session, staff, facility_id, body)
        )

    @get("/facilities/{facility_id:uuid}/approvals", summary="Visitor approvals (CF-04)")
    async def approvals(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        status: Annotated[ApprovalStatus | None, QueryParameter()] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[StaffApprovalOut]:
        rows, total = await service.list_approvals(
            db_session, staff, facility_id, status, limit=limit, offset=offset
        )
        return Page(rows, total, limit, offset)

    @post(
        "/approvals/{approval_id:uuid}/decision",
        status_code=HTTP_200_OK,
        summary="Approve or reject a visitor for a prisoner, with a reason",
    )
    async def decide(
        self,
        db_session: DbSession,
        staff: StaffUser,
        approval_id: FromPath[uuid.UUID],
        data: SkipValidation[DecisionIn],
    ) -> StaffApprovalOut:
        body = parse_body(DecisionIn, data)
        return await service.decide_approval(db_session, staff, approval_id, body)

    @get("/audit", summary="The audit trail of one object")
    async def audit(
        self,
        db_session: DbSession,
        staff: StaffUser,
        object_type: Annotated[str, QueryParameter(min_length=1, max_length=32)],
        object_id: Annotated[str, QueryParameter(min_length=1, max_length=64)],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[AuditEventOut]:
        rows, total = await service.audit_trail(
            db_session, staff, object_type, object_id, limit=limit, offset=offset
        )
        return Page(rows, total, limit, offset)
