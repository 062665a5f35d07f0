"""What a visit looks like as a calendar event: for the family (invites, their own feed) and for
staff (facility and room feeds).

Works on plain facts so that invites (loaded through the ORM) and feeds (thousands of rows read
with one query) share the wording. Families see the family view of the rule results that belong
in the confirmation (CF-02 consent forms, CF-03 ID documents, CF-21 information per age band);
staff feeds show counts and ages, never names, and no review reasons (they may concern
safeguarding).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from visits.calendar import texts
from visits.calendar.ics import Address, EventSpec, EventStatus, Reminder
from visits.enums import VisitStatus, VisitType
from visits.rules.model import RuleResult

REMINDER_BEFORE = timedelta(days=1)  # time to find the ID documents and consent forms
CANCELLED_STATES = frozenset({VisitStatus.CANCELLED, VisitStatus.REJECTED})


@dataclass(frozen=True, kw_only=True)
class Place:
    """The facility and room of a visit."""

    facility_name: str
    timezone: str
    street: str
    postal_code: str
    city: str
    phone: str | None
    email: str
    room_name: str

    @property
    def address(self) -> str:
        return f"{self.facility_name}, {self.street}, {self.postal_code} {self.city}"

    @property
    def organizer(self) -> Address:
        return Address(self.email, self.facility_name)


@dataclass(frozen=True, kw_only=True)
class VisitFacts:
    id: uuid.UUID
    reference: str
    status: VisitStatus
    visit_type: VisitType
    starts_at: datetime
    ends_at: datetime
    ical_uid: str
    ical_sequence: int
    created_at: datetime
    updated_at: datetime
    needs_review: bool = False
    party: tuple[tuple[int, bool], ...] = ()  # (age on the visit date, is a child)
    rule_results: tuple[dict[str, Any], ...] = ()


def event_status(status: VisitStatus) -> EventStatus:
    if status in CANCELLED_STATES:
        return "CANCELLED"
    return "TENTATIVE" if status is VisitStatus.REQUESTED else "CONFIRMED"


def manage_url(public_url: str, visit_id: uuid.UUID) -> str:
    """The family page of the visit (confirm, invite, cancel); also ``VisitOut.manage_url``."""
    return f"{public_url}/my-visits/{visit_id}"


def local_when(visit: VisitFacts, place: Place, language: str) -> str:
    zone = ZoneInfo(place.timezone)
    return texts.when(visit.starts_at.astimezone(zone), visit.ends_at.astimezone(zone), language)


def to_bring(visit: VisitFacts, language: str) -> list[str]:
    """The family texts of the results that belong in the confirmation, by rule id."""
    results = [msgspec.convert(r, RuleResult) for r in visit.rule_results]
    shown = sorted((r.for_family() for r in results if r.in_confirmation), key=lambda r: r.rule_id)
    return [r.message_de if language == "de" else r.message_en for r in shown]


def _location(visit: VisitFacts, place: Place, language: str) -> str:
    if visit.visit_type is VisitType.VIDEO:
        return f"{texts.kind(visit.visit_type, language)} \u2013 {place.facility_name}"
    return f"{place.room_name}, {place.address}"


def family_summary(visit: VisitFacts, place: Place, language: str) -> str:
    key = "summary.requested" if visit.status is VisitStatus.REQUESTED else "summary"
    return texts.say(
        key, language, kind=texts.kind(visit.visit_type, language), facility=place.facility_name
    )


def family_lines(
    visit: VisitFacts,
    place: Place,
    language: str,
    public_url: str,
    information: Sequence[tuple[str, str]],
) -> list[str]:
    """The family's description of the visit, one paragraph per item (invite, mail, feed)."""
    lines = [
        texts.status_text(visit.status, language),
        texts.say("when", language, when=local_when(visit, place, language)),
        texts.say("reference", language, reference=visit.reference),
        texts.say("room", language, room=place.room_name),
        texts.say("address", language, address=place.address),
        texts.say("people", language, people=texts.people(visit.party, language)),
    ]
    if visit.status not in CANCELLED_STATES:
        bring = to_bring(visit, language)
        if bring:
            lines.append(texts.say("bring", language) + "\n" + "\n".join(f"- {b}" for b in bring))
        if information:
            lines.append(
                texts.say("children", language)
                + "\n"
                + "\n".join(f"- {title}: {body}" for title, body in information)
            )
    lines.append(texts.say("manage", language, url=manage_url(public_url, visit.id)))
    if place.phone:
        lines.append(texts.say("phone", language, phone=place.phone))
    return lines


def family_event(
    visit: VisitFacts,
    place: Place,
    *,
    language: str,
    public_url: str,
    attendee: Address | None,
    information: Sequence[tuple[str, str]] = (),
    sent_by: str | None = None,
) -> EventSpec:
    """The family's event: an invite when ``attendee`` is given, else a feed entry."""
    summary = family_summary(visit, place, language)
    reminders: tuple[Reminder, ...] = ()
    if visit.status not in CANCELLED_STATES:
        reminders = (Reminder(REMINDER_BEFORE, texts.say("reminder", language, summary=summary)),)
    return EventSpec(
        uid=visit.ical_uid,
        sequence=visit.ical_sequence,
        start=visit.starts_at,
        end=visit.ends_at,
        tzid=place.timezone,
        summary=summary,
        location=_location(visit, place, language),
        description="\n\n".join(family_lines(visit, place, language, public_url, information)),
        status=event_status(visit.status),
        organizer=place.organizer,
        organizer_sent_by=sent_by if sent_by and sent_by != place.email else None,
        attendees=(attendee,) if attendee else (),
        url=manage_url(public_url, visit.id),
        created=visit.created_at,
        last_modified=visit.updated_at,
        reminders=reminders,
    )


def staff_event(visit: VisitFacts, place: Place, *, language: str, public_url: str) -> EventSpec:
    """A visit in a staff feed: reference, room and counts; no names, no reasons."""
    key = "staff.summary.requested" if visit.status is VisitStatus.REQUESTED else "staff.summary"
    party = texts.people(visit.party, language, with_ages=False)
    lines = [
        texts.say("status", language, status=texts.staff_status(visit.status, language)),
        texts.say("kind", language, kind=texts.kind(visit.visit_type, language)),
        texts.say("reference", language, reference=visit.reference),
        texts.say("room", language, room=place.room_name),
        texts.say("people", language, people=texts.people(visit.party, language)),
    ]
    if visit.needs_review:
        lines.append(texts.say("review", language))
    url = f"{public_url}/api/v1/staff/visits/{visit.id}"
    lines.append(texts.say("open", language, url=url))
    return EventSpec(
        uid=visit.ical_uid,
        sequence=visit.ical_sequence,
        start=visit.starts_at,
        end=visit.ends_at,
        tzid=place.timezone,
        summary=texts.say(
            key, language, room=place.room_name, reference=visit.reference, people=party
        ),
        location=f"{place.room_name}, {place.address}",
        description="\n".join(lines),
        status=event_status(visit.status),
        organizer=place.organizer,
        url=url,
        created=visit.created_at,
        last_modified=visit.updated_at,
    )
