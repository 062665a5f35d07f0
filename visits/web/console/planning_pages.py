"""Planning pages: rooms and their child-friendly features, slot templates with a week preview
and publishing, closures with the visits they will flag shown before saving.

Every change goes through the same service functions as the staff API, so roles, validation
and the audit trail are the API's.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.params import FromPath

from visits.booking import queries as visit_queries
from visits.db.base import utcnow
from visits.db.models import Closure, Room
from visits.dependencies import AppSettings, DbSession
from visits.enums import AgeBand, RoomFeature, VisitType
from visits.errors import Conflict, NotFound, Unprocessable
from visits.facilities import queries as facility_queries
from visits.facilities.schemas.staff import ClosureIn, RoomIn, RoomUpdateIn, TemplateIn
from visits.facilities.service import closures, templates
from visits.facilities.service.access import MANAGE_ROLES
from visits.facilities.service.rooms import create_room, update_room
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.forms import FormValues, read_form
from visits.web.console.labels import field_messages
from visits.web.console.session import ConsolePage, StaffPage
from visits.web.console.week_preview import week_preview
from visits.web.labels import Labels
from visits.web.pages import see_other

CLOCK = re.compile(r"^\d{2}:\d{2}$")
SHOWN = 1000  # rooms, templates: all of a facility's
CLOSURES_SHOWN = 100
ROOM_FIELDS = ("name", "description", "capacity_tables", "capacity_seats", "capacity_children")
TEMPLATE_FIELDS = (
    "room_id",
    "visit_type",
    "weekday",
    "start_time",
    "duration_minutes",
    "interval_weeks",
    "valid_from",
    "valid_to",
    "bookable_by",
)
CLOSURE_FIELDS = ("starts_on", "ends_on", "room_id", "reason")


def _room_body(form: FormValues) -> dict[str, Any]:
    return form.present(*ROOM_FIELDS) | {
        "description": form.get("description"),
        "features": form.all("features"),
        "age_bands": form.all("age_bands"),
    }


def room_options(rooms: list[Room]) -> list[tuple[str, str]]:
    return [(str(room.id), room.name) for room in rooms]


async def _rooms(session: DbSession, facility_id: uuid.UUID) -> list[Room]:
    rooms, _ = await facility_queries.list_rooms(session, facility_id, limit=SHOWN, offset=0)
    return rooms


class ConsolePlanningController(ConsoleController):
    path = "/staff/facilities/{facility_id:uuid}"

    # --- rooms ------------------------------------------------------------------------------

    async def _rooms_page(
        self, page: StaffPage, session: DbSession, *, status: int = 200, **context: Any
    ) -> Response[Any]:
        defaults: dict[str, Any] = {"form": FormValues({}), "errors": {}, "editing": None}
        return page.render(
            "console/rooms.html",
            status=status,
            rooms=await _rooms(session, page.current_facility.id),
            features=list(RoomFeature),
            age_bands=list(AgeBand),
            **(defaults | context),
        )

    @get("/rooms")
    async def rooms(self, facility_page: ConsolePage, db_session: DbSession) -> Response[Any]:
        return await self._rooms_page(facility_page, db_session)

    @post("/rooms")
    async def add_room(
        self, request: Request[Any, Any, Any], facility_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        page = facility_page
        page.require(MANAGE_ROLES)
        facility_id = page.current_facility.id
        form = await read_form(request)
        try:
            body = parse_body(RoomIn, _room_body(form), strict=False)
            await create_room(db_session, page.principal_staff, facility_id, body)
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._, page.language)
            return await self._rooms_page(page, db_session, status=422, form=form, errors=errors)
        except Conflict:  # a room of this name exists
            errors = field_messages([{"name": "name"}], page._, page.language)
            return await self._rooms_page(page, db_session, status=422, form=form, errors=errors)
        return see_other(f"/staff/facilities/{facility_id}/rooms", done="room_added")

    @get("/rooms/{room_id:uuid}")
    async def room(
        self, facility_page: ConsolePage, db_session: DbSession, room_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        facility_id = facility_page.current_facility.id
        room = await facility_queries.room_at(db_session, facility_id, room_id)
        return facility_page.render(
            "console/room.html",
            room=room,
            form=None,
            errors={},
            features=list(RoomFeature),
            age_bands=list(AgeBand),
        )

    @post("/rooms/{room_id:uuid}")
    async def save_room(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        room_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        page = facility_page
        page.require(MANAGE_ROLES)
        facility_id = page.current_facility.id
        room = await facility_queries.room_at(db_session, facility_id, room_id)
        form = await read_form(request)
        try:
            body = parse_body(RoomUpdateIn, _room_body(form), strict=False)
            await update_room(db_session, page.principal_staff, room.id, body)
        except Unprocessable as invalid:
            return page.render(
                "console/room.html",
                status=422,
                room=room,
                form=form,
                errors=field_messages(invalid.errors, page._, page.language),
                features=list(RoomFeature),
                age_bands=list(AgeBand),
            )
        return see_other(f"/staff/facilities/{facility_id}/rooms", done="room_saved")

    # --- slot templates ---------------------------------------------------------------------

    async def _templates_page(
        self, page: StaffPage, session: DbSession, *, status: int = 200, **context: Any
    ) -> Response[Any]:
        facility = page.current_facility
        listed, _ = await facility_queries.list_templates(
            session, facility.id, limit=SHOWN, offset=0
        )
        rooms = await _rooms(session, facility.id)
        defaults: dict[str, Any] = {
            "form": FormValues({}),
            "errors": {},
            "preview": None,
            "created": None,
        }
        return page.render(
            "console/templates.html",
            status=status,
            templates=sorted(listed, key=lambda template: not template.is_active),
            rooms=rooms,
            room_names={room.id: room.name for room in rooms},
            room_options=room_options(rooms),
            visit_type_options=[(v.value, Labels(page._).visit_type(v)) for v in VisitType],
            today=utcnow().astimezone(ZoneInfo(facility.timezone)).date(),
            horizon_days=page.settings.slot_horizon_days,
            **(defaults | context),
        )

    @get("/templates")
    async def list_templates(
        self, request: Request[Any, Any, Any], facility_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        created = request.query_params.get("created", "")
        return await self._templates_page(
            facility_page, db_session, created=int(created) if created.isdigit() else None
        )

    @post("/templates")
    async def preview_or_save_template(
        self, request: Request[Any, Any, Any], facility_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        """ "Preview" shows the week the template creates; "Save" stores it (managers)."""
        page = facility_page
        facility = page.current_facility
        page.require(MANAGE_ROLES)
        form = await read_form(request)
        try:
            raw = form.present(*TEMPLATE_FIELDS)
            if CLOCK.match(raw.get("start_time", "")):  # a time input sends 15:30
                raw["start_time"] += ":00"
            body = parse_body(TemplateIn, raw, strict=False)
            if form.get("action") == "save":
                await templates.create_template(db_session, page.principal_staff, facility.id, body)
                return see_other(
                    f"/staff/facilities/{facility.id}/templates", done="template_added"
                )
        except (Unprocessable, Conflict) as refusal:  # invalid fields, or an overlap
            return await self._templates_page(
                page,
                db_session,
                status=422,
                form=form,
                errors=field_messages(refusal.errors, page._, page.language),
            )
        zone = ZoneInfo(facility.timezone)
        existing, _ = await facility_queries.list_templates(
            db_session, facility.id, limit=SHOWN, offset=0
        )
        preview = week_preview(body, existing, zone, utcnow().astimezone(zone).date())
        overlaps = await templates.overlap_problems(db_session, facility, body)
        return await self._templates_page(
            page,
            db_session,
            status=422 if overlaps else 200,
            form=form,
            preview=preview,
            errors=field_messages(overlaps, page._, page.language),
        )

    @post("/slots/publish")
    async def publish(
        self, facility_page: ConsolePage, db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        facility_id = facility_page.current_facility.id
        published = await templates.publish_slots(
            db_session, facility_page.principal_staff, facility_id, settings.slot_horizon_days
        )
        return see_other(
            f"/staff/facilities/{facility_id}/templates",
            done="published",
            query={"created": str(published.slots_created)},
        )

    # --- closures ---------------------------------------------------------------------------

    async def _closures_page(
        self, page: StaffPage, session: DbSession, *, status: int = 200, **context: Any
    ) -> Response[Any]:
        facility = page.current_facility
        listed, _ = await facility_queries.list_closures(
            session, facility.id, limit=CLOSURES_SHOWN, offset=0
        )
        rooms = await _rooms(session, facility.id)
        defaults: dict[str, Any] = {
            "form": FormValues({}),
            "errors": {},
            "flagged": None,
            "children": {},
        }
        return page.render(
            "console/closures.html",
            status=status,
            closures=listed,
            rooms=rooms,
            room_names={room.id: room.name for room in rooms},
            room_options=room_options(rooms),
            zone=facility.timezone,
            **(defaults | context),
        )

    @get("/closures")
    async def list_closures(
        self, facility_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        return await self._closures_page(facility_page, db_session)

    @post("/closures")
    async def preview_or_save_closure(
        self, request: Request[Any, Any, Any], facility_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        """ "Check" lists the booked visits the closure will flag; "Save" closes (managers)."""
        page = facility_page
        page.require(MANAGE_ROLES)
        facility_id = page.current_facility.id
        form = await read_form(request)
        staff = page.principal_staff
        try:
            body = parse_body(ClosureIn, form.present(*CLOSURE_FIELDS), strict=False)
            if form.get("action") == "save":
                await closures.create_closure(db_session, staff, facility_id, body)
                return see_other(f"/staff/facilities/{facility_id}/review", done="closure_added")
            flagged = await closures.preview(db_session, staff, facility_id, body)
        except Unprocessable as invalid:
            return await self._closures_page(
                page,
                db_session,
                status=422,
                form=form,
                errors=field_messages(invalid.errors, page._, page.language),
            )
        children = await visit_queries.children_per_visit(db_session, [f.visit_id for f in flagged])
        return await self._closures_page(
            page, db_session, form=form, flagged=flagged, children=children
        )

    @post("/closures/{closure_id:uuid}/remove")
    async def remove_closure(
        self, facility_page: ConsolePage, db_session: DbSession, closure_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        facility_page.require(MANAGE_ROLES)
        facility_id = facility_page.current_facility.id
        closure = await db_session.get(Closure, closure_id)
        if closure is None or closure.facility_id != facility_id:
            raise NotFound("closure-not-found", "There is no such closure.")
        await closures.delete_closure(db_session, facility_page.principal_staff, closure_id)
        return see_other(f"/staff/facilities/{facility_id}/closures", done="closure_removed")
