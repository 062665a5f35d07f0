"""Dates and times in notices and text messages, as the recipient's language writes them.

Babel's locale formats (CLDR), in the facility's time zone. Some locales space a time with a
narrow no-break space ("2:00 PM"); text messages must stay GSM-7, so every space is a plain one.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, get_datetime_format

_SPACES = re.compile(r"[\u00a0\u2007\u202f]")


def _plain_spaces(text: str) -> str:
    return _SPACES.sub(" ", text)


def day_without_year(moment: datetime, timezone: str, language: str) -> str:
    """The day of ``moment`` without its year: "28. März", "Mar 28"."""
    local = moment.astimezone(ZoneInfo(timezone))
    return _plain_spaces(format_skeleton("MMMd", local, locale=language))


def clock(moment: datetime, timezone: str, language: str) -> str:
    """The time of day of ``moment``: "14:00", "2:00 PM"."""
    return _plain_spaces(format_time(moment, "short", tzinfo=ZoneInfo(timezone), locale=language))


def day_and_time(moment: datetime, timezone: str, language: str) -> str:
    """The date and time of ``moment``: "28.03.2027, 14:00", "Mar 28, 2027, 2:00 PM"."""
    day = format_date(moment.astimezone(ZoneInfo(timezone)), "medium", locale=language)
    pattern = str(get_datetime_format("medium", locale=language))
    joined = pattern.replace("{1}", day).replace("{0}", clock(moment, timezone, language))
    return _plain_spaces(joined.replace("'", ""))
