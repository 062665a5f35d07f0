"""What every family page shares: the language, the signed-in household, formatting in the
facility's time zone, translated labels, and rendering with the right cookies.

Handlers declare the page they need as a dependency: ``page`` for a signed-in household (anyone
else is sent to sign in), ``public_page`` for pages open to everyone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any, ClassVar, Self
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    format_skeleton,
    format_time,
    get_datetime_format,
)
from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, SkipValidation
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from visits.accounts.access import ForHousehold, visit_for
from visits.accounts.principals import HouseholdPrincipal
from visits.booking.dependencies import household_caller
from visits.booking.service import Caller
from visits.db.models import Household, Visit
from visits.db.transaction import roll_back
from visits.dependencies import AppSettings, DbSession
from visits.errors import DomainError
from visits.i18n import LANGUAGES, choose_language, translate, translate_plural
from visits.rules.texts import CLOCK_PATTERN
from visits.settings import Settings
from visits.web import labels
from visits.web.security import (
    CSRF_FIELD,
    LANGUAGE_COOKIE,
    CsrfRejected,
    SignInRequired,
    csrf_cookie,
    csrf_token,
    is_secure,
    language_cookie,
    signed_in,
)


def page_language(request: Request[Any, Any, Any], household: Household | None) -> str:
    """``?lang=`` (then remembered), else the remembered choice, else the household's
    language, else the browser's ``Accept-Language``, else the default."""
    return choose_language(
        request,
        request.cookies.get(LANGUAGE_COOKIE),
        household.language.value if household is not None else None,
    )


@dataclass
class Page:
    """One request of the family pages."""

    request: Request[Any, Any, Any]
    settings: Settings
    language: str
    who: HouseholdPrincipal | None
    household: Household | None
    cookies: list[Cookie] = field(default_factory=list)
    problems: ClassVar[dict[str, str]] = labels.PROBLEMS
    clock: ClassVar[str] = "short"
    """How a time of day is written: a Babel length ("short") or a CLDR pattern."""

    @classmethod
    def bare(cls, request: Request[Any, Any, Any]) -> Self:
        """A page for error answers, which have no database session: cookie or browser
        language, nobody signed in."""
        settings: Settings = request.app.state.settings
        return cls(request, settings, page_language(request, None), None, None)

    @property
    def principal(self) -> HouseholdPrincipal:
        if self.who is None:
            raise SignInRequired
        return self.who

    def _(self, message: str, **values: Any) -> str:
        return translate(self.language, message, **values)

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        return translate_plural(self.language, singular, plural, count, **values)

    def problem(self, error: DomainError) -> str:
        """The sentence these pages show for a domain error."""
        return labels.problem_message(error, self.problems, self._)

    def lang_url(self, language: str) -> str:
        multi = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        pairs = [*multi, ("lang", language)]
        return f"{self.request.url.path}?{urlencode(pairs)}"

    # Dates and times in the page's language, in the facility's time zone.
    def date(
        self,
        value: date | datetime,
        zone: str | None = None,
        fmt: str = "full",
        skeleton: str | None = None,
    ) -> str:
        """A date as the reader's language writes it: in one of Babel's lengths (``fmt``), or
        with the fields of a CLDR ``skeleton`` ("yMMMM": month and year) in that language's
        order, so no template writes a language's pattern itself."""
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(zone)) if zone else value
            value = value.date()
        if skeleton is not None:
            return format_skeleton(skeleton, value, locale=self.language)
        return format_date(value, format=fmt, locale=self.language)

    def time(self, value: datetime | clock_time, zone: str | None = None) -> str:
        """A moment's time of day in ``zone``; a wall-clock time (a template's start) as is."""
        shown_in = ZoneInfo(zone) if zone and isinstance(value, datetime) else None
        return format_time(value, format=self.clock, tzinfo=shown_in, locale=self.language)

    def datetime(self, value: datetime, zone: str) -> str:
        return format_datetime(value, format="medium", tzinfo=ZoneInfo(zone), locale=self.language)

    def context(self) -> dict[str, Any]:
        token, new = csrf_token(self.request)
        secure = is_secure(self.request, self.settings)
        if new:
            self.cookies.append(csrf_cookie(token, secure))
        if self.request.query_params.get("lang") in LANGUAGES:
            self.cookies.append(language_cookie(self.language, secure))
        gettext: Callable[..., str] = self._
        return {
            "_": gettext,
            "ngettext": self.ngettext,
            "lang": self.language,
            "languages": list(LANGUAGES.items()),
            "lang_url": self.lang_url,
            "csrf_field": CSRF_FIELD,
            "csrf_token": token,
            "signed_in": self.who is not None,
            "household": self.household,
            "fmt_date": self.date,
            "fmt_time": self.time,
            "fmt_datetime": self.datetime,
            "label": labels.Labels(self._),
            "path": self.request.url.path,
            "done": labels.done_message(self.request.query_params.get("done"), self._),
        }

    def render(self, template: str, *, status: int = 200, **context: Any) -> Template:
        """The page; one answered with an error status keeps none of the request's changes."""
        if status >= 400:
            roll_back(self.request)
        everything = self.context() | context
        return Template(
            template_name=template,
            context=everything,
            status_code=status,
            cookies=self.cookies,
            headers={"Cache-Control": "no-store", "Content-Language": self.language},
        )


@dataclass
class HouseholdPage(Page):
    """One request of the family pages. A time of day is written on one clock per language on
    every family page, the clock of the rule reasons the pages show ("14:00" in German and
    English alike), so a card never reads "2:00 PM" above a reason that says "14:00"."""

    clock: ClassVar[str] = CLOCK_PATTERN

    def datetime(self, value: datetime, zone: str) -> str:
        """A date and time: the medium date and the time of day on the page's clock, joined
        as the language joins them."""
        joined = str(get_datetime_format("medium", locale=self.language)).replace("'", "")
        day, clock = self.date(value, zone, fmt="medium"), self.time(value, zone)
        return joined.replace("{1}", day).replace("{0}", clock)


async def provide_public_page(
    request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
) -> Page:
    """A page open to everyone; it knows the household if one is signed in."""
    who = await signed_in(request, db_session)
    household = await db_session.get(Household, who.household_id) if who else None
    return HouseholdPage(request, settings, page_language(request, household), who, household)


async def provide_page(
    request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
) -> Page:
    """The page of a signed-in household; anyone else is sent to sign in."""
    page = await provide_public_page(request, db_session, settings)
    if page.who is None or page.household is None:
        raise SignInRequired
    return page


# How a handler declares its page (a page is not data to validate).
FamilyPage = NamedDependency[SkipValidation[Page]]


def provide_caller(page: FamilyPage) -> Caller:
    """The signed-in household acting through the pages, in the page's language."""
    return household_caller(page.principal, page.language)


def own_visit(*, lock: bool) -> dict[str, Provide]:
    """Handler dependencies: ``visit``, the household's visit at the path's ``visit_id``
    (locked for a change when ``lock``); any other visit is a 404 page."""

    async def provide_visit(
        db_session: DbSession, page: FamilyPage, visit_id: FromPath[uuid.UUID]
    ) -> Visit:
        asker = ForHousehold(page.principal.household_id)
        return await visit_for(db_session, visit_id, asker, lock=lock)

    return {"visit": Provide(provide_visit)}


PAGE_DEPENDENCIES = {
    "page": Provide(provide_page),
    "public_page": Provide(provide_public_page),
    "caller": Provide(provide_caller, sync_to_thread=False),
}


def error_pages(page_type: type[Page], template: str) -> ExceptionHandlersMap:
    """Exception handlers that answer with ``template`` as a page of ``page_type``: a domain
    error in the page's words, a missing page, an incomplete link or form, a refused form."""

    def show(request: Request[Any, Any, Any], status: int, message: str) -> Template:
        return page_type.bare(request).render(template, status=status, message=message)

    def on_domain_error(request: Request[Any, Any, Any], error: DomainError) -> Template:
        return show(request, error.status, page_type.bare(request).problem(error))

    def on_not_found(request: Request[Any, Any, Any], _: Exception) -> Template:
        return show(request, 404, page_type.bare(request)._("This page does not exist."))

    def on_invalid(request: Request[Any, Any, Any], _: Exception) -> Template:
        message = page_type.bare(request)._(
            "This link or form is not complete. Please start again from the menu."
        )
        return show(request, 400, message)

    def on_csrf(request: Request[Any, Any, Any], _: Exception) -> Template:
        message = page_type.bare(request)._(
            "For your safety this form could not be sent. Please open the page again and send "
            "it once more."
        )
        return show(request, 403, message)

    return {
        DomainError: on_domain_error,
        NotFoundException: on_not_found,
        ValidationException: on_invalid,
        CsrfRejected: on_csrf,
    }


def see_other(
    path: str,
    *,
    done: str | None = None,
    cookies: list[Cookie] | None = None,
    query: dict[str, str] | None = None,
) -> Redirect:
    """A 303 after a POST, so that reloading the next page never repeats the action."""
    params = (query or {}) | ({"done": done} if done else {})
    target = f"{path}?{urlencode(params)}" if params else path
    return Redirect(path=target, status_code=303, cookies=cookies or [])
