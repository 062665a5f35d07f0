"""Age on the visit date (CF-06), including birthdays on the day and 29 February."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from visits.rules.ages import age_on


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(2010, 5, 10), date(2026, 5, 9), 15),
        (date(2010, 5, 10), date(2026, 5, 10), 16),  # the birthday counts
        (date(2010, 5, 10), date(2026, 5, 11), 16),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),  # common year: older on 1 March
        (date(2008, 2, 29), date(2028, 2, 29), 20),  # leap year: on the day
        (date(2008, 2, 29), date(2028, 2, 28), 19),
        (date(2026, 1, 1), date(2026, 1, 1), 0),
    ],
)
def test_age_on_the_day(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_a_day_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="before the birth date"):
        age_on(date(2020, 1, 2), date(2020, 1, 1))


dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@given(birth=dates, days=st.integers(min_value=0, max_value=40000))
def test_age_never_decreases_and_grows_by_one_a_year(birth: date, days: int) -> None:
    day = birth + timedelta(days=days)
    if day > date(2100, 12, 31):
        return
    age = age_on(birth, day)
    assert age >= 0
    assert age_on(birth, day + timedelta(days=1)) in (age, age + 1)
    if (birth.month, birth.day) != (2, 29):
        assert age == relativedelta(day, birth).years
