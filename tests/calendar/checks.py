"""Checks every generated calendar object must pass: RFC 5545 form, libical's iTIP restriction
check (through Debian's own Python, for which python3-gi is built) and vobject's validation."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass

import vobject

# Runs under /usr/bin/python3: restriction_check plus every X-LIC-ERROR libical attached while
# parsing, and each event's start converted to UTC through the object's own VTIMEZONE.
_LIBICAL = r"""
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib

top = ICalGLib.Component.new_from_string(sys.stdin.read())
ok = bool(ICalGLib.restriction_check(top))
errors, starts = [], {}

def walk(component):
    prop = component.get_first_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    while prop is not None:
        errors.append(prop.get_xlicerror())
        prop = component.get_next_property(ICalGLib.PropertyKind.XLICERROR_PROPERTY)
    child = component.get_first_component(ICalGLib.ComponentKind.ANY_COMPONENT)
    while child is not None:
        walk(child)
        child = component.get_next_component(ICalGLib.ComponentKind.ANY_COMPONENT)

walk(top)
utc = ICalGLib.Timezone.get_utc_timezone()
event = top.get_first_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
while event is not None:
    prop = event.get_first_property(ICalGLib.PropertyKind.DTSTART_PROPERTY)
    start = prop.get_dtstart()
    tzid = prop.get_first_parameter(ICalGLib.ParameterKind.TZID_PARAMETER)
    if tzid is not None:
        zone = top.get_timezone(tzid.get_tzid())
        if zone is None:
            errors.append("no VTIMEZONE for " + tzid.get_tzid())
        else:
            ICalGLib.Time.convert_timezone(start, zone, utc)
    starts[event.get_uid()] = start.as_ical_string().rstrip("Z") + "Z"
    event = top.get_next_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
print(json.dumps({"ok": ok, "errors": errors, "starts": starts}))
"""


@dataclass(frozen=True)
class Libical:
    ok: bool
    errors: list[str]
    starts: dict[str, str]  # UID -> start in UTC, as libical computes it


def libical(data: bytes) -> Libical:
    done = subprocess.run(
        ["/usr/bin/python3", "-c", _LIBICAL],
        input=data,
        capture_output=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout)
    return Libical(result["ok"], result["errors"], result["starts"])


def unfold(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def values(lines: list[str], name: str) -> list[str]:
    """Raw (still escaped) values of every property ``name``, parameters stripped."""
    found = []
    for line in lines:
        head, _, value = line.partition(":")
        if head.split(";")[0].upper() == name:
            found.append(value)
    return found


def events(data: bytes) -> list[list[str]]:
    """The unfolded lines of each VEVENT."""
    result: list[list[str]] = []
    current: list[str] | None = None
    for line in unfold(data):
        if line == "BEGIN:VEVENT":
            current = []
        elif line == "END:VEVENT" and current is not None:
            result.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return result


def assert_valid(data: bytes, method: str) -> Libical:
    """Fails unless ``data`` is a well-formed iCalendar object that libical and vobject accept
    for ``method``; returns libical's view (errors, UTC starts)."""
    # CRLF only, a final CRLF, lines of at most 75 octets that are each valid UTF-8.
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b""), "a bare LF"
    assert b"\r" not in data.replace(b"\r\n", b""), "a bare CR"
    for physical in data.split(b"\r\n")[:-1]:
        assert len(physical) <= 75, physical
        physical.decode("utf-8")  # raises if a fold split a character
    lines = unfold(data)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    assert values(lines, "VERSION") == ["2.0"]
    assert len(values(lines, "PRODID")) == 1
    assert values(lines, "METHOD") == [method]
    zones = set(values(lines, "TZID"))
    for line in lines:
        for tzid in re.findall(r";TZID=([^;:]+)", line.partition(":")[0]):
            assert tzid in zones, f"TZID {tzid} has no VTIMEZONE"
    for event in events(data):
        assert len(values(event, "UID")) == 1
        stamps = values(event, "DTSTAMP")
        assert len(stamps) == 1
        assert re.fullmatch(r"\d{8}T\d{6}Z", stamps[0])
        assert len(values(event, "ORGANIZER")) == 1
        attendees = values(event, "ATTENDEE")
        if method == "PUBLISH":
            assert attendees == []
        else:
            assert len(attendees) >= 1
        if method == "CANCEL":
            assert values(event, "STATUS") == ["CANCELLED"]
            assert len(values(event, "SEQUENCE")) == 1
    checked = libical(data)
    assert checked.ok, checked.errors
    assert checked.errors == []
    vobject.readOne(data.decode("utf-8")).validate()
    return checked
