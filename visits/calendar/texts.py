"""What invites, feeds and e-mails say, in German and English.

Nothing here names a person other than the guardian being written to: parties are described by
counts and ages, never by children's names, and the prisoner is not named at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from visits.enums import VisitStatus, VisitType

# Line breaks of every kind (what ``str.splitlines`` splits on), and the other control
# characters (C0 without tab and line breaks, DEL, C1).
_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")


def plain(text: str, *, lines: bool = False) -> str:
    """``text`` fit for a calendar line, an e-mail header or a CSV cell, whatever was stored:
    every line break becomes a space (with ``lines``: one LF, for texts that may have several
    lines), a tab a space, and other control characters are dropped. Input is validated when
    it is written; this guards the writers against texts stored before that, or by other
    means."""
    text = _BREAKS.sub("\n" if lines else " ", text).replace("\t", " ")
    return _CONTROLS.sub("", text)


_TEXTS: dict[str, tuple[str, str]] = {  # key: (German, English)
    "summary": ("{kind}: {facility}", "{kind}: {facility}"),
    "summary.requested": ("{kind} (Anfrage): {facility}", "{kind} (request): {facility}"),
    "staff.summary": ("{room}: {reference} \u2013 {people}", "{room}: {reference} \u2013 {people}"),
    "staff.summary.requested": (
        "{room}: {reference} (Anfrage) \u2013 {people}",
        "{room}: {reference} (request) \u2013 {people}",
    ),
    "reference": ("Buchungsnummer: {reference}", "Reference: {reference}"),
    "when": ("Wann: {when}", "When: {when}"),
    "room": ("Raum: {room}", "Room: {room}"),
    "address": ("Adresse: {address}", "Address: {address}"),
    "people": ("Personen: {people}", "People: {people}"),
    "kind": ("Besuchsart: {kind}", "Type of visit: {kind}"),
    "status": ("Status: {status}", "Status: {status}"),
    "review": ("Zu prüfen: ja (Einzelheiten in visits)", "Needs review: yes (details in visits)"),
    "bring": ("Bitte mitbringen und beachten:", "Please bring and note:"),
    "children": ("Für Ihre Kinder:", "For your children:"),
    "manage": (
        "Besuch ansehen, verschieben oder absagen: {url}",
        "See, move or cancel the visit: {url}",
    ),
    "open": ("Im System öffnen: {url}", "Open in visits: {url}"),
    "phone": ("Fragen? Telefon der Anstalt: {phone}", "Questions? The facility's phone: {phone}"),
    "reminder": (
        "Morgen: {summary}. Bitte denken Sie an die Ausweise.",
        "Tomorrow: {summary}. Please remember the ID documents.",
    ),
    "greeting": ("Guten Tag {name},", "Hello {name},"),
    "signature": ("Mit freundlichen Grüßen\n{facility}", "Kind regards,\n{facility}"),
    "calendar_hint": (
        "Der Termin ist als Kalendereintrag beigefügt.",
        "The visit is attached as a calendar entry.",
    ),
    "feed.household": ("Besuchstermine", "Visit dates"),
    "feed.facility": ("Besuchsplan \u2013 {name}", "Visit schedule \u2013 {name}"),
    "feed.room": ("Besuchsplan \u2013 {name}, {room}", "Visit schedule \u2013 {name}, {room}"),
    "feed.description": (
        "Nur lesen. Abgesagte Besuche werden entfernt.",
        "Read only. Cancelled visits are removed.",
    ),
    "when.format": (
        "{weekday}, {date}, {start}\u2013{end} Uhr",
        "{weekday}, {date}, {start}\u2013{end}",
    ),
}

_STATUS = {
    VisitStatus.CONFIRMED: ("Ihr Besuch ist bestätigt.", "Your visit is confirmed."),
    VisitStatus.REQUESTED: (
        "Ihre Anfrage wartet auf die Bestätigung durch die Anstalt.",
        "Your request is waiting for the facility to confirm it.",
    ),
    VisitStatus.CANCELLED: ("Dieser Besuch ist abgesagt.", "This visit is cancelled."),
    VisitStatus.REJECTED: (
        "Diese Anfrage konnte nicht bestätigt werden. Bitte wenden Sie sich an die Anstalt.",
        "This request could not be confirmed. Please contact the facility.",
    ),
    VisitStatus.ATTENDED: ("Der Besuch hat stattgefunden.", "The visit took place."),
    VisitStatus.NO_SHOW: ("Der Besuch hat nicht stattgefunden.", "The visit did not take place."),
}
_STAFF_STATUS = {
    VisitStatus.CONFIRMED: ("bestätigt", "confirmed"),
    VisitStatus.REQUESTED: ("Anfrage", "request"),
    VisitStatus.ATTENDED: ("stattgefunden", "attended"),
    VisitStatus.NO_SHOW: ("nicht erschienen", "no show"),
    VisitStatus.CANCELLED: ("abgesagt", "cancelled"),
    VisitStatus.REJECTED: ("abgelehnt", "rejected"),
}
_SUBJECTS = {
    "confirmed": ("Besuch bestätigt: {when}", "Visit confirmed: {when}"),
    "changed": ("Besuch geändert: {when}", "Visit changed: {when}"),
    "requested": ("Besuchsanfrage erhalten: {when}", "Visit request received: {when}"),
    "cancelled": ("Besuch abgesagt: {when}", "Visit cancelled: {when}"),
    "rejected": ("Besuchsanfrage nicht bestätigt: {when}", "Visit request not confirmed: {when}"),
}
_KINDS = {
    VisitType.REGULAR: ("Besuch", "Visit"),
    VisitType.CHILD_FAMILY: ("Kinder- und Familienbesuch", "Child and family visit"),
    VisitType.FAMILY_DAY: ("Familientag", "Family day"),
    VisitType.PARENT_CHILD_GROUP: ("Eltern-Kind-Gruppe", "Parent-child group"),
    VisitType.LONG_VISIT: ("Langzeitbesuch", "Long visit"),
    VisitType.VIDEO: ("Videobesuch", "Video visit"),
}
_WEEKDAYS = (
    ("Montag", "Monday"),
    ("Dienstag", "Tuesday"),
    ("Mittwoch", "Wednesday"),
    ("Donnerstag", "Thursday"),
    ("Freitag", "Friday"),
    ("Samstag", "Saturday"),
    ("Sonntag", "Sunday"),
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _pick(pair: tuple[str, str], language: str) -> str:
    return pair[0] if language == "de" else pair[1]


def say(key: str, language: str, **values: object) -> str:
    return _pick(_TEXTS[key], language).format(**values)


def status_text(status: VisitStatus, language: str) -> str:
    return _pick(_STATUS[status], language)


def staff_status(status: VisitStatus, language: str) -> str:
    return _pick(_STAFF_STATUS.get(status, (status.value, status.value)), language)


def kind(visit_type: VisitType, language: str) -> str:
    return _pick(_KINDS[visit_type], language)


def subject(topic: str, language: str, when: str) -> str:
    return _pick(_SUBJECTS[topic], language).format(when=when)


def when(start: datetime, end: datetime, language: str) -> str:
    """A local start and end, e.g. ``Sonntag, 28.03.2027, 14:00-16:00 Uhr``."""
    month = _MONTHS[start.month - 1]
    day = f"{start:%d.%m.%Y}" if language == "de" else f"{start.day} {month} {start.year}"
    return say(
        "when.format",
        language,
        weekday=_pick(_WEEKDAYS[start.weekday()], language),
        date=day,
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
    )


def people(ages: Sequence[tuple[int, bool]], language: str, *, with_ages: bool = True) -> str:
    """``(age, is_child)`` pairs as counts, e.g. ``1 adult, 2 children (ages 4, 10)``."""
    adults = sum(1 for _, child in ages if not child)
    children = sorted(age for age, child in ages if child)
    parts = []
    if language == "de":
        if adults:
            parts.append("1 erwachsene Person" if adults == 1 else f"{adults} erwachsene Personen")
        if children:
            label = "1 Kind" if len(children) == 1 else f"{len(children)} Kinder"
            suffix = f" (Alter: {', '.join(map(str, children))})" if with_ages else ""
            parts.append(label + suffix)
    else:
        if adults:
            parts.append("1 adult" if adults == 1 else f"{adults} adults")
        if children:
            label = "1 child" if len(children) == 1 else f"{len(children)} children"
            word = "age" if len(children) == 1 else "ages"
            suffix = f" ({word} {', '.join(map(str, children))})" if with_ages else ""
            parts.append(label + suffix)
    return ", ".join(parts) or ("niemand" if language == "de" else "nobody")
