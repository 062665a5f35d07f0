"""Staff sign-in and sign-out, the choice of facility, and each facility's overview."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from litestar import Request, Response, get, post
from litestar.params import FromPath

from visits.accounts import tokens
from visits.accounts.sign_in import staff_sign_in
from visits.audit import Actor, record
from visits.db.base import utcnow
from visits.db.models import Facility, Slot, Visit
from visits.dependencies import AppSettings, DbSession, client_address
from visits.enums import ActorType, Channel, VisitStatus
from visits.errors import ProblemError
from visits.web.console.base import ConsoleController
from visits.web.console.forms import read_form
from visits.web.console.labels import problem_message
from visits.web.console.queries import awaiting_review
from visits.web.console.session import (
    StaffPage,
    cleared_staff_session_cookie,
    staff_session_cookie,
)
from visits.web.pages import see_other
from visits.web.security import is_secure


class ConsoleHomeController(ConsoleController):
    path = "/staff"

    @get("/")
    async def home(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        page = await StaffPage.for_staff(request, db_session, settings)
        staff = page.principal_staff
        statement = sa.select(Facility).order_by(Facility.name, Facility.id)
        if not staff.is_admin:
            statement = statement.where(Facility.id.in_(staff.facility_ids()))
        facilities = list(await db_session.scalars(statement))
        if len(facilities) == 1:
            return see_other(f"/staff/facilities/{facilities[0].id}")
        return page.render("console/home.html", facilities=facilities)

    @get("/sign-in")
    async def sign_in_page(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        page = await StaffPage.for_staff(request, db_session, settings, required=False)
        if page.staff is not None:
            return see_other("/staff")
        return page.render("console/sign_in.html", email="", errors={})

    @post("/sign-in")
    async def sign_in(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        page = await StaffPage.for_staff(request, db_session, settings, required=False)
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
            except ProblemError as exc:
                errors["password"] = problem_message(exc.slug, page._)
            else:
                secure = is_secure(request, settings)
                cookie = staff_session_cookie(issued.token, issued.expires_at, secure)
                return see_other("/staff", cookies=[cookie])
        return page.render("console/sign_in.html", status=422, email=email, errors=errors)

    @post("/sign-out")
    async def sign_out(
        self, request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        page = await StaffPage.for_staff(request, db_session, settings, required=False)
        if page.staff is not None:
            await tokens.revoke(db_session, page.staff.token_id)
            record(
                db_session,
                Actor(ActorType.STAFF, str(page.staff.staff_id), None, Channel.ONLINE),
                "sign_out",
                "staff_member",
                page.staff.staff_id,
            )
            await db_session.commit()
        cookie = cleared_staff_session_cookie(is_secure(request, settings))
        return see_other("/staff/sign-in", done="signed_out", cookies=[cookie])

    @get("/facilities/{facility_id:uuid}")
    async def overview(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        facility_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = await StaffPage.at_facility(request, db_session, settings, facility_id)
        facility = page.facility
        assert facility is not None
        today = utcnow().astimezone(ZoneInfo(facility.timezone)).date()
        visits_today = await db_session.scalar(
            sa.select(sa.func.count())
            .select_from(Visit)
            .join(Slot, Slot.id == Visit.slot_id)
            .where(
                Visit.facility_id == facility_id,
                Visit.status.in_((VisitStatus.CONFIRMED, VisitStatus.REQUESTED)),
                Slot.local_date == today,
            )
        )
        return page.render(
            "console/overview.html",
            today=today,
            waiting=await db_session.scalar(
                sa.select(sa.func.count()).select_from(Visit).where(awaiting_review(facility_id))
            ),
            visits_today=visits_today or 0,
        )
