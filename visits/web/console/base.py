"""What every console controller shares: the path, the page dependencies, the CSRF check and
error pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response

from visits.errors import log
from visits.web.console.labels import CRASHED
from visits.web.console.session import (
    CONSOLE_PAGE_DEPENDENCIES,
    StaffPage,
    StaffSignInRequired,
)
from visits.web.pages import error_pages, see_other
from visits.web.security import check_csrf


def _on_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Logged with its traceback as the API does; staff get a page, never a trace."""
    log.error("unhandled_exception", path=request.url.path, method=request.method, exc_info=exc)
    page = StaffPage.bare(request)
    return page.render("console/problem.html", status=500, message=page._(CRASHED))


def _on_sign_in_required(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    return see_other("/staff/sign-in")


class ConsoleController(Controller):
    """Base of the console's controllers: HTML only, never in the API schema."""

    include_in_schema = False
    dependencies = CONSOLE_PAGE_DEPENDENCIES
    before_request = check_csrf  # type: ignore[assignment]  # a plain hook, not a method
    exception_handlers = {
        **error_pages(StaffPage, "console/problem.html"),
        StaffSignInRequired: _on_sign_in_required,
        Exception: _on_crash,
    }
