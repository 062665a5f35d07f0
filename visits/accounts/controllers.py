"""Sign-up and sign-in, the signed-in household's own data, and the admin API for staff."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.openapi.spec import Example
from litestar.params import BodyKwarg, FromPath, SkipValidation
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from visits.accounts.principals import (
    ADMIN_ONLY,
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
from visits.accounts.rate_limit import RateLimitedOperation
from visits.accounts.schemas import (
    ApprovalRequestIn,
    ChallengeOut,
    CodeRequestIn,
    GrantIO,
    HouseholdApprovalOut,
    HouseholdExportOut,
    HouseholdOut,
    HouseholdUpdateIn,
    MeOut,
    PhoneCodeIn,
    PhoneConfirmationOut,
    SignUpIn,
    StaffCreateIn,
    StaffOut,
    StaffPage,
    StaffSignInIn,
    StaffUpdateIn,
    TokenOut,
    VerifyIn,
    VisitorIn,
    VisitorOut,
    VisitorPage,
    VisitorUpdateIn,
)
from visits.accounts.service import households, phone, sign_in
from visits.accounts.service import staff as staff_accounts
from visits.db.models import AuthToken, Household, StaffMember
from visits.dependencies import AppSettings, DbSession, RequestLanguage, client_address
from visits.enums import TokenKind
from visits.errors import Unauthenticated
from visits.i18n import negotiate_language
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.validation import parse_body

FACILITY_ID = "6f1c2a4e-0d3b-4c55-9a1e-7b2d8c9e0f12"


def _body(*examples: tuple[str, dict[str, Any]]) -> BodyKwarg:
    """A request body declaration with named examples of the main flows."""
    return BodyKwarg(
        examples=[Example(summary=summary, value=value) for summary, value in examples]
    )


VISITOR_EXAMPLE = {
    "given_name": "Noah",
    "family_name": "Beispiel",
    "birth_date": "2019-06-30",
    "relationship": "child",
}
STAFF_CREATE_EXAMPLE = {
    "email": "officer@jva-musterstadt.example",
    "name": "Olga Officer",
    "password": "a long enough password",
    "grants": [{"role": "visits_officer", "facility_id": FACILITY_ID}],
}

CODE_BODY = _body(
    ("By e-mail", {"email": "anna.beispiel@example.org"}),
    ("By SMS", {"phone": "+4915123456789"}),
)

VERIFY_BODY = _body(
    (
        "A code from the e-mail",
        {"challenge_id": "3b9e5a4c-8f21-4d0e-b6a7-1c2d3e4f5a6b", "code": "493817"},
    ),
)

STAFF_SIGN_IN_BODY = _body(
    (
        "A visits officer",
        {
            "email": "besuchsdienst@jva-musterstadt.example",
            "password": "correct horse battery staple",
        },
    ),
)

HOUSEHOLD_UPDATE_BODY = _body(
    ("SMS reminders on", {"sms_consent": True}),
    ("Messages in English", {"language": "en"}),
    ("A new mobile number (to be confirmed)", {"phone": "0151 23456789"}),
    ("Only the mobile number stays", {"email": ""}),
)

PHONE_CODE_BODY = _body(
    (
        "The code from the SMS",
        {"challenge_id": "3b9e5a4c-8f21-4d0e-b6a7-1c2d3e4f5a6b", "code": "493817"},
    ),
)

VISITOR_BODY = _body(("A child", VISITOR_EXAMPLE))

VISITOR_UPDATE_BODY = _body(("Correct the birth date", {"birth_date": "2019-07-01"}))

APPROVAL_REQUEST_BODY = _body(
    (
        "The prisoner as the family knows them",
        {
            "facility_id": FACILITY_ID,
            "prison_number": "B-2024-0815",
            "prisoner_family_name": "Beispiel",
        },
    )
)

STAFF_CREATE_BODY = _body(("A visits officer at one facility", STAFF_CREATE_EXAMPLE))

STAFF_UPDATE_BODY = _body(
    ("Disable an account", {"is_active": False, "reason": "Left the service."}),
    (
        "Make an officer a manager",
        {
            "grants": [{"role": "visits_manager", "facility_id": FACILITY_ID}],
            "reason": "New role from 1 December.",
        },
    ),
)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Sign-in"]

    @post(
        "/households",
        status_code=HTTP_202_ACCEPTED,
        summary="Sign up a household",
        responses=problems("invalid-body", "rate-limited"),
        operation_class=RateLimitedOperation,
    )
    async def sign_up(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        data: SkipValidation[SignUpIn],
    ) -> ChallengeOut:
        """Creates the household and sends a six-digit sign-in code to its e-mail address (or,
        with only a mobile number, by SMS); exchange it at `POST /auth/household/verify`.

        Anyone may call this. An address that is taken gets exactly the same answer (the code
        goes to the address's owner, nothing is changed), so nobody learns who has an account.
        Mobile numbers are stored in E.164 form; national numbers are read as German.
        Rate-limited per client and per address (429 with `Retry-After`).
        """
        body = parse_body(SignUpIn, data)
        return await sign_in.sign_up(
            db_session, body, client_address(request), settings.sign_in_code_minutes
        )

    @post(
        "/household/code",
        status_code=HTTP_202_ACCEPTED,
        summary="Ask for a sign-in code",
        responses=problems("invalid-body", "rate-limited"),
        operation_class=RateLimitedOperation,
    )
    async def request_code(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[SkipValidation[CodeRequestIn], CODE_BODY],
    ) -> ChallengeOut:
        """Sends a new six-digit sign-in code to a household's e-mail address or mobile number
        (give exactly one); it is valid for a few minutes and for five tries.

        Anyone may call this. Known and unknown addresses get the same answer, and a challenge
        is returned either way (for an unknown address no code can ever satisfy it). The
        `message` is in the language of `Accept-Language` (German or English). Rate-limited per
        client and per address (429 with `Retry-After`).
        """
        body = parse_body(CodeRequestIn, data)
        return await sign_in.request_code(
            db_session,
            body,
            client_address(request),
            settings.sign_in_code_minutes,
            negotiate_language(request),
        )

    @post(
        "/household/verify",
        status_code=HTTP_200_OK,
        summary="Exchange a code for a token",
        responses=problems("invalid-body", "invalid-code", "rate-limited"),
        operation_class=RateLimitedOperation,
    )
    async def verify(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[SkipValidation[VerifyIn], VERIFY_BODY],
    ) -> TokenOut:
        """Exchanges the code of a challenge for a household bearer token (shown once).

        A code is single-use, expires, and allows five tries; every failure (wrong, expired,
        used, unknown challenge) answers the same 401 `invalid-code`. Rate-limited per client
        (429 with `Retry-After`).
        """
        body = parse_body(VerifyIn, data)
        return await sign_in.verify_code(
            db_session,
            body.challenge_id,
            body.code,
            client_address(request),
            timedelta(days=settings.household_token_days),
        )

    @post(
        "/staff/sign-in",
        status_code=HTTP_200_OK,
        summary="Staff sign-in with a password",
        responses=problems("invalid-body", "invalid-credentials", "rate-limited"),
        operation_class=RateLimitedOperation,
    )
    async def staff_sign_in(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[SkipValidation[StaffSignInIn], STAFF_SIGN_IN_BODY],
    ) -> TokenOut:
        """Exchanges a staff member's e-mail address and password for a staff bearer token.

        A wrong password, an unknown address and a disabled account answer alike (401
        `invalid-credentials`, in the same time). Failed attempts on an account are audited.
        Rate-limited per client and per address (429 with `Retry-After`).
        """
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
        responses=problems("unauthenticated"),
    )
    async def sign_out(self, request: Request[Any, Any, Any], db_session: DbSession) -> None:
        """Revokes the household or staff token the request carries; it answers 401 from then
        on. Other tokens of the same account stay valid. Audited."""
        token = bearer_token(request)
        row: AuthToken | None = None
        for kind in (TokenKind.HOUSEHOLD, TokenKind.STAFF):
            try:
                row = await load_token(db_session, token, kind)
                break
            except Unauthenticated:
                continue
        if row is None:
            await load_token(db_session, token, TokenKind.STAFF)  # raises the usual 401
            return
        await sign_in.sign_out(
            db_session, row.id, staff_id=row.staff_id, household_id=row.household_id
        )

    @get(
        "/me",
        security=BEARER_SECURITY,
        summary="Who the token belongs to",
        responses=problems("unauthenticated"),
    )
    async def me(self, request: Request[Any, Any, Any], db_session: DbSession) -> MeOut:
        """The caller of a household or staff token: its kind, id and name, and for staff the
        grants (role and facility) that decide what they may do."""
        token = bearer_token(request)
        try:
            row = await load_token(db_session, token, TokenKind.HOUSEHOLD)
            household = await db_session.get(Household, row.household_id)
            if household is not None:
                return MeOut(kind="household", id=household.id, name=household.guardian_name)
        except Unauthenticated:
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

    @get("/", summary="The household's profile", responses=problems("household-not-found"))
    async def profile(self, db_session: DbSession, household: HouseholdUser) -> HouseholdOut:
        """The signed-in household's guardian name, contact, language and SMS consent."""
        return households.household_out(await households.get_household(db_session, household))

    @patch(
        "/",
        summary="Change name, language, e-mail, mobile number, SMS consent or notices",
        responses=problems(
            "invalid-body", "contact-unavailable", "household-not-found", "rate-limited"
        ),
        operation_class=RateLimitedOperation,
    )
    async def update(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        data: Annotated[SkipValidation[HouseholdUpdateIn], HOUSEHOLD_UPDATE_BODY],
    ) -> HouseholdOut:
        """Changes the fields given, for the signed-in household.

        `email` and `phone` are normalised as at sign-up (national mobile numbers are read as
        German and stored in E.164 form); an empty string removes one, but one of the two must
        stay (422 `invalid-body`). An address or number that cannot be used, for whatever
        reason (another household may have it), answers 422 `contact-unavailable`, always in
        the same words: nothing is told about anyone else. Changing a contact counts against a
        limit per household (10 per 15 minutes; 429 with `Retry-After`), and codes sent to the
        old address or number stop working.

        A new mobile number is not confirmed (`phone_confirmed` false): SMS and reminders go
        there only once a code sent to it came back (`POST /household/phone-confirmation`).

        Reminders of upcoming visits follow at once: turning SMS consent off (or changing or
        removing the number) cancels pending SMS reminders, turning it on (with a confirmed
        mobile number) plans them; a new language applies to reminders not yet sent. The audit
        trail records which fields changed, not the values.
        """
        body = parse_body(HouseholdUpdateIn, data)
        return households.household_out(
            await households.update_household(db_session, household, body, settings)
        )

    @post(
        "/phone-confirmation",
        status_code=HTTP_202_ACCEPTED,
        summary="Send a code by SMS to confirm the mobile number",
        responses=problems("no-phone", "phone-confirmed", "household-not-found", "rate-limited"),
        operation_class=RateLimitedOperation,
    )
    async def send_phone_code(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
    ) -> PhoneConfirmationOut:
        """Sends a six-digit code by SMS to the signed-in household's mobile number; send it
        back with the `challenge_id` to `POST /household/phone-confirmation/verify`. SMS
        (reminders, notices) go only to a confirmed number; signing in with a code sent by
        SMS confirms the number too.

        A household without a mobile number answers 409 `no-phone`, one whose number is
        confirmed 409 `phone-confirmed`. The code is valid for a few minutes and five tries.
        Rate-limited like sign-in codes, per client and per number (429 with `Retry-After`).
        """
        return await phone.send_code(
            db_session, household, client_address(request), settings.sign_in_code_minutes
        )

    @post(
        "/phone-confirmation/verify",
        status_code=HTTP_200_OK,
        summary="Confirm the mobile number with the code from the SMS",
        responses=problems(
            "invalid-body", "invalid-phone-code", "household-not-found", "rate-limited"
        ),
        operation_class=RateLimitedOperation,
    )
    async def verify_phone_code(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        data: Annotated[SkipValidation[PhoneCodeIn], PHONE_CODE_BODY],
    ) -> HouseholdOut:
        """Checks the code of a confirmation challenge of the signed-in household; the right
        code confirms the mobile number (`phone_confirmed` true, audited) and plans SMS
        reminders of upcoming visits when the household consented.

        A code is single-use, expires, allows five tries, and only confirms the number it was
        sent to: after a change of number it no longer works. Every failure (wrong, expired,
        used, another household's or unknown challenge) answers the same 422
        `invalid-phone-code`. Rate-limited per client (429 with `Retry-After`).
        """
        body = parse_body(PhoneCodeIn, data)
        confirmed = await phone.confirm(
            db_session, household, body.challenge_id, body.code, client_address(request), settings
        )
        return households.household_out(confirmed)

    @get("/visitors", summary="The household's visitors")
    async def visitors(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        language: RequestLanguage,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> VisitorPage:
        """The people of the signed-in household, oldest first, one page at a time, each with
        their approvals per prisoner (status and a plain message; staff reasons are never
        shown to families)."""
        rows, total = await households.list_visitors(
            db_session, household, limit=limit, offset=offset
        )
        return Page(await households.visitors_out(db_session, rows, language), total, limit, offset)

    @post(
        "/visitors",
        summary="Add a visitor (adult or child)",
        responses=problems("invalid-body", "household-not-found"),
    )
    async def add_visitor(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        language: RequestLanguage,
        data: Annotated[SkipValidation[VisitorIn], VISITOR_BODY],
    ) -> VisitorOut:
        """Adds a person to the signed-in household: a name, the birth date (the rules work
        with ages on the visit date) and the relationship to the prisoner. The birth date must
        not be in the future. Approval to visit is asked for separately (approval requests).
        """
        visitor = await households.add_visitor(db_session, household, parse_body(VisitorIn, data))
        return (await households.visitors_out(db_session, [visitor], language))[0]

    @get(
        "/visitors/{visitor_id:uuid}",
        summary="One visitor",
        responses=problems("visitor-not-found"),
    )
    async def visitor(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        language: RequestLanguage,
        visitor_id: FromPath[uuid.UUID],
    ) -> VisitorOut:
        """One person of the signed-in household with their approvals. Another household's
        person answers 404, exactly like an id that does not exist."""
        visitor = await households.own_visitor(db_session, household, visitor_id)
        return (await households.visitors_out(db_session, [visitor], language))[0]

    @patch(
        "/visitors/{visitor_id:uuid}",
        summary="Correct a visitor's details",
        responses=problems("invalid-body", "visitor-not-found"),
    )
    async def update_visitor(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        language: RequestLanguage,
        visitor_id: FromPath[uuid.UUID],
        data: Annotated[SkipValidation[VisitorUpdateIn], VISITOR_UPDATE_BODY],
    ) -> VisitorOut:
        """Changes the fields given for one person of the signed-in household; the audit trail
        records which fields changed, not the values."""
        body = parse_body(VisitorUpdateIn, data)
        visitor = await households.update_visitor(db_session, household, visitor_id, body)
        return (await households.visitors_out(db_session, [visitor], language))[0]

    @delete(
        "/visitors/{visitor_id:uuid}",
        summary="Remove a visitor",
        responses=problems("visitor-not-found", "visitor-has-visits"),
    )
    async def remove_visitor(
        self, db_session: DbSession, household: HouseholdUser, visitor_id: FromPath[uuid.UUID]
    ) -> None:
        """Removes a person and their approvals from the signed-in household. A person booked
        for an upcoming visit cannot be removed (409 `visitor-has-visits`): cancel it first.
        Past visits keep their ages for statistics, without the person."""
        await households.remove_visitor(db_session, household, visitor_id)

    @post(
        "/visitors/{visitor_id:uuid}/approval-requests",
        status_code=HTTP_200_OK,
        summary="Ask the facility to approve a visitor for a prisoner (CF-04)",
        responses=problems(
            "invalid-body", "visitor-not-found", "prisoner-not-matched", "rate-limited"
        ),
        operation_class=RateLimitedOperation,
    )
    async def request_approval(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        language: RequestLanguage,
        visitor_id: FromPath[uuid.UUID],
        data: Annotated[SkipValidation[ApprovalRequestIn], APPROVAL_REQUEST_BODY],
    ) -> HouseholdApprovalOut:
        """Asks the facility to approve one person of the household for visits to a prisoner,
        named by facility, prison number and family name (case does not matter). Only approved
        visitors can be booked (CF-04); staff decide.

        Nothing about the prisoner is revealed: details that match no prisoner answer 422
        `prisoner-not-matched`, and the answer names the prisoner's id only once staff have
        approved (`prisoner_id` is null while the request is pending or rejected). Look-ups
        are counted per household (20 per 15 minutes, then 429 `rate-limited` with
        `Retry-After`). Asking again returns the existing request and its status; staff
        decide in the console's approval queue or the staff API, and the household is told.
        """
        body = parse_body(ApprovalRequestIn, data)
        return await households.request_approval(db_session, household, visitor_id, body, language)

    @get(
        "/export",
        summary="Everything stored about the household, as JSON",
        responses=problems("household-not-found"),
    )
    async def export(
        self, db_session: DbSession, household: HouseholdUser, language: RequestLanguage
    ) -> HouseholdExportOut:
        """Everything stored about the signed-in household (GDPR Art. 15 and 20): the profile,
        its people and approvals, its visits with their parties, and what it did (from the
        audit trail, without the values of personal fields)."""
        return await households.export(db_session, household, language)

    @delete(
        "/",
        summary="Erase the household (past visits stay, anonymised)",
        responses=problems("household-not-found", "household-has-visits"),
    )
    async def erase(self, db_session: DbSession, household: HouseholdUser) -> None:
        """Erases the signed-in household: its people, approvals, tokens and sign-in codes are
        deleted, and every token stops working. Past visits stay for statistics, anonymised
        (no household, no people, no support needs; only ages and seats).

        Upcoming visits stop the erasure (409 `household-has-visits`): cancel them first.
        """
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
    ) -> StaffPage:
        """Every staff account, by e-mail address, one page at a time, with its grants and
        last sign-in. For admins only."""
        staff.role_for(None, ADMIN_ONLY)
        rows, total = await staff_accounts.list_staff(db_session, limit=limit, offset=offset)
        return Page([staff_accounts.staff_out(s) for s in rows], total, limit, offset)

    @post(
        "/",
        summary="Create a staff account",
        responses=problems("invalid-body", "staff-exists"),
    )
    async def create(
        self,
        db_session: DbSession,
        staff: StaffUser,
        data: Annotated[SkipValidation[StaffCreateIn], STAFF_CREATE_BODY],
    ) -> StaffOut:
        """Creates a staff account with a password (stored as an argon2 hash) and its grants:
        one role per facility, or `admin` without a facility. For admins only; audited.

        The e-mail address is stored with a lower-case domain and must be unused (409
        `staff-exists`, also when two requests race). Grants naming an unknown facility
        answer 422 `invalid-body`.
        """
        role = staff.role_for(None, ADMIN_ONLY)
        body = parse_body(StaffCreateIn, data)
        created = await staff_accounts.create_staff(db_session, body, staff.actor(role))
        return staff_accounts.staff_out(created)

    @get("/{staff_id:uuid}", summary="One staff account", responses=problems("staff-not-found"))
    async def get_one(
        self, db_session: DbSession, staff: StaffUser, staff_id: FromPath[uuid.UUID]
    ) -> StaffOut:
        """One staff account: its grants (role and facility), whether it is active, and its
        last sign-in. For admins only."""
        staff.role_for(None, ADMIN_ONLY)
        return staff_accounts.staff_out(await staff_accounts.get_staff(db_session, staff_id))

    @patch(
        "/{staff_id:uuid}",
        summary="Change name, grants or active state (revokes tokens)",
        responses=problems("invalid-body", "staff-not-found"),
    )
    async def update(
        self,
        db_session: DbSession,
        staff: StaffUser,
        staff_id: FromPath[uuid.UUID],
        data: Annotated[SkipValidation[StaffUpdateIn], STAFF_UPDATE_BODY],
    ) -> StaffOut:
        """Changes the fields given. `grants` replaces all grants. For admins only; audited
        with the reason.

        New grants or disabling the account revoke every token of the account at once, so the
        member signs in again with the new rights (or not at all).
        """
        role = staff.role_for(None, ADMIN_ONLY)
        body = parse_body(StaffUpdateIn, data)
        updated = await staff_accounts.update_staff(db_session, staff_id, body, staff.actor(role))
        return staff_accounts.staff_out(updated)
