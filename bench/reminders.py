"""Reminder benchmark: 10,000 reminders due at once, drained by two `visits scheduler`
processes into the fake Twilio server.

    VISITS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.reminders [--reminders 10000] [--schedulers 2]

Prints the time to drain, duplicates (messages beyond one per reminder; must be 0) and lost
reminders (not sent; must be 0). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.harness import free_port, populate
from tests.databases import fresh_database, in_thread
from visits.db.base import utcnow
from visits.db.engine import create_engine
from visits.db.migrate import upgrade
from visits.db.models import Household, Prisoner, Reminder, Visit
from visits.enums import Channel, Language, ReminderState, VisitStatus, VisitType

PER_VISIT = 5
TIMEOUT_SECONDS = 600


def _messages(fake: str) -> int:
    with urllib.request.urlopen(f"{fake}/_fake/messages", timeout=30) as response:  # noqa: S310
        return len(json.loads(response.read()))


async def _prepare(url: str, reminders: int) -> None:
    engine = create_engine(url)
    try:
        visits = reminders // PER_VISIT
        scenario = await populate(engine, bookers=visits, slots=1, capacity=visits)
        async with engine.begin() as connection:
            households = list(
                (
                    await connection.execute(
                        sa.select(Household.id, Household.email).order_by(Household.email)
                    )
                ).all()
            )
            prisoners = list(
                (
                    await connection.execute(
                        sa.select(Prisoner.id, Prisoner.prison_number).order_by(
                            Prisoner.prison_number
                        )
                    )
                ).all()
            )
            await connection.execute(
                sa.update(Household)
                .where(Household.id == sa.bindparam("hid"))
                .values(sms_consent=True, phone_e164=sa.bindparam("phone")),
                [{"hid": hid, "phone": f"+49151{n:08d}"} for n, (hid, _) in enumerate(households)],
            )
            now, start = utcnow(), utcnow() + timedelta(days=3)
            visit_rows, reminder_rows = [], []
            for index, ((household_id, _), (prisoner_id, _)) in enumerate(
                zip(households, prisoners, strict=True)
            ):
                visit_id = uuid.uuid4()
                visit_rows.append(
                    {
                        "id": visit_id,
                        "reference": f"B{index:07d}",
                        "facility_id": scenario.facility_id,
                        "slot_id": scenario.slot_ids[0],
                        "prisoner_id": prisoner_id,
                        "household_id": household_id,
                        "visit_type": VisitType.REGULAR,
                        "status": VisitStatus.CONFIRMED,
                        "channel": Channel.ONLINE,
                        "starts_at": start,
                        "ends_at": start + timedelta(hours=1),
                        "used_tables": 1,
                        "used_seats": 1,
                        "used_children": 0,
                        "ical_uid": f"visit-{visit_id}@bench",
                        "ical_sequence": 0,
                        "rule_results": [],
                        "needs_review": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                reminder_rows += [
                    {
                        "id": uuid.uuid4(),
                        "visit_id": visit_id,
                        "offset_minutes": offset + 1,
                        "due_at": now - timedelta(minutes=1),
                        "language": Language.DE,
                        "state": ReminderState.PENDING,
                        "attempts": 0,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for offset in range(PER_VISIT)
                ]
            await connection.execute(sa.insert(Visit), visit_rows)
            for chunk in range(0, len(reminder_rows), 2000):
                await connection.execute(sa.insert(Reminder), reminder_rows[chunk : chunk + 2000])
    finally:
        await engine.dispose()


async def _count(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.select(Reminder.state, sa.func.count()).group_by(Reminder.state)
                )
            ).all()
        return {str(state): int(n) for state, n in rows}
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--schedulers", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("VISITS_TEST_POSTGRES_URL"):
        print("set VISITS_TEST_POSTGRES_URL to a PostgreSQL server (e.g. 127.0.0.1:5432)")
        return 2
    with (
        tempfile.TemporaryDirectory() as scratch,
        fresh_database("postgresql", Path(scratch)) as url,
    ):
        in_thread(upgrade, url)
        asyncio.run(_prepare(url, args.reminders))
        port = free_port()
        fake = f"http://127.0.0.1:{port}"
        processes = [
            subprocess.Popen(  # noqa: S603 - our own command
                [
                    sys.executable,
                    "-m",
                    "visits",
                    "dev",
                    "fake-twilio",
                    "--port",
                    str(port),
                    "--account-sid",
                    "ACbench",
                    "--auth-token",
                    "bench",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        ]
        time.sleep(2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VISITS_")} | {
            "VISITS_DATABASE_URL": url,
            "VISITS_SMS_SENDER": "twilio",
            "VISITS_QUIET_HOURS_START": "00:00",  # no quiet hours: the bench may run at night
            "VISITS_QUIET_HOURS_END": "00:00",
            "VISITS_TWILIO_ACCOUNT_SID": "ACbench",
            "VISITS_TWILIO_AUTH_TOKEN": "bench",
            "VISITS_TWILIO_MESSAGING_SERVICE_SID": "MGbench",
            "VISITS_TWILIO_API_BASE_URL": fake,
            "VISITS_LOG_LEVEL": "WARNING",
            "VISITS_DATA_DIR": scratch,
        }
        started = time.perf_counter()
        processes += [
            subprocess.Popen(
                [sys.executable, "-m", "visits", "scheduler"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(args.schedulers)
        ]
        try:
            while time.perf_counter() - started < TIMEOUT_SECONDS:
                states = asyncio.run(_count(url))
                if states.get("pending", 0) + states.get("sending", 0) == 0:
                    break
                time.sleep(0.5)
            drained = time.perf_counter() - started
            messages = _messages(fake)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=20)
        states = asyncio.run(_count(url))
    sent = states.get("sent", 0)
    print(
        f"{args.reminders} reminders, {args.schedulers} scheduler processes: drained in "
        f"{drained:.1f} s ({sent / drained:.0f} per second); messages {messages}; "
        f"duplicates {messages - sent}; lost {args.reminders - sent}; states {states}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
