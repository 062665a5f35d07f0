"""Household self-service on the family pages: the people of the household, contact data and
language, confirming the mobile number, how the household is told, calendar subscriptions, and
the household's data (download and erasure).

The pages call the same services as the household API (``accounts.service.households`` and
``accounts.service.phone``, ``calendar.feed_tokens``), so checks, audit and reminders are the
API's. They catch the services' errors by type and word them here, kindly; every page acts on
the signed-in household only (another household's person or subscription is a 404 page).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body, FromPath, QueryParameter

from visits.accounts import queries as account_queries
from visits.accounts.schemas import HouseholdUpdateIn, VisitorUpdateIn, birth_date_problems
from visits.accounts.service import households, phone
from visits.accounts.service.households import (
    ContactUnavailable,
    HouseholdHasVisits,
    VisitorHasVisits,
)
from visits.accounts.service.sign_in import contact_from
from visits.booking import queries as visit_queries
from visits.calendar import feed_tokens
from visits.calendar import queries as calendar_queries
from visits.db.models import Household, Visitor
from visits.dependencies import AppSettings, DbSession, client_address
from visits.enums import ACTIVE_VISIT_STATES, NotifyBy
from visits.errors import TooManyRequests, Unprocessable
from visits.facilities import queries as facility_queries
from visits.i18n import N_
from visits.validation import parse_body
from visits.web import forms
from visits.web.labels import field_messages
from visits.web.pages import PAGE_DEPENDENCIES, FamilyPage, Page, error_pages, see_other
from visits.web.security import (
    SignInRequired,
    check_csrf,
    cleared_session_cookie,
    is_secure,
    parse_uuid,
)

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
CODE_PATTERN = re.compile(r"^\d{6}$")
DEFAULT_PHONE_REGION = "DE"
PERSON_FIELDS = ("given_name", "family_name", "birth_date", "relationship", "is_guardian")
CONTACT_FIELDS = ("guardian_name", "email", "phone", "language")
MAX_FEEDS_SHOWN = 100

# What a family reads after an action (``?done=``), in the pages' words.
DONE = {
    "person_saved": N_("The changes were saved."),
    "person_removed": N_("The person was removed from your household."),
    "contact_saved": N_("Your details were saved."),
    "phone_changed": N_("Your details were saved. Please confirm your new mobile number."),
    "code_sent": N_("We have sent you a code by text message."),
    "phone_confirmed": N_("Thank you. Your mobile number is confirmed."),
    "preferences_saved": N_("Your choices were saved."),
    "feed_revoked": N_("The calendar subscription has ended. Its link no longer works."),
}
NOTIFY_BY = {
    NotifyBy.EMAIL: N_("By e-mail"),
    NotifyBy.SMS: N_("By text message"),
    NotifyBy.BOTH: N_("By e-mail and by text message"),
}
UNAVAILABLE = {
    "email": N_("This e-mail address cannot be used. Please choose another."),
    "phone": N_("This mobile number cannot be used. Please choose another."),
}


def _on_sign_in_required(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    return see_other("/sign-in")


def _render(page: Page, template: str, *, status: int = 200, **context: Any) -> Response[Any]:
    """``page.render`` with the sentence for this module's ``?done=``."""
    done = DONE.get(page.request.query_params.get("done") or "")
    return page.render(template, status=status, done=page._(done) if done else None, **context)


def _household(page: Page) -> Household:
    assert page.household is not None  # a signed-in page has its household
    return page.household


async def _phone_region(db_session: DbSession) -> str:
    """Where a national mobile number is read: the facilities' country when they all share one,
    else Germany (as at sign-up)."""
    facilities, _ = await facility_queries.list_facilities(db_session, limit=1000, offset=0)
    countries = {f.country.upper() for f in facilities}
    return countries.pop() if len(countries) == 1 else DEFAULT_PHONE_REGION


async def _time_zone(db_session: DbSession) -> str:
    """The zone dates are shown in: the facilities' when they all share one, else UTC."""
    facilities, _ = await facility_queries.list_facilities(db_session, limit=1000, offset=0)
    zones = {f.timezone for f in facilities}
    return zones.pop() if len(zones) == 1 else "UTC"


def _ordered(errors: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    return {name: errors[name] for name in names if name in errors}


def _bad_birth_date(text: str) -> bool:
    try:
        return bool(birth_date_problems(date.fromisoformat(text)))
    except ValueError:
        return True


def _person_form(visitor: Visitor) -> forms.PersonForm:
    return forms.PersonForm(
        given_name=visitor.given_name,
        family_name=visitor.family_name,
        birth_date=visitor.birth_date.isoformat(),
        relationship=visitor.relationship.value,
        is_guardian="yes" if visitor.is_guardian else "",
    )


def _contact_form(household: Household) -> forms.ContactForm:
    return forms.ContactForm(
        guardian_name=household.guardian_name,
        language=household.language.value,
        email=household.email or "",
        phone=household.phone_e164 or "",
    )


class HouseholdPagesController(Controller):
    """The household's own data and settings, for the signed-in family."""

    path = "/household"
    include_in_schema = False
    dependencies = PAGE_DEPENDENCIES
    before_request = check_csrf  # type: ignore[assignment]  # a plain hook, not a method
    exception_handlers = {
        **error_pages(Page, "problem.html"),
        SignInRequired: _on_sign_in_required,
    }

    # --- overview ---------------------------------------------------------------------------

    @get("/manage")
    async def manage(self, page: FamilyPage, db_session: DbSession) -> Response[Any]:
        visitors = await account_queries.household_visitors(db_session, page.principal.household_id)
        return _render(page, "household/manage.html", visitors=visitors)

    # --- people -----------------------------------------------------------------------------

    async def _person_page(
        self,
        page: Page,
        visitor: Visitor,
        *,
        status: int = 200,
        form: forms.PersonForm | None = None,
        errors: dict[str, str] | None = None,
        remove_errors: dict[str, str] | None = None,
        problem: str | None = None,
    ) -> Response[Any]:
        return _render(
            page,
            "household/person.html",
            status=status,
            visitor=visitor,
            form=form or _person_form(visitor),
            errors=errors or {},
            remove_errors=remove_errors or {},
            problem=problem,
            today=datetime.now(UTC).date().isoformat(),
        )

    @get("/people/{visitor_id:uuid}")
    async def person(
        self, page: FamilyPage, db_session: DbSession, visitor_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        visitor = await households.own_visitor(db_session, page.principal, visitor_id)
        return await self._person_page(page, visitor)

    @post("/people/{visitor_id:uuid}")
    async def update_person(
        self,
        page: FamilyPage,
        db_session: DbSession,
        visitor_id: FromPath[uuid.UUID],
        data: Annotated[forms.PersonForm, Form],
    ) -> Response[Any]:
        visitor = await households.own_visitor(db_session, page.principal, visitor_id)
        form = forms.PersonForm(
            given_name=data.given_name.strip(),
            family_name=data.family_name.strip(),
            birth_date=data.birth_date.strip(),
            relationship=data.relationship.strip(),
            is_guardian="yes" if data.is_guardian == "yes" else "",
        )
        raw = msgspec.structs.asdict(form) | {"is_guardian": form.is_guardian == "yes"}
        errors: dict[str, str] = {}
        body = None
        try:
            body = parse_body(VisitorUpdateIn, raw)
        except Unprocessable as invalid:
            errors |= field_messages(invalid.errors, page._)
        if "birth_date" not in errors and _bad_birth_date(form.birth_date):
            # every problem at once: the schema checks the date only once the types are right
            errors |= field_messages([{"name": "birth_date"}], page._)
        if body is None or errors:
            errors = _ordered(errors, PERSON_FIELDS)
            return await self._person_page(page, visitor, status=422, form=form, errors=errors)
        await households.update_visitor(db_session, page.principal, visitor.id, body)
        return see_other("/household/manage", done="person_saved")

    @post("/people/{visitor_id:uuid}/remove")
    async def remove_person(
        self,
        page: FamilyPage,
        db_session: DbSession,
        visitor_id: FromPath[uuid.UUID],
        data: Annotated[forms.ConfirmForm, Form],
    ) -> Response[Any]:
        visitor = await households.own_visitor(db_session, page.principal, visitor_id)
        if data.confirm != "yes":
            errors = {"confirm": page._("Please tick the box to confirm.")}
            return await self._person_page(page, visitor, status=422, remove_errors=errors)
        try:
            await households.remove_visitor(db_session, page.principal, visitor.id)
        except VisitorHasVisits:
            problem = page._(
                "%(name)s is booked for an upcoming visit, so we cannot remove them now. "
                "Please cancel the visit first, or call the facility.",
                name=visitor.given_name,
            )
            return await self._person_page(page, visitor, status=409, problem=problem)
        return see_other("/household/manage", done="person_removed")

    # --- contact data and language ----------------------------------------------------------

    @get("/contact")
    async def contact(self, page: FamilyPage) -> Response[Any]:
        form = _contact_form(_household(page))
        return _render(page, "household/contact.html", form=form, errors={}, problem=None)

    @post("/contact")
    async def update_contact(
        self,
        page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.ContactForm, Form],
    ) -> Response[Any]:
        """Name, language, e-mail and mobile number; a new number is confirmed next."""
        household = _household(page)
        form = forms.ContactForm(
            guardian_name=data.guardian_name.strip(),
            language=data.language.strip(),
            email=data.email.strip(),
            phone=data.phone.strip(),
        )
        region = await _phone_region(db_session)
        errors: dict[str, str] = {}
        body = None
        try:
            body = parse_body(HouseholdUpdateIn, msgspec.structs.asdict(form))
        except Unprocessable as invalid:
            errors |= field_messages(invalid.errors, page._)
        try:  # every problem at once: the service would stop at the first kind
            contact_from(form.email or None, form.phone or None, region)
        except Unprocessable as invalid:
            errors |= field_messages(invalid.errors, page._)
        if not form.email and not form.phone:
            errors["email"] = page._(
                "Please keep an e-mail address or a mobile number, or both. We need one to "
                "reach you."
            )
        if body is None or errors:
            errors = _ordered(errors, CONTACT_FIELDS)
            return _render(
                page, "household/contact.html", status=422, form=form, errors=errors, problem=None
            )
        old_phone = household.phone_e164
        try:
            await households.update_household(db_session, page.principal, body, settings, region)
        except ContactUnavailable as refusal:
            names = [str(item.get("name")) for item in refusal.errors]
            errors = {name: page._(UNAVAILABLE[name]) for name in names if name in UNAVAILABLE}
            return _render(
                page, "household/contact.html", status=422, form=form, errors=errors, problem=None
            )
        except TooManyRequests as refusal:
            return _render(
                page,
                "household/contact.html",
                status=refusal.status,
                form=form,
                errors={},
                problem=page.problem(refusal),
            )
        if household.phone_e164 is not None and household.phone_e164 != old_phone:
            return see_other("/household/phone", done="phone_changed")
        return see_other("/household/contact", done="contact_saved")

    # --- confirming the mobile number -------------------------------------------------------

    def _phone_page(
        self,
        page: Page,
        settings: AppSettings,
        *,
        status: int = 200,
        challenge_id: uuid.UUID | None = None,
        errors: dict[str, str] | None = None,
        problem: str | None = None,
    ) -> Response[Any]:
        return _render(
            page,
            "household/phone.html",
            status=status,
            challenge_id=challenge_id,
            errors=errors or {},
            problem=problem,
            minutes=settings.sign_in_code_minutes,
        )

    @get("/phone")
    async def phone_page(
        self,
        page: FamilyPage,
        settings: AppSettings,
        challenge: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> Response[Any]:
        return self._phone_page(page, settings, challenge_id=challenge)

    @post("/phone/code")
    async def send_phone_code(
        self,
        request: Request[Any, Any, Any],
        page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.EmptyForm, Form],
    ) -> Response[Any]:
        try:
            sent = await phone.send_code(
                db_session, page.principal, client_address(request), settings.sign_in_code_minutes
            )
        except (phone.NoPhone, phone.PhoneConfirmed):
            return see_other("/household/phone")  # the page tells how things stand
        except TooManyRequests as refusal:
            return self._phone_page(
                page, settings, status=refusal.status, problem=page.problem(refusal)
            )
        return see_other(
            "/household/phone", done="code_sent", query={"challenge": str(sent.challenge_id)}
        )

    @post("/phone/confirm")
    async def confirm_phone(
        self,
        request: Request[Any, Any, Any],
        page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.CodeForm, Form],
    ) -> Response[Any]:
        challenge_id = parse_uuid(data.challenge_id)
        if challenge_id is None:
            return see_other("/household/phone")
        code = data.code.strip().replace(" ", "")
        status = 422
        if not CODE_PATTERN.match(code):
            error = page._("Please enter the 6-digit code from the text message.")
        else:
            try:
                await phone.confirm(
                    db_session,
                    page.principal,
                    challenge_id,
                    code,
                    client_address(request),
                    settings,
                )
            except phone.WrongPhoneCode:
                error = page._(
                    "This code did not work. It may be mistyped, used already or expired. "
                    "Please check it, or ask for a new code."
                )
            except TooManyRequests as refusal:
                status, error = refusal.status, page.problem(refusal)
            else:
                return see_other("/household/phone", done="phone_confirmed")
        return self._phone_page(
            page, settings, status=status, challenge_id=challenge_id, errors={"code": error}
        )

    # --- how the household is told ----------------------------------------------------------

    @get("/preferences")
    async def preferences(self, page: FamilyPage) -> Response[Any]:
        household = _household(page)
        form = forms.PreferencesForm(
            sms_consent="yes" if household.sms_consent else "no",
            notify_by=household.notify_by.value,
        )
        return _render(
            page, "household/preferences.html", form=form, errors={}, notify_by=NOTIFY_BY
        )

    @post("/preferences")
    async def update_preferences(
        self,
        page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.PreferencesForm, Form],
    ) -> Response[Any]:
        household = _household(page)
        errors: dict[str, str] = {}
        notify_by = NotifyBy(data.notify_by) if data.notify_by in set(NotifyBy) else None
        if notify_by is None:
            errors["notify_by"] = page._("Please choose how we should tell you.")
        if data.sms_consent not in ("yes", "no"):
            errors["sms_consent"] = page._("Please choose yes or no.")
        if household.phone_e164 is None:
            errors = {
                "notify_by": page._(
                    "Text messages need a mobile number. Please add one under Your details."
                )
            }
        if errors or notify_by is None:
            return _render(
                page,
                "household/preferences.html",
                status=422,
                form=data,
                errors=errors,
                notify_by=NOTIFY_BY,
            )
        body = HouseholdUpdateIn(sms_consent=data.sms_consent == "yes", notify_by=notify_by)
        await households.update_household(db_session, page.principal, body, settings)
        return see_other("/household/preferences", done="preferences_saved")

    # --- calendar subscriptions -------------------------------------------------------------

    @get("/calendars")
    async def calendars(self, page: FamilyPage, db_session: DbSession) -> Response[Any]:
        rows, total = await calendar_queries.household_feeds(
            db_session, page.principal.household_id, limit=MAX_FEEDS_SHOWN, offset=0
        )
        feeds = [feed_tokens.feed_out(row) for row, _ in rows]
        return _render(
            page,
            "household/calendars.html",
            active=[f for f in feeds if f.revoked_at is None],
            ended=[f for f in feeds if f.revoked_at is not None],
            more=total > len(feeds),
            zone=await _time_zone(db_session),
        )

    @post("/calendars/{feed_id:uuid}/revoke")
    async def revoke_calendar(
        self,
        page: FamilyPage,
        db_session: DbSession,
        feed_id: FromPath[uuid.UUID],
        data: Annotated[forms.EmptyForm, Form],
    ) -> Response[Any]:
        row = await calendar_queries.household_feed(
            db_session, feed_id, page.principal.household_id
        )
        if row is None:
            raise NotFoundException
        await feed_tokens.revoke(db_session, row, page.principal.actor)
        return see_other("/household/calendars", done="feed_revoked")

    # --- the household's data ---------------------------------------------------------------

    @get("/data")
    async def data_page(self, page: FamilyPage) -> Response[Any]:
        return _render(page, "household/data.html")

    @get("/data/export.json")
    async def export(self, page: FamilyPage, db_session: DbSession) -> Response[bytes]:
        """Everything stored about the household, as the API's export, as a file download."""
        exported = await households.export(db_session, page.principal, page.language)
        day = exported.exported_at.date().isoformat()
        return Response(
            msgspec.json.format(msgspec.json.encode(exported), indent=2),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="household-data-{day}.json"',
                "Cache-Control": "no-store",
            },
        )

    async def _erase_page(
        self,
        page: Page,
        db_session: DbSession,
        *,
        status: int = 200,
        errors: dict[str, str] | None = None,
        problem: str | None = None,
    ) -> Response[Any]:
        rows = await visit_queries.household_visits(db_session, page.principal.household_id)
        now = datetime.now(UTC)
        upcoming = [
            r for r in rows if r.visit.ends_at > now and r.visit.status in ACTIVE_VISIT_STATES
        ]
        return _render(
            page,
            "household/erase.html",
            status=status,
            upcoming=len(upcoming),
            errors=errors or {},
            problem=problem,
        )

    @get("/erase")
    async def erase_page(self, page: FamilyPage, db_session: DbSession) -> Response[Any]:
        return await self._erase_page(page, db_session)

    @post("/erase")
    async def erase(
        self,
        request: Request[Any, Any, Any],
        page: FamilyPage,
        db_session: DbSession,
        settings: AppSettings,
        data: Annotated[forms.ConfirmForm, Form],
    ) -> Response[Any]:
        """Erase the household (the API's erasure), then sign the family out."""
        if data.confirm != "yes":
            errors = {"confirm": page._("Please tick the box to confirm.")}
            return await self._erase_page(page, db_session, status=422, errors=errors)
        try:
            await households.erase(db_session, page.principal)
        except HouseholdHasVisits:
            problem = page._(
                "You have upcoming visits. Please cancel them first, then erase your data."
            )
            return await self._erase_page(page, db_session, status=409, problem=problem)
        cookie = cleared_session_cookie(is_secure(request, settings))
        return see_other("/household/erased", cookies=[cookie])

    @get("/erased")
    async def erased(self, public_page: FamilyPage) -> Response[Any]:
        if public_page.who is not None:
            return see_other("/household")
        return public_page.render("household/erased.html")
