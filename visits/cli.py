"""The ``visits`` command: serve, run the scheduler, migrate, seed demo data."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
import structlog

from visits.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    import uvicorn
    from sqlalchemy.ext.asyncio import AsyncSession

    from visits.errors import DomainError

T = TypeVar("T")

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


def _migrate(step: Callable[[], tuple[str, ...]]) -> None:
    """Run an upgrade or downgrade; a revision in the other direction, or one that does not
    exist, is a clear message and status 2, never a claim of success."""
    from alembic.util import CommandError

    from visits.db.migrate import WrongDirection

    try:
        reached = step()
    except (WrongDirection, CommandError) as refusal:
        click.echo(f"visits: {refusal}", err=True)
        sys.exit(2)
    click.echo(f"database at revision {', '.join(reached) or 'base (empty)'}")


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION. A REVISION below the database's is refused (exit 2):
    going back is `visits db downgrade`."""
    from visits.db.migrate import upgrade
    from visits.logging import configure_logging

    settings = _settings()
    configure_logging(settings)
    _migrate(lambda: upgrade(settings.resolved_database_url, revision))


@db.command("downgrade")
@click.option(
    "--revision",
    required=True,
    help="Target revision, below the database's ('base' undoes every migration).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
def db_downgrade(revision: str, yes: bool) -> None:
    """Undo migrations down to REVISION. Data of the later migrations' tables and columns is
    lost: take a backup first. A REVISION that is not below the database's is refused
    (exit 2)."""
    from visits.db.migrate import downgrade
    from visits.logging import configure_logging

    settings = _settings()
    configure_logging(settings)
    if not yes:
        click.confirm(
            f"Downgrade the database to {revision}? Data of later migrations is lost",
            abort=True,
        )
    _migrate(lambda: downgrade(settings.resolved_database_url, revision))


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
        _refuse("cannot create the account", exc)
    click.echo(f"staff account {staff_id} created")


def _refuse(what: str, exc: DomainError) -> NoReturn:
    """A domain error as the command's answer: every problem on its line, status 2."""
    problems = [f"{e['name']}: {e['detail']}" for e in exc.errors] or [exc.text("en")]
    click.echo(f"visits: {what}:\n  - " + "\n  - ".join(problems), err=True)
    sys.exit(2)


async def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one session and commit it (the command is its own boundary)."""
    from visits.db.engine import create_engine, create_session_factory
    from visits.scheduler import boundary

    engine = create_engine(settings.resolved_database_url)
    factory = create_session_factory(engine)
    try:
        async with factory() as session:
            result = await work(session)
            await boundary.commit(session, boundary.OutsideRequest.of(factory, settings))
            return result
    finally:
        await engine.dispose()


def _grant_text(role: str, facility: str | None) -> str:
    return role if facility is None else f"{role}:{facility}"


@staff.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per account (scripts).")
def staff_list(as_json: bool) -> None:
    """List every staff account: e-mail, name, active or disabled, and its roles (ROLE:FACILITY
    with the facility's slug, as `staff create --role` takes them)."""
    import json

    import sqlalchemy as sa

    from visits.accounts.service.staff import list_staff
    from visits.db.models import Facility, StaffMember

    settings = _settings()
    _upgrade(settings)

    async def read(session: AsyncSession) -> list[dict[str, Any]]:
        found = await session.execute(sa.select(Facility.id, Facility.slug))
        slugs = {facility_id: slug for facility_id, slug in found}
        rows: list[StaffMember] = []
        accounts: list[dict[str, Any]] = []
        total = 1
        while len(rows) < total:
            page, total = await list_staff(session, limit=500, offset=len(rows))
            if not page:
                break
            rows += page
        for member in rows:
            grants = sorted(
                _grant_text(g.role.value, slugs.get(g.facility_id) if g.facility_id else None)
                for g in member.grants
            )
            accounts.append(
                {
                    "id": str(member.id),
                    "email": member.email,
                    "name": member.name,
                    "active": member.is_active,
                    "roles": grants,
                    "last_sign_in_at": member.last_sign_in_at.isoformat()
                    if member.last_sign_in_at
                    else None,
                }
            )
        return accounts

    accounts = asyncio.run(_in_session(settings, read))
    if as_json:
        for account in accounts:
            click.echo(json.dumps(account, ensure_ascii=False))
        return
    if not accounts:
        click.echo("no staff accounts")
        return
    for account in accounts:
        state = "active" if account["active"] else "disabled"
        roles = ", ".join(account["roles"]) or "-"
        click.echo(f"{account['email']}\t{account['name']}\t{state}\t{roles}")


@staff.command("disable")
@click.option("--email", required=True, help="The account's sign-in e-mail address.")
@click.option("--reason", default=None, help="Why (kept in the audit trail).")
def staff_disable(email: str, reason: str | None) -> None:
    """Disable a staff account: it can no longer sign in, and its sessions and tokens end at
    once. Audited."""
    import sqlalchemy as sa

    from visits.accounts.schemas import StaffUpdateIn
    from visits.accounts.service.sign_in import email_address
    from visits.accounts.service.staff import update_staff
    from visits.audit import Actor
    from visits.db.models import StaffMember
    from visits.errors import DomainError
    from visits.validation import parse_body

    settings = _settings()
    _upgrade(settings)
    try:
        address = email_address(email).lower()
    except ValueError:
        click.echo(f"visits: {email!r} is not an e-mail address", err=True)
        sys.exit(2)
    raw: dict[str, Any] = {"is_active": False} | ({"reason": reason} if reason else {})

    async def disable(session: AsyncSession) -> str:
        body = parse_body(StaffUpdateIn, raw)
        member = await session.scalar(sa.select(StaffMember).where(StaffMember.email == address))
        if member is None:
            return "missing"
        if not member.is_active:
            return "already"
        await update_staff(session, member.id, body, Actor.system())
        return "disabled"

    try:
        outcome = asyncio.run(_in_session(settings, disable))
    except DomainError as exc:
        _refuse("cannot disable the account", exc)
    if outcome == "missing":
        click.echo(f"visits: there is no staff account {address}", err=True)
        sys.exit(2)
    if outcome == "already":
        click.echo(f"staff account {address} was disabled already")
        return
    click.echo(f"staff account {address} disabled; its sessions and tokens are revoked")


@main.group()
def facility() -> None:
    """Facilities."""


@facility.command("create")
@click.option("--slug", required=True, help="Short name in addresses: a-z, 0-9 and dashes.")
@click.option("--name", required=True, help="The facility's name, e.g. 'JVA Nord'.")
@click.option("--street", required=True)
@click.option("--postal-code", required=True)
@click.option("--city", required=True)
@click.option("--email", required=True, help="Where families write to.")
@click.option("--phone", default=None, help="The phone number for families, as printed.")
@click.option("--country", default="DE", show_default=True, help="ISO 3166-1 alpha-2.")
@click.option(
    "--timezone", default="Europe/Berlin", show_default=True, help="An IANA time zone name."
)
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="A language families are served in; repeat for several (default: every language).",
)
@click.option("--rule-profile", default=None, help="The rule profile (default: generic).")
@click.option("--min-notice-hours", type=int, default=None, help="Booking notice in hours.")
@click.option("--max-days-ahead", type=int, default=None, help="The booking window in days.")
@click.option("--request-mode", is_flag=True, help="Every booking is a request staff decide.")
def facility_create(**options: Any) -> None:
    """Create a facility, validated as the admin API validates it, and audited. Rooms, slot
    templates and staff come next (the console, or `visits staff create`)."""
    from visits.errors import DomainError
    from visits.facilities.schemas.staff import FacilityIn
    from visits.facilities.service.facilities import add_facility
    from visits.validation import parse_body

    settings = _settings()
    _upgrade(settings)
    raw = {
        key: value
        for key, value in options.items()
        if value is not None and value != () and key != "request_mode"
    }
    raw["request_mode"] = bool(options["request_mode"])
    if "languages" in raw:
        raw["languages"] = list(raw["languages"])

    async def create(session: AsyncSession) -> tuple[str, str]:
        from visits.audit import Actor

        made = await add_facility(session, parse_body(FacilityIn, raw), Actor.system())
        return str(made.id), made.slug

    try:
        facility_id, slug = asyncio.run(_in_session(settings, create))
    except DomainError as exc:
        _refuse("cannot create the facility", exc)
    click.echo(f"facility {slug} created ({facility_id})")


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


@main.group()
def retention() -> None:
    """Retention of families' data (the daily job that erases what is no longer needed)."""


@retention.command("run")
@click.option(
    "--dry-run", is_flag=True, help="Only list what a run now would erase; change nothing."
)
def retention_run(dry_run: bool) -> None:
    """Erase now the households the daily job erases (nothing keeps them within
    `retention_days`); with --dry-run list them instead: id, people, last contact (UTC date),
    without names. The review with names is the console's "Data retention" page."""
    from visits.db.base import utcnow
    from visits.db.engine import create_engine, create_session_factory
    from visits.logging import configure_logging
    from visits.people.retention import DueHousehold, due_households
    from visits.scheduler.retention import apply_retention

    settings = _settings()
    configure_logging(settings)
    _upgrade(settings)
    now = utcnow()
    if not dry_run:
        engine = create_engine(settings.resolved_database_url)

        async def erase() -> int:
            try:
                return await apply_retention(create_session_factory(engine), settings, now)
            finally:
                await engine.dispose()

        count = asyncio.run(erase())
        click.echo(f"{_households(count)} erased (retention_days = {settings.retention_days})")
        return

    async def read(session: AsyncSession) -> list[DueHousehold]:
        return await due_households(session, now, settings.retention_days)

    due = asyncio.run(_in_session(settings, read))
    for row in due:
        people = "1 person" if row.people == 1 else f"{row.people} people"
        click.echo(f"{row.id}\t{people}\tlast contact {row.last_activity.date()}")
    click.echo(
        f"{_households(len(due))} would be erased (retention_days = {settings.retention_days})"
    )


def _households(count: int) -> str:
    """``1 household``, ``2 households``: the command's answers read as sentences."""
    return f"{count} household" if count == 1 else f"{count} households"
