"""The contract of the calendar operations: described, with their problem types, media types
and 304 declared; validators that never answer 304 to a client that has not seen the newest
change; and names stored with control characters that can break no feed, invite or e-mail."""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.booking_helpers import Family, book, demo_family
from tests.calendar.checks import assert_valid, events, unfold, values
from tests.calendar.helpers import visit_on
from tests.openapi_helpers import served_document
from visits.calendar.controllers import (
    FeedController,
    HouseholdCalendarController,
    StaffCalendarController,
)
from visits.calendar.feeds import SETTLE, dated_version, not_modified
from visits.calendar.ics import Address, EventSpec, Reminder, render
from visits.calendar.invites import load_invite
from visits.calendar.mail import build_message
from visits.db.models import Facility, Household, Room, Slot, Visit
from visits.enums import StaffRole, VisitStatus

EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/feeds/{name}"): {"feed-not-found"},
    ("GET", "/api/v1/household/visits/{visit_id}/invite.ics"): {"visit-not-found", "no-invite"},
    ("GET", "/api/v1/household/feeds"): set(),
    ("POST", "/api/v1/household/feeds"): {"invalid-body"},
    ("DELETE", "/api/v1/household/feeds/{feed_id}"): {"feed-not-found"},
    ("GET", "/api/v1/staff/feeds"): set(),
    ("GET", "/api/v1/staff/facilities/{facility_id}/feeds"): set(),
    ("POST", "/api/v1/staff/facilities/{facility_id}/feeds"): {
        "invalid-body",
        "facility-not-found",
        "room-not-found",
    },
    ("DELETE", "/api/v1/staff/feeds/{feed_id}"): {"feed-not-found"},
}
CONTROLLERS = {
    c.__name__ for c in (FeedController, HouseholdCalendarController, StaffCalendarController)
}
BAD_NAMES = {
    "room": "Familien\r\nzimmer\x0b",
    "facility": "JVA\rMuster\x1bstadt; Haus\u2028Ost",
    "street": "Weg 1\nHof",
    "guardian": "Anna\r\nBcc: mallory@example.org",
}


# ------------------------------------------------------------------ the document


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    operations, served = served_document(
        tmp_path_factory.mktemp("contract"), set(CONTROLLERS), "visits.calendar.controllers"
    )
    assert operations == set(EXPECTED), "a new operation needs its expected problem types here"
    return served


def declared_slugs(operation: dict[str, Any]) -> set[str]:
    found = set()
    for answer in operation["responses"].values():
        found.update(re.findall(r"`urn:visits:problem:([a-z-]+)`", answer.get("description", "")))
    return found


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_each_operation_is_described_with_its_problems(
    document: dict[str, Any], method: str, path: str
) -> None:
    operation = document["paths"][path][method.lower()]
    assert operation.get("summary")
    assert len(operation.get("description", "")) > 40
    missing = EXPECTED[(method, path)] - declared_slugs(operation)
    assert not missing, f"undeclared problem types: {missing}"
    for status, answer in operation["responses"].items():
        for media in (answer.get("content") or {}).values():
            assert media["schema"] != {}, status


def test_feeds_and_invites_declare_icalendar_304_and_validators(
    document: dict[str, Any],
) -> None:
    feed = document["paths"]["/feeds/{name}"]["get"]
    assert set(feed["responses"]) == {"200", "304", "404"}
    assert set(feed["responses"]["200"]["content"]) == {"text/calendar"}
    assert "content" not in feed["responses"]["304"]
    for status in ("200", "304"):
        assert {"ETag", "Last-Modified", "Cache-Control"} <= set(
            feed["responses"][status]["headers"]
        )
    assert "security" not in feed  # the token in the path is the credential
    invite = document["paths"]["/api/v1/household/visits/{visit_id}/invite.ics"]["get"]
    assert set(invite["responses"]["200"]["content"]) == {"text/calendar"}
    schemas = document["components"]["schemas"]
    assert "FeedPage" in schemas
    assert not [name for name in schemas if name.startswith("Page_visits.calendar")]
    assert schemas["FeedOut"]["properties"]["kind"]["enum"] == ["household", "facility", "room"]
    body = document["paths"]["/api/v1/household/feeds"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["examples"]


# ------------------------------------------------------------------ validators


def test_dates_answer_304_only_after_the_newest_change_has_settled() -> None:
    changed = datetime(2027, 3, 3, 14, 0, 0, 300_000, tzinfo=UTC)
    early = dated_version('W/"a"', changed, changed + timedelta(milliseconds=200))
    # The change's own second: a date that never matches, and never later than now.
    assert early.last_modified == datetime(2027, 3, 3, 14, 0, 0, tzinfo=UTC)
    assert not early.dates_trusted
    for date in (early.http_date, "Wed, 03 Mar 2027 14:00:59 GMT"):
        assert not not_modified({"if-modified-since": date}, early, changed + timedelta(seconds=1))
    # Once the second is over and the change has settled: the end of that second.
    now = changed + SETTLE + timedelta(seconds=1)
    late = dated_version('W/"a"', changed, now)
    assert late.dates_trusted
    assert late.last_modified == datetime(2027, 3, 3, 14, 0, 1, tzinfo=UTC)
    assert not_modified({"if-modified-since": late.http_date}, late, now)
    assert not not_modified({"if-modified-since": early.http_date}, late, now)
    future = format_datetime(now + timedelta(hours=1), usegmt=True)
    assert not not_modified({"if-modified-since": future}, late, now)  # not a date of ours
    # If-None-Match decides alone when it is present (RFC 9110 section 13.2.2).
    assert not not_modified(
        {"if-none-match": '"b"', "if-modified-since": late.http_date}, late, now
    )
    assert not_modified({"if-none-match": '"a"', "if-modified-since": "junk"}, late, now)
    # A change stamped ahead of this server's clock never yields a date in the future.
    ahead = dated_version('W/"a"', changed + timedelta(seconds=30), changed)
    assert ahead.last_modified <= changed


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def test_a_change_in_the_same_second_as_a_fetch_is_never_answered_304(
    client: Client, db: AsyncSession, family: Family
) -> None:
    """The change lands in the second of the first fetch; the client then revalidates with
    what it got, by date and by ETag, and receives the new content in full. Once the change
    has settled, its own validators answer 304."""
    booked = await book(client, family, family.family_slots[0])
    created = await client.post("/api/v1/household/feeds", headers=family.headers, json={})
    feed = path_of(created.json()["url"])
    room_id = await db.scalar(
        sa.select(Slot.room_id).where(Slot.id == uuid.UUID(booked["slot_id"]))
    )
    await db.commit()
    await add_staff(db, "manager@example.org", [(StaffRole.VISITS_MANAGER, family.facility_id)])
    manager = bearer(await staff_token(client, "manager@example.org"))
    second = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)

    async def rename(name: str) -> None:
        answer = await client.patch(
            f"/api/v1/staff/rooms/{room_id}", headers=manager, json={"name": name}
        )
        assert answer.status_code == 200, answer.text

    with time_machine.travel(second + timedelta(milliseconds=100), tick=False):
        await rename("Raum Eins")
        first = await client.get(feed)
    assert first.status_code == 200
    assert "Raum Eins" in first.content.decode()
    # Last-Modified is never later than the answer: here the change's own second.
    assert parsedate_to_datetime(first.headers["last-modified"]) == second
    with time_machine.travel(second + timedelta(milliseconds=600), tick=False):
        await rename("Raum Zwei")
    with time_machine.travel(second + timedelta(minutes=1), tick=False):
        for validators in (
            {"If-Modified-Since": first.headers["last-modified"]},
            {"If-None-Match": first.headers["etag"]},
            {
                "If-None-Match": first.headers["etag"],
                "If-Modified-Since": first.headers["last-modified"],
            },
        ):
            again = await client.get(feed, headers=validators)
            assert again.status_code == 200, validators
            assert "Raum Zwei" in again.content.decode()
            assert "Raum Eins" not in again.content.decode()
            assert_valid(again.content, "PUBLISH")
        # The newest change has settled: its validators are trusted and answer 304.
        assert again.headers["etag"] != first.headers["etag"]
        assert parsedate_to_datetime(again.headers["last-modified"]) == second + timedelta(
            seconds=1
        )
        for validators in (
            {"If-Modified-Since": again.headers["last-modified"]},
            {"If-None-Match": again.headers["etag"]},
        ):
            assert (await client.get(feed, headers=validators)).status_code == 304


async def test_a_change_committed_after_a_later_one_changes_the_etag(
    client: Client, db: AsyncSession, family: Family
) -> None:
    """A change is stamped when it is flushed but seen when it commits: a visit whose change
    was stamped before another's can appear after a client fetched. Count and newest stamp
    are the same as at that fetch; the ETag must differ all the same."""
    booked = await book(client, family, family.family_slots[0])
    created = await client.post("/api/v1/household/feeds", headers=family.headers, json={})
    feed = path_of(created.json()["url"])
    slot = await db.scalar(sa.select(Slot).where(Slot.id == family.family_slots[1]))
    household = await db.scalar(sa.select(Household))
    assert slot is not None
    assert household is not None
    other = await visit_on(db, slot, household, [35, 8])
    other_id, other_uid = other.id, other.ical_uid
    await db.commit()
    stamp = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    newest = sa.update(Visit).where(Visit.id == uuid.UUID(booked["id"]))
    await db.execute(newest.values(updated_at=stamp + timedelta(seconds=60)))
    await db.execute(sa.update(Visit).where(Visit.id == other_id).values(updated_at=stamp))
    await db.commit()
    before = await client.get(feed)
    assert other_uid in before.content.decode()
    # Cancelled in a transaction that was stamped before the newest change and commits now.
    await db.execute(
        sa.update(Visit)
        .where(Visit.id == other_id)
        .values(status=VisitStatus.CANCELLED, updated_at=stamp + timedelta(seconds=30))
    )
    await db.commit()
    after = await client.get(feed, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert other_uid not in after.content.decode()
    assert after.headers["last-modified"] == before.headers["last-modified"]


# ------------------------------------------------------------------ stored text on output


def test_the_writer_keeps_every_text_on_its_line() -> None:
    hostile = "A\r\nB\rC\nD\x00E\x0bF\u2028G\x85H\x1b[31mI\x7fJ\x9fK"
    spec = EventSpec(
        uid="visit-1@example",
        sequence=0,
        start=datetime(2027, 3, 3, 13, tzinfo=UTC),
        end=datetime(2027, 3, 3, 15, tzinfo=UTC),
        tzid="Europe/Berlin",
        summary=hostile,
        location=hostile,
        description=hostile,
        status="CONFIRMED",
        organizer=Address("besuch@example.org\r\n", hostile),
        organizer_sent_by="noreply@example.org\n",
        attendees=(Address("anna@example.org", hostile),),
        reminders=(Reminder(timedelta(days=1), hostile),),
    )
    data = render("REQUEST", [spec], dtstamp=datetime.now(UTC), name=hostile, description=hostile)
    assert_valid(data, "REQUEST")
    for control in ("\x00", "\x0b", "\x1b", "\x7f", "\x9f", "\u2028", "\x85"):
        assert control not in data.decode()
    [event] = icalendar.Calendar.from_ical(data).events
    assert str(event["SUMMARY"]) == "A B C DE F G H[31mIJK"
    assert str(event["DESCRIPTION"]) == "A\nB\nC\nDE\nF\nG\nH[31mIJK"
    assert str(event["ORGANIZER"]) == "mailto:besuch@example.org"
    lines = unfold(data)
    assert values(lines, "NAME") == ["A B C DE F G H[31mIJK"]


async def test_names_stored_with_control_characters_break_no_feed_invite_or_mail(
    client: Client, db: AsyncSession, family: Family
) -> None:
    booked = await book(client, family, family.family_slots[0])
    slot = await db.get(Slot, uuid.UUID(booked["slot_id"]))
    assert slot is not None
    # As if stored before names were checked, or by other means than the API.
    await db.execute(sa.update(Room).where(Room.id == slot.room_id).values(name=BAD_NAMES["room"]))
    await db.execute(
        sa.update(Facility)
        .where(Facility.id == family.facility_id)
        .values(name=BAD_NAMES["facility"], street=BAD_NAMES["street"])
    )
    await db.execute(sa.update(Household).values(guardian_name=BAD_NAMES["guardian"]))
    room_id = slot.room_id
    await db.commit()
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, family.facility_id)])
    officer = bearer(await staff_token(client, "officer@example.org"))
    feeds = [
        (await client.post("/api/v1/household/feeds", headers=family.headers, json={})).json(),
        (
            await client.post(
                f"/api/v1/staff/facilities/{family.facility_id}/feeds", headers=officer, json={}
            )
        ).json(),
        (
            await client.post(
                f"/api/v1/staff/facilities/{family.facility_id}/feeds",
                headers=officer,
                json={"room_id": str(room_id)},
            )
        ).json(),
    ]
    for created in feeds:
        answer = await client.get(path_of(created["url"]))
        assert answer.status_code == 200, created["kind"]
        assert_valid(answer.content, "PUBLISH")
        [event] = [e for e in events(answer.content) if values(e, "UID") == [booked["ical_uid"]]]
        assert any("Familien zimmer" in line for line in event), created["kind"]

    invite = await client.get(
        f"/api/v1/household/visits/{booked['id']}/invite.ics", headers=family.headers
    )
    assert invite.status_code == 200
    assert_valid(invite.content, "REQUEST")

    visit = await db.get(Visit, uuid.UUID(booked["id"]))
    assert visit is not None
    loaded = await load_invite(db, visit, public_url="https://visits.example")
    assert loaded is not None
    raw = build_message(loaded, "noreply@visits.example").as_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Bcc"] is None  # no header smuggled in through a name
    assert message["To"].addresses[0].addr_spec == "anna.beispiel@example.org"
    assert message["To"].addresses[0].display_name == "Anna Bcc: mallory@example.org"
    assert "\r" not in str(message["Subject"])
    assert "\n" not in str(message["Subject"])
    assert "JVA Muster" in str(message["Subject"])
    text = message.get_body(("plain",))
    assert text is not None
    assert "\x1b" not in text.get_content()
    await db.commit()


async def test_labels_with_control_characters_are_refused(
    client: Client, db: AsyncSession, family: Family
) -> None:
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, family.facility_id)])
    officer = bearer(await staff_token(client, "officer@example.org"))
    for label in ("Handy\r\n", "Handy\n", "Ha\x00ndy", "x" * 101, ""):
        for url, headers in (
            ("/api/v1/household/feeds", family.headers),
            (f"/api/v1/staff/facilities/{family.facility_id}/feeds", officer),
        ):
            answer = await client.post(url, headers=headers, json={"label": label})
            assert answer.status_code == 422, (url, repr(label))
            assert [e["name"] for e in answer.json()["errors"]] == ["label"]
    fine = await client.post(
        "/api/v1/household/feeds", headers=family.headers, json={"label": "Handy \U0001f4f1"}
    )
    assert fine.status_code == 201
