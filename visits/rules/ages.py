"""Ages on a given day (CF-06): always the visit date, never today.

Someone born on 29 February becomes a year older on 1 March in common years, as German law
(BGB §§ 187(2), 188(2)-(3)) and the law of England and Wales read it.
"""

from __future__ import annotations

import calendar
from datetime import date


def birthday_in(year: int, birth_date: date) -> date:
    """The day in ``year`` on which someone born on ``birth_date`` becomes a year older."""
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def age_on(birth_date: date, day: date) -> int:
    """Completed years on ``day``; the birthday itself counts. Negative before birth is an error."""
    if day < birth_date:
        raise ValueError("the day is before the birth date")
    years = day.year - birth_date.year
    return years - 1 if day < birthday_in(day.year, birth_date) else years
