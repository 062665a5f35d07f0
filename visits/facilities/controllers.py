"""Public read API: facilities, their rooms, and bookable slots."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
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
from visits.facilities.schemas import FacilityOut, RoomOut, SlotOut
from visits.facilities.staff_schemas import InformationOut
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page

DEFAULT_SLOT_DAYS = 28
MAX_SLOT_DAYS = 92


def _facility_not_found(facility_id: uuid.UUID) -> ProblemError:
    return ProblemError(404, "facility-not-found", f"There is no facility {facility_id}.")


class FacilityController(Controller):
    path = "/api/v1/facilities"
    tags = ["Facilities"]

    @get("/", summary="List facilities")
    async def list_facilities(
        self, db_session: DbSession, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> Page[FacilityOut]:
        facilities, total = await queries.list_facilities(db_session, limit=limit, offset=offset)
        return Page([facility_out(f) for f in facilities], total, limit, offset)

    @get("/{facility_id:uuid}", summary="Get one facility")
    async def get_facility(
        self, db_session: DbSession, facility_id: FromPath[uuid.UUID]
    ) -> FacilityOut:
        facility = await queries.get_facility(db_session, facility_id)
        if facility is None:
            raise _facility_not_found(facility_id)
        return facility_out(facility)

    @get("/{facility_id:uuid}/rooms", summary="List a facility's rooms and child-friendly features")
    async def list_rooms(
        self,
        db_session: DbSession,
        facility_id: FromPath[uuid.UUID],
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[RoomOut]:
        if await queries.get_facility(db_session, facility_id) is None:
            raise _facility_not_found(facility_id)
        rooms, total = await queries.list_rooms(db_session, facility_id, limit=limit, offset=offset)
        return Page([room_out(r) for r in rooms], total, limit, offset)

    @get(
        "/{facility_id:uuid}/information",
        summary="Family information for a language and a child's age band (CF-21)",
    )
    async def information(
        self,
        db_session: DbSession,
        facility_id: FromPath[uuid.UUID],
        lang: Annotated[Language, QueryParameter()] = Language.EN,
        age_band: Annotated[AgeBand | None, QueryParameter()] = None,
    ) -> list[InformationOut]:
        if await queries.get_facility(db_session, facility_id) is None:
            raise _facility_not_found(facility_id)
        items = await public_information(
            db_session, facility_id, lang.value, age_band.value if age_band else None
        )
        return [information_out(i) for i in items]


class SlotController(Controller):
    path = "/api/v1/slots"
    tags = ["Slots"]

    @get("/", summary="List bookable slots with remaining capacity")
    async def list_slots(
        self,
        db_session: DbSession,
        facility_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        room_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        visit_type: Annotated[VisitType | None, QueryParameter()] = None,
        feature: Annotated[
            RoomFeature | None, QueryParameter(description="Only rooms with this feature.")
        ] = None,
        date_from: Annotated[
            date | None,
            QueryParameter(name="from", description="First local date (default: today)."),
        ] = None,
        date_to: Annotated[
            date | None,
            QueryParameter(
                name="to", description=f"Last local date, inclusive (at most {MAX_SLOT_DAYS} days)."
            ),
        ] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[SlotOut]:
        zone = ZoneInfo("UTC")
        if facility_id is not None:
            facility = await queries.get_facility(db_session, facility_id)
            if facility is None:
                raise _facility_not_found(facility_id)
            zone = ZoneInfo(facility.timezone)
        start = date_from or datetime.now(UTC).astimezone(zone).date()
        end = date_to or start + timedelta(days=DEFAULT_SLOT_DAYS - 1)
        problems = []
        if end < start:
            problems.append({"name": "to", "in": "query", "detail": "must not be before 'from'"})
        elif (end - start).days + 1 > MAX_SLOT_DAYS:
            problems.append(
                {
                    "name": "to",
                    "in": "query",
                    "detail": f"the range is limited to {MAX_SLOT_DAYS} days",
                }
            )
        if problems:
            raise invalid_parameters(problems)
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
