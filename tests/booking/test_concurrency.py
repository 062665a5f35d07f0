"""Capacity under real concurrency: many connections and several processes race for a slot.

Each attempt runs in its own process with its own engine and connection, exactly as separate
web workers or replicas would. The database, not the application, decides who wins.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tests.databases import fresh_database, in_thread, postgres_admin_url
from tests.visit_helpers import book_directly
from visits.booking import capacity
from visits.db.base import utcnow
from visits.db.engine import create_engine, create_session_factory
from visits.db.migrate import upgrade
from visits.db.models import Slot, Visit
from visits.demo import seed_demo
from visits.enums import VisitStatus
from visits.rules.party import Usage

PROCESSES = 4
ATTEMPTS_PER_PROCESS = 6
CAPACITY = 3


async def _attempts(url: str, slot_id: uuid.UUID, count: int) -> int:
    engine = create_engine(url)
    won = 0
    try:
        sessions = create_session_factory(engine)

        async def one() -> bool:
            async with sessions() as session:
                taken = await capacity.take(session, slot_id, Usage(1, 2, 1))
                await session.commit()
                return taken

        results = await asyncio.gather(*(one() for _ in range(count)))
        won = sum(results)
    finally:
        await engine.dispose()
    return won


def race(url: str, slot_id: uuid.UUID, count: int) -> int:
    """Runs in a separate process: ``count`` concurrent attempts on separate connections."""
    return asyncio.run(_attempts(url, slot_id, count))


async def test_concurrent_bookings_never_exceed_capacity(
    db: AsyncSession, database_url: str
) -> None:
    await seed_demo(db)
    slot = await db.scalar(sa.select(Slot).order_by(Slot.starts_at))
    assert slot is not None
    slot.capacity_tables = CAPACITY
    slot_id = slot.id
    await db.commit()
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=PROCESSES) as pool:
        wins = await asyncio.gather(
            *(
                loop.run_in_executor(pool, race, database_url, slot_id, ATTEMPTS_PER_PROCESS)
                for _ in range(PROCESSES)
            )
        )
    assert sum(wins) == CAPACITY  # 24 attempts, exactly 3 winners
    fresh = await db.get(Slot, slot_id, populate_existing=True)
    assert fresh is not None
    assert (fresh.booked_tables, fresh.booked_seats, fresh.booked_children) == (3, 6, 3)
    await db.commit()


async def test_the_database_refuses_counters_above_capacity(db: AsyncSession) -> None:
    await seed_demo(db)
    slot = await db.scalar(sa.select(Slot))
    assert slot is not None
    with pytest.raises(IntegrityError):
        await db.execute(
            sa.update(Slot).where(Slot.id == slot.id).values(booked_seats=Slot.capacity_seats + 1)
        )
    await db.rollback()


async def test_postgres_excludes_overlapping_visits_of_one_prisoner(tmp_path: Path) -> None:
    """SQLite has no exclusion constraints (the application check covers it there, see
    test_booking.py); on PostgreSQL the database itself refuses the overlap."""
    if postgres_admin_url() is None:
        pytest.skip("needs VISITS_TEST_POSTGRES_URL")  # CI sets it and fails on any skip
    with fresh_database("postgresql", tmp_path) as url:
        in_thread(upgrade, url)
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as db:
                await seed_demo(db)
                slots = list(
                    await db.scalars(
                        sa.select(Slot).where(Slot.starts_at > utcnow()).order_by(Slot.starts_at)
                    )
                )
                first = await book_directly(db, slots[0], [40])
                second = await book_directly(db, slots[1], [35], status=VisitStatus.CANCELLED)
                moved = {
                    "starts_at": first.starts_at + timedelta(minutes=30),
                    "ends_at": first.ends_at + timedelta(minutes=30),
                }
                await db.execute(sa.update(Visit).where(Visit.id == second.id).values(**moved))
                await db.commit()  # cancelled visits may overlap
                activate = (
                    sa.update(Visit)
                    .where(Visit.id == second.id)
                    .values(status=VisitStatus.CONFIRMED)
                )
                with pytest.raises(IntegrityError, match="ex_visit_prisoner_overlap"):
                    await db.execute(activate)
                await db.rollback()
        finally:
            await engine.dispose()
