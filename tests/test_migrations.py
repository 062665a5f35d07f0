"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path
from types import ModuleType
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given, settings

from tests.databases import fresh_database, in_thread
from tests.rules.test_properties import Booking, bookings
from visits.db.engine import create_engine
from visits.db.migrate import downgrade, upgrade
from visits.db.models import Base
from visits.enums import VisitType
from visits.rules.catalogue import RuleId
from visits.rules.model import RuleResult
from visits.rules.results import result
from visits.rules.texts import LEGACY, Day, Text, render, say, visit_type_name

BEFORE_NEUTRAL_TEXTS = "0006"
VERSIONS = Path(__file__).parents[1] / "migrations" / "versions"


def _migration(name: str) -> ModuleType:
    spec = spec_from_file_location(name, VERSIONS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NEUTRAL_TEXTS = _migration("0007_language_neutral_rule_results")


async def _differences(url: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "compare_server_default": True}
                    ),
                    Base.metadata,
                )
            )
    finally:
        await engine.dispose()


async def _table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_migrations_match_models_and_downgrade_cleanly(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        in_thread(upgrade, url)
        assert await _differences(url) == []
        assert set(Base.metadata.tables) <= await _table_names(url)

        in_thread(downgrade, url, "base")
        assert await _table_names(url) == {"alembic_version"}

        in_thread(upgrade, url)
        assert await _differences(url) == []


async def test_a_model_change_would_be_detected(backend: str, tmp_path: Path) -> None:
    """The comparison is not vacuous: a column missing from the database is reported."""
    with fresh_database(backend, tmp_path) as url:
        in_thread(upgrade, url)
        engine = create_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.execute(sa.text("ALTER TABLE room DROP COLUMN description"))
        finally:
            await engine.dispose()
        differences = await _differences(url)
        assert [d[0] for d in differences] == ["add_column"]
        assert differences[0][3].name == "description"


@pytest.mark.parametrize("table", ["slot", "visit", "reminder"])
def test_tables_have_named_constraints(table: str) -> None:
    names = {c.name for c in Base.metadata.tables[table].constraints}
    assert all(name for name in names)
    assert f"pk_{table}" in names


def _table(name: str, *columns: str) -> sa.TableClause:
    """Just these columns of ``name``, typed as the models type them (JSON: dropped since)."""
    model = Base.metadata.tables[name]
    return sa.table(
        name, *(sa.column(c, model.c[c].type if c in model.c else sa.JSON()) for c in columns)
    )


def _insert(table: str, **values: Any) -> sa.Insert:
    return _table(table, *values).insert().values(**values)


def _worded(result: RuleResult) -> dict[str, Any]:
    """A result as releases before migration 0007 stored it: its words in German and English,
    as that release worded them (the migration's frozen wording, not today's)."""
    stored = msgspec.to_builtins(result)
    del stored["message"], stored["family_message"]
    family = result.family_message
    for language in ("de", "en"):
        stored[f"message_{language}"] = NEUTRAL_TEXTS.render(result.message, language)
        stored[f"family_message_{language}"] = family and NEUTRAL_TEXTS.render(family, language)
    return stored


async def _visit_with_old_results(url: str, rule_results: list[Any], review_reason: str) -> None:
    now = datetime(2026, 3, 1, 9, tzinfo=UTC)
    ids = {name: uuid.uuid4() for name in ("facility", "room", "slot", "prisoner", "visit")}
    stamps = {"created_at": now, "updated_at": now}
    rows = [
        _insert(
            "facility",
            id=ids["facility"],
            slug="jva",
            name="JVA",
            timezone="Europe/Berlin",
            street="Weg 1",
            postal_code="12345",
            city="Stadt",
            country="DE",
            email="jva@example.org",
            languages=["de"],
            min_notice_hours=24,
            max_days_ahead=28,
            rule_profile="de-nw",
            rule_overrides={},
            request_mode=False,
            is_active=True,
            **stamps,
        ),
        _insert(
            "room",
            id=ids["room"],
            facility_id=ids["facility"],
            name="Raum",
            description="",
            features=[],
            age_bands=[],
            capacity_tables=4,
            capacity_seats=12,
            capacity_children=6,
            closed_visits=False,
            is_active=True,
            **stamps,
        ),
        _insert(
            "slot",
            id=ids["slot"],
            facility_id=ids["facility"],
            room_id=ids["room"],
            visit_type="child_family",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=2),
            local_date=date(2026, 3, 4),
            capacity_tables=4,
            capacity_seats=12,
            capacity_children=6,
            booked_tables=1,
            booked_seats=2,
            booked_children=1,
            status="open",
            bookable_by="public",
            **stamps,
        ),
        _insert(
            "prisoner",
            id=ids["prisoner"],
            facility_id=ids["facility"],
            prison_number="P1",
            given_name="A",
            family_name="B",
            admission_date=date(2026, 1, 1),
            custody_status="sentenced",
            restrictions=[],
            closed_visits_only=False,
            **stamps,
        ),
        _insert(
            "visit",
            id=ids["visit"],
            reference="K7QX-M2PA",
            facility_id=ids["facility"],
            slot_id=ids["slot"],
            prisoner_id=ids["prisoner"],
            visit_type="child_family",
            status="requested",
            channel="online",
            starts_at=now + timedelta(days=3),
            ends_at=now + timedelta(days=3, hours=2),
            used_tables=1,
            used_seats=2,
            used_children=1,
            ical_uid="visit@example.org",
            ical_sequence=0,
            rule_results=rule_results,
            needs_review=True,
            review_reason=review_reason,
            **stamps,
        ),
    ]
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for row in rows:
                await connection.execute(row)
    finally:
        await engine.dispose()


async def _stored_visit(url: str) -> tuple[list[Any], str | None]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            visit = _table("visit", "rule_results", "review_reason")
            row = (await connection.execute(sa.select(visit))).one()
            return row.rule_results, row.review_reason
    finally:
        await engine.dispose()


async def test_stored_rule_results_become_language_neutral_and_back(
    backend: str, tmp_path: Path
) -> None:
    """Migration 0007 recovers each text's key and values from the stored words; words no
    template matches stay as a legacy literal; rule texts in the review reason become rule ids."""
    wish = result(
        RuleId.CF_22,
        say("CF-22.fail", voice_age=12),
        passed=False,
        params={"child_voice_age": 12, "children_against": ["v1"]},
        family_text=say("family.review"),
    )
    ages = result(
        RuleId.CF_06,
        say("CF-06.pass", visit_date=Day(date(2026, 3, 4))),
        passed=True,
        params={"visit_date": "2026-03-04", "ages": [9, 40], "born_after_visit": []},
    )
    old = [_worded(wish), _worded(ages)]
    old.append({**old[1], "rule_id": "CF-03", "message_de": "Früher so.", "message_en": "Once so."})
    closure = "Closure: Personalversammlung"
    reason = f"{NEUTRAL_TEXTS.render(wish.message, 'en')}; {closure}"
    with fresh_database(backend, tmp_path) as url:
        in_thread(upgrade, url, BEFORE_NEUTRAL_TEXTS)
        await _visit_with_old_results(url, old, reason)

        in_thread(upgrade, url)
        results, neutral_reason = await _stored_visit(url)
        read = [msgspec.convert(r, RuleResult) for r in results]
        assert read[:2] == [wish, ages]
        assert read[2].message == Text(LEGACY, {"de": "Früher so.", "en": "Once so."})
        assert read[2].message_in("de") == "Früher so."
        assert neutral_reason == f"CF-22; {closure}"
        for stored, new in zip(old, read, strict=True):
            assert new.message_in("de") == stored["message_de"]
            assert new.message_in("en") == stored["message_en"]

        in_thread(downgrade, url, BEFORE_NEUTRAL_TEXTS)
        assert await _stored_visit(url) == (old, reason)


@settings(max_examples=100)
@given(booking=bookings())
def test_every_text_a_booking_gets_is_recovered_from_its_stored_words(booking: Booking) -> None:
    for new in booking.results():
        stored = _worded(new)
        recovered = NEUTRAL_TEXTS.recover(new.rule_id, stored["message_de"], stored["message_en"])
        assert recovered == new.message


def test_words_of_the_old_release_are_recovered_although_today_words_them_otherwise() -> None:
    """Migration 0007 matches the words its release wrote, not today's: "at most 1 accompanying
    adults" then, "at most 1 accompanying adult" now."""
    english = (
        "Child and family visit: at most 1 accompanying adults can come with the children; your "
        "group has 2. Other adults are welcome at regular visits, and the visits team can look at "
        "a request."
    )
    german = (
        "Kinder- und Familienbesuch: Mit den Kindern können höchstens 1 erwachsene "
        "Begleitpersonen kommen; Ihre Gruppe hat 2. Weitere Erwachsene sind bei Regelbesuchen "
        "willkommen, und das Besuchsteam prüft gern eine Anfrage."
    )
    recovered = NEUTRAL_TEXTS.recover("CF-08", german, english)
    assert recovered == say(
        "CF-08.too_many_adults",
        visit_type=visit_type_name(VisitType.CHILD_FAMILY),
        max_adults=1,
        adults=2,
    )
    assert "at most 1 accompanying adult can come" in render(recovered, "en")
