"""What the pages' changes send, through a real SMTP server on 127.0.0.1: the booking services
register the invite e-mail and the household's notice, so each change sends them exactly once;
an error page sends nothing and keeps nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import msgspec
import pytest
import sqlalchemy as sa
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.booking_helpers import Family, demo_family
from tests.calendar.helpers import SmtpSink
from tests.web.console_helpers import LEAD, OFFICER, demo_facility, staff_signs_in
from tests.web.test_pages import _form_token
from visits.app import create_app
from visits.db.base import utcnow
from visits.db.models import Household, Slot, Visit, VisitorApproval
from visits.enums import VisitStatus, VisitType
from visits.settings import Settings
from visits.web.security import SESSION_COOKIE


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
async def mailing(settings: Settings, smtp: SmtpSink, db: AsyncSession) -> AsyncIterator[Client]:
    mailed = msgspec.structs.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        mail_sender="noreply@visits.example",
    )
    async with AsyncTestClient(app=create_app(mailed)) as client:
        yield client


async def _subjects(smtp: SmtpSink, count: int) -> list[str]:
    """The subjects once ``count`` messages arrived (sending runs after the response), making
    sure no further one follows."""
    for _ in range(100):
        if len(smtp.messages) >= count:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    subjects = [str(message["Subject"]) for _, _, message in smtp.messages]
    assert len(subjects) == count, subjects
    return subjects


def _notices(caplog: pytest.LogCaptureFixture, to: str) -> list[str]:
    return [
        str(r.msg.get("purpose"))
        for r in caplog.records
        if isinstance(r.msg, dict)
        and r.msg.get("event") == "message_logged_not_sent"
        and r.msg.get("to") == to
        and str(r.msg.get("purpose", "")).startswith("visit_")
    ]


async def _signed_in(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> tuple[Family, str]:
    family = await demo_family(client, db, caplog)
    client.cookies.set(SESSION_COOKIE, family.headers["Authorization"].split(" ", 1)[1])
    return family, await _form_token(client, "/book")


async def test_confirm_move_and_cancel_on_the_pages_each_mail_the_invite_once(
    mailing: Client, smtp: SmtpSink, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family, token = await _signed_in(mailing, db, caplog)
    held = await mailing.post(
        f"/book/{family.prisoner_id}/hold",
        data={
            "slot_id": str(family.family_slots[0]),
            "visitors": ",".join(family.everyone),
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert held.status_code == 303, held.text
    visit_path = held.headers["location"].split("?")[0]
    assert await _subjects(smtp, 0) == []  # a hold is no booking yet
    confirmed = await mailing.post(
        f"{visit_path}/confirm", data={"csrf_token": token}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    assert (await _subjects(smtp, 1))[0].startswith("Besuch bestätigt: ")
    again = await mailing.post(f"{visit_path}/confirm", data={"csrf_token": token})
    assert again.status_code == 409  # no longer held: an error page, and no second mail
    await _subjects(smtp, 1)
    moved = await mailing.post(
        f"{visit_path}/reschedule",
        data={"slot_id": str(family.family_slots[1]), "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert (await _subjects(smtp, 2))[1].startswith("Besuch geändert: ")
    cancelled = await mailing.post(
        f"{visit_path}/cancel", data={"csrf_token": token}, follow_redirects=False
    )
    assert cancelled.status_code == 303
    assert (await _subjects(smtp, 3))[2].startswith("Besuch abgesagt: ")
    assert _notices(caplog, "anna.beispiel@example.org") == []  # the family acted itself


async def test_an_approval_request_for_an_unknown_prisoner_says_so_and_stores_nothing(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family, token = await _signed_in(client, db, caplog)
    before = await db.scalar(sa.select(sa.func.count()).select_from(VisitorApproval))
    await db.commit()
    answer = await client.post(
        "/book/approval",
        data={
            "facility_id": str(family.facility_id),
            "prison_number": "no such number",
            "prisoner_family_name": "Nobody",
            "visitor": "all",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 422
    assert "Mit diesen Angaben haben wir die Person nicht gefunden." in answer.text
    after = await db.scalar(sa.select(sa.func.count()).select_from(VisitorApproval))
    assert after == before


async def test_staff_decisions_and_phone_bookings_tell_the_family_once(
    mailing: Client, smtp: SmtpSink, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    request = await db.scalar(sa.select(Visit).where(Visit.status == VisitStatus.REQUESTED))
    assert request is not None
    household = await db.scalar(
        sa.select(Household).where(Household.email == "anna.beispiel@example.org")
    )
    assert household is not None
    slot = await db.scalar(
        sa.select(Slot)
        .where(
            Slot.visit_type == VisitType.CHILD_FAMILY, Slot.starts_at > utcnow() + timedelta(days=9)
        )
        .order_by(Slot.starts_at)
    )
    assert slot is not None
    visit_path = f"/staff/facilities/{facility_id}/visits/{request.id}"
    household_id, slot_id = household.id, slot.id
    await db.commit()

    token = await staff_signs_in(mailing, LEAD)
    approved = await mailing.post(
        f"{visit_path}/decision",
        data={"csrf_token": token, "decision": "approve", "reason": "Checked with the office"},
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text
    assert len(await _subjects(smtp, 1)) == 1
    assert _notices(caplog, "deniz.kaya@example.org") == ["visit_confirmed"]
    twice = await mailing.post(
        f"{visit_path}/decision",
        data={"csrf_token": token, "decision": "reject", "reason": "Changed my mind"},
    )
    assert twice.status_code == 409  # nothing to decide any more: nothing sent
    assert "This visit is not waiting for a decision any more." in twice.text
    await _subjects(smtp, 1)
    assert _notices(caplog, "deniz.kaya@example.org") == ["visit_confirmed"]

    token = await staff_signs_in(mailing, OFFICER)
    base = f"/staff/facilities/{facility_id}/phone-booking"
    found = await mailing.get(base, params={"household": "anna.beispiel@example.org"})
    prisoner_id = found.text.split('name="prisoner_id"', 1)[1].split('<option value="', 1)[1][:36]
    everyone = [
        value.split('"', 1)[0] for value in found.text.split('name="visitor_ids" value="')[1:]
    ]
    booked = await mailing.post(
        base,
        data={
            "csrf_token": token,
            "lookup": "anna.beispiel@example.org",
            "household_id": str(household_id),
            "prisoner_id": prisoner_id,
            "slot_id": str(slot_id),
            "visitor_ids": everyone,
            "channel": "phone",
            "action": "book",
        },
        follow_redirects=False,
    )
    assert booked.status_code == 303, booked.text
    assert (await _subjects(smtp, 2))[1].startswith("Besuch bestätigt: ")
