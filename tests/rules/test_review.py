"""Review reasons: stored language-neutral, shown in the reader's language."""

from __future__ import annotations

from visits.rules.review import (
    CLOSURE,
    REQUEST_MODE,
    TEMPLATE_CAPACITY,
    TEMPLATE_CHANGED,
    shown_reason,
    staff_reason,
)


def test_a_staff_change_is_stored_as_its_code_and_the_staff_words() -> None:
    assert staff_reason(CLOSURE, "Personalversammlung") == "closure:Personalversammlung"
    assert staff_reason(TEMPLATE_CHANGED, "school ends later") == (
        "template-changed:school ends later"
    )


def test_codes_are_shown_in_the_readers_language_with_the_words_as_written() -> None:
    stored = "; ".join(
        [
            staff_reason(CLOSURE, "Personalversammlung: Haus A"),
            staff_reason(TEMPLATE_CAPACITY, "weniger Tische"),
            REQUEST_MODE,
        ]
    )
    assert shown_reason(stored, [], "en") == (
        "Closure: Personalversammlung: Haus A; "
        "Slot template changed: weniger Tische (capacity below bookings); "
        "The facility takes requests only."
    )
    german = shown_reason(stored, [], "de")
    assert german is not None
    assert german.startswith("Schließung: Personalversammlung: Haus A; ")
    assert "weniger Tische" in german
    assert "Closure" not in german


def test_reasons_stored_in_words_before_the_codes_are_shown_as_written() -> None:
    old = "Closure: Personalversammlung; Slot template changed: later (capacity below bookings)"
    assert shown_reason(old, [], "de") == old
    assert shown_reason("anything: else", [], "en") == "anything: else"
    assert shown_reason(None, [], "en") is None
