"""Visitor approvals (CF-04): the queue of families' requests to visit a prisoner, and one
request with its decision.

Decisions go through ``people.service.approvals.decide_approval``, the service the staff API
uses: the same roles, the same court-permit check for a prisoner on remand, the same audit
record, and the same notice to the household (the outcome; a rejection's reason only where
staff chose to tell it, never a safeguarding one).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath, QueryParameter

from visits.db.base import utcnow
from visits.dependencies import DbSession
from visits.enums import ApprovalStatus, CustodyStatus
from visits.errors import Forbidden, NotFound, Unprocessable
from visits.i18n import N_
from visits.pagination import Limit, Offset
from visits.people import queries as people_queries
from visits.people.schemas import DecisionIn
from visits.people.service import approvals
from visits.people.service.roles import APPROVAL_ROLES
from visits.rules.ages import age_on
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.forms import FormValues, read_form
from visits.web.console.session import ConsolePage, StaffPage
from visits.web.pages import see_other

QUEUE_PAGE = 25
# The queue's tabs: the requests waiting first, then those decided.
TABS = {
    ApprovalStatus.PENDING: N_("Waiting for a decision"),
    ApprovalStatus.APPROVED: N_("Approved"),
    ApprovalStatus.REJECTED: N_("Not approved"),
}
CUSTODY = {
    CustodyStatus.REMAND: N_("On remand"),
    CustodyStatus.SENTENCED: N_("Sentenced"),
}
# The decision form's fields (``status`` and ``share_reason`` are the API's names).
FIELD_ERRORS = {  # in the form's order
    "decision": N_("Please choose a decision."),
    "court_permit_until": N_("Please enter the last day of the court permit, today or later."),
    "reason": N_("Please give a reason of at least 3 characters."),
    "tell_family": N_("Please choose whether the family may read the reason."),
}
_FORM_NAMES = {"status": "decision", "share_reason": "tell_family"}
_DECISIONS = {"approve": ApprovalStatus.APPROVED, "reject": ApprovalStatus.REJECTED}
_TELLING = {"share": "true", "withhold": "false"}


def _today(page: StaffPage) -> date:
    return utcnow().astimezone(ZoneInfo(page.current_facility.timezone)).date()


def _may_decide(page: StaffPage) -> bool:
    try:
        page.require(APPROVAL_ROLES)
    except Forbidden:
        return False
    return True


def _decision_body(form: FormValues) -> tuple[dict[str, str], dict[str, str]]:
    """The API's decision body from the form, and what the form lacks that the body cannot
    say (the choice whether the family reads a rejection's reason)."""
    raw = form.present("reason")
    missing: dict[str, str] = {}
    status = _DECISIONS.get(form.get("decision"))
    if status is not None:
        raw["status"] = status.value
    if status is ApprovalStatus.APPROVED and form.get("court_permit_until"):
        raw["court_permit_until"] = form.get("court_permit_until")
    if status is ApprovalStatus.REJECTED:
        telling = _TELLING.get(form.get("tell_family"))
        if telling is None:
            missing["tell_family"] = FIELD_ERRORS["tell_family"]
        else:
            raw["share_reason"] = telling
    return raw, missing


def _field_messages(page: StaffPage, errors: list[dict[str, Any]]) -> dict[str, str]:
    """One sentence per form field, in the page's language."""
    shown: dict[str, str] = {}
    for error in errors:
        name = _FORM_NAMES.get(str(error.get("name", "")), str(error.get("name", "")))
        if name in FIELD_ERRORS and name not in shown:
            shown[name] = page._(FIELD_ERRORS[name])
    return shown


class ConsoleApprovalsController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    @get("/approvals")
    async def queue(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        status: Annotated[ApprovalStatus, QueryParameter()] = ApprovalStatus.PENDING,
        limit: Limit = QUEUE_PAGE,
        offset: Offset = 0,
    ) -> Response[Any]:
        """Families' requests to visit a prisoner: waiting ones oldest first, or those
        decided."""
        page = facility_page
        facility = page.current_facility
        rows, total = await people_queries.approvals_at(
            db_session, facility.id, status, limit=limit, offset=offset
        )
        today = _today(page)
        return page.render(
            "console/approvals.html",
            rows=rows,
            total=total,
            shown_status=status,
            tabs=[(s, page._(text)) for s, text in TABS.items()],
            ages={row.approval.id: age_on(row.visitor.birth_date, today) for row in rows},
            custody={s: page._(text) for s, text in CUSTODY.items()},
            permit_needed={
                row.approval.id: people_queries.permit_needed(row.prisoner, facility)
                for row in rows
            },
            limit=limit,
            offset=offset,
        )

    async def _approval_page(
        self,
        page: StaffPage,
        session: DbSession,
        approval_id: uuid.UUID,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        form: FormValues | None = None,
    ) -> Response[Any]:
        facility = page.current_facility
        found = errors or {}
        row = await people_queries.approval_row(session, approval_id, facility_id=facility.id)
        if row is None:
            raise NotFound("approval-not-found", "There is no such approval request.")
        return page.render(
            "console/approval.html",
            status=status,
            row=row,
            age=age_on(row.visitor.birth_date, _today(page)),
            custody={s: page._(text) for s, text in CUSTODY.items()},
            permit_needed=people_queries.permit_needed(row.prisoner, facility),
            may_decide=_may_decide(page),
            today=_today(page),
            errors={name: found[name] for name in FIELD_ERRORS if name in found},
            form=form or FormValues({}),
        )

    @get("/approvals/{approval_id:uuid}")
    async def approval(
        self, facility_page: ConsolePage, db_session: DbSession, approval_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        return await self._approval_page(facility_page, db_session, approval_id)

    @post("/approvals/{approval_id:uuid}/decision")
    async def decide(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        approval_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Approve (with the court permit's last day where needed) or reject, with a reason;
        the household is told."""
        page = facility_page
        page.require(APPROVAL_ROLES)
        form = await read_form(request)
        raw, missing = _decision_body(form)
        facility_id = page.current_facility.id
        errors = {name: page._(text) for name, text in missing.items()}
        try:
            body = parse_body(DecisionIn, raw, strict=False)
            if not errors:
                decided = await approvals.decide_approval(
                    db_session, page.principal_staff, approval_id, body, facility_id=facility_id
                )
        except Unprocessable as invalid:  # a field, or a court permit the prisoner needs
            errors = _field_messages(page, invalid.errors) | errors
        if errors:  # every problem at once, the body's and the form's
            return await self._approval_page(
                page, db_session, approval_id, status=422, errors=errors, form=form
            )
        done = "approved" if decided.status is ApprovalStatus.APPROVED else "rejected"
        return see_other(f"/staff/facilities/{facility_id}/approvals", done=done)
