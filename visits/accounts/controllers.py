"""Sign-up and sign-in, the signed-in household's own data, and the admin API for staff."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, SkipValidation
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from visits.accounts import households, sign_in, tokens
from visits.accounts import staff as staff_accounts
from visits.accounts.principals import (
    BEARER_SECURITY,
    HOUSEHOLD_DEPENDENCIES,
    STAFF_DEPENDENCIES,
    HouseholdUser,
    StaffUser,
    admin_guard,
    bearer_token,
    household_guard,
    load_token,
    staff_guard,
)
from visits.accounts.schemas import (
    ApprovalRequestIn,
    ChallengeOut,
    CodeRequestIn,
    GrantIO,
    HouseholdApprovalOut,
    HouseholdOut,
    HouseholdUpdateIn,
    MeOut,
    SignUpIn,
    StaffCreateIn,
    StaffOut,
    StaffSignInIn,
    StaffUpdateIn,
    TokenOut,
    VerifyIn,
    VisitorIn,
    VisitorOut,
    VisitorUpdateIn,
)
from visits.audit import Actor, record
from visits.db.models import AuthToken, Household, StaffMember
from visits.dependencies import AppSettings, DbSession, Notifier, client_address
from visits.enums import ActorType, Channel, StaffRole, TokenKind
from visits.errors import ProblemError
from visits.i18n import negotiate_language
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.validation import parse_body

ADMIN_ONLY = frozenset({StaffRole.ADMIN})


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Sign-in"]

    @post("/households", status_code=HTTP_202_ACCEPTED, summary="Sign up a household")
    async def sign_up(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        notifier: Notifier,
        data: SkipValidation[SignUpIn],
    ) -> ChallengeOut:
        """Creates the household and sends a sign-in code. An address that is taken gets the
        same answer (a code goes to its owner), so nobody learns who has an account."""
        body = parse_body(SignUpIn, data)
        return await sign_in.sign_up(
            db_session, notifier, body, client_address(request), settings.sign_in_code_minutes
        )

    @post("/household/code", status_code=HTTP_202_ACCEPTED, summary="Ask for a sign-in code")
    async def request_code(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        notifier: Notifier,
        data: SkipValidation[CodeRequestIn],
    ) -> ChallengeOut:
        body = parse_body(CodeRequestIn, data)
        return await sign_in.request_code(
            db_session,
            notifier,
            body,
            client_address(request),
            settings.sign_in_code_minutes,
            negotiate_language(request),
        )

    @post("/household/verify", status_code=HTTP_200_OK, summary="Exchange a code for a token")
    async def verify(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        data: SkipValidation[VerifyIn],
    ) -> TokenOut:
        body = parse_body(VerifyIn, data)
        return await sign_in.verify_code(
            db_session,
            body.challenge_id,
            body.code,
            client_address(request),
            timedelta(days=settings.household_token_days),
        )

    @post("/staff/sign-in", status_code=HTTP_200_OK, summary="Staff sign-in with a password")
    async def staff_sign_in(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        data: SkipValidation[StaffSignInIn],
    ) -> TokenOut:
        body = parse_body(StaffSignInIn, data)
        return await sign_in.staff_sign_in(
            db_session,
            body.email,
            body.password,
            client_address(request),
            timedelta(hours=settings.staff_token_hours),
        )

    @post(
        "/sign-out",
        status_code=HTTP_204_NO_CONTENT,
        security=BEARER_SECURITY,
        summary="Revoke the token this request carries",
    )
    async def sign_out(self, request: Request[Any, Any, Any], db_session: DbSession) -> None:
        token = bearer_token(request)
        row: AuthToken | None = None
        for kind in (TokenKind.HOUSEHOLD, TokenKind.STAFF):
            try:
                row = await load_token(db_session, token, kind)
                break
            except ProblemError:
                continue
        if row is None:
            await load_token(db_session, token, TokenKind.STAFF)  # raises the usual 401
            return
        await tokens.revoke(db_session, row.id)
        subject = row.staff_id or row.household_id
        record(
            db_session,
            Actor(
                ActorType.STAFF if row.staff_id else ActorType.HOUSEHOLD,
                str(subject),
                None,
                Channel.ONLINE,
            ),
            "sign_out",
            "staff_member" if row.staff_id else "household",
            subject,
        )
        await db_session.commit()

    @get("/me", security=BEARER_SECURITY, summary="Who the token belongs to")
    async def me(self, request: Request[Any, Any, Any], db_session: DbSession) -> MeOut:
        token = bearer_token(request)
        try:
            row = await load_token(db_session, token, TokenKind.HOUSEHOLD)
            household = await db_session.get(Household, row.household_id)
            if household is not None:
                return MeOut(kind="household", id=household.id, name=household.guardian_name)
        except ProblemError:
            pass
        row = await load_token(db_session, token, TokenKind.STAFF)
        staff = await db_session.get(StaffMember, row.staff_id)
        assert staff is not None
        return MeOut(
            kind="staff",
            id=staff.id,
            name=staff.name,
            grants=[GrantIO(g.role, g.facility_id) for g in staff.grants],
        )


class HouseholdController(Controller):
    """Everything here acts on the signed-in household only."""

    path = "/api/v1/household"
    tags = ["Household"]
    dependencies = HOUSEHOLD_DEPENDENCIES
    guards = [household_guard]
    security = BEARER_SECURITY

    @get("/", summary="The household's profile")
    async def profile(self, db_session: DbSession, household: HouseholdUser) -> HouseholdOut:
        return households.household_out(await households.get_household(db_session, household))

    @patch("/", summary="Change name, language or SMS consent")
    async def update(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        data: SkipValidation[HouseholdUpdateIn],
    ) -> HouseholdOut:
        body = parse_body(HouseholdUpdateIn, data)
        return households.household_out(
            await households.update_household(db_session, household, body, settings)
        )

    @get("/visitors", summary="The household's visitors")
    async def visitors(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[VisitorOut]:
        rows, total = await households.list_visitors(
            db_session, household, limit=limit, offset=offset
        )
        return Page(await households.visitors_out(db_session, rows), total, limit, offset)

    @post("/visitors", summary="Add a visitor (adult or child)")
    async def add_visitor(
        self, db_session: DbSession, household: HouseholdUser, data: SkipValidation[VisitorIn]
    ) -> VisitorOut:
        visitor = await households.add_visitor(db_session, household, parse_body(VisitorIn, data))
        return (await households.visitors_out(db_session, [visitor]))[0]

    @get("/visitors/{visitor_id:uuid}", summary="One visitor")
    async def visitor(
        self, db_session: DbSession, household: HouseholdUser, visitor_id: FromPath[uuid.UUID]
    ) -> VisitorOut:
        visitor = await households.own_visitor(db_session, household, visitor_id)
        return (await households.visitors_out(db_session, [visitor]))[0]

    @patch("/visitors/{visitor_id:uuid}", summary="Correct a visitor's details")
    async def update_visitor(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        visitor_id: FromPath[uuid.UUID],
        data: SkipValidation[VisitorUpdateIn],
    ) -> VisitorOut:
        body = parse_body(VisitorUpdateIn, data)
        visitor = await households.update_visitor(db_session, household, visitor_id, body)
        return (await households.visitors_out(db_session, [visitor]))[0]

    @delete("/visitors/{visitor_id:uuid}", summary="Remove a visitor")
    async def remove_visitor(
        self, db_session: DbSession, household: HouseholdUser, visitor_id: FromPath[uuid.UUID]
    ) -> None:
        await households.remove_visitor(db_session, household, visitor_id)

    @post(
        "/visitors/{visitor_id:uuid}/approval-requests",
        status_code=HTTP_200_OK,
        summary="Ask the facility to approve a visitor for a prisoner (CF-04)",
    )
    async def request_approval(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        visitor_id: FromPath[uuid.UUID],
        data: SkipValidation[ApprovalRequestIn],
    ) -> HouseholdApprovalOut:
        body = parse_body(ApprovalRequestIn, data)
        return await households.request_approval(db_session, household, visitor_id, body)

    @get("/export", summary="Everything stored about the household, as JSON")
    async def export(self, db_session: DbSession, household: HouseholdUser) -> dict[str, Any]:
        return await households.export(db_session, household)

    @delete("/", summary="Erase the household (past visits stay, anonymised)")
    async def erase(self, db_session: DbSession, household: HouseholdUser) -> None:
        await households.erase(db_session, household)


class StaffAdminController(Controller):
    """Staff accounts, for admins."""

    path = "/api/v1/admin/staff"
    tags = ["Administration"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard, admin_guard]
    security = BEARER_SECURITY

    @get("/", summary="List staff accounts")
    async def list_staff(
        self,
        db_session: DbSession,
        staff: StaffUser,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[StaffOut]:
        staff.role_for(None, ADMIN_ONLY)
        rows, total = await staff_accounts.list_staff(db_session, limit=limit, offset=offset)
        return Page([staff_accounts.staff_out(s) for s in rows], total, limit, offset)

    @post("/", summary="Create a staff account")
    async def create(
        self, db_session: DbSession, staff: StaffUser, data: SkipValidation[StaffCreateIn]
    ) -> StaffOut:
        role = staff.role_for(None, ADMIN_ONLY)
        body = parse_body(StaffCreateIn, data)
        created = await staff_accounts.create_staff(db_session, body, staff.actor(role))
        return staff_accounts.staff_out(created)

    @get("/{staff_id:uuid}", summary="One staff account")
    async def get_one(
        self, db_session: DbSession, staff: StaffUser, staff_id: FromPath[uuid.UUID]
    ) -> StaffOut:
        staff.role_for(None, ADMIN_ONLY)
        return staff_accounts.staff_out(await staff_accounts.get_staff(db_session, staff_id))

    @patch("/{staff_id:uuid}", summary="Change name, grants or active state (revokes tokens)")
    async def update(
        self,
        db_session: DbSession,
        staff: StaffUser,
        staff_id: FromPath[uuid.UUID],
        data: SkipValidation[StaffUpdateIn],
    ) -> StaffOut:
        role = staff.role_for(None, ADMIN_ONLY)
        body = parse_body(StaffUpdateIn, data)
        updated = await staff_accounts.update_staff(db_session, staff_id, body, staff.actor(role))
        return staff_accounts.staff_out(updated)
