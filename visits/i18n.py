"""One translation system for every text: gettext catalogs, one language choice, Babel formats.

Texts are written in English in the code, marked for extraction (``N_`` where they are defined,
or as the message id of a domain error), and translated where they are shown, into the
language of the reader. The catalogs (``visits/locale/<lang>/LC_MESSAGES/messages.po``) are the
only place a language's words live, and the languages spoken are the catalogs found: adding a
language is adding its catalog, nothing else. Only the ``.po`` files are kept in the repository;
they are compiled in memory on first use, so a checkout runs without a build step and no ``.mo``
file can go stale.

After changing texts, ``make messages`` extracts every marked text and updates the catalogs
(``python -m visits.i18n``); a test fails while a catalog lacks a text or German leaves one
untranslated.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations
from litestar import Request

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGES: dict[str, str] = {
    path.parent.parent.name: Locale.parse(path.parent.parent.name).get_display_name() or ""
    for path in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
}
"""Every language the service speaks (one per catalog), with its own name (what a language
link shows); the languages a household may choose (``enums.Language``) are these."""
DEFAULT_LANGUAGE = "de"
"""The language when nothing else decides: the facilities are German prisons."""


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message with a plural form for extraction (``%(num)d`` is the count); the form a
    number needs is picked where it is shown (``translate_plural``)."""
    return singular, plural


@dataclass(frozen=True, slots=True)
class Message:
    """A text with its placeholder values, kept until the reader's language is known: ``id`` is
    the English message id (extracted like ``N_``), ``params`` fill its ``%(name)s``."""

    id: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        """The English text (for logs and operators' messages)."""
        return self.id % dict(self.params) if self.params else self.id

    def translated(self, language: str) -> str:
        return translate(language, self.id, **self.params)


@functools.cache
def translations(language: str) -> Translations:
    """The catalog of ``language``, compiled once per process."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def translate(language: str, message: str, **params: Any) -> str:
    """``message`` (an English message id) in ``language``, ``%(name)s`` placeholders filled
    (gettext's python-format, the one placeholder style of every catalog entry)."""
    text = translations(language).gettext(message)
    return text % params if params else text


def translate_plural(language: str, singular: str, plural: str, count: int, **params: Any) -> str:
    """The form of ``singular``/``plural`` that ``count`` needs in ``language``; ``%(num)s`` is
    the count."""
    return translations(language).ngettext(singular, plural, count) % {"num": count, **params}


def parse_accept_language(header: str) -> list[str]:
    """Primary language tags from an ``Accept-Language`` header, best first (RFC 9110 q-values)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.split("-")[0].lower()))
    return [tag for _, _, tag in sorted(ranked)]


def choose_language(request: Request[Any, Any, Any], *preferences: str | None) -> str:
    """The language of an answer: ``?lang=`` if supported, else the first supported of
    ``preferences`` (e.g. a remembered choice, then the household's language), else the best
    supported ``Accept-Language``, else ``DEFAULT_LANGUAGE``. The API and the pages both use it."""
    candidates: Iterable[str | None] = (
        request.query_params.get("lang"),
        *preferences,
        *parse_accept_language(request.headers.get("accept-language", "")),
    )
    for candidate in candidates:
        if candidate in LANGUAGES:
            return str(candidate)
    return DEFAULT_LANGUAGE


def negotiate_language(request: Request[Any, Any, Any]) -> str:
    """The language of an API answer that has no household preference to consult."""
    return choose_language(request)


_DOMAIN_ERRORS = (
    "Invalid Unauthenticated Forbidden NotFound Conflict Unprocessable Refused "
    "TooManyRequests Unavailable"
)
EXTRACTION_KEYWORDS: Mapping[str, Any] = {
    **DEFAULT_KEYWORDS,
    "translate": (2,),
    "translate_plural": (2, 3),
    "N_plural": (1, 2),
    "Message": (1,),
    **{name: (2,) for name in _DOMAIN_ERRORS.split()},  # DomainError(slug, detail, ...)
}
"""Where texts to translate are written: ``N_``/``N_plural``/gettext calls, ``Message``,
``translate`` and ``translate_plural``, and the detail of every domain error."""


def _extract() -> Iterator[tuple[str, int, str | tuple[str, ...], list[str], str | None]]:
    """Every marked text in the package: (file, line, message, comments, context)."""
    with (LOCALE_DIR.parent / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    yield from extract_from_dir(
        str(LOCALE_DIR.parent), method_map, options_map, keywords=EXTRACTION_KEYWORDS
    )


def extracted_messages() -> set[str]:
    """The message id of every text in the package that is marked for translation."""
    return {
        message if isinstance(message, str) else message[0] for _, _, message, _, _ in _extract()
    }


def update_catalogs() -> None:
    """Add every extracted text to each catalog and drop texts no longer used (``make messages``);
    translations already made are kept."""
    template = Catalog(domain=DOMAIN)
    for filename, lineno, message, comments, context in _extract():
        template.add(
            message, None, [(f"visits/{filename}", lineno)], auto_comments=comments, context=context
        )
    for language in LANGUAGES:
        path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        with path.open("rb") as source:
            catalog = read_po(source, locale=language, domain=DOMAIN)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as target:
            write_po(target, catalog, width=100, sort_output=True)


if __name__ == "__main__":
    update_catalogs()
