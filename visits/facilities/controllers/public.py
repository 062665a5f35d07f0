"""Public read API: facilities, their rooms, family information and bookable slots."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from visits.dependencies import DbSession
from visits.enums import AgeBand, Language
from visits.errors import NotFound
from visits.facilities import queries
from visits.facilities.presenters import facility_out, information_out, room_out
from visits.facilities.schemas.public import (
    FacilityOut,
    FacilityPage,
    InformationOut,
    RoomPage,
)
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page


def _facility_not_found(facility_id: uuid.UUID) -> NotFound:
    return NotFound(
        "facility-not-found", "There is no facility %(facility_id)s.", facility_id=facility_id
    )


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
        items = await queries.public_information(
            db_session, facility_id, lang.value, age_band.value if age_band else None
        )
        return [information_out(i) for i in items]
