"""Real servers on a real database, for the concurrency proof and the booking benchmark.

``servers()`` starts ``visits serve`` processes on free local ports against one database;
``populate()`` writes a facility, slots and many households, each with its own prisoner (a
prisoner may have only one visit at a time), an approved adult visitor and a bearer token.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from visits.accounts.secrets import new_token, token_digest
from visits.db.base import utcnow
from visits.db.models import (
    AuthToken,
    Facility,
    Household,
    Prisoner,
    Room,
    Slot,
    Visitor,
    VisitorApproval,
)
from visits.enums import (
    ApprovalStatus,
    BookableBy,
    CustodyStatus,
    Language,
    Relationship,
    SlotStatus,
    TokenKind,
    VisitType,
)

START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=2) as response:  # noqa: S310 - http only
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} was not ready within {START_TIMEOUT_SECONDS} s")


@contextmanager
def servers(
    database_url: str,
    count: int,
    data_dir: Path,
    settings: dict[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[list[str]]:
    """``count`` server processes sharing ``database_url``; yields their base URLs.

    ``settings`` are extra ``VISITS_*`` variables (e.g. to seed the demo); ``log`` keeps the
    servers' output (else it is dropped)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")}
    env |= {
        "VISITS_DATABASE_URL": database_url,
        "VISITS_SCHEDULER": "off",
        "VISITS_SEED_DEMO": "false",
        "VISITS_LOG_LEVEL": "WARNING",
        "VISITS_DATA_DIR": str(data_dir),
    }
    env |= settings or {}
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    output = log.open("ab") if log else subprocess.DEVNULL
    try:
        for _ in range(count):  # one after the other: the first applies the migrations
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "visits", "serve"],
                env=env | {"VISITS_PORT": str(port)},
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            processes.append(process)
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url, process)
            urls.append(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if not isinstance(output, int):
            output.close()


@dataclass(frozen=True)
class Booker:
    token: str
    prisoner_id: uuid.UUID
    visitor_id: uuid.UUID


@dataclass(frozen=True)
class Scenario:
    facility_id: uuid.UUID
    slot_ids: list[uuid.UUID]
    bookers: list[Booker]


async def populate(engine: AsyncEngine, *, bookers: int, slots: int, capacity: int) -> Scenario:
    """Write the scenario with bulk inserts (thousands of rows in a second or two)."""
    now = utcnow()
    facility_id, room_id = uuid.uuid4(), uuid.uuid4()
    first_day = (datetime.now(UTC) + timedelta(days=3)).date()
    slot_rows = []
    for index in range(slots):
        day = first_day + timedelta(days=index // 8)
        starts = datetime(day.year, day.month, day.day, 8 + index % 8, tzinfo=UTC)
        slot_rows.append(
            {
                "id": uuid.uuid4(),
                "facility_id": facility_id,
                "room_id": room_id,
                "visit_type": VisitType.REGULAR,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=60),
                "local_date": day,
                "capacity_tables": capacity,
                "capacity_seats": capacity * 4,
                "capacity_children": capacity * 2,
                "booked_tables": 0,
                "booked_seats": 0,
                "booked_children": 0,
                "status": SlotStatus.OPEN,
                "bookable_by": BookableBy.PUBLIC,
                "created_at": now,
                "updated_at": now,
            }
        )
    households, visitors, prisoners, approvals, tokens, result = [], [], [], [], [], []
    for index in range(bookers):
        household_id, visitor_id, prisoner_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        token = new_token("vh")
        households.append(
            {
                "id": household_id,
                "guardian_name": f"Guardian {index}",
                "email": f"bench{index}@example.org",
                "language": Language.EN,
                "sms_consent": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        visitors.append(
            {
                "id": visitor_id,
                "household_id": household_id,
                "given_name": "Adult",
                "family_name": str(index),
                "birth_date": date(1985, 1, 1),
                "relationship": Relationship.PARTNER,
                "is_guardian": True,
                "safeguarding_flags": [],
                "created_at": now,
                "updated_at": now,
            }
        )
        prisoners.append(
            {
                "id": prisoner_id,
                "facility_id": facility_id,
                "prison_number": f"B-{index:06d}",
                "given_name": "P",
                "family_name": str(index),
                "admission_date": date(2025, 1, 1),
                "custody_status": CustodyStatus.SENTENCED,
                "restrictions": [],
                "closed_visits_only": False,
                "created_at": now,
                "updated_at": now,
            }
        )
        approvals.append(
            {
                "id": uuid.uuid4(),
                "visitor_id": visitor_id,
                "prisoner_id": prisoner_id,
                "status": ApprovalStatus.APPROVED,
                "created_at": now,
                "updated_at": now,
            }
        )
        tokens.append(
            {
                "id": uuid.uuid4(),
                "kind": TokenKind.HOUSEHOLD,
                "token_hash": token_digest(token),
                "household_id": household_id,
                "scope": {},
                "created_at": now,
                "expires_at": now + timedelta(days=1),
            }
        )
        result.append(Booker(token, prisoner_id, visitor_id))
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(Facility),
            [
                {
                    "id": facility_id,
                    "slug": f"bench-{facility_id.hex[:8]}",
                    "name": "Bench",
                    "timezone": "Europe/Berlin",
                    "street": "s",
                    "postal_code": "1",
                    "city": "c",
                    "country": "DE",
                    "email": "bench@example.org",
                    "languages": ["de", "en"],
                    "min_notice_hours": 0,
                    "max_days_ahead": 60,
                    "rule_profile": "generic",
                    "rule_overrides": {},
                    "request_mode": False,
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        await connection.execute(
            sa.insert(Room),
            [
                {
                    "id": room_id,
                    "facility_id": facility_id,
                    "name": "Hall",
                    "description": "",
                    "features": [],
                    "age_bands": [],
                    "capacity_tables": capacity,
                    "capacity_seats": capacity * 4,
                    "capacity_children": capacity * 2,
                    "closed_visits": False,
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
        )
        await connection.execute(sa.insert(Slot), slot_rows)
        for table, rows in (
            (Household, households),
            (Prisoner, prisoners),
            (Visitor, visitors),
            (VisitorApproval, approvals),
            (AuthToken, tokens),
        ):
            await connection.execute(sa.insert(table), rows)
    return Scenario(facility_id, [row["id"] for row in slot_rows], result)


async def overbooked_slots(engine: AsyncEngine, facility_id: uuid.UUID) -> int:
    """Slots whose counters pass capacity, or disagree with the visits that hold them."""
    statement = sa.text(
        """
        SELECT count(*) FROM slot s
        WHERE s.facility_id = :facility AND (
            s.booked_tables > s.capacity_tables
            OR s.booked_tables <> (
                SELECT coalesce(sum(v.used_tables), 0) FROM visit v
                WHERE v.slot_id = s.id AND v.status IN ('held', 'requested', 'confirmed')
            )
        )
        """
    ).bindparams(sa.bindparam("facility", type_=sa.Uuid()))
    async with engine.connect() as connection:
        return int((await connection.execute(statement, {"facility": facility_id})).scalar_one())
