"""Fixed-window rate limits kept in the database, so that every replica counts together.

A hit is committed at once, in the request's session: one of the named exceptions to "the
boundary commits", because the count must survive the rollback of the refusal it leads to (a
wrong code, a wrong password, the 429 itself). So a request counts before it changes anything
else. (A separate session would not do: on SQLite the request's session holds the write lock
from its first statement, ``BEGIN IMMEDIATE``, and a second writer would wait for it in vain.)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, Operation, Schema
from litestar.openapi.spec.enums import OpenAPIType
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.base import utcnow
from visits.db.models import RateLimitCounter
from visits.errors import TooManyRequests


@dataclass(frozen=True)
class Limit:
    name: str
    hits: int
    window: timedelta


WINDOW = timedelta(minutes=15)
# Documented in the README (Accounts and access).
CODE_PER_ADDRESS = Limit("code-address", 5, WINDOW)
CODE_PER_CLIENT = Limit("code-client", 20, WINDOW)
VERIFY_PER_CLIENT = Limit("verify-client", 20, WINDOW)
STAFF_PER_EMAIL = Limit("staff-email", 10, WINDOW)
STAFF_PER_CLIENT = Limit("staff-client", 30, WINDOW)


RETRY_AFTER = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
    description="Seconds to wait before trying again (the current window's end).",
    required=True,
)


@dataclass
class RateLimitedOperation(Operation):
    """The OpenAPI operation of a rate-limited route: its 429 answer declares ``Retry-After``.

    Litestar's response declarations carry no headers, so the header is added once the
    operation's responses are built (``operation_class=`` on the route).
    """

    def __post_init__(self) -> None:
        response = (self.responses or {}).get("429")
        if isinstance(response, OpenAPIResponse):
            response.headers = {**(response.headers or {}), "Retry-After": RETRY_AFTER}


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


async def hit(session: AsyncSession, limit: Limit, subject: str) -> None:
    """Count one request for ``subject`` and commit the count; raise a 429 problem once the
    limit is passed. The subject is hashed, so addresses do not sit in the table."""
    now = utcnow()
    start = _window_start(now, limit.window)
    key = f"{limit.name}:{hashlib.sha256(subject.encode()).hexdigest()[:40]}"
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(RateLimitCounter)
        .values(key=key, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"hits": RateLimitCounter.hits + 1},
        )
        .returning(RateLimitCounter.hits)
    )
    hits = (await session.execute(statement)).scalar_one()
    await session.commit()  # named exception: the count survives the refusal (module docstring)
    if hits > limit.hits:
        retry_after = int((start + limit.window - now).total_seconds()) + 1
        raise TooManyRequests(
            "rate-limited",
            "Too many attempts. Please wait a little and try again.",
            extra={"retry_after_seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


async def prune(session: AsyncSession, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete counters of windows long past (a scheduled job calls this)."""
    result = await session.execute(
        sa.delete(RateLimitCounter).where(RateLimitCounter.window_start < utcnow() - older_than)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
