"""Staff API for facilities, family information, rooms, slot templates, closures and reports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.openapi.spec import Example, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation
from litestar.openapi.spec import Schema as OpenAPISchema
from litestar.params import Body, FromPath, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_200_OK

from visits import csv_files
from visits.accounts.principals import (
    BEARER_SECURITY,
    STAFF_DEPENDENCIES,
    StaffUser,
    staff_guard,
)
from visits.dates import date_problems
from visits.dependencies import AppSettings, DbSession, RequestLanguage
from visits.errors import invalid_parameters
from visits.facilities import reports
from visits.facilities.presenters import facility_out, information_out, room_out, template_out
from visits.facilities.schemas.public import FacilityOut, InformationOut, RoomOut
from visits.facilities.schemas.rule_parameters import RuleParametersIn, RuleParametersOut
from visits.facilities.schemas.staff import (
    ClosureIn,
    ClosureListItem,
    ClosureOut,
    ClosurePage,
    FacilityIn,
    FacilityUpdateIn,
    FlaggedVisit,
    GenerateOut,
    InformationIn,
    RoomIn,
    RoomUpdateIn,
    TemplateChangeOut,
    TemplateIn,
    TemplateOut,
    TemplatePage,
    TemplateUpdateIn,
)
from visits.facilities.service import closures, facilities, rooms, rule_parameters, templates
from visits.openapi import problems
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.validation import parse_body

FacilityId = FromPath[uuid.UUID]
Month = Annotated[
    str,
    QueryParameter(
        pattern=reports.MONTH_PATTERN,
        description="A month, YYYY-MM, from 2000-01 to 2100-12.",
        examples=[Example(value="2027-03")],
    ),
]
ROOM = "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"

FACILITY_EXAMPLE = {
    "slug": "jva-nord",
    "name": "JVA Nord",
    "timezone": "Europe/Berlin",
    "street": "Am Wall 2",
    "postal_code": "20000",
    "city": "Nordstadt",
    "country": "DE",
    "email": "besuch@jva-nord.example",
    "phone": "+49 40 1234567",
    "languages": ["de", "en"],
}
ROOM_EXAMPLE = {
    "name": "Familienzimmer",
    "capacity_tables": 4,
    "capacity_seats": 16,
    "capacity_children": 10,
    "description": "Spielecke, Wickeltisch und Bücher.",
    "features": ["play_corner", "baby_changing", "books_games"],
    "age_bands": ["0-2", "3-5", "6-11"],
}
TEMPLATE_EXAMPLE = {
    "room_id": ROOM,
    "visit_type": "child_family",
    "weekday": 2,
    "start_time": "15:30:00",
    "duration_minutes": 120,
    "valid_from": "2027-01-06",
}
CLOSURE_EXAMPLE = {
    "starts_on": "2027-03-01",
    "ends_on": "2027-03-01",
    "reason": "Staff meeting",
}


@dataclass
class _JsonOrCsv(Operation):
    """The day sheet's 200 carries JSON, or CSV with ``format=csv``: both are declared."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content[csv_files.MEDIA_TYPE] = OpenAPIMediaType(
                schema=OpenAPISchema(
                    type=OpenAPIType.STRING,
                    description="For spreadsheet programs in German and English: UTF-8 with a "
                    "byte order mark, semicolon-separated, CRLF line ends, one header row (in "
                    "the request's language) and one row per visit: "
                    + ", ".join(reports.CSV_COLUMNS)
                    + ".",
                ),
                example=(
                    csv_files.BOM
                    + ";".join(reports.CSV_COLUMNS)
                    + "\r\n14:00;16:00;Familienzimmer;3F9A21C7;Jonas Beispiel;A-1024;Booked;"
                    "Child and family visit;1;2;38 9 4;Yes;Anna Beispiel; Mia Beispiel; Leon "
                    "Beispiel;;No;Arrived;13:41\r\n"
                ),
            )


class StaffFacilityController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff: facilities"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    # -- facilities and family information

    @post(
        "/facilities",
        summary="Create a facility (admin)",
        responses=problems("invalid-body", "facility-exists"),
    )
    async def create_facility(
        self,
        db_session: DbSession,
        staff: StaffUser,
        data: Annotated[
            SkipValidation[FacilityIn],
            Body(examples=[Example(summary="A facility in Germany", value=FACILITY_EXAMPLE)]),
        ],
    ) -> FacilityOut:
        """Creates a facility with its address, IANA time zone, languages, booking window and
        rule profile. Administrators only (audited).

        Every invalid field is listed at once (422 `invalid-body`); the time zone must be a
        name of the IANA database such as `Europe/Berlin`. A slug in use answers 409
        `facility-exists`. Rooms, slot templates and slots are added afterwards."""
        body = parse_body(FacilityIn, data)
        return facility_out(await facilities.create_facility(db_session, staff, body))

    @patch(
        "/facilities/{facility_id:uuid}",
        summary="Change a facility (manager)",
        responses=problems("facility-not-found", "invalid-body", "timezone-in-use"),
    )
    async def update_facility(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: Annotated[
            SkipValidation[FacilityUpdateIn],
            Body(
                examples=[
                    Example(summary="A longer booking window", value={"max_days_ahead": 42}),
                    Example(
                        summary="SMS reminders two days and two hours before",
                        value={"reminder_offsets_hours": [48, 2]},
                    ),
                ]
            ),
        ],
    ) -> FacilityOut:
        """Changes the fields given; the others stay. For the facility's visits managers and
        administrators (audited, with every old and new value).

        The time zone cannot change while the facility has upcoming slots (409
        `timezone-in-use`): they were generated in the old one."""
        body = parse_body(FacilityUpdateIn, data)
        return facility_out(await facilities.update_facility(db_session, staff, facility_id, body))

    @put(
        "/facilities/{facility_id:uuid}/information",
        status_code=HTTP_200_OK,
        summary="Set family information for a language, age band and topic (CF-21)",
        responses=problems("facility-not-found", "invalid-body"),
    )
    async def put_information(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: Annotated[
            SkipValidation[InformationIn],
            Body(
                examples=[
                    Example(
                        summary="For teenagers, in German",
                        value={
                            "language": "de",
                            "age_band": "12-17",
                            "topic": "gate",
                            "title": "Am Eingang",
                            "body": "Bring deinen Schülerausweis mit.",
                        },
                    )
                ]
            ),
        ],
    ) -> InformationOut:
        """Creates or replaces the text for one language, age band (none: for everyone) and
        topic; idempotent. For visits managers and administrators (audited).

        Families read these texts in `GET /api/v1/facilities/{facility_id}/information`, in
        their confirmations and in their calendar invites."""
        body = parse_body(InformationIn, data)
        item = await facilities.put_information(db_session, staff, facility_id, body)
        return information_out(item)

    @delete(
        "/information/{information_id:uuid}",
        summary="Delete a family information text",
        responses=problems("information-not-found"),
    )
    async def delete_information(
        self, db_session: DbSession, staff: StaffUser, information_id: FromPath[uuid.UUID]
    ) -> None:
        """Deletes one text. For the facility's visits managers and administrators
        (audited)."""
        await facilities.delete_information(db_session, staff, information_id)

    # -- rooms

    @post(
        "/facilities/{facility_id:uuid}/rooms",
        summary="Add a room (manager)",
        responses=problems("facility-not-found", "invalid-body", "room-exists"),
    )
    async def create_room(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: Annotated[
            SkipValidation[RoomIn],
            Body(examples=[Example(summary="A child-friendly room", value=ROOM_EXAMPLE)]),
        ],
    ) -> RoomOut:
        """Adds a room with its capacity, child-friendly features and suitable age bands. For
        visits managers and administrators (audited). Room names are unique within a facility
        (409 `room-exists`)."""
        body = parse_body(RoomIn, data)
        return room_out(await rooms.create_room(db_session, staff, facility_id, body))

    @patch(
        "/rooms/{room_id:uuid}",
        summary="Change a room; capacity applies to new slots",
        responses=problems("room-not-found", "invalid-body", "room-exists", "room-in-use"),
    )
    async def update_room(
        self,
        db_session: DbSession,
        staff: StaffUser,
        room_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[RoomUpdateIn],
            Body(
                examples=[
                    Example(summary="Two more tables", value={"capacity_tables": 6}),
                    Example(summary="Take a room out of use", value={"is_active": False}),
                ]
            ),
        ],
    ) -> RoomOut:
        """Changes the fields given; the others stay. For the facility's visits managers and
        administrators (audited). A new capacity applies to slots generated afterwards;
        existing slots keep theirs. Renaming to the name of another room of the facility
        answers 409 `room-exists`.

        `is_active: false` takes the room out of use: its slot templates end and its free
        slots ahead are removed. While booked visits lie ahead in the room this is refused with
        409 `room-in-use`: move or cancel them first (the families are told)."""
        body = parse_body(RoomUpdateIn, data)
        return room_out(await rooms.update_room(db_session, staff, room_id, body))

    # -- slot templates and generation

    @get(
        "/facilities/{facility_id:uuid}/slot-templates",
        summary="Slot templates",
        responses=problems("facility-not-found"),
    )
    async def list_templates(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> TemplatePage:
        """The facility's weekly slot templates, active or not, by weekday and start time. For
        every member of staff of the facility."""
        rows, total = await templates.list_templates(
            db_session, staff, facility_id, limit=limit, offset=offset
        )
        return Page([template_out(t) for t in rows], total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/slot-templates",
        summary="Add a weekly slot template (no overlaps within a room)",
        responses=problems("facility-not-found", "invalid-body", "template-overlap"),
    )
    async def create_template(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: Annotated[
            SkipValidation[TemplateIn],
            Body(
                examples=[
                    Example(summary="Wednesdays 15:30, two hours", value=TEMPLATE_EXAMPLE),
                    Example(
                        summary="Every other Saturday, staff bookings only",
                        value=TEMPLATE_EXAMPLE
                        | {"weekday": 5, "interval_weeks": 2, "bookable_by": "staff"},
                    ),
                ]
            ),
        ],
    ) -> TemplateOut:
        """Adds a weekly recurrence in the facility's local time (`start_time` is a wall-clock
        time, so slots stay at 15:30 across daylight-saving changes). For visits managers and
        administrators (audited).

        A template whose slots would overlap another active template's in the same room is
        refused with 409 `template-overlap`, naming the other template and the first clash.
        Slots are published by `POST …/slots/generate` (and daily by the scheduler)."""
        body = parse_body(TemplateIn, data)
        return template_out(await templates.create_template(db_session, staff, facility_id, body))

    @patch(
        "/slot-templates/{template_id:uuid}",
        summary="Change a template; future slots follow, booked visits are flagged",
        responses=problems("template-not-found", "invalid-body", "template-overlap"),
    )
    async def update_template(
        self,
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        template_id: FromPath[uuid.UUID],
        data: Annotated[
            SkipValidation[TemplateUpdateIn],
            Body(
                examples=[
                    Example(
                        summary="Half an hour later",
                        value={"start_time": "16:00:00", "reason": "School ends later."},
                    )
                ]
            ),
        ],
    ) -> TemplateChangeOut:
        """Changes the template; its future slots follow. For visits managers and
        administrators (audited with the `reason`).

        Free slots the template no longer produces are removed and new ones generated up to
        the horizon. Booked visits are never cancelled: their slot is closed to new bookings
        and they are flagged for review with the reason (`visits_flagged`), for staff to move
        or keep them and tell the family."""
        body = parse_body(TemplateUpdateIn, data)
        return await templates.update_template(
            db_session, staff, template_id, body, settings.slot_horizon_days
        )

    @post(
        "/facilities/{facility_id:uuid}/slots/generate",
        status_code=HTTP_200_OK,
        summary="Publish slots from the templates up to the horizon (idempotent)",
        responses=problems("facility-not-found"),
    )
    async def generate(
        self,
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        facility_id: FacilityId,
        days: Annotated[
            int | None,
            QueryParameter(
                ge=1,
                le=366,
                description="Local days from today (default: the configured slot horizon).",
            ),
        ] = None,
    ) -> GenerateOut:
        """Creates the missing slots of every active template from today for `days` local
        days. Idempotent: slots that exist are kept, so a repeat creates nothing. For visits
        managers and administrators (audited). Closed dates stay closed."""
        return await templates.publish_slots(
            db_session, staff, facility_id, days or settings.slot_horizon_days
        )

    # -- closures

    @get(
        "/facilities/{facility_id:uuid}/closures",
        summary="Closures",
        responses=problems("facility-not-found"),
    )
    async def list_closures(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> ClosurePage:
        """The facility's closures, latest first; `room_id` null means the whole facility.
        For every member of staff of the facility."""
        rows, total = await closures.list_closures(
            db_session, staff, facility_id, limit=limit, offset=offset
        )
        items = [ClosureListItem(c.id, c.room_id, c.starts_on, c.ends_on, c.reason) for c in rows]
        return Page(items, total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/closures/preview",
        status_code=HTTP_200_OK,
        summary="The booked visits a closure would flag, before saving it",
        responses=problems("facility-not-found", "invalid-body"),
    )
    async def preview_closure(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: Annotated[
            SkipValidation[ClosureIn],
            Body(examples=[Example(summary="One day, whole facility", value=CLOSURE_EXAMPLE)]),
        ],
    ) -> list[FlaggedVisit]:
        """What `POST …/closures` with the same body would flag, without saving anything. For
        every member of staff of the facility."""
        body = parse_body(ClosureIn, data)
        return await closures.preview(db_session, staff, facility_id, body)

    @post(
        "/facilities/{facility_id:uuid}/closures",
        summary="Close dates; slots close, booked visits are flagged for review",
        responses=problems("facility-not-found", "invalid-body"),
    )
    async def create_closure(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: Annotated[
            SkipValidation[ClosureIn],
            Body(
                examples=[
                    Example(summary="One day, whole facility", value=CLOSURE_EXAMPLE),
                    Example(
                        summary="One room for a week",
                        value=CLOSURE_EXAMPLE
                        | {"ends_on": "2027-03-07", "room_id": ROOM, "reason": "Renovation"},
                    ),
                ]
            ),
        ],
    ) -> ClosureOut:
        """Closes the facility (or one room) from `starts_on` to `ends_on`, local dates
        inclusive, at most a year. For visits managers and administrators (audited with the
        reason). The slots inside close to new bookings; booked visits are not cancelled but
        flagged for review (`visits_flagged`), so that staff can move them and tell the
        families."""
        body = parse_body(ClosureIn, data)
        return await closures.create_closure(db_session, staff, facility_id, body)

    @delete(
        "/closures/{closure_id:uuid}",
        summary="Remove a closure and reopen its slots",
        responses=problems("closure-not-found"),
    )
    async def delete_closure(
        self, db_session: DbSession, staff: StaffUser, closure_id: FromPath[uuid.UUID]
    ) -> None:
        """Removes the closure and reopens exactly the slots it closed. For visits managers and
        administrators (audited). Flags set on visits stay until staff decide."""
        await closures.delete_closure(db_session, staff, closure_id)

    # -- reports

    @get(
        "/facilities/{facility_id:uuid}/day-sheet",
        summary="Visits of one local date (JSON, or CSV with format=csv)",
        responses=problems("facility-not-found"),
        operation_class=_JsonOrCsv,
    )
    async def day_sheet(
        self,
        db_session: DbSession,
        language: RequestLanguage,
        staff: StaffUser,
        facility_id: FacilityId,
        day: Annotated[
            date,
            QueryParameter(
                name="date",
                description="A local date of the facility, 2000-01-01 to 2100-12-31.",
                examples=[Example(value="2027-03-03")],
            ),
        ],
        output: Annotated[
            str,
            QueryParameter(
                name="format",
                pattern="^(json|csv)$",
                description="`json` (default) or `csv` (`text/csv`, as a download).",
            ),
        ] = "json",
    ) -> Response[reports.DaySheet]:
        """The gate's list for one local date (CF-20): every booked, requested, attended or
        missed visit in time order, with room, reference, whom the family visits (prisoner and
        prison number), party (names and ages on the visit day; adults and children), whether
        a child comes, support needs, review flags and what the gate recorded (`check_in`:
        `attended`, `late` or `no_show`, with the local arrival time). Families are checked in
        with `POST /api/v1/staff/visits/{visit_id}/attendance`. For every member of staff of
        the facility.

        With `format=csv` the same as a CSV download for spreadsheet programs (UTF-8 with a
        byte order mark, semicolon-separated, one row per visit; headings, states, visit types
        and yes/no in the request's language): line breaks and control characters in stored
        texts are flattened, and a cell that would start a spreadsheet formula (`=`, `+`, `-`,
        `@`, tab, carriage return) is prefixed with `'`."""
        wrong = date_problems(date=day)
        if wrong:
            raise invalid_parameters(wrong)
        sheet = await reports.day_sheet(db_session, staff, facility_id, day, language)
        if output == "csv":
            download: Response[Any] = Response(
                reports.day_sheet_csv(sheet, language),
                media_type=csv_files.MEDIA_TYPE,
                headers=csv_files.download_headers(f"day-sheet-{day}.csv"),
            )
            return download
        return Response(sheet)

    @get(
        "/facilities/{facility_id:uuid}/figures",
        summary="Figures for one month",
        responses=problems("facility-not-found"),
    )
    async def figures(
        self, db_session: DbSession, staff: StaffUser, facility_id: FacilityId, month: Month
    ) -> reports.MonthFigures:
        """Monthly figures (CF-16) by local date: slots offered and closed, tables and places
        used, utilisation overall and per room, how many child-friendly slots lie outside
        school hours (by the facility's rule profile), visits with children, what the gate
        recorded (`attended`, of these `arrived_late`, and `no_shows`), and waiting times
        from booking or request to the visit. `visits` and `visits_with_children` count
        booked visits and those that took place; a visit the gate recorded as a no-show did
        not take place and is counted only in `no_shows` (its waiting time still counts). For
        every member of staff of the facility."""
        return await reports.month_figures(db_session, staff, facility_id, month)

    # -- rule parameters and alerts

    @get(
        "/facilities/{facility_id:uuid}/rule-parameters",
        summary="The facility's rule profile, overrides and effective parameters",
        responses=problems("facility-not-found"),
    )
    async def rule_parameters(
        self, db_session: DbSession, staff: StaffUser, facility_id: FacilityId
    ) -> RuleParametersOut:
        """The rule profile the facility follows, its own overrides, and the parameters in
        effect (profile plus overrides plus the facility's booking window). For every member of
        staff of the facility."""
        return await rule_parameters.get_parameters(db_session, staff, facility_id)

    @put(
        "/facilities/{facility_id:uuid}/rule-parameters",
        status_code=HTTP_200_OK,
        summary="Choose the profile and replace the overrides (manager; validated, audited)",
        responses=problems("facility-not-found", "invalid-body"),
    )
    async def set_rule_parameters(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: Annotated[
            SkipValidation[RuleParametersIn],
            Body(
                examples=[
                    Example(
                        summary="Four children per visit",
                        value={"overrides": {"max_children": 4}, "reason": "Larger rooms."},
                    ),
                    Example(
                        summary="Another profile, no overrides",
                        value={"profile": "de-nw", "overrides": {}, "reason": "Moved to NRW."},
                    ),
                ]
            ),
        ],
    ) -> RuleParametersOut:
        """Chooses the rule profile (optional) and replaces the overrides as a whole (`{}`
        removes them). For visits managers and administrators (audited with the reason and the
        values before and after).

        Every override is checked against the rule catalogue and against the profile (names,
        types, ranges, relations such as `max_total`); every problem is listed at once (422
        `invalid-body`). The booking window is a field of the facility, not an override."""
        body = parse_body(RuleParametersIn, data)
        return await rule_parameters.set_parameters(db_session, staff, facility_id, body)
