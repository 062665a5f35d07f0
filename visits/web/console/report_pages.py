"""Report pages: the printable day sheet with its CSV and the gate's check-in buttons (recorded
by ``gate_pages``), children's contact and capacity alerts, and a month's figures as charts
with their numbers in tables."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Response, get
from litestar.params import QueryParameter

from visits import csv_files
from visits.db.base import utcnow
from visits.dependencies import DbSession
from visits.facilities import reports
from visits.people import alerts as facility_alerts
from visits.web.console.base import ConsoleController
from visits.web.console.charts import Bar, bar_chart
from visits.web.console.labels import ALERT_TITLES
from visits.web.console.session import ConsolePage, StaffPage

ALERT_ORDER = tuple(ALERT_TITLES)  # the alerts page's groups, in this order


def _percent(share: float) -> str:
    return f"{round(share * 100)} %"


def _previous_and_next(month: str) -> tuple[str, str]:
    year, number = (int(p) for p in month.split("-"))
    before = (year - (number == 1), 12 if number == 1 else number - 1)
    after = (year + (number == 12), 1 if number == 12 else number + 1)
    return f"{before[0]:04d}-{before[1]:02d}", f"{after[0]:04d}-{after[1]:02d}"


async def day_sheet_page(
    page: StaffPage,
    session: DbSession,
    day: date,
    *,
    status: int = 200,
    checked: str | None = None,
    problem: tuple[uuid.UUID, str] | None = None,
) -> Response[Any]:
    """The day sheet of ``day`` with its check-in buttons (``gate_pages`` records them):
    ``checked`` names the visit just checked in, ``problem`` one whose check-in failed."""
    facility = page.current_facility
    now = utcnow()
    today = now.astimezone(ZoneInfo(facility.timezone)).date()
    sheet = await reports.day_sheet(session, page.principal_staff, facility.id, day, page.language)
    just_checked = next((v for v in sheet.visits if str(v.visit_id) == checked), None)
    return page.render(
        "console/day_sheet.html",
        status=status,
        sheet=sheet,
        day=day,
        today=today,
        now=now,
        check_in_names=reports.CHECK_IN_NAMES,
        may_check_in=page.permissions().book and day <= today,
        just_checked=just_checked,
        problem=problem,
    )


class ConsoleReportsController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    @get("/day-sheet")
    async def day_sheet(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        day: Annotated[date | None, QueryParameter(name="date")] = None,
        checked: Annotated[str | None, QueryParameter(max_length=36)] = None,
    ) -> Response[Any]:
        facility = facility_page.current_facility
        today = utcnow().astimezone(ZoneInfo(facility.timezone)).date()
        return await day_sheet_page(facility_page, db_session, day or today, checked=checked)

    @get("/day-sheet.csv")
    async def day_sheet_csv(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        day: Annotated[date, QueryParameter(name="date")],
    ) -> Response[str]:
        facility_id = facility_page.current_facility.id
        sheet = await reports.day_sheet(
            db_session, facility_page.principal_staff, facility_id, day, facility_page.language
        )
        return Response(
            reports.day_sheet_csv(sheet, facility_page.language),
            media_type=csv_files.MEDIA_TYPE,
            headers=csv_files.download_headers(f"day-sheet-{day}.csv"),
        )

    @get("/alerts")
    async def alerts(self, facility_page: ConsolePage, db_session: DbSession) -> Response[Any]:
        page = facility_page
        found = await facility_alerts.facility_alerts(
            db_session, page.current_facility, page.language
        )
        groups = [(rule, [a for a in found if a.rule_id == rule]) for rule in ALERT_ORDER]
        others = [a for a in found if a.rule_id not in ALERT_ORDER]
        return page.render("console/alerts.html", groups=groups, others=others, total=len(found))

    @get("/figures")
    async def figures(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        month: Annotated[str | None, QueryParameter(pattern=reports.MONTH_PATTERN)] = None,
    ) -> Response[Any]:
        page = facility_page
        facility = page.current_facility
        shown = month or f"{utcnow().astimezone(ZoneInfo(facility.timezone)):%Y-%m}"
        figures = await reports.month_figures(db_session, page.principal_staff, facility.id, shown)
        _ = page._
        without = figures.visits - figures.visits_with_children
        charts = {
            "children": bar_chart(
                _("Visits with and without children"),
                [
                    Bar(
                        _("With children"),
                        figures.visits_with_children,
                        str(figures.visits_with_children),
                        True,
                    ),
                    Bar(_("Without children"), without, str(without)),
                ],
            ),
            "school": bar_chart(
                _("Child-friendly slots outside school hours"),
                [
                    Bar(
                        _("Outside school hours"),
                        figures.share_child_friendly_outside_school_hours,
                        _percent(figures.share_child_friendly_outside_school_hours),
                        True,
                    )
                ],
                scale_max=1.0,
            ),
            "rooms": bar_chart(
                _("Utilisation per room"),
                [
                    Bar(r.room_name, r.utilisation, _percent(r.utilisation), r.child_friendly)
                    for r in figures.rooms
                ],
                scale_max=1.0,
            ),
            "waiting": bar_chart(
                _("Waiting time from booking or request to the visit"),
                [Bar(self._bucket(page, b), b.visits, str(b.visits)) for b in figures.waiting],
            ),
        }
        before, after = _previous_and_next(shown)
        return page.render(
            "console/figures.html",
            figures=figures,
            charts=charts,
            month=shown,
            month_start=reports.month_bounds(shown)[0],
            before=before,
            after=after,
            percent=_percent,
            bucket=lambda b: self._bucket(page, b),
        )

    @staticmethod
    def _bucket(page: StaffPage, bucket: reports.WaitingBucket) -> str:
        if bucket.to_days is None:
            return page._("%(days)d days or more") % {"days": bucket.from_days}
        return page._("%(low)d to %(high)d days") % {
            "low": bucket.from_days,
            "high": bucket.to_days,
        }
