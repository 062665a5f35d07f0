"""Demo data and the slot-horizon job."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from visits.db.base import utcnow
from visits.db.engine import create_session_factory
from visits.db.models import (
    Facility,
    Household,
    Prisoner,
    RateLimitCounter,
    Room,
    SignInChallenge,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
)
from visits.demo import seed_demo
from visits.enums import ApprovalStatus, ContactChannel, Relationship
from visits.rules.ages import age_on
from visits.scheduler.jobs import extend_slot_horizon, prune_sign_in_records
from visits.settings import Settings

BERLIN = ZoneInfo("Europe/Berlin")


async def count(db: AsyncSession, model: type) -> int:
    return int(await db.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def test_demo_has_what_the_readme_promises(db: AsyncSession) -> None:
    today = date(2026, 11, 23)
    assert await seed_demo(db, today=today)
    facility = (await db.scalars(sa.select(Facility))).one()
    assert facility.timezone == "Europe/Berlin"
    rooms = {room.name: room for room in await db.scalars(sa.select(Room))}
    assert set(rooms) == {"Familienzimmer", "Spielzimmer", "Besuchssaal"}
    assert "play_corner" in rooms["Familienzimmer"].features
    assert rooms["Besuchssaal"].age_bands == []

    days = (await db.scalars(sa.select(Slot.local_date).distinct())).all()
    assert min(days) >= today
    assert max(days) <= today + timedelta(days=27)
    assert max(days) >= today + timedelta(days=21)  # slots in each of the four weeks
    # weekly: 3 regular + 2 family visits; a parent-child group fortnightly; a family day monthly
    assert await count(db, Slot) == 4 * 5 + 2 + 1

    children = (
        await db.scalars(sa.select(Visitor).where(Visitor.relationship == Relationship.CHILD))
    ).all()
    ages = sorted(age_on(child.birth_date, today) for child in children)
    assert len(ages) == 2
    assert ages[0] != ages[1]
    assert all(age < 18 for age in ages)
    assert await count(db, Household) == 1
    assert await count(db, Prisoner) == 1
    approvals = (await db.scalars(sa.select(VisitorApproval.status))).all()
    assert approvals == [ApprovalStatus.APPROVED] * 3


async def test_demo_is_not_added_twice(db: AsyncSession) -> None:
    assert await seed_demo(db)
    assert not await seed_demo(db)
    assert await count(db, Facility) == 1


async def test_horizon_job_fills_the_horizon_once(db: AsyncSession, engine: AsyncEngine) -> None:
    await seed_demo(db)
    before = await count(db, Slot)
    await db.commit()  # end the read transaction: on SQLite it holds the write lock
    factory = create_session_factory(engine)
    created = await extend_slot_horizon(factory, Settings(slot_horizon_days=56))
    assert created > 0
    assert await extend_slot_horizon(factory, Settings(slot_horizon_days=56)) == 0
    last = await db.scalar(sa.select(sa.func.max(Slot.local_date)))
    today = datetime.now(UTC).astimezone(BERLIN).date()
    assert last is not None
    assert today + timedelta(days=48) <= last <= today + timedelta(days=55)
    assert await count(db, Slot) == before + created


async def test_prune_forgets_old_sign_in_records(db: AsyncSession, engine: AsyncEngine) -> None:
    old = utcnow() - timedelta(days=3)
    db.add_all(
        [
            RateLimitCounter(key="k:old", window_start=old, hits=3),
            RateLimitCounter(key="k:new", window_start=utcnow(), hits=1),
            SignInChallenge(channel=ContactChannel.EMAIL, code_hash="x", expires_at=old),
            SignInChallenge(channel=ContactChannel.EMAIL, code_hash="y", expires_at=utcnow()),
        ]
    )
    await db.commit()
    assert await prune_sign_in_records(create_session_factory(engine), Settings()) == 2
    assert await count(db, RateLimitCounter) == 1
    assert await count(db, SignInChallenge) == 1


async def test_jobs_expire_holds_and_reject_stale_requests(
    db: AsyncSession, engine: AsyncEngine
) -> None:
    from tests.visit_helpers import book_directly
    from visits.enums import VisitStatus
    from visits.scheduler.jobs import expire_holds, reject_stale_requests

    await seed_demo(db)
    slots = list(await db.scalars(sa.select(Slot).order_by(Slot.starts_at).limit(2)))
    held = await book_directly(db, slots[0], [40, 8], status=VisitStatus.HELD)
    held.hold_expires_at = utcnow() - timedelta(seconds=1)
    requested = await book_directly(db, slots[1], [40], status=VisitStatus.REQUESTED)
    ids = (held.id, requested.id, slots[0].id)
    await db.commit()
    factory = create_session_factory(engine)
    assert await expire_holds(factory, Settings()) == 1
    assert await reject_stale_requests(factory, Settings(request_cutoff_hours=24 * 60)) == 1
    states = dict((await db.execute(sa.select(Visit.id, Visit.status))).all())
    assert states[ids[0]] == VisitStatus.EXPIRED
    assert states[ids[1]] == VisitStatus.REJECTED
    assert await db.scalar(sa.select(Slot.booked_tables).where(Slot.id == ids[2])) == 0
