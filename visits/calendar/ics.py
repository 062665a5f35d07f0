"""iCalendar objects (RFC 5545) built with ``icalendar``: events, alarms and time zones.

Everything here works on plain data (no database), so the golden tests can pin the output.
``icalendar`` writes CRLF line endings, folds lines at 75 octets without splitting a UTF-8
character, and escapes TEXT values. Every text passes :func:`visits.plain_text.plain` on the way out
(RFC 5545 allows no control characters in TEXT, and ``icalendar`` neither escapes a bare CR
nor treats ``NAME`` as TEXT): a name stored with a line break cannot break a feed.

Time zones are written by :func:`vtimezone`, not by ``icalendar``'s own generator, whose
daylight-saving observances start one hour late (the onset is given in the new offset instead
of the one in effect before it, RFC 5545 section 3.6.5).
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import (
    Alarm,
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vText,
)

from visits import __version__
from visits.plain_text import plain

PRODID = f"-//visits//visits {__version__}//EN"
Method = Literal["REQUEST", "CANCEL", "PUBLISH"]
EventStatus = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]
_SCAN_STEP = timedelta(hours=6)  # no zone changes its offset twice within six hours


@dataclass(frozen=True)
class Address:
    """A calendar user: a mailbox and the name shown for it."""

    email: str
    name: str


@dataclass(frozen=True)
class Reminder:
    before: timedelta
    text: str


@dataclass(frozen=True, kw_only=True)
class EventSpec:
    """One VEVENT. ``start``/``end`` are aware; they are written in ``tzid`` local time.
    Frozen and hashable: feeds cache serialised events by their content."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    tzid: str
    summary: str
    location: str
    description: str
    status: EventStatus
    organizer: Address
    organizer_sent_by: str | None = None
    attendees: tuple[Address, ...] = ()
    url: str | None = None
    created: datetime | None = None
    last_modified: datetime | None = None
    reminders: tuple[Reminder, ...] = ()


def _naive_local(instant: datetime, offset: timedelta) -> datetime:
    return (instant.astimezone(UTC) + offset).replace(tzinfo=None)


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, bool, str]:
    local = instant.astimezone(zone)
    offset = local.utcoffset() or timedelta()
    return offset, bool(local.dst()), local.tzname() or ""


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants (to the second) at which the zone's offset, DST flag or name change."""
    found: list[datetime] = []
    here, state = start, _state(zone, start)
    while here < end:
        there = min(here + _SCAN_STEP, end)
        if _state(zone, there) != state:
            low, high = here, there
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            found.append(high.replace(microsecond=0))
            state = _state(zone, there)
        here = there
    return found


@functools.lru_cache(maxsize=128)
def vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for ``tzid`` that is exact from 1 January ``first_year`` to the end of
    ``last_year``: one observance per (kind, offsets, name), its onsets as DTSTART and RDATEs,
    each given in the local time of the offset in effect before it (TZOFFSETFROM)."""
    zone = ZoneInfo(tzid)
    start = datetime(first_year, 1, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(last_year + 1, 1, 1, tzinfo=UTC) + timedelta(days=1)
    offset, dst, name = _state(zone, start)
    groups: dict[tuple[bool, timedelta, timedelta, str], list[datetime]] = {
        (dst, offset, offset, name): [_naive_local(start, offset)]
    }
    for instant in _transitions(zone, start, end):
        new_offset, new_dst, new_name = _state(zone, instant)
        key = (new_dst, offset, new_offset, new_name)
        groups.setdefault(key, []).append(_naive_local(instant, offset))
        offset = new_offset
    component = Timezone()
    component.add("TZID", tzid)
    for (daylight, offset_from, offset_to, tzname), onsets in groups.items():
        observance = TimezoneDaylight() if daylight else TimezoneStandard()
        observance.add("DTSTART", onsets[0])
        if onsets[1:]:
            observance.add("RDATE", onsets[1:])
        observance.add("TZOFFSETFROM", offset_from)
        observance.add("TZOFFSETTO", offset_to)
        observance.add("TZNAME", tzname)
        component.add_component(observance)
    return component


def _address(person: Address, **parameters: str) -> vCalAddress:
    address = vCalAddress("mailto:" + "".join(plain(person.email).split()))
    address.params["CN"] = plain(person.name)
    for key, value in parameters.items():
        address.params[key.replace("_", "-").upper()] = value
    return address


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    """``instant`` in ``zone``, or in UTC when that wall-clock time occurs twice (the autumn
    hour): RFC 5545 means the first occurrence, but libical reads the second."""
    local = instant.astimezone(zone)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        return instant.astimezone(UTC)
    return local


def _event(spec: EventSpec, dtstamp: datetime) -> Event:
    zone = ZoneInfo(spec.tzid)
    event = Event()
    event.add("UID", spec.uid)
    event.add("DTSTAMP", dtstamp.astimezone(UTC))
    event.add("SEQUENCE", spec.sequence)
    event.add("DTSTART", _local(spec.start, zone))
    event.add("DTEND", _local(spec.end, zone))
    event.add("SUMMARY", plain(spec.summary))
    event.add("LOCATION", plain(spec.location))
    event.add("DESCRIPTION", plain(spec.description, lines=True))
    event.add("STATUS", spec.status)
    event.add("CLASS", "PRIVATE")
    event.add("TRANSP", "OPAQUE")
    sent_by = (
        {"sent_by": "mailto:" + "".join(plain(spec.organizer_sent_by).split())}
        if spec.organizer_sent_by
        else {}
    )
    event.add("ORGANIZER", _address(spec.organizer, **sent_by))
    for attendee in spec.attendees:
        event.add(
            "ATTENDEE",
            _address(
                attendee,
                cutype="INDIVIDUAL",
                role="REQ-PARTICIPANT",
                partstat="ACCEPTED",  # the family booked it: nothing to answer
                rsvp="FALSE",  # replies are not processed
            ),
        )
    if spec.url:
        event.add("URL", spec.url)
    if spec.created:
        event.add("CREATED", spec.created.astimezone(UTC))
    if spec.last_modified:
        event.add("LAST-MODIFIED", spec.last_modified.astimezone(UTC))
    for reminder in spec.reminders:
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", plain(reminder.text, lines=True))
        alarm.add("TRIGGER", -reminder.before)
        event.add_component(alarm)
    return event


class _EventCache:
    """Serialised events by their content (LRU, thread-safe). ``icalendar`` folds character by
    character, about half a millisecond per event: a feed re-renders only what changed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[EventSpec, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, spec: EventSpec) -> bytes:
        with self._lock:
            found = self._items.get(spec)
            if found is not None:
                self._items.move_to_end(spec)
                return found
        assert spec.last_modified is not None
        data = _event_bytes(spec, spec.last_modified)
        with self._lock:
            self._items[spec] = data
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return data

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


EVENT_CACHE = _EventCache(limit=50_000)
_END = b"END:VCALENDAR\r\n"


def _event_bytes(spec: EventSpec, dtstamp: datetime) -> bytes:
    data: bytes = _event(spec, dtstamp).to_ical(sorted=False)
    return data


def render(
    method: Method,
    events: Sequence[EventSpec],
    *,
    dtstamp: datetime | None,
    name: str | None = None,
    description: str | None = None,
    refresh: timedelta | None = None,
    empty_tzid: str = "UTC",
) -> bytes:
    """A VCALENDAR with ``events``, a VTIMEZONE for every zone they use, and for feeds the
    name and polling hints (NAME/X-WR-CALNAME, REFRESH-INTERVAL, X-PUBLISHED-TTL).

    ``dtstamp`` is the time of the message (invites: fresh each time). ``None`` (feeds) stamps
    each event with its own LAST-MODIFIED instead, so an unchanged event has the same bytes in
    every poll and comes from :data:`EVENT_CACHE`. Without events the object still carries one
    component, the VTIMEZONE of ``empty_tzid``: RFC 5545 does not allow an empty calendar."""
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    if name is not None:
        calendar.add("NAME", vText(plain(name)))
        calendar.add("X-WR-CALNAME", vText(plain(name)))
    if description is not None:
        calendar.add("DESCRIPTION", vText(plain(description, lines=True)))
        calendar.add("X-WR-CALDESC", vText(plain(description, lines=True)))
    if refresh is not None:
        calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    years: dict[str, tuple[int, int]] = {}
    for spec in events:
        low, high = years.get(spec.tzid, (spec.start.year, spec.end.year))
        years[spec.tzid] = (min(low, spec.start.year), max(high, spec.end.year))
    if not years:
        year = (dtstamp or datetime.now(UTC)).year
        years[empty_tzid] = (year, year)
    for tzid, (first, last) in sorted(years.items()):
        calendar.add_component(vtimezone(tzid, first, last))
    head: bytes = calendar.to_ical(sorted=False)
    assert head.endswith(_END)
    if dtstamp is None:
        body = [EVENT_CACHE.get(spec) for spec in events]
    else:
        body = [_event_bytes(spec, dtstamp) for spec in events]
    return b"".join([head.removesuffix(_END), *body, _END])
