"""The notice outbox: written with the change, sent at once after the commit, retried with
back-off when a channel fails, given up when a message cannot be delivered, and sent exactly once
by dispatchers running in two processes at the same time."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, logged_codes, staff_token
from tests.booking_helpers import DEMO_EMAIL, Family, book, demo_family
from tests.calendar.helpers import BERLIN, SmtpSink, free_port
from tests.notify.fake_twilio import FakeTwilio
from visits.app import create_app
from visits.db.base import utcnow
from visits.db.engine import create_session_factory
from visits.db.models import Household, Notice
from visits.enums import (
    ContactChannel,
    Language,
    NoticeKind,
    NotifyBy,
    ReminderState,
    StaffRole,
)
from visits.notify.channels import EmailChannel, Notifier, notifier_for
from visits.notify.notice_dispatch import MAX_ATTEMPTS, dispatch_notices
from visits.notify.outbox import contacts
from visits.settings import Settings

SENDER = "noreply@visits.example"


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as server:
        yield server


def mailed(settings: Settings, port: int) -> Settings:
    return msgspec.structs.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", mail_sender=SENDER
    )


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def visit_notices(db: AsyncSession) -> list[Notice]:
    found = list(
        await db.scalars(
            sa.select(Notice)
            .where(Notice.visit_id.is_not(None))
            .order_by(Notice.created_at)
            .execution_options(populate_existing=True)
        )
    )
    await db.commit()
    return found


async def test_a_staff_cancellation_is_written_with_it_and_sent_at_once(
    settings: Settings, smtp: SmtpSink, db: AsyncSession, family: Family
) -> None:
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, family.facility_id)])
    async with AsyncTestClient(app=create_app(mailed(settings, smtp.port))) as client:
        officer = bearer(await staff_token(client, "officer@example.org"))
        visit = await book(client, family, family.family_slots[0])
        smtp.messages.clear()  # the invite
        cancelled = await client.post(
            f"/api/v1/staff/visits/{visit['id']}/cancel",
            headers=officer,
            json={"reason": "the family room is being repaired"},
        )
        assert cancelled.status_code == 200, cancelled.text
    [notice] = await visit_notices(db)
    assert (notice.kind, notice.state, notice.attempts) == (
        NoticeKind.VISIT_CANCELLED,
        ReminderState.SENT,
        1,
    )
    assert notice.params == {}  # the words are in the message, not kept
    told = [
        m for _, to, m in smtp.messages if to == [DEMO_EMAIL] and m["Subject"] == "Besuch abgesagt"
    ]
    assert len(told) == 1
    text = str(told[0].get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert visit["reference"] in text
    assert "the family room is being repaired" in text
    assert all(name not in text for name in ("Mia", "Leon"))  # no child is named


async def test_a_failed_send_is_retried_with_back_off_and_then_sent(
    settings: Settings, db: AsyncSession, engine: AsyncEngine, family: Family
) -> None:
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, family.facility_id)])
    dead = mailed(settings, free_port())  # nobody listens there
    async with AsyncTestClient(app=create_app(dead)) as client:
        officer = bearer(await staff_token(client, "officer@example.org"))
        visit = await book(client, family, family.family_slots[0])
        cancelled = await client.post(
            f"/api/v1/staff/visits/{visit['id']}/cancel", headers=officer, json={"reason": "ill"}
        )
        assert cancelled.status_code == 200  # a mail server that is down fails nothing
    [notice] = await visit_notices(db)
    assert (notice.state, notice.attempts) == (ReminderState.PENDING, 1)
    assert notice.next_attempt_at is not None
    assert notice.next_attempt_at > utcnow() + timedelta(seconds=20)  # 30 s back-off
    assert "ConnectionRefusedError" in (notice.last_error or "")
    assert notice.params["reason"] == "ill"  # kept until it is sent

    factory = create_session_factory(engine)
    with SmtpSink() as sink:
        notifier = notifier_for(mailed(settings, sink.port))
        early = await dispatch_notices(factory, notifier)
        assert early.claimed == 0  # not yet due
        await db.execute(sa.update(Notice).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        await db.commit()
        report = await dispatch_notices(factory, notifier)
        assert (report.claimed, report.sent) == (1, 1)
        assert [m["Subject"] for _, _, m in sink.messages] == ["Besuch abgesagt"]
    [notice] = await visit_notices(db)
    assert (notice.state, notice.attempts, notice.last_error) == (ReminderState.SENT, 2, None)


async def _household(db: AsyncSession, **contact: Any) -> Household:
    household = Household(guardian_name="Neu", language=Language("de"), **contact)
    db.add(household)
    await db.flush()
    return household


def _notice(household: Household, channel: ContactChannel, address: str) -> Notice:
    return Notice(
        household_id=household.id,
        kind=NoticeKind.SIGN_IN_CODE,
        channel=channel,
        address=address,
        language=household.language,
        params={"code": "123456", "minutes": 10},
    )


async def test_an_undeliverable_notice_is_recorded_and_never_retried(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, smtp: SmtpSink
) -> None:
    household = await _household(db, phone_e164="+4915112345678")
    db.add(_notice(household, ContactChannel.SMS, "+4915112345678"))
    await db.commit()
    email = notifier_for(mailed(settings, smtp.port)).channels[ContactChannel.EMAIL]
    assert isinstance(email, EmailChannel)
    only_email = Notifier({ContactChannel.EMAIL: email})
    factory = create_session_factory(engine)
    report = await dispatch_notices(factory, only_email)
    assert (report.claimed, report.undeliverable) == (1, 1)
    notice = await db.scalar(sa.select(Notice).execution_options(populate_existing=True))
    assert notice is not None
    assert notice.state is ReminderState.UNDELIVERABLE
    assert notice.last_error == "no sms channel is configured"
    assert notice.params == {}  # the code is not kept
    await db.commit()
    assert (await dispatch_notices(factory, only_email)).claimed == 0


async def test_retries_end_after_the_last_attempt(
    db: AsyncSession, engine: AsyncEngine, settings: Settings
) -> None:
    household = await _household(db, email="a@example.org")
    notice = _notice(household, ContactChannel.EMAIL, "a@example.org")
    notice.attempts = MAX_ATTEMPTS - 1
    db.add(notice)
    await db.commit()
    report = await dispatch_notices(
        create_session_factory(engine), notifier_for(mailed(settings, free_port()))
    )
    assert (report.failed, report.retried) == (1, 0)
    found = await db.scalar(sa.select(Notice).execution_options(populate_existing=True))
    assert found is not None
    assert (found.state, found.attempts, found.next_attempt_at) == (
        ReminderState.FAILED,
        MAX_ATTEMPTS,
        None,
    )
    await db.commit()


async def test_an_erased_household_is_told_nothing(
    db: AsyncSession, engine: AsyncEngine, settings: Settings, smtp: SmtpSink
) -> None:
    household = await _household(db, email="gone@example.org")
    db.add(_notice(household, ContactChannel.EMAIL, "gone@example.org"))
    household.erased_at = utcnow()
    await db.commit()
    notifier = notifier_for(mailed(settings, smtp.port))
    await dispatch_notices(create_session_factory(engine), notifier)
    found = await db.scalar(sa.select(Notice).execution_options(populate_existing=True))
    assert found is not None
    assert (found.state, found.params) == (ReminderState.CANCELLED, {})
    assert smtp.messages == []
    await db.commit()


DISPATCHER = """
import asyncio
from visits.db.engine import create_engine, create_session_factory
from visits.notify.channels import notifier_for
from visits.notify.notice_dispatch import dispatch_notices
from visits.settings import load_settings

async def main() -> None:
    settings = load_settings()
    engine = create_engine(settings.resolved_database_url)
    try:
        report = await dispatch_notices(
            create_session_factory(engine), notifier_for(settings), batch=4
        )
        print("REPORT", report.sent, report.lost)
    finally:
        await engine.dispose()

asyncio.run(main())
"""


async def test_two_dispatcher_processes_send_each_notice_exactly_once(
    db: AsyncSession, database_url: str, tmp_path: Path, smtp: SmtpSink
) -> None:
    household = await _household(db, email="many@example.org")
    addresses = [f"family{i}@example.org" for i in range(40)]
    db.add_all(_notice(household, ContactChannel.EMAIL, address) for address in addresses)
    await db.commit()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")} | {
        "VISITS_ENVIRONMENT": "test",
        "VISITS_DATA_DIR": str(tmp_path),
        "VISITS_DATABASE_URL": database_url,
        "VISITS_SMTP_HOST": "127.0.0.1",
        "VISITS_SMTP_PORT": str(smtp.port),
        "VISITS_SMTP_SECURITY": "none",
        "VISITS_MAIL_SENDER": SENDER,
    }
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            DISPATCHER,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    async with asyncio.timeout(120):
        outputs = [(await p.communicate())[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    reports = [line.split() for out in outputs for line in out.splitlines() if "REPORT" in line]
    assert sum(int(report[-2]) for report in reports) == 40, outputs
    received = sorted(to[0] for _, to, _ in smtp.messages)
    assert received == sorted(addresses)  # each once, none twice
    states = (
        await db.execute(sa.select(Notice.state, sa.func.count()).group_by(Notice.state))
    ).all()
    await db.commit()
    assert dict(states) == {ReminderState.SENT: 40}


async def test_a_move_by_staff_and_a_closure_tell_the_family(
    settings: Settings, smtp: SmtpSink, db: AsyncSession, family: Family
) -> None:
    await add_staff(db, "manager@example.org", [(StaffRole.VISITS_MANAGER, family.facility_id)])
    async with AsyncTestClient(app=create_app(mailed(settings, smtp.port))) as client:
        manager = bearer(await staff_token(client, "manager@example.org"))
        visit = await book(client, family, family.family_slots[0])
        moved = await client.post(
            f"/api/v1/staff/visits/{visit['id']}/reschedule",
            headers=manager,
            json={"slot_id": str(family.family_slots[1])},
        )
        assert moved.status_code == 200, moved.text
        day = datetime.fromisoformat(moved.json()["starts_at"]).astimezone(BERLIN).date()
        closed = await client.post(
            f"/api/v1/staff/facilities/{family.facility_id}/closures",
            headers=manager,
            json={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "lockdown"},
        )
        assert closed.status_code == 201, closed.text
        again = await client.post(  # the visit is flagged already for this: nobody is told twice
            f"/api/v1/staff/facilities/{family.facility_id}/closures",
            headers=manager,
            json={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "lockdown"},
        )
        assert again.status_code == 201, again.text
    notices = await visit_notices(db)
    assert [(n.kind, n.state) for n in notices] == [
        (NoticeKind.VISIT_MOVED, ReminderState.SENT),
        (NoticeKind.VISIT_AFFECTED, ReminderState.SENT),
    ]
    subjects = [str(m["Subject"]) for _, _, m in smtp.messages if "Besuch" in str(m["Subject"])]
    assert "Besuch verlegt" in subjects
    affected = [m for _, _, m in smtp.messages if m["Subject"] == "Bitte prüfen Sie Ihren Besuch"]
    assert len(affected) == 1
    text = str(affected[0].get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "fahren Sie nicht los" in text
    assert "lockdown" not in text  # the staff reason stays with staff


def _contactable(**values: Any) -> Household:
    defaults: dict[str, Any] = {
        "guardian_name": "X",
        "language": Language("de"),
        "email": "x@example.org",
        "phone_e164": "+4915112345678",
        "sms_consent": True,
        "phone_confirmed_at": utcnow(),
        "sms_opted_out_at": None,
        "notify_by": NotifyBy.EMAIL,
    }
    return Household(**(defaults | values))


EMAIL = (ContactChannel.EMAIL, "x@example.org")
SMS = (ContactChannel.SMS, "+4915112345678")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, [EMAIL]),
        ({"notify_by": NotifyBy.SMS}, [SMS]),
        ({"notify_by": NotifyBy.BOTH}, [EMAIL, SMS]),
        ({"notify_by": NotifyBy.SMS, "phone_confirmed_at": None}, [EMAIL]),  # not confirmed
        ({"notify_by": NotifyBy.BOTH, "sms_consent": False}, [EMAIL]),
        ({"notify_by": NotifyBy.SMS, "sms_opted_out_at": utcnow()}, [EMAIL]),
        ({"email": None}, [SMS]),  # the other medium stands in
        ({"email": None, "phone_confirmed_at": None}, []),  # nobody can be reached
    ],
)
def test_the_households_choice_picks_the_channel_with_a_fallback(
    values: dict[str, Any], expected: list[tuple[ContactChannel, str]]
) -> None:
    assert contacts(_contactable(**values)) == expected


async def test_a_code_that_came_back_by_sms_confirms_the_number(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    signed_up = await client.post(
        "/api/v1/auth/households",
        json={"guardian_name": "Nur Telefon", "language": "de", "phone": "0151 23456789"},
    )
    assert signed_up.status_code == 202, signed_up.text
    household = await db.scalar(sa.select(Household))
    assert household is not None
    assert (household.notify_by, household.phone_confirmed_at) == (NotifyBy.SMS, None)
    await db.commit()
    [code] = logged_codes(caplog, "+4915123456789")
    verified = await client.post(
        "/api/v1/auth/household/verify",
        json={"challenge_id": signed_up.json()["challenge_id"], "code": code},
    )
    assert verified.status_code == 200, verified.text
    headers = bearer(verified.json()["token"])
    profile = (await client.get("/api/v1/household", headers=headers)).json()
    assert (profile["phone_confirmed"], profile["notify_by"]) == (True, "sms")
    changed = await client.patch("/api/v1/household", headers=headers, json={"notify_by": "both"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["notify_by"] == "both"
    wrong = await client.patch("/api/v1/household", headers=headers, json={"notify_by": "fax"})
    assert wrong.status_code == 422


async def test_a_booking_is_confirmed_by_text_to_a_household_that_reads_texts(
    settings: Settings,
    smtp: SmtpSink,
    fake_twilio: FakeTwilio,
    db: AsyncSession,
    family: Family,
) -> None:
    delivering = mailed(fake_twilio.settings(settings), smtp.port)
    async with AsyncTestClient(app=create_app(delivering)) as client:
        first = await book(client, family, family.family_slots[0])  # notify_by: e-mail
        assert fake_twilio.messages() == []
        cancelled = await client.post(
            f"/api/v1/household/visits/{first['id']}/cancel", headers=family.headers, json={}
        )
        assert cancelled.status_code == 200  # gives the month's child time back
        await db.execute(sa.update(Household).values(notify_by=NotifyBy.BOTH))
        await db.commit()
        second = await book(client, family, family.family_slots[1])
    assert len([m for _, _, m in smtp.messages if "Besuch bestätigt" in m["Subject"]]) == 2
    [text] = fake_twilio.messages()  # the second booking only, and only as a text
    assert text["To"] == "+4915112345678"
    assert second["reference"] in text["Body"]
    assert "gebucht" in text["Body"]
    kinds = [(n.kind, n.channel, n.state) for n in await visit_notices(db)]
    assert kinds == [(NoticeKind.VISIT_BOOKED, ContactChannel.SMS, ReminderState.SENT)]
    assert first["reference"] not in text["Body"]
