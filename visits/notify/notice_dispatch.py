"""Sending the notice outbox: claim, send, record — exactly once across dispatchers.

Rows are claimed with a lease (a conditional update; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL),
so two schedulers, or a scheduler and the immediate send after a commit, never take the same
row. The outcome is recorded only while the lease is still held. No transaction stays open while
a provider is called. A failure that may pass (a mail server or Twilio down, a timeout) is
retried with the reminders' back-off (30 s, doubling, at most an hour) until ``MAX_ATTEMPTS``;
an undeliverable message (no channel, a refused address) is recorded and not retried. A
dispatcher that dies after the provider accepted a message but before the outcome is recorded
sends it again once the lease has run out (SMTP and Twilio have no idempotency key); that window
is one send long.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.db.base import utcnow
from visits.db.models import Household, Notice
from visits.db.transaction import EffectContext
from visits.enums import ReminderState
from visits.notify import leases
from visits.notify.channels import NotificationChannel, Undeliverable
from visits.notify.dispatch import backoff
from visits.notify.notice_texts import render

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=2)
BATCH = 50
MAX_ATTEMPTS = 6
PARALLEL_SENDS = 4


@dataclass
class NoticeReport:
    """What one run did; ``lost``: rows another dispatcher took after this one's lease ran out."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    undeliverable: int = 0
    lost: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SendNotices:
    """An after-commit effect: send these notices now (the scheduler retries what fails)."""

    notice_ids: tuple[uuid.UUID, ...]

    async def deliver(self, context: EffectContext) -> None:
        await dispatch_notices(context.session_factory, context.notifier, ids=self.notice_ids)


async def claim(
    session: AsyncSession,
    limit: int,
    lease: timedelta = LEASE,
    ids: Sequence[uuid.UUID] | None = None,
) -> tuple[list[uuid.UUID], datetime]:
    """Claim up to ``limit`` due notices (of ``ids`` only, if given), or notices whose lease
    ran out; commits the claim."""
    now = utcnow()
    lease_until = now + lease
    due = leases.due_rows(Notice, now)
    claimed = await leases.claim_rows(
        session, Notice, due, Notice.created_at, limit, lease_until, ids
    )
    return claimed, (lease_until if claimed else now)


def _held(notice_id: uuid.UUID, lease_until: datetime) -> sa.Update:
    """An update that only lands while this dispatcher still holds the notice."""
    return leases.held(Notice, notice_id, lease_until)


async def _record(
    factory: async_sessionmaker[AsyncSession], update: sa.Update, report: NoticeReport
) -> bool:
    async with factory() as session:
        landed = (await session.execute(update.returning(Notice.id))).first() is not None
        await session.commit()
    if not landed:
        report.lost += 1
    return landed


async def _send_one(
    factory: async_sessionmaker[AsyncSession],
    notifier: NotificationChannel,
    notice_id: uuid.UUID,
    lease_until: datetime,
    report: NoticeReport,
) -> None:
    async with factory() as session:
        row = (
            await session.execute(
                sa.select(Notice, Household.erased_at)
                .join(Household, Household.id == Notice.household_id)
                .where(Notice.id == notice_id)
            )
        ).first()
        await session.commit()  # no transaction stays open while the provider is called
    if row is None:
        return
    notice, erased_at = row
    attempts = notice.attempts + 1
    if erased_at is not None:
        cancelled = _held(notice_id, lease_until).values(
            state=ReminderState.CANCELLED, lease_until=None, params={}, last_error="erased"
        )
        await _record(factory, cancelled, report)
        return
    try:
        provider_id = await notifier.send(render(notice))
    except Undeliverable as exc:
        report.undeliverable += 1
        log.warning("notice_undeliverable", notice_id=str(notice_id), kind=notice.kind.value)
        given_up = _held(notice_id, lease_until).values(
            state=ReminderState.UNDELIVERABLE,
            attempts=attempts,
            lease_until=None,
            params={},
            last_error=str(exc)[:500],
        )
        await _record(factory, given_up, report)
        return
    except Exception as exc:
        final = attempts >= MAX_ATTEMPTS
        report.failed += final
        report.retried += not final
        log.warning(
            "notice_send_failed",
            notice_id=str(notice_id),
            kind=notice.kind.value,
            attempts=attempts,
            final=final,
            error=type(exc).__name__,
        )
        failed = _held(notice_id, lease_until).values(
            state=ReminderState.FAILED if final else ReminderState.PENDING,
            attempts=attempts,
            lease_until=None,
            next_attempt_at=None if final else utcnow() + backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        await _record(factory, failed, report)
        return
    sent = _held(notice_id, lease_until).values(
        state=ReminderState.SENT,
        attempts=attempts,
        lease_until=None,
        sent_at=utcnow(),
        provider_message_id=provider_id,
        params={},  # a sign-in code does not outlive its message
        last_error=None,
    )
    if await _record(factory, sent, report):
        report.sent += 1


async def dispatch_notices(
    factory: async_sessionmaker[AsyncSession],
    notifier: NotificationChannel,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    batch: int = BATCH,
    max_batches: int = 100,
    lease: timedelta = LEASE,
) -> NoticeReport:
    """Send the due notices (only ``ids``, if given: the immediate send after a commit)."""
    report = NoticeReport()
    gate = asyncio.Semaphore(PARALLEL_SENDS)

    async def guarded(notice_id: uuid.UUID, lease_until: datetime) -> None:
        async with gate:
            try:
                await _send_one(factory, notifier, notice_id, lease_until, report)
            except Exception as exc:  # one bad row must not stop the others
                log.exception("notice_dispatch_error", notice_id=str(notice_id))
                report.errors.append(type(exc).__name__)

    for _ in range(max_batches):
        async with factory() as session:
            claimed, lease_until = await claim(session, batch, lease, ids)
        if not claimed:
            break
        report.claimed += len(claimed)
        await asyncio.gather(*(guarded(i, lease_until) for i in claimed))
        if ids is not None:
            break
    return report
