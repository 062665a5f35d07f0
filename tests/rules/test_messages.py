"""Every rule text is a message key whose English id has a German translation with the same
placeholders; results store keys and values, and render today's words in each language."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import msgspec
import pytest

from visits.enums import VisitType
from visits.i18n import translate_plural, translations
from visits.rules.catalogue import ALERT_RULE_IDS, BOOKING_RULE_IDS, RULES, RuleId
from visits.rules.messages import AND_LIST, COUNTED, DATE_PATTERN, MESSAGES
from visits.rules.model import RuleResult
from visits.rules.results import result
from visits.rules.texts import (
    LEGACY,
    PLACEHOLDER,
    Clock,
    Day,
    Text,
    and_list,
    joined,
    placeholders,
    render,
    say,
    visit_type_name,
    wall_clock,
)

TEMPLATES = sorted({*MESSAGES.values(), AND_LIST, DATE_PATTERN})


@pytest.mark.parametrize("message", TEMPLATES)
def test_each_message_has_a_german_translation_with_the_same_placeholders(message: str) -> None:
    german = translations("de").gettext(message)
    assert german.strip()
    assert german != message or not re.sub(PLACEHOLDER, "", message).strip(" ")
    assert sorted(PLACEHOLDER.findall(german)) == sorted(PLACEHOLDER.findall(message))
    assert "{" not in message, "placeholders are %(name)s"


def test_every_rule_of_the_catalogue_has_texts() -> None:
    prefixes = {key.split(".")[0] for key in MESSAGES}
    assert set(RULES) - {"CF-20"} <= prefixes  # CF-20 is the day sheet report, no rule result
    assert {"family", "visit_type", "sentences"} == prefixes - set(RULES)


def test_the_catalogue_ids_are_exactly_those_of_the_design() -> None:
    assert (
        *("CF-01", "CF-02", "CF-03", "CF-04", "CF-05", "CF-06"),
        *("CF-07", "CF-08", "CF-07b"),
        *("CF-10", "CF-11", "CF-12", "CF-13"),
        *("CF-16", "CF-17", "CF-BW"),
        *("CF-18", "CF-19", "CF-24", "CF-25"),
        *("CF-21", "CF-22", "CF-23"),
    ) == BOOKING_RULE_IDS
    assert ALERT_RULE_IDS == ("CF-09", "CF-14", "CF-15", "CF-23")
    assert set(RULES) == {*BOOKING_RULE_IDS, *ALERT_RULE_IDS, "CF-20"}
    assert set(RULES) == set(RuleId)


def test_every_visit_type_has_a_name() -> None:
    for visit_type in VisitType:
        assert render(visit_type_name(visit_type), "en")
        assert render(visit_type_name(visit_type), "de")


# Today's words, byte for byte, in both languages.
WORDING = [
    (
        say("CF-07.fail", max_adults=3, max_children=4, max_total=6, adults=4, children=2),
        "Zu einem Besuch können bis zu 3 erwachsene Personen, 4 Kinder und insgesamt 6 Personen "
        "kommen; Ihre Gruppe hat 4 erwachsene Personen und 2 Kinder. Niemand muss zu Hause "
        "bleiben: Familientage und Kinder- und Familienbesuche sind für größere Familien gedacht, "
        "und das Besuchsteam prüft gern eine Anfrage für Sie alle gemeinsam.",
        "A visit can take up to 3 adults, 4 children and 6 visitors in total; your group has 4 "
        "adults and 2 children. Nobody has to stay at home: family days and child and family "
        "visits are made for bigger families, and the visits team can look at a request for all "
        "of you together.",
    ),
    (
        say(
            "CF-08.too_many_adults",
            visit_type=visit_type_name(VisitType.CHILD_FAMILY),
            max_adults=1,
            adults=2,
        ),
        "Kinder- und Familienbesuch: Die Kinder können von höchstens 1 erwachsenen Begleitperson "
        "begleitet werden; Ihre Gruppe hat 2. Weitere Erwachsene sind bei Regelbesuchen "
        "willkommen, und das Besuchsteam prüft gern eine Anfrage.",
        "Child and family visit: at most 1 accompanying adult can come with the children; your "
        "group has 2. Other adults are welcome at regular visits, and the visits team can look at "
        "a request.",
    ),
    (
        say("CF-BW.too_soon", hours=1),
        "Besuche werden mindestens 1 Stunde im Voraus gebucht. Bitte wählen Sie eine spätere "
        "Zeit; für einen dringenden ersten Besuch nach der Aufnahme hilft das Besuchsteam.",
        "Visits are booked at least 1 hour ahead. Please choose a later time; for an urgent first "
        "visit after an admission, the visits team can help.",
    ),
    (
        say("CF-11.fail", cap=1, period_days=1),
        "Sie haben den 1 erlaubten Besuch in 1 Tag schon genutzt. Familientage und "
        "Eltern-Kind-Gruppen zählen nicht dazu, und das Besuchsteam prüft gern eine Anfrage.",
        "You have used the 1 visit allowed in 1 day. Family days and parent-child groups do not "
        "count toward them, and the visits team can look at a request.",
    ),
    (
        say("CF-15.pass", child="A", days=1, alert_days=30),
        "Kind A: letzter Besuch vor 1 Tag (Hinweis nach 30 Tagen).",
        "Child A: last visit 1 day ago (alert after 30 days).",
    ),
    (
        say("CF-03.from_age", age=16),
        "Jede Person ab 16 Jahren braucht an der Pforte einen Ausweis. Kinder unter 16 Jahren, "
        "die mit einer erwachsenen Person kommen, brauchen keinen.",
        "Everyone aged 16 or over needs an ID document at the gate. Children under 16 who come "
        "with an adult do not need one.",
    ),
    (
        say("CF-BW.too_far", days=28, opens=Day(date(2026, 4, 5))),
        "Besuche können bis zu 28 Tage im Voraus gebucht werden. Diese Zeit kann ab dem "
        "05.04.2026 gebucht werden.",
        "Visits can be booked up to 28 days ahead. This time can be booked from 5 April 2026.",
    ),
    (
        say("CF-21.bands", bands=and_list(["3-5", "6-11", "12-17"])),
        "Ihre Bestätigung enthält Informationen für Kinder im Alter von 3-5, 6-11 und 12-17 "
        "Jahren: was an der Pforte passiert und wie der Besuchsraum aussieht.",
        "Your confirmation includes information for children aged 3-5, 6-11 and 12-17: what "
        "happens at the gate and what the visiting room looks like.",
    ),
    (
        say("CF-24.children_required", programme=visit_type_name(VisitType.FAMILY_DAY)),
        "Familientag: Dieses Angebot ist für Familien mit Kindern. Bitte nehmen Sie die Kinder in "
        "die Buchung auf.",
        "Family day: this programme is for families with children. Please add the children to "
        "the booking.",
    ),
    (
        joined([say("CF-04.not_approved"), say("CF-04.no_permit")]),
        "Noch nicht alle Personen in dieser Buchung sind für Besuche zugelassen. Sie können "
        "buchen, sobald die Anstalt sie zugelassen hat. Das Besuchsteam sagt Ihnen gern, wie weit "
        "die Zulassung ist. In der Untersuchungshaft braucht jede Person eine Besuchserlaubnis "
        "des Gerichts. Noch nicht alle haben eine gültige Erlaubnis für diesen Tag; das "
        "Besuchsteam sagt Ihnen, wie Sie sie beantragen.",
        "Not everyone in this booking is approved to visit yet. You can book as soon as the "
        "prison has approved them, and the visits team can tell you where the approval stands. "
        "During remand, every visitor needs a visiting permit from the court. Not everyone has a "
        "valid permit for this day yet; the visits team can tell you how to apply.",
    ),
    (
        say(
            "CF-17.fail",
            young_age=6,
            earliest=Clock(time(9, 0)),
            latest=Clock(time(18, 0)),
            start=Clock(time(2, 0), "+02:00"),
            end=Clock(time(2, 15), "+01:00"),
        ),
        "Für Kinder unter 6 Jahren sind Besuche zwischen 09:00 und 18:00 Uhr meist leichter; "
        "dieser dauert von 02:00 (UTC+02:00) bis 02:15 (UTC+01:00) Uhr.",
        "For children under 6, visits between 09:00 and 18:00 are usually easier; this one runs "
        "from 02:00 (UTC+02:00) to 02:15 (UTC+01:00).",
    ),
]


@pytest.mark.parametrize(("text", "german", "english"), WORDING)
def test_rendered_words_are_those_of_today(text: Text, german: str, english: str) -> None:
    assert render(text, "de") == german
    assert render(text, "en") == english


def test_a_stored_result_is_language_neutral_and_renders_when_read() -> None:
    stored = msgspec.json.encode(
        result(RuleId.CF_06, say("CF-06.pass", visit_date=Day(date(2026, 3, 1))), passed=True)
    )
    assert b"Ages" not in stored
    assert b"Alter" not in stored
    assert b'"key":"CF-06.pass"' in stored
    read = msgspec.json.decode(stored, type=RuleResult)
    assert read.message_in("en") == "Ages are worked out for the day of the visit, 1 March 2026."
    assert read.message_in("de") == "Das Alter wird für den Besuchstag berechnet, den 01.03.2026."


def test_the_family_view_renders_its_own_text() -> None:
    confidential = result(
        RuleId.CF_05,
        say("CF-05.fail", codes="no_child_contact"),
        passed=False,
        params={"prisoner_restrictions": ["no_child_contact"]},
        family_text=say("family.contact_facility"),
    )
    public = confidential.for_family()
    assert "no_child_contact" in confidential.message_in("en")
    assert public.message_in("en").startswith("This visit cannot be booked online.")
    assert public.message_in("de").startswith("Dieser Besuch kann nicht online gebucht werden.")
    assert public.params == {}


def test_a_wall_clock_reading_shown_twice_carries_its_offset() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert wall_clock(datetime(2026, 10, 25, 2, 30, tzinfo=berlin)) == Clock(time(2, 30), "+02:00")
    later = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=berlin)
    assert wall_clock(later) == Clock(time(2, 30), "+01:00")
    assert wall_clock(datetime(2026, 10, 25, 9, 5, tzinfo=berlin)) == Clock(time(9, 5))


def test_lists_of_one_and_none() -> None:
    assert render(say("CF-18.fail", bands=and_list(["0-2"])), "en").startswith(
        "This room is not set up for children aged 0-2."
    )
    assert render(say("CF-18.fail", bands=and_list(["0-2", "3-5"])), "de").startswith(
        "Dieser Raum ist nicht für Kinder im Alter von 0-2 und 3-5 Jahren"
    )


def test_a_legacy_literal_shows_the_stored_words() -> None:
    legacy = Text(LEGACY, {"de": "Alter Text.", "en": "Old text."})
    assert render(legacy, "de") == "Alter Text."
    assert render(legacy, "en") == "Old text."


def test_a_text_is_refused_when_made_with_an_unknown_key_or_the_wrong_values() -> None:
    with pytest.raises(KeyError):
        say("CF-99.pass")
    with pytest.raises(ValueError, match="takes"):
        say("CF-11.fail", cap=3, period_days=7, number=4)
    with pytest.raises(ValueError, match="takes"):
        say("CF-11.fail", cap=3)


def test_every_count_names_a_placeholder_of_its_message_and_has_both_forms_in_german() -> None:
    for key, counts in COUNTED.items():
        assert set(counts) <= placeholders(key), key
        for name, (singular, plural) in counts.items():
            one, two = (translate_plural("de", singular, plural, n) for n in (1, 2))
            assert one != two, (key, name)
            assert render(say(key, **dict.fromkeys(placeholders(key), 1)), "en")
