"""The catalogs hold every text the code marks for translation, and German translates them all."""

from __future__ import annotations

from babel.messages.pofile import read_po

from visits.enums import Language
from visits.i18n import LANGUAGES, LOCALE_DIR, extracted_messages


def test_catalogs_hold_every_message_and_german_translates_them_all() -> None:
    extracted = extracted_messages()
    assert "There is no such visit." in extracted  # domain error details are found too
    assert "%(num)d adult" in extracted  # and plurals
    for language in LANGUAGES:
        with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
            catalog = read_po(source, locale=language)
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        missing = sorted(extracted - ids)
        assert not missing, f"{language}: run make messages: {missing}"
        if language == "de":
            untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
            assert untranslated == []


def test_the_languages_spoken_are_the_languages_households_choose() -> None:
    assert set(LANGUAGES) == {language.value for language in Language}
