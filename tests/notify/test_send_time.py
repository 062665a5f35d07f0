"""What the dispatcher checks just before each send: quiet hours, the visit, and a cancellation
that lands while the message is in flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from twilio.request_validator import RequestValidator

from tests.notify.fake_twilio import TOKEN, FakeTwilio
from tests.notify.test_dispatch import due_reminders
from visits.app import create_app
from visits.audit import Actor
from visits.booking import service as booking
from visits.db.base import utcnow
from visits.db.engine import create_session_factory
from visits.db.models import Facility, Reminder, Visit
from visits.enums import ActorType, Channel, ReminderState, StaffRole, VisitStatus
from visits.notify.dispatch import claim, dispatch_due
from visits.notify.reminders import quiet_hours_end
from visits.notify.sms import TwilioSender
from visits.settings import Settings

STAFF = booking.Caller(
    actor=Actor(ActorType.STAFF, "officer", StaffRole.VISITS_OFFICER.value, Channel.PHONE),
    staff_role=StaffRole.VISITS_OFFICER,
)


async def one_reminder(db: AsyncSession) -> tuple[Reminder, Visit, ZoneInfo]:
    """One confirmed future visit with one reminder due now; the facility's zone."""
    await due_reminders(db, visits=1, per_visit=1)
    reminder, visit, zone = (
        await db.execute(
            sa.select(Reminder, Visit, Facility.timezone)
            .join(Visit, Visit.id == Reminder.visit_id)
            .join(Facility, Facility.id == Visit.facility_id)
        )
    ).one()
    await db.commit()
    return reminder, visit, ZoneInfo(zone)


def quiet_now(zone: ZoneInfo) -> tuple[clock, clock, datetime]:
    """Quiet hours that began an hour ago and end in an hour (facility time), and their end."""
    local = utcnow().astimezone(zone).replace(second=0, microsecond=0)
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    return start.time(), end.time(), end


async def row(db: AsyncSession) -> Reminder:
    found = await db.scalar(sa.select(Reminder).execution_options(populate_existing=True))
    assert found is not None
    await db.commit()
    return found


def set_up_retry(reminder: Reminder) -> dict[str, Any]:
    return {"attempts": 1, "next_attempt_at": utcnow() - timedelta(seconds=1)}


def set_up_crashed_before_send(reminder: Reminder) -> dict[str, Any]:
    return {"state": ReminderState.SENDING, "lease_until": utcnow() - timedelta(seconds=1)}


def set_up_crashed_mid_send(reminder: Reminder) -> dict[str, Any]:
    return set_up_crashed_before_send(reminder) | {
        "attempts": 1,
        "send_started_at": utcnow() - timedelta(minutes=2),
    }


@pytest.mark.parametrize(
    "set_up",
    [None, set_up_retry, set_up_crashed_before_send, set_up_crashed_mid_send],
    ids=["first-try", "retry", "lease-ran-out", "lease-ran-out-mid-send"],
)
async def test_inside_quiet_hours_a_reminder_waits_for_their_end(
    db: AsyncSession,
    engine: AsyncEngine,
    settings: Settings,
    fake_twilio: FakeTwilio,
    set_up: Callable[[Reminder], dict[str, Any]] | None,
) -> None:
    reminder, _, zone = await one_reminder(db)
    if set_up is not None:
        await db.execute(
            sa.update(Reminder).where(Reminder.id == reminder.id).values(**set_up(reminder))
        )
        await db.commit()
    attempts = (await row(db)).attempts
    start, end, ends_at = quiet_now(zone)
    config = fake_twilio.settings(settings, quiet_hours_start=start, quiet_hours_end=end)
    factory = create_session_factory(engine)
    report = await dispatch_due(factory, TwilioSender(config), config)
    assert (report.deferred, report.sent, report.errors) == (1, 0, [])
    assert fake_twilio.messages() == []
    deferred = await row(db)
    assert deferred.state is ReminderState.PENDING
    assert deferred.next_attempt_at == ends_at.astimezone(UTC)
    assert deferred.attempts == attempts  # waiting is not an attempt
    assert deferred.send_started_at is None  # the provider was asked: nothing was sent
    assert (await dispatch_due(factory, TwilioSender(config), config)).claimed == 0


async def test_a_visit_that_begins_before_quiet_hours_end_gets_no_reminder(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    _, visit, zone = await one_reminder(db)
    await db.execute(
        sa.update(Visit)
        .where(Visit.id == visit.id)
        .values(starts_at=utcnow() + timedelta(minutes=30))
    )
    await db.commit()
    start, end, _ = quiet_now(zone)
    config = fake_twilio.settings(settings, quiet_hours_start=start, quiet_hours_end=end)
    report = await dispatch_due(create_session_factory(engine), TwilioSender(config), config)
    assert (report.cancelled, report.sent) == (1, 0)
    assert fake_twilio.messages() == []
    cancelled = await row(db)
    assert (cancelled.state, cancelled.last_error) == (
        ReminderState.CANCELLED,
        "quiet hours last until the visit",
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": VisitStatus.CANCELLED}, "visit cancelled"),
        ({"status": VisitStatus.REJECTED}, "visit rejected"),
        ({"starts_at": utcnow() - timedelta(minutes=1)}, "visit has begun"),
    ],
    ids=["cancelled", "rejected", "begun"],
)
async def test_a_visit_no_longer_ahead_and_confirmed_gets_no_reminder(
    db: AsyncSession,
    engine: AsyncEngine,
    settings: Settings,
    fake_twilio: FakeTwilio,
    change: dict[str, Any],
    reason: str,
) -> None:
    """Checked at send time too, so a retry or a lease recovery after the change sends nothing."""
    reminder, visit, _ = await one_reminder(db)
    await db.execute(sa.update(Visit).where(Visit.id == visit.id).values(**change))
    await db.execute(
        sa.update(Reminder)
        .where(Reminder.id == reminder.id)
        .values(state=ReminderState.SENDING, lease_until=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    config = fake_twilio.settings(settings)
    report = await dispatch_due(create_session_factory(engine), TwilioSender(config), config)
    assert (report.cancelled, report.sent) == (1, 0)
    assert fake_twilio.messages() == []
    cancelled = await row(db)
    assert (cancelled.state, cancelled.last_error) == (ReminderState.CANCELLED, reason)


async def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited in vain for {what}"
        await asyncio.sleep(0.05)


async def test_a_cancellation_while_the_message_is_in_flight_records_it_as_sent(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    """The provider accepts what was in flight: the record says sent, with the provider's id,
    and the status callback still finds it."""
    _, visit, _ = await one_reminder(db)
    config = fake_twilio.settings(settings)
    factory = create_session_factory(engine)
    fake_twilio.hold(1)
    dispatching = asyncio.create_task(dispatch_due(factory, TwilioSender(config), config))
    await wait_for(lambda: fake_twilio.state()["held"] == 1, "the send to reach the provider")
    async with factory() as session:  # the family's call: staff cancel, in its own transaction
        staff_sees = await session.get_one(Visit, visit.id, with_for_update=True)
        await booking.cancel(
            session, STAFF, staff_sees, reason="child ill", cutoff_hours=24, settings=config
        )
        await session.commit()
    fake_twilio.release()
    report = await asyncio.wait_for(dispatching, timeout=30)
    assert (report.sent, report.lost, report.errors) == (1, 0, [])
    [message] = fake_twilio.messages()
    sent = await row(db)
    assert (sent.state, sent.provider_message_id) == (ReminderState.SENT, message["sid"])
    assert await db.scalar(sa.select(Visit.status)) is VisitStatus.CANCELLED
    await db.commit()

    params = {"MessageSid": message["sid"], "MessageStatus": "delivered"}
    url = "https://visits.example.org/webhooks/twilio/status"
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    async with AsyncTestClient(app=create_app(config)) as client:
        answer = await client.post(
            "/webhooks/twilio/status", data=params, headers={"X-Twilio-Signature": signature}
        )
    assert answer.status_code == 200
    assert (await row(db)).state is ReminderState.DELIVERED


async def test_a_cancellation_before_the_send_starts_stops_a_claimed_reminder(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, fake_twilio: FakeTwilio
) -> None:
    """Claimed, not started: the cancellation takes the row over, so nothing goes out (the
    dispatcher's own start is a conditional update on the same row)."""
    reminder, visit, _ = await one_reminder(db)
    config = fake_twilio.settings(settings)
    factory = create_session_factory(engine)
    async with factory() as session:
        claimed, _ = await claim(session, 10)
    assert claimed == [reminder.id]
    async with factory() as session:
        staff_sees = await session.get_one(Visit, visit.id, with_for_update=True)
        await booking.cancel(
            session, STAFF, staff_sees, reason="child ill", cutoff_hours=24, settings=config
        )
        await session.commit()
    assert (await row(db)).state is ReminderState.CANCELLED
    report = await dispatch_due(factory, TwilioSender(config), config)
    assert report.claimed == 0
    assert fake_twilio.messages() == []


def test_quiet_hours_end_on_the_right_morning() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    night = (clock(21, 0), clock(8, 0))
    evening = datetime(2026, 3, 28, 22, 30, tzinfo=berlin)  # the night the clocks go forward
    assert quiet_hours_end(evening, *night) == datetime(2026, 3, 29, 8, 0, tzinfo=berlin)
    real = quiet_hours_end(evening, *night).astimezone(UTC) - evening.astimezone(UTC)
    assert real == timedelta(hours=8, minutes=30)  # an hour shorter than on the clock
    small_hours = datetime(2026, 3, 29, 5, 0, tzinfo=berlin)
    assert quiet_hours_end(small_hours, *night) == datetime(2026, 3, 29, 8, 0, tzinfo=berlin)
    lunch = datetime(2026, 3, 30, 12, 30, tzinfo=berlin)
    assert quiet_hours_end(lunch, clock(12), clock(14)) == datetime(2026, 3, 30, 14, tzinfo=berlin)
