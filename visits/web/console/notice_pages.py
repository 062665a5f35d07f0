"""Messages to families as staff see them: the list of a facility's notices that need attention
(failed, undeliverable, or waiting for another attempt), and the rows the visit page shows.

Staff see where a message went only masked, and never what it said (``params``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Response, get

from visits.db.models import Notice
from visits.dependencies import DbSession
from visits.enums import ReminderState
from visits.notify import queries as notify_queries
from visits.notify.presenters import masked_address, shown_error
from visits.pagination import Limit, Offset
from visits.web.console.base import ConsoleController
from visits.web.console.session import ConsolePage

LIST_PAGE = 25
FAILING = (ReminderState.FAILED, ReminderState.UNDELIVERABLE)


@dataclass(frozen=True)
class ShownNotice:
    """One notice as a row of a console table."""

    notice: Notice
    to: str
    error: str | None
    reference: str | None = None


def needs_attention(notice: Notice) -> bool:
    """As ``notify.queries.NEEDS_ATTENTION``, for a loaded row."""
    return notice.state in FAILING or (
        notice.state is ReminderState.PENDING and notice.attempts > 0
    )


def shown(notice: Notice, reference: str | None = None) -> ShownNotice:
    """The row: the address masked, and what went wrong only while the notice is failing."""
    return ShownNotice(
        notice=notice,
        to=masked_address(notice.channel, notice.address),
        error=shown_error(notice) if needs_attention(notice) else None,
        reference=reference,
    )


class ConsoleNoticesController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    @get("/notices")
    async def notices(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        limit: Limit = LIST_PAGE,
        offset: Offset = 0,
    ) -> Response[Any]:
        """The facility's messages to families that did not reach them, newest first."""
        rows, total = await notify_queries.notices_needing_attention(
            db_session, facility_page.current_facility.id, limit=limit, offset=offset
        )
        return facility_page.render(
            "console/notices.html",
            rows=[shown(notice, reference) for notice, reference in rows],
            total=total,
            limit=limit,
            offset=offset,
        )
