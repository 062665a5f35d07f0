"""Twilio status callbacks for notices to families: the same forward-only path as reminders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.notify.test_dispatch import due_reminders
from tests.webhooks.test_twilio import PHONE, PUBLIC, TOKEN, post, signed
from visits.app import create_app
from visits.db.base import utcnow
from visits.db.models import Household, Notice, Reminder, Visit
from visits.enums import ContactChannel, Language, NoticeKind, ReminderState
from visits.notify.queries import count_notices_needing_attention
from visits.settings import Settings

STATUS = "/webhooks/twilio/status"
REMINDER_SID = "SM00000000000000000000000000000001"
NOTICE_SID = "SM00000000000000000000000000000002"


@pytest.fixture
async def hooks(settings: Settings, db: AsyncSession) -> AsyncIterator[AsyncTestClient[Any]]:
    configured = msgspec.structs.replace(settings, twilio_auth_token=TOKEN, public_url=PUBLIC)
    async with AsyncTestClient(app=create_app(configured)) as client:
        yield client


async def sent_notice_and_reminder(db: AsyncSession) -> None:
    """A visit of the demo household with a reminder and a notice, both sent by SMS."""
    await due_reminders(db, visits=1, per_visit=1)
    reminder = await db.scalar(sa.select(Reminder))
    visit = await db.scalar(sa.select(Visit))
    household = await db.scalar(sa.select(Household))
    assert reminder is not None
    assert visit is not None
    assert household is not None
    reminder.state, reminder.provider_message_id, reminder.provider_status = (
        ReminderState.SENT,
        REMINDER_SID,
        "queued",
    )
    db.add(
        Notice(
            household_id=household.id,
            visit_id=visit.id,
            kind=NoticeKind.VISIT_CANCELLED,
            channel=ContactChannel.SMS,
            address=PHONE,
            language=Language("de"),
            params={},
            state=ReminderState.SENT,
            attempts=1,
            provider_message_id=NOTICE_SID,
            sent_at=utcnow(),
        )
    )
    await db.commit()


async def rows(db: AsyncSession) -> tuple[Notice, Reminder]:
    fresh = sa.select(Notice).execution_options(populate_existing=True)
    notice = await db.scalar(fresh)
    reminder = await db.scalar(sa.select(Reminder).execution_options(populate_existing=True))
    assert notice is not None
    assert reminder is not None
    await db.commit()  # end the read: on SQLite an open transaction holds the write lock
    return notice, reminder


async def test_a_notice_status_only_moves_forward_and_leaves_reminders_alone(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await sent_notice_and_reminder(db)
    for status in ("sent", "delivered", "sent", "queued", "delivered"):  # reordered, repeated
        response = await post(hooks, STATUS, {"MessageSid": NOTICE_SID, "MessageStatus": status})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
    notice, reminder = await rows(db)
    assert (notice.provider_status, notice.state) == ("delivered", ReminderState.DELIVERED)
    assert notice.last_error is None
    assert (reminder.provider_status, reminder.state) == ("queued", ReminderState.SENT)
    # The reminder's own callback still reaches the reminder, not the notice.
    answer = await post(hooks, STATUS, {"MessageSid": REMINDER_SID, "MessageStatus": "sent"})
    assert answer.status_code == 200
    notice, reminder = await rows(db)
    assert reminder.provider_status == "sent"
    assert notice.provider_status == "delivered"


@pytest.mark.parametrize("status", ["failed", "undelivered"])
async def test_a_failed_sms_notice_keeps_its_error_and_needs_attention(
    hooks: AsyncTestClient[Any], db: AsyncSession, status: str
) -> None:
    await sent_notice_and_reminder(db)
    facility_id = await db.scalar(sa.select(Visit.facility_id))
    assert facility_id is not None
    assert await count_notices_needing_attention(db, facility_id) == 0
    await db.commit()
    failed = {"MessageSid": NOTICE_SID, "MessageStatus": status, "ErrorCode": "30003"}
    assert (await post(hooks, STATUS, failed)).status_code == 200
    for late in ("sent", "delivered"):  # the end of the message is final
        answer = await post(hooks, STATUS, {"MessageSid": NOTICE_SID, "MessageStatus": late})
        assert answer.status_code == 200
    notice, reminder = await rows(db)
    assert notice.state is ReminderState.UNDELIVERABLE  # as a reminder's failed SMS
    assert notice.provider_status == status
    assert notice.last_error == f"{status} 30003"
    assert reminder.state is ReminderState.SENT
    assert await count_notices_needing_attention(db, facility_id) == 1
    await db.commit()


async def test_an_unsigned_callback_changes_no_notice(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await sent_notice_and_reminder(db)
    params = {"MessageSid": NOTICE_SID, "MessageStatus": "failed", "ErrorCode": "30003"}
    forged = await post(hooks, STATUS, params, headers=signed(STATUS, params, token="guess"))
    unsigned = await post(hooks, STATUS, params, headers={})
    assert (forged.status_code, unsigned.status_code) == (403, 403)
    notice, _ = await rows(db)
    assert (notice.state, notice.provider_status, notice.last_error) == (
        ReminderState.SENT,
        None,
        None,
    )


async def test_an_opted_out_number_on_a_notice_stops_sms_as_stop_does(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await sent_notice_and_reminder(db)
    await db.execute(sa.update(Reminder).values(state=ReminderState.PENDING))
    await db.commit()
    params = {
        "MessageSid": NOTICE_SID,
        "MessageStatus": "undelivered",
        "ErrorCode": "21610",
        "To": PHONE,
    }
    assert (await post(hooks, STATUS, params)).status_code == 200
    notice, reminder = await rows(db)
    assert notice.last_error == "undelivered 21610"
    assert reminder.state is ReminderState.CANCELLED  # the number's pending reminders
    household = await db.scalar(sa.select(Household).execution_options(populate_existing=True))
    assert household is not None
    assert household.sms_opted_out_at is not None
    await db.commit()
