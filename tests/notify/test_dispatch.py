"""Dispatching reminders with the real Twilio client against the fake server."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.notify.fake_twilio import FakeTwilio
from tests.visit_helpers import book_directly
from visits.db.base import utcnow
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import Household, Reminder, Slot, Visit
from visits.demo import seed_demo
from visits.enums import Language, ReminderState, VisitStatus
from visits.notify.dispatch import dispatch_due
from visits.notify.sms import TwilioSender
from visits.settings import Settings


async def due_reminders(db: AsyncSession, visits: int, per_visit: int) -> list[uuid.UUID]:
    """``visits`` confirmed future visits of the demo household, ``per_visit`` reminders each,
    all due now. The visits begin a day or more from now, so that quiet hours a test sets around
    the present never last until a visit, whatever the time of day the tests run."""
    await seed_demo(db)
    household = await db.scalar(sa.select(Household))
    assert household is not None
    slots = list(
        await db.scalars(
            sa.select(Slot)
            .where(Slot.starts_at > utcnow() + timedelta(days=1))
            .order_by(Slot.starts_at)
            .limit(visits)
        )
    )
    assert len(slots) == visits
    ids = []
    for slot in slots:
        visit = await book_directly(db, slot, [35, 7])
        visit.household_id = household.id
        for offset in range(per_visit):
            reminder = Reminder(
                visit_id=visit.id,
                offset_minutes=offset + 1,
                language=Language("de"),
                due_at=utcnow() - timedelta(minutes=1),
            )
            db.add(reminder)
            await db.flush()
            ids.append(reminder.id)
    await db.commit()
    return ids


async def states(db: AsyncSession) -> dict[ReminderState, int]:
    rows = (
        await db.execute(sa.select(Reminder.state, sa.func.count()).group_by(Reminder.state))
    ).all()
    await db.commit()
    return dict(rows)  # type: ignore[arg-type]


async def test_the_real_client_sends_through_the_fake(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    await due_reminders(db, visits=2, per_visit=1)
    config = fake_twilio.settings(settings)
    report = await dispatch_due(create_session_factory(engine), TwilioSender(config), config)
    assert report.sent == 2
    messages = fake_twilio.messages()
    assert len(messages) == 2
    first = messages[0]
    assert first["To"] == "+4915112345678"
    assert first["MessagingServiceSid"] == "MGtest"
    assert first["StatusCallback"] == "https://visits.example.org/webhooks/twilio/status"
    assert "Erinnerung" in first["Body"]
    assert "Kinder" in first["Body"]  # what the children need
    assert "Beispiel" not in first["Body"]  # no names
    assert "CANCEL" not in first["Body"].upper()
    assert len(first["Body"]) <= 2 * 153  # two segments at most
    assert await states(db) == {ReminderState.SENT: 2}
    sids = set(await db.scalars(sa.select(Reminder.provider_message_id)))
    await db.commit()
    assert sids == {m["sid"] for m in messages}
    again = await dispatch_due(create_session_factory(engine), TwilioSender(config), config)
    assert again.claimed == 0


async def test_temporary_failures_back_off_and_permanent_ones_are_recorded(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    await due_reminders(db, visits=3, per_visit=1)
    config = fake_twilio.settings(settings)
    factory = create_session_factory(engine)
    fake_twilio.fail_next("5xx")
    fake_twilio.fail_next("timeout")
    fake_twilio.fail_next("21211")
    report = await dispatch_due(factory, TwilioSender(config, timeout=1.0), config)
    assert (report.retried, report.failed, report.sent) == (2, 1, 0)
    rows = list(await db.scalars(sa.select(Reminder).order_by(Reminder.state)))
    pending = [r for r in rows if r.state is ReminderState.PENDING]
    assert len(pending) == 2
    assert all(r.next_attempt_at is not None and r.next_attempt_at > utcnow() for r in pending)
    undeliverable = [r for r in rows if r.state is ReminderState.UNDELIVERABLE]
    assert "21211" in (undeliverable[0].last_error or "")
    await db.commit()  # end the read: on SQLite an open transaction holds the write lock
    # Not yet due again: nothing happens; once due, they go out.
    assert (await dispatch_due(factory, TwilioSender(config), config)).claimed == 0
    await db.execute(
        sa.update(Reminder)
        .where(Reminder.state == ReminderState.PENDING)
        .values(next_attempt_at=utcnow())
    )
    await db.commit()
    assert (await dispatch_due(factory, TwilioSender(config), config)).sent == 2
    assert len(fake_twilio.messages()) == 2


async def test_attempts_stop_at_the_limit(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    await due_reminders(db, visits=1, per_visit=1)
    config = fake_twilio.settings(settings, reminder_max_attempts=2)
    factory = create_session_factory(engine)
    fake_twilio.fail_next("5xx", count=5)
    for _ in range(2):
        await dispatch_due(factory, TwilioSender(config), config)
        await db.execute(sa.update(Reminder).values(next_attempt_at=utcnow()))
        await db.commit()
    assert await states(db) == {ReminderState.FAILED: 1}


async def test_opted_out_recipients_and_cancelled_visits_get_nothing(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    await due_reminders(db, visits=3, per_visit=1)
    visits = list(await db.scalars(sa.select(Visit.id).order_by(Visit.starts_at)))
    await db.execute(
        sa.update(Visit).where(Visit.id == visits[0]).values(status=VisitStatus.CANCELLED)
    )
    later = utcnow() + timedelta(hours=1)
    await db.execute(sa.update(Reminder).where(Reminder.visit_id == visits[2]).values(due_at=later))
    await db.commit()
    config = fake_twilio.settings(settings)
    factory = create_session_factory(engine)
    fake_twilio.fail_next("21610")
    report = await dispatch_due(factory, TwilioSender(config), config)
    # The cancelled visit's reminder: cancelled by its check, or first by the opt-out (21610)
    # of the same number, whichever of the two concurrent sends gets there first.
    assert (report.cancelled + report.lost, report.failed, report.sent) == (1, 1, 0)
    household = await db.scalar(sa.select(Household).execution_options(populate_existing=True))
    assert household is not None
    assert household.sms_opted_out_at is not None  # 21610: the recipient opted out
    await db.execute(
        sa.update(Reminder)
        .where(Reminder.visit_id == visits[2])
        .values(due_at=utcnow() - timedelta(minutes=1))
    )
    await db.commit()
    await dispatch_due(factory, TwilioSender(config), config)
    assert fake_twilio.messages() == []
    assert await states(db) == {ReminderState.CANCELLED: 2, ReminderState.UNDELIVERABLE: 1}


def _dispatch_in_process(url: str, config_json: bytes) -> dict[str, Any]:
    config = msgspec.json.decode(config_json, type=Settings)

    async def run() -> dict[str, Any]:
        engine = create_engine(url)
        try:
            report = await dispatch_due(
                create_session_factory(engine), TwilioSender(config), config, batch=10
            )
            return dataclasses.asdict(report)
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def test_two_dispatcher_processes_never_send_twice(
    db: AsyncSession, database_url: str, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    ids = await due_reminders(db, visits=15, per_visit=8)
    config = msgspec.json.encode(fake_twilio.settings(settings))
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=2) as pool:
        reports = await asyncio.gather(
            *(
                loop.run_in_executor(pool, _dispatch_in_process, database_url, config)
                for _ in range(2)
            )
        )
    # Whole reports first: a shortfall names its cause (errors, lost rows, retries).
    assert [(r["errors"], r["lost"], r["retried"]) for r in reports] == [([], 0, 0)] * 2
    assert sum(r["sent"] for r in reports) == sum(r["claimed"] for r in reports) == 120
    messages = fake_twilio.messages()
    assert len(messages) == len(ids)  # not one more: no duplicates
    assert await states(db) == {ReminderState.SENT: len(ids)}
    assert len(set(await db.scalars(sa.select(Reminder.provider_message_id)))) == len(ids)
    await db.commit()


async def test_a_dispatcher_holds_no_more_connections_than_its_pool(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    """Ten sends at once on a pool of five: connections are reused, never opened per send (on
    a server at ``max_connections`` each extra connect is refused and leaves a row unsent)."""
    await due_reminders(db, visits=5, per_visit=8)
    config = fake_twilio.settings(settings)
    fake_twilio.slow_down(0.05)  # sends overlap
    opened: list[object] = []
    own = create_engine(str(engine.url.render_as_string(hide_password=False)))
    sa.event.listen(own.sync_engine, "connect", lambda connection, _: opened.append(connection))
    try:
        report = await dispatch_due(create_session_factory(own), TwilioSender(config), config)
    finally:
        await own.dispose()
    assert (report.sent, report.errors) == (40, [])
    assert own.pool.size() == 5  # type: ignore[attr-defined]
    assert len(opened) <= own.pool.size()  # type: ignore[attr-defined]


def test_console_sender_needs_no_account() -> None:
    from visits.notify.sms import ConsoleSender, sender_for

    assert isinstance(sender_for(Settings()), ConsoleSender)
    with pytest.raises(ValueError, match="twilio_account_sid"):
        sender_for(Settings(sms_sender="twilio"))
