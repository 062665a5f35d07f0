"""Fuzz the whole API from its OpenAPI document with schemathesis, as a household and as staff.

Run: ``python -m tests.fuzz_api [--backend sqlite|postgresql] [--max-examples N]``.

For each database a real ``visits serve`` starts on a fresh database with the demo data; the
demo household gets a token, and an admin account signs in. schemathesis then sends generated
valid and invalid requests to every operation, once with each token, and checks that no answer
is a server error, that every status code is declared, and that every body and content type
matches the declared schema. The run fails on any finding and prints schemathesis's counts.

Two operations are left out because they end the caller's own session (sign-out revokes the
token, erasure deletes the household); their contract is covered by the accounts tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench.harness import servers
from tests.databases import POSTGRES_URL_VARIABLE, fresh_database, postgres_admin_url
from visits.accounts import tokens
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import (
    Closure,
    Facility,
    FacilityInformation,
    Household,
    Prisoner,
    Room,
    Slot,
    SlotTemplate,
    StaffMember,
    Visit,
    Visitor,
    VisitorApproval,
)
from visits.enums import TokenKind

# The schemathesis command; ``FUZZ_SCHEMATHESIS`` may name another installation. (CPython 3.11
# and 3.12 now and then fail in ``ast.parse`` deep in schemathesis's generators with "AST
# constructor recursion depth mismatch", python/cpython#106905, which is fixed in 3.13; .ci/run
# installs schemathesis for 3.13 where the machine has it.)
SCHEMATHESIS = os.environ.get(
    "FUZZ_SCHEMATHESIS", str(Path(sys.executable).with_name("schemathesis"))
)
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    )
)
LEFT_OUT = ("ApiV1AuthSignOutSignOut", "ApiV1HouseholdErase")  # sign-out, erasure
ADMIN_EMAIL = "fuzz-admin@example.org"


# Identifiers of the demo's rows, offered to schemathesis beside the random ones it generates,
# so that requests reach the handlers' logic and not only their 404s.
ID_SOURCES = {
    "facility": (Facility.id, ["path.facility_id", "query.facility_id"]),
    "room": (Room.id, ["path.room_id", "query.room_id"]),
    "slot": (Slot.id, ["body.slot_id"]),
    "prisoner": (Prisoner.id, ["query.prisoner_id", "body.prisoner_id"]),
    "visitor": (Visitor.id, ["path.visitor_id", "body.visitor_ids[*]"]),
    "visit": (Visit.id, ["path.visit_id"]),
    "approval": (VisitorApproval.id, ["path.approval_id"]),
    "template": (SlotTemplate.id, ["path.template_id"]),
    "closure": (Closure.id, ["path.closure_id"]),
    "information": (FacilityInformation.id, ["path.information_id"]),
    "staff": (StaffMember.id, ["path.staff_id"]),
}
KNOWN_ID_PROBABILITY = 0.7


async def known_ids(database_url: str) -> dict[str, list[str]]:
    """Up to 20 identifiers of each kind from the seeded database."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            return {
                name: [str(v) for v in await session.scalars(sa.select(column).limit(20))]
                for name, (column, _) in ID_SOURCES.items()
            }
    finally:
        await engine.dispose()


def config_file(ids: dict[str, list[str]], directory: Path) -> Path:
    """A schemathesis.toml offering the known identifiers for each parameter that takes one."""
    lines = []
    for name, values in ids.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for name, (_, parameters) in ID_SOURCES.items():
        if ids.get(name):
            binding = f'{{ dictionary = "{name}", probability = {KNOWN_ID_PROBABILITY} }}'
            lines += [f'"{parameter}" = {binding}' for parameter in parameters]
    path = directory / "schemathesis.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def household_token(database_url: str) -> str:
    """A sign-in token for the demo's first household (as the code step would issue)."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            household_id = await session.scalar(
                sa.select(Household.id).order_by(Household.created_at).limit(1)
            )
            token, _ = tokens.issue(
                session, TokenKind.HOUSEHOLD, household_id=household_id, lifetime=None
            )
            await session.commit()
            return token
    finally:
        await engine.dispose()


def admin_token(base_url: str, database_url: str, env: dict[str, str]) -> str:
    """Create an admin with the CLI, then sign in through the API."""
    password = secrets.token_urlsafe(16)
    subprocess.run(
        [sys.executable, "-m", "visits", "staff", "create", "--email", ADMIN_EMAIL,
         "--name", "Fuzz Admin", "--role", "admin", "--password-stdin"],
        input=password, text=True, check=True, capture_output=True, timeout=120,
        env=env | {"VISITS_DATABASE_URL": database_url},
    )  # fmt: skip
    request = urllib.request.Request(
        f"{base_url}/api/v1/auth/staff/sign-in",
        data=json.dumps({"email": ADMIN_EMAIL, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["token"])


# Each caller fuzzes the operations it may use, plus the public ones; another caller's
# operations only answer 401/403, which the authorization matrix tests already cover.
NOT_FOR = {"household": r"^/api/v1/(staff|admin)/", "staff": r"^/api/v1/household"}


def fuzz(base_url: str, token: str, who: str, options: tuple[Path, int, Path], backend: str) -> int:
    """One schemathesis run; returns its exit code (0: no finding)."""
    config, max_examples, report_dir = options
    print(f"\n== schemathesis on {backend} as {who} against {base_url}", flush=True)
    command = [
        SCHEMATHESIS, "--config-file", str(config), "run",
        f"{base_url}/schema/openapi.json",
        "--exclude-path-regex", NOT_FOR[who],
        "--checks", CHECKS,
        "--max-examples", str(max_examples),
        "--phases", "examples,coverage,fuzzing",
        "--header", f"Authorization: Bearer {token}",
        "--seed", "20261201",
        "--generation-database", "none",
        "--request-timeout", "30",
        "--workers", "2",
        "--no-color",
        "--report", "junit",
        "--report-junit-path", str(report_dir / f"schemathesis-{backend}-{who}.xml"),
    ]  # fmt: skip
    for operation_id in LEFT_OUT:
        command += ["--exclude-operation-id", operation_id]
    return subprocess.run(command, check=False, timeout=1200).returncode


def run_backend(backend: str, max_examples: int, report_dir: Path) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")}
    with tempfile.TemporaryDirectory() as scratch, fresh_database(backend, Path(scratch)) as url:
        settings = {
            "VISITS_SEED_DEMO": "true",
            "VISITS_LOG_LEVEL": "ERROR",
            "VISITS_LOG_FORMAT": "json",
        }
        log = report_dir / f"server-{backend}.log"
        log.unlink(missing_ok=True)
        with servers(url, 1, Path(scratch) / "data", settings, log) as (base_url,):
            household = asyncio.run(household_token(url))
            admin = admin_token(base_url, url, env)
            config = config_file(asyncio.run(known_ids(url)), Path(scratch))
            options = (config, max_examples, report_dir)
            failed = 0
            for who, token in (("household", household), ("staff", admin)):
                failed |= fuzz(base_url, token, who, options, backend)
        errors = [line for line in log.read_text().splitlines() if '"level": "error"' in line]
        print(f"\n== {backend}: {len(errors)} error(s) in the server log ({log})")
        for line in errors:
            print(line)
        return failed | bool(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--max-examples", type=int, default=20)
    parser.add_argument("--report-dir", type=Path, default=Path("test-artifacts"))
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    if "postgresql" in backends and postgres_admin_url() is None:
        sys.exit(f"set {POSTGRES_URL_VARIABLE} to fuzz on PostgreSQL")
    args.report_dir.mkdir(parents=True, exist_ok=True)
    failed = 0
    for backend in backends:
        failed |= run_backend(backend, args.max_examples, args.report_dir)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
