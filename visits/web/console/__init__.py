"""The staff console: server-rendered pages for social services and the visits team."""

from __future__ import annotations

from visits.web.console.home_pages import ConsoleHomeController
from visits.web.console.notice_pages import ConsoleNoticesController
from visits.web.console.planning_pages import ConsolePlanningController
from visits.web.console.report_pages import ConsoleReportsController
from visits.web.console.visit_pages import ConsoleVisitsController

CONSOLE_CONTROLLERS = [
    ConsoleHomeController,
    ConsolePlanningController,
    ConsoleReportsController,
    ConsoleVisitsController,
    ConsoleNoticesController,
]

__all__ = ["CONSOLE_CONTROLLERS"]
