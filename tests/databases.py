"""Fresh test databases: a SQLite file, or a new PostgreSQL database on the test server."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from visits.db.models import Base
from visits.settings import normalise_database_url

POSTGRES_URL_VARIABLE = "VISITS_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
T = TypeVar("T")


def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run blocking code that starts its own event loop away from the test's loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    return in_thread(asyncio.run, coroutine)


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


async def _admin(statement: str) -> None:
    admin = make_url(normalise_database_url(postgres_admin_url() or ""))
    connection = await asyncpg.connect(
        host=admin.host,
        port=admin.port or 5432,
        user=admin.username,
        password=admin.password,
        database=admin.database or "postgres",
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database(backend: str, directory: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database; drop it afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{directory / f'{secrets.token_hex(4)}.db'}"
        return
    name = f"visits_test_{secrets.token_hex(6)}"
    run_async(_admin(f'CREATE DATABASE "{name}"'))
    try:
        base = make_url(normalise_database_url(postgres_admin_url() or ""))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        run_async(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def empty_all_tables(engine: AsyncEngine) -> None:
    """Delete every row, children first, so each test starts from an empty schema."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await connection.execute(sa.text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())
