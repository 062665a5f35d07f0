"""``create_app()``: the Litestar application with its database, routes, errors and OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar
from litestar.datastructures import State

from visits.accounts.controllers import AuthController, HouseholdController, StaffAdminController
from visits.booking.caller_api import StaffCallerController
from visits.booking.controllers import (
    HouseholdVisitController,
    SlotController,
    StaffVisitController,
)
from visits.booking.prisoner_controllers import StaffPrisonerChangesController
from visits.calendar.controllers import (
    FeedController,
    HouseholdCalendarController,
    StaffCalendarController,
)
from visits.db.engine import create_engine, create_session_factory
from visits.db.transaction import deliver_after_response
from visits.dependencies import APP_DEPENDENCIES
from visits.errors import EXCEPTION_HANDLERS
from visits.facilities.controllers.public import FacilityController
from visits.facilities.controllers.staff import StaffFacilityController
from visits.health import health, ready
from visits.logging import configure_logging
from visits.notify.channels import notifier_for
from visits.openapi import declare_common_problems, openapi_config, reference_assets
from visits.people.controllers.safeguarding import StaffSafeguardingController
from visits.people.controllers.staff import StaffPeopleController
from visits.requests import MAX_BODY_BYTES, VisitsRequest
from visits.scheduler.runner import build_scheduler
from visits.settings import Settings, get_settings
from visits.web import WebController, static_files, template_config
from visits.web.console import CONSOLE_CONTROLLERS
from visits.webhooks.twilio import TwilioWebhookController


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the application. Each request's session is committed or rolled back once by the
    ``db_session`` dependency (``visits.db.transaction``), before the response is sent, so that
    a failed commit becomes an error response instead of a false 2xx."""
    settings = settings or get_settings()
    configure_logging(settings)
    engine = create_engine(settings.resolved_database_url, echo=settings.db_echo)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        """Start the embedded scheduler (single-process setup); always close the pool at exit."""
        scheduler = None
        if settings.scheduler == "embedded":
            scheduler = build_scheduler(create_session_factory(engine), settings)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                await scheduler.stop()  # running jobs finish before the pool closes
            await engine.dispose()

    database = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler=None,
        session_dependency_key="request_session",  # wrapped by the transaction boundary
        create_all=False,
        set_default_exception_handler=False,
    )
    app = Litestar(
        route_handlers=[
            health,
            ready,
            FacilityController,
            SlotController,
            AuthController,
            HouseholdController,
            StaffAdminController,
            StaffPeopleController,
            StaffSafeguardingController,
            StaffFacilityController,
            HouseholdVisitController,
            StaffVisitController,
            StaffCallerController,
            StaffPrisonerChangesController,
            FeedController,
            HouseholdCalendarController,
            StaffCalendarController,
            TwilioWebhookController,
            WebController,
            *CONSOLE_CONTROLLERS,
            static_files(),
            reference_assets(),
        ],
        dependencies=APP_DEPENDENCIES,
        state=State(
            {
                "settings": settings,
                "notifier": notifier_for(settings),
                "session_factory": create_session_factory(engine),
            }
        ),
        plugins=[SQLAlchemyPlugin(config=database)],
        exception_handlers=EXCEPTION_HANDLERS,
        template_config=template_config(),
        lifespan=[lifespan],
        after_response=deliver_after_response,
        openapi_config=openapi_config(),
        logging_config=None,  # configure_logging owns logging
        request_class=VisitsRequest,
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )
    declare_common_problems(app)
    return app
