"""Calendar API: invite downloads, feed subscriptions (households and staff), and the feeds.

``GET /feeds/{token}.ics`` takes no header: the token in the path is the credential. It answers
``text/calendar; charset=utf-8`` inline with ``ETag`` and ``Last-Modified``, and ``304`` when the
caller's validators still match, without rendering anything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Example,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)
from litestar.params import Body, FromPath, SkipValidation
from litestar.status_codes import HTTP_201_CREATED, HTTP_304_NOT_MODIFIED

from visits.accounts.access import ForHousehold, visit_for
from visits.accounts.principals import (
    BEARER_SECURITY,
    HOUSEHOLD_DEPENDENCIES,
    STAFF_DEPENDENCIES,
    HouseholdUser,
    StaffUser,
    household_guard,
    staff_guard,
)
from visits.calendar import feed_tokens, queries
from visits.calendar.feeds import (
    FEED_CACHE,
    FeedScope,
    feed_version,
    not_modified,
    render_feed,
)
from visits.calendar.invites import load_invite
from visits.calendar.schemas import FeedCreatedOut, FeedPage, HouseholdFeedIn, StaffFeedIn
from visits.db.base import utcnow
from visits.db.models import Household
from visits.dependencies import AppSettings, DbSession, RequestLanguage
from visits.errors import Conflict, NotFound
from visits.facilities import queries as facility_queries
from visits.facilities.service.access import MANAGE_ROLES, READ_ROLES
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.validation import parse_body

CALENDAR_MEDIA_TYPE = "text/calendar"  # Litestar adds "; charset=utf-8" to text types
FEED_CACHE_CONTROL = "private, no-cache"  # personal data; always revalidate (cheap: 304)


def _feed_not_found() -> NotFound:
    return NotFound("feed-not-found", "There is no such feed.")


# The validators every feed answer carries, 200 and 304 alike (declared for the document).
FEED_HEADERS = {
    "ETag": (
        'W/"5d41402abc4b2a76b9719d911017c592"',
        "A weak validator of the feed's data; send it back in `If-None-Match`.",
    ),
    "Last-Modified": (
        "Wed, 03 Mar 2027 14:00:01 GMT",
        "Send it back in `If-Modified-Since`; `If-None-Match` takes precedence.",
    ),
    "Cache-Control": (FEED_CACHE_CONTROL, "Personal data: stored privately, revalidated."),
}


FEED_EXAMPLE = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//visits//visits 1.0//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "NAME:Besuchstermine",
        "X-WR-CALNAME:Besuchstermine",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "…",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:visit-0b7f4a53-9e0c-4f7e-a1de-2f1c8a0e6d11@visits.example",
        "DTSTAMP:20270301T091500Z",
        "SEQUENCE:0",
        "DTSTART;TZID=Europe/Berlin:20270303T153000",
        "DTEND;TZID=Europe/Berlin:20270303T173000",
        "SUMMARY:Kinder- und Familienbesuch: JVA Musterstadt",
        "STATUS:CONFIRMED",
        "ORGANIZER;CN=JVA Musterstadt:mailto:besuch@jva-musterstadt.example",
        "…",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)


@dataclass
class _FeedOperation(Operation):
    """A feed is not JSON: 200 is iCalendar, 304 carries the validators only, and the path
    parameter is any text, so the generic 400 of the framework cannot happen."""

    def __post_init__(self) -> None:
        responses = self.responses or {}
        responses.pop("400", None)
        headers = {
            name: OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING), description=text)
            for name, (_, text) in FEED_HEADERS.items()
        }
        for status in ("200", "304"):
            answer = responses.get(status)
            if isinstance(answer, OpenAPIResponse):
                answer.headers = {**(answer.headers or {}), **headers}
        ok = responses.get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content:
            for media in ok.content.values():
                media.example = FEED_EXAMPLE


class FeedController(Controller):
    path = "/feeds"
    tags = ["Calendar feeds"]

    @get(
        "/{name:str}",
        summary="A calendar feed (iCalendar, METHOD:PUBLISH); the token is the credential",
        media_type=CALENDAR_MEDIA_TYPE,
        response_description="The feed as an iCalendar object (`text/calendar; charset=utf-8`).",
        response_headers=[
            ResponseHeader(name=name, value=value, description=text, documentation_only=True)
            for name, (value, text) in FEED_HEADERS.items()
        ],
        responses={
            HTTP_304_NOT_MODIFIED: ResponseSpec(
                data_container=None,
                description="Not modified: the `If-None-Match` or `If-Modified-Since` of the "
                "request still matches; no body.",
            ),
            **problems("feed-not-found"),
        },
        operation_class=_FeedOperation,
    )
    async def feed(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        settings: AppSettings,
        name: FromPath[str],
    ) -> Response[bytes]:
        """The subscription feed of a household's visits, or of a facility's or a room's
        schedule: `name` is `<token>.ics`, the token the subscription's `url` carries. No
        header is needed (calendar apps cannot send one); unknown, revoked and foreign tokens,
        and staff tokens whose owner lost the role, all answer 404 `feed-not-found`.

        An iCalendar object with `METHOD:PUBLISH`, one event per visit from 60 days back
        (cancelled and rejected visits are dropped), the facility as organizer and no
        attendees. Staff feeds show references, rooms, counts and ages, never names.

        Revalidate with `If-None-Match` (the `ETag`, weak comparison; it takes precedence) or
        `If-Modified-Since`: an unchanged feed answers 304 without a body. A date proves a
        client has every change only once the newest change is a few seconds old, so a client
        that fetched right after a change gets the whole feed once more; it never gets a 304
        for data it has not seen."""
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
        if not_modified(request.headers, version, now):
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


LABEL_EXAMPLES = [
    Example(summary="With a label", value={"label": "Phone"}),
    Example(summary="Without a label", value={}),
]


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
        response_description="An iCalendar object as a download; the media type names its "
        "method, e.g. `text/calendar; method=REQUEST; charset=utf-8`.",
        responses=problems("visit-not-found", "no-invite"),
    )
    async def invite(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        visit_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The visit as a calendar file for the household's own visit, as it stands: a
        `METHOD:REQUEST` while it is requested (tentative), booked or past, a `METHOD:CANCEL`
        once it is cancelled or rejected, with the same UID and a higher SEQUENCE, so calendar
        apps replace the event. A household without an e-mail address gets `METHOD:PUBLISH`
        (an attendee needs a mailbox).

        Another household's visit answers 404 `visit-not-found`; a hold (not yet confirmed)
        answers 409 `no-invite`. The same object is e-mailed after each change when e-mail is
        configured."""
        visit = await visit_for(db_session, visit_id, ForHousehold(household.household_id))
        invite = await load_invite(
            db_session,
            visit,
            public_url=settings.resolved_public_url,
            mail_sender=settings.mail_sender,
        )
        if invite is None:
            raise Conflict(
                "no-invite",
                "The visit is %(state)s: it has no invite yet.",
                state=visit.status.value,
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
    ) -> FeedPage:
        """The household's feed subscriptions, newest first, revoked ones included (with
        `revoked_at`). Tokens are never shown again after creation."""
        rows, total = await queries.household_feeds(
            db_session, household.household_id, limit=limit, offset=offset
        )
        return Page([feed_tokens.feed_out(row) for row, _ in rows], total, limit, offset)

    @post(
        "/feeds",
        status_code=HTTP_201_CREATED,
        summary="Subscribe to the household's visits (the token is shown once)",
        responses=problems("invalid-body"),
    )
    async def create_feed(
        self,
        db_session: DbSession,
        household: HouseholdUser,
        settings: AppSettings,
        data: Annotated[SkipValidation[HouseholdFeedIn], Body(examples=LABEL_EXAMPLES)],
    ) -> FeedCreatedOut:
        """Creates a read-only subscription to the household's visits, in the household's
        language, and answers its `url` and `webcal_url` with the token (256 random bits,
        stored only as a hash; shown this once). Audited. A household may have several (one
        per device), each revocable on its own."""
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

    @delete(
        "/feeds/{feed_id:uuid}",
        summary="Revoke a subscription",
        responses=problems("feed-not-found"),
    )
    async def revoke_feed(
        self, db_session: DbSession, household: HouseholdUser, feed_id: FromPath[uuid.UUID]
    ) -> None:
        """Revokes one of the household's subscriptions: its feed answers 404 from now on.
        Idempotent (a revoked feed can be revoked again); audited. Another household's feed
        answers 404 `feed-not-found`."""
        row = await queries.household_feed(db_session, feed_id, household.household_id)
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
    ) -> FeedPage:
        """The caller's own feed subscriptions at every facility, newest first, revoked ones
        included. Any member of staff."""
        rows, total = await queries.staff_feeds(
            db_session, staff.staff_id, limit=limit, offset=offset
        )
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
    ) -> FeedPage:
        """Every staff subscription to the facility's or its rooms' schedules, with their
        owners, newest first, so that a visits manager can see and revoke them. Visits managers
        of the facility and administrators."""
        staff.role_for(facility_id, MANAGE_ROLES)
        rows, total = await queries.facility_feeds(
            db_session, facility_id, limit=limit, offset=offset
        )
        return Page([feed_tokens.feed_out(r, name) for r, name in rows], total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/feeds",
        status_code=HTTP_201_CREATED,
        summary="Subscribe to the facility's or one room's schedule (the token is shown once)",
        responses=problems("invalid-body", "facility-not-found", "room-not-found"),
    )
    async def create_feed(
        self,
        db_session: DbSession,
        language: RequestLanguage,
        staff: StaffUser,
        settings: AppSettings,
        facility_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[StaffFeedIn],
            Body(
                examples=[
                    Example(summary="The whole facility", value={"label": "Gate"}),
                    Example(
                        summary="One room, in English",
                        value={
                            "label": "Family room",
                            "room_id": "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
                            "language": "en",
                        },
                    ),
                ]
            ),
        ],
    ) -> FeedCreatedOut:
        """Creates a read-only subscription to the facility's schedule, or to one room's with
        `room_id`, for the caller; answers its `url` and `webcal_url` with the token (shown this
        once). Any member of staff of the facility; audited. The feed shows references, rooms,
        counts and ages, never names, and closes as soon as its owner loses the role at the
        facility.

        `language` defaults to the request's language. A room of another facility answers 404
        `room-not-found`."""
        role = staff.role_for(facility_id, READ_ROLES)
        body = parse_body(StaffFeedIn, data)
        await facility_queries.facility_or_404(db_session, facility_id)
        if body.room_id is not None:
            await facility_queries.room_at(db_session, facility_id, body.room_id)
        scope = FeedScope(
            kind="room" if body.room_id else "facility",
            facility_id=facility_id,
            room_id=body.room_id,
            language=body.language.value if body.language else language,
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
        responses=problems("feed-not-found"),
    )
    async def revoke_feed(
        self, db_session: DbSession, staff: StaffUser, feed_id: FromPath[uuid.UUID]
    ) -> None:
        """Revokes a staff subscription: the caller's own, or (visits managers and
        administrators) any at the facility. Idempotent; audited. An unknown id, or a
        household's feed, answers 404 `feed-not-found`."""
        row = await queries.staff_feed(db_session, feed_id)
        if row is None:
            raise _feed_not_found()
        facility_id = FeedScope.from_json(row.scope, None).facility_id
        allowed = READ_ROLES if row.staff_id == staff.staff_id else MANAGE_ROLES
        role = staff.role_for(facility_id, allowed)
        await feed_tokens.revoke(db_session, row, staff.actor(role))
