"""Migrations build exactly the schema the models describe, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.databases import fresh_database, in_thread
from visits.db.engine import create_engine
from visits.db.migrate import downgrade, upgrade
from visits.db.models import Base


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
