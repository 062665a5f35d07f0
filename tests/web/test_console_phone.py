"""Phone bookings for real callers, in process, on SQLite and PostgreSQL: a caller who is not
in the demo is not found, gets a household with their people set up by the visits officer
(audited, each person asking for approval), is found again by name, prison number and the
mobile number in another formatting, and is booked into a time chosen from a list that names
weekday and date and narrows to one day and one room; the household is told by text message.
Staff of another facility cannot find that family by name or prison number, only by its exact
number, and roles without booking rights see no phone booking at all.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client, add_staff
from tests.web.console_helpers import LEAD, OFFICER, demo_facility, staff_signs_in
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Facility,
    Household,
    Notice,
    Prisoner,
    Room,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
)
from visits.enums import (
    ApprovalStatus,
    Channel,
    ContactChannel,
    CustodyStatus,
    NoticeKind,
    NotifyBy,
    StaffRole,
    VisitStatus,
    VisitType,
)

PRISON_NUMBER = "MS-2026-4711"
PHONE = "0170 5556677"
PHONE_E164 = "+491705556677"


async def _prisoner(db: AsyncSession, facility_id: uuid.UUID) -> Prisoner:
    prisoner = Prisoner(
        facility_id=facility_id,
        prison_number=PRISON_NUMBER,
        given_name="Deniz",
        family_name="Arslan",
        admission_date=utcnow().date() - timedelta(days=40),
        custody_status=CustodyStatus.SENTENCED,
    )
    db.add(prisoner)
    await db.commit()
    return prisoner


def _new_household_form(token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "guardian_name": "Selin Arslan",
        "phone": PHONE,
        "phone_confirmed": "yes",
        "sms_consent": "yes",
        "language": "de",
        "notify_by": "sms",
        "prison_number": PRISON_NUMBER.lower(),
        "people-0-given_name": "Selin",
        "people-0-family_name": "Arslan",
        "people-0-birth_date": "1991-03-08",
        "people-0-relationship": "partner",
        "people-0-is_guardian": "yes",
        "people-1-given_name": "Ela",
        "people-1-family_name": "Arslan",
        "people-1-birth_date": (utcnow().date() - timedelta(days=365 * 6)).isoformat(),
        "people-1-relationship": "child",
    }
    return form | changes


def _slot_choices(page: str) -> str:
    """The options of the page's list of times ("" without one)."""
    if 'name="slot_id"' not in page:
        return ""
    return page.split('name="slot_id"', 1)[1].split("</select>", 1)[0]


async def _set_up_caller(client: Client, facility_id: uuid.UUID, token: str) -> str:
    """The officer sets up the caller's household; returns the page it lands on."""
    base = f"/staff/facilities/{facility_id}/phone-booking"
    created = await client.post(
        f"{base}/new-household", data=_new_household_form(token), follow_redirects=False
    )
    assert created.status_code == 303, created.text
    return str(created.headers["location"])


async def test_a_caller_without_a_household_is_set_up_found_and_booked(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    prisoner = await _prisoner(db, facility_id)
    prisoner_id = prisoner.id
    token = await staff_signs_in(client, OFFICER, language="de")
    base = f"/staff/facilities/{facility_id}/phone-booking"

    unknown = await client.get(base, params={"q": PHONE})
    assert unknown.status_code == 200
    assert "Kein Haushalt hat diese E-Mail-Adresse oder Handynummer." in unknown.text
    form_page = await client.get(f"{base}/new-household")
    assert form_page.status_code == 200
    assert 'name="people-5-birth_date"' in form_page.text

    # Every mistake at once, in German, and nothing stored.
    wrong = await client.post(
        f"{base}/new-household",
        data=_new_household_form(
            token,
            phone="",
            notify_by="",
            prison_number="XX-0000",
            **{"people-1-birth_date": "2999-01-01"},
        ),
    )
    assert wrong.status_code == 422
    assert "Bitte prüfen Sie das Formular" in wrong.text
    assert 'href="#people-1-birth_date"' in wrong.text
    assert 'href="#email"' in wrong.text
    no_prisoner = await client.post(
        f"{base}/new-household", data=_new_household_form(token, prison_number="XX-0000")
    )
    assert no_prisoner.status_code == 422
    assert 'href="#prison_number"' in no_prisoner.text
    assert "Hier ist niemand mit dieser Gefangenennummer inhaftiert." in no_prisoner.text
    assert (
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(Household)
            .where(Household.guardian_name == "Selin Arslan")
        )
        == 0
    )
    await db.commit()

    landing = await _set_up_caller(client, facility_id, token)
    assert "created=1" in landing
    opened = await client.get(landing)
    assert opened.status_code == 200
    assert "Der Haushalt ist angelegt." in opened.text
    assert "Besuch für Selin Arslan" in opened.text
    assert "In diesem Haushalt ist noch niemand" in opened.text  # approvals are pending

    household = await db.scalar(sa.select(Household).where(Household.phone_e164 == PHONE_E164))
    assert household is not None
    assert household.phone_confirmed_at is not None
    assert household.sms_consent is True
    assert household.notify_by is NotifyBy.SMS
    household_id = household.id
    assert f"/staff/facilities/{facility_id}/households/{household_id}" in opened.text
    people = list(await db.scalars(sa.select(Visitor).where(Visitor.household_id == household_id)))
    assert sorted(p.given_name for p in people) == ["Ela", "Selin"]
    approvals = list(
        await db.scalars(
            sa.select(VisitorApproval).where(VisitorApproval.visitor_id.in_([p.id for p in people]))
        )
    )
    assert {(a.prisoner_id, a.status) for a in approvals} == {(prisoner_id, ApprovalStatus.PENDING)}
    assert len(approvals) == 2
    created = await db.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "household.create", AuditEvent.object_id == str(household_id)
        )
    )
    assert created is not None
    assert created.actor_role == StaffRole.VISITS_OFFICER.value
    assert created.channel is Channel.PHONE
    assert created.facility_id == facility_id
    assert "Selin" not in str(created.changes)
    assert PHONE_E164 not in str(created.changes)
    # The household is told it has an account and where to sign in, by the confirmed mobile
    # number it chose, in its language, without naming anybody (sent after the commit; the
    # row keeps no text once sent).
    welcome = list(
        await db.scalars(
            sa.select(Notice).where(
                Notice.household_id == household_id, Notice.kind == NoticeKind.ACCOUNT_CREATED
            )
        )
    )
    assert [(n.channel, n.address) for n in welcome] == [(ContactChannel.SMS, PHONE_E164)]
    [sent] = [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict) and r.msg.get("purpose") == NoticeKind.ACCOUNT_CREATED
    ]
    facility_name = await db.scalar(sa.select(Facility.name).where(Facility.id == facility_id))
    assert sent["to"] == PHONE_E164
    assert sent["text"].startswith(f"{facility_name} hat für Ihren Haushalt ein Konto")
    assert "/sign-in mit dieser E-Mail-Adresse oder Handynummer an" in sent["text"]
    assert "Ela" not in sent["text"]
    assert "Selin" not in sent["text"]
    await db.commit()

    # The same number again: refused, naming the field; the other household is not touched.
    again = await client.post(
        f"{base}/new-household",
        data=_new_household_form(token, guardian_name="Someone Else", phone="+49 170 555 66 77"),
    )
    assert again.status_code == 422
    assert 'href="#phone"' in again.text
    for approval in approvals:  # the approval queue's work, not this page's
        approval.status, approval.decided_at = ApprovalStatus.APPROVED, utcnow()
    await db.commit()

    # Found by name (any part, any case), by prison number, by the number in another formatting.
    for query in ("arslan", "ela ARS", PRISON_NUMBER, "+49 (170) 555-66-77"):
        found = await client.get(base, params={"q": query})
        assert found.status_code == 200, query
        assert "Besuch für Selin Arslan" in found.text, query  # the one match opens at once
    assert (
        "Zu diesem Namen oder dieser Gefangenennummer"
        in (await client.get(base, params={"q": "Zzyzx"})).text
    )

    # The list of times names weekday and date, and narrows to one day and one room.
    opened = await client.get(base, params={"q": "Arslan", "household": str(household_id)})
    slot = await db.scalar(
        sa.select(Slot)
        .where(
            Slot.facility_id == facility_id,
            Slot.visit_type == VisitType.CHILD_FAMILY,
            Slot.starts_at > utcnow() + timedelta(days=9),
        )
        .order_by(Slot.starts_at)
    )
    assert slot is not None
    facility = await db.get(Facility, facility_id)
    assert facility is not None
    day = slot.starts_at.astimezone(ZoneInfo(facility.timezone)).date()
    room = await db.get(Room, slot.room_id)
    assert room is not None
    slot_id, room_id, room_name = slot.id, room.id, room.name
    await db.commit()
    full_day = format_date(day, format="full", locale="de")  # e.g. "Dienstag, 15. Dezember 2026"
    assert full_day.split(",")[0] in {format_date(day, "EEEE", locale="de")}
    assert full_day in opened.text
    narrowed = await client.get(
        base,
        params={
            "q": "Arslan",
            "household": str(household_id),
            "day": day.isoformat(),
            "room": str(room_id),
        },
    )
    options = _slot_choices(narrowed.text)
    labels = [o for o in options.split("<option")[2:]]  # after "Choose a time"
    assert labels, options
    assert all(full_day in label and room_name in label for label in labels)
    assert str(slot_id) in options
    other_day = (day + timedelta(days=1)).isoformat()
    elsewhen = await client.get(
        base, params={"q": "Arslan", "household": str(household_id), "day": other_day}
    )
    assert str(slot_id) not in _slot_choices(elsewhen.text)
    assert full_day not in _slot_choices(elsewhen.text)

    visitor_ids = [str(p.id) for p in people]
    form = {
        "csrf_token": token,
        "q": "Arslan",
        "household_id": str(household_id),
        "prisoner_id": str(prisoner_id),
        "slot_id": str(slot_id),
        "visitor_ids": visitor_ids,
        "channel": "phone",
    }
    checked = await client.post(base, data=form | {"action": "check"})
    assert checked.status_code == 200, checked.text
    assert "Die Regeln erlauben diese Buchung." in checked.text
    booked = await client.post(base, data=form | {"action": "book"}, follow_redirects=False)
    assert booked.status_code == 303, booked.text
    assert "done=booked" in booked.headers["location"]
    visit = await db.scalar(sa.select(Visit).where(Visit.household_id == household_id))
    assert visit is not None
    assert visit.status is VisitStatus.CONFIRMED
    assert visit.channel is Channel.PHONE
    told = list(
        await db.scalars(
            sa.select(Notice).where(
                Notice.household_id == household_id, Notice.kind == NoticeKind.VISIT_BOOKED
            )
        )
    )
    assert [(n.channel, n.address) for n in told] == [(ContactChannel.SMS, PHONE_E164)]


async def test_staff_elsewhere_find_the_family_only_by_its_exact_number(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    await _prisoner(db, facility_id)
    token = await staff_signs_in(client, OFFICER)
    await _set_up_caller(client, facility_id, token)
    household_id = await db.scalar(
        sa.select(Household.id).where(Household.phone_e164 == PHONE_E164)
    )
    assert household_id is not None
    elsewhere = Facility(
        slug="jva-fernab",
        name="JVA Fernab",
        timezone="Europe/Berlin",
        street="Weg 2",
        postal_code="54321",
        city="Fernab",
        country="DE",
        email="besuch@jva-fernab.example",
        rule_profile="de-nw",
    )
    db.add(elsewhere)
    await db.commit()
    await add_staff(db, "fernab@example.org", [(StaffRole.VISITS_OFFICER, elsewhere.id)])
    other = f"/staff/facilities/{elsewhere.id}/phone-booking"
    await staff_signs_in(client, "fernab@example.org", password=STAFF_PASSWORD)
    for query in ("Arslan", "Selin", PRISON_NUMBER):
        page = await client.get(other, params={"q": query, "household": str(household_id)})
        assert page.status_code == 200
        assert "Selin Arslan" not in page.text, query
    by_number = await client.get(other, params={"q": "+491705556677"})
    assert "Visit for Selin Arslan" in by_number.text
    assert f"/households/{household_id}" not in by_number.text  # not a family of this facility
    forged = await client.post(
        other,
        data={
            "csrf_token": await _token(client, other),
            "q": "Arslan",
            "household_id": str(household_id),
            "action": "check",
        },
    )
    assert forged.status_code == 404
    assert "Please find the household again." in forged.text
    # The demo facility itself is not theirs.
    assert (await client.get(f"/staff/facilities/{facility_id}/phone-booking")).status_code == 403


async def _token(client: Client, path: str) -> str:
    from tests.web.console_helpers import form_token

    return await form_token(client, path)


@pytest.mark.parametrize("path", ["", "/new-household"])
async def test_only_the_booking_roles_book_by_phone(
    client: Client, db: AsyncSession, path: str
) -> None:
    facility_id = await demo_facility(db)
    await _prisoner(db, facility_id)
    token = await staff_signs_in(client, LEAD)
    base = f"/staff/facilities/{facility_id}/phone-booking"
    assert (await client.get(f"{base}{path}")).status_code == 403
    refused = await client.post(f"{base}/new-household", data=_new_household_form(token))
    assert refused.status_code == 403
    assert (
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(Household)
            .where(Household.phone_e164 == PHONE_E164)
        )
        == 0
    )
    overview = await client.get(f"/staff/facilities/{facility_id}")
    assert "/phone-booking" not in overview.text


async def test_the_new_household_page_is_german_without_english_fragments(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    await staff_signs_in(client, OFFICER, language="de")
    page = await client.get(f"/staff/facilities/{facility_id}/phone-booking/new-household")
    assert page.status_code == 200
    for english in (
        "Guardian",
        "First name",
        "Birth date",
        "Who comes",
        "Set up",
        "Legal guardian",
    ):
        assert english not in page.text, english
    assert "Geburtsdatum" in page.text
    assert "Gefangenennummer der besuchten Person" in page.text
