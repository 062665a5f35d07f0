"""Invites per visit: REQUEST on confirm, the same UID with a rising SEQUENCE on every change,
CANCEL at the end; content in the household's language, without children's names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import sqlalchemy as sa
import vobject
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.booking_helpers import Family, book, demo_family, hold_body
from tests.calendar.checks import assert_valid, events, unfold, values
from visits.db.models import Facility, Household, Room, Slot

FORBIDDEN = ("Mia", "Leon", "Jonas", "MS-2026-0042")  # children's and the prisoner's names


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def invite(client: Client, family: Family, visit_id: str) -> bytes:
    response = await client.get(
        f"/api/v1/household/visits/{visit_id}/invite.ics", headers=family.headers
    )
    assert response.status_code == 200, response.text
    return response.content


def stamp(event: list[str]) -> datetime:
    return datetime.strptime(values(event, "DTSTAMP")[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


async def test_a_confirmed_visit_has_a_request_invite_with_what_the_family_needs(
    client: Client, family: Family
) -> None:
    booked = await book(client, family, family.family_slots[0])
    response = await client.get(
        f"/api/v1/household/visits/{booked['id']}/invite.ics", headers=family.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; method=REQUEST; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="visit-{booked["reference"]}.ics"'
    )
    data = response.content
    checked = assert_valid(data, "REQUEST")
    [event] = events(data)
    assert values(event, "UID") == [booked["ical_uid"]]
    assert values(event, "SEQUENCE") == ["0"]
    assert values(event, "STATUS") == ["CONFIRMED"]
    assert abs(stamp(event) - datetime.now(UTC)) < timedelta(minutes=2)  # fresh per message
    organizer = next(line for line in event if line.startswith("ORGANIZER"))
    assert organizer.endswith(":mailto:besuch@jva-musterstadt.example")
    assert 'CN="JVA Musterstadt"' in organizer or "CN=JVA Musterstadt" in organizer
    [attendee] = [line for line in event if line.startswith("ATTENDEE")]
    assert "RSVP=FALSE" in attendee
    assert attendee.endswith(":mailto:anna.beispiel@example.org")
    # Local time with a matching VTIMEZONE; libical reads the same instant as the API.
    local = datetime.fromisoformat(booked["local_start"])
    assert values(event, "DTSTART") == [local.strftime("%Y%m%dT%H%M%S")]
    assert "DTSTART;TZID=Europe/Berlin:" + local.strftime("%Y%m%dT%H%M%S") in event
    starts = datetime.fromisoformat(booked["starts_at"]).astimezone(UTC)
    assert checked.starts[booked["ical_uid"]] == starts.strftime("%Y%m%dT%H%M%SZ")
    # A reminder the day before.
    assert "BEGIN:VALARM" in event
    assert values(event, "TRIGGER") == ["-P1D"]
    # Room, address, what to bring (CF-03), information per child's age band (CF-21), in German.
    parsed = icalendar.Calendar.from_ical(data).events[0]
    description = str(parsed["DESCRIPTION"])
    assert str(parsed["LOCATION"]) == (
        "Familienzimmer, JVA Musterstadt, Am Besucherweg 1, 12345 Musterstadt"
    )
    assert f"Buchungsnummer: {booked['reference']}" in description
    assert "Ausweis" in description  # CF-03
    assert "Bitte mitbringen und beachten:" in description
    assert "Am Eingang: Am Eingang schaut eine freundliche Person" in description  # 3-5
    assert "Am Eingang: Am Eingang wird kontrolliert" in description  # 6-11
    assert "Ankunft: Bitte kommen Sie 30 Minuten vor Beginn" in description  # everyone
    assert "1 erwachsene Person, 2 Kinder (Alter: 4, 10)" in description
    manage = f"/my-visits/{booked['id']}"
    assert str(parsed["URL"]).endswith(manage)
    assert manage in description
    text = data.decode()
    for name in FORBIDDEN:
        assert not re.search(rf"\b{name}\b", text.replace("\r\n ", "")), name


async def test_two_reschedules_then_a_cancel_keep_the_uid_and_count_0_1_2_3(
    client: Client, family: Family
) -> None:
    slots = family.family_slots
    booked = await book(client, family, slots[0])
    visit_id = booked["id"]
    sent = [await invite(client, family, visit_id)]
    for slot in (slots[1], slots[2]):
        moved = await client.post(
            f"/api/v1/household/visits/{visit_id}/reschedule",
            headers=family.headers,
            json={"slot_id": str(slot)},
        )
        assert moved.status_code == 200, moved.text
        sent.append(await invite(client, family, visit_id))
    cancelled = await client.post(
        f"/api/v1/household/visits/{visit_id}/cancel", headers=family.headers, json={}
    )
    assert cancelled.status_code == 200, cancelled.text
    sent.append(await invite(client, family, visit_id))

    methods = ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    for data, method in zip(sent, methods, strict=True):
        assert_valid(data, method)
    found = [events(data)[0] for data in sent]
    assert [values(e, "SEQUENCE")[0] for e in found] == ["0", "1", "2", "3"]
    assert {values(e, "UID")[0] for e in found} == {booked["ical_uid"]}
    assert [values(e, "STATUS")[0] for e in found] == [
        "CONFIRMED",
        "CONFIRMED",
        "CONFIRMED",
        "CANCELLED",
    ]
    # Each change moved the event; the cancel names the last time and carries no alarm.
    assert len({values(e, "DTSTART")[0] for e in found[:3]}) == 3
    assert values(found[3], "DTSTART") == values(found[2], "DTSTART")
    assert "BEGIN:VALARM" not in found[3]
    assert [line for line in found[3] if line.startswith("ATTENDEE")]


async def test_english_households_get_english_invites_and_holds_have_none(
    client: Client, family: Family
) -> None:
    changed = await client.patch(
        "/api/v1/household", headers=family.headers, json={"language": "en"}
    )
    assert changed.status_code == 200, changed.text
    held = await client.post(
        "/api/v1/household/holds",
        headers=family.headers,
        json=hold_body(family, family.family_slots[0]),
    )
    assert held.status_code == 201
    early = await client.get(
        f"/api/v1/household/visits/{held.json()['id']}/invite.ics", headers=family.headers
    )
    assert early.status_code == 409
    assert early.json()["type"] == "urn:visits:problem:no-invite"
    confirmed = await client.post(
        f"/api/v1/household/visits/{held.json()['id']}/confirm", headers=family.headers
    )
    assert confirmed.status_code == 200
    data = await invite(client, family, held.json()["id"])
    assert_valid(data, "REQUEST")
    parsed = icalendar.Calendar.from_ical(data).events[0]
    description = str(parsed["DESCRIPTION"])
    assert str(parsed["SUMMARY"]) == "Child and family visit: JVA Musterstadt"
    assert "Please bring and note:" in description
    assert "Everyone aged" in description or "Everyone needs" in description  # CF-03
    assert "At the gate: At the gate a friendly person" in description
    assert "Arrival: Please arrive 30 minutes" in description
    assert "Ausweis" not in description


async def test_a_household_without_an_address_downloads_a_publish_object(
    client: Client, db: AsyncSession, family: Family
) -> None:
    booked = await book(client, family, family.family_slots[0])
    await db.execute(sa.update(Household).values(email=None))
    await db.commit()
    data = await invite(client, family, booked["id"])
    assert_valid(data, "PUBLISH")
    assert not [line for line in unfold(data) if line.startswith("ATTENDEE")]


async def test_golden_long_names_with_umlauts_commas_and_semicolons(
    client: Client, db: AsyncSession, family: Family
) -> None:
    facility_name = "Justizvollzugsanstalt Überlingen-Süd, Außenstelle Görlitz; Haus Ä für Familien"
    room_name = "Familienzimmer; Spielecke, Wickeltisch, Bücher und Sofas"
    guardian = "Änne-Sophie Müller-Lüdenscheidt, geb. Großkopf; Erziehungsberechtigte für Jörg"
    assert len(facility_name.encode()) > 75
    assert len(guardian.encode()) > 75
    slot = await db.get(Slot, family.family_slots[0])
    assert slot is not None
    await db.execute(sa.update(Facility).values(name=facility_name, street="Weg 1, Hof; Tor 2"))
    await db.execute(sa.update(Room).where(Room.id == slot.room_id).values(name=room_name))
    await db.execute(sa.update(Household).values(guardian_name=guardian))
    await db.commit()
    booked = await book(client, family, family.family_slots[0])
    data = await invite(client, family, booked["id"])
    assert_valid(data, "REQUEST")
    # Folded at 75 octets without splitting characters (checked above); escaped on the wire.
    raw = unfold(data)
    location = f"{room_name}, {facility_name}, Weg 1, Hof; Tor 2, 12345 Musterstadt"
    escaped = location.replace(",", "\\,").replace(";", "\\;")
    assert values(raw, "LOCATION") == [escaped]
    assert any(len(line.encode()) > 75 for line in raw)  # so folding really happened
    # Read back by two parsers, every value is exactly what went in.
    event = icalendar.Calendar.from_ical(data).events[0]
    assert str(event["LOCATION"]) == location
    assert str(event["SUMMARY"]) == f"Kinder- und Familienbesuch: {facility_name}"
    assert event["ORGANIZER"].params["CN"] == facility_name
    assert event["ATTENDEE"].params["CN"] == guardian
    parsed = vobject.readOne(data.decode())
    assert parsed.vevent.location.value == location
    assert parsed.vevent.attendee.params["CN"] == [guardian]
