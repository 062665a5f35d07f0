"""What the pages' changes send, through a real SMTP server on 127.0.0.1: the booking services
register the invite e-mail and the household's notice, so each change sends them exactly once;
an error page sends nothing and keeps nothing. After-commit effects are delivered before the
test client returns the response, so what a change sent is in the sink when the call returns."""

from __future__ import annotations

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


def _mails(smtp: SmtpSink) -> list[tuple[str, str]]:
    """(recipient, subject) of every message the SMTP server received, in order."""
    return [(recipients[0], str(message["Subject"])) for _, recipients, message in smtp.messages]


async def _signed_in(
    client: Client,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    browser: Client | None = None,
) -> tuple[Family, str]:
    """The demo family signed in through ``client`` (its log channel shows the code), with its
    session in ``browser`` (by default the same client)."""
    browser = browser or client
    family = await demo_family(client, db, caplog)
    browser.cookies.set(SESSION_COOKIE, family.headers["Authorization"].split(" ", 1)[1])
    return family, await _form_token(browser, "/book")


ANNA, DENIZ = "anna.beispiel@example.org", "deniz.kaya@example.org"


async def test_confirm_move_and_cancel_on_the_pages_each_mail_the_invite_once(
    client: Client,
    mailing: Client,
    smtp: SmtpSink,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    family, token = await _signed_in(client, db, caplog, mailing)
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
    assert _mails(smtp) == []  # a hold is no booking yet
    confirmed = await mailing.post(
        f"{visit_path}/confirm", data={"csrf_token": token}, follow_redirects=False
    )
    assert confirmed.status_code == 303
    [(to, subject)] = _mails(smtp)
    assert to == ANNA
    assert subject.startswith("Besuch bestätigt: ")
    again = await mailing.post(f"{visit_path}/confirm", data={"csrf_token": token})
    assert again.status_code == 409  # no longer held: an error page, and no second mail
    assert len(_mails(smtp)) == 1
    moved = await mailing.post(
        f"{visit_path}/reschedule",
        data={"slot_id": str(family.family_slots[1]), "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert len(_mails(smtp)) == 2
    assert _mails(smtp)[1][1].startswith("Besuch geändert: ")
    cancelled = await mailing.post(
        f"{visit_path}/cancel", data={"csrf_token": token}, follow_redirects=False
    )
    assert cancelled.status_code == 303
    assert len(_mails(smtp)) == 3  # the invites only: the family acted itself, no notice
    assert _mails(smtp)[2][1].startswith("Besuch abgesagt: ")


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
    household = await db.scalar(sa.select(Household).where(Household.email == ANNA))
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
    invite, notice = _mails(smtp)  # the invite, and the staff decision's notice
    assert invite[0] == DENIZ
    assert invite[1].startswith("Visit confirmed: ")  # the household reads English
    assert notice == (DENIZ, "Visit confirmed")
    twice = await mailing.post(
        f"{visit_path}/decision",
        data={"csrf_token": token, "decision": "reject", "reason": "Changed my mind"},
    )
    assert twice.status_code == 409  # nothing to decide any more: nothing sent
    assert "This visit is not waiting for a decision any more." in twice.text
    assert len(_mails(smtp)) == 2

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
    assert len(_mails(smtp)) == 3
    to, subject = _mails(smtp)[2]
    assert to == ANNA
    assert subject.startswith("Besuch bestätigt: ")
