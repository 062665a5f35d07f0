"""Staff API for facilities, family information, rooms, slot templates, closures and reports."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import FromPath, QueryParameter, SkipValidation
from litestar.status_codes import HTTP_200_OK

from visits.accounts.principals import (
    BEARER_SECURITY,
    STAFF_DEPENDENCIES,
    StaffUser,
    staff_guard,
)
from visits.dependencies import AppSettings, DbSession
from visits.facilities import closures, management, reports, rule_settings, templates
from visits.facilities.presenters import facility_out, room_out
from visits.facilities.schemas import FacilityOut, RoomOut
from visits.facilities.staff_schemas import (
    ClosureIn,
    ClosureListItem,
    ClosureOut,
    FacilityIn,
    FacilityUpdateIn,
    FlaggedVisit,
    GenerateOut,
    InformationIn,
    InformationOut,
    RoomIn,
    RoomUpdateIn,
    TemplateChangeOut,
    TemplateIn,
    TemplateOut,
    TemplateUpdateIn,
)
from visits.i18n import negotiate_language
from visits.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from visits.people import alerts as facility_alerts
from visits.validation import parse_body

FacilityId = FromPath[uuid.UUID]
Month = Annotated[str, QueryParameter(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class StaffFacilityController(Controller):
    path = "/api/v1/staff"
    tags = ["Staff: facilities"]
    dependencies = STAFF_DEPENDENCIES
    guards = [staff_guard]
    security = BEARER_SECURITY

    # -- facilities and family information

    @post("/facilities", summary="Create a facility (admin)")
    async def create_facility(
        self, db_session: DbSession, staff: StaffUser, data: SkipValidation[FacilityIn]
    ) -> FacilityOut:
        body = parse_body(FacilityIn, data)
        return facility_out(await management.create_facility(db_session, staff, body))

    @patch("/facilities/{facility_id:uuid}", summary="Change a facility (manager)")
    async def update_facility(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: SkipValidation[FacilityUpdateIn],
    ) -> FacilityOut:
        body = parse_body(FacilityUpdateIn, data)
        return facility_out(await management.update_facility(db_session, staff, facility_id, body))

    @put(
        "/facilities/{facility_id:uuid}/information",
        status_code=HTTP_200_OK,
        summary="Set family information for a language, age band and topic (CF-21)",
    )
    async def put_information(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: SkipValidation[InformationIn],
    ) -> InformationOut:
        body = parse_body(InformationIn, data)
        item = await management.put_information(db_session, staff, facility_id, body)
        return management.information_out(item)

    @delete("/information/{information_id:uuid}", summary="Delete a family information text")
    async def delete_information(
        self, db_session: DbSession, staff: StaffUser, information_id: FromPath[uuid.UUID]
    ) -> None:
        await management.delete_information(db_session, staff, information_id)

    # -- rooms

    @post("/facilities/{facility_id:uuid}/rooms", summary="Add a room (manager)")
    async def create_room(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: SkipValidation[RoomIn],
    ) -> RoomOut:
        body = parse_body(RoomIn, data)
        return room_out(await management.create_room(db_session, staff, facility_id, body))

    @patch("/rooms/{room_id:uuid}", summary="Change a room; capacity applies to new slots")
    async def update_room(
        self,
        db_session: DbSession,
        staff: StaffUser,
        room_id: FromPath[uuid.UUID],
        data: SkipValidation[RoomUpdateIn],
    ) -> RoomOut:
        body = parse_body(RoomUpdateIn, data)
        return room_out(await management.update_room(db_session, staff, room_id, body))

    # -- slot templates and generation

    @get("/facilities/{facility_id:uuid}/slot-templates", summary="Slot templates")
    async def list_templates(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[TemplateOut]:
        rows, total = await templates.list_templates(
            db_session, staff, facility_id, limit=limit, offset=offset
        )
        return Page([templates.template_out(t) for t in rows], total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/slot-templates",
        summary="Add a weekly slot template (no overlaps within a room)",
    )
    async def create_template(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: SkipValidation[TemplateIn],
    ) -> TemplateOut:
        body = parse_body(TemplateIn, data)
        return templates.template_out(
            await templates.create_template(db_session, staff, facility_id, body)
        )

    @patch(
        "/slot-templates/{template_id:uuid}",
        summary="Change a template; future slots follow, booked visits are flagged",
    )
    async def update_template(
        self,
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        template_id: FromPath[uuid.UUID],
        data: SkipValidation[TemplateUpdateIn],
    ) -> TemplateChangeOut:
        body = parse_body(TemplateUpdateIn, data)
        return await templates.update_template(
            db_session, staff, template_id, body, settings.slot_horizon_days
        )

    @post(
        "/facilities/{facility_id:uuid}/slots/generate",
        status_code=HTTP_200_OK,
        summary="Publish slots from the templates up to the horizon (idempotent)",
    )
    async def generate(
        self,
        db_session: DbSession,
        staff: StaffUser,
        settings: AppSettings,
        facility_id: FacilityId,
        days: Annotated[
            int | None, QueryParameter(ge=1, le=366, description="default: slot_horizon_days")
        ] = None,
    ) -> GenerateOut:
        return await templates.publish_slots(
            db_session, staff, facility_id, days or settings.slot_horizon_days
        )

    # -- closures

    @get("/facilities/{facility_id:uuid}/closures", summary="Closures")
    async def list_closures(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[ClosureListItem]:
        rows, total = await closures.list_closures(
            db_session, staff, facility_id, limit=limit, offset=offset
        )
        items = [ClosureListItem(c.id, c.room_id, c.starts_on, c.ends_on, c.reason) for c in rows]
        return Page(items, total, limit, offset)

    @post(
        "/facilities/{facility_id:uuid}/closures/preview",
        status_code=HTTP_200_OK,
        summary="The booked visits a closure would flag, before saving it",
    )
    async def preview_closure(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: SkipValidation[ClosureIn],
    ) -> list[FlaggedVisit]:
        body = parse_body(ClosureIn, data)
        return await closures.preview(db_session, staff, facility_id, body)

    @post(
        "/facilities/{facility_id:uuid}/closures",
        summary="Close dates; slots close, booked visits are flagged for review",
    )
    async def create_closure(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: SkipValidation[ClosureIn],
    ) -> ClosureOut:
        body = parse_body(ClosureIn, data)
        return await closures.create_closure(db_session, staff, facility_id, body)

    @delete("/closures/{closure_id:uuid}", summary="Remove a closure and reopen its slots")
    async def delete_closure(
        self, db_session: DbSession, staff: StaffUser, closure_id: FromPath[uuid.UUID]
    ) -> None:
        await closures.delete_closure(db_session, staff, closure_id)

    # -- reports

    @get(
        "/facilities/{facility_id:uuid}/day-sheet",
        summary="Visits of one local date (JSON, or CSV with format=csv)",
    )
    async def day_sheet(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        day: Annotated[date, QueryParameter(name="date")],
        output: Annotated[str, QueryParameter(name="format", pattern="^(json|csv)$")] = "json",
    ) -> Response[reports.DaySheet | str]:
        sheet = await reports.day_sheet(db_session, staff, facility_id, day)
        if output == "csv":
            return Response(
                reports.day_sheet_csv(sheet),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="day-sheet-{day}.csv"'},
            )
        return Response(sheet)

    @get("/facilities/{facility_id:uuid}/figures", summary="Figures for one month")
    async def figures(
        self, db_session: DbSession, staff: StaffUser, facility_id: FacilityId, month: Month
    ) -> reports.MonthFigures:
        return await reports.month_figures(db_session, staff, facility_id, month)

    # -- rule parameters and alerts

    @get(
        "/facilities/{facility_id:uuid}/rule-parameters",
        summary="The facility's rule profile, overrides and effective parameters",
    )
    async def rule_parameters(
        self, db_session: DbSession, staff: StaffUser, facility_id: FacilityId
    ) -> rule_settings.RuleParametersOut:
        return await rule_settings.get_parameters(db_session, staff, facility_id)

    @put(
        "/facilities/{facility_id:uuid}/rule-parameters",
        status_code=HTTP_200_OK,
        summary="Choose the profile and replace the overrides (manager; validated, audited)",
    )
    async def set_rule_parameters(
        self,
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
        data: SkipValidation[rule_settings.RuleParametersIn],
    ) -> rule_settings.RuleParametersOut:
        body = parse_body(rule_settings.RuleParametersIn, data)
        return await rule_settings.set_parameters(db_session, staff, facility_id, body)

    @get(
        "/facilities/{facility_id:uuid}/alerts",
        summary="Open alerts: CF-09 capacity, CF-14 first child visit, CF-15 and CF-23 contact",
    )
    async def alerts(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        staff: StaffUser,
        facility_id: FacilityId,
    ) -> list[facility_alerts.AlertOut]:
        staff.role_for(facility_id, management.READ_ROLES)
        facility = await management.get_facility(db_session, facility_id)
        return await facility_alerts.facility_alerts(
            db_session, facility, negotiate_language(request)
        )
