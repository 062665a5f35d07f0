"""The iCalendar writer on its own: time zones libical reads exactly as zoneinfo does, folding at
75 octets without splitting characters, escaping, and the autumn hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from tests.calendar.checks import assert_valid, events, unfold, values
from visits.calendar.ics import Address, EventSpec, Reminder, render

ORGANIZER = Address("besuch@example.org", "Anstalt")
GUARDIAN = Address("guardian@example.org", "Guardian")


def spec(uid: str, start: datetime, tzid: str, **changes: object) -> EventSpec:
    values: dict[str, object] = {
        "uid": uid,
        "sequence": 0,
        "start": start,
        "end": start + timedelta(hours=1),
        "tzid": tzid,
        "summary": "Besuch",
        "location": "Raum",
        "description": "Text",
        "status": "CONFIRMED",
        "organizer": ORGANIZER,
        "attendees": (GUARDIAN,),
    }
    values.update(changes)
    return EventSpec(**values)  # type: ignore[arg-type]


def instants(zone: ZoneInfo) -> list[datetime]:
    """Every 25 hours (so every hour of the day comes up) through 2026 and 2027, and every 15
    minutes around each change."""
    found = []
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        found.append(moment)
        later = moment + timedelta(hours=25)
        if moment.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
            found.extend(moment + timedelta(minutes=15 * i) for i in range(1, 100))
        moment = later
    return found


@pytest.mark.parametrize(
    "tzid",
    # Central Europe, the US rules, a half-hour change in the southern hemisphere, no DST.
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"],
)
def test_libical_reads_every_instant_through_our_vtimezone_as_zoneinfo_does(tzid: str) -> None:
    zone = ZoneInfo(tzid)
    moments = instants(zone)
    data = render(
        "REQUEST",
        [spec(f"e{i}", moment, tzid) for i, moment in enumerate(moments)],
        dtstamp=datetime.now(UTC),
    )
    checked = assert_valid(data, "REQUEST")
    expected = {f"e{i}": m.strftime("%Y%m%dT%H%M%SZ") for i, m in enumerate(moments)}
    wrong = {
        uid: (checked.starts[uid], when)
        for uid, when in expected.items()
        if checked.starts[uid] != when
    }
    assert wrong == {}
    # Most are written in local time with the zone; only the repeated autumn hour is in UTC.
    starts = [values(e, "DTSTART")[0] for e in events(data)]
    utc_written = [s for s in starts if s.endswith("Z")]
    assert len(utc_written) < len(starts) / 20
    assert all(
        f"DTSTART;TZID={tzid}:" in line or line.startswith("DTSTART:")
        for e in events(data)
        for line in e
        if line.startswith("DTSTART")
    )


def test_the_repeated_autumn_hour_is_written_in_utc_the_rest_with_the_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    first_half_past_two = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second_half_past_two = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 CET
    spring = datetime(2027, 3, 28, 3, 30, tzinfo=berlin)  # just after the gap
    data = render(
        "REQUEST",
        [
            spec("a", first_half_past_two, "Europe/Berlin"),
            spec("b", second_half_past_two, "Europe/Berlin"),
            spec("c", spring, "Europe/Berlin"),
        ],
        dtstamp=datetime.now(UTC),
    )
    checked = assert_valid(data, "REQUEST")
    a, b, c = events(data)
    assert values(a, "DTSTART") == ["20271031T003000Z"]
    assert values(b, "DTSTART") == ["20271031T013000Z"]
    assert "DTSTART;TZID=Europe/Berlin:20270328T033000" in c
    assert checked.starts == {
        "a": "20271031T003000Z",
        "b": "20271031T013000Z",
        "c": "20270328T013000Z",
    }
    # The DAYLIGHT onset is 02:00 in the offset before it (RFC 5545 3.6.5), not 03:00.
    lines = unfold(data)
    daylight = lines[lines.index("BEGIN:DAYLIGHT") :]
    assert values(daylight, "DTSTART")[0] == "20270328T020000"
    standard = lines[lines.index("BEGIN:STANDARD", lines.index("END:DAYLIGHT")) :]
    assert values(standard, "DTSTART")[0] == "20271031T030000"


def test_folding_at_75_octets_keeps_every_character_whole_and_escaping_round_trips() -> None:
    text = "Grüße aus Görlitz; Tür 3, Flur B \u2013 ÄÖÜ ß € 😀 " * 6 + "\\ Ende\nzweite Zeile"
    location = "Familienzimmer; Spielecke, Wickeltisch, Bücher und Sofas, Haus Ä"
    name = "Änne-Sophie Müller-Lüdenscheidt, geb. Großkopf; Erziehungsberechtigte für Jörg"
    data = render(
        "REQUEST",
        [
            spec(
                "golden",
                datetime(2027, 5, 3, 12, tzinfo=UTC),
                "Europe/Berlin",
                summary=text,
                location=location,
                description=text,
                attendees=(Address("guardian@example.org", name),),
                reminders=(Reminder(timedelta(days=1), text),),
            )
        ],
        dtstamp=datetime.now(UTC),
    )
    assert_valid(data, "REQUEST")  # every physical line <= 75 octets and valid UTF-8 alone
    physical = data.split(b"\r\n")
    assert max(len(line) for line in physical) >= 70  # long lines were really folded
    assert any(b"\xf0\x9f\x98\x80" in line for line in physical)  # the emoji stays whole
    [event] = events(data)
    assert values(event, "LOCATION") == [
        "Familienzimmer\\; Spielecke\\, Wickeltisch\\, Bücher und Sofas\\, Haus Ä"
    ]
    assert values(event, "DESCRIPTION")[0].endswith("\\\\ Ende\\nzweite Zeile")
    one_line = text.replace("\n", " ")  # titles are kept on one line
    for parsed in (icalendar.Calendar.from_ical(data).events[0],):
        assert str(parsed["SUMMARY"]) == one_line
        assert str(parsed["DESCRIPTION"]) == text
        assert str(parsed["LOCATION"]) == location
        assert parsed["ATTENDEE"].params["CN"] == name
    other = vobject.readOne(data.decode())
    assert other.vevent.summary.value == one_line
    assert other.vevent.location.value == location
    assert other.vevent.attendee.params["CN"] == [name]


def test_a_calendar_without_events_still_has_a_component() -> None:
    data = render("PUBLISH", [], dtstamp=datetime.now(UTC), name="Leer", empty_tzid="Europe/Berlin")
    assert_valid(data, "PUBLISH")
    assert values(unfold(data), "TZID") == ["Europe/Berlin"]
