"""What every family page shares: the language, the signed-in household, formatting in the
facility's time zone, translated labels, and rendering with the right cookies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from babel.support import Translations
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import HouseholdPrincipal
from visits.db.models import Household
from visits.i18n import LANGUAGES, translations
from visits.i18n import choose_language as choose_answer_language
from visits.settings import Settings
from visits.web import labels
from visits.web.security import (
    CSRF_FIELD,
    LANGUAGE_COOKIE,
    SignInRequired,
    csrf_cookie,
    csrf_token,
    is_secure,
    language_cookie,
    signed_in,
)


def choose_language(request: Request[Any, Any, Any], household: Household | None) -> str:
    """``?lang=`` (then remembered), else the remembered choice, else the household's
    language, else the browser's ``Accept-Language``, else the default."""
    return choose_answer_language(
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

    @classmethod
    async def load(
        cls,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        settings: Settings,
        *,
        required: bool = True,
    ) -> Page:
        who = await signed_in(request, session)
        household = await session.get(Household, who.household_id) if who else None
        if required and (who is None or household is None):
            raise SignInRequired
        return cls(request, settings, choose_language(request, household), who, household)

    @property
    def principal(self) -> HouseholdPrincipal:
        if self.who is None:
            raise SignInRequired
        return self.who

    @property
    def translations(self) -> Translations:
        return translations(self.language)

    def _(self, message: str, **values: Any) -> str:
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        text = self.translations.ngettext(singular, plural, count)
        return text % {"num": count, **values}

    def lang_url(self, language: str) -> str:
        multi = [(k, v) for k, v in self.request.query_params.multi_items() if k != "lang"]
        pairs = [*multi, ("lang", language)]
        return f"{self.request.url.path}?{urlencode(pairs)}"

    # Dates and times in the page's language, in the facility's time zone.
    def date(self, value: date | datetime, zone: str | None = None, fmt: str = "full") -> str:
        if isinstance(value, datetime):
            value = value.astimezone(ZoneInfo(zone)) if zone else value
            value = value.date()
        return format_date(value, format=fmt, locale=self.language)

    def time(self, value: datetime, zone: str) -> str:
        return format_time(value, format="short", tzinfo=ZoneInfo(zone), locale=self.language)

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
        everything = self.context() | context
        return Template(
            template_name=template,
            context=everything,
            status_code=status,
            cookies=self.cookies,
            headers={"Cache-Control": "no-store", "Content-Language": self.language},
        )


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
