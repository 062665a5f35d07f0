"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.databases import (
    BACKENDS,
    POSTGRES_URL_VARIABLE,
    empty_all_tables,
    fresh_database,
    in_thread,
    postgres_admin_url,
)
from visits.app import create_app
from visits.db.engine import create_engine, create_session_factory
from visits.db.migrate import upgrade
from visits.settings import Settings


def _backend_param(backend: str) -> object:
    needs_server = backend == "postgresql" and postgres_admin_url() is None
    reason = f"set {POSTGRES_URL_VARIABLE} to run the PostgreSQL tests"
    return pytest.param(backend, marks=pytest.mark.skipif(needs_server, reason=reason))


@pytest.fixture(scope="session", params=[_backend_param(b) for b in BACKENDS])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for this run and backend, migrated to the newest revision."""
    with fresh_database(backend, tmp_path_factory.mktemp(backend)) as url:
        in_thread(upgrade, url)
        yield url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session on an empty database; everything is deleted again after the test."""
    async with create_session_factory(engine)() as session:
        yield session
    await empty_all_tables(engine)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        data_dir=str(tmp_path),
        seed_demo=False,
        scheduler="off",
    )


@pytest.fixture
async def client(settings: Settings, db: AsyncSession) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    async with AsyncTestClient(app=create_app(settings)) as test_client:
        yield test_client


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every test must run: a skipped test fails the run."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped:
        print(f"\nCI: {skipped} test(s) were skipped; every test must run in CI.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
