"""Invites per visit (iTIP, RFC 5546): REQUEST while the visit stands, CANCEL once it is off.

The UID is the visit's stable ``ical_uid`` and SEQUENCE its ``ical_sequence``, which the booking
service raises in the same transaction as every reschedule, cancellation and rejection, so a
client replaces the event instead of adding another. A requested visit (waiting for staff) is
sent as a TENTATIVE event; approval sends it again as CONFIRMED with a fresh DTSTAMP.

ORGANIZER is the facility's mailbox and the only ATTENDEE the guardian, with ``RSVP=FALSE`` and
``PARTSTAT=ACCEPTED`` (the family booked it; replies are not processed). A household without an
e-mail address cannot be an attendee: its download is a ``PUBLISH`` object instead.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.calendar import ics
from visits.calendar.content import (
    Place,
    VisitFacts,
    family_event,
    family_lines,
    local_when,
    manage_url,
)
from visits.db.base import utcnow
from visits.db.models import (
    FacilityInformation,
    Household,
    Visit,
    VisitParty,
)
from visits.enums import AgeBand, Language, VisitStatus
from visits.facilities.queries import facility_and_room_of
from visits.i18n import N_, translate
from visits.plain_text import plain

_REQUEST_STATES = frozenset(
    {VisitStatus.REQUESTED, VisitStatus.CONFIRMED, VisitStatus.ATTENDED, VisitStatus.NO_SHOW}
)
_CANCEL_STATES = frozenset({VisitStatus.CANCELLED, VisitStatus.REJECTED})


@dataclass(frozen=True, kw_only=True)
class Invite:
    """An invite or cancellation, as a calendar object and as the e-mail that carries it."""

    visit_id: uuid.UUID
    method: ics.Method
    calendar: bytes
    filename: str
    language: str
    recipient: ics.Address | None
    organizer: ics.Address
    subject: str
    text: str
    html: str


def invite_method(status: VisitStatus) -> ics.Method | None:
    """REQUEST while the visit stands, CANCEL once it is off; nothing for holds."""
    if status in _REQUEST_STATES:
        return "REQUEST"
    if status in _CANCEL_STATES:
        return "CANCEL"
    return None


def _subject(visit: Visit) -> str:
    """The e-mail's subject (a message id): what happened to the visit."""
    if visit.status is VisitStatus.CANCELLED:
        return N_("Visit cancelled: %(when)s \u2013 %(facility)s")
    if visit.status is VisitStatus.REJECTED:
        return N_("Visit request not confirmed: %(when)s \u2013 %(facility)s")
    if visit.status is VisitStatus.REQUESTED:
        return N_("Visit request received: %(when)s \u2013 %(facility)s")
    if visit.ical_sequence:
        return N_("Visit changed: %(when)s \u2013 %(facility)s")
    return N_("Visit confirmed: %(when)s \u2013 %(facility)s")


def facts(visit: Visit, party: list[tuple[int, bool]]) -> VisitFacts:
    return VisitFacts(
        id=visit.id,
        reference=visit.reference,
        status=visit.status,
        visit_type=visit.visit_type,
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        ical_uid=visit.ical_uid,
        ical_sequence=visit.ical_sequence,
        created_at=visit.created_at,
        updated_at=visit.updated_at,
        needs_review=visit.needs_review,
        party=tuple(party),
        rule_results=tuple(visit.rule_results),
    )


async def _place(session: AsyncSession, visit: Visit) -> Place:
    facility, room_name = await facility_and_room_of(session, visit.slot_id)
    return Place(
        facility_name=facility.name,
        timezone=facility.timezone,
        street=facility.street,
        postal_code=facility.postal_code,
        city=facility.city,
        phone=facility.phone,
        email=facility.email,
        room_name=room_name,
    )


async def _information(
    session: AsyncSession, facility_id: uuid.UUID, language: str, ages: list[int]
) -> list[tuple[str, str]]:
    """CF-21: the facility's information for everyone and for each child's age band."""
    bands = sorted({band.value for age in ages if (band := AgeBand.for_age(age)) is not None})
    rows = await session.execute(
        sa.select(FacilityInformation.title, FacilityInformation.body)
        .where(
            FacilityInformation.facility_id == facility_id,
            FacilityInformation.language == Language(language),
            sa.or_(FacilityInformation.age_band.is_(None), FacilityInformation.age_band.in_(bands)),
        )
        .order_by(
            FacilityInformation.age_band.is_not(None),
            FacilityInformation.age_band,
            FacilityInformation.topic,
        )
    )
    return [(title, body) for title, body in rows]


def _html(language: str, paragraphs: list[str], link: str) -> str:
    """The same paragraphs as the text part; ``- `` lines become a list, the link a link."""
    anchor = f'<a href="{html.escape(link)}">{html.escape(link)}</a>'

    def escape(line: str) -> str:
        return html.escape(line).replace(html.escape(link), anchor)

    blocks = []
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        prose = [escape(line) for line in lines if not line.startswith("- ")]
        items = [escape(line[2:]) for line in lines if line.startswith("- ")]
        if prose:
            blocks.append("<p>" + "<br>\n".join(prose) + "</p>")
        if items:
            blocks.append("<ul>\n" + "\n".join(f"<li>{item}</li>" for item in items) + "\n</ul>")
    body = "\n".join(blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{language}">\n<head><meta charset="utf-8"></head>\n'
        f"<body>\n{body}\n</body>\n</html>\n"
    )


async def load_invite(
    session: AsyncSession,
    visit: Visit,
    *,
    public_url: str,
    mail_sender: str = "",
    now: datetime | None = None,
) -> Invite | None:
    """The invite (or cancellation) of ``visit`` as it stands; None for holds and for visits
    whose household was erased."""
    method = invite_method(visit.status)
    household = await session.get(Household, visit.household_id) if visit.household_id else None
    if method is None or household is None:
        return None
    language = household.language.value
    party = [
        (age, child)
        for age, child in await session.execute(
            sa.select(VisitParty.age_years, VisitParty.is_child)
            .where(VisitParty.visit_id == visit.id)
            .order_by(VisitParty.age_years.desc())
        )
    ]
    place = await _place(session, visit)
    children = [age for age, child in party if child]
    information = await _information(session, visit.facility_id, language, children)
    recipient = ics.Address(household.email, household.guardian_name) if household.email else None
    if recipient is None:
        method = "PUBLISH"
    visit_facts = facts(visit, party)
    spec = family_event(
        visit_facts,
        place,
        language=language,
        public_url=public_url,
        attendee=recipient,
        information=information,
        sent_by=mail_sender or None,
    )
    calendar = ics.render(method, [spec], dtstamp=now or utcnow())
    paragraphs = family_lines(visit_facts, place, language, public_url, information)
    greeting = translate(language, N_("Hello %(name)s,"), name=household.guardian_name)
    closing = [
        translate(language, N_("The visit is attached as a calendar entry.")),
        translate(language, N_("Kind regards,\n%(facility)s"), facility=place.facility_name),
    ]
    # Stored names and texts are flattened of control characters before they reach the mail.
    everything = [plain(p, lines=True) for p in (greeting, *paragraphs, *closing)]
    text = "\n\n".join(everything) + "\n"
    when = local_when(visit_facts, place, language)
    return Invite(
        visit_id=visit.id,
        method=method,
        calendar=calendar,
        filename=f"visit-{visit.reference}.ics",
        language=language,
        recipient=recipient,
        organizer=place.organizer,
        subject=plain(
            translate(language, _subject(visit), when=when, facility=place.facility_name)
        ),
        text=text,
        html=_html(language, everything, manage_url(public_url, visit.id)),
    )
