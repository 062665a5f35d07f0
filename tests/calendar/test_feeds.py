"""Subscription feeds: tokens (created, listed, revoked; hashed; https and webcal links),
PUBLISH content, validators and 304s, dropped cancellations, and privacy of staff feeds."""

from __future__ import annotations

import hashlib
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
from tests.calendar.helpers import demo_rooms, visit_on
from visits.calendar.feeds import SETTLE
from visits.db.models import AuthToken, Facility, Household, Slot, StaffGrant, Visit
from visits.enums import StaffRole, TokenKind, VisitType

NAMES = ("Mia", "Leon", "Anna", "Beispiel", "Jonas", "MS-2026-0042", "+4915112345678")


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def subscribe(client: Client, family: Family, label: str = "Handy") -> dict[str, Any]:
    created = await client.post(
        "/api/v1/household/feeds", headers=family.headers, json={"label": label}
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def test_household_feed_tokens_are_random_hashed_listed_and_revocable(
    client: Client, db: AsyncSession, family: Family
) -> None:
    created = await subscribe(client, family)
    token = created["token"]
    assert re.fullmatch(r"vf_[A-Za-z0-9_-]{43}", token)  # 256 random bits
    assert created["url"] == f"http://127.0.0.1:8000/feeds/{token}.ics"
    assert created["webcal_url"] == f"webcal://127.0.0.1:8000/feeds/{token}.ics"
    assert (created["kind"], created["label"], created["revoked_at"]) == (
        "household",
        "Handy",
        None,
    )
    row = await db.scalar(sa.select(AuthToken).where(AuthToken.id == uuid.UUID(created["id"])))
    assert row is not None
    assert row.kind is TokenKind.FEED
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str([row.scope, row.label])
    await db.commit()
    listed = await client.get("/api/v1/household/feeds", headers=family.headers)
    assert listed.json()["total"] == 1
    assert "token" not in listed.json()["items"][0]
    assert listed.json()["items"][0]["last_used_at"] is None
    assert (await client.get(path_of(created["url"]))).status_code == 200
    # The poll's time of use is committed with its answer by the request boundary.
    used = await client.get("/api/v1/household/feeds", headers=family.headers)
    assert used.json()["items"][0]["last_used_at"] is not None
    # A feed token opens no API; an API token opens no feed.
    assert (await client.get("/api/v1/household", headers=bearer(token))).status_code == 401
    api_token = family.headers["Authorization"].removeprefix("Bearer ")
    assert (await client.get(f"/feeds/{api_token}.ics")).status_code == 404
    for wrong in (f"/feeds/{token}", f"/feeds/{token}x.ics", "/feeds/vf_guess.ics"):
        answer = await client.get(wrong)
        assert answer.status_code == 404
        assert answer.json()["type"] == "urn:visits:problem:feed-not-found"
    revoked = await client.delete(
        f"/api/v1/household/feeds/{created['id']}", headers=family.headers
    )
    assert revoked.status_code == 204
    assert (await client.get(path_of(created["url"]))).status_code == 404
    listed = await client.get("/api/v1/household/feeds", headers=family.headers)
    assert listed.json()["items"][0]["revoked_at"] is not None


async def test_a_household_feed_is_publish_with_validators_and_304s(
    client: Client, family: Family
) -> None:
    booked = await book(client, family, family.family_slots[0])
    feed = path_of((await subscribe(client, family))["url"])
    response = await client.get(feed)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"].startswith("inline")
    assert "private" in response.headers["cache-control"]
    etag, modified = response.headers["etag"], response.headers["last-modified"]
    assert re.fullmatch(r'W/"[0-9a-f]{32}"', etag)
    assert parsedate_to_datetime(modified) <= datetime.now(UTC)
    data = response.content
    assert_valid(data, "PUBLISH")
    lines = unfold(data)
    assert values(lines, "NAME") == values(lines, "X-WR-CALNAME") == ["Besuchstermine"]
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    [event] = events(data)
    assert values(event, "UID") == [booked["ical_uid"]]
    assert values(event, "STATUS") == ["CONFIRMED"]
    assert values(event, "DTSTAMP") == values(event, "LAST-MODIFIED")  # stable between polls
    assert (await client.get(feed)).content == data
    for name in ("Mia", "Leon", "Jonas", "MS-2026-0042"):
        assert not re.search(rf"\b{name}\b", "\n".join(lines)), name
    # Revalidation: If-None-Match (weak comparison, lists, *) and If-Modified-Since, once the
    # booking has settled (a date is trusted only then; the ETag at once).
    with time_machine.travel(datetime.now(UTC) + SETTLE + timedelta(seconds=2), tick=True):
        settled = await client.get(feed)
        assert settled.content == data
        assert settled.headers["etag"] == etag
        modified = settled.headers["last-modified"]
        for header in (
            {"If-None-Match": etag},
            {"If-None-Match": etag.removeprefix("W/")},
            {"If-None-Match": f'"other", {etag}'},
            {"If-None-Match": "*"},
            {"If-Modified-Since": modified},
        ):
            again = await client.get(feed, headers=header)
            assert again.status_code == 304, header
            assert again.content == b""
            assert again.headers["etag"] == etag
        earlier = format_datetime(
            parsedate_to_datetime(modified) - timedelta(seconds=1), usegmt=True
        )
        for header in (
            {"If-Modified-Since": earlier},
            {"If-None-Match": '"other"', "If-Modified-Since": modified},  # If-None-Match wins
            {"If-Modified-Since": "not a date"},
        ):
            assert (await client.get(feed, headers=header)).status_code == 200, header


async def test_changes_change_the_validators_and_cancelled_visits_leave_the_feed(
    client: Client, db: AsyncSession, family: Family
) -> None:
    slots = family.family_slots
    first = await book(client, family, slots[0])
    feed = path_of((await subscribe(client, family))["url"])
    # The child ledger allows one family visit a month: the second is a regular visit.
    regular = await db.scalar(
        sa.select(Slot.id)
        .where(
            Slot.visit_type == VisitType.REGULAR,
            Slot.starts_at > datetime.now(UTC) + timedelta(days=3),
        )
        .order_by(Slot.starts_at)
    )
    await db.commit()
    assert regular is not None
    second = await book(client, family, regular)
    one = await client.get(feed)
    assert [values(e, "UID")[0] for e in events(one.content)] == sorted(
        [first["ical_uid"], second["ical_uid"]],
        key=lambda uid: {
            first["ical_uid"]: first["starts_at"],
            second["ical_uid"]: second["starts_at"],
        }[uid],
    )
    assert (
        await client.get(feed, headers={"If-None-Match": one.headers["etag"]})
    ).status_code == 304

    moved = await client.post(
        f"/api/v1/household/visits/{first['id']}/reschedule",
        headers=family.headers,
        json={"slot_id": str(slots[1])},
    )
    assert moved.status_code == 200
    two = await client.get(feed, headers={"If-None-Match": one.headers["etag"]})
    assert two.status_code == 200
    assert two.headers["etag"] != one.headers["etag"]
    assert_valid(two.content, "PUBLISH")
    event = next(e for e in events(two.content) if values(e, "UID") == [first["ical_uid"]])
    assert values(event, "SEQUENCE") == ["1"]

    cancelled = await client.post(
        f"/api/v1/household/visits/{second['id']}/cancel", headers=family.headers, json={}
    )
    assert cancelled.status_code == 200
    three = await client.get(
        feed,
        headers={
            "If-None-Match": two.headers["etag"],
            "If-Modified-Since": two.headers["last-modified"],
        },
    )
    assert three.status_code == 200
    assert parsedate_to_datetime(three.headers["last-modified"]) >= parsedate_to_datetime(
        two.headers["last-modified"]
    )
    assert_valid(three.content, "PUBLISH")
    assert [values(e, "UID")[0] for e in events(three.content)] == [first["ical_uid"]]
    assert "CANCELLED" not in three.content.decode()  # dropped, not kept as STATUS:CANCELLED

    # The household's language is part of the feed, so changing it changes the feed.
    await client.patch("/api/v1/household", headers=family.headers, json={"language": "en"})
    four = await client.get(feed, headers={"If-None-Match": three.headers["etag"]})
    assert four.status_code == 200
    assert values(unfold(four.content), "NAME") == ["Visit dates"]
    assert "Child and family visit" in four.content.decode()


async def staff_member(
    client: Client, db: AsyncSession, email: str, role: StaffRole, facility: uuid.UUID
) -> tuple[uuid.UUID, dict[str, str]]:
    staff_id = await add_staff(db, email, [(role, facility)])
    return staff_id, bearer(await staff_token(client, email))


async def test_staff_feeds_show_counts_and_ages_never_names(
    client: Client, db: AsyncSession, family: Family
) -> None:
    booked = await book(client, family, family.family_slots[0])
    rooms = await demo_rooms(db)
    hall_slot = await db.scalar(
        sa.select(Slot)
        .where(Slot.room_id == rooms["Besuchssaal"].id, Slot.starts_at > datetime.now(UTC))
        .order_by(Slot.starts_at)
    )
    assert hall_slot is not None
    household = await db.scalar(sa.select(Household))
    hall = await visit_on(db, hall_slot, household, [41, 16])
    hall.support_needs = "Leon Beispiel braucht einen Rollstuhlplatz"
    hall_uid, family_room = hall.ical_uid, rooms["Familienzimmer"].id
    await db.commit()
    officer_id, officer = await staff_member(
        client, db, "officer@example.org", StaffRole.VISITS_OFFICER, family.facility_id
    )
    _, manager = await staff_member(
        client, db, "manager@example.org", StaffRole.VISITS_MANAGER, family.facility_id
    )
    whole = await client.post(
        f"/api/v1/staff/facilities/{family.facility_id}/feeds",
        headers=officer,
        json={"label": "Pforte", "language": "en"},
    )
    assert whole.status_code == 201, whole.text
    assert (whole.json()["kind"], whole.json()["owner"]) == ("facility", "Officer")
    assert whole.json()["webcal_url"].startswith("webcal://")
    room = await client.post(
        f"/api/v1/staff/facilities/{family.facility_id}/feeds",
        headers=officer | {"Accept-Language": "de"},
        json={"room_id": str(family_room)},
    )
    assert room.status_code == 201, room.text
    assert (room.json()["kind"], room.json()["language"]) == ("room", "de")

    facility_feed = await client.get(path_of(whole.json()["url"]))
    assert facility_feed.status_code == 200
    data = facility_feed.content
    assert_valid(data, "PUBLISH")
    lines = unfold(data)
    assert values(lines, "NAME") == ["Visit schedule \u2013 JVA Musterstadt"]
    uids = [values(e, "UID")[0] for e in events(data)]
    assert sorted(uids) == sorted([booked["ical_uid"], hall_uid])
    parsed = {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).events}
    summary = str(parsed[booked["ical_uid"]]["SUMMARY"])
    assert summary == f"Familienzimmer: {booked['reference']} \u2013 1 adult, 2 children"
    assert "1 adult, 2 children (ages 4, 10)" in str(parsed[booked["ical_uid"]]["DESCRIPTION"])
    assert "1 adult, 1 child (age 16)" in str(parsed[hall_uid]["DESCRIPTION"])
    text = "\n".join(lines)
    for name in NAMES:
        assert not re.search(rf"\b{re.escape(name)}\b", text), name
    assert "Rollstuhl" not in text
    assert "example.org" not in text  # no household contact data

    room_feed = await client.get(path_of(room.json()["url"]))
    assert_valid(room_feed.content, "PUBLISH")
    assert [values(e, "UID")[0] for e in events(room_feed.content)] == [booked["ical_uid"]]
    assert values(unfold(room_feed.content), "NAME") == [
        "Besuchsplan \u2013 JVA Musterstadt\\, Familienzimmer"  # TEXT: the comma escaped
    ]

    # Lists: the caller's own; the facility's for its managers only.
    mine = await client.get("/api/v1/staff/feeds", headers=officer)
    assert mine.json()["total"] == 2
    assert (await client.get("/api/v1/staff/feeds", headers=manager)).json()["total"] == 0
    listed = await client.get(
        f"/api/v1/staff/facilities/{family.facility_id}/feeds", headers=manager
    )
    assert listed.json()["total"] == 2
    assert {item["owner"] for item in listed.json()["items"]} == {"Officer"}
    denied = await client.get(
        f"/api/v1/staff/facilities/{family.facility_id}/feeds", headers=officer
    )
    assert denied.status_code == 403
    # A manager revokes the officer's room feed; the officer revokes their own.
    gone = await client.delete(f"/api/v1/staff/feeds/{room.json()['id']}", headers=manager)
    assert gone.status_code == 204
    assert (await client.get(path_of(room.json()["url"]))).status_code == 404
    # Losing the role at the facility closes the feed at once, even before tokens are revoked.
    await db.execute(sa.delete(StaffGrant).where(StaffGrant.staff_id == officer_id))
    await db.commit()
    assert (await client.get(path_of(whole.json()["url"]))).status_code == 404


async def test_staff_feed_requests_are_checked(
    client: Client, db: AsyncSession, family: Family
) -> None:
    other = Facility(
        slug="other",
        name="Other",
        timezone="Europe/Berlin",
        street="s",
        postal_code="1",
        city="c",
        country="DE",
        email="other@example.org",
    )
    db.add(other)
    await db.commit()
    _, officer = await staff_member(
        client, db, "officer@example.org", StaffRole.VISITS_OFFICER, family.facility_id
    )
    rooms = await demo_rooms(db)
    await db.commit()
    foreign_room = await client.post(
        f"/api/v1/staff/facilities/{family.facility_id}/feeds",
        headers=officer,
        json={"room_id": str(uuid.uuid4())},
    )
    assert foreign_room.status_code == 404
    elsewhere = await client.post(
        f"/api/v1/staff/facilities/{other.id}/feeds",
        headers=officer,
        json={"room_id": str(rooms["Familienzimmer"].id)},
    )
    assert elsewhere.status_code == 403
    bad = await client.post(
        f"/api/v1/staff/facilities/{family.facility_id}/feeds",
        headers=officer,
        json={"label": "", "language": "fr", "colour": "red"},
    )
    assert bad.status_code == 422
    assert {e["name"] for e in bad.json()["errors"]} == {"label", "language", "colour"}
    empty = await client.post(
        f"/api/v1/staff/facilities/{family.facility_id}/feeds", headers=officer, json={}
    )
    feed = await client.get(path_of(empty.json()["url"]))
    assert_valid(feed.content, "PUBLISH")
    assert events(feed.content) == []
    assert values(unfold(feed.content), "TZID") == ["Europe/Berlin"]  # never an empty object
    assert (await db.scalar(sa.select(sa.func.count()).select_from(Visit))) == 0
    await db.commit()
