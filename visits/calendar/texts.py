"""The words of invites, feeds and e-mails that several places share.

Every text is an English gettext message id, translated into the reader's language where it is
shown (``visits.i18n``); dates and times are formatted by Babel in the facility's time zone.
Nothing here names a person other than the guardian being written to: parties are described by
counts and ages, never by children's names, and the prisoner is not named at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from visits.enums import VisitType
from visits.i18n import N_, translate, translate_plural

KINDS = {
    VisitType.REGULAR: N_("Visit"),
    VisitType.CHILD_FAMILY: N_("Child and family visit"),
    VisitType.FAMILY_DAY: N_("Family day"),
    VisitType.PARENT_CHILD_GROUP: N_("Parent-child group"),
    VisitType.LONG_VISIT: N_("Long visit"),
    VisitType.VIDEO: N_("Video visit"),
}
"""What a visit is called in the family's calendar and in staff feeds."""

# TRANSLATORS: a Babel date pattern: the weekday, then the date (e.g. "Sunday, 28 March 2027").
DATE_PATTERN = N_("EEEE, d MMMM y")
# TRANSLATORS: a Babel time pattern (e.g. "14:00").
TIME_PATTERN = N_("HH:mm")


def kind(visit_type: VisitType, language: str) -> str:
    return translate(language, KINDS[visit_type])


def when(starts_at: datetime, ends_at: datetime, timezone: str, language: str) -> str:
    """A visit's time in the facility's zone, e.g. ``Sonntag, 28.03.2027, 14:00-16:00 Uhr``."""
    zone = ZoneInfo(timezone)

    def local(moment: datetime, pattern: str) -> str:
        return format_datetime(moment, translate(language, pattern), tzinfo=zone, locale=language)

    return translate(
        language,
        N_("%(date)s, %(start)s\u2013%(end)s"),
        date=local(starts_at, DATE_PATTERN),
        start=local(starts_at, TIME_PATTERN),
        end=local(ends_at, TIME_PATTERN),
    )


def people(ages: Sequence[tuple[int, bool]], language: str, *, with_ages: bool = True) -> str:
    """``(age, is_child)`` pairs as counts, e.g. ``1 adult, 2 children (ages 4, 10)``."""
    adults = sum(1 for _, child in ages if not child)
    children = sorted(age for age, child in ages if child)
    parts = []
    if adults:
        parts.append(translate_plural(language, "%(num)d adult", "%(num)d adults", adults))
    if children and with_ages:
        parts.append(
            translate_plural(
                language,
                "%(num)d child (age %(ages)s)",
                "%(num)d children (ages %(ages)s)",
                len(children),
                ages=", ".join(map(str, children)),
            )
        )
    elif children:
        parts.append(translate_plural(language, "%(num)d child", "%(num)d children", len(children)))
    return ", ".join(parts) or translate(language, N_("nobody"))
