"""The ``visits`` command: serve, run the scheduler, migrate, seed demo data."""

from __future__ import annotations

import asyncio
import sys

import click
import structlog

from visits.settings import Settings, SettingsError, get_settings

log = structlog.get_logger("visits.cli")


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(f"visits: {exc}", err=True)
        sys.exit(2)


async def _seed_if_empty(settings: Settings) -> bool:
    from visits.db.engine import create_engine, create_session_factory
    from visits.demo import seed_demo

    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            return await seed_demo(session)
    finally:
        await engine.dispose()


def _upgrade(settings: Settings) -> None:
    from visits.db.migrate import upgrade

    upgrade(settings.resolved_database_url)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="visits")
def main() -> None:
    """visits: visit scheduling for child-friendly prison visits.

    Settings come from VISITS_* environment variables, then config/visits.toml
    (or the file named by VISITS_CONFIG_FILE), then defaults; see the README.
    """


@main.command()
def serve() -> None:
    """Apply migrations, seed demo data into an empty database, and serve the API."""
    import uvicorn

    from visits.app import create_app
    from visits.logging import configure_logging

    settings = _settings()
    configure_logging(settings)
    _upgrade(settings)
    if settings.seed_demo and asyncio.run(_seed_if_empty(settings)):
        log.info("demo_data_seeded")
    log.info("serving", url=settings.resolved_public_url, scheduler=settings.scheduler)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
    )


@main.command()
def scheduler() -> None:
    """Run the scheduled jobs in their own process (for deployments with scheduler=external)."""
    from visits.logging import configure_logging
    from visits.scheduler.runner import run_scheduler_process

    settings = _settings()
    configure_logging(settings)
    asyncio.run(run_scheduler_process(settings))


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from visits.db.migrate import upgrade
    from visits.logging import configure_logging

    settings = _settings()
    configure_logging(settings)
    upgrade(settings.resolved_database_url, revision)
    click.echo(f"database at revision {revision}")


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("seed")
def demo_seed() -> None:
    """Migrate, then add the demo facility, rooms, slots and household to an empty database."""
    from visits.logging import configure_logging

    settings = _settings()
    configure_logging(settings)
    _upgrade(settings)
    if asyncio.run(_seed_if_empty(settings)):
        click.echo("demo data seeded")
    else:
        click.echo("the database already has a facility; demo data not added")
