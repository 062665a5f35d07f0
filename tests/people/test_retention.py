"""Retention (issue 17 point 9; JVollzDSG NRW § 42 (3)), on SQLite and PostgreSQL.

The daily job erases each household that no active approval, no pending request and no
activity within ``retention_days`` keeps: at the period's edge exactly (kept), a day before it
(erased) and a day after it (kept); its visits stay, anonymised, for the figures; one audit
record per household without personal data; exactly once with two schedulers at once. The
console's review list is the same selection (``due_households``).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.people.retention_helpers import (
    LONG_AGO,
    approval_for,
    new_household,
    new_place,
    visit_at,
)
from visits.db.base import utcnow
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import (
    AuditEvent,
    Household,
    Prisoner,
    Visit,
    Visitor,
    VisitorApproval,
    VisitParty,
)
from visits.enums import ActorType, ApprovalStatus, CustodyStatus, VisitStatus
from visits.people import retention
from visits.scheduler.retention import apply_retention
from visits.scheduler.runner import build_scheduler
from visits.settings import Settings as AppSettings
from visits.settings import SettingsError, load_settings

DAYS = 365


def _now() -> datetime:
    return utcnow().replace(microsecond=0)


def _settings(days: int = DAYS) -> AppSettings:
    return AppSettings(environment="test", retention_days=days, scheduler="off")


async def _households(db: AsyncSession) -> set[str]:
    db.expire_all()
    return set(await db.scalars(sa.select(Household.guardian_name)))


async def _retention_events(db: AsyncSession) -> list[AuditEvent]:
    return list(
        await db.scalars(sa.select(AuditEvent).where(AuditEvent.action == retention.AUDIT_ACTION))
    )


def test_the_period_is_a_setting_with_a_documented_default(tmp_path: Path) -> None:
    assert AppSettings().retention_days == 365
    read = load_settings(environ={"VISITS_RETENTION_DAYS": "730"}, config_file=None)
    assert read.retention_days == 730
    with pytest.raises(SettingsError) as caught:
        load_settings(environ={"VISITS_RETENTION_DAYS": "7"}, config_file=None)
    assert caught.value.problems[0].startswith("VISITS_RETENTION_DAYS: ")
    sample = (Path(__file__).parents[2] / "config" / "visits.toml").read_text(encoding="utf-8")
    assert "# retention_days = 365 " in sample


def test_the_job_runs_daily_in_the_scheduler() -> None:
    scheduler = build_scheduler(None, _settings())  # type: ignore[arg-type]
    job = scheduler.get_job("apply_retention")
    assert job is not None
    assert str(job.trigger) == "cron[hour='2', minute='30']"
    assert retention.next_run(datetime(2026, 3, 1, 2, 29, tzinfo=retention.UTC)) == datetime(
        2026, 3, 1, 2, 30, tzinfo=retention.UTC
    )
    assert retention.next_run(datetime(2026, 3, 1, 2, 30, tzinfo=retention.UTC)) == datetime(
        2026, 3, 2, 2, 30, tzinfo=retention.UTC
    )


async def test_the_period_edge_belongs_to_the_period(db: AsyncSession, engine: AsyncEngine) -> None:
    now = _now()
    edge = now - timedelta(days=DAYS)
    place = await new_place(db)
    at_edge = await new_household(db, "Anna Edge", changed_at=now - LONG_AGO)
    before = await new_household(db, "Bert Before", changed_at=now - LONG_AGO, people=3)
    after = await new_household(db, "Cora After", changed_at=now - LONG_AGO)
    await visit_at(db, place, at_edge, edge)
    old_visit = await visit_at(db, place, before, edge - timedelta(days=1))
    await visit_at(db, place, after, edge + timedelta(days=1))
    # An older visit of the household at the edge does not make it due.
    await visit_at(db, place, at_edge, edge - timedelta(days=40))
    await db.commit()
    before_id, visit_id = before.id, old_visit.id

    listed = await retention.due_households(db, now, DAYS, retention.linked_to(place.facility.id))
    assert [(row.guardian_name, row.people) for row in listed] == [("Bert Before", 3)]
    assert listed[0].last_visit == edge - timedelta(days=1)
    assert listed[0].last_activity == edge - timedelta(days=1)
    # It visited here, so it is not among the households linked to no facility.
    assert await retention.due_households(db, now, DAYS, retention.linked_to(None)) == []
    await db.rollback()

    assert await apply_retention(create_session_factory(engine), _settings(), now) == 1

    assert await _households(db) == {"Anna Edge", "Cora After"}
    assert (
        await db.scalar(
            sa.select(sa.func.count()).select_from(Visitor).where(Visitor.family_name == "Before")
        )
        == 0
    )
    # The visit stays for the figures, anonymised: no household, no people, no support needs.
    visit = await db.get(Visit, visit_id, populate_existing=True)
    assert visit is not None
    assert (visit.household_id, visit.support_needs, visit.status) == (
        None,
        None,
        VisitStatus.ATTENDED,
    )
    party = list(await db.scalars(sa.select(VisitParty).where(VisitParty.visit_id == visit_id)))
    assert sorted(p.age_years for p in party) == [7, 7, 30]
    assert {p.visitor_id for p in party} == {None}
    # One audit record, by the system, with the period and nothing personal.
    (event,) = await _retention_events(db)
    assert (event.actor_type, event.object_type, event.object_id) == (
        ActorType.SYSTEM,
        "household",
        str(before_id),
    )
    assert event.changes == {"retention_days": DAYS}
    assert event.reason is None
    # A second run finds nothing more; the next day the edge household goes too.
    await db.commit()  # the test's reads end before the run writes
    assert await apply_retention(create_session_factory(engine), _settings(), now) == 0
    later = now + timedelta(days=1)
    assert await apply_retention(create_session_factory(engine), _settings(), later) == 1
    assert await _households(db) == {"Cora After"}


async def test_what_keeps_a_household(db: AsyncSession, engine: AsyncEngine) -> None:
    """Approvals that are active or waiting keep a household whatever its age; a decision or a
    change within the period keeps it too. Everything else nothing keeps."""
    now = _now()
    old = now - LONG_AGO
    recent = now - timedelta(days=DAYS - 2)
    today = now.date()
    place = await new_place(db)
    released = Prisoner(
        facility_id=place.facility.id,
        prison_number="R-OUT",
        given_name="Paul",
        family_name="Frei",
        admission_date=today - timedelta(days=4000),
        custody_status=CustodyStatus.SENTENCED,
        released_on=today - timedelta(days=500),
    )
    remand = Prisoner(
        facility_id=place.facility.id,
        prison_number="R-UH",
        given_name="Ralf",
        family_name="Haft",
        admission_date=today - timedelta(days=4000),
        custody_status=CustodyStatus.REMAND,
    )
    db.add_all([released, remand])
    await db.flush()

    cases = {
        # name: (kept?, how)
        "Ada Approved": True,
        "Pia Pending": True,
        "Ria Recentlydecided": True,
        "Cai Changed": True,
        "Uwe Upcoming": True,
        "Pit Permitvalid": True,
        "Rob Released": False,
        "Eva Expiredpermit": False,
        "Olaf Oldrejection": False,
        "Nina Nevervisited": False,
        "Pam Pendingreleased": False,
    }
    made = {name: await new_household(db, name, changed_at=old) for name in cases}
    await approval_for(
        db,
        made["Ada Approved"],
        place.prisoner,
        ApprovalStatus.APPROVED,
        asked_at=old,
        decided_at=old,
    )
    await approval_for(
        db, made["Pia Pending"], place.prisoner, ApprovalStatus.PENDING, asked_at=old
    )
    await approval_for(
        db,
        made["Ria Recentlydecided"],
        place.prisoner,
        ApprovalStatus.REJECTED,
        asked_at=old,
        decided_at=recent,
    )
    changed = made["Cai Changed"]
    changed.updated_at = recent
    await visit_at(
        db, place, made["Uwe Upcoming"], now + timedelta(days=5), status=VisitStatus.CONFIRMED
    )
    await approval_for(
        db,
        made["Pit Permitvalid"],
        remand,
        ApprovalStatus.APPROVED,
        asked_at=old,
        decided_at=old,
        court_permit_until=today,
    )
    await approval_for(
        db, made["Rob Released"], released, ApprovalStatus.APPROVED, asked_at=old, decided_at=old
    )
    await approval_for(
        db,
        made["Eva Expiredpermit"],
        remand,
        ApprovalStatus.APPROVED,
        asked_at=old,
        decided_at=old,
        court_permit_until=today - timedelta(days=1),
    )
    await approval_for(
        db,
        made["Olaf Oldrejection"],
        place.prisoner,
        ApprovalStatus.REJECTED,
        asked_at=old,
        decided_at=old + timedelta(days=3),
    )
    await approval_for(
        db, made["Pam Pendingreleased"], released, ApprovalStatus.PENDING, asked_at=old
    )
    await db.commit()
    # Old visits keep nobody.
    for n, name in enumerate(("Ada Approved", "Rob Released", "Olaf Oldrejection")):
        await visit_at(db, place, made[name], now - timedelta(days=DAYS + 30 + n))
    await db.commit()
    expected_gone = {name for name, kept in cases.items() if not kept}

    here = await retention.due_households(db, now, DAYS, retention.linked_to(place.facility.id))
    nowhere = await retention.due_households(db, now, DAYS, retention.linked_to(None))
    assert {row.guardian_name for row in here} == expected_gone - {"Nina Nevervisited"}
    assert [row.guardian_name for row in nowhere] == ["Nina Nevervisited"]
    await db.rollback()

    erased = await apply_retention(create_session_factory(engine), _settings(), now)

    assert erased == len(expected_gone)
    assert await _households(db) == {name for name, kept in cases.items() if kept}
    assert len(await _retention_events(db)) == len(expected_gone)
    # Their approvals went with their people.
    assert await db.scalar(sa.select(sa.func.count()).select_from(VisitorApproval)) == 4


async def test_two_schedulers_erase_each_household_once(
    db: AsyncSession, engine: AsyncEngine, database_url: str
) -> None:
    """Two runs at the same moment, on their own connections (as two scheduler processes):
    both list the same households, each household is erased and audited by one of them."""
    now = _now()
    place = await new_place(db)
    for n in range(6):
        household = await new_household(db, f"Due Family{n}", changed_at=now - LONG_AGO)
        await visit_at(db, place, household, now - timedelta(days=DAYS + 1 + n))
    await db.commit()
    other_engine = create_engine(database_url)
    try:
        first = create_session_factory(engine)
        second = create_session_factory(other_engine)
        async with first() as one, second() as two:
            listed_one = await retention.due_ids(one, now, DAYS)
            await one.rollback()  # on SQLite every transaction holds the write lock
            listed_two = await retention.due_ids(two, now, DAYS)
            await two.rollback()
            assert listed_one == listed_two
            assert len(listed_one) == 6

            async def claim(session: AsyncSession, household_id: object) -> bool:
                done = await retention.anonymise(session, household_id, now, DAYS)  # type: ignore[arg-type]
                await session.commit()
                return done

            for household_id in listed_one:
                outcomes = await asyncio.gather(claim(one, household_id), claim(two, household_id))
                assert sorted(outcomes) == [False, True]

        # And the job itself, twice at once, over households due later.
        for n in range(4):
            household = await new_household(db, f"Later Family{n}", changed_at=now - LONG_AGO)
            await visit_at(db, place, household, now - timedelta(days=DAYS - 1, hours=n))
        await db.commit()
        later = now + timedelta(days=2)
        counts = await asyncio.gather(
            apply_retention(first, _settings(), later),
            apply_retention(second, _settings(), later),
        )
        assert sum(counts) == 4
    finally:
        await other_engine.dispose()
    assert await _households(db) == set()
    events = await _retention_events(db)
    assert len(events) == 10
    assert len({e.object_id for e in events}) == 10


async def test_the_command_lists_then_erases(tmp_path: Path) -> None:
    """``visits retention run --dry-run`` lists (no names) what ``visits retention run``
    then erases, on a SQLite database of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")}
    env |= {"VISITS_DATA_DIR": str(tmp_path / "data"), "VISITS_RETENTION_DAYS": "400"}

    def visits(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "visits", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert visits("db", "upgrade").returncode == 0
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'visits.db'}")
    try:
        async with create_session_factory(engine)() as db:
            now = _now()
            place = await new_place(db)
            gone = await new_household(db, "Ines Inaktiv", changed_at=now - LONG_AGO)
            kept = await new_household(db, "Kurt Kuerzlich", changed_at=now - LONG_AGO)
            await visit_at(db, place, gone, now - timedelta(days=401))
            await visit_at(db, place, kept, now - timedelta(days=399))
            await db.commit()
            gone_id = gone.id
    finally:
        await engine.dispose()

    listed = visits("retention", "run", "--dry-run")
    assert listed.returncode == 0, listed.stderr
    assert str(gone_id) in listed.stdout
    assert "1 household would be erased (retention_days = 400)" in listed.stdout
    assert "Inaktiv" not in listed.stdout
    assert "Kurt" not in listed.stdout

    erased = visits("retention", "run")
    assert erased.returncode == 0, erased.stderr
    assert "1 household erased" in erased.stdout
    again = visits("retention", "run", "--dry-run")
    assert "0 households would be erased" in again.stdout
