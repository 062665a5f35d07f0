"""Retention review (JVollzDSG NRW § 42 (3): whether families' data is still needed is reviewed
at least yearly): the households the next nightly run will erase, for the facility's visits
manager (and administrators).

The list is ``people.retention.due_households`` for the time of the next run, the selection the
job (``visits.scheduler.retention``) erases; a household appears here when it visited or asked to
visit someone at this facility. Households that never did anywhere (sign-ups that went no
further) belong to no facility: only administrators see them, below.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get

from visits.db.base import utcnow
from visits.dependencies import AppSettings, DbSession
from visits.facilities.service.access import MANAGE_ROLES
from visits.pagination import Limit, Offset
from visits.people import retention
from visits.web.console.base import ConsoleController
from visits.web.console.session import ConsolePage

LIST_PAGE = 50


class ConsoleRetentionController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    @get("/retention")
    async def retention(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
        limit: Limit = LIST_PAGE,
        offset: Offset = 0,
    ) -> Response[Any]:
        """What the next run erases, the longest silent first."""
        page = facility_page
        page.require(MANAGE_ROLES)
        facility = page.current_facility
        days = settings.retention_days
        run_at = retention.next_run(utcnow())
        here = retention.linked_to(facility.id)
        rows = await retention.due_households(db_session, run_at, days, here)
        unlinked = None
        if page.principal_staff.is_admin:
            nowhere = retention.linked_to(None)
            unlinked = await retention.due_households(db_session, run_at, days, nowhere)
        return page.render(
            "console/retention.html",
            rows=rows[offset : offset + limit],
            total=len(rows),
            unlinked=unlinked,
            days=days,
            run_at=run_at,
            since=retention.cutoff_for(run_at, days),
            limit=limit,
            offset=offset,
        )
