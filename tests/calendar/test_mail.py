"""E-mailed invites through a real SMTP server on 127.0.0.1 (aiosmtpd): after confirm,
reschedule, cancel, staff decisions and phone bookings; never for replays; failures are logged and
never fail the request."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.booking_helpers import DEMO_EMAIL, Family, book, demo_family
from tests.calendar.checks import assert_valid, events, values
from tests.calendar.helpers import SmtpSink, free_port
from visits.app import create_app
from visits.db.models import Facility, Household
from visits.enums import StaffRole
from visits.settings import Settings

SENDER = "noreply@visits.example"
FORBIDDEN = ("Mia", "Leon", "Jonas", "MS-2026-0042")


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def with_smtp(settings: Settings, port: int) -> Settings:
    return msgspec.structs.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security="none",
        mail_sender=SENDER,
        public_url="https://visits.example.org",
    )


@pytest.fixture
async def mailing(settings: Settings, smtp: SmtpSink, db: AsyncSession) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(with_smtp(settings, smtp.port))) as client:
        yield client


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    """The demo family, signed in through an app without SMTP (its log channel shows the code);
    the token works with ``mailing`` too, so the sink receives only what the visits send."""
    return await demo_family(client, db, caplog)


def _is_invite(message: EmailMessage) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in message.walk())


async def received(smtp: SmtpSink, count: int) -> list[EmailMessage]:
    """The invites received (``count`` of them): after-commit effects are delivered before the
    test client returns the response (and a job's before it returns), so they are all there."""
    invites = [message for _, _, message in smtp.messages if _is_invite(message)]
    assert len(invites) == count, [m[2]["Subject"] for m in smtp.messages]
    return invites


def notices(smtp: SmtpSink) -> list[tuple[str, str]]:
    """Subject and text of each notice received (a message without an invite)."""
    return [
        (str(message["Subject"]), str(message.get_body(("plain",)).get_content()))  # type: ignore[union-attr]
        for _, _, message in smtp.messages
        if not _is_invite(message)
    ]


def calendar_part(message: EmailMessage) -> tuple[str, bytes]:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return str(part.get_param("method")), payload


async def test_a_confirmation_mails_text_html_and_the_request(
    mailing: Client, smtp: SmtpSink, family: Family
) -> None:
    booked = await book(mailing, family, family.family_slots[0])
    [message] = await received(smtp, 1)
    mail_from, rcpt_tos, _ = smtp.messages[0]
    assert (mail_from, rcpt_tos) == (SENDER, [DEMO_EMAIL])
    assert message["From"] == f"JVA Musterstadt <{SENDER}>"
    assert message["To"] == f"Anna Beispiel <{DEMO_EMAIL}>"
    assert message["Reply-To"] == "JVA Musterstadt <besuch@jva-musterstadt.example>"
    assert message["Subject"].startswith("Besuch bestätigt: ")
    assert message["Content-Language"] == "de"
    # multipart/alternative: text, HTML, text/calendar; method=REQUEST; charset=UTF-8
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html", "text/calendar"]
    calendar = parts[2]
    assert calendar.get_param("method") == "REQUEST"
    assert str(calendar.get_param("charset")).upper() == "UTF-8"
    method, data = calendar_part(message)
    assert method == "REQUEST"
    assert_valid(data, "REQUEST")
    [event] = events(data)
    assert values(event, "UID") == [booked["ical_uid"]]
    assert values(event, "SEQUENCE") == ["0"]
    organizer = next(line for line in event if line.startswith("ORGANIZER"))
    assert f'SENT-BY="mailto:{SENDER}"' in organizer
    text = parts[0].get_content()
    html = parts[1].get_content()
    manage = f"https://visits.example.org/my-visits/{booked['id']}"
    assert "Guten Tag Anna Beispiel," in text
    assert booked["reference"] in text
    assert manage in text
    assert f'<a href="{manage}">' in html
    assert "<li>" in html  # what to bring, as a list
    for body in (text, html, data.decode()):
        for name in FORBIDDEN:
            assert not re.search(rf"\b{name}\b", body), name


async def test_reschedule_and_cancel_mail_updates_but_replays_mail_nothing(
    mailing: Client, smtp: SmtpSink, family: Family
) -> None:
    booked = await book(mailing, family, family.family_slots[0])
    await received(smtp, 1)
    moved = await mailing.post(
        f"/api/v1/household/visits/{booked['id']}/reschedule",
        headers=family.headers,
        json={"slot_id": str(family.family_slots[1])},
    )
    assert moved.status_code == 200
    second = (await received(smtp, 2))[1]
    assert second["Subject"].startswith("Besuch geändert: ")
    method, data = calendar_part(second)
    assert method == "REQUEST"
    assert_valid(data, "REQUEST")
    assert values(events(data)[0], "SEQUENCE") == ["1"]
    key = {"Idempotency-Key": f"cancel-{uuid.uuid4()}"}
    for _ in range(2):
        cancelled = await mailing.post(
            f"/api/v1/household/visits/{booked['id']}/cancel",
            headers=family.headers | key,
            json={"reason": "ill"},
        )
        assert cancelled.status_code == 200
    assert cancelled.headers["Idempotent-Replayed"] == "true"
    third = (await received(smtp, 3))[2]
    assert third["Subject"].startswith("Besuch abgesagt: ")
    method, data = calendar_part(third)
    assert method == "CANCEL"
    assert_valid(data, "CANCEL")
    event = events(data)[0]
    assert values(event, "SEQUENCE") == ["2"]
    assert values(event, "UID") == [booked["ical_uid"]]
    await asyncio.sleep(0.3)
    assert len(smtp.messages) == 3  # the replay sent nothing


async def test_staff_decisions_phone_bookings_and_cancellations_mail_the_family(
    mailing: Client, smtp: SmtpSink, db: AsyncSession, family: Family
) -> None:
    await db.execute(sa.update(Facility).values(request_mode=True))
    household_id = await db.scalar(sa.select(Household.id))
    await db.commit()
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, family.facility_id)])
    officer = bearer(await staff_token(mailing, "officer@example.org"))
    requested = await book(mailing, family, family.family_slots[0])
    assert requested["status"] == "requested"
    first = (await received(smtp, 1))[0]
    assert first["Subject"].startswith("Besuchsanfrage erhalten: ")
    method, data = calendar_part(first)
    assert method == "REQUEST"
    assert_valid(data, "REQUEST")
    assert values(events(data)[0], "STATUS") == ["TENTATIVE"]
    approved = await mailing.post(
        f"/api/v1/staff/visits/{requested['id']}/decision",
        headers=officer,
        json={"decision": "approve", "reason": "checked"},
    )
    assert approved.status_code == 200
    second = (await received(smtp, 2))[1]
    method, data = calendar_part(second)
    assert (method, values(events(data)[0], "STATUS")) == ("REQUEST", ["CONFIRMED"])
    assert_valid(data, "REQUEST")
    cancelled = await mailing.post(
        f"/api/v1/staff/visits/{requested['id']}/cancel",
        headers=officer,
        json={"reason": "room closed for repairs"},
    )
    assert cancelled.status_code == 200
    third = (await received(smtp, 3))[2]
    method, data = calendar_part(third)
    assert method == "CANCEL"
    assert_valid(data, "CANCEL")
    assert values(events(data)[0], "SEQUENCE") == ["1"]
    assert "room closed" not in data.decode()  # the calendar object does not carry the reason
    # The staff decisions were also notices: e-mails in the household's language, without the
    # children's names; the cancellation gives the reason staff wrote for the family.
    told = notices(smtp)
    assert [subject for subject, _ in told] == ["Besuch bestätigt", "Besuch abgesagt"]
    assert "room closed for repairs" in told[1][1]
    assert all(name not in text for _, text in told for name in FORBIDDEN)
    await db.execute(sa.update(Facility).values(request_mode=False))
    await db.commit()
    phoned = await mailing.post(
        "/api/v1/staff/visits",
        headers=officer,
        json={
            "household_id": str(household_id),
            "prisoner_id": str(family.prisoner_id),
            "slot_id": str(family.family_slots[2]),
            "visitor_ids": family.everyone,
            "channel": "phone",
        },
    )
    assert phoned.status_code == 201, phoned.text
    fourth = (await received(smtp, 4))[3]
    method, data = calendar_part(fourth)
    assert method == "REQUEST"
    assert_valid(data, "REQUEST")
    assert values(events(data)[0], "UID") == [phoned.json()["ical_uid"]]


async def test_no_address_no_mail_and_a_dead_server_never_fails_the_booking(
    settings: Settings, db: AsyncSession, caplog: pytest.LogCaptureFixture, family: Family
) -> None:
    dead = with_smtp(settings, free_port())  # nobody listens there
    async with AsyncTestClient(app=create_app(dead)) as client:
        booked = await book(client, family, family.family_slots[0])
        assert booked["status"] == "confirmed"
        failures = [
            r.msg
            for r in caplog.records
            if isinstance(r.msg, dict) and r.msg.get("event") == "invite_mail_failed"
        ]
        assert len(failures) == 1
        assert failures[0]["visit_id"] == booked["id"]
        assert failures[0]["method"] == "REQUEST"
        assert "ConnectionRefusedError" in failures[0]["error"]
        logged = str(failures[0])
        assert all(name not in logged for name in FORBIDDEN)
    with SmtpSink() as sink:
        async with AsyncTestClient(app=create_app(with_smtp(settings, sink.port))) as client:
            await db.execute(sa.update(Household).values(email=None))
            await db.commit()
            cancelled = await client.post(
                f"/api/v1/household/visits/{booked['id']}/cancel",
                headers=family.headers,
                json={},
            )
            assert cancelled.status_code == 200
            assert sink.messages == []


async def test_a_request_rejected_by_the_job_mails_the_cancel(
    mailing: Client,
    db: AsyncSession,
    family: Family,
    smtp: SmtpSink,
    settings: Settings,
    engine: Any,
) -> None:
    from visits.db.engine import create_session_factory
    from visits.scheduler.jobs import reject_stale_requests

    await db.execute(sa.update(Facility).values(request_mode=True))
    await db.commit()
    booked = await book(mailing, family, family.family_slots[0])
    assert booked["status"] == "requested"
    first = await received(smtp, 1)
    assert calendar_part(first[0])[0] == "REQUEST"
    job_settings = msgspec.structs.replace(
        with_smtp(settings, smtp.port), request_cutoff_hours=24 * 60
    )
    assert await reject_stale_requests(create_session_factory(engine), job_settings) == 1
    messages = await received(smtp, 2)
    method, body = calendar_part(messages[1])
    assert method == "CANCEL"
    assert b"STATUS:CANCELLED" in body
    assert_valid(body, "CANCEL")
