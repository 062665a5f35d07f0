"""Booking benchmark: hold + confirm through real servers on PostgreSQL, under contention.

    VISITS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m bench.booking [--clients 32 256] [--servers 2] [--seconds 20]

For each client count it creates a fresh database, writes 20 slots and more families than the
slots can take, starts the servers, and lets every client book (hold, then confirm) for a new
family on a random slot until the time is up or the families run out. It prints confirmed
bookings per second, p50/p99 latency of a booking, refusals, server errors and the number of
overbooked slots (which must be 0). Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.harness import Booker, Scenario, overbooked_slots, populate, servers
from tests.databases import fresh_database, in_thread
from visits.db.engine import create_engine
from visits.db.migrate import upgrade

SLOTS = 20
CAPACITY = 25  # tables per slot: 500 bookings fit, so the run measures booking, not refusing


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _run_clients(
    urls: list[str], scenario: Scenario, clients: int, seconds: float
) -> tuple[int, list[float], Counter[str]]:
    queue: asyncio.Queue[Booker] = asyncio.Queue()
    for booker in scenario.bookers:
        queue.put_nowait(booker)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def client(number: int) -> None:
            base = urls[number % len(urls)]
            while time.monotonic() < deadline and not queue.empty():
                booker = queue.get_nowait()
                headers = {"Authorization": f"Bearer {booker.token}"}
                started = time.perf_counter()
                held = await http.post(
                    f"{base}/api/v1/household/holds",
                    headers=headers,
                    json={
                        "prisoner_id": str(booker.prisoner_id),
                        "slot_id": str(random.choice(scenario.slot_ids)),  # noqa: S311 - load, not security
                        "visitor_ids": [str(booker.visitor_id)],
                    },
                )
                if held.status_code != 201:
                    outcomes[f"hold {held.status_code}"] += 1
                    continue
                confirmed = await http.post(
                    f"{base}/api/v1/household/visits/{held.json()['id']}/confirm", headers=headers
                )
                outcomes[f"confirm {confirmed.status_code}"] += 1
                if confirmed.status_code == 200:
                    latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        elapsed = time.perf_counter() - began
    return round(elapsed * 1000), latencies, outcomes


async def _measure(url: str, clients: int, server_count: int, seconds: float, data: Path) -> str:
    engine = create_engine(url)
    try:
        scenario = await populate(
            engine, bookers=max(600, clients * 8), slots=SLOTS, capacity=CAPACITY
        )
        with servers(url, server_count, data) as urls:
            elapsed_ms, latencies, outcomes = await _run_clients(urls, scenario, clients, seconds)
        overbooked = await overbooked_slots(engine, scenario.facility_id)
    finally:
        await engine.dispose()
    confirmed = len(latencies)
    errors = sum(n for kind, n in outcomes.items() if kind.split()[1].startswith("5"))
    return (
        f"{clients:>4} clients  {confirmed:>4} confirmed in {elapsed_ms / 1000:5.1f} s  "
        f"{confirmed / (elapsed_ms / 1000):7.1f} bookings/s  "
        f"p50 {statistics.median(latencies) * 1000 if latencies else 0:6.1f} ms  "
        f"p99 {_percentile(latencies, 0.99) * 1000:6.1f} ms  "
        f"5xx {errors}  overbooked slots {overbooked}  ({dict(sorted(outcomes.items()))})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not os.environ.get("VISITS_TEST_POSTGRES_URL"):
        print("set VISITS_TEST_POSTGRES_URL to a PostgreSQL server (e.g. 127.0.0.1:5432)")
        return 2
    print(
        f"visits booking benchmark: {SLOTS} slots x {CAPACITY} tables, "
        f"{args.servers} server processes, up to {args.seconds:.0f} s per run"
    )
    for clients in args.clients:
        with (
            tempfile.TemporaryDirectory() as scratch,
            fresh_database("postgresql", Path(scratch)) as url,
        ):
            in_thread(upgrade, url)
            print(
                asyncio.run(_measure(url, clients, args.servers, args.seconds, Path(scratch))),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
