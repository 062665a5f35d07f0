"""Liveness (``/health``) and readiness (``/ready``) probes for load balancers and compose."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
import sqlalchemy as sa
import structlog
from litestar import get
from litestar.di import NamedDependency
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from visits.errors import Unavailable
from visits.openapi import problems

log = structlog.get_logger(__name__)


class Status(msgspec.Struct):
    status: Literal["ok"]


class Readiness(msgspec.Struct):
    status: Literal["ready"]
    database: Literal["ok"]
    schema_revision: Annotated[
        str | None,
        msgspec.Meta(description="The Alembic revision the database is migrated to."),
    ]


@get("/health", tags=["Operations"], summary="The process is up")
async def health() -> Status:
    """Answers 200 while the process serves requests; it reads nothing else (a liveness
    probe: restart the process when it fails). Needs no token."""
    return Status(status="ok")


@get(
    "/ready",
    tags=["Operations"],
    summary="The database is reachable and migrated",
    responses=problems("database-unavailable"),
)
async def ready(db_engine: NamedDependency[AsyncEngine]) -> Readiness:
    """Answers 200 with the database's schema revision when the database can be queried, 503
    `database-unavailable` otherwise (a readiness probe: send no traffic while it fails). Needs
    no token."""
    try:
        async with db_engine.connect() as connection:
            revision = await connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    except (SQLAlchemyError, OSError) as exc:
        log.warning("readiness_check_failed", error=type(exc).__name__)
        raise Unavailable("database-unavailable", "The database cannot be reached.") from None
    return Readiness(status="ready", database="ok", schema_revision=revision)
