"""The ``visits`` command: serve, run the scheduler, migrate, seed demo data."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from types import FrameType
from typing import TYPE_CHECKING

import click
import structlog

from visits.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    import uvicorn

log = structlog.get_logger("visits.cli")


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        click.echo(f"visits: {exc}", err=True)
        sys.exit(2)


async def _seed_if_empty(settings: Settings) -> bool:
    """Seed the demo; its staff accounts get ``demo_staff_password`` or, without one, a random
    password written once to the log (demo databases only)."""
    import secrets

    from visits.db.engine import create_engine, create_session_factory
    from visits.demo import DEMO_STAFF, seed_demo

    password = settings.demo_staff_password or secrets.token_urlsafe(12)
    engine = create_engine(settings.resolved_database_url)
    try:
        async with create_session_factory(engine)() as session:
            seeded = await seed_demo(session, staff_password=password, second_family=True)
    finally:
        await engine.dispose()
    if seeded:
        log.info(
            "demo_staff_accounts",
            accounts=[email for email, _, _ in DEMO_STAFF],
            password=password if not settings.demo_staff_password else "(demo_staff_password)",
        )
    return seeded


def _upgrade(settings: Settings) -> None:
    from visits.db.migrate import upgrade

    upgrade(settings.resolved_database_url)


class _StopRequest:
    """SIGINT or SIGTERM during ``serve``: finish the step under way, then stop and exit 0.

    While migrations and demo seeding run the signal is only remembered, so neither is cut in
    half; a second one stops the process at once. Once the server exists it is asked to exit.
    uvicorn handles both signals itself while it serves and, after its graceful shutdown,
    re-raises them to the handlers it found, these. With Python's defaults that re-raise would
    end a clean shutdown by SIGTERM with status -15, and hand SIGINT to asyncio, which then
    cancels whatever still runs on the loop.
    """

    def __init__(self) -> None:
        self.requested = False
        self.server: uvicorn.Server | None = None
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.requested and self.server is None:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True


def _uvicorn_config(settings: Settings) -> uvicorn.Config:
    """The server's settings; X-Forwarded-For/-Proto count only from ``trusted_proxies``.

    uvicorn's own default trusts them from 127.0.0.1, which would let any local client pick the
    address that per-client rate limits count.
    """
    import uvicorn

    from visits.app import create_app

    if os.environ.get("FORWARDED_ALLOW_IPS"):
        log.warning("forwarded_allow_ips_ignored", use="VISITS_TRUSTED_PROXIES")
    return uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="visits")
def main() -> None:
    """visits: visit scheduling for child-friendly prison visits.

    Settings come from VISITS_* environment variables, then config/visits.toml
    (or the file named by VISITS_CONFIG_FILE), then defaults; see the README.
    """


@main.command()
def serve() -> None:
    """Apply migrations, seed demo data into an empty database, and serve the API.

    SIGINT or SIGTERM at any point stops it cleanly with status 0.
    """
    import uvicorn

    from visits.logging import configure_logging

    settings = _settings()
    configure_logging(settings)
    stop = _StopRequest()
    _upgrade(settings)
    if not stop.requested and settings.seed_demo and asyncio.run(_seed_if_empty(settings)):
        log.info("demo_data_seeded")
    server = uvicorn.Server(_uvicorn_config(settings))
    stop.server = server
    if stop.requested:
        log.info("stopped_before_serving")
        return
    log.info(
        "serving",
        url=settings.resolved_public_url,
        scheduler=settings.scheduler,
        trusted_proxies=list(settings.trusted_proxies),
    )
    server.run()


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
def staff() -> None:
    """Staff accounts."""


def _parse_grants(values: tuple[str, ...]) -> list[tuple[str, str | None]]:
    grants = []
    for value in values:
        role, _, facility = value.partition(":")
        grants.append((role.strip(), facility.strip() or None))
    return grants


async def _create_staff(
    settings: Settings, email: str, name: str, password: str, grants: list[tuple[str, str | None]]
) -> str:
    import sqlalchemy as sa

    from visits.accounts.schemas import StaffCreateIn
    from visits.accounts.service.staff import create_staff
    from visits.audit import Actor
    from visits.db.engine import create_engine, create_session_factory
    from visits.db.models import Facility
    from visits.scheduler import boundary
    from visits.validation import parse_body

    engine = create_engine(settings.resolved_database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            resolved = []
            for role, facility in grants:
                facility_id = None
                if facility is not None:
                    facility_id = await session.scalar(
                        sa.select(Facility.id).where(
                            sa.or_(
                                Facility.slug == facility,
                                sa.cast(Facility.id, sa.String) == facility,
                            )
                        )
                    )
                    if facility_id is None:
                        raise click.UsageError(f"no facility with slug or id {facility!r}")
                resolved.append(
                    {"role": role, "facility_id": str(facility_id) if facility_id else None}
                )
            body = parse_body(
                StaffCreateIn,
                {"email": email, "name": name, "password": password, "grants": resolved},
            )
            created = await create_staff(session, body, Actor.system())
            await boundary.commit(session, boundary.OutsideRequest.of(factory, settings))
            return str(created.id)
    finally:
        await engine.dispose()


@staff.command("create")
@click.option("--email", required=True, help="Sign-in e-mail address.")
@click.option("--name", required=True, help="Full name, shown in audit trails.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    help="ROLE:FACILITY (slug or id), or 'admin'. Repeat for several grants.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def staff_create(email: str, name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create a staff account. The password is asked for, never passed as an argument."""
    from visits.errors import DomainError

    settings = _settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    _upgrade(settings)
    try:
        staff_id = asyncio.run(_create_staff(settings, email, name, password, _parse_grants(roles)))
    except DomainError as exc:
        problems = [f"{e['name']}: {e['detail']}" for e in exc.errors] or [exc.text("en")]
        click.echo("visits: cannot create the account:\n  - " + "\n  - ".join(problems), err=True)
        sys.exit(2)
    click.echo(f"staff account {staff_id} created")


@main.group()
def dev() -> None:
    """Local stand-ins for outside services."""


@dev.command("fake-twilio")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8099, show_default=True, type=click.IntRange(1, 65535))
@click.option("--account-sid", default="ACfake", show_default=True)
@click.option("--auth-token", envvar="FAKE_TWILIO_AUTH_TOKEN", default="fake-token")
def fake_twilio(host: str, port: int, account_sid: str, auth_token: str) -> None:
    """Serve a fake of Twilio's Messages API (point twilio_api_base_url at it)."""
    import uvicorn

    from visits.dev.fake_twilio import create_fake_app

    click.echo(f"fake Twilio on http://{host}:{port} (account {account_sid})")
    uvicorn.run(create_fake_app(account_sid, auth_token), host=host, port=port, log_level="warning")


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
