"""The staff console's sign-in session and page context.

Staff authenticate with the same tokens as the API (kind ``staff``, hashed, expiring,
revocable). A browser keeps its token in an HttpOnly cookie scoped to ``/staff`` and separate
from a family's cookie, so one browser can never mix the two. Forms carry the CSRF token the
family pages use.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.datastructures import Cookie
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import ALL_ROLES, StaffPrincipal, load_token, staff_principal
from visits.booking.roles import BOOKING_ROLES, REVIEW_ROLES
from visits.db.base import utcnow
from visits.db.models import Facility
from visits.enums import StaffRole, TokenKind
from visits.errors import ProblemError
from visits.facilities.management import MANAGE_ROLES
from visits.settings import Settings
from visits.web.console import labels as console_labels
from visits.web.pages import Page, choose_language

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
    except ProblemError:
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

    @classmethod
    async def for_staff(
        cls,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        settings: Settings,
        *,
        required: bool = True,
    ) -> StaffPage:
        staff = await signed_in_staff(request, session)
        if required and staff is None:
            raise StaffSignInRequired
        return cls(request, settings, choose_language(request, None), None, None, staff=staff)

    @classmethod
    async def at_facility(
        cls,
        request: Request[Any, Any, Any],
        session: AsyncSession,
        settings: Settings,
        facility_id: uuid.UUID,
    ) -> StaffPage:
        """The page of a signed-in person who works at ``facility_id``."""
        page = await cls.for_staff(request, session, settings)
        await page.open_facility(session, facility_id)
        return page

    @property
    def principal_staff(self) -> StaffPrincipal:
        if self.staff is None:
            raise StaffSignInRequired
        return self.staff

    async def open_facility(self, session: AsyncSession, facility_id: uuid.UUID) -> Facility:
        """The facility, if this person works there (any role); else a 403 page."""
        self.principal_staff.role_for(facility_id, ALL_ROLES)
        facility = await session.get(Facility, facility_id)
        if facility is None:
            raise ProblemError(404, "facility-not-found", "There is no such facility.")
        self.facility = facility
        return facility

    def require(self, facility_id: uuid.UUID, roles: frozenset[StaffRole]) -> StaffRole:
        """The role allowing an action here, before the form is even read; else a 403 page."""
        return self.principal_staff.role_for(facility_id, roles)

    def permissions(self, facility_id: uuid.UUID) -> Permissions:
        staff = self.principal_staff
        held = frozenset(ALL_ROLES) if staff.is_admin else frozenset(staff.roles_at(facility_id))

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
            "console": console_labels.ConsoleLabels(self._),
            "staff": self.staff,
            "facility": facility,
            "can": self.permissions(facility.id) if facility and self.staff else None,
        }
