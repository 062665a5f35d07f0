"""Every text exists in German and English, is not empty, and is not the same in both."""

from __future__ import annotations

from string import Formatter

import pytest

from visits.enums import VisitType
from visits.rules.catalogue import ALERT_RULE_IDS, BOOKING_RULE_IDS, RULES
from visits.rules.messages import MESSAGES, VISIT_TYPE_NAMES, Localised, and_list, say


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_each_message_has_both_languages(key: str) -> None:
    text = MESSAGES[key]
    assert text.de.strip()
    assert text.en.strip()
    assert text.de != text.en
    assert _placeholders(text.de) == _placeholders(text.en), "the same values in both languages"


def test_every_rule_of_the_catalogue_has_texts() -> None:
    prefixes = {key.split(".")[0] for key in MESSAGES}
    assert set(RULES) <= prefixes
    assert {"family"} == prefixes - set(RULES)


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


def test_visit_type_names_in_both_languages() -> None:
    assert set(VISIT_TYPE_NAMES) == set(VisitType)
    for name in VISIT_TYPE_NAMES.values():
        assert name.de
        assert name.en
        assert name.de != name.en


def test_localised_values_fill_each_language() -> None:
    text = say("CF-08.children_required", visit_type=VISIT_TYPE_NAMES[VisitType.FAMILY_DAY])
    assert text.de.startswith("Familientag:")
    assert text.en.startswith("Family day:")
    assert and_list(["a", "b", "c"]) == Localised("a, b und c", "a, b and c")
    assert and_list(["a"]) == Localised("a", "a")
