"""Public read API: facilities, their rooms, family information and bookable slots."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from visits.dependencies import DbSession, RequestLanguage
from visits.enums import AgeBand
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
        facility = await queries.facility_or_404(db_session, facility_id, active_only=True)
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
        await queries.facility_or_404(db_session, facility_id, active_only=True)
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
        language: RequestLanguage,
        age_band: Annotated[
            AgeBand | None,
            QueryParameter(description="Add the texts for children of this age band."),
        ] = None,
    ) -> list[InformationOut]:
        """What families should know before a visit, as the facility wrote it: the texts for
        everyone in the request's language (`?lang=`, else `Accept-Language`), followed by those
        for `age_band` if given. Public; an empty list when the facility has written nothing in
        that language."""
        await queries.facility_or_404(db_session, facility_id, active_only=True)
        items = await queries.public_information(
            db_session, facility_id, language, age_band.value if age_band else None
        )
        return [information_out(i) for i in items]
