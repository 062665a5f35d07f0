"""Scheduled work. Each job is safe to run twice at once: it only inserts what is missing.

A job is its own transaction boundary (``boundary.commit``): it commits, then delivers what the
committed work registered to happen after it (notices, invites).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.accounts import rate_limit
from visits.booking import service as booking
from visits.db import transaction
from visits.db.base import utcnow
from visits.db.models import Facility, SignInChallenge
from visits.facilities.slot_generation import generate_slots
from visits.notify import dispatch, notice_dispatch
from visits.notify.channels import notifier_for
from visits.notify.sms import sender_for
from visits.people.alerts import facility_alerts
from visits.scheduler import boundary
from visits.settings import Settings

log = structlog.get_logger(__name__)


async def extend_slot_horizon(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Generate every facility's slots from today to ``slot_horizon_days`` ahead (local dates),
    one transaction per facility."""
    created = 0
    context = boundary.OutsideRequest.of(session_factory, settings)
    async with session_factory() as session:
        facilities = (await session.scalars(sa.select(Facility).where(Facility.is_active))).all()
        for facility in facilities:
            today = datetime.now(UTC).astimezone(ZoneInfo(facility.timezone)).date()
            try:
                count = await generate_slots(
                    session, facility, today, today + timedelta(days=settings.slot_horizon_days - 1)
                )
                await boundary.commit(session, context)
            except Exception:
                await transaction.rollback(session)
                log.exception("slot_horizon_failed", facility_id=str(facility.id))
                continue
            created += count
            if count:
                log.info("slots_generated", facility_id=str(facility.id), count=count)
    return created


async def prune_sign_in_records(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Forget rate-limit counters and sign-in challenges that are a day past their use."""
    cutoff = utcnow() - timedelta(days=1)
    async with session_factory() as session:
        counters = await rate_limit.prune(session)
        challenges = await session.execute(
            sa.delete(SignInChallenge).where(SignInChallenge.expires_at < cutoff)
        )
        await boundary.commit(session, boundary.OutsideRequest.of(session_factory, settings))
    removed = counters + int(challenges.rowcount or 0)  # type: ignore[attr-defined]
    if removed:
        log.info("sign_in_records_pruned", count=removed)
    return removed


async def expire_holds(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Release capacity of holds that were never confirmed."""
    async with session_factory() as session:
        count = await booking.expire_holds(session)
        await boundary.commit(session, boundary.OutsideRequest.of(session_factory, settings))
    if count:
        log.info("holds_expired", count=count)
    return count


async def reject_stale_requests(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Reject requests nobody decided before the cut-off; the families are told (the booking
    service registers each notice and cancelled invite, delivered once committed)."""
    async with session_factory() as session:
        rejected = await booking.reject_stale_requests(session, settings.request_cutoff_hours)
        await boundary.commit(session, boundary.OutsideRequest.of(session_factory, settings))
    if rejected:
        log.info("stale_requests_rejected", count=len(rejected))
    return len(rejected)


async def log_child_contact_alerts(session_factory: async_sessionmaker[AsyncSession]) -> int:
    """Count each facility's open alerts (CF-09, CF-14, CF-15, CF-23) into the log, so that
    monitoring sees them; the details stay in the staff API (no children's data in logs)."""
    total = 0
    async with session_factory() as session:
        facilities = (await session.scalars(sa.select(Facility).where(Facility.is_active))).all()
        for facility in facilities:
            found = await facility_alerts(session, facility, "en")  # counted only
            if found:
                by_rule: dict[str, int] = {}
                for alert in found:
                    by_rule[alert.rule_id] = by_rule.get(alert.rule_id, 0) + 1
                log.warning("open_alerts", facility_id=str(facility.id), **by_rule)
            total += len(found)
    return total


async def dispatch_notices(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Send the notices still due: those whose immediate send after their commit failed (retried
    with back-off) or never ran (the process stopped first). Rows are claimed, so any number of
    schedulers may run it."""
    report = await notice_dispatch.dispatch_notices(session_factory, notifier_for(settings))
    if report.claimed:
        log.info(
            "notices_dispatched",
            sent=report.sent,
            retried=report.retried,
            failed=report.failed,
            undeliverable=report.undeliverable,
            lost=report.lost,
        )
    return report.sent


async def dispatch_reminders(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> int:
    """Send the reminders that are due (safe with any number of schedulers: rows are claimed);
    with ``sms_sender=off`` none are planned, so none are due."""
    if settings.sms_sender == "off":
        return 0
    report = await dispatch.dispatch_due(session_factory, sender_for(settings), settings)
    if report.claimed:
        log.info(
            "reminders_dispatched",
            sent=report.sent,
            reconciled=report.reconciled,
            retried=report.retried,
            failed=report.failed,
            cancelled=report.cancelled,
            deferred=report.deferred,
            lost=report.lost,
            errors=len(report.errors),
        )
    return report.sent
