"""Planning pages: a new facility (administrators), rooms and their child-friendly features,
slot templates with a week preview, changes and publishing, closures with the visits they will
flag shown before saving.

Every change goes through the same service functions as the staff API, so roles, validation
and the audit trail are the API's: a room is taken out of use as ``PATCH /rooms/{id}`` with
``is_active: false`` does (refused while visits are booked in it ahead), a template ended as
``PATCH /slot-templates/{id}`` with ``is_active: false`` does (its booked visits are flagged for
review, never cancelled). The limits a form's browser checks come from the same schemas.
"""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import date, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath

from visits.accounts.principals import ADMIN_ONLY
from visits.booking import queries as visit_queries
from visits.db.base import utcnow
from visits.db.models import Closure, Room, SlotTemplate
from visits.dependencies import AppSettings, DbSession
from visits.enums import AgeBand, RoomFeature, VisitType
from visits.errors import Conflict, NotFound, Unprocessable
from visits.facilities import queries as facility_queries
from visits.facilities.schemas.staff import (
    ClosureIn,
    FacilityIn,
    RoomIn,
    RoomUpdateIn,
    TemplateIn,
    TemplateUpdateIn,
)
from visits.facilities.service import closures, templates
from visits.facilities.service.access import MANAGE_ROLES
from visits.facilities.service.facilities import create_facility
from visits.facilities.service.rooms import create_room, update_room
from visits.facilities.slot_generation import occurrences
from visits.i18n import LANGUAGES, N_
from visits.rules.profiles import available_profiles
from visits.validation import parse_body
from visits.web.console.base import ConsoleController
from visits.web.console.forms import Bounds, FormValues, bounds, read_form
from visits.web.console.labels import ConsoleLabels, field_messages
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
TEMPLATE_CHANGE_FIELDS = (*(f for f in TEMPLATE_FIELDS if f != "room_id"), "reason")
CLOSURE_FIELDS = ("starts_on", "ends_on", "room_id", "reason")
FACILITY_FIELDS = (  # in the form's order, which its error summary follows
    "name",
    "slug",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
    "phone",
    "timezone",
    "languages",
    "rule_profile",
    "min_notice_hours",
    "max_days_ahead",
)
# What the browser checks before sending, from the schemas the server checks with.
ROOM_LIMITS = bounds(RoomIn)
TEMPLATE_LIMITS = bounds(TemplateIn)
FACILITY_LIMITS = bounds(FacilityIn)
FACILITY_DEFAULTS = {
    f.encode_name: f.default if f.default_factory is msgspec.NODEFAULT else f.default_factory()
    for f in msgspec.structs.fields(FacilityIn)
    if not f.required
}
# Why publishing created no slot, or fewer than expected.
NOTHING_IN_USE = N_("No template is in use, so there was nothing to publish.")
STARTS_LATER = N_(
    "The template for %(weekday)s at %(time)s in %(room)s has its first slot on %(start)s, "
    "after the last day published (%(last)s): slots are published %(days)d days ahead. Its "
    "slots appear from %(appear)s on, when the daily publishing reaches them."
)
ENDED = N_("The template for %(weekday)s at %(time)s in %(room)s ended on %(end)s.")
ALL_THERE = N_("Every slot of the templates in use up to %(last)s exists already.")


def _sentences(limits: dict[str, Bounds]) -> dict[str, dict[str, int]]:
    """Limits for ``field_messages``: the sentences name them."""
    return {name: found.values() for name, found in limits.items()}


@cache
def _time_zones() -> list[str]:
    """The IANA zones a facility may choose: ``Area/City`` names, sorted."""
    areas = ("Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
    return sorted(z for z in zoneinfo.available_timezones() if z.split("/")[0] in areas)


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
            limits=ROOM_LIMITS,
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
            errors = field_messages(invalid.errors, page._, page.language, _sentences(ROOM_LIMITS))
            return await self._rooms_page(page, db_session, status=422, form=form, errors=errors)
        except Conflict:  # a room of this name exists
            errors = field_messages([{"name": "name"}], page._, page.language)
            return await self._rooms_page(page, db_session, status=422, form=form, errors=errors)
        return see_other(f"/staff/facilities/{facility_id}/rooms", done="room_added")

    async def _room_page(
        self,
        page: StaffPage,
        session: DbSession,
        room: Room,
        *,
        status: int = 200,
        form: FormValues | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response[Any]:
        return page.render(
            "console/room.html",
            status=status,
            room=room,
            form=form,
            errors=errors or {},
            features=list(RoomFeature),
            age_bands=list(AgeBand),
            limits=ROOM_LIMITS,
            booked_ahead=await facility_queries.visits_ahead(session, room_id=room.id),
            zone=page.current_facility.timezone,
        )

    @get("/rooms/{room_id:uuid}")
    async def room(
        self, facility_page: ConsolePage, db_session: DbSession, room_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        facility_id = facility_page.current_facility.id
        room = await facility_queries.room_at(db_session, facility_id, room_id)
        return await self._room_page(facility_page, db_session, room)

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
        raw = _room_body(form)
        try:
            parse_body(RoomIn, raw, strict=False)  # a field emptied is missing, not unchanged
            body = parse_body(RoomUpdateIn, raw, strict=False)
            await update_room(db_session, page.principal_staff, room.id, body)
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._, page.language, _sentences(ROOM_LIMITS))
            return await self._room_page(
                page, db_session, room, status=422, form=form, errors=errors
            )
        except Conflict as taken:  # another room has this name
            errors = {"name": page.problem(taken)}
            return await self._room_page(
                page, db_session, room, status=409, form=form, errors=errors
            )
        return see_other(f"/staff/facilities/{facility_id}/rooms", done="room_saved")

    @post("/rooms/{room_id:uuid}/remove")
    async def remove_room(
        self, facility_page: ConsolePage, db_session: DbSession, room_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        """Take the room out of use, as the API does: refused while visits are booked in it."""
        page = facility_page
        page.require(MANAGE_ROLES)
        facility_id = page.current_facility.id
        room = await facility_queries.room_at(db_session, facility_id, room_id)
        try:
            await update_room(
                db_session, page.principal_staff, room.id, RoomUpdateIn(is_active=False)
            )
        except Conflict as in_use:
            errors = {"remove": page.problem(in_use)}
            return await self._room_page(page, db_session, room, status=409, errors=errors)
        return see_other(f"/staff/facilities/{facility_id}/rooms", done="room_removed")

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
            "publish_notes": [],
        }
        return page.render(
            "console/templates.html",
            status=status,
            limits=TEMPLATE_LIMITS,
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
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
    ) -> Response[Any]:
        """The templates; after publishing, how many slots opened and, where fewer than one
        might expect, why (a template that starts beyond the days published, or has ended)."""
        page = facility_page
        created_text = request.query_params.get("created", "")
        created = int(created_text) if created_text.isdigit() else None
        notes: list[str] = []
        if created is not None:
            facility = page.current_facility
            listed, _ = await facility_queries.list_templates(
                db_session, facility.id, limit=SHOWN, offset=0
            )
            rooms = {room.id: room.name for room in await _rooms(db_session, facility.id)}
            notes = _publish_notes(
                page,
                listed,
                rooms,
                created,
                settings.slot_horizon_days,
                ZoneInfo(facility.timezone),
            )
        return await self._templates_page(page, db_session, created=created, publish_notes=notes)

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
                errors=field_messages(
                    refusal.errors, page._, page.language, _sentences(TEMPLATE_LIMITS)
                ),
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

    async def _template_page(
        self,
        page: StaffPage,
        session: DbSession,
        template: SlotTemplate,
        *,
        status: int = 200,
        form: FormValues | None = None,
        errors: dict[str, str] | None = None,
    ) -> Response[Any]:
        facility = page.current_facility
        room = await session.get(Room, template.room_id)
        return page.render(
            "console/template.html",
            status=status,
            slot_template=template,
            room_name=room.name if room else "",
            form=form or _template_form(template),
            errors=errors or {},
            limits=TEMPLATE_LIMITS,
            visit_type_options=[(v.value, Labels(page._).visit_type(v)) for v in VisitType],
            booked_ahead=await facility_queries.visits_ahead(session, template_id=template.id),
            zone=facility.timezone,
        )

    async def _template_here(
        self, page: StaffPage, session: DbSession, template_id: uuid.UUID
    ) -> SlotTemplate:
        template = await session.get(SlotTemplate, template_id)
        if template is None or template.facility_id != page.current_facility.id:
            raise NotFound("template-not-found", "There is no such slot template.")
        return template

    @get("/templates/{template_id:uuid}")
    async def template(
        self, facility_page: ConsolePage, db_session: DbSession, template_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        template = await self._template_here(facility_page, db_session, template_id)
        return await self._template_page(facility_page, db_session, template)

    @post("/templates/{template_id:uuid}")
    async def save_template(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
        template_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Change a template as ``PATCH /slot-templates/{id}`` does: its slots ahead follow,
        and visits booked in a slot that no longer fits are flagged for review."""
        page = facility_page
        page.require(MANAGE_ROLES)
        template = await self._template_here(page, db_session, template_id)
        form = await read_form(request)
        raw = form.present(*TEMPLATE_CHANGE_FIELDS)
        if CLOCK.match(raw.get("start_time", "")):
            raw["start_time"] += ":00"
        try:
            body = parse_body(TemplateUpdateIn, raw, strict=False)
            await templates.update_template(
                db_session, page.principal_staff, template.id, body, settings.slot_horizon_days
            )
        except (Unprocessable, Conflict) as refusal:  # invalid fields, or an overlap
            errors = field_messages(
                refusal.errors, page._, page.language, _sentences(TEMPLATE_LIMITS)
            )
            await db_session.refresh(template)  # show the stored template beside the form
            return await self._template_page(
                page, db_session, template, status=422, form=form, errors=errors
            )
        return see_other(
            f"/staff/facilities/{page.current_facility.id}/templates", done="template_saved"
        )

    @post("/templates/{template_id:uuid}/remove")
    async def remove_template(
        self,
        request: Request[Any, Any, Any],
        facility_page: ConsolePage,
        db_session: DbSession,
        settings: AppSettings,
        template_id: FromPath[uuid.UUID],
    ) -> Response[Any]:
        """Remove (end) a template: refused while visits are booked in its slots ahead (staff
        move or cancel them first, and the families are told); otherwise its free slots ahead
        go and it publishes no more, audited with the reason."""
        page = facility_page
        page.require(MANAGE_ROLES)
        template = await self._template_here(page, db_session, template_id)
        form = await read_form(request)
        shown = _template_form(template).values | {"remove_reason": form.all("remove_reason")}
        try:
            body = parse_body(
                TemplateUpdateIn,
                {"reason": form.get("remove_reason"), "is_active": False},
                strict=False,
            )
            await templates.remove_template(
                db_session,
                page.principal_staff,
                template.id,
                body.reason,
                settings.slot_horizon_days,
            )
        except Unprocessable as invalid:
            errors = field_messages(invalid.errors, page._, page.language)
            errors = {"remove_reason": errors.get("reason", next(iter(errors.values()), ""))}
            return await self._template_page(
                page, db_session, template, status=422, form=FormValues(shown), errors=errors
            )
        except Conflict as in_use:  # visits are booked in its slots ahead
            return await self._template_page(
                page,
                db_session,
                template,
                status=409,
                form=FormValues(shown),
                errors={"remove": page.problem(in_use)},
            )
        return see_other(
            f"/staff/facilities/{page.current_facility.id}/templates", done="template_removed"
        )

    @post("/slots/publish")
    async def publish(
        self, facility_page: ConsolePage, db_session: DbSession, settings: AppSettings
    ) -> Response[Any]:
        facility_id = facility_page.current_facility.id
        published = await templates.publish_slots(
            db_session, facility_page.principal_staff, facility_id, settings.slot_horizon_days
        )
        # "Published" only when slots opened; otherwise the page says why none did.
        return see_other(
            f"/staff/facilities/{facility_id}/templates",
            done="published" if published.slots_created else None,
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


def _template_form(template: SlotTemplate) -> FormValues:
    """The change form filled with what the template is now."""
    values = {
        "visit_type": template.visit_type.value,
        "weekday": str(template.weekday),
        "start_time": template.start_time.strftime("%H:%M"),
        "duration_minutes": str(template.duration_minutes),
        "interval_weeks": str(template.interval_weeks),
        "valid_from": template.valid_from.isoformat(),
        "valid_to": template.valid_to.isoformat() if template.valid_to else "",
        "bookable_by": template.bookable_by.value,
    }
    return FormValues({name: [value] for name, value in values.items()})


def _first_slot_day(template: SlotTemplate, today: date, zone: ZoneInfo) -> date | None:
    """The local date of the template's first slot from today on (None: no more slots)."""
    start = max(today, template.valid_from)
    found = occurrences(
        weekday=template.weekday,
        start_time=template.start_time,
        duration_minutes=template.duration_minutes,
        interval_weeks=template.interval_weeks,
        valid_from=template.valid_from,
        valid_to=template.valid_to,
        first=start,
        last=start + timedelta(weeks=template.interval_weeks + 1),
        zone=zone,
    )
    return found[0].local_date if found else None


def _publish_notes(
    page: StaffPage,
    listed: list[SlotTemplate],
    rooms: dict[uuid.UUID, str],
    created: int,
    horizon_days: int,
    zone: ZoneInfo,
) -> list[str]:
    """Why publishing opened no slot, or none for some templates: as publishing does, from
    today for ``horizon_days`` local days."""
    today = utcnow().astimezone(zone).date()
    last = today + timedelta(days=horizon_days - 1)
    in_use = [t for t in listed if t.is_active and t.room_id in rooms]
    if not in_use:
        return [page._(NOTHING_IN_USE)]
    notes = []
    for template in in_use:
        named = {
            "weekday": ConsoleLabels(page._, page.language).weekday(template.weekday),
            "time": page.time(template.start_time),
            "room": rooms[template.room_id],
        }
        first = _first_slot_day(template, today, zone)
        if first is None and template.valid_to is not None and template.valid_to < today:
            notes.append(page._(ENDED, **named, end=page.date(template.valid_to, fmt="medium")))
        elif first is not None and first > last:
            notes.append(
                page._(
                    STARTS_LATER,
                    **named,
                    start=page.date(first, fmt="medium"),
                    last=page.date(last, fmt="medium"),
                    days=horizon_days,
                    appear=page.date(first - timedelta(days=horizon_days - 1), fmt="medium"),
                )
            )
    if created == 0 and not notes:
        notes.append(page._(ALL_THERE, last=page.date(last, fmt="medium")))
    return notes


class ConsoleFacilitySetupController(ConsoleController):
    """A new facility, for administrators (``POST /api/v1/staff/facilities``'s service)."""

    path = "/staff/facilities"

    def _page(
        self, page: StaffPage, *, status: int = 200, form: FormValues, errors: dict[str, str]
    ) -> Response[Any]:
        return page.render(
            "console/facility_new.html",
            status=status,
            form=form,
            errors=errors,
            limits=FACILITY_LIMITS,
            defaults=FACILITY_DEFAULTS,
            time_zones=[(zone, zone) for zone in _time_zones()],
            profiles=[(name, name) for name in available_profiles()],
            language_options=list(LANGUAGES.items()),
        )

    @get("/new")
    async def new_facility(self, staff_page: ConsolePage) -> Response[Any]:
        staff_page.principal_staff.role_for(None, ADMIN_ONLY)
        return self._page(staff_page, form=FormValues({}), errors={})

    @post("/new")
    async def create(
        self, request: Request[Any, Any, Any], staff_page: ConsolePage, db_session: DbSession
    ) -> Response[Any]:
        page = staff_page
        page.principal_staff.role_for(None, ADMIN_ONLY)
        form = await read_form(request)
        raw: dict[str, Any] = form.present(*FACILITY_FIELDS)
        raw["languages"] = form.all("languages")  # a list, even when one or none is ticked
        raw["request_mode"] = form.get("request_mode") == "yes"
        try:
            body = parse_body(FacilityIn, raw, strict=False)
            created = await create_facility(db_session, page.principal_staff, body)
        except Unprocessable as invalid:
            found = field_messages(
                invalid.errors, page._, page.language, _sentences(FACILITY_LIMITS)
            )
            errors = {name: found[name] for name in FACILITY_FIELDS if name in found} | found
            return self._page(page, status=422, form=form, errors=errors)
        except Conflict as taken:  # the slug is taken
            return self._page(page, status=409, form=form, errors={"slug": page.problem(taken)})
        return see_other(f"/staff/facilities/{created.id}/rooms", done="facility_created")
