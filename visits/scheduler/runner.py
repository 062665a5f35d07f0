"""APScheduler 3 wiring, used inside ``visits serve`` or as its own ``visits scheduler`` process.

One scheduler per process: web servers with several workers must set ``scheduler=external`` and
run one ``visits scheduler`` process. Jobs run once at start to catch up on work missed while down.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.db.engine import create_engine, create_session_factory
from visits.people.retention import RUN_AT as RETENTION_RUN_AT
from visits.scheduler.jobs import (
    dispatch_notices,
    dispatch_reminders,
    expire_holds,
    extend_slot_horizon,
    log_child_contact_alerts,
    prune_sign_in_records,
    reject_stale_requests,
)
from visits.scheduler.retention import apply_retention
from visits.settings import Settings

log = structlog.get_logger(__name__)

JOB_DEFAULTS = {
    "coalesce": True,  # many missed runs become one
    "max_instances": 1,
    "misfire_grace_time": 3600,  # a late run still runs (the default drops it after 1 s)
}
SLOT_HORIZON_INTERVAL_HOURS = 6
PRUNE_INTERVAL_HOURS = 6
DISPATCH_INTERVAL_SECONDS = 30
NOTICE_INTERVAL_SECONDS = 15  # retries; a notice is first sent right after its commit
# How long a stop waits for running jobs before cancelling them (below Docker's 10 s stop timeout).
STOP_GRACE_SECONDS = 8.0


class _DrainingExecutor(AsyncIOExecutor):  # type: ignore[misc]
    """APScheduler's asyncio executor, except that its shutdown leaves running jobs alone.

    The stock shutdown cancels them mid-transaction: each logs a CancelledError traceback, and a
    job cut short while the engine is disposed can hang the process's exit. ``drain`` waits.
    """

    def shutdown(self, wait: bool = True) -> None:
        """Nothing to cancel: ``JobScheduler.stop`` drained the jobs before shutting down."""

    async def drain(self, grace_seconds: float) -> None:
        """Wait for running jobs; cancel those that outlast the grace period, and let them end."""
        # The base class keeps the tasks of submitted, unfinished jobs in _pending_futures.
        running = {future for future in self._pending_futures if not future.done()}
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace_seconds)
        if late:
            log.warning("scheduler_jobs_cancelled", count=len(late), grace_seconds=grace_seconds)
            for future in late:
                future.cancel()
            await asyncio.wait(late, timeout=grace_seconds)


class JobScheduler(AsyncIOScheduler):  # type: ignore[misc]
    """An ``AsyncIOScheduler`` whose ``stop`` lets running jobs finish before it shuts down."""

    def __init__(self, **options: Any) -> None:
        self._executor = _DrainingExecutor()
        super().__init__(executors={"default": self._executor}, **options)

    async def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Start no further runs, wait for the running ones, then shut down.

        Dispose the engine only after this returns: the jobs use it until then.
        """
        if not self.running:
            return
        self.pause()
        await self._executor.drain(grace_seconds)
        self.shutdown(wait=False)


def build_scheduler(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> JobScheduler:
    scheduler = JobScheduler(job_defaults=JOB_DEFAULTS, timezone=UTC)
    scheduler.add_job(
        extend_slot_horizon,
        "interval",
        hours=SLOT_HORIZON_INTERVAL_HOURS,
        args=[session_factory, settings],
        id="extend_slot_horizon",
        next_run_time=datetime.now(UTC),  # catch up at start
        replace_existing=True,
    )
    scheduler.add_job(
        prune_sign_in_records,
        "interval",
        hours=PRUNE_INTERVAL_HOURS,
        args=[session_factory, settings],
        id="prune_sign_in_records",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    scheduler.add_job(
        expire_holds,
        "interval",
        minutes=1,
        args=[session_factory, settings],
        id="expire_holds",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    scheduler.add_job(
        reject_stale_requests,
        "interval",
        minutes=15,
        args=[session_factory, settings],
        id="reject_stale_requests",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    scheduler.add_job(
        dispatch_notices,
        "interval",
        seconds=NOTICE_INTERVAL_SECONDS,
        args=[session_factory, settings],
        id="dispatch_notices",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    scheduler.add_job(
        dispatch_reminders,
        "interval",
        seconds=DISPATCH_INTERVAL_SECONDS,
        args=[session_factory, settings],
        id="dispatch_reminders",
        next_run_time=datetime.now(UTC),
        replace_existing=True,
    )
    scheduler.add_job(
        log_child_contact_alerts,
        "cron",
        hour=6,
        args=[session_factory],
        id="child_contact_alerts",
        replace_existing=True,
    )
    scheduler.add_job(
        apply_retention,
        "cron",
        hour=RETENTION_RUN_AT.hour,
        minute=RETENTION_RUN_AT.minute,
        args=[session_factory, settings],
        id="apply_retention",
        replace_existing=True,
    )
    return scheduler


async def run_scheduler_process(settings: Settings) -> None:
    """Run the scheduler until SIGINT or SIGTERM."""
    engine = create_engine(settings.resolved_database_url, echo=settings.db_echo)
    scheduler = build_scheduler(create_session_factory(engine), settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    scheduler.start()
    log.info("scheduler_started", jobs=[job.id for job in scheduler.get_jobs()])
    try:
        await stop.wait()
    finally:
        await scheduler.stop()
        await engine.dispose()
        log.info("scheduler_stopped")
