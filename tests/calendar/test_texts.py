"""Calendar texts come from the catalogs: dates by Babel in the facility's zone and the reader's
language, parties as plurals, every message translated into German."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from visits.calendar import texts
from visits.i18n import LOCALE_DIR

CALENDAR = Path(texts.__file__).parent
START = datetime(2027, 3, 28, 12, tzinfo=UTC)  # the day Berlin moves its clocks forward
END = datetime(2027, 3, 28, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "language", "expected"),
    [
        ("Europe/Berlin", "de", "Sonntag, 28.03.2027, 14:00\u201316:00 Uhr"),
        ("Europe/Berlin", "en", "Sunday, 28 March 2027, 14:00\u201316:00"),
        ("America/New_York", "en", "Sunday, 28 March 2027, 08:00\u201310:00"),
        ("Pacific/Auckland", "de", "Montag, 29.03.2027, 01:00\u201303:00 Uhr"),
    ],
)
def test_a_visit_time_is_local_to_the_facility_in_the_reader_language(
    zone: str, language: str, expected: str
) -> None:
    assert texts.when(START, END, zone, language) == expected


def test_a_party_is_counted_with_plurals_and_childrens_ages() -> None:
    family = [(38, False), (10, True), (4, True)]
    assert texts.people(family, "en") == "1 adult, 2 children (ages 4, 10)"
    assert texts.people(family, "de") == "1 erwachsene Person, 2 Kinder (Alter: 4, 10)"
    couple = [(40, False), (41, False), (16, True)]
    assert texts.people(couple, "en") == "2 adults, 1 child (age 16)"
    assert texts.people(family, "de", with_ages=False) == "1 erwachsene Person, 2 Kinder"
    assert texts.people([(7, True)], "en", with_ages=False) == "1 child"
    assert (texts.people([], "de"), texts.people([], "en")) == ("niemand", "nobody")


def test_every_calendar_text_is_in_the_catalogs_and_translated_into_german() -> None:
    keywords = {**DEFAULT_KEYWORDS, "translate_plural": (2, 3)}
    extracted = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(CALENDAR), [("**.py", "python")], keywords=keywords
        )
    }
    assert "%(num)d adult" in extracted  # the plurals are found too
    for language in ("de", "en"):
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
            catalog = read_po(source, locale=language)
        missing = sorted(m for m in extracted if catalog.get(m) is None)
        assert missing == [], language
        if language == "de":
            untranslated = [m for m in extracted if not any(catalog[m].string or ())]
            assert untranslated == []
