"""Partial updates: apply the fields given, record what changed, and keep names unique."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.errors import Conflict


def apply_changes(
    target: object,
    data: msgspec.Struct,
    skip: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Apply the fields of ``data`` that are set and differ; return them as [old, new] pairs."""
    changes: dict[str, Any] = {}
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if name in skip or value is None:
            continue
        if isinstance(value, list):
            value = (
                sorted({int(v) for v in value}, reverse=True)
                if name.endswith("_hours")
                else [str(v) for v in value]
            )
        old = getattr(target, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(target, name, value)
    return changes


def _plain(value: object) -> object:
    return value if isinstance(value, (str, int, bool, list, type(None))) else str(value)


@asynccontextmanager
async def unique(session: AsyncSession, conflict: Conflict) -> AsyncIterator[None]:
    """Make the changes of the block in a savepoint; a unique constraint that a concurrent
    request won first becomes ``conflict`` (the check before cannot see a row that is not
    committed yet). Only the savepoint is rolled back, so the caller's session stays usable,
    e.g. for a page that shows the form again."""
    try:
        async with session.begin_nested():
            yield
            await session.flush()
    except IntegrityError:
        raise conflict from None
