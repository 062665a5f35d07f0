"""The gate: a visit's pass and checking its party in.

The visit pass is what gate staff open (from the day sheet, or by scanning the QR code on the
family's visit page): whom the party visits, each person's age on the visit day and the
documents each must show, read from the booking's stored rule results (CF-03, CF-02). It is a
console page, so only signed-in staff of the visit's facility see it; anyone else is sent to
the staff sign-in, and staff of another facility get a 404 page.

Checking in (arrived, late, no-show) calls the booking service's ``mark_attendance``, the same
step as ``POST /api/v1/staff/visits/{visit_id}/attendance``: it feeds the visit's status, the
figures and the allowance ledgers, and is audited.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post

from visits.booking import service
from visits.booking.dependencies import CallersVisit, staff_caller
from visits.booking.roles import BOOKING_ROLES
from visits.db.base import utcnow
from visits.dependencies import AppSettings, DbSession
from visits.enums import Attendance, VisitStatus
from visits.errors import Conflict, Unprocessable
from visits.facilities import reports
from visits.i18n import N_
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.forms import read_form
from visits.web.console.report_pages import day_sheet_page
from visits.web.console.session import ConsolePage, StaffPage
from visits.web.console.visit_pages import visit_here
from visits.web.labels import problem_message
from visits.web.pages import see_other
from visits.web.qr import pass_path

# What staff read when a check-in cannot be recorded, by the domain error's slug.
CHECK_IN_PROBLEMS = {
    "not-confirmed": N_(
        "This visit is not booked any more: the gate has already recorded it, or it was cancelled."
    ),
    "not-started": N_(
        "Too early: arrivals are recorded on the day of the visit, a no-show once the visit "
        "has begun."
    ),
    "invalid-body": N_("Please choose arrived, late or did not come."),
}


class CheckInIn(msgspec.Struct, forbid_unknown_fields=True):
    """The check-in form: what the gate saw, and which page to go back to."""

    outcome: Annotated[str, msgspec.Meta(pattern="^(attended|late|no_show)$")]
    back: Annotated[str, msgspec.Meta(pattern="^(day-sheet|pass)$")] = "day-sheet"


class ConsoleGateController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    async def _pass_page(
        self,
        page: StaffPage,
        session: DbSession,
        visit: CallersVisit,
        *,
        status: int = 200,
        problem: str | None = None,
    ) -> Response[Any]:
        facility = page.current_facility
        zone = ZoneInfo(facility.timezone)
        shown = await reports.visit_pass(session, page.principal_staff, visit, zone)
        now = utcnow()
        on_the_day = shown.local_start.date() <= now.astimezone(zone).date()
        return page.render(
            "console/visit_pass.html",
            status=status,
            visit_pass=shown,
            check_in_names=reports.CHECK_IN_NAMES,
            may_check_in=page.permissions().book
            and visit.status is VisitStatus.CONFIRMED
            and on_the_day,
            may_record_no_show=visit.starts_at <= now,
            problem=problem,
        )

    @get("/visits/{visit_id:uuid}/pass", dependencies=visit_here(lock=False))
    async def visit_pass(
        self, facility_page: ConsolePage, visit: CallersVisit, db_session: DbSession
    ) -> Response[Any]:
        return await self._pass_page(facility_page, db_session, visit)

    @post("/visits/{visit_id:uuid}/check-in", dependencies=visit_here(lock=True))
    async def check_in(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        visit: CallersVisit,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """Arrived, late or did not come: recorded by the booking service, audited."""
        page = facility_page
        page.require(BOOKING_ROLES)
        form = await read_form(request)
        back = "pass" if form.get("back") == "pass" else "day-sheet"
        day = visit.starts_at.astimezone(ZoneInfo(page.current_facility.timezone)).date()
        try:
            body = parse_body(CheckInIn, form.present("outcome", "back"), strict=False)
            caller = staff_caller(
                page.principal_staff, visit.facility_id, BOOKING_ROLES, page.language
            )
            await service.mark_attendance(
                db_session, caller, visit, Attendance(body.outcome), settings=settings
            )
        except (Conflict, Unprocessable) as refused:
            message = problem_message(refused, CHECK_IN_PROBLEMS, page._)
            status = 422 if isinstance(refused, Unprocessable) else refused.status
            if back == "pass":
                return await self._pass_page(
                    page, db_session, visit, status=status, problem=message
                )
            return await day_sheet_page(
                page, db_session, day, status=status, problem=(visit.id, message)
            )
        if back == "pass":
            return see_other(pass_path(visit.facility_id, visit.id))
        return see_other(
            f"/staff/facilities/{visit.facility_id}/day-sheet",
            query={"date": day.isoformat(), "checked": str(visit.id)},
        )
