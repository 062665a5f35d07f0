"""Calendar API: invite downloads, feed subscriptions (households and staff), and the feeds.

``GET /feeds/{token}.ics`` takes no header: the token in the path is the credential. It answers
``text/calendar; charset=utf-8`` inline with ``ETag`` and ``Last-Modified``, and ``304`` when the
caller's validators still match, without rendering anything.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, SkipValidation
from litestar.status_codes import HTTP_201_CREATED, HTTP_304_NOT_MODIFIED

from visits.accounts.principals import (
    BEARER_SECURITY,
    HOUSEHOLD_DEPENDENCIES,
    STAFF_DEPENDENCIES,
    HouseholdUser,
    StaffUser,
    household_guard,
    staff_guard,
)
from visits.calendar import feed_tokens
from visits.calendar.feeds import (
    FEED_CACHE,
    FeedScope,
    feed_version,
    not_modified,
    render_feed,
)
from visits.calendar.invites import load_invite
from visits.calendar.schemas import FeedCreatedOut, FeedOut, HouseholdFeedIn, StaffFeedIn
from visits.db.base import utcnow
from visits.db.models import AuthToken, Facility, Household, Room, StaffMember, Visit
from visits.dependencies import AppSettings, DbSession
from visits.enums import StaffRole, TokenKind
from visits.errors import ProblemError
from visits.i18n import negotiate_language
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.validation import parse_body

ANY_ROLE = frozenset(
    {StaffRole.VISITS_OFFICER, StaffRole.VISITS_MANAGER, StaffRole.SAFEGUARDING_LEAD}
)
MANAGER = frozenset({StaffRole.VISITS_MANAGER})
CALENDAR_MEDIA_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8" to text types
FEED_CACHE_CONTROL = "private, no-cache"  # personal data; always revalidate (cheap: 304)


def _feed_not_found() -> ProblemError:
    return ProblemError(404, "feed-not-found", "There is no such feed.")


async def _page(
    session: DbSession, condition: sa.ColumnElement[bool], limit: int, offset: int
) -> tuple[list[tuple[AuthToken, str | None]], int]:
    total = await session.scalar(sa.select(sa.func.count()).select_from(AuthToken).where(condition))
    rows = await session.execute(
        sa.select(AuthToken, StaffMember.name)
        .outerjoin(StaffMember, StaffMember.id == AuthToken.staff_id)
        .where(condition)
        .order_by(AuthToken.created_at.desc(), AuthToken.id)
        .limit(limit)
        .offset(offset)
    )
    return [(row, name) for row, name in rows], total or 0


class FeedController(Controller):
    path = "/feeds"
    tags = ["Calendar feeds"]

    @get(
        "/{name:str}",
        summary="A calendar feed (iCalendar, METHOD:PUBLISH); the token is the credential",
        media_type=CALENDAR_MEDIA_TYPE,
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        name: FromPath[str],
    ) -> Response[bytes]:
        """``name`` is ``<token>.ics``. Unknown, revoked and foreign tokens all answer 404."""
        found = await feed_tokens.resolve(db_session, name)
        if found is None:
            raise _feed_not_found()
        _, scope = found
        now = utcnow()
        version = await feed_version(db_session, scope, now)
        headers = {
            "ETag": version.etag,
            "Last-Modified": version.http_date,
            "Cache-Control": FEED_CACHE_CONTROL,
        }
        if not_modified(request.headers, version):
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        key = FEED_CACHE.key(scope, version, settings.resolved_public_url)
        body = FEED_CACHE.get(key)
        if body is None:
            body = await render_feed(
                db_session, scope, public_url=settings.resolved_public_url, now=now
            )
            FEED_CACHE.put(key, body)
        headers["Content-Disposition"] = 'inline; filename="visits.ics"'
        return Response(body, media_type=CALENDAR_MEDIA_TYPE, headers=headers)


class HouseholdCalendarController(Controller):
    """The signed-in household's invites and feed subscriptions."""

    path = "/api/v1/household"
    tags = ["Household: calendar"]
    dependencies = HOUSEHOLD_DEPENDENCIES
    guards = [household_guard]
    security = BEARER_SECURITY

    @get(
        "/visits/{visit_id:uuid}/invite.ics",
        summary="The visit's invite (REQUEST) or cancellation (CANCEL) as an .ics file",
        media_type=CALENDAR_MEDIA_TYPE,
    )
    async def invite(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        visit_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        visit = await db_session.scalar(
            sa.select(Visit).where(
                Visit.id == visit_id, Visit.household_id == household.household_id
            )
        )
        if visit is None:
            raise ProblemError(404, "visit-not-found", "There is no such visit.")
        invite = await load_invite(
            db_session,
            visit,
            public_url=settings.resolved_public_url,
            mail_sender=settings.mail_sender,
        )
        if invite is None:
            raise ProblemError(
                409, "no-invite", f"The visit is {visit.status.value}: it has no invite yet."
            )
        return Response(
            invite.calendar,
            media_type=f"{CALENDAR_MEDIA_TYPE}; method={invite.method}",
            headers={"Content-Disposition": f'attachment; filename="{invite.filename}"'},
        )

    @get("/feeds", summary="The household's calendar subscriptions")
    async def list_feeds(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[FeedOut]:
        condition = sa.and_(
            AuthToken.kind == TokenKind.FEED, AuthToken.household_id == household.household_id
        )
        rows, total = await _page(db_session, condition, limit, offset)
        return Page([feed_tokens.feed_out(row) for row, _ in rows], total, limit, offset)

    @post(
        "/feeds",
        status_code=HTTP_201_CREATED,
        summary="Subscribe to the household's visits (the token is shown once)",
    )
    async def create_feed(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        data: SkipValidation[HouseholdFeedIn],
    ) -> FeedCreatedOut:
        body = parse_body(HouseholdFeedIn, data)
        owner = await db_session.get(Household, household.household_id)
        assert owner is not None  # the guard found its token
        scope = FeedScope(kind="household", household_id=owner.id, language=owner.language.value)
        return await feed_tokens.create(
            db_session,
            scope,
            household.actor,
            label=body.label,
            public_url=settings.resolved_public_url,
        )

    @delete("/feeds/{feed_id:uuid}", summary="Revoke a subscription")
    async def revoke_feed(
        self, db_session: DbSession, household: HouseholdUser, feed_id: FromPath[uuid.UUID]
    ) -> None:
        row = await db_session.scalar(
            sa.select(AuthToken).where(
                AuthToken.id == feed_id,
                AuthToken.kind == TokenKind.FEED,
                AuthToken.household_id == household.household_id,
            )
        )
        if row is None:
            raise _feed_not_found()
        await feed_tokens.revoke(db_session, row, household.actor)


class StaffCalendarController(Controller):
    """Staff subscriptions to a facility's or a room's schedule."""

    path = "/api/v1/staff"
    tags = ["Staff: calendar"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    @get("/feeds", summary="The caller's own calendar subscriptions")
    async def my_feeds(
        self,
        db_session: DbSession,
        staff: StaffUser,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[FeedOut]:
        condition = sa.and_(AuthToken.kind == TokenKind.FEED, AuthToken.staff_id == staff.staff_id)
        rows, total = await _page(db_session, condition, limit, offset)
        return Page([feed_tokens.feed_out(r, name) for r, name in rows], total, limit, offset)

    @get(
        "/facilities/{facility_id:uuid}/feeds",
        summary="Every staff subscription to the facility's schedules (manager)",
    )
    async def facility_feeds(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FromPath[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[FeedOut]:
        staff.role_for(facility_id, MANAGER)
        condition = feed_tokens.facility_condition(facility_id)
        rows, total = await _page(db_session, condition, limit, offset)
        return Page([feed_tokens.feed_out(r, name) for r, name in rows], total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/feeds",
        status_code=HTTP_201_CREATED,
        summary="Subscribe to the facility's or one room's schedule (the token is shown once)",
    )
    async def create_feed(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        facility_id: FromPath[uuid.UUID],
        data: SkipValidation[StaffFeedIn],
    ) -> FeedCreatedOut:
        role = staff.role_for(facility_id, ANY_ROLE)
        body = parse_body(StaffFeedIn, data)
        if await db_session.get(Facility, facility_id) is None:
            raise ProblemError(404, "facility-not-found", f"There is no facility {facility_id}.")
        if body.room_id is not None:
            room = await db_session.get(Room, body.room_id)
            if room is None or room.facility_id != facility_id:
                raise ProblemError(404, "room-not-found", "The facility has no such room.")
        scope = FeedScope(
            kind="room" if body.room_id else "facility",
            facility_id=facility_id,
            room_id=body.room_id,
            language=body.language.value if body.language else negotiate_language(request),
        )
        return await feed_tokens.create(
            db_session,
            scope,
            staff.actor(role),
            label=body.label,
            public_url=settings.resolved_public_url,
            staff_id=staff.staff_id,
            owner=staff.name,
        )

    @delete(
        "/feeds/{feed_id:uuid}",
        summary="Revoke a subscription: your own, or any at a facility you manage",
    )
    async def revoke_feed(
        self, db_session: DbSession, staff: StaffUser, feed_id: FromPath[uuid.UUID]
    ) -> None:
        row = await db_session.scalar(
            sa.select(AuthToken).where(
                AuthToken.id == feed_id,
                AuthToken.kind == TokenKind.FEED,
                AuthToken.staff_id.is_not(None),
            )
        )
        if row is None:
            raise _feed_not_found()
        facility_id = FeedScope.from_json(row.scope, None).facility_id
        allowed = ANY_ROLE if row.staff_id == staff.staff_id else MANAGER
        role = staff.role_for(facility_id, allowed)
        await feed_tokens.revoke(db_session, row, staff.actor(role))
