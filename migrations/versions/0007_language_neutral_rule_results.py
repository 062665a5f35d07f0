"""Stored rule results become language-neutral: a message key and its parameters, not words.

Each result's ``message_de``/``message_en`` (and ``family_message_*``) become ``message`` (and
``family_message``): the key and parameters recovered by matching the stored English and German
text against the message templates, accepted only when rendering them gives back exactly the
stored words in both languages. A text that matches no template (worded by an older release)
is kept as a ``legacy.literal`` text that renders the stored German or English words as they
are. A review reason made of rule texts keeps the rule ids instead; other reasons stay as
written. Only data changes, so no batch operation is needed on SQLite.

The templates are the wording of this release, frozen in ``0007_wording.json`` (English and
German per message key): later releases reword messages, and old words must still be matched
against the words that wrote them. A key the frozen wording lacks renders as the release does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-15 01:00:00.000000
"""

import json
import re
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, time
from itertools import product
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from visits.enums import VisitType
from visits.rules.texts import (
    LEGACY,
    PLACEHOLDER,
    Clock,
    Day,
    Param,
    Series,
    Text,
    joined,
    render_param,
    visit_type_name,
)

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

visit = sa.table(
    "visit",
    sa.column("id", sa.Uuid()),
    sa.column("rule_results", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    sa.column("review_reason", sa.Text()),
)

BATCH = 500
Reason = Callable[[str, list[dict[str, Any]]], str]
DAYS = {"visit_date", "opens"}
CLOCKS = {"start", "end", "earliest", "latest"}
LISTS = {"bands"}
VISIT_TYPES = {"visit_type", "programme"}
WORDS = {"child", "month", "ages", "flags", "codes"}  # text parameters, even when all digits
CLOCK = re.compile(r"(\d\d):(\d\d)(?: \(UTC([+-]\d\d:\d\d)\))?")
WORDING: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).parent / "0007_wording.json").read_text(encoding="utf-8")
)
"""The template of each message key in "en" and "de", as this release worded it."""


def template(key: str, language: str) -> str:
    return WORDING[key][language]


def placeholders(key: str) -> set[str]:
    return set(PLACEHOLDER.findall(template(key, "en")))


def render(value: Param, language: str) -> str:
    """``value`` in the words of this release (``texts.render`` with the frozen templates)."""
    match value:
        case Text(key=key, params=params) if key in WORDING:
            rendered = {name: render(param, language) for name, param in params.items()}
            return template(key, language) % rendered
        case Series(items=items):
            return render_param(Series([render(item, language) for item in items]), language)
        case _:
            return render_param(value, language)


def _pattern(template: str) -> str:
    """A regex for ``template``: each placeholder a named group (a repeat must be the same)."""
    parts, seen, position = [], set(), 0
    for found in PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : found.start()]))
        name = found.group(1)
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        position = found.end()
    parts.append(re.escape(template[position:]))
    return "".join(parts)


def _param(name: str, english: str, german: str) -> Param:
    if name in DAYS:
        day, month, year = german.split(".")
        return Day(date(int(year), int(month), int(day)))
    if name in CLOCKS and (clock := CLOCK.fullmatch(english)):
        hour, minute, offset = clock.groups()
        return Clock(time(int(hour), int(minute)), offset)
    if name in LISTS:
        head, _, last = english.rpartition(" and ")
        return Series([*head.split(", "), last] if head else [last])
    if name in VISIT_TYPES:
        named = [t for t in VisitType if render(visit_type_name(t), "en") == english]
        return visit_type_name(named[0]) if named else english
    if name not in WORDS and english.isdigit():
        return int(english)
    return english


def _candidates(prefixes: tuple[str, ...]) -> Iterator[list[str]]:
    """Keys of one message, then of two messages one after the other (CF-04, CF-08)."""
    keys = [key for key in WORDING if key.split(".")[0] in prefixes]
    yield from ([key] for key in keys)
    yield from ([first, second] for first, second in product(keys, keys) if first != second)


def recover(rule_id: str, german: str, english: str, *, family: bool = False) -> Text:
    """The text whose rendering is exactly the stored German and English words, else a legacy
    literal that shows them."""
    prefixes = ("family", rule_id) if family else (rule_id,)
    for keys in _candidates(prefixes):
        english_template = " ".join(template(key, "en") for key in keys)
        german_template = " ".join(template(key, "de") for key in keys)
        english_match = re.fullmatch(_pattern(english_template), english)
        german_match = re.fullmatch(_pattern(german_template), german)
        if english_match is None or german_match is None:
            continue
        values = english_match.groupdict()
        try:
            texts = [
                Text(
                    key,
                    {
                        name: _param(name, values[name], german_match.group(name))
                        for name in sorted(placeholders(key))
                    },
                )
                for key in keys
            ]
        except ValueError:  # not a date or a time after all
            continue
        text = joined(texts)
        if render(text, "en") == english and render(text, "de") == german:
            return text
    return Text(LEGACY, {"de": german, "en": english})


def _upgraded(stored: dict[str, Any]) -> dict[str, Any]:
    if "message" in stored:
        return stored
    row = dict(stored)
    rule_id = row["rule_id"]
    german, english = row.pop("message_de"), row.pop("message_en")
    row["message"] = msgspec.to_builtins(recover(rule_id, german, english))
    family_german, family_english = row.pop("family_message_de"), row.pop("family_message_en")
    if family_german is not None and family_english is not None:
        family = recover(rule_id, family_german, family_english, family=True)
        row["family_message"] = msgspec.to_builtins(family)
    else:
        row["family_message"] = None
    return row


def _downgraded(stored: dict[str, Any]) -> dict[str, Any]:
    if "message" not in stored:
        return stored
    row = dict(stored)
    message = msgspec.convert(row.pop("message"), Text)
    family = row.pop("family_message", None)
    family_message = msgspec.convert(family, Text) if family is not None else None
    for language in ("de", "en"):
        row[f"message_{language}"] = render(message, language)
        row[f"family_message_{language}"] = (
            render(family_message, language) if family_message else None
        )
    return row


def _in_review(stored: dict[str, Any]) -> bool:
    return not stored.get("passed", True) and bool(stored.get("route_to_review"))


# What the booking service wrote itself before this release, and the code it writes now.
SYSTEM_REASONS = {
    "rescheduled; the new slot needs review": "rescheduled",
    "facility takes requests only": "request-mode",
}


def neutral_reason(reason: str, old_results: list[dict[str, Any]]) -> str:
    """A review reason with each reviewing rule's English text replaced by its rule id, and the
    service's own English reasons by their codes."""
    for worded, code in SYSTEM_REASONS.items():
        reason = reason.replace(worded, code)
    for stored in filter(_in_review, old_results):
        if "message_en" in stored:
            reason = reason.replace(stored["message_en"], stored["rule_id"], 1)
    return reason


def worded_reason(reason: str, new_results: list[dict[str, Any]]) -> str:
    """The review reason as the release before this one stored it: rule texts in English."""
    parts = reason.split("; ")
    texts = {
        stored["rule_id"]: render(msgspec.convert(stored["message"], Text), "en")
        for stored in filter(_in_review, new_results)
        if "message" in stored
    }
    worded = {code: words for words, code in SYSTEM_REASONS.items()}
    return "; ".join(texts.get(part, worded.get(part, part)) for part in parts)


def _rewrite(results: Callable[[dict[str, Any]], dict[str, Any]], reason: Reason) -> None:
    """Rewrite every visit's results and review reason, a batch of visits at a time."""
    connection = op.get_bind()
    last: uuid.UUID | None = None
    while True:
        query = sa.select(visit).order_by(visit.c.id).limit(BATCH)
        rows = connection.execute(query if last is None else query.where(visit.c.id > last)).all()
        for row in rows:
            stored = row.rule_results or []
            connection.execute(
                visit.update()
                .where(visit.c.id == row.id)
                .values(
                    rule_results=[results(result) for result in stored],
                    review_reason=row.review_reason and reason(row.review_reason, stored),
                )
            )
        if len(rows) < BATCH:
            return
        last = rows[-1].id


def upgrade() -> None:
    _rewrite(_upgraded, neutral_reason)


def downgrade() -> None:
    _rewrite(_downgraded, worded_reason)
