"""A household as staff see it: its people, each with the safeguarding facts the booking rules
read (flags CF-05, a child's wish CF-22, guardian consent per child CF-02), and for a
safeguarding lead the forms to record and clear them.

Every fact goes through ``people.service.safeguarding``, the service the staff API uses: the
same role check (a safeguarding lead of the facility only), the same household check (only a
household connected to the facility: an approval request for a prisoner there, or a visit
there), the same audit record with the reason. Other staff roles read the facts without the
reasons and without forms. Other pages (the visit page, phone bookings) link here at
``/staff/facilities/{facility_id}/households/{household_id}``.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath

from visits.dependencies import DbSession
from visits.enums import SafeguardingFlag
from visits.errors import Conflict, DomainError, NotFound, Unprocessable
from visits.i18n import N_
from visits.people.schemas.safeguarding import ClearIn, ConsentIn, FlagIn, WishIn
from visits.people.service import safeguarding
from visits.people.service.roles import safeguarding_lead
from visits.rules.model import VisitWish
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.forms import FormValues, read_form
from visits.web.console.session import ConsolePage, StaffPage
from visits.web.pages import see_other

FLAGS = {
    SafeguardingFlag.NO_CHILD_CONTACT: N_("No contact with children"),
    SafeguardingFlag.CHECK_PENDING: N_("Background check pending"),
    SafeguardingFlag.COURT_ORDER: N_("A court order limits contact"),
}
UNKNOWN_FLAG = N_("Other safeguarding flag (recorded earlier)")
WISHES = {
    VisitWish.YES: N_("Wants to visit"),
    VisitWish.NO: N_("Does not want to visit"),
    VisitWish.UNSURE: N_("Unsure"),
}
NO_WISH = "none"  # the form's value for "no wish recorded"
# One sentence per form field, in the form's order.
FIELD_ERRORS = {
    "flag": N_("Please choose a flag."),
    "wish": N_("Please choose the child's wish."),
    "adult_visitor_id": N_("Please choose an adult of the household."),
    "reason": N_("Please give a reason of at least 3 characters."),
}
CONFLICTS = {
    "flag-exists": ("flag", N_("This person has this flag already.")),
    "flag-not-set": ("reason", N_("This flag was cleared already.")),
    "consent-exists": (
        "adult_visitor_id",
        N_("Consent for this child with this adult is on file."),
    ),
    "consent-withdrawn": ("reason", N_("This consent was withdrawn already.")),
}
DONE = {
    "flag_set": N_("The flag was set. Bookings with this person now go to review."),
    "flag_cleared": N_("The flag was cleared."),
    "wish_saved": N_("The child's wish was saved."),
    "consent_recorded": N_("The consent was recorded."),
    "consent_withdrawn": N_("The consent was withdrawn."),
}


def _errors(page: StaffPage, prefix: str, failure: DomainError) -> dict[str, str]:
    """Per field of the form ``prefix`` (its element ids), one sentence in the page's language."""
    if isinstance(failure, Conflict) and failure.slug in CONFLICTS:
        field, text = CONFLICTS[failure.slug]
        return {f"{prefix}-{field}": page._(text)}
    shown: dict[str, str] = {}
    for error in failure.errors:
        name = str(error.get("name", ""))
        if name == "child_visitor_id":
            name = "adult_visitor_id"
        if name in FIELD_ERRORS:
            shown.setdefault(f"{prefix}-{name}", page._(FIELD_ERRORS[name]))
    return shown or {f"{prefix}-reason": page._(FIELD_ERRORS["reason"])}


class ConsoleHouseholdController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}/households/{household_id:uuid}"

    async def _page(
        self,
        page: StaffPage,
        session: DbSession,
        household_id: uuid.UUID,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        form: FormValues | None = None,
        open_form: str = "",
    ) -> Response[Any]:
        facility = page.current_facility
        facts = await safeguarding.household_facts(
            session, page.principal_staff, facility.id, household_id
        )
        names = {p.visitor_id: f"{p.given_name} {p.family_name}" for p in facts.people}
        adults = [(str(p.visitor_id), names[p.visitor_id]) for p in facts.people if not p.child]
        done_key = page.request.query_params.get("done") or ""
        return page.render(
            "console/household.html",
            status=status,
            facts=facts,
            names=names,
            adults=adults,
            flag_options=[(f.value, page._(text)) for f, text in FLAGS.items()],
            flag_label={f.value: page._(text) for f, text in FLAGS.items()},
            unknown_flag=page._(UNKNOWN_FLAG),
            wish_label={w.value: page._(text) for w, text in WISHES.items()},
            wish_options=[(w.value, page._(text)) for w, text in WISHES.items()],
            no_wish=NO_WISH,
            errors=errors or {},
            form=form or FormValues({}),
            open_form=open_form,
            done=page._(DONE[done_key]) if done_key in DONE else None,
        )

    async def _refused(
        self,
        page: StaffPage,
        session: DbSession,
        household_id: uuid.UUID,
        prefix: str,
        form: FormValues,
        errors: dict[str, str],
    ) -> Response[Any]:
        """The page again (422) with the form ``prefix`` open, as it was sent, and its errors."""
        return await self._page(
            page, session, household_id, status=422, errors=errors, form=form, open_form=prefix
        )

    def _back(self, page: StaffPage, household_id: uuid.UUID, done: str) -> Response[Any]:
        facility_id = page.current_facility.id
        return see_other(f"/staff/facilities/{facility_id}/households/{household_id}", done=done)

    async def _visitor_of(
        self, page: StaffPage, session: DbSession, household_id: uuid.UUID, visitor_id: uuid.UUID
    ) -> None:
        """The visitor belongs to the household in the path (else not found)."""
        facts = await safeguarding.household_facts(
            session, page.principal_staff, page.current_facility.id, household_id
        )
        if all(p.visitor_id != visitor_id for p in facts.people):
            raise NotFound("visitor-not-found", "There is no such visitor in the household.")

    @get("/")
    async def household(
        self, facility_page: ConsolePage, db_session: DbSession, household_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """The household's people and the safeguarding facts about them."""
        return await self._page(facility_page, db_session, household_id)

    @post("/visitors/{visitor_id:uuid}/flags")
    async def set_flag(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        household_id: FromPath[uuid.UUID],
        visitor_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = facility_page
        staff = page.principal_staff
        safeguarding_lead(staff, page.current_facility.id)
        await self._visitor_of(page, db_session, household_id, visitor_id)
        form = await read_form(request)
        prefix = f"flag-{visitor_id}"
        try:
            body = parse_body(FlagIn, form.present("flag", "reason"), strict=False)
            await safeguarding.set_flag(
                db_session, staff, page.current_facility.id, visitor_id, body
            )
        except (Unprocessable, Conflict) as failure:
            errors = _errors(page, prefix, failure)
            return await self._refused(page, db_session, household_id, prefix, form, errors)
        return self._back(page, household_id, "flag_set")

    @post("/visitors/{visitor_id:uuid}/flags/{flag:str}/clearing")
    async def clear_flag(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        household_id: FromPath[uuid.UUID],
        visitor_id: FromPath[uuid.UUID],
        flag: FromPath[str],
    ) -> Response[Any]:
        page = facility_page
        staff = page.principal_staff
        safeguarding_lead(staff, page.current_facility.id)
        await self._visitor_of(page, db_session, household_id, visitor_id)
        form = await read_form(request)
        prefix = f"clear-{visitor_id}-{flag}"
        try:
            body = parse_body(ClearIn, form.present("reason"), strict=False)
            await safeguarding.clear_flag(
                db_session, staff, page.current_facility.id, visitor_id, flag, body
            )
        except (Unprocessable, Conflict) as failure:
            errors = _errors(page, prefix, failure)
            return await self._refused(page, db_session, household_id, prefix, form, errors)
        return self._back(page, household_id, "flag_cleared")

    @post("/visitors/{visitor_id:uuid}/wish")
    async def record_wish(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        household_id: FromPath[uuid.UUID],
        visitor_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = facility_page
        staff = page.principal_staff
        safeguarding_lead(staff, page.current_facility.id)
        await self._visitor_of(page, db_session, household_id, visitor_id)
        form = await read_form(request)
        prefix = f"wish-{visitor_id}"
        raw: dict[str, Any] = form.present("reason")
        chosen = form.get("wish")
        if chosen == NO_WISH:
            raw["wish"] = None
        elif chosen:
            raw["wish"] = chosen
        try:
            body = parse_body(WishIn, raw, strict=False)
            await safeguarding.record_wish(
                db_session, staff, page.current_facility.id, visitor_id, body
            )
        except (Unprocessable, Conflict) as failure:
            errors = _errors(page, prefix, failure)
            return await self._refused(page, db_session, household_id, prefix, form, errors)
        return self._back(page, household_id, "wish_saved")

    @post("/visitors/{visitor_id:uuid}/consents")
    async def record_consent(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        household_id: FromPath[uuid.UUID],
        visitor_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = facility_page
        staff = page.principal_staff
        safeguarding_lead(staff, page.current_facility.id)
        await self._visitor_of(page, db_session, household_id, visitor_id)
        form = await read_form(request)
        prefix = f"consent-{visitor_id}"
        raw = form.present("adult_visitor_id", "reason") | {"child_visitor_id": str(visitor_id)}
        try:
            body = parse_body(ConsentIn, raw, strict=False)
            await self._visitor_of(page, db_session, household_id, body.adult_visitor_id)
            await safeguarding.record_consent(db_session, staff, page.current_facility.id, body)
        except NotFound:
            errors = {f"{prefix}-adult_visitor_id": page._(FIELD_ERRORS["adult_visitor_id"])}
            return await self._refused(page, db_session, household_id, prefix, form, errors)
        except (Unprocessable, Conflict) as failure:
            errors = _errors(page, prefix, failure)
            return await self._refused(page, db_session, household_id, prefix, form, errors)
        return self._back(page, household_id, "consent_recorded")

    @post("/consents/{consent_id:uuid}/withdrawal")
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        household_id: FromPath[uuid.UUID],
        consent_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = facility_page
        staff = page.principal_staff
        safeguarding_lead(staff, page.current_facility.id)
        facts = await safeguarding.household_facts(
            db_session, staff, page.current_facility.id, household_id
        )
        if all(c.id != consent_id for p in facts.people for c in p.consents):
            raise NotFound("consent-not-found", "There is no such guardian consent.")
        form = await read_form(request)
        prefix = f"withdraw-{consent_id}"
        try:
            body = parse_body(ClearIn, form.present("reason"), strict=False)
            await safeguarding.withdraw_consent(
                db_session, staff, page.current_facility.id, consent_id, body
            )
        except (Unprocessable, Conflict) as failure:
            errors = _errors(page, prefix, failure)
            return await self._refused(page, db_session, household_id, prefix, form, errors)
        return self._back(page, household_id, "consent_withdrawn")
