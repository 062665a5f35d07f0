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

import msgspec

from visits.calendar import texts
from visits.calendar.ics import Address, EventSpec, EventStatus, Reminder
from visits.enums import VisitStatus, VisitType
from visits.i18n import N_, translate
from visits.rules.model import RuleResult

REMINDER_BEFORE = timedelta(days=1)  # time to find the ID documents and consent forms
CANCELLED_STATES = frozenset({VisitStatus.CANCELLED, VisitStatus.REJECTED})

FAMILY_STATUSES = {
    VisitStatus.CONFIRMED: N_("Your visit is confirmed."),
    VisitStatus.REQUESTED: N_("Your request is waiting for the facility to confirm it."),
    VisitStatus.CANCELLED: N_("This visit is cancelled."),
    VisitStatus.REJECTED: N_("This request could not be confirmed. Please contact the facility."),
    VisitStatus.ATTENDED: N_("The visit took place."),
    VisitStatus.NO_SHOW: N_("The visit did not take place."),
}
"""The first line of the family's description: where the visit stands."""
STAFF_STATUSES = {
    VisitStatus.CONFIRMED: N_("Status: confirmed"),
    VisitStatus.REQUESTED: N_("Status: request"),
    VisitStatus.ATTENDED: N_("Status: attended"),
    VisitStatus.NO_SHOW: N_("Status: no show"),
    VisitStatus.CANCELLED: N_("Status: cancelled"),
    VisitStatus.REJECTED: N_("Status: rejected"),
}


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
    return texts.when(visit.starts_at, visit.ends_at, place.timezone, language)


def to_bring(visit: VisitFacts, language: str) -> list[str]:
    """The family texts of the results that belong in the confirmation, by rule id."""
    results = [msgspec.convert(r, RuleResult) for r in visit.rule_results]
    shown = sorted((r.for_family() for r in results if r.in_confirmation), key=lambda r: r.rule_id)
    return [r.message_in(language) for r in shown]


def _location(visit: VisitFacts, place: Place, language: str) -> str:
    if visit.visit_type is VisitType.VIDEO:
        kind = texts.kind(visit.visit_type, language)
        return translate(
            language, N_("%(kind)s \u2013 %(facility)s"), kind=kind, facility=place.facility_name
        )
    return f"{place.room_name}, {place.address}"


def family_summary(visit: VisitFacts, place: Place, language: str) -> str:
    summary = N_("%(kind)s: %(facility)s")
    if visit.status is VisitStatus.REQUESTED:
        summary = N_("%(kind)s (request): %(facility)s")
    return translate(
        language,
        summary,
        kind=texts.kind(visit.visit_type, language),
        facility=place.facility_name,
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
        translate(language, FAMILY_STATUSES[visit.status]),
        translate(language, N_("When: %(when)s"), when=local_when(visit, place, language)),
        translate(language, N_("Reference: %(reference)s"), reference=visit.reference),
        translate(language, N_("Room: %(room)s"), room=place.room_name),
        translate(language, N_("Address: %(address)s"), address=place.address),
        translate(language, N_("People: %(people)s"), people=texts.people(visit.party, language)),
    ]
    if visit.status not in CANCELLED_STATES:
        bring = to_bring(visit, language)
        if bring:
            heading = translate(language, N_("Please bring and note:"))
            lines.append(heading + "\n" + "\n".join(f"- {b}" for b in bring))
        if information:
            heading = translate(language, N_("For your children:"))
            lines.append(
                heading + "\n" + "\n".join(f"- {title}: {body}" for title, body in information)
            )
    url = manage_url(public_url, visit.id)
    lines.append(translate(language, N_("See, move or cancel the visit: %(url)s"), url=url))
    if place.phone:
        phone = N_("Questions? The facility's phone: %(phone)s")
        lines.append(translate(language, phone, phone=place.phone))
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
        reminder = N_("Tomorrow: %(summary)s. Please remember the ID documents.")
        reminders = (Reminder(REMINDER_BEFORE, translate(language, reminder, summary=summary)),)
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
    summary = N_("%(room)s: %(reference)s \u2013 %(people)s")
    if visit.status is VisitStatus.REQUESTED:
        summary = N_("%(room)s: %(reference)s (request) \u2013 %(people)s")
    party = texts.people(visit.party, language, with_ages=False)
    lines = [
        translate(language, STAFF_STATUSES[visit.status]),
        translate(
            language, N_("Type of visit: %(kind)s"), kind=texts.kind(visit.visit_type, language)
        ),
        translate(language, N_("Reference: %(reference)s"), reference=visit.reference),
        translate(language, N_("Room: %(room)s"), room=place.room_name),
        translate(language, N_("People: %(people)s"), people=texts.people(visit.party, language)),
    ]
    if visit.needs_review:
        lines.append(translate(language, N_("Needs review: yes (details in visits)")))
    url = f"{public_url}/api/v1/staff/visits/{visit.id}"
    lines.append(translate(language, N_("Open in visits: %(url)s"), url=url))
    return EventSpec(
        uid=visit.ical_uid,
        sequence=visit.ical_sequence,
        start=visit.starts_at,
        end=visit.ends_at,
        tzid=place.timezone,
        summary=translate(
            language, summary, room=place.room_name, reference=visit.reference, people=party
        ),
        location=f"{place.room_name}, {place.address}",
        description="\n".join(lines),
        status=event_status(visit.status),
        organizer=place.organizer,
        url=url,
        created=visit.created_at,
        last_modified=visit.updated_at,
    )
