"""``Idempotency-Key``: a retried POST returns the first answer and changes nothing.

Without a key the operation just runs: the request's boundary commits it. With a key, this
wrapper is a named exception to "only the boundary commits" (``visits.db.transaction``): it
commits the change with its record, and a refusal with its record, so that a retry with the
same key gets the same answer even though the refusal rolls the request back.

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
record included, so they can be retried. A replay runs no operation, so it registers no
after-commit effect: nothing is mailed twice.
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
from visits.db.transaction import discard_effects
from visits.errors import (
    PROBLEM_MEDIA_TYPE,
    Conflict,
    DomainError,
    Invalid,
    Unprocessable,
    problem_body,
)

MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


def fingerprint(request: Request[Any, Any, Any], body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.url.path} {canonical}".encode()).hexdigest()


def _in_progress() -> Conflict:
    return Conflict("request-in-progress", "The first request with this key is still running.")


def _replay(record: IdempotencyRecord, request_print: str) -> Response[Any]:
    """The stored answer, if the record is of this very request."""
    if record.fingerprint != request_print:
        raise Unprocessable(
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
        raise Invalid(
            "invalid-idempotency-key",
            "Idempotency-Key must be 1 to %(length)s printable characters.",
            length=MAX_KEY_LENGTH,
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
    Idempotency-Key, or None: then the boundary commits); commit its work with the record."""
    if key is None:
        status, result = await operation()
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
    except DomainError as problem:
        if problem.status >= 500:
            await session.rollback()
            raise
        discard_effects(session)  # the refused change is undone: nothing of it is announced
        record.status_code = problem.status
        record.response = problem_body(request, problem)
        await session.commit()  # the refusal's record outlives the request's rollback
        raise
    except BaseException:
        await session.rollback()
        raise
    record.status_code = status
    record.response = msgspec.to_builtins(result)
    await session.commit()  # the change together with its record (see above)
    return Response(result, status_code=status)
