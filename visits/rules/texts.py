"""Rule texts as language-neutral values: a message key with its parameters, rendered when read.

A result stores ``Text("CF-07.fail", {"adults": 3, ...})``, never words, so a wording change or
a new language is a catalog change, not a data migration. Parameters are plain JSON values or
tagged values that each language renders its own way: a nested ``Text`` (a visit type's name),
a ``Series`` ("a, b and c"), a ``Day`` (a date, by Babel) and a ``Clock`` (a wall-clock time).
A number the message counts something with (``messages.COUNTED``) is shown with the words the
number needs in the language ("1 adult", "2 adults"). Rendering reads the compiled catalogs in
memory only, so the rules stay pure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import TypeAlias

import msgspec
from babel.dates import format_date, format_time

from visits.enums import VisitType
from visits.i18n import translate_plural, translations
from visits.rules.messages import AND_LIST, COUNTED, DATE_PATTERN, MESSAGES, visit_type_key

LEGACY = "legacy.literal"
"""The key of a text stored before texts were language-neutral that no template matched (see
migration 0007): its parameters hold the stored words per language, shown as they were."""

CLOCK_PATTERN = "HH:mm"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class Text(msgspec.Struct, frozen=True, tag="text", omit_defaults=True):
    """The message ``key`` of ``messages.MESSAGES`` with its placeholder values."""

    key: str
    params: dict[str, Param] = {}


class Series(msgspec.Struct, frozen=True, tag="and"):
    """Items listed in a sentence: "a, b and c" / "a, b und c"."""

    items: list[Param]


class Day(msgspec.Struct, frozen=True, tag="day"):
    """A date, written as the reader's language writes dates."""

    value: date


class Clock(msgspec.Struct, frozen=True, tag="clock"):
    """A wall-clock time; ``utc_offset`` ("+01:00") when the clock shows it twice that day."""

    value: time
    utc_offset: str | None = None


Param: TypeAlias = int | str | Text | Series | Day | Clock


def say(key: str, **params: Param) -> Text:
    """The message ``key`` with a value for each of its placeholders, and nothing else."""
    if set(params) != placeholders(key):
        raise ValueError(f"{key} takes {sorted(placeholders(key))}, not {sorted(params)}")
    return Text(key, dict(params))


@functools.cache
def placeholders(key: str) -> frozenset[str]:
    """The names of the ``%(name)s`` placeholders of message ``key``."""
    return frozenset(PLACEHOLDER.findall(MESSAGES[key]))


def joined(texts: Iterable[Text]) -> Text:
    """Several texts as one, sentence after sentence."""
    first, *rest = texts
    return say("sentences", first=first, second=joined(rest)) if rest else first


def and_list(items: Sequence[Param]) -> Series:
    return Series(list(items))


def visit_type_name(visit_type: VisitType) -> Text:
    return say(visit_type_key(visit_type))


def clock(moment: time) -> Clock:
    return Clock(moment.replace(second=0, microsecond=0))


def wall_clock(moment: datetime) -> Clock:
    """An aware local time as the clock reads it. A reading the clock shows twice that day (the
    repeated autumn hour) carries its UTC offset, so "02:30 to 02:30" cannot be misread."""
    shown = clock(moment.time())
    if moment.replace(fold=0).utcoffset() == moment.replace(fold=1).utcoffset():
        return shown
    offset = moment.strftime("%z")
    return Clock(shown.value, f"{offset[:3]}:{offset[3:]}")


def render(text: Text, language: str) -> str:
    """``text`` in ``language``: the catalog's translation with every parameter rendered in it."""
    if text.key == LEGACY:
        stored = text.params.get(language, text.params["en"])
        return stored if isinstance(stored, str) else render_param(stored, language)
    template = translations(language).gettext(MESSAGES[text.key])
    counted = COUNTED.get(text.key, {})
    return template % {
        name: translate_plural(language, *counted[name], value)
        if name in counted and isinstance(value, int)
        else render_param(value, language)
        for name, value in text.params.items()
    }


def render_param(value: Param, language: str) -> str:
    """One parameter of a text in ``language`` (a count's words are the message's business)."""
    match value:
        case Text():
            return render(value, language)
        case Series(items=items):
            shown = [render_param(item, language) for item in items]
            if len(shown) <= 1:
                return "".join(shown)
            head, last = ", ".join(shown[:-1]), shown[-1]
            return translations(language).gettext(AND_LIST) % {"head": head, "last": last}
        case Day(value=day):
            pattern = translations(language).gettext(DATE_PATTERN)
            return format_date(day, pattern, locale=language)
        case Clock(value=moment, utc_offset=offset):
            shown_time = format_time(moment, CLOCK_PATTERN, locale=language)
            return f"{shown_time} (UTC{offset})" if offset else shown_time
        case _:
            return str(value)
