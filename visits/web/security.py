"""Cookies of the family pages: the sign-in session, the remembered language and CSRF.

Households authenticate with bearer tokens; a browser keeps its token in an HttpOnly,
SameSite=Lax cookie (Secure when the service is reached over https), so page scripts can
never read it. Every POST form carries a token that must equal a random SameSite=Strict cookie
(double submit), and a cross-site ``Origin`` is refused as well: another site can neither read
the cookie nor make the browser send it with a forged form.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Cookie
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import HouseholdPrincipal, load_token
from visits.db.base import utcnow
from visits.enums import TokenKind
from visits.errors import Unauthenticated
from visits.settings import Settings

SESSION_COOKIE = "visits_session"
LANGUAGE_COOKIE = "visits_lang"
CSRF_COOKIE = "visits_csrf"
CSRF_FIELD = "csrf_token"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


class SignInRequired(Exception):
    """The page needs a signed-in household; the handler sends the browser to sign in."""


class CsrfRejected(Exception):
    """A POST without a matching form token, or from another origin."""


def is_secure(request: Request[Any, Any, Any], settings: Settings) -> bool:
    return request.url.scheme == "https" or settings.resolved_public_url.startswith("https://")


def session_cookie(token: str, expires_at: datetime, secure: bool) -> Cookie:
    seconds = max(0, int((expires_at - utcnow()).total_seconds()))
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        max_age=seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def cleared_session_cookie(secure: bool) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE,
        value="",
        max_age=0,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def language_cookie(language: str, secure: bool) -> Cookie:
    return Cookie(
        key=LANGUAGE_COOKIE,
        value=language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def csrf_cookie(token: str, secure: bool) -> Cookie:
    return Cookie(
        key=CSRF_COOKIE, value=token, path="/", httponly=True, samesite="strict", secure=secure
    )


def csrf_token(request: Request[Any, Any, Any]) -> tuple[str, bool]:
    """The browser's CSRF token, and whether it is new (then the response must set it)."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if len(existing) >= 32:
        return existing, False
    return secrets.token_urlsafe(32), True


def _same_origin(request: Request[Any, Any, Any], settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    sent = urlsplit(origin).netloc.lower()
    allowed = {
        request.headers.get("host", "").lower(),
        urlsplit(settings.resolved_public_url).netloc,
    }
    return sent in allowed


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """Before every POST of the pages: the form's token must match the cookie."""
    if request.method != "POST":
        return
    settings: Settings = request.app.state.settings
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if (
        not isinstance(sent, str)
        or len(cookie) < 32
        or not hmac.compare_digest(sent.encode(), cookie.encode())
        or not _same_origin(request, settings)
    ):
        raise CsrfRejected


async def signed_in(
    request: Request[Any, Any, Any], session: AsyncSession
) -> HouseholdPrincipal | None:
    """The household whose token the session cookie holds, if it is still valid."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        row = await load_token(session, token, TokenKind.HOUSEHOLD)
    except Unauthenticated:  # unknown, expired or revoked
        return None
    assert row.household_id is not None  # the CHECK constraint guarantees a subject
    return HouseholdPrincipal(household_id=row.household_id, token_id=row.id)


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None
