"""``Idempotency-Key``: a retried POST returns the first answer and changes nothing.

The record is written in the same transaction as the change, so either both exist or neither.
A concurrent request with the same key waits for the first (row lock or SQLite's write lock)
and then replays its answer. Refusals (4xx problems) are stored too; server errors are not, so
they can be retried.
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

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255


def _fingerprint(request: Request[Any, Any, Any], body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.url.path} {canonical}".encode()).hexdigest()


def _replay(
    request: Request[Any, Any, Any], record: IdempotencyRecord, fingerprint: str
) -> Response[Any]:
    if record.fingerprint != fingerprint:
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was used for a different request. Use a new key.",
        )
    if record.status_code is None:
        raise ProblemError(
            409, "request-in-progress", "The first request with this key is still running."
        )
    media = PROBLEM_MEDIA_TYPE if record.status_code >= 400 else "application/json"
    return Response(
        record.response,
        status_code=record.status_code,
        media_type=media,
        headers={"Idempotent-Replayed": "true"},
    )


async def run(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    caller: str,
    body: object,
    operation: Callable[[], Awaitable[tuple[int, Any]]],
) -> Response[Any]:
    """Run ``operation`` (which must not commit) once per key; commit its work with the record."""
    key = request.headers.get(HEADER)
    if key is None:
        status, result = await operation()
        await session.commit()
        return Response(result, status_code=status)
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ProblemError(
            400,
            "invalid-idempotency-key",
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable characters.",
        )
    fingerprint = _fingerprint(request, body)
    lookup = sa.select(IdempotencyRecord).where(
        IdempotencyRecord.caller == caller, IdempotencyRecord.key == key
    )
    existing = await session.scalar(lookup)
    if existing is not None:
        response = _replay(request, existing, fingerprint)
        await session.rollback()
        return response
    record = IdempotencyRecord(caller=caller, key=key, fingerprint=fingerprint)
    session.add(record)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()  # another request with this key committed first
        existing = await session.scalar(lookup)
        assert existing is not None
        return _replay(request, existing, fingerprint)
    try:
        status, result = await operation()
    except ProblemError as problem:
        await session.rollback()
        if problem.status_code < 500:
            session.add(
                IdempotencyRecord(
                    caller=caller,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=problem.status_code,
                    response=problem_body(request, problem),
                )
            )
            await session.commit()
        raise
    record.status_code = status
    record.response = msgspec.to_builtins(result)
    await session.commit()
    return Response(result, status_code=status)
