"""Prisoner casework: the facility's prisoners (found by name or prison number), registering
one or many from a CSV file, and one prisoner's page with the safeguarding facts and the moves
that end their visits here.

Every change goes through the services the staff API uses, with their role checks and audit
records: ``people.service.prisoners`` (registering, importing, restrictions (CF-05), "closed
visits only" (CF-19), which only the facility's safeguarding lead records) and
``booking.prisoner_changes`` (release and transfer, which cancel the upcoming visits and tell
each household through the notice outbox). Before a release or transfer is confirmed, staff
see how many visits it cancels.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter

from visits.booking import prisoner_changes
from visits.dependencies import AppSettings, DbSession
from visits.enums import CustodyStatus, RestrictionCode
from visits.errors import Conflict, Forbidden, Unprocessable
from visits.facilities import queries as facility_queries
from visits.i18n import N_, translate
from visits.pagination import Limit, Offset
from visits.people.schemas import (
    ClosedVisitsIn,
    LiftIn,
    PrisonerIn,
    ReleaseIn,
    RestrictionIn,
    TransferIn,
)
from visits.people.service import prisoners
from visits.people.service.roles import PRISONER_EDIT_ROLES, safeguarding_lead
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.forms import FormValues, read_form
from visits.web.console.session import ConsolePage, StaffPage
from visits.web.pages import see_other

LIST_PAGE = 25
MAX_UPLOAD_BYTES = 1_000_000  # the API's limit of a document
CUSTODY = {
    CustodyStatus.REMAND: N_("On remand"),
    CustodyStatus.SENTENCED: N_("Sentenced"),
}
RESTRICTIONS = {
    RestrictionCode.NO_CHILD_CONTACT: N_("No contact with children"),
    RestrictionCode.CHILD_VISITORS_VETTED: N_("Child visitors only after a check"),
}
# What the page says after each change (this module's own, read from ``?done=``).
DONE = {
    "registered": N_("The prisoner was registered."),
    "imported": N_("The prisoners were imported."),
    "restriction_added": N_("The restriction was recorded with its reason."),
    "restriction_lifted": N_("The restriction was lifted. It stays on record."),
    "closed_visits": N_("The visiting arrangement was saved with its reason."),
    "released": N_("The release was recorded. Cancelled visits' households were told."),
    "transferred": N_("The transfer was recorded. Cancelled visits' households were told."),
}
# One sentence per form field (the form's names; a reason field per form).
FIELD_ERRORS = {
    "prison_number": N_("Please enter the prison number (up to 32 characters)."),
    "given_name": N_("Please enter the given name (up to 100 characters)."),
    "family_name": N_("Please enter the family name (up to 100 characters)."),
    "admission_date": N_("Please enter the admission date, today or earlier."),
    "custody_status": N_("Please choose the custody status."),
    "restriction_code": N_("Please choose a restriction."),
    "valid_until": N_("The last day must be today or later (or leave it empty)."),
    "restriction_reason": N_("Please give a reason of at least 3 characters."),
    "closed_visits_only": N_("Please choose how the prisoner may be visited."),
    "closed_reason": N_("Please give a reason of at least 3 characters."),
    "released_on": N_("Please enter the day of release, not before the admission."),
    "release_reason": N_("Please give a reason of at least 3 characters."),
    "facility_id": N_("Please choose another facility that takes visits."),
    "new_prison_number": N_("Please enter the prison number there (up to 32 characters)."),
    "transfer_reason": N_("Please give a reason of at least 3 characters."),
    "document": N_("Please choose a CSV file or paste its text."),
}
# What a line of an import lacks, by column, where the check's own words are technical
# (a date the parser cannot read); the service's own findings are shown as they are.
IMPORT_ERRORS = {
    "prison_number": N_("a prison number of up to 32 characters is needed"),
    "given_name": N_("a given name of up to 100 characters is needed"),
    "family_name": N_("a family name of up to 100 characters is needed"),
    "admission_date": N_("a date such as 2026-03-01 or 01.03.2026, today or earlier, is needed"),
    "custody_status": N_("remand or sentenced is needed"),
}
_SERVICE_FINDINGS = {"is registered already", "also on line %(line)s"}
EXISTS = N_("This prison number is already registered here.")
EXISTS_THERE = N_("This prison number is already registered at that facility.")
RELEASED = N_("The prisoner was released already.")
LIFTED = N_("The restriction was lifted already.")
# The API's field names, by form, as the form names them.
_REGISTER = {name: name for name in PrisonerIn.__struct_fields__}
_RESTRICTION = {
    "code": "restriction_code",
    "valid_until": "valid_until",
    "reason": "restriction_reason",
}
_CLOSED = {"closed_visits_only": "closed_visits_only", "reason": "closed_reason"}
_RELEASE = {"released_on": "released_on", "reason": "release_reason"}
_TRANSFER = {
    "facility_id": "facility_id",
    "prison_number": "new_prison_number",
    "reason": "transfer_reason",
}


def _body(form: FormValues, names: dict[str, str]) -> dict[str, str]:
    """The API's body from the form's non-empty fields."""
    return {api: form.get(field) for api, field in names.items() if form.get(field)}


def _messages(
    page: StaffPage, errors: list[dict[str, Any]], names: dict[str, str]
) -> dict[str, str]:
    """One sentence per form field, in the page's language and the form's order; a problem
    of no field of the form is shown at its first field."""
    first = next(iter(names.values()))
    found = {names.get(str(error.get("name", "")), first) for error in errors}
    return {name: page._(FIELD_ERRORS[name]) for name in names.values() if name in found}


def _allowed(check: Callable[[], object]) -> bool:
    try:
        check()
    except Forbidden:
        return False
    return True


def _may_edit(page: StaffPage) -> bool:
    return _allowed(lambda: page.require(PRISONER_EDIT_ROLES))


def _may_safeguard(page: StaffPage) -> bool:
    return _allowed(lambda: safeguarding_lead(page.principal_staff, page.current_facility.id))


def _done(page: StaffPage) -> str | None:
    text = DONE.get(page.request.query_params.get("done") or "")
    return page._(text) if text else None


def _base(page: StaffPage) -> str:
    return f"/staff/facilities/{page.current_facility.id}/prisoners"


def _problems(page: StaffPage, errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An import's problems by line, each in the page's language."""
    shown = []
    for error in errors:
        column, detail = str(error["field"]), str(error["detail"])
        if column in IMPORT_ERRORS and detail not in _SERVICE_FINDINGS:
            text = page._(IMPORT_ERRORS[column])
        else:
            text = translate(page.language, detail, **error.get("params", {}))
        shown.append({"line": error["line"], "field": column, "detail": text})
    return shown


async def _document(request: Request[Any, Any, Any], form: FormValues) -> str:
    """The CSV text: the uploaded file's (UTF-8, or Windows' Western encoding), else the
    pasted text."""
    data = await request.form()
    upload = data.get("file")
    if isinstance(upload, UploadFile):
        content = await upload.read(MAX_UPLOAD_BYTES + 1)
        if content:
            try:
                return content[:MAX_UPLOAD_BYTES].decode("utf-8-sig")
            except UnicodeDecodeError:
                return content[:MAX_UPLOAD_BYTES].decode("cp1252", errors="replace")
    return form.get("document")


class ConsolePrisonersController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}/prisoners"

    async def _list_page(
        self,
        page: StaffPage,
        session: DbSession,
        *,
        q: str = "",
        limit: int = LIST_PAGE,
        offset: int = 0,
        status: int = 200,
        errors: dict[str, str] | None = None,
        form: FormValues | None = None,
    ) -> Response[Any]:
        rows, total = await prisoners.list_prisoners(
            session,
            page.principal_staff,
            page.current_facility.id,
            limit=limit,
            offset=offset,
            q=q or None,
        )
        return page.render(
            "console/prisoners.html",
            status=status,
            rows=rows,
            total=total,
            q=q,
            limit=limit,
            offset=offset,
            custody=[(s.value, page._(text)) for s, text in CUSTODY.items()],
            custody_names={s: page._(text) for s, text in CUSTODY.items()},
            may_edit=_may_edit(page),
            errors=errors or {},
            form=form or FormValues({}),
            done=_done(page),
        )

    @get("/")
    async def prisoner_list(
        self,
        facility_page: ConsolePage,
        db_session: DbSession,
        q: Annotated[str, QueryParameter(max_length=100)] = "",
        limit: Limit = LIST_PAGE,
        offset: Offset = 0,
    ) -> Response[Any]:
        """The facility's prisoners by family name; ``q`` finds a part of the name or of the
        prison number."""
        return await self._list_page(
            facility_page, db_session, q=q.strip(), limit=limit, offset=offset
        )

    @post("/")
    async def register(
        self, request: Request[Any, Any, Any], facility_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        page = facility_page
        page.require(PRISONER_EDIT_ROLES)
        form = await read_form(request)
        try:
            body = parse_body(PrisonerIn, _body(form, _REGISTER), strict=False)
            prisoner = await prisoners.create_prisoner(
                db_session, page.principal_staff, page.current_facility.id, body
            )
        except Unprocessable as invalid:
            errors = _messages(page, invalid.errors, _REGISTER)
            return await self._list_page(page, db_session, status=422, errors=errors, form=form)
        except Conflict:
            errors = {"prison_number": page._(EXISTS)}
            return await self._list_page(page, db_session, status=409, errors=errors, form=form)
        return see_other(f"{_base(page)}/{prisoner.id}", done="registered")

    # --- import from a CSV file ---------------------------------------------------------------

    async def _import_page(
        self,
        page: StaffPage,
        *,
        status: int = 200,
        document: str = "",
        result: prisoners.ImportResult | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response[Any]:
        return page.render(
            "console/prisoner_import.html",
            status=status,
            document=document,
            result=result,
            problems=_problems(page, result.errors) if result else [],
            custody_names={s: page._(text) for s, text in CUSTODY.items()},
            columns=prisoners.IMPORT_COLUMNS,
            errors=errors or {},
        )

    @get("/import")
    async def import_form(self, facility_page: ConsolePage) -> Response[Any]:
        facility_page.require(PRISONER_EDIT_ROLES)
        return await self._import_page(facility_page)

    @post("/import")
    async def import_prisoners(
        self, request: Request[Any, Any, Any], facility_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        """``action=preview`` checks every line and stores nothing; ``action=store`` registers
        them all, or none when any line has a problem."""
        page = facility_page
        page.require(PRISONER_EDIT_ROLES)
        form = await read_form(request)
        document = (await _document(request, form)).strip("\r\n")
        if not document.strip():
            errors = {"document": page._(FIELD_ERRORS["document"])}
            return await self._import_page(page, status=422, errors=errors)
        store = form.get("action") == "store"
        facility_id = page.current_facility.id
        staff = page.principal_staff
        try:
            result = await prisoners.import_prisoners(
                db_session, staff, facility_id, document, store=store
            )
        except (Unprocessable, Conflict):  # a line has a problem, or was registered meanwhile
            preview = await prisoners.import_prisoners(
                db_session, staff, facility_id, document, store=False
            )
            errors = {} if preview.errors else {"document": page._(FIELD_ERRORS["document"])}
            status = 409 if not preview.errors and preview.lines else 422
            return await self._import_page(
                page, status=status, document=document, result=preview, errors=errors
            )
        if store:
            return see_other(_base(page), done="imported")
        return await self._import_page(page, document=document, result=result)

    # --- one prisoner -------------------------------------------------------------------------

    async def _prisoner_page(
        self,
        page: StaffPage,
        session: DbSession,
        prisoner_id: uuid.UUID,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        form: FormValues | None = None,
        problem: str | None = None,
        confirm: dict[str, Any] | None = None,
    ) -> Response[Any]:
        facility = page.current_facility
        detail = await prisoners.prisoner_detail(
            session, page.principal_staff, prisoner_id, facility_id=facility.id
        )
        prisoner = await prisoners.prisoner_or_404(session, prisoner_id, facility_id=facility.id)
        upcoming = await prisoner_changes.visits_to_cancel(session, prisoner, None)
        may_edit = _may_edit(page) and prisoner.released_on is None
        targets: list[tuple[str, str]] = []
        if may_edit:
            active, _ = await facility_queries.list_facilities(session, limit=200, offset=0)
            targets = [(str(f.id), f.name) for f in active if f.id != facility.id]
        return page.render(
            "console/prisoner.html",
            status=status,
            detail=detail,
            prisoner=detail.prisoner,
            upcoming=len(upcoming),
            custody_names={s: page._(text) for s, text in CUSTODY.items()},
            restriction_names={c.value: page._(text) for c, text in RESTRICTIONS.items()},
            restriction_options=[(c.value, page._(text)) for c, text in RESTRICTIONS.items()],
            may_edit=may_edit,
            may_safeguard=_may_safeguard(page),
            targets=targets,
            errors=errors or {},
            form=form or FormValues({}),
            problem=problem,
            confirm=confirm,
            done=_done(page),
        )

    @get("/{prisoner_id:uuid}")
    async def prisoner(
        self, facility_page: ConsolePage, db_session: DbSession, prisoner_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        return await self._prisoner_page(facility_page, db_session, prisoner_id)

    @post("/{prisoner_id:uuid}/restrictions")
    async def add_restriction(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        prisoner_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """A restriction (CF-05) with its reason: the safeguarding lead only."""
        page = facility_page
        safeguarding_lead(page.principal_staff, page.current_facility.id)
        form = await read_form(request)
        try:
            body = parse_body(RestrictionIn, _body(form, _RESTRICTION), strict=False)
            await prisoners.add_restriction(
                db_session,
                page.principal_staff,
                prisoner_id,
                body,
                facility_id=page.current_facility.id,
            )
        except Unprocessable as invalid:
            errors = _messages(page, invalid.errors, _RESTRICTION)
            return await self._prisoner_page(
                page, db_session, prisoner_id, status=422, errors=errors, form=form
            )
        return see_other(f"{_base(page)}/{prisoner_id}", done="restriction_added")

    @post("/{prisoner_id:uuid}/restrictions/{restriction_id:uuid}/lift")
    async def lift_restriction(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        prisoner_id: FromPath[uuid.UUID],
        restriction_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = facility_page
        safeguarding_lead(page.principal_staff, page.current_facility.id)
        form = await read_form(request)
        name = f"lift_reason_{restriction_id.hex}"
        try:
            body = parse_body(LiftIn, _body(form, {"reason": name}), strict=False)
            await prisoners.lift_restriction(
                db_session,
                page.principal_staff,
                prisoner_id,
                restriction_id,
                body,
                facility_id=page.current_facility.id,
            )
        except Unprocessable:
            errors = {name: page._(FIELD_ERRORS["restriction_reason"])}
            return await self._prisoner_page(
                page, db_session, prisoner_id, status=422, errors=errors, form=form
            )
        except Conflict:
            return await self._prisoner_page(
                page, db_session, prisoner_id, status=409, problem=page._(LIFTED)
            )
        return see_other(f"{_base(page)}/{prisoner_id}", done="restriction_lifted")

    @post("/{prisoner_id:uuid}/closed-visits")
    async def closed_visits(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        prisoner_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Set or clear "closed visits only" (CF-19) with a reason: the safeguarding lead
        only."""
        page = facility_page
        safeguarding_lead(page.principal_staff, page.current_facility.id)
        form = await read_form(request)
        raw = _body(form, _CLOSED)
        if raw.get("closed_visits_only") not in ("true", "false", None):
            raw["closed_visits_only"] = "invalid"
        try:
            body = parse_body(ClosedVisitsIn, raw, strict=False)
            await prisoners.set_closed_visits(
                db_session,
                page.principal_staff,
                prisoner_id,
                body,
                facility_id=page.current_facility.id,
            )
        except Unprocessable as invalid:
            errors = _messages(page, invalid.errors, _CLOSED)
            return await self._prisoner_page(
                page, db_session, prisoner_id, status=422, errors=errors, form=form
            )
        return see_other(f"{_base(page)}/{prisoner_id}", done="closed_visits")

    async def _move(
        self,
        request: Request[Any, Any, Any],
        page: StaffPage,
        session: DbSession,
        settings: AppSettings,
        prisoner_id: uuid.UUID,
        kind: str,
    ) -> Response[Any]:
        """A release or transfer: first checked and shown with the number of visits it cancels,
        then, confirmed, made by the service."""
        page.require(PRISONER_EDIT_ROLES)
        form = await read_form(request)
        facility_id = page.current_facility.id
        staff = page.principal_staff
        names = _RELEASE if kind == "release" else _TRANSFER
        try:
            if kind == "release":
                release = parse_body(ReleaseIn, _body(form, names), strict=False)
                since = release.released_on
            else:
                transfer = parse_body(TransferIn, _body(form, names), strict=False)
                since = None
            if form.get("confirmed") != "yes":
                prisoner, _ = await prisoners.staff_prisoner(
                    session, staff, prisoner_id, PRISONER_EDIT_ROLES, facility_id=facility_id
                )
                cancelled = await prisoner_changes.visits_to_cancel(session, prisoner, since)
                confirm = {"kind": kind, "count": len(cancelled), "form": form, "day": since}
                if kind == "transfer":
                    target = await facility_queries.facility_or_404(session, transfer.facility_id)
                    confirm["target"] = target.name
                return await self._prisoner_page(
                    page, session, prisoner_id, confirm=confirm, form=form
                )
            if kind == "release":
                await prisoner_changes.release(
                    session, staff, prisoner_id, release, settings, facility_id=facility_id
                )
            else:
                await prisoner_changes.transfer(
                    session, staff, prisoner_id, transfer, settings, facility_id=facility_id
                )
        except Unprocessable as invalid:
            errors = _messages(page, invalid.errors, names)
            return await self._prisoner_page(
                page, session, prisoner_id, status=422, errors=errors, form=form
            )
        except Conflict as refused:
            if refused.slug == "prisoner-exists":
                errors = {"new_prison_number": page._(EXISTS_THERE)}
                return await self._prisoner_page(
                    page, session, prisoner_id, status=409, errors=errors, form=form
                )
            return await self._prisoner_page(
                page, session, prisoner_id, status=409, problem=page._(RELEASED)
            )
        if kind == "release":
            return see_other(f"{_base(page)}/{prisoner_id}", done="released")
        return see_other(_base(page), done="transferred")

    @post("/{prisoner_id:uuid}/release")
    async def release(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
        prisoner_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """The day of release: its visits from that day on are cancelled, households told."""
        return await self._move(
            request, facility_page, db_session, settings, prisoner_id, "release"
        )

    @post("/{prisoner_id:uuid}/transfer")
    async def transfer(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
        prisoner_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Another facility: the upcoming visits here are cancelled, households told."""
        return await self._move(
            request, facility_page, db_session, settings, prisoner_id, "transfer"
        )
