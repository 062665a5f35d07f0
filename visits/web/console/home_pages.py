"""Staff sign-in and sign-out, the choice of facility, and each facility's overview (what waits
for staff: visits to review, visitor approvals to decide, messages that did not arrive)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post

from visits.accounts.service.sign_in import sign_out, staff_sign_in
from visits.booking import queries as visit_queries
from visits.db.base import utcnow
from visits.dependencies import AppSettings, DbSession, client_address
from visits.errors import TooManyRequests, Unauthenticated
from visits.facilities import queries as facility_queries
from visits.notify import queries as notify_queries
from visits.people import queries as people_queries
from visits.web.console.base import ConsoleController
from visits.web.console.forms import read_form
from visits.web.console.session import (
    ConsolePage,
    cleared_staff_session_cookie,
    staff_session_cookie,
)
from visits.web.pages import see_other
from visits.web.security import is_secure


class ConsoleHomeController(ConsoleController):
    path = "/staff"

    @get("/")
    async def home(self, staff_page: ConsolePage, db_session: DbSession) -> Response[Any]:
        facilities = await facility_queries.facilities_of_staff(
            db_session, staff_page.principal_staff
        )
        if len(facilities) == 1 and not staff_page.principal_staff.is_admin:  # admins add more
            return see_other(f"/staff/facilities/{facilities[0].id}")
        return staff_page.render("console/home.html", facilities=facilities)

    @get("/sign-in")
    async def sign_in_page(self, public_staff_page: ConsolePage) -> Response[Any]:
        if public_staff_page.staff is not None:
            return see_other("/staff")
        return public_staff_page.render("console/sign_in.html", email="", errors={})

    @post("/sign-in")
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        public_staff_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        page = public_staff_page
        form = await read_form(request)
        email, password = form.get("email"), form.values.get("password", [""])[0]
        errors = {}
        if not email:
            errors["email"] = page._("Please enter your e-mail address.")
        if not password:
            errors["password"] = page._("Please enter your password.")
        if not errors:
            try:
                issued = await staff_sign_in(
                    db_session,
                    email,
                    password,
                    client_address(request),
                    timedelta(hours=settings.staff_token_hours),
                )
            except (Unauthenticated, TooManyRequests) as refusal:
                errors["password"] = page.problem(refusal)
            else:
                secure = is_secure(request, settings)
                cookie = staff_session_cookie(issued.token, issued.expires_at, secure)
                return see_other("/staff", cookies=[cookie])
        return page.render("console/sign_in.html", status=422, email=email, errors=errors)

    @post("/sign-out")
    async def sign_out(
        self,
        request: Request[Any, Any, Any],
        public_staff_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        staff = public_staff_page.staff
        if staff is not None:
            await sign_out(db_session, staff.token_id, staff_id=staff.staff_id)
        cookie = cleared_staff_session_cookie(is_secure(request, settings))
        return see_other("/staff/sign-in", done="signed_out", cookies=[cookie])

    @get("/facilities/{facility_id:uuid}")
    async def overview(self, facility_page: ConsolePage, db_session: DbSession) -> Response[Any]:
        facility = facility_page.current_facility
        today = utcnow().astimezone(ZoneInfo(facility.timezone)).date()
        return facility_page.render(
            "console/overview.html",
            today=today,
            waiting=await visit_queries.count_awaiting_review(db_session, facility.id),
            approvals_waiting=await people_queries.count_pending_approvals(db_session, facility.id),
            visits_today=await visit_queries.count_booked_on(db_session, facility.id, today),
            failing_notices=await notify_queries.count_notices_needing_attention(
                db_session, facility.id
            ),
        )
