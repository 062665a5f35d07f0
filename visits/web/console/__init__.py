"""The staff console: server-rendered pages for social services and the visits team."""

from __future__ import annotations

from visits.web.console.approval_pages import ConsoleApprovalsController
from visits.web.console.caller_pages import ConsoleCallerController
from visits.web.console.gate_pages import ConsoleGateController
from visits.web.console.home_pages import ConsoleHomeController
from visits.web.console.household_pages import ConsoleHouseholdController
from visits.web.console.notice_pages import ConsoleNoticesController
from visits.web.console.planning_pages import (
    ConsoleFacilitySetupController,
    ConsolePlanningController,
)
from visits.web.console.prisoner_pages import ConsolePrisonersController
from visits.web.console.report_pages import ConsoleReportsController
from visits.web.console.retention_pages import ConsoleRetentionController
from visits.web.console.visit_pages import ConsoleVisitsController

CONSOLE_CONTROLLERS = [
    ConsoleHomeController,
    ConsolePlanningController,
    ConsoleFacilitySetupController,
    ConsoleReportsController,
    ConsoleVisitsController,
    ConsoleCallerController,
    ConsoleNoticesController,
    ConsoleApprovalsController,
    ConsolePrisonersController,
    ConsoleGateController,
    ConsoleRetentionController,
    ConsoleHouseholdController,
]

__all__ = ["CONSOLE_CONTROLLERS"]
