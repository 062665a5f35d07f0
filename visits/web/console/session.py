"""The staff console's sign-in session and page context.

Staff authenticate with the same tokens as the API (kind ``staff``, hashed, expiring,
revocable). A browser keeps its token in an HttpOnly cookie scoped to ``/staff`` and separate
from a family's cookie, so one browser can never mix the two. Forms carry the CSRF token the
family pages use.

Handlers declare the page they need as a dependency: ``facility_page`` for a page of the
facility in the path (the signed-in person must work there), ``staff_page`` for any signed-in
member of staff, ``public_staff_page`` for the sign-in page itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from litestar import Request
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import ALL_ROLES, StaffPrincipal, load_token, staff_principal
from visits.booking.roles import BOOKING_ROLES, REVIEW_ROLES
from visits.db.base import utcnow
from visits.db.models import Facility
from visits.dependencies import AppSettings, DbSession
from visits.enums import StaffRole, TokenKind
from visits.errors import Unauthenticated
from visits.facilities import queries as facility_queries
from visits.facilities.service.access import MANAGE_ROLES
from visits.web.console import labels as console_labels
from visits.web.pages import Page, page_language

STAFF_SESSION_COOKIE = "visits_staff_session"
CONSOLE_PATH = "/staff"


class StaffSignInRequired(Exception):
    """The page needs a signed-in member of staff; the browser is sent to the sign-in page."""


def staff_session_cookie(token: str, expires_at: datetime, secure: bool) -> Cookie:
    seconds = max(0, int((expires_at - utcnow()).total_seconds()))
    return Cookie(
        key=STAFF_SESSION_COOKIE,
        value=token,
        max_age=seconds,
        path=CONSOLE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def cleared_staff_session_cookie(secure: bool) -> Cookie:
    return Cookie(
        key=STAFF_SESSION_COOKIE,
        value="",
        max_age=0,
        path=CONSOLE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
    )


async def signed_in_staff(
    request: Request[Any, Any, Any], session: AsyncSession
) -> StaffPrincipal | None:
    """The member of staff whose live token the cookie holds (an active account), if any."""
    token = request.cookies.get(STAFF_SESSION_COOKIE)
    if not token:
        return None
    try:
        row = await load_token(session, token, TokenKind.STAFF)
        return await staff_principal(session, row)
    except Unauthenticated:  # unknown, expired or revoked token, disabled account
        return None


@dataclass(frozen=True)
class Permissions:
    """What the signed-in person may do at one facility: the pages show only these."""

    manage: bool
    review: bool
    book: bool
    roles: frozenset[StaffRole]


@dataclass
class StaffPage(Page):
    """One request of the staff console."""

    staff: StaffPrincipal | None = None
    facility: Facility | None = None
    problems: ClassVar[dict[str, str]] = console_labels.PROBLEMS

    @property
    def principal_staff(self) -> StaffPrincipal:
        if self.staff is None:
            raise StaffSignInRequired
        return self.staff

    @property
    def current_facility(self) -> Facility:
        """The facility of a ``facility_page``."""
        if self.facility is None:
            raise LookupError("not a facility page")
        return self.facility

    async def open_facility(self, session: AsyncSession, facility_id: uuid.UUID) -> Facility:
        """The facility, if this person works there (any role); else a 403 page."""
        self.principal_staff.role_for(facility_id, ALL_ROLES)
        facility = await facility_queries.facility_or_404(session, facility_id)
        self.facility = facility
        return facility

    def require(self, roles: frozenset[StaffRole]) -> StaffRole:
        """The role allowing an action at this facility, before the form is even read; else a
        403 page."""
        return self.principal_staff.role_for(self.current_facility.id, roles)

    def permissions(self) -> Permissions:
        """What this person may do at this facility."""
        staff = self.principal_staff
        here = self.current_facility.id
        held = frozenset(ALL_ROLES) if staff.is_admin else frozenset(staff.roles_at(here))

        def allowed(roles: frozenset[StaffRole]) -> bool:
            return staff.is_admin or bool(held & roles)

        return Permissions(
            manage=allowed(MANAGE_ROLES),
            review=allowed(REVIEW_ROLES),
            book=allowed(BOOKING_ROLES),
            roles=held,
        )

    def context(self) -> dict[str, Any]:
        base = super().context()
        facility = self.facility
        return base | {
            "done": console_labels.done_message(self.request.query_params.get("done"), self._),
            "console": console_labels.ConsoleLabels(self._, self.language),
            "staff": self.staff,
            "facility": facility,
            "can": self.permissions() if facility and self.staff else None,
        }


async def provide_public_staff_page(
    request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
) -> StaffPage:
    """A console page anyone may open (signing in); it knows who is signed in, if anyone."""
    staff = await signed_in_staff(request, db_session)
    return StaffPage(request, settings, page_language(request, None), None, None, staff=staff)


async def provide_staff_page(
    request: Request[Any, Any, Any], db_session: DbSession, settings: AppSettings
) -> StaffPage:
    """A page for a signed-in member of staff; anyone else is sent to sign in."""
    page = await provide_public_staff_page(request, db_session, settings)
    if page.staff is None:
        raise StaffSignInRequired
    return page


async def provide_facility_page(
    request: Request[Any, Any, Any],
    db_session: DbSession,
    settings: AppSettings,
    facility_id: FromPath[uuid.UUID],
) -> StaffPage:
    """A page of the facility in the path, for someone who works there (any role)."""
    page = await provide_staff_page(request, db_session, settings)
    await page.open_facility(db_session, facility_id)
    return page


# How a handler declares its page (a page is not data to validate).
ConsolePage = NamedDependency[SkipValidation[StaffPage]]
CONSOLE_PAGE_DEPENDENCIES = {
    "public_staff_page": Provide(provide_public_staff_page),
    "staff_page": Provide(provide_staff_page),
    "facility_page": Provide(provide_facility_page),
}
