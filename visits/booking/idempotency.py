"""``Idempotency-Key``: a retried POST returns the first answer and changes nothing.

The record is inserted before the change and committed with it, so either both exist or
neither. Its primary key (caller, key) is the claim: a concurrent request with the same key
blocks on the uncommitted row (PostgreSQL) or on the write lock every transaction takes at
``BEGIN IMMEDIATE`` (SQLite) until the first request ends, then finds the record and replays
its answer.

The change runs inside a SAVEPOINT. A refusal (a 4xx problem) rolls back to it, so the change
is undone while the record, and with it the claim, stays; the refusal is stored in that same
record and committed. Releasing the claim between the refusal and its record (a full rollback,
then a new insert) let a concurrent request claim the key in between: both committed a record
and one of them failed with a unique violation (a 500). Server errors roll everything back,
record included, so they can be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
import sqlalchemy as sa
from litestar import Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import IdempotencyRecord
from visits.errors import PROBLEM_MEDIA_TYPE, ProblemError, problem_body

MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


def fingerprint(request: Request[Any, Any, Any], body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.url.path} {canonical}".encode()).hexdigest()


def _in_progress() -> ProblemError:
    return ProblemError(
        409, "request-in-progress", "The first request with this key is still running."
    )


def _replay(record: IdempotencyRecord, request_print: str) -> Response[Any]:
    """The stored answer, if the record is of this very request."""
    if record.fingerprint != request_print:
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different request. Use a new key.",
        )
    if record.status_code is None:  # never committed so; kept as a clear answer, not a crash
        raise _in_progress()
    media = PROBLEM_MEDIA_TYPE if record.status_code >= 400 else "application/json"
    return Response(
        record.response,
        status_code=record.status_code,
        media_type=media,
        headers={REPLAYED_HEADER: "true"},
    )


def _checked(key: str) -> str:
    """The key, trimmed; a 400 problem when it is blank, too long or not printable."""
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ProblemError(
            400,
            "invalid-idempotency-key",
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
        )
    return key


async def run(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    caller: str,
    key: str | None,
    body: object,
    operation: Callable[[], Awaitable[tuple[int, Any]]],
) -> Response[Any]:
    """Run ``operation`` (which must not commit) once per ``key`` of ``caller`` (the request's
    Idempotency-Key, or None); commit its work with the record."""
    if key is None:
        status, result = await operation()
        await session.commit()
        return Response(result, status_code=status)
    key = _checked(key)
    request_print = fingerprint(request, body)
    lookup = sa.select(IdempotencyRecord).where(
        IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
    )
    existing = await session.scalar(lookup)
    if existing is not None:
        try:
            return _replay(existing, request_print)
        finally:
            await session.rollback()
    record = IdempotencyRecord(caller=caller, key=key, fingerprint=request_print)
    session.add(record)
    try:
        await session.flush()  # on PostgreSQL, waits here while another request holds the key
    except IntegrityError:
        await session.rollback()  # that request committed first: answer what it answered
        existing = await session.scalar(lookup)
        try:
            if existing is None:
                raise _in_progress() from None
            return _replay(existing, request_print)
        finally:
            await session.rollback()
    try:
        async with session.begin_nested():
            status, result = await operation()
    except ProblemError as problem:
        if problem.status_code >= 500:
            await session.rollback()
            raise
        record.status_code = problem.status_code
        record.response = problem_body(request, problem)
        await session.commit()
        raise
    except BaseException:
        await session.rollback()
        raise
    record.status_code = status
    record.response = msgspec.to_builtins(result)
    await session.commit()
    return Response(result, status_code=status)
