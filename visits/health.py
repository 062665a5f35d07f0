"""Liveness (``/health``) and readiness (``/ready``) probes for load balancers and compose."""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa
import structlog
from litestar import Request, Response, get
from litestar.di import NamedDependency
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from visits.errors import problem_response

log = structlog.get_logger(__name__)


class Status(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    database: str
    schema_revision: str | None


@get("/health", tags=["Operations"], summary="The process is up")
async def health() -> Status:
    return Status(status="ok")


@get(
    "/ready",
    tags=["Operations"],
    summary="The database is reachable and migrated",
    responses={},
)
async def ready(
    request: Request[Any, Any, Any], db_engine: NamedDependency[AsyncEngine]
) -> Response[Any]:
    try:
        async with db_engine.connect() as connection:
            revision = await connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readiness_check_failed", error=type(exc).__name__)
        return problem_response(
            request, 503, slug="database-unavailable", detail="The database cannot be reached."
        )
    return Response(Readiness(status="ready", database="ok", schema_revision=revision))
