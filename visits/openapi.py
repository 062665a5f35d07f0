"""The OpenAPI document as the contract: problem documents per operation, and an offline viewer.

Every error is an RFC 9457 problem document. Each problem ``type`` slug is registered here once
with its status; an operation declares the slugs it can answer with ``problems(...)``, and
``declare_common_problems`` adds what every operation of a kind can answer (400 for invalid
parameters or bodies, 401 without a valid token, 403 for staff roles). A test checks that every
slug the code raises is registered with the status it is raised with.

The API reference at ``/schema`` is Swagger UI, served by the application itself from the
``swagger-ui-py`` package (no CDN), with no inline script, so it works offline and behind a
strict Content-Security-Policy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar, Request, Router
from litestar.datastructures import ResponseHeader
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.openapi.spec import Components, Contact, Example, License, SecurityScheme
from litestar.params import KwargDefinition
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from visits import __version__
from visits.errors import PROBLEM_MEDIA_TYPE


class ProblemItem(msgspec.Struct, kw_only=True):
    """One invalid parameter or field. Some problems add what a client can act on: ``code``
    names the kind (e.g. ``overlap``), ``day`` and ``template_id`` where it is an overlap."""

    name: str
    in_: str = msgspec.field(name="in")
    detail: str
    code: str | msgspec.UnsetType = msgspec.UNSET
    day: date | msgspec.UnsetType = msgspec.UNSET
    template_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem document. Refusals by the rules add ``results`` (one per rule)."""

    type: str
    title: str
    status: int
    instance: str
    detail: str | msgspec.UnsetType = msgspec.UNSET
    errors: list[ProblemItem] | msgspec.UnsetType = msgspec.UNSET


@dataclass(frozen=True)
class ProblemType:
    status: int
    meaning: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    # 400: the request itself
    "invalid-parameters": ProblemType(400, "one or more query, path or header parameters"),
    "invalid-request": ProblemType(400, "the body is not JSON, too deep or too large"),
    "invalid-idempotency-key": ProblemType(400, "the Idempotency-Key header is malformed"),
    # 401 and 403: who is calling
    "unauthenticated": ProblemType(401, "no valid bearer token"),
    "invalid-code": ProblemType(401, "the sign-in code is wrong, expired or used up"),
    "invalid-credentials": ProblemType(401, "e-mail or password is wrong"),
    "forbidden": ProblemType(403, "the caller's role does not allow this here"),
    "invalid-signature": ProblemType(403, "the webhook signature does not match"),
    # 404: what the caller may not see is reported as missing
    "not-found": ProblemType(404, "no such resource"),
    "approval-not-found": ProblemType(404, "no such approval"),
    "closure-not-found": ProblemType(404, "no such closure"),
    "consent-not-found": ProblemType(404, "no such guardian consent"),
    "facility-not-found": ProblemType(404, "no such facility"),
    "feed-not-found": ProblemType(404, "no such calendar feed"),
    "household-not-found": ProblemType(404, "no such household"),
    "information-not-found": ProblemType(404, "no information for this language and age band"),
    "prisoner-not-found": ProblemType(404, "no such prisoner"),
    "restriction-not-found": ProblemType(404, "no such restriction on this prisoner"),
    "room-not-found": ProblemType(404, "no such room"),
    "slot-not-found": ProblemType(404, "no such slot"),
    "staff-not-found": ProblemType(404, "no such staff account"),
    "template-not-found": ProblemType(404, "no such slot template"),
    "visit-not-found": ProblemType(404, "no such visit"),
    "visitor-not-found": ProblemType(404, "no such visitor"),
    # 409: the current state does not allow it
    "consent-exists": ProblemType(409, "valid consent for this adult and child is on file"),
    "consent-withdrawn": ProblemType(409, "the consent is withdrawn already"),
    "facility-exists": ProblemType(409, "the slug is taken"),
    "flag-exists": ProblemType(409, "the visitor has this safeguarding flag already"),
    "flag-not-set": ProblemType(409, "the visitor does not have this safeguarding flag"),
    "hold-expired": ProblemType(409, "the hold ran out before it was confirmed"),
    "household-has-visits": ProblemType(409, "upcoming visits stop the erasure"),
    "no-invite": ProblemType(409, "the visit has no invite (not booked)"),
    "no-phone": ProblemType(409, "the household has no mobile number"),
    "not-cancellable": ProblemType(409, "the visit cannot be cancelled in its state"),
    "not-confirmed": ProblemType(409, "the visit is not confirmed"),
    "not-held": ProblemType(409, "the visit is not a hold"),
    "not-reschedulable": ProblemType(409, "the visit cannot be moved in its state"),
    "not-started": ProblemType(409, "the visit has not started yet"),
    "nothing-to-decide": ProblemType(409, "the visit awaits no decision"),
    "past-cancel-cutoff": ProblemType(409, "too close to the visit to cancel online"),
    "phone-confirmed": ProblemType(409, "the mobile number is confirmed already"),
    "prisoner-busy": ProblemType(409, "the prisoner has a visit at that time"),
    "prisoner-exists": ProblemType(409, "the prison number is registered"),
    "prisoner-released": ProblemType(409, "the prisoner was released already"),
    "restriction-lifted": ProblemType(409, "the restriction was lifted already"),
    "request-in-progress": ProblemType(409, "a request with this Idempotency-Key is running"),
    "room-exists": ProblemType(409, "a room with this name exists"),
    "room-in-use": ProblemType(409, "booked visits ahead keep the room in use"),
    "slot-full": ProblemType(409, "no capacity left for the party"),
    "staff-exists": ProblemType(409, "the e-mail address has an account"),
    "template-in-use": ProblemType(409, "booked visits ahead keep the template in use"),
    "template-overlap": ProblemType(409, "the template overlaps another in the room"),
    "timezone-in-use": ProblemType(409, "slots exist, so the time zone is locked"),
    "visitor-has-visits": ProblemType(409, "upcoming visits stop the removal"),
    # 422: understood, but not acceptable
    "invalid-body": ProblemType(422, "one or more body fields, each listed in errors"),
    "booking-refused": ProblemType(422, "the rules refuse the booking; results lists each"),
    "contact-unavailable": ProblemType(
        422, "the e-mail address or mobile number cannot be used (never says why)"
    ),
    "idempotency-key-reused": ProblemType(422, "the key was used for a different request"),
    "invalid-party": ProblemType(422, "the party is empty or names unknown visitors"),
    "invalid-phone-code": ProblemType(
        422, "the confirmation code is wrong, expired, used up or for another number"
    ),
    "nothing-to-override": ProblemType(422, "no failed rule matches the override"),
    "no-request-needed": ProblemType(
        422, "request_review was sent, but the booking is possible without a request"
    ),
    "prisoner-not-at-facility": ProblemType(422, "the prisoner is not held at the slot's facility"),
    "prisoner-not-matched": ProblemType(422, "no prisoner matches the details given"),
    "same-slot": ProblemType(422, "the visit is already at this slot"),
    # 429 and 503
    "rate-limited": ProblemType(429, "too many attempts; Retry-After says when to retry"),
    "database-unavailable": ProblemType(503, "the database cannot be reached"),
}


@dataclass
class ProblemResponse(ResponseSpec):
    """A declared error response; ``slugs`` are the problem types it stands for."""

    slugs: tuple[str, ...] = ()


def _response(status: int, slugs: list[str]) -> ProblemResponse:
    types = ", ".join(
        f"`urn:visits:problem:{slug}` ({PROBLEM_TYPES[slug].meaning})" for slug in slugs
    )
    first = slugs[0]
    example: dict[str, Any] = {
        "type": f"urn:visits:problem:{first}",
        "title": "…",
        "status": status,
        "instance": "/api/v1/…",
        "detail": PROBLEM_TYPES[first].meaning,
    }
    return ProblemResponse(
        slugs=tuple(slugs),
        data_container=Problem,
        media_type=PROBLEM_MEDIA_TYPE,
        description=f"Problem document; `type` is one of: {types}.",
        generate_examples=False,
        examples=[Example(summary=first, value=example)],
    )


def problems(*slugs: str) -> dict[int, ResponseSpec]:
    """The ``responses`` of an operation that can answer with these problem types."""
    by_status: dict[int, list[str]] = {}
    for slug in slugs:
        by_status.setdefault(PROBLEM_TYPES[slug].status, []).append(slug)
    return {status: _response(status, names) for status, names in sorted(by_status.items())}


def schema_name(name: str) -> KwargDefinition:
    """Annotated metadata that gives a generic type (``Page[RoomOut]``) a clean schema name."""
    return KwargDefinition(schema_component_key=name)


def _common_slugs(handler: HTTPRouteHandler, path: str) -> list[str]:
    guards = {getattr(guard, "__name__", "") for guard in handler.resolve_guards()}
    slugs = ["invalid-parameters"]
    if handler.http_methods & {"POST", "PUT", "PATCH"}:
        slugs.append("invalid-request")
    if handler.resolve_security() or guards & {"household_guard", "staff_guard"}:
        slugs.append("unauthenticated")
    if "staff_guard" in guards:
        slugs.append("forbidden")
    if "{" in path:
        slugs.append("not-found")
    return slugs


def declare_common_problems(app: Litestar) -> None:
    """Add to every API operation the problems every operation of its kind can answer."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        for handler in route.route_handlers:
            specs = handler.responses or {}
            merged = [
                s
                for spec in specs.values()
                if isinstance(spec, ProblemResponse)
                for s in spec.slugs
            ]
            for slug in _common_slugs(handler, route.path):
                if slug == "not-found" and 404 in specs:
                    continue  # a specific "…-not-found" already says it
                if slug not in merged:
                    merged.append(slug)
            responses = dict(specs)
            responses.update(problems(*merged))
            handler.responses = responses


# ---------------------------------------------------------------------------------------------
# The API reference page, served offline.

SWAGGER_ASSETS = Path(str(files("swagger_ui") / "static"))
REFERENCE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def tidy(node: Any) -> Any:
    """The served document: a Python union is ``anyOf`` (Litestar writes ``oneOf``, which an
    integer fails as soon as ``number`` is another alternative), and empty header maps go."""
    if isinstance(node, list):
        return [tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    tidied = {}
    for key, value in node.items():
        if key == "headers" and value == {}:
            continue
        name = "anyOf" if key == "oneOf" and "discriminator" not in node else key
        tidied[name] = tidy(value)
    return tidied


class ContractJsonPlugin(JsonRenderPlugin):
    """``/schema/openapi.json``, tidied once (see ``tidy``)."""

    def __init__(self) -> None:
        super().__init__()
        self._rendered: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = self.render_json(request, tidy(openapi_schema))
        return self._rendered


class OfflineSwaggerPlugin(OpenAPIRenderPlugin):
    """Swagger UI from the application's own static files, initialised by a script file."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        assets = "/schema/assets"
        page = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>visits API reference</title>
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{self.get_openapi_json_route(request)}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="/static/api-reference.js"></script>
</body>
</html>
"""
        return page.encode()

    def receive_router(self, router: Router) -> None:
        """Every page under ``/schema`` carries the strict policy (the JSON document too)."""
        router.response_headers = [
            *(router.response_headers or ()),
            ResponseHeader(name="Content-Security-Policy", value=REFERENCE_CSP),
        ]


def reference_assets() -> Router:
    """Swagger UI's script and stylesheet, from the installed package."""
    return create_static_files_router(
        path="/schema/assets",
        directories=[SWAGGER_ASSETS],
        name="api-reference-assets",
        include_in_schema=False,
    )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="visits",
        version=__version__,
        description=(
            "Visit scheduling for child-friendly prison visits: facilities, rooms and slots; "
            "slots judged against the child-friendly rules for a party; holds, confirmations, "
            "cancellations and reschedules that never overbook; calendar invites and feeds.\n\n"
            "**Errors** are RFC 9457 problem documents (`application/problem+json`) with a "
            "stable `type` (`urn:visits:problem:<slug>`); each operation lists the types it "
            "can answer. Invalid input lists every problem at once in `errors`.\n\n"
            "**Lists** take `limit` and `offset` and answer `{items, total, limit, offset}`.\n\n"
            "**Times** are RFC 3339 date-times in UTC, with the facility's local time and IANA "
            "time zone beside them where people read them."
        ),
        contact=Contact(name="visits maintainers"),
        license=License(name="AGPL-3.0-or-later", identifier="AGPL-3.0-or-later"),
        use_handler_docstrings=True,
        components=Components(
            security_schemes={
                "bearerAuth": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description=(
                        "A token from POST /api/v1/auth/household/verify (households) or "
                        "POST /api/v1/auth/staff/sign-in (staff)."
                    ),
                )
            }
        ),
        path="/schema",
        render_plugins=[OfflineSwaggerPlugin(), ContractJsonPlugin()],
    )
