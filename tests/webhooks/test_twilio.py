"""Twilio webhooks: signatures, statuses that only move forward, STOP/START/HELP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession
from twilio.request_validator import RequestValidator

from tests.notify.test_dispatch import due_reminders
from visits.app import create_app
from visits.db.base import utcnow
from visits.db.models import Household, Reminder, Visit
from visits.enums import ReminderState, VisitStatus
from visits.settings import Settings

TOKEN = "webhook-test-token"
PUBLIC = "https://visits.example.org"
PHONE = "+4915112345678"


@pytest.fixture
async def hooks(settings: Settings, db: AsyncSession) -> AsyncIterator[AsyncTestClient[Any]]:
    configured = msgspec.structs.replace(settings, twilio_auth_token=TOKEN, public_url=PUBLIC)
    async with AsyncTestClient(app=create_app(configured)) as client:
        yield client


def signed(path: str, params: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    signature = RequestValidator(token).compute_signature(f"{PUBLIC}{path}", params)
    return {"X-Twilio-Signature": signature}


async def post(
    client: AsyncTestClient[Any],
    path: str,
    params: dict[str, str],
    headers: dict[str, str] | None = None,
) -> Any:
    return await client.post(
        path, data=params, headers=headers if headers is not None else signed(path, params)
    )


async def sent_reminder(db: AsyncSession) -> Reminder:
    await due_reminders(db, visits=1, per_visit=1)
    reminder = await db.scalar(sa.select(Reminder))
    assert reminder is not None
    reminder.state, reminder.provider_message_id, reminder.provider_status = (
        ReminderState.SENT,
        "SM0001",
        "queued",
    )
    await db.commit()
    return reminder


async def test_forged_and_unsigned_requests_are_refused(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await sent_reminder(db)
    params = {"MessageSid": "SM0001", "MessageStatus": "delivered"}
    path = "/webhooks/twilio/status"
    unsigned = await post(hooks, path, params, headers={})
    forged = await post(hooks, path, params, headers=signed(path, params, token="guess"))
    tampered = await post(
        hooks, path, params | {"MessageStatus": "failed"}, headers=signed(path, params)
    )
    for response in (unsigned, forged, tampered):
        assert response.status_code == 403
        assert response.json()["type"] == "urn:visits:problem:invalid-signature"
    state = await db.scalar(
        sa.select(Reminder.provider_status).execution_options(populate_existing=True)
    )
    assert state == "queued"
    await db.commit()


async def test_statuses_only_move_forward(hooks: AsyncTestClient[Any], db: AsyncSession) -> None:
    await sent_reminder(db)
    path = "/webhooks/twilio/status"
    for status in ("sent", "delivered", "sent", "queued", "delivered"):  # reordered, repeated
        response = await post(hooks, path, {"MessageSid": "SM0001", "MessageStatus": status})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
    row = await db.scalar(sa.select(Reminder).execution_options(populate_existing=True))
    assert row is not None
    assert (row.provider_status, row.state) == ("delivered", ReminderState.DELIVERED)
    await db.commit()  # end the read: on SQLite an open transaction holds the write lock
    unknown = await post(hooks, path, {"MessageSid": "SM9999", "MessageStatus": "delivered"})
    assert unknown.status_code == 200


async def test_stop_cancels_pending_reminders_and_start_plans_them_again(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await due_reminders(db, visits=2, per_visit=1)
    await db.execute(sa.update(Reminder).values(due_at=utcnow() + timedelta(hours=1)))
    await db.commit()
    path = "/webhooks/twilio/inbound"
    stop = await post(hooks, path, {"From": PHONE, "Body": "STOP", "OptOutType": "STOP"})
    assert stop.status_code == 200
    states = set(
        await db.scalars(sa.select(Reminder.state).execution_options(populate_existing=True))
    )
    assert states == {ReminderState.CANCELLED}
    household = await db.scalar(sa.select(Household).execution_options(populate_existing=True))
    assert household is not None
    assert household.sms_opted_out_at is not None
    await db.commit()
    start = await post(hooks, path, {"From": PHONE, "Body": "START", "OptOutType": "START"})
    assert start.status_code == 200
    household = await db.scalar(sa.select(Household).execution_options(populate_existing=True))
    assert household is not None
    assert household.sms_opted_out_at is None
    confirmed = await db.scalar(
        sa.select(sa.func.count()).select_from(Visit).where(Visit.status == VisitStatus.CONFIRMED)
    )
    pending = await db.scalar(
        sa.select(sa.func.count())
        .select_from(Reminder)
        .where(Reminder.state == ReminderState.PENDING)
    )
    assert confirmed == 2
    assert pending is not None
    assert pending >= 1  # the configured offsets still ahead, planned again
    await db.commit()
    helped = await post(hooks, path, {"From": PHONE, "Body": "help"})
    assert "STOP" in helped.text
    assert "<Message>" in helped.text


async def test_webhooks_need_a_configured_token(settings: Settings, db: AsyncSession) -> None:
    params = {"From": PHONE, "Body": "STOP"}
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.post(
            "/webhooks/twilio/inbound",
            data=params,
            headers=signed("/webhooks/twilio/inbound", params, ""),
        )
    assert response.status_code == 403


# The contract: form-encoded bodies, TwiML answers, and the signature checked first.


async def test_the_signature_is_checked_before_the_form_is_read(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await due_reminders(db, visits=1, per_visit=1)
    await db.commit()
    path = "/webhooks/twilio/inbound"
    for field, value in (("From", "+49" * 40), ("Body", "x" * 5000), ("OptOutType", "STOP\x00")):
        hostile = {"From": PHONE, "Body": "STOP", field: value}
        unsigned = await post(hooks, path, hostile, headers={})
        assert unsigned.status_code == 403  # a stranger learns nothing about the fields
        assert unsigned.json()["type"] == "urn:visits:problem:invalid-signature"
        signed_but_wrong = await post(hooks, path, hostile)
        assert signed_but_wrong.status_code == 400
        assert signed_but_wrong.headers["content-type"].startswith("application/problem+json")
        assert [e["name"] for e in signed_but_wrong.json()["errors"]] == [field]
    household = await db.scalar(sa.select(Household).execution_options(populate_existing=True))
    assert household is not None
    assert household.sms_opted_out_at is None  # every one of them said STOP; none was heard
    await db.commit()
    as_json = await hooks.post(path, json={"From": PHONE, "Body": "STOP"})
    assert as_json.status_code == 403


async def test_a_stop_with_a_line_break_still_opts_out(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    await due_reminders(db, visits=1, per_visit=1)
    await db.commit()
    response = await post(
        hooks, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "Stop\r\nthanks"}
    )
    assert response.status_code == 200
    household = await db.scalar(sa.select(Household).execution_options(populate_existing=True))
    assert household is not None
    assert household.sms_opted_out_at is not None
    await db.commit()


async def test_the_webhooks_document_their_form_bodies_and_answers(
    hooks: AsyncTestClient[Any], db: AsyncSession
) -> None:
    spec = (await hooks.get("/schema/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    for path, form, fields in (
        ("/webhooks/twilio/status", "StatusCallbackForm", {"MessageSid", "MessageStatus"}),
        ("/webhooks/twilio/inbound", "InboundMessageForm", {"From", "Body", "OptOutType"}),
    ):
        operation = spec["paths"][path]["post"]
        assert len(operation["description"]) > 100
        body = operation["requestBody"]["content"]
        assert list(body) == ["application/x-www-form-urlencoded"]
        assert body["application/x-www-form-urlencoded"]["schema"]["$ref"].endswith(form)
        properties = schemas[form]["properties"]
        assert fields <= set(properties)
        assert all("maxLength" in p for p in properties.values())
        answers = operation["responses"]
        assert list(answers["200"]["content"]) == ["text/xml"]
        assert "<Response>" in str(answers["200"]["content"]["text/xml"]["examples"])
        assert "urn:visits:problem:invalid-signature" in answers["403"]["description"]
        assert list(answers["403"]["content"]) == ["application/problem+json"]
