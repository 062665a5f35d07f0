"""Sending due reminders exactly once, whatever number of dispatchers run.

A dispatcher first *claims* rows (``state='sending'`` with a lease) in a short transaction of
its own, then calls the SMS provider, then records the outcome only if it still holds the lease.
Claims are conditional updates (and ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two
dispatchers never claim the same row. A dispatcher that dies mid-batch leaves its rows
``sending``; when their lease runs out another dispatcher claims them again, so nothing is lost.
(A message the provider accepted just before the crash may then be sent a second time: the
provider offers no idempotency key. That window is one message per concurrent send.)
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.booking.facts import facility_profile
from visits.db.base import utcnow
from visits.db.models import Facility, Household, Reminder, Visit, VisitParty
from visits.enums import ReminderState, VisitStatus
from visits.notify import reminders
from visits.notify.sms import OPTED_OUT, PermanentFailure, SmsSender, TemporaryFailure, masked
from visits.settings import Settings

log = structlog.get_logger(__name__)

LEASE = timedelta(seconds=120)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_LONGEST = timedelta(hours=1)
BATCH = 100
PARALLEL_SENDS = 10


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour."""
    delay: timedelta = BACKOFF_FIRST * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_LONGEST)


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    claimed: int = 0
    errors: list[str] = field(default_factory=list)


async def claim(
    session: AsyncSession, limit: int, lease: timedelta = LEASE
) -> tuple[list[uuid.UUID], datetime]:
    """Claim up to ``limit`` due rows (or rows whose lease ran out); commits the claim."""
    now = utcnow()
    due = sa.or_(
        sa.and_(
            Reminder.state == ReminderState.PENDING,
            Reminder.due_at <= now,
            sa.or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
        ),
        sa.and_(Reminder.state == ReminderState.SENDING, Reminder.lease_until < now),
    )
    candidates = sa.select(Reminder.id).where(due).order_by(Reminder.due_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(await session.scalars(candidates))
    if not ids:
        await session.commit()
        return [], now
    lease_until = now + lease
    claimed = list(
        await session.scalars(
            sa.update(Reminder)
            .where(Reminder.id.in_(ids), due)
            .values(
                state=ReminderState.SENDING, lease_until=lease_until, attempts=Reminder.attempts + 1
            )
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
    )
    await session.commit()
    return claimed, lease_until


def _finish(reminder_id: uuid.UUID, lease_until: datetime) -> sa.Update:
    """An update that only lands while this dispatcher still holds the row."""
    return (
        sa.update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.state == ReminderState.SENDING,
            Reminder.lease_until == lease_until,
        )
        .execution_options(synchronize_session=False)
    )


_TEXT = {
    "de": "Erinnerung: Besuch in der {facility} am {day} um {time} Uhr. Bitte 30 Min. vorher "
    "da sein. {ids}{consent}Ref. {reference}",
    "en": "Reminder: your visit at {facility} on {day} at {time}. Please arrive 30 min early. "
    "{ids}{consent}Ref. {reference}",
}
_IDS = {
    "de": (
        "Ausweise für alle mitbringen, auch für die Kinder. ",
        "Ausweise für alle ab {age} Jahren mitbringen. ",
    ),
    "en": ("Bring ID for everyone, children too. ", "Bring ID for everyone aged {age} or over. "),
}
_CONSENT = {
    "de": "Einverständniserklärung nicht vergessen. ",
    "en": "Bring the signed consent form. ",
}


def reminder_text(
    language: str,
    facility: Facility,
    visit: Visit,
    has_children: bool,
    id_exempt_under: int,
    consent_needed: bool,
) -> str:
    """Short (one or two segments), in the family's language, with what the children need;
    no names, nothing about the prisoner, and no request to text a keyword."""
    local = visit.starts_at.astimezone(ZoneInfo(facility.timezone))
    everyone, from_age = _IDS[language]
    ids = (
        (everyone if id_exempt_under == 0 else from_age.format(age=id_exempt_under))
        if has_children
        else ""
    )
    return _TEXT[language].format(
        facility=facility.name,
        day=local.strftime("%d.%m."),
        time=local.strftime("%H:%M"),
        ids=ids,
        consent=_CONSENT[language] if consent_needed else "",
        reference=visit.reference,
    )


async def _send_one(
    factory: async_sessionmaker[AsyncSession],
    sender: SmsSender,
    reminder_id: uuid.UUID,
    lease_until: datetime,
    settings: Settings,
    report: Report,
) -> None:
    async with factory() as session:
        row = (
            await session.execute(
                sa.select(Reminder, Visit, Household, Facility)
                .join(Visit, Visit.id == Reminder.visit_id)
                .join(Household, Household.id == Visit.household_id, isouter=True)
                .join(Facility, Facility.id == Visit.facility_id)
                .where(Reminder.id == reminder_id)
            )
        ).first()
        if row is None:
            return
        reminder, visit, household, facility = row
        if (
            visit.status is not VisitStatus.CONFIRMED
            or visit.starts_at <= utcnow()
            or household is None
            or not household.phone_e164
            or household.sms_opted_out_at is not None
            or not household.sms_consent
        ):
            await session.execute(
                _finish(reminder_id, lease_until).values(
                    state=ReminderState.CANCELLED, lease_until=None
                )
            )
            await session.commit()
            report.cancelled += 1
            return
        children = await session.scalar(
            sa.select(sa.func.count())
            .select_from(VisitParty)
            .where(VisitParty.visit_id == visit.id, VisitParty.is_child)
        )
        consent = any(
            r.get("rule_id") == "CF-02" and not r.get("passed", True) for r in visit.rule_results
        )
        profile = facility_profile(facility)
        text = reminder_text(
            reminder.language.value,
            facility,
            visit,
            bool(children),
            profile.id_exempt_under_age,
            consent,
        )
        phone, attempts = household.phone_e164, reminder.attempts
        await session.commit()  # no transaction stays open while the provider is called

        try:
            sent = await sender.send(phone, text)
        except TemporaryFailure as exc:
            final = attempts >= settings.reminder_max_attempts
            await session.execute(
                _finish(reminder_id, lease_until).values(
                    state=ReminderState.FAILED if final else ReminderState.PENDING,
                    next_attempt_at=None if final else utcnow() + backoff(attempts),
                    lease_until=None,
                    last_error=str(exc),
                )
            )
            await session.commit()
            if final:
                report.failed += 1
                log.error("reminder_failed", reminder_id=str(reminder_id), attempts=attempts)
            else:
                report.retried += 1
            return
        except PermanentFailure as exc:
            await session.execute(
                _finish(reminder_id, lease_until).values(
                    state=ReminderState.UNDELIVERABLE, lease_until=None, last_error=str(exc)
                )
            )
            if exc.code == OPTED_OUT:
                await session.execute(
                    sa.update(Household)
                    .where(Household.id == household.id)
                    .values(sms_opted_out_at=utcnow())
                )
                await reminders.cancel_for_phone(session, phone)
            await session.commit()
            report.failed += 1
            log.warning(
                "reminder_undeliverable",
                reminder_id=str(reminder_id),
                code=exc.code,
                to=masked(phone),
            )
            return
        result = await session.execute(
            _finish(reminder_id, lease_until).values(
                state=ReminderState.SENT,
                provider_message_id=sent.provider_id,
                provider_status=sent.status,
                sent_at=utcnow(),
                lease_until=None,
                last_error=None,
            )
        )
        await session.commit()
        if int(result.rowcount or 0):  # type: ignore[attr-defined]
            report.sent += 1
        else:
            log.warning("reminder_lease_lost", reminder_id=str(reminder_id))


async def dispatch_due(
    factory: async_sessionmaker[AsyncSession],
    sender: SmsSender,
    settings: Settings,
    *,
    batch: int = BATCH,
    max_batches: int = 1000,
    lease: timedelta = LEASE,
) -> Report:
    """Send every due reminder, batch by batch, a few at a time."""
    report = Report()
    gate = asyncio.Semaphore(PARALLEL_SENDS)

    async def guarded(reminder_id: uuid.UUID, lease_until: datetime) -> None:
        async with gate:
            try:
                await _send_one(factory, sender, reminder_id, lease_until, settings, report)
            except Exception as exc:  # one bad row must not stop the others
                log.exception("reminder_dispatch_error", reminder_id=str(reminder_id))
                report.errors.append(type(exc).__name__)

    for _ in range(max_batches):
        async with factory() as session:
            ids, lease_until = await claim(session, batch, lease)
        if not ids:
            break
        report.claimed += len(ids)
        await asyncio.gather(*(guarded(i, lease_until) for i in ids))
    return report
