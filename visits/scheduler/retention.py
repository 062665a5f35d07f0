"""The daily retention job (``people.retention``): erase the households nothing keeps any more.

Each household is its own transaction (claim, erase, audit, commit), so one that fails is
logged and left for the next run while the others are still erased. Safe with any number of
schedulers: a household is claimed by a conditional update, so exactly one run erases it.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.db import transaction
from visits.db.base import utcnow
from visits.people import retention
from visits.scheduler import boundary
from visits.settings import Settings

log = structlog.get_logger(__name__)


async def apply_retention(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
) -> int:
    """Erase every household due at ``now`` (default: the current time); returns how many
    this run erased (those another run erased first are not counted)."""
    at = now or utcnow()
    days = settings.retention_days
    context = boundary.OutsideRequest.of(session_factory, settings)
    erased = 0
    async with session_factory() as session:
        due = await retention.due_ids(session, at, days)
        await transaction.rollback(session)  # end the read before the writes
        for household_id in due:
            try:
                done = await retention.anonymise(session, household_id, at, days)
                await boundary.commit(session, context)
            except Exception:
                await transaction.rollback(session)
                log.exception("retention_failed", household_id=str(household_id))
                continue
            erased += int(done)
    if erased:
        log.info("households_erased_by_retention", count=erased, retention_days=days)
    return erased
