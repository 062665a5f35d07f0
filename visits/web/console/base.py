"""What every console controller shares: the path, the CSRF check and error pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response
from litestar.exceptions import NotFoundException, ValidationException

from visits.errors import ProblemError, log
from visits.settings import Settings
from visits.web.console.labels import problem_message
from visits.web.console.session import StaffPage, StaffSignInRequired
from visits.web.pages import choose_language, see_other
from visits.web.security import CsrfRejected, check_csrf


def _bare_page(request: Request[Any, Any, Any]) -> StaffPage:
    """A page for error answers, which have no database session."""
    settings: Settings = request.app.state.settings
    return StaffPage(request, settings, choose_language(request, None), None, None)


def _problem_page(request: Request[Any, Any, Any], status: int, message: str) -> Response[Any]:
    return _bare_page(request).render("console/problem.html", status=status, message=message)


def _on_problem(request: Request[Any, Any, Any], exc: ProblemError) -> Response[Any]:
    page = _bare_page(request)
    return _problem_page(request, exc.status_code, problem_message(exc.slug, page._))


def _on_not_found(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    page = _bare_page(request)
    return _problem_page(request, 404, page._("This page does not exist."))


def _on_invalid(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    page = _bare_page(request)
    message = page._("This link or form is not complete. Please start again from the menu.")
    return _problem_page(request, 400, message)


def _on_csrf(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    page = _bare_page(request)
    message = page._(
        "For your safety this form could not be sent. Please open the page again and send it "
        "once more."
    )
    return _problem_page(request, 403, message)


def _on_crash(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Logged with its traceback as the API does; staff get a page, never a trace."""
    log.error("unhandled_exception", path=request.url.path, method=request.method, exc_info=exc)
    page = _bare_page(request)
    return _problem_page(request, 500, problem_message("internal-error", page._))


def _on_sign_in_required(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    return see_other("/staff/sign-in")


class ConsoleController(Controller):
    """Base of the console's controllers: HTML only, never in the API schema."""

    include_in_schema = False
    before_request = check_csrf  # type: ignore[assignment]  # a plain hook, not a method
    exception_handlers = {
        ProblemError: _on_problem,
        NotFoundException: _on_not_found,
        ValidationException: _on_invalid,
        CsrfRejected: _on_csrf,
        StaffSignInRequired: _on_sign_in_required,
        Exception: _on_crash,
    }
