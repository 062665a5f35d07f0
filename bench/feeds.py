"""Feed benchmark: rendering a facility feed of 5,000 visits, and 304 revalidations per second
against real servers.

    VISITS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.feeds [--visits 5000] [--clients 32] [--servers 1] [--seconds 10]

It creates a fresh database (PostgreSQL when ``VISITS_TEST_POSTGRES_URL`` is set, else a SQLite
file), writes a facility with ``--visits`` upcoming visits of two people each and a member of
staff with a feed token, then prints: the time to answer with the feed in this process (version
query and rendering; cold, with an empty event cache, and with every event cached), the time of
the first full ``200`` through a fresh server, and the ``304 Not Modified`` answers per second
(with p50/p99 latency) that ``--clients`` concurrent calendar apps get when they revalidate with
``If-None-Match``. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.harness import servers
from tests.databases import fresh_database, in_thread
from visits.accounts.secrets import new_token, token_digest
from visits.calendar.feeds import FeedScope, feed_version, render_feed
from visits.calendar.ics import EVENT_CACHE
from visits.db.base import utcnow
from visits.db.engine import create_engine, create_session_factory
from visits.db.migrate import upgrade
from visits.db.models import (
    AuthToken,
    Facility,
    Household,
    Prisoner,
    Room,
    Slot,
    StaffGrant,
    StaffMember,
    Visit,
    VisitParty,
)
from visits.enums import (
    BookableBy,
    Channel,
    CustodyStatus,
    Language,
    SlotStatus,
    StaffRole,
    TokenKind,
    VisitStatus,
    VisitType,
)

PER_SLOT = 20  # visits per slot, each with its own prisoner (no prisoner has two at once)
HOUSEHOLD_VISITS = 4


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@dataclass(frozen=True)
class Feeds:
    scope: FeedScope  # the facility's
    facility_token: str
    household_token: str


async def populate(engine: AsyncEngine, visits: int) -> Feeds:
    """Bulk-insert the facility, its slots and visits, a staff feed token for the facility and a
    household (with the first ``HOUSEHOLD_VISITS`` visits) with its own feed token."""
    now = utcnow()
    facility_id, room_id, household_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    staff_id, token, household_token = uuid.uuid4(), new_token("vf"), new_token("vf")
    stamps = {"created_at": now, "updated_at": now}
    prisoners = [
        {
            "id": uuid.uuid4(),
            "facility_id": facility_id,
            "prison_number": f"F-{index:04d}",
            "given_name": "P",
            "family_name": str(index),
            "admission_date": date(2025, 1, 1),
            "custody_status": CustodyStatus.SENTENCED,
            "restrictions": [],
            "closed_visits_only": False,
            **stamps,
        }
        for index in range(PER_SLOT)
    ]
    first = datetime.combine(now.date() + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    slots: list[dict[str, Any]] = []
    visit_rows: list[dict[str, Any]] = []
    party: list[dict[str, Any]] = []
    for index in range(-(-visits // PER_SLOT)):
        starts = first + timedelta(days=index // 8, hours=8 + index % 8)
        slot_id = uuid.uuid4()
        taken = min(PER_SLOT, visits - index * PER_SLOT)
        slots.append(
            {
                "id": slot_id,
                "facility_id": facility_id,
                "room_id": room_id,
                "visit_type": VisitType.CHILD_FAMILY,
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=50),
                "local_date": starts.date(),
                "capacity_tables": PER_SLOT,
                "capacity_seats": PER_SLOT * 2,
                "capacity_children": PER_SLOT,
                "booked_tables": taken,
                "booked_seats": taken * 2,
                "booked_children": taken,
                "status": SlotStatus.OPEN,
                "bookable_by": BookableBy.PUBLIC,
                **stamps,
            }
        )
        for number in range(taken):
            visit_id = uuid.uuid4()
            visit_rows.append(
                {
                    "id": visit_id,
                    "reference": f"B{index:05d}{number:02d}",
                    "facility_id": facility_id,
                    "slot_id": slot_id,
                    "prisoner_id": prisoners[number]["id"],
                    "household_id": household_id if len(visit_rows) < HOUSEHOLD_VISITS else None,
                    "visit_type": VisitType.CHILD_FAMILY,
                    "status": VisitStatus.CONFIRMED,
                    "channel": Channel.ONLINE,
                    "starts_at": starts,
                    "ends_at": starts + timedelta(minutes=50),
                    "used_tables": 1,
                    "used_seats": 2,
                    "used_children": 1,
                    "ical_uid": f"visit-{visit_id}@visits",
                    "ical_sequence": 0,
                    "rule_results": [],
                    "needs_review": False,
                    **stamps,
                }
            )
            party.append(
                {
                    "id": uuid.uuid4(),
                    "visit_id": visit_id,
                    "age_years": 36,
                    "is_child": False,
                    "needs_seat": True,
                }
            )
            party.append(
                {
                    "id": uuid.uuid4(),
                    "visit_id": visit_id,
                    "age_years": 7,
                    "is_child": True,
                    "needs_seat": True,
                }
            )
    async with engine.begin() as connection:
        await connection.execute(
            sa.insert(Facility),
            [
                {
                    "id": facility_id,
                    "slug": f"feeds-{facility_id.hex[:8]}",
                    "name": "JVA Benchmark",
                    "timezone": "Europe/Berlin",
                    "street": "Am Besucherweg 1",
                    "postal_code": "12345",
                    "city": "Musterstadt",
                    "country": "DE",
                    "phone": "+49 30 1234567",
                    "email": "besuch@benchmark.example",
                    "languages": ["de", "en"],
                    "min_notice_hours": 0,
                    "max_days_ahead": 365,
                    "rule_profile": "generic",
                    "rule_overrides": {},
                    "request_mode": False,
                    "is_active": True,
                    **stamps,
                }
            ],
        )
        await connection.execute(
            sa.insert(Room),
            [
                {
                    "id": room_id,
                    "facility_id": facility_id,
                    "name": "Familienzimmer",
                    "description": "",
                    "features": [],
                    "age_bands": [],
                    "capacity_tables": PER_SLOT,
                    "capacity_seats": PER_SLOT * 2,
                    "capacity_children": PER_SLOT,
                    "closed_visits": False,
                    "is_active": True,
                    **stamps,
                }
            ],
        )
        await connection.execute(
            sa.insert(Household),
            [
                {
                    "id": household_id,
                    "guardian_name": "Bench",
                    "email": "bench@example.org",
                    "language": Language.DE,
                    "sms_consent": False,
                    **stamps,
                }
            ],
        )
        await connection.execute(sa.insert(Prisoner), prisoners)
        await connection.execute(sa.insert(Slot), slots)
        await connection.execute(sa.insert(Visit), visit_rows)
        await connection.execute(sa.insert(VisitParty), party)
        await connection.execute(
            sa.insert(StaffMember),
            [
                {
                    "id": staff_id,
                    "email": "gate@benchmark.example",
                    "name": "Gate",
                    "password_hash": "-",
                    "is_active": True,
                    **stamps,
                }
            ],
        )
        await connection.execute(
            sa.insert(StaffGrant),
            [
                {
                    "id": uuid.uuid4(),
                    "staff_id": staff_id,
                    "role": StaffRole.VISITS_OFFICER,
                    "facility_id": facility_id,
                }
            ],
        )
        scope = FeedScope(kind="facility", facility_id=facility_id, language="de")
        family = FeedScope(kind="household", household_id=household_id)
        await connection.execute(
            sa.insert(AuthToken),
            [
                {
                    "id": uuid.uuid4(),
                    "kind": TokenKind.FEED,
                    "token_hash": token_digest(token),
                    "staff_id": staff_id,
                    "household_id": None,
                    "scope": scope.as_json(),
                    "created_at": now,
                },
                {
                    "id": uuid.uuid4(),
                    "kind": TokenKind.FEED,
                    "token_hash": token_digest(household_token),
                    "staff_id": None,
                    "household_id": household_id,
                    "scope": family.as_json(),
                    "created_at": now,
                },
            ],
        )
    return Feeds(scope, token, household_token)


async def _render_times(
    engine: AsyncEngine, scope: FeedScope, cold: bool, runs: int
) -> tuple[list[float], int]:
    """Version query plus rendering, as a feed request does; ``cold`` empties the event cache
    before each run (the first request after a start)."""
    factory = create_session_factory(engine)
    times, size = [], 0
    for _ in range(runs):
        if cold:
            EVENT_CACHE.clear()
        async with factory() as session:
            started = time.perf_counter()
            await feed_version(session, scope, utcnow())
            body = await render_feed(session, scope, public_url="https://visits.example.org")
            times.append(time.perf_counter() - started)
            size = len(body)
    return times, size


def _ms(times: list[float]) -> str:
    return (
        f"median {statistics.median(times) * 1000:.0f} ms "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
    )


async def _first_get(url: str) -> tuple[float, str]:
    async with httpx.AsyncClient(timeout=60) as http:
        started = time.perf_counter()
        full = await http.get(url)
        elapsed = time.perf_counter() - started
    assert full.status_code == 200, full.text
    return elapsed, full.headers["etag"]


async def _load(
    urls: list[str], path: str, headers: dict[str, str], clients: int, seconds: float
) -> str:
    """``clients`` keep-alive connections polling for ``seconds``. The load comes from aiohttp
    (installed with the Twilio client): httpx spends more CPU per request than the server does,
    and on a small machine it would measure itself."""
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def client(number: int) -> None:
            url = f"{urls[number % len(urls)]}{path}"
            while time.monotonic() < deadline:
                began = time.perf_counter()
                async with session.get(url, headers=headers) as answer:
                    await answer.read()
                latencies.append(time.perf_counter() - began)
                codes[answer.status] += 1

        began = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - began
    count = sum(codes.values())
    return (
        f"{count / elapsed:6.0f} requests/s, p50 {statistics.median(latencies) * 1000:6.1f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:6.1f} ms, answers {dict(codes)}"
    )


async def _measure(url: str, args: argparse.Namespace, data: Path) -> None:
    engine = create_engine(url)
    try:
        feeds = await populate(engine, args.visits)
        cold, size = await _render_times(engine, feeds.scope, cold=True, runs=3)
        warm, _ = await _render_times(engine, feeds.scope, cold=False, runs=5)
        print(
            f"facility feed of {args.visits} visits ({size / 1_000_000:.1f} MB), in-process: "
            f"cold {_ms(cold)}; events cached {_ms(warm)}",
            flush=True,
        )
        with servers(url, args.servers, data) as urls:
            facility = f"/feeds/{feeds.facility_token}.ics"
            household = f"/feeds/{feeds.household_token}.ics"
            first, facility_etag = await _first_get(urls[0] + facility)
            print(f"first full 200 of it through a fresh server: {first * 1000:.0f} ms", flush=True)
            _, household_etag = await _first_get(urls[0] + household)
            runs = [
                ("304, facility feed (5,000 visits)", facility, {"If-None-Match": facility_etag}),
                ("304, household feed (4 visits)  ", household, {"If-None-Match": household_etag}),
                ("200, household feed, no validator", household, {}),
            ]
            print(f"{args.clients} clients, {args.servers} server process(es):", flush=True)
            for label, path, headers in runs:
                result = await _load(urls, path, headers, args.clients, args.seconds)
                print(f"  {label}: {result}", flush=True)
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--servers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    backend = "postgresql" if os.environ.get("VISITS_TEST_POSTGRES_URL") else "sqlite"
    print(f"visits feed benchmark on {backend}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        context: AbstractContextManager[str] = fresh_database(backend, Path(scratch))
        with context as url:
            in_thread(upgrade, url)
            asyncio.run(_measure(url, args, Path(scratch)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
