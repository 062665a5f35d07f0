"""Subscription feeds (``METHOD:PUBLISH``): a household's own visits, a facility's or a room's
schedule for staff.

Calendar apps poll, and thousands of them may, so a poll that finds nothing new must be cheap:
:func:`feed_version` answers with one aggregate query (count and newest change of the visits in
the feed, and of the rows that name things in it), and only a changed version renders the feed.
The version counts cancelled and rejected visits too, so that a cancellation changes it even
though the visit leaves the feed.

Decisions:
- Cancelled and rejected visits are dropped, not kept as ``STATUS:CANCELLED``: several widely
  used clients show cancelled events in subscribed calendars like any other, and a family must
  never travel to a cancelled visit. Families get an explicit ``METHOD:CANCEL`` by e-mail.
- Visits that ended more than :data:`PAST_DAYS` days ago are left out.
- Every event has exactly one ORGANIZER (the facility) and no ATTENDEE (iTIP forbids it in
  PUBLISH, and it would spread contact data). Staff feeds show the reference, the room, counts
  and children's ages; no names of children, visitors or prisoners, and no review reasons.
- Validators: the ETag names the data exactly (count, newest stamps to the microsecond, and
  the sum of every visit's stamp, so that a change committed after a later one still changes
  it); If-None-Match wins over If-Modified-Since (RFC 9110). HTTP dates have
  whole seconds, so a date only proves a client has every change once the second of the
  newest change is over and that change has had :data:`SETTLE` to commit: ``Last-Modified``
  is then the end of that second and later polls with it get 304; before, it is the second
  itself, which never matches, so a client that fetched too early gets the whole feed again.
- Each event's DTSTAMP is its LAST-MODIFIED time (when the visit last changed), so an unchanged
  event renders to the same bytes in every poll and comes from a cache of serialised events
  (``ics.EVENT_CACHE``); whole feeds are cached by version as well (:data:`FEED_CACHE`), for the
  apps that poll without validators.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.calendar import ics
from visits.calendar.content import Place, VisitFacts, family_event, staff_event
from visits.db.base import utcnow
from visits.db.models import Facility, Household, Room, Slot, Visit, VisitParty
from visits.enums import VisitStatus
from visits.i18n import DEFAULT_LANGUAGE, N_, translate

SelectT = TypeVar("SelectT", bound="sa.Select[*tuple[Any, ...]]")
FeedKind = Literal["household", "facility", "room"]
PAST_DAYS = 60
REFRESH = timedelta(hours=1)
SHOWN_STATES = (
    VisitStatus.REQUESTED,
    VisitStatus.CONFIRMED,
    VisitStatus.ATTENDED,
    VisitStatus.NO_SHOW,
)
# Every state a shown visit can move to: a visit leaving the feed still changes its version.
VERSIONED_STATES = (*SHOWN_STATES, VisitStatus.CANCELLED, VisitStatus.REJECTED)
FORMAT_VERSION = "2"  # part of every ETag: a change of the rendering invalidates caches
# A change is stamped when it is flushed and seen when its transaction commits: dates are
# trusted only for changes older than this (a longer transaction would need the ETag).
SETTLE = timedelta(seconds=5)


@dataclass(frozen=True)
class FeedScope:
    """What a feed token opens; stored as the token's ``scope``."""

    kind: FeedKind
    household_id: uuid.UUID | None = None
    facility_id: uuid.UUID | None = None
    room_id: uuid.UUID | None = None
    language: str = DEFAULT_LANGUAGE

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"feed": self.kind, "language": self.language}
        if self.facility_id:
            data["facility_id"] = str(self.facility_id)
        if self.room_id:
            data["room_id"] = str(self.room_id)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], household_id: uuid.UUID | None) -> FeedScope:
        facility, room = data.get("facility_id"), data.get("room_id")
        return cls(
            kind=data["feed"],
            household_id=household_id,
            facility_id=uuid.UUID(facility) if facility else None,
            room_id=uuid.UUID(room) if room else None,
            language=data.get("language", DEFAULT_LANGUAGE),
        )


@dataclass(frozen=True)
class FeedVersion:
    etag: str  # a weak validator: it names the data, not the bytes
    changed_at: datetime  # the newest change, exact (UTC)
    last_modified: datetime  # what Last-Modified says: whole seconds, UTC, never in the future
    dates_trusted: bool  # whether If-Modified-Since may answer 304 (see the module docstring)

    @property
    def http_date(self) -> str:
        return format_datetime(self.last_modified, usegmt=True)


def _whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def dated_version(etag: str, changed_at: datetime, now: datetime) -> FeedVersion:
    """The validators of a feed whose newest change is ``changed_at``, as seen at ``now``.

    ``Last-Modified`` is the first whole second after the change once that second is over
    and the change is :data:`SETTLE` old; until then it is the change's own second (capped at
    ``now``), a date that :func:`not_modified` never accepts."""
    after = _whole_second(changed_at) + timedelta(seconds=1)
    if now >= after + SETTLE:
        return FeedVersion(etag, changed_at, after, dates_trusted=True)
    shown = min(_whole_second(changed_at), _whole_second(now))
    return FeedVersion(etag, changed_at, shown, dates_trusted=False)


class FeedCache:
    """Rendered feeds by scope and version (LRU, bounded in bytes), for the calendar apps that
    poll without validators and get the whole feed every time."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._size = 0

    @staticmethod
    def key(scope: FeedScope, version: FeedVersion, public_url: str) -> tuple[str, ...]:
        return (repr(scope), version.etag, public_url)

    def get(self, key: tuple[str, ...]) -> bytes | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: tuple[str, ...], body: bytes) -> None:
        if len(body) > self.max_bytes or key in self._items:
            return
        self._items[key] = body
        self._size += len(body)
        while self._size > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._size -= len(dropped)


FEED_CACHE = FeedCache(max_bytes=32 * 1024 * 1024)


def window_start(now: datetime) -> datetime:
    """Visits ending after this instant are in feeds (midnight UTC, so it moves once a day)."""
    day = (now.astimezone(UTC) - timedelta(days=PAST_DAYS)).date()
    return datetime.combine(day, time(0), tzinfo=UTC)


def _conditions(scope: FeedScope, since: datetime) -> list[sa.ColumnElement[bool]]:
    conditions = [Visit.ends_at >= since]
    if scope.kind == "household":
        conditions.append(Visit.household_id == scope.household_id)
    else:
        conditions.append(Visit.facility_id == scope.facility_id)
    if scope.kind == "room":
        conditions.append(Slot.room_id == scope.room_id)
    return conditions


def _join(statement: SelectT) -> SelectT:
    return (
        statement.select_from(Visit)
        .join(Slot, Slot.id == Visit.slot_id)
        .join(Room, Room.id == Slot.room_id)
        .join(Facility, Facility.id == Visit.facility_id)
    )


def _version_statement(scope: FeedScope, since: datetime) -> sa.Select[*tuple[Any, ...]]:
    """Count, sum of stamps and newest change of the visits in the feed (any state a shown
    visit can reach), with the rows a feed shows even without visits. Staff feeds read only the
    visit table and its index on ``facility_id``; a household's few visits bring their rooms
    and facilities."""
    counted = (Visit.ends_at >= since, Visit.status.in_(VERSIONED_STATES))
    aggregates = (
        sa.func.count(Visit.id),
        sa.func.sum(sa.extract("epoch", Visit.updated_at)),
        sa.func.max(Visit.updated_at),
    )
    if scope.kind == "household":
        household = sa.select(Household.updated_at).where(Household.id == scope.household_id)
        return _join(
            sa.select(
                *aggregates,
                sa.func.max(Room.updated_at),
                sa.func.max(Facility.updated_at),
                household.scalar_subquery(),
            )
        ).where(Visit.household_id == scope.household_id, *counted)
    facility = sa.select(Facility.updated_at).where(Facility.id == scope.facility_id)
    if scope.kind == "facility":
        rooms = sa.select(sa.func.max(Room.updated_at)).where(Room.facility_id == scope.facility_id)
        return sa.select(*aggregates, facility.scalar_subquery(), rooms.scalar_subquery()).where(
            Visit.facility_id == scope.facility_id, *counted
        )
    room = sa.select(Room.updated_at).where(Room.id == scope.room_id)
    return (
        sa.select(*aggregates, facility.scalar_subquery(), room.scalar_subquery())
        .select_from(Visit)
        .join(Slot, Slot.id == Visit.slot_id)
        .where(Visit.facility_id == scope.facility_id, Slot.room_id == scope.room_id, *counted)
    )


async def feed_version(session: AsyncSession, scope: FeedScope, now: datetime) -> FeedVersion:
    """The feed's validators, from one aggregate query (no rendering).

    A change is stamped when it is flushed and seen when it commits, and concurrent
    transactions commit in any order: a change stamped before the newest one can become
    visible after a client fetched, with count and newest stamp unchanged. The sum of the
    stamps names it."""
    since = window_start(now)
    statement = _version_statement(scope, since)
    count, stamp_sum, *stamps = (await session.execute(statement)).one()
    moments = [_utc(s) for s in stamps if s is not None]
    fingerprint = "|".join(
        [
            FORMAT_VERSION,
            scope.kind,
            str(scope.household_id or scope.facility_id),
            str(scope.room_id),
            scope.language,
            since.date().isoformat(),
            str(count),
            str(stamp_sum),
            *(m.isoformat() for m in moments),
        ]
    )
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return dated_version(f'W/"{digest}"', max(moments, default=since), now)


def _utc(value: datetime | str) -> datetime:
    """Aggregates over SQLite may come back as text; every stored time is UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def not_modified(headers: Any, version: FeedVersion, now: datetime) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match (weak comparison) wins over If-Modified-Since.

    A date answers 304 only when it is at or after ``Last-Modified`` as sent once the newest
    change has settled; dates that cannot be ours (unparsable, or later than ``now``) are
    ignored."""
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        tags = [_opaque(t) for t in if_none_match.split(",")]
        return "*" in tags or _opaque(version.etag) in tags
    if_modified_since = headers.get("if-modified-since")
    if not if_modified_since or not version.dates_trusted:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return version.last_modified <= since <= now


async def _name_and_zone(session: AsyncSession, scope: FeedScope) -> tuple[str, str]:
    """The calendar's name, and the time zone an empty feed describes."""
    if scope.kind == "household":
        return translate(scope.language, N_("Visit dates")), "UTC"
    name, zone = (
        await session.execute(
            sa.select(Facility.name, Facility.timezone).where(Facility.id == scope.facility_id)
        )
    ).one()
    if scope.kind == "facility":
        return translate(scope.language, N_("Visit schedule \u2013 %(name)s"), name=name), zone
    room = await session.scalar(sa.select(Room.name).where(Room.id == scope.room_id))
    schedule = N_("Visit schedule \u2013 %(name)s, %(room)s")
    return translate(scope.language, schedule, name=name, room=room), zone


async def render_feed(
    session: AsyncSession,
    scope: FeedScope,
    *,
    public_url: str,
    now: datetime | None = None,
) -> bytes:
    """The feed as an iCalendar object (``METHOD:PUBLISH``). The database is read here; the
    events are built in a worker thread, so a large cold feed does not stall other requests."""
    since = window_start(now or utcnow())
    conditions = [*_conditions(scope, since), Visit.status.in_(SHOWN_STATES)]
    household = scope.kind == "household"
    columns: list[Any] = [
        Visit.id,
        Visit.reference,
        Visit.status,
        Visit.visit_type,
        Visit.starts_at,
        Visit.ends_at,
        Visit.ical_uid,
        Visit.ical_sequence,
        Visit.created_at,
        Visit.updated_at,
        Visit.needs_review,
        Room.id.label("room_id"),
        Room.name.label("room_name"),
        Facility.name.label("facility_name"),
        Facility.timezone,
        Facility.street,
        Facility.postal_code,
        Facility.city,
        Facility.phone,
        Facility.email,
    ]
    if household:
        columns.append(Visit.rule_results)
    rows = (
        await session.execute(
            _join(sa.select(*columns)).where(*conditions).order_by(Visit.starts_at, Visit.id)
        )
    ).all()
    party: dict[uuid.UUID, list[tuple[int, bool]]] = defaultdict(list)
    party_rows = await session.execute(
        _join(sa.select(VisitParty.visit_id, VisitParty.age_years, VisitParty.is_child))
        .join(VisitParty, VisitParty.visit_id == Visit.id)
        .where(*conditions)
    )
    for visit_id, age, child in party_rows:
        party[visit_id].append((age, child))
    language = scope.language
    if household:
        chosen = await session.scalar(
            sa.select(Household.language).where(Household.id == scope.household_id)
        )
        language = chosen.value if chosen else language
    name, zone = await _name_and_zone(session, dataclasses.replace(scope, language=language))
    return await asyncio.to_thread(
        _assemble, rows, party, household, language, name, zone, public_url.rstrip("/")
    )


def _assemble(
    rows: Sequence[sa.Row[Any]],
    party: dict[uuid.UUID, list[tuple[int, bool]]],
    household: bool,
    language: str,
    name: str,
    zone: str,
    public_url: str,
) -> bytes:
    events = []
    places: dict[uuid.UUID, Place] = {}  # per room
    for row in rows:
        place = places.get(row.room_id)
        if place is None:
            place = places[row.room_id] = Place(
                facility_name=row.facility_name,
                timezone=row.timezone,
                street=row.street,
                postal_code=row.postal_code,
                city=row.city,
                phone=row.phone,
                email=row.email,
                room_name=row.room_name,
            )
        facts = VisitFacts(
            id=row.id,
            reference=row.reference,
            status=row.status,
            visit_type=row.visit_type,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            ical_uid=row.ical_uid,
            ical_sequence=row.ical_sequence,
            created_at=row.created_at,
            updated_at=row.updated_at,
            needs_review=row.needs_review,
            party=tuple(sorted(party[row.id], reverse=True)),
            rule_results=tuple(row.rule_results) if household else (),
        )
        if household:
            event = family_event(
                facts, place, language=language, public_url=public_url, attendee=None
            )
        else:
            event = staff_event(facts, place, language=language, public_url=public_url)
        events.append(event)
    return ics.render(
        "PUBLISH",
        events,
        dtstamp=None,
        name=name,
        description=translate(language, N_("Read only. Cancelled visits are removed.")),
        refresh=REFRESH,
        empty_tzid=zone,
    )
