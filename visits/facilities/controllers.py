"""Public read API: facilities, their rooms, and bookable slots."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from visits.booking.service import expire_holds
from visits.dependencies import DbSession
from visits.enums import AgeBand, Language, RoomFeature, VisitType
from visits.errors import ProblemError, invalid_parameters
from visits.facilities import queries
from visits.facilities.management import information_out, public_information
from visits.facilities.presenters import facility_out, room_out, slot_out
from visits.facilities.schemas import FacilityOut, FacilityPage, RoomPage, SlotPage
from visits.facilities.staff_schemas import EARLIEST_DATE, LATEST_DATE, InformationOut
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page

DEFAULT_SLOT_DAYS = 28
MAX_SLOT_DAYS = 92

# The date range of a slot listing, public or judged for a household's party.
DateFrom = Annotated[
    date | None,
    QueryParameter(
        name="from",
        description="First local date (default: today at the facility), "
        f"{EARLIEST_DATE} to {LATEST_DATE}.",
    ),
]
DateTo = Annotated[
    date | None,
    QueryParameter(
        name="to",
        description=f"Last local date, inclusive (default: {DEFAULT_SLOT_DAYS} days from "
        f"`from`; at most {MAX_SLOT_DAYS} days).",
    ),
]


def _facility_not_found(facility_id: uuid.UUID) -> ProblemError:
    return ProblemError(404, "facility-not-found", f"There is no facility {facility_id}.")


def date_problems(**days: date | None) -> list[dict[str, Any]]:
    """Query dates outside the supported years, each named (a date far in the future would
    overflow the arithmetic on it)."""
    return [
        {
            "name": name,
            "in": "query",
            "detail": f"must lie between {EARLIEST_DATE} and {LATEST_DATE}",
        }
        for name, day in days.items()
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE
    ]


def range_problems(start: date, end: date, first: str, last: str) -> list[dict[str, Any]]:
    """A range that runs backwards or is longer than :data:`MAX_SLOT_DAYS`."""
    if end < start:
        return [{"name": last, "in": "query", "detail": f"must not be before '{first}'"}]
    if (end - start).days + 1 > MAX_SLOT_DAYS:
        detail = f"the range is limited to {MAX_SLOT_DAYS} days"
        return [{"name": last, "in": "query", "detail": detail}]
    return []


class FacilityController(Controller):
    path = "/api/v1/facilities"
    tags = ["Facilities"]

    @get("/", summary="List facilities")
    async def list_facilities(
        self, db_session: DbSession, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> FacilityPage:
        """The active facilities, by name, with address, time zone, languages and booking
        window. Public: no sign-in needed."""
        facilities, total = await queries.list_facilities(db_session, limit=limit, offset=offset)
        return Page([facility_out(f) for f in facilities], total, limit, offset)

    @get(
        "/{facility_id:uuid}",
        summary="Get one facility",
        responses=problems("facility-not-found"),
    )
    async def get_facility(
        self, db_session: DbSession, facility_id: FromPath[uuid.UUID]
    ) -> FacilityOut:
        """One active facility. Public; an inactive or unknown facility answers 404
        `facility-not-found`."""
        facility = await queries.get_facility(db_session, facility_id)
        if facility is None:
            raise _facility_not_found(facility_id)
        return facility_out(facility)

    @get(
        "/{facility_id:uuid}/rooms",
        summary="List a facility's rooms and child-friendly features",
        responses=problems("facility-not-found"),
    )
    async def list_rooms(
        self,
        db_session: DbSession,
        facility_id: FromPath[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> RoomPage:
        """The facility's rooms in use, by name: capacity (tables, seats, children), features
        and the age bands a room suits. `child_friendly` is true when the room has at least one
        of the child-friendly features (play corner, baby changing, books and games, teen
        zone, outdoor area). Public."""
        if await queries.get_facility(db_session, facility_id) is None:
            raise _facility_not_found(facility_id)
        rooms, total = await queries.list_rooms(db_session, facility_id, limit=limit, offset=offset)
        return Page([room_out(r) for r in rooms], total, limit, offset)

    @get(
        "/{facility_id:uuid}/information",
        summary="Family information for a language and a child's age band (CF-21)",
        responses=problems("facility-not-found"),
    )
    async def information(
        self,
        db_session: DbSession,
        facility_id: FromPath[uuid.UUID],
        lang: Annotated[Language, QueryParameter(description="The texts' language.")] = (
            Language.EN
        ),
        age_band: Annotated[
            AgeBand | None,
            QueryParameter(description="Add the texts for children of this age band."),
        ] = None,
    ) -> list[InformationOut]:
        """What families should know before a visit, as the facility wrote it: the texts for
        everyone in `lang`, followed by those for `age_band` if given. Public; an empty list
        when the facility has written nothing in that language."""
        if await queries.get_facility(db_session, facility_id) is None:
            raise _facility_not_found(facility_id)
        items = await public_information(
            db_session, facility_id, lang.value, age_band.value if age_band else None
        )
        return [information_out(i) for i in items]


class SlotController(Controller):
    path = "/api/v1/slots"
    tags = ["Slots"]

    @get(
        "/",
        summary="List bookable slots with remaining capacity",
        responses=problems("facility-not-found"),
    )
    async def list_slots(
        self,
        db_session: DbSession,
        facility_id: Annotated[
            uuid.UUID | None,
            QueryParameter(description="Only this facility; its local dates apply."),
        ] = None,
        room_id: Annotated[uuid.UUID | None, QueryParameter(description="Only this room.")] = None,
        visit_type: Annotated[
            VisitType | None, QueryParameter(description="Only this type of visit.")
        ] = None,
        feature: Annotated[
            RoomFeature | None, QueryParameter(description="Only rooms with this feature.")
        ] = None,
        date_from: DateFrom = None,
        date_to: DateTo = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> SlotPage:
        """Open slots the public may book that have not started, in time order, with what is
        left of their capacity. Public: no sign-in needed.

        Dates are local dates of the slot's facility. Without `facility_id`, "today" is the
        date in UTC. A range that is backwards, longer than 92 days or outside the supported
        years answers 400 `invalid-parameters` naming the parameter; an unknown `facility_id`
        answers 404 `facility-not-found`. Signed-in households get the same slots judged for
        their party from `GET /api/v1/household/slots`."""
        zone = ZoneInfo("UTC")
        if facility_id is not None:
            facility = await queries.get_facility(db_session, facility_id)
            if facility is None:
                raise _facility_not_found(facility_id)
            zone = ZoneInfo(facility.timezone)
        wrong = date_problems(**{"from": date_from, "to": date_to})
        if wrong:
            raise invalid_parameters(wrong)
        start = date_from or datetime.now(UTC).astimezone(zone).date()
        end = date_to or start + timedelta(days=DEFAULT_SLOT_DAYS - 1)
        wrong = range_problems(start, end, "from", "to")
        if wrong:
            raise invalid_parameters(wrong)
        # Holds that ran out give their capacity back before anyone reads the counters.
        if await expire_holds(db_session):
            await db_session.commit()
        criteria = queries.SlotFilter(
            date_from=start,
            date_to=end,
            facility_id=facility_id,
            room_id=room_id,
            visit_type=visit_type,
            room_feature=feature.value if feature else None,
        )
        rows, total = await queries.list_public_slots(
            db_session, criteria, limit=limit, offset=offset
        )
        return Page([slot_out(r) for r in rows], total, limit, offset)
