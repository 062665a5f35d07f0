"""Messages to families in the staff console and the staff API, on SQLite and PostgreSQL: the
visit page's section, the facility's list of notices that need attention, its count on the
overview, masked addresses, and who may see them."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import format_datetime
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client, add_staff, bearer, staff_token
from tests.visit_helpers import book_directly
from tests.web.console_helpers import LEAD, MANAGER, OFFICER, demo_facility, staff_signs_in
from visits.db.base import utcnow
from visits.db.models import Facility, Household, Notice, Prisoner, Room, Slot, Visit
from visits.enums import (
    ContactChannel,
    CustodyStatus,
    Language,
    NoticeKind,
    ReminderState,
    StaffRole,
    VisitType,
)

EMAIL = "deniz.kaya@example.org"
PHONE = "+4915198765432"
MASKED_EMAIL = "d…@example.org"
MASKED_PHONE = "+491…32"
SECRET = "PARAM-NEVER-SHOWN"  # in every notice's params: staff never see them
ROW = re.compile(r"<tr>\s*<th scope=\"row\"><a href=\"[^\"]+/visits/([0-9a-f-]+)\">")


@dataclass(frozen=True)
class Demo:
    facility_id: uuid.UUID
    other_facility_id: uuid.UUID
    booked: Visit  # the Kaya family's booked visit
    requested: Visit  # and their request
    elsewhere: Visit  # a visit at the other facility
    failed: uuid.UUID
    refused: uuid.UUID
    retried: uuid.UUID


async def other_facility_visit(db: AsyncSession) -> Visit:
    """A second facility with a room, a slot, a prisoner and a booked visit."""
    other = Facility(
        slug="other",
        name="JVA Anderswo",
        timezone="Europe/Berlin",
        street="s",
        postal_code="1",
        city="c",
        country="DE",
        email="other@example.org",
    )
    db.add(other)
    await db.flush()
    room = Room(
        facility_id=other.id, name="Raum", capacity_tables=2, capacity_seats=6, capacity_children=4
    )
    db.add(room)
    db.add(
        Prisoner(
            facility_id=other.id,
            prison_number="AW-1",
            given_name="Max",
            family_name="Anders",
            admission_date=utcnow().date() - timedelta(days=100),
            custody_status=CustodyStatus.SENTENCED,
        )
    )
    await db.flush()
    starts = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    slot = Slot(
        facility_id=other.id,
        room_id=room.id,
        visit_type=VisitType.REGULAR,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        local_date=starts.date(),
        capacity_tables=2,
        capacity_seats=6,
        capacity_children=4,
    )
    db.add(slot)
    await db.flush()
    return await book_directly(db, slot, [40, 8])


def notice(
    household: Household,
    visit: Visit | None,
    state: ReminderState,
    *,
    minutes_ago: int,
    channel: ContactChannel = ContactChannel.EMAIL,
    attempts: int = 0,
    last_error: str | None = None,
    kind: NoticeKind = NoticeKind.VISIT_CANCELLED,
    provider_status: str | None = None,
) -> Notice:
    return Notice(
        id=uuid.uuid4(),
        household_id=household.id,
        visit_id=visit.id if visit else None,
        kind=kind,
        channel=channel,
        address=EMAIL if channel is ContactChannel.EMAIL else PHONE,
        language=Language("de"),
        params={"reason": SECRET, "code": "481516"},
        state=state,
        attempts=attempts,
        last_error=last_error,
        provider_status=provider_status,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
    )


async def seeded(db: AsyncSession) -> Demo:
    """The demo, and notices to the Kaya family in every state that matters."""
    facility_id = await demo_facility(db)
    await db.execute(sa.delete(Notice))  # only the notices written here
    household = await db.scalar(sa.select(Household).where(Household.email == EMAIL))
    assert household is not None
    visits = list(
        await db.scalars(
            sa.select(Visit).where(Visit.household_id == household.id).order_by(Visit.starts_at)
        )
    )
    assert len(visits) == 2
    booked, requested = visits
    elsewhere = await other_facility_visit(db)
    S = ReminderState
    failed = notice(
        household,
        booked,
        S.FAILED,
        minutes_ago=30,
        attempts=6,
        last_error=f"SMTPRecipientsRefused: {{'{EMAIL}': (450, b'mailbox busy')}}",
    )
    refused = notice(
        household,
        booked,
        S.UNDELIVERABLE,
        minutes_ago=20,
        channel=ContactChannel.SMS,
        attempts=1,
        last_error=f"Twilio refused: 21211 The 'To' number {PHONE} is not a valid phone number.",
        kind=NoticeKind.VISIT_MOVED,
    )
    retried = notice(
        household,
        requested,
        S.PENDING,
        minutes_ago=10,
        attempts=2,
        last_error="TimeoutError: the mail server did not answer",
        kind=NoticeKind.VISIT_REJECTED,
    )
    quiet = [
        notice(household, booked, S.PENDING, minutes_ago=5, kind=NoticeKind.VISIT_AFFECTED),
        notice(
            household,
            booked,
            S.DELIVERED,
            minutes_ago=40,
            channel=ContactChannel.SMS,
            attempts=1,
            provider_status="delivered",
            kind=NoticeKind.VISIT_CONFIRMED,
        ),
        notice(household, booked, S.SENT, minutes_ago=50, attempts=1),
        notice(household, booked, S.CANCELLED, minutes_ago=60, last_error="erased"),
        # Failing, but not this facility's: a sign-in code, another facility's visit.
        notice(household, None, S.FAILED, minutes_ago=1, kind=NoticeKind.SIGN_IN_CODE),
        notice(household, elsewhere, S.UNDELIVERABLE, minutes_ago=2, attempts=1),
    ]
    db.add_all([failed, refused, retried, *quiet])
    await db.commit()
    return Demo(
        facility_id,
        elsewhere.facility_id,
        booked,
        requested,
        elsewhere,
        failed.id,
        refused.id,
        retried.id,
    )


def cells(row: str) -> list[str]:
    """The text of each data cell of a table row."""
    found = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", "", cell).split()) for cell in found]


def assert_private(html: str) -> None:
    """Neither an address in full nor a notice's values."""
    assert EMAIL not in html
    assert PHONE not in html
    assert SECRET not in html
    assert "481516" not in html


# --- the console -------------------------------------------------------------------------


async def test_the_overview_counts_the_notices_that_need_attention(
    client: Client, db: AsyncSession
) -> None:
    demo = await seeded(db)
    await staff_signs_in(client, OFFICER)
    overview = await client.get(f"/staff/facilities/{demo.facility_id}")
    assert overview.status_code == 200
    tile = re.search(
        r'<p class="figure">(\d+)</p>\s*<p><a href="[^"]+/notices">Messages did not reach families',
        overview.text,
    )
    assert tile is not None, overview.text
    assert tile.group(1) == "3"  # failed, undeliverable, pending after a failed attempt
    assert f'href="/staff/facilities/{demo.facility_id}/notices"' in overview.text  # the menu
    # Nothing failing: no tile.
    await db.execute(sa.update(Notice).values(state=ReminderState.DELIVERED))
    await db.commit()
    calm = await client.get(f"/staff/facilities/{demo.facility_id}")
    assert "Messages did not reach families" not in calm.text
    assert "Messages that did not reach families" in calm.text  # the link stays


async def test_the_list_shows_only_this_facilitys_failing_notices_newest_first(
    client: Client, db: AsyncSession
) -> None:
    demo = await seeded(db)
    await staff_signs_in(client, LEAD)  # any role at the facility
    answer = await client.get(f"/staff/facilities/{demo.facility_id}/notices")
    assert answer.status_code == 200
    html = answer.text
    # Newest first, each linking to its visit: retried (request), refused, failed (booked).
    assert ROW.findall(html) == [str(demo.requested.id), str(demo.booked.id), str(demo.booked.id)]
    assert str(demo.elsewhere.id) not in html
    assert "3 messages need attention" in html
    for text in (
        "Request rejected",  # kinds, in a word or two
        "Visit rescheduled",
        "Visit cancelled",
        "Failed, will be tried again",  # states
        "Undeliverable",
        ">Failed<",
        "E-mail",
        "Text message",
        "TimeoutError: the mail server did not answer",  # what went wrong
        f"The &#39;To&#39; number {MASKED_PHONE} is not a valid phone number.",  # masked in it
        MASKED_EMAIL,
        MASKED_PHONE,
    ):
        assert text in html, text
    assert "Visit affected by a change" not in html  # pending, never tried: not failing
    assert "Visit confirmed" not in html  # delivered
    assert "Sign-in code" not in html  # no facility's
    assert_private(html)


async def test_the_list_is_paginated(client: Client, db: AsyncSession) -> None:
    demo = await seeded(db)
    await staff_signs_in(client, OFFICER)
    path = f"/staff/facilities/{demo.facility_id}/notices"
    first = await client.get(f"{path}?limit=2")
    assert ROW.findall(first.text) == [str(demo.requested.id), str(demo.booked.id)]
    assert "1 to 2 of 3" in first.text
    assert 'href="?offset=2&amp;limit=2">Next page' in first.text
    assert "Previous page" not in first.text
    second = await client.get(f"{path}?limit=2&offset=2")
    assert ROW.findall(second.text) == [str(demo.booked.id)]
    assert "3 to 3 of 3" in second.text
    assert "Next page" not in second.text
    assert 'href="?offset=0&amp;limit=2">Previous page' in second.text
    assert (await client.get(f"{path}?limit=0")).status_code == 400


async def test_the_visit_page_lists_its_messages_to_the_family(
    client: Client, db: AsyncSession
) -> None:
    demo = await seeded(db)
    await staff_signs_in(client, MANAGER)
    page = await client.get(f"/staff/facilities/{demo.facility_id}/visits/{demo.booked.id}")
    assert page.status_code == 200
    section = page.text.split('<h2 id="notices-heading">', 1)[1].split("</section>", 1)[0]
    assert section.startswith("Messages to the family</h2>")
    rows = section.split("<tbody>", 1)[1].split("<tr>")[1:]
    assert len(rows) == 6  # every notice about this visit, newest first
    states = [cells(row)[3] for row in rows]
    assert states == [
        "Waiting to be sent",
        "Undeliverable",
        "Failed",
        "Delivered (delivered)",  # with Twilio's status
        "Sent",
        "Not sent",
    ]
    assert [cells(row)[4] for row in rows] == ["0", "1", "6", "1", "1", "0"]  # attempts
    assert "Visit affected by a change" in rows[0]
    assert f"{MASKED_PHONE} is not a valid phone number" in rows[1]  # failing: the error
    assert "(450, b&#39;mailbox busy&#39;)" in rows[2]
    assert "erased" not in rows[5]  # not failing: no error shown
    # The time in the facility's zone, as the page writes dates and times.
    failed = await db.get(Notice, demo.failed)
    assert failed is not None
    await db.commit()
    written = format_datetime(
        failed.created_at, format="medium", tzinfo=ZoneInfo("Europe/Berlin"), locale="en"
    )
    assert cells(rows[2])[5] == " ".join(written.split())  # cells() joins on plain spaces
    other = await client.get(f"/staff/facilities/{demo.facility_id}/visits/{demo.requested.id}")
    assert "Failed, will be tried again" in other.text
    assert "Visit rescheduled" not in other.text  # another visit's notice
    assert_private(page.text)
    assert_private(other.text)


async def test_the_visit_page_without_messages_says_so_in_german(
    client: Client, db: AsyncSession
) -> None:
    demo = await seeded(db)
    await db.execute(sa.delete(Notice))
    await db.commit()
    await staff_signs_in(client, OFFICER, language="de")
    page = await client.get(f"/staff/facilities/{demo.facility_id}/visits/{demo.booked.id}")
    assert "Nachrichten an die Familie" in page.text
    assert "Über diesen Besuch wurde der Familie noch keine Nachricht geschrieben." in page.text


async def test_the_list_in_german(client: Client, db: AsyncSession) -> None:
    demo = await seeded(db)
    await staff_signs_in(client, OFFICER, language="de")
    html = (await client.get(f"/staff/facilities/{demo.facility_id}/notices")).text
    for text in ("Nachrichten, die Familien nicht erreicht haben", "Unzustellbar", "SMS"):
        assert text in html, text
    assert "Messages that did not reach families" not in html


async def test_staff_of_another_facility_see_neither_the_list_nor_its_visits(
    client: Client, db: AsyncSession
) -> None:
    demo = await seeded(db)
    await add_staff(
        db, "anderswo@example.org", [(StaffRole.VISITS_OFFICER, demo.other_facility_id)]
    )
    await staff_signs_in(client, "anderswo@example.org", password=STAFF_PASSWORD)
    refused = await client.get(f"/staff/facilities/{demo.facility_id}/notices")
    assert refused.status_code == 403
    assert "Your role does not allow this here." in refused.text
    assert "Visit rescheduled" not in refused.text
    # Their own facility's list: its one failing notice, the address masked.
    own = await client.get(f"/staff/facilities/{demo.other_facility_id}/notices")
    assert own.status_code == 200
    assert ROW.findall(own.text) == [str(demo.elsewhere.id)]
    assert_private(own.text)
    # A visit of facility one, asked for through their own facility's path: missing.
    hidden = await client.get(f"/staff/facilities/{demo.other_facility_id}/visits/{demo.booked.id}")
    assert hidden.status_code == 404


async def test_the_list_needs_a_signed_in_member_of_staff(client: Client, db: AsyncSession) -> None:
    demo = await seeded(db)
    answer = await client.get(
        f"/staff/facilities/{demo.facility_id}/notices", follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/staff/sign-in"


# --- the same list through the staff API ---------------------------------------------------

FIELDS = {
    "id",
    "visit_id",
    "kind",
    "channel",
    "state",
    "attempts",
    "last_error",
    "provider_status",
    "created_at",
    "sent_at",
}


async def test_the_api_lists_failing_notices_without_addresses(
    client: Client, db: AsyncSession
) -> None:
    demo = await seeded(db)
    await add_staff(db, "lead@example.org", [(StaffRole.SAFEGUARDING_LEAD, demo.facility_id)])
    lead = bearer(await staff_token(client, "lead@example.org"))
    path = f"/api/v1/staff/facilities/{demo.facility_id}/notices"
    answer = await client.get(path, headers=lead)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["total"], body["limit"], body["offset"]) == (3, 50, 0)
    items = body["items"]
    assert [i["id"] for i in items] == [str(demo.retried), str(demo.refused), str(demo.failed)]
    assert all(set(i) == FIELDS for i in items)
    assert [(i["kind"], i["channel"], i["state"], i["attempts"]) for i in items] == [
        ("visit_rejected", "email", "pending", 2),
        ("visit_moved", "sms", "undeliverable", 1),
        ("visit_cancelled", "email", "failed", 6),
    ]
    assert items[0]["visit_id"] == str(demo.requested.id)
    assert items[1]["last_error"] == (
        f"Twilio refused: 21211 The 'To' number {MASKED_PHONE} is not a valid phone number."
    )
    assert MASKED_EMAIL in items[2]["last_error"]
    assert_private(answer.text)


async def test_the_api_filters_by_state_and_pages(client: Client, db: AsyncSession) -> None:
    demo = await seeded(db)
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, demo.facility_id)])
    officer = bearer(await staff_token(client, "officer@example.org"))
    path = f"/api/v1/staff/facilities/{demo.facility_id}/notices"

    async def ids(query: str) -> tuple[list[str], int]:
        answer = await client.get(f"{path}?{query}", headers=officer)
        assert answer.status_code == 200, answer.text
        return [i["id"] for i in answer.json()["items"]], answer.json()["total"]

    assert await ids("state=failed") == ([str(demo.failed)], 1)
    assert await ids("state=undeliverable") == ([str(demo.refused)], 1)
    assert await ids("state=pending") == ([str(demo.retried)], 1)  # not the untried one
    assert await ids("limit=2") == ([str(demo.retried), str(demo.refused)], 3)
    assert await ids("limit=2&offset=2") == ([str(demo.failed)], 3)
    assert await ids("offset=3") == ([], 3)
    for bad in ("state=delivered", "state=sent", "limit=0", "limit=201", "offset=-1"):
        refused = await client.get(f"{path}?{bad}", headers=officer)
        assert refused.status_code == 400, bad
        assert refused.json()["type"] == "urn:visits:problem:invalid-parameters"


async def test_the_api_refuses_other_facilities_and_strangers(
    client: Client, db: AsyncSession
) -> None:
    demo = await seeded(db)
    await add_staff(
        db, "elsewhere@example.org", [(StaffRole.VISITS_MANAGER, demo.other_facility_id)]
    )
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    elsewhere = bearer(await staff_token(client, "elsewhere@example.org"))
    admin = bearer(await staff_token(client, "root@example.org"))
    path = f"/api/v1/staff/facilities/{demo.facility_id}/notices"
    refused = await client.get(path, headers=elsewhere)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:visits:problem:forbidden"
    own = await client.get(
        f"/api/v1/staff/facilities/{demo.other_facility_id}/notices", headers=elsewhere
    )
    assert [i["visit_id"] for i in own.json()["items"]] == [str(demo.elsewhere.id)]
    assert (await client.get(path, headers=admin)).json()["total"] == 3
    missing = await client.get(f"/api/v1/staff/facilities/{uuid.uuid4()}/notices", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:visits:problem:facility-not-found"
    assert (await client.get(path)).status_code == 401


async def test_the_api_operation_is_described(client: Client, db: AsyncSession) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    operation = spec["paths"]["/api/v1/staff/facilities/{facility_id}/notices"]["get"]
    assert operation["summary"]
    assert len(operation["description"]) > 100
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    assert "urn:visits:problem:facility-not-found" in operation["responses"]["404"]["description"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/NoticePage"}
    item = spec["components"]["schemas"]["NoticeOut"]["properties"]
    assert set(item) == FIELDS
    state = next(p for p in operation["parameters"] if p["name"] == "state")
    assert set(state["schema"]["enum"]) - {None} == {"pending", "failed", "undeliverable"}
