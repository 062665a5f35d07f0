"""Domain errors, and RFC 9457 problem documents for every error in the request's language.

Services raise a ``DomainError`` subclass that says what kind of refusal it is (``NotFound``,
``Conflict``, ``Forbidden``, ``Refused`` ...). It knows nothing about HTTP: this module is the one
place that maps it to a problem document, and pages catch the error type, never a slug or a
status code. Each problem has a stable ``type`` (``urn:visits:problem:<slug>``) that clients can
switch on; its status is the error class's. ``detail`` is an English message id, translated when
the document is written, with ``params`` filled in. Validation problems list every failure at
once in ``errors``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from visits.i18n import N_, N_plural, negotiate_language, translate, translate_plural

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger(__name__)

# slug, title (an English message id, translated per request)
_BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("invalid-request", N_("The request is not valid")),
    401: ("unauthenticated", N_("Sign-in required")),
    403: ("forbidden", N_("Not allowed")),
    404: ("not-found", N_("Not found")),
    405: ("method-not-allowed", N_("Method not allowed")),
    409: ("conflict", N_("Conflict with the current state")),
    415: ("unsupported-media-type", N_("Unsupported media type")),
    422: ("unprocessable", N_("The request cannot be processed")),
    429: ("rate-limited", N_("Too many requests")),
    500: ("internal-error", N_("Something went wrong on our side")),
    503: ("unavailable", N_("Temporarily unavailable")),
}


class DomainError(Exception):
    """A refusal by the domain: its kind (the subclass), a stable slug and a detail message.

    ``detail`` is an English message id (``"The visit is %(state)s."``), translated into the
    caller's language with ``params`` filled in when the problem document is written; a text
    that counts is an ``N_plural`` pair whose form ``params["num"]`` picks.
    ``errors`` lists per-field problems; ``extra`` adds members to the document (e.g. the rule
    results of a refusal); ``headers`` go on the response (e.g. ``Retry-After``).
    """

    status: ClassVar[int] = 400

    def __init__(
        self,
        slug: str,
        detail: str | tuple[str, str],
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(detail if isinstance(detail, str) else detail[1])
        self.slug = slug
        self.detail = detail
        self.params = params
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}

    def text(self, language: str) -> str:
        """The detail in ``language``, placeholders filled."""
        if isinstance(self.detail, tuple):
            singular, plural = self.detail
            return translate_plural(language, singular, plural, self.params["num"], **self.params)
        return translate(language, self.detail, **self.params)


class Invalid(DomainError):
    """The request or one of its fields is not valid (400); ``errors`` names every field."""

    status = 400


class Unauthenticated(DomainError):
    """No valid credentials (401)."""

    status = 401


class Forbidden(DomainError):
    """The caller is known but may not do this (403)."""

    status = 403


class NotFound(DomainError):
    """No such thing, or none this caller may see (404)."""

    status = 404


class Conflict(DomainError):
    """The current state does not allow this (409), e.g. a full slot or a visit already held."""

    status = 409


class Unprocessable(DomainError):
    """Well-formed but cannot be done (422)."""

    status = 422


class Refused(Unprocessable):
    """The child-friendly rules refuse the booking; ``extra`` carries the rule results (422)."""


class TooManyRequests(DomainError):
    """A rate limit refuses the request (429); ``headers`` carry ``Retry-After``."""

    status = 429


class Unavailable(DomainError):
    """A service this request needs is unavailable (503)."""

    status = 503


_INVALID_PARAMETERS = N_plural(
    "%(num)d parameter is not valid.", "%(num)d parameters are not valid."
)


def invalid_parameters(errors: list[dict[str, Any]]) -> Invalid:
    """A 400 listing every invalid parameter: ``{"name", "in", "detail"}`` each."""
    return Invalid(
        "invalid-parameters",
        _INVALID_PARAMETERS,
        errors=errors,
        num=len(errors),
    )


def problem_body(request: Request[Any, Any, Any], exc: DomainError) -> dict[str, Any]:
    """The problem document of ``exc`` as plain data (what the response carries)."""
    detail = exc.text(negotiate_language(request))
    return _body(request, exc.status, exc.slug, detail, exc.errors, exc.extra)


def _body(
    request: Request[Any, Any, Any],
    status: int,
    slug: str | None,
    detail: str | None,
    errors: list[dict[str, Any]] | None,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    default_slug, title = _BY_STATUS.get(status, _BY_STATUS[400 if status < 500 else 500])
    language = negotiate_language(request)
    body: dict[str, Any] = {
        "type": f"urn:visits:problem:{slug or default_slug}",
        "title": translate(language, title),
        "status": status,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = [_translated_item(language, item) for item in errors]
    body.update(extra or {})
    return body


def _translated_item(language: str, item: dict[str, Any]) -> dict[str, Any]:
    """A per-field item with its ``detail`` in ``language``: a message id of this code is
    translated with the item's ``params`` (not serialised); a library's message (msgspec's)
    is not in the catalog and passes through unchanged."""
    shown = {key: value for key, value in item.items() if key != "params"}
    detail = item.get("detail")
    if isinstance(detail, str) and detail:
        shown["detail"] = translate(language, detail, **item.get("params", {}))
    return shown


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    *,
    slug: str | None = None,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = _body(request, status, slug, detail, errors, extra)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _public_name(request: Request[Any, Any, Any], key: str | None) -> str | None:
    """The name a client used (``from``), not the Python parameter name (``date_from``)."""
    try:
        parameter = request.route_handler.parsed_fn_signature.parameters[key or ""]
    except (KeyError, AttributeError):
        return key
    alias = getattr(parameter.kwarg_definition, "name", None)
    return alias or key


_REQUIRED = N_("is required")
_BODY_REQUIRED = N_("a JSON body is required")
_MISSING = re.compile(r"^Missing required (\w+) parameter '([^']+)'")


def _validation_errors(
    request: Request[Any, Any, Any], exc: ValidationException
) -> list[dict[str, Any]]:
    missing = _MISSING.match(exc.detail or "")
    if missing:  # Litestar names a missing parameter only in its message
        return [{"name": missing.group(2), "in": missing.group(1), "detail": _REQUIRED}]
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = _public_name(request, item.get("key"))
        detail = item.get("message")
        if name == "data" and item.get("source") == "body":
            name, detail = "", _BODY_REQUIRED
        errors.append({"name": name, "in": item.get("source"), "detail": detail})
    return errors


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        errors = _validation_errors(request, exc)
        return problem_response(
            request,
            400,
            slug="invalid-parameters" if errors else "invalid-request",
            detail=invalid_parameters(errors).text(negotiate_language(request))
            if errors
            else exc.detail,
            errors=errors,
        )
    if exc.status_code >= 500:
        log.error(
            "request_failed",
            path=request.url.path,
            method=request.method,
            status=exc.status_code,
            exc_info=exc,
        )
    return problem_response(request, exc.status_code, detail=exc.detail, headers=exc.headers)


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """The one mapping from a domain error to its problem document."""
    return problem_response(
        request,
        exc.status,
        slug=exc.slug,
        detail=exc.text(negotiate_language(request)),
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers or None,
    )


def handle_unexpected_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Log the failure with its traceback; the client gets a problem document, never a trace."""
    log.error("unhandled_exception", path=request.url.path, method=request.method, exc_info=exc)
    return problem_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected_exception,
}
