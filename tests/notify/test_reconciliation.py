"""Unknown outcomes are settled with the provider before anything is sent again: the fake's
listing through the real client, the reconciliation itself, and dispatchers killed mid-send."""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
from collections import Counter
from datetime import timedelta

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from twilio.rest import Client

from tests.notify.fake_twilio import ACCOUNT, TOKEN, FakeTwilio
from tests.notify.test_dispatch import due_reminders, states
from visits.db.base import utcnow
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import Reminder
from visits.enums import ReminderState
from visits.notify.dispatch import dispatch_due
from visits.notify.sms import TwilioSender
from visits.settings import Settings

PHONE = "+4915112345678"  # the demo household's number


async def test_the_real_client_lists_messages_by_recipient_and_date_page_by_page(
    settings: Settings, fake_twilio: FakeTwilio
) -> None:
    sender = TwilioSender(fake_twilio.settings(settings))
    for n in range(60):
        await sender.send(PHONE, f"message {n}")
    await sender.send("+4930123456", "someone else")
    listed = await sender.sent_since(PHONE, utcnow() - timedelta(minutes=1))
    assert [m.body for m in listed] == [f"message {n}" for n in reversed(range(60))]
    assert len({m.provider_id for m in listed}) == 60
    assert all(m.created_at is not None for m in listed)
    assert await sender.sent_since(PHONE, utcnow() + timedelta(minutes=1)) == []
    client = Client(ACCOUNT, TOKEN)  # the filters and pages on the fake's side, unfiltered here
    client.api.base_url = fake_twilio.url
    recent = client.messages.list(to=PHONE, date_sent_after=utcnow() - timedelta(minutes=1))
    assert len(recent) == 60
    assert len(client.messages.list(to=PHONE, page_size=25)) == 60  # three pages
    assert client.messages.list(to=PHONE, date_sent_after=utcnow() + timedelta(minutes=1)) == []
    assert [m.body for m in client.messages.list(to="+4930123456")] == ["someone else"]


async def test_a_message_the_provider_has_is_recorded_not_sent_again(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    """Four reminders with one text (one visit). One is sent normally; three are left by a
    dispatcher that died during the call after the provider took two of them. Those two are
    found (one message each, never the one another reminder holds, however many newer messages
    the number got since) and only the third is sent."""
    config = fake_twilio.settings(settings)
    sender = TwilioSender(config)
    factory = create_session_factory(engine)
    first, *rest = await due_reminders(db, visits=1, per_visit=4)
    others = Reminder.id.in_(rest)
    await db.execute(sa.update(Reminder).where(others).values(state=ReminderState.CANCELLED))
    await db.commit()
    assert (await dispatch_due(factory, sender, config)).sent == 1
    [message] = fake_twilio.messages()
    for _ in range(2):
        await sender.send(PHONE, message["Body"])  # what the dead dispatcher got through
    for start in range(0, 250, 25):  # then more to the same number than a page holds
        await asyncio.gather(*(sender.send(PHONE, f"other {n}") for n in range(start, start + 25)))
    await db.execute(
        sa.update(Reminder)
        .where(others)
        .values(
            state=ReminderState.SENDING,
            lease_until=utcnow() - timedelta(seconds=1),  # ran out
            send_started_at=utcnow() - timedelta(seconds=30),
            attempts=1,
        )
    )
    await db.commit()
    report = await dispatch_due(factory, sender, config)
    assert (report.reconciled, report.sent, report.errors) == (2, 1, [])
    messages = fake_twilio.messages()
    assert len(messages) == 4 + 250
    rows = list(await db.scalars(sa.select(Reminder).execution_options(populate_existing=True)))
    await db.commit()
    assert {r.state for r in rows} == {ReminderState.SENT}
    assert {r.provider_message_id for r in rows} == {
        m["sid"] for m in messages if m["Body"] == message["Body"]
    }
    assert all(r.send_started_at is None for r in rows)
    assert next(r for r in rows if r.id == first).provider_message_id == message["sid"]


async def test_after_a_timeout_the_retry_finds_the_message_the_provider_took(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    await due_reminders(db, visits=1, per_visit=1)
    config = fake_twilio.settings(settings)
    factory = create_session_factory(engine)
    fake_twilio.hold(1)  # the provider takes it, but answers after the client gave up
    report = await dispatch_due(factory, TwilioSender(config, timeout=1.0), config)
    assert report.retried == 1
    fake_twilio.release()
    deadline = time.monotonic() + 30
    while fake_twilio.state()["accepted"] == 0:
        assert time.monotonic() < deadline, "the held message was never accepted"
        await asyncio.sleep(0.05)
    waiting = await db.scalar(sa.select(Reminder))
    assert waiting is not None
    assert (waiting.state, waiting.send_started_at is not None) == (ReminderState.PENDING, True)
    await db.execute(sa.update(Reminder).values(next_attempt_at=utcnow()))
    await db.commit()
    again = await dispatch_due(factory, TwilioSender(config), config)
    assert (again.reconciled, again.sent) == (1, 0)
    [message] = fake_twilio.messages()
    assert await db.scalar(sa.select(Reminder.provider_message_id)) == message["sid"]
    await db.commit()


def _dispatch_until_killed(url: str, config_json: bytes) -> None:
    """A scheduler process (forked from the test, so it starts at once): dispatches, and again
    a moment later (rows leased by a dead predecessor come free), until it is killed."""
    config = msgspec.json.decode(config_json, type=Settings)

    async def run() -> None:
        engine = create_engine(url)
        factory = create_session_factory(engine)
        while True:
            await dispatch_due(factory, TwilioSender(config), config, batch=40, lease=LEASE)
            await asyncio.sleep(0.1)

    asyncio.run(run())


KILLS = 10
# Short, so that later victims and the survivor recover what earlier ones left; long enough
# that the provider has answered every request a victim sent before its lease runs out.
LEASE = timedelta(seconds=5)
REMINDERS = 300
PROGRESS_PER_KILL = 10  # messages the provider accepts from each victim before it dies


async def test_ten_dispatchers_killed_mid_send_lose_nothing_and_send_nothing_twice(
    db: AsyncSession,
    database_url: str,
    engine: AsyncEngine,
    settings: Settings,
    fake_twilio: FakeTwilio,
) -> None:
    started = time.monotonic()
    ids = await due_reminders(db, visits=15, per_visit=REMINDERS // 15)
    config = fake_twilio.settings(settings)
    fake_twilio.slow_down(0.05)  # sends overlap, so each kill lands with some in flight
    forking = multiprocessing.get_context("fork")
    orphans: set[str] = set()  # messages the provider had and the database did not, at a kill
    for _ in range(KILLS):
        before = fake_twilio.state()["accepted"]
        victim = forking.Process(
            target=_dispatch_until_killed, args=(database_url, msgspec.json.encode(config))
        )
        victim.start()
        deadline = time.monotonic() + 30
        while True:
            state = fake_twilio.state()
            if state["accepted"] >= before + PROGRESS_PER_KILL and state["in_flight"] > 0:
                break
            assert victim.is_alive(), "the dispatcher crashed before it was killed"
            assert time.monotonic() < deadline, "the dispatcher made no progress"
            await asyncio.sleep(0.01)
        victim.kill()  # SIGKILL
        victim.join(timeout=10)
        assert victim.exitcode == -signal.SIGKILL
        recorded = set(
            await db.scalars(
                sa.select(Reminder.provider_message_id).where(
                    Reminder.provider_message_id.is_not(None)
                )
            )
        )
        await db.commit()
        orphans |= {m["sid"] for m in fake_twilio.messages()} - recorded
    # The survivor takes over once the last victim's leases have run out, as they do.
    latest = await db.scalar(
        sa.select(sa.func.max(Reminder.lease_until)).where(Reminder.state == ReminderState.SENDING)
    )
    await db.commit()
    if latest is not None:
        await asyncio.sleep((latest - utcnow()).total_seconds() + 0.01)
    fake_twilio.slow_down(0)
    survivor = await dispatch_due(create_session_factory(engine), TwilioSender(config), config)
    elapsed = time.monotonic() - started

    messages = fake_twilio.messages()
    sids = list(await db.scalars(sa.select(Reminder.provider_message_id)))
    await db.commit()
    print(
        f"\n{KILLS} kills, {len(ids)} reminders: {len(orphans)} messages accepted "
        f"without a record at the kills, {len(messages) - len(ids)} duplicates, "
        f"survivor reconciled {survivor.reconciled}, {elapsed:.1f} s"
    )
    assert orphans  # the kills did land between acceptance and record
    assert orphans <= set(sids)  # each of them found and recorded, none sent again
    assert survivor.errors == []
    assert await states(db) == {ReminderState.SENT: REMINDERS}  # no loss
    assert len(messages) == REMINDERS  # no duplicate
    assert Counter(m["sid"] for m in messages) == Counter(sids)  # each message recorded once
    assert elapsed < 90  # typically 12-20 s; 51 s at worst measured on a loaded machine
