"""Sending due reminders exactly once, whatever number of dispatchers run and whichever dies.

No transaction stays open while the provider is called. Per reminder:

1. *Claim* (a batch at a time): due rows become ``sending`` with a lease, by conditional updates
   (and ``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two dispatchers never claim the same row.
2. *Check and start*, just before the provider call: the row must still be ours, the visit still
   confirmed and ahead, the household still reachable, and the facility's clock outside quiet
   hours. Quiet hours move the reminder to their end if the visit is still ahead then, and
   cancel it otherwise; a cancelled or begun visit cancels it (``last_error`` says why). The
   start renews the lease, counted from that moment, and sets ``send_started_at`` in one
   conditional update: each send has a whole lease of its own however long its batch waited,
   and a cancellation either lands before it (nothing is sent) or leaves the row alone, which
   then records the provider's id (see ``reminders``).
3. *Finish*: the outcome (provider id and status, or the error) is recorded if the row is still
   ours, and ``send_started_at`` is cleared.

At most ``DB_SESSIONS`` transactions run at once, however many sends are in flight, so that a
dispatcher stays within its engine's pool instead of opening a connection per send (refused by a
server at ``max_connections``, which left claimed rows unsent until their lease ran out).

A row claimed again with ``send_started_at`` still set has an unknown outcome: its dispatcher
died during the call, or the provider did not answer. Twilio has no idempotency key, so before
sending again the dispatcher lists the provider's messages to that number since the send began
(less ``RECONCILE_MARGIN`` for clock skew) and takes one with the same body whose id no other
reminder holds; the unique provider id settles two dispatchers reconciling at once. Found: it is
recorded as sent, nothing is resent. The body identifies the message because Twilio's listing
shows no StatusCallback (a per-reminder callback URL could not be read back); the body carries
the visit's date, time and reference. Reminders of one visit due together have the same text:
they are told apart by count, not identity (a status callback may land on the sibling; to the
family both are the same text). If a sibling's reconciliation counts a message that a live
send was about to record, that row gives up its lease and is reconciled or sent again.

What stays possible: a provider that accepts a message only after that listing, i.e. a
dispatcher frozen for longer than its lease (``LEASE`` is twelve times the sender's timeout), or
a message still queued at Twilio, without a send date, when the listing runs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.db.base import utcnow
from visits.db.models import Facility, Household, Reminder, Visit, VisitParty
from visits.enums import ReminderState, VisitStatus
from visits.i18n import N_, translate
from visits.notify import leases, reminders
from visits.notify.formats import clock, day_without_year
from visits.notify.sms import (
    OPTED_OUT,
    PermanentFailure,
    Sent,
    SmsSender,
    TemporaryFailure,
    masked,
)
from visits.plain_text import plain
from visits.rules.catalogue import RuleId
from visits.settings import Settings

log = structlog.get_logger(__name__)

LEASE = timedelta(seconds=120)
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_LONGEST = timedelta(hours=1)
BATCH = 100
PARALLEL_SENDS = 10
DB_SESSIONS = 4  # with the claim's, within a default pool of 5
RECONCILE_MARGIN = timedelta(minutes=5)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … up to an hour."""
    delay: timedelta = BACKOFF_FIRST * (2 ** max(attempts - 1, 0))
    return min(delay, BACKOFF_LONGEST)


@dataclass
class Report:
    """What one run did. ``sent``: messages the provider accepted in this run; ``reconciled``:
    unknown outcomes found at the provider (recorded, not resent); ``deferred``: moved to the end
    of quiet hours; ``lost``: rows taken from this run (by a cancellation before the send
    started, or by another dispatcher after the lease ran out)."""

    sent: int = 0
    reconciled: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    deferred: int = 0
    lost: int = 0
    claimed: int = 0
    errors: list[str] = field(default_factory=list)


async def claim(
    session: AsyncSession, limit: int, lease: timedelta = LEASE
) -> tuple[list[uuid.UUID], datetime]:
    """Claim up to ``limit`` due rows (or rows whose lease ran out); commits the claim."""
    now = utcnow()
    due = leases.due_rows(Reminder, now, Reminder.due_at <= now)
    lease_until = now + lease
    claimed = await leases.claim_rows(session, Reminder, due, Reminder.due_at, limit, lease_until)
    return claimed, (lease_until if claimed else now)


def _finish(reminder_id: uuid.UUID, lease_until: datetime) -> sa.Update:
    """An update that only lands while this dispatcher still holds the row."""
    return leases.held(Reminder, reminder_id, lease_until)


class _Db:
    """The run's sessions, at most ``DB_SESSIONS`` at once, each for one short transaction.

    Sends run ``PARALLEL_SENDS`` at a time, but a dispatcher never needs more connections than
    its engine keeps in its pool: no connection is opened and dropped per send, which on a
    server near ``max_connections`` would be refused and leave claimed rows unsent.
    """

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory
        self._gate = asyncio.Semaphore(DB_SESSIONS)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._gate, self._factory() as session:
            yield session

    async def record(self, update: sa.Update) -> bool:
        """Run a ``_finish`` update and commit; whether it landed."""
        async with self.session() as session:
            result = await session.execute(update)
            await session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]


# The sentences of a reminder, joined by spaces; GSM-7 characters only in every language.
_WHEN = N_(
    "Reminder: your visit at %(facility)s on %(day)s at %(time)s. Please arrive 30 min early."
)
_IDS_EVERYONE = N_("Bring ID for everyone, children too.")
_IDS_FROM_AGE = N_("Bring ID for everyone aged %(age)s or over.")
_CONSENT = N_("Bring the signed consent form.")
_REFERENCE = N_("Ref. %(reference)s")


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
    sentences = [
        translate(
            language,
            _WHEN,
            facility=plain(facility.name),
            day=day_without_year(visit.starts_at, facility.timezone, language),
            time=clock(visit.starts_at, facility.timezone, language),
        )
    ]
    if has_children:
        sentences.append(
            translate(language, _IDS_EVERYONE)
            if id_exempt_under == 0
            else translate(language, _IDS_FROM_AGE, age=id_exempt_under)
        )
    if consent_needed:
        sentences.append(translate(language, _CONSENT))
    sentences.append(translate(language, _REFERENCE, reference=visit.reference))
    return " ".join(sentences)


def _why_not(visit: Visit, household: Household | None, now: datetime) -> str | None:
    """Why the reminder must not go out now, if it must not (kept in ``last_error``)."""
    if visit.status is not VisitStatus.CONFIRMED:
        return f"visit {visit.status.value}"
    if visit.starts_at <= now:
        return "visit has begun"
    if household is None or not household.phone_e164:
        return "no phone number"
    if household.sms_opted_out_at is not None or not household.sms_consent:
        return "household takes no SMS"
    return None


_PROVIDER_STATE = {
    "delivered": ReminderState.DELIVERED,
    "read": ReminderState.DELIVERED,
    "failed": ReminderState.UNDELIVERABLE,
    "undelivered": ReminderState.UNDELIVERABLE,
}


async def _text(session: AsyncSession, reminder: Reminder, visit: Visit, facility: Facility) -> str:
    children = await session.scalar(
        sa.select(sa.func.count())
        .select_from(VisitParty)
        .where(VisitParty.visit_id == visit.id, VisitParty.is_child)
    )
    consent = any(
        r.get("rule_id") == RuleId.CF_02 and not r.get("passed", True) for r in visit.rule_results
    )
    return reminder_text(
        reminder.language.value,
        facility,
        visit,
        bool(children),
        facility.profile().id_exempt_under_age,
        consent,
    )


async def _reconcile(
    db: _Db,
    sender: SmsSender,
    reminder: Reminder,
    lease_until: datetime,
    phone: str,
    text: str,
    report: Report,
) -> bool:
    """Settle an unknown outcome with the provider. True: settled here (the message was found
    and recorded, or the provider could not be asked: retried later with the mark kept).
    False: the provider has no such message, so it is to be sent."""
    assert reminder.send_started_at is not None
    try:
        listed = await sender.sent_since(phone, reminder.send_started_at - RECONCILE_MARGIN)
    except TemporaryFailure as exc:
        await db.record(
            _finish(reminder.id, lease_until).values(
                state=ReminderState.PENDING,
                next_attempt_at=utcnow() + backoff(reminder.attempts),
                lease_until=None,
                last_error=str(exc),
            )
        )
        report.retried += 1
        return True
    same = [m for m in listed if m.body == text]
    if not same:
        return False
    async with db.session() as session:
        held = set(
            await session.scalars(
                sa.select(Reminder.provider_message_id).where(
                    Reminder.provider_message_id.in_([m.provider_id for m in same])
                )
            )
        )
        await session.commit()
    for message in same:
        if message.provider_id in held:
            continue  # another reminder with the same text to the same number
        try:
            landed = await db.record(
                _finish(reminder.id, lease_until).values(
                    state=_PROVIDER_STATE.get(message.status, ReminderState.SENT),
                    provider_message_id=message.provider_id,
                    provider_status=message.status,
                    sent_at=message.created_at or utcnow(),
                    lease_until=None,
                    last_error=None,
                    send_started_at=None,
                )
            )
        except IntegrityError:  # a dispatcher reconciling a sibling took it a moment ago
            continue
        if landed:
            report.reconciled += 1
            log.info("reminder_reconciled", reminder_id=str(reminder.id), to=masked(phone))
        else:
            report.lost += 1
        return True
    return False


async def _send_one(
    db: _Db,
    sender: SmsSender,
    reminder_id: uuid.UUID,
    lease_until: datetime,
    lease: timedelta,
    settings: Settings,
    report: Report,
) -> None:
    async with db.session() as session:
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
        text = await _text(session, reminder, visit, facility)
        await session.commit()  # no transaction stays open while the provider is called
    if reminder.state is not ReminderState.SENDING or reminder.lease_until != lease_until:
        report.lost += 1  # cancelled or re-planned since the claim
        return
    phone = household.phone_e164 if household is not None else None

    unknown = reminder.send_started_at is not None
    if unknown and phone:
        if await _reconcile(db, sender, reminder, lease_until, phone, text, report):
            return
        unknown = False  # the provider has no such message
    settled = {} if unknown else {"send_started_at": None}

    now = utcnow()
    reason = _why_not(visit, household, now)
    local = now.astimezone(ZoneInfo(facility.timezone))
    quiet = (settings.quiet_hours_start, settings.quiet_hours_end)
    if reason is None and reminders.in_quiet_hours(local, *quiet):
        ends = reminders.quiet_hours_end(local, *quiet).astimezone(now.tzinfo)
        if visit.starts_at > ends:
            deferred = _finish(reminder_id, lease_until).values(
                state=ReminderState.PENDING,
                next_attempt_at=ends,
                lease_until=None,
                last_error="quiet hours",
                **settled,
            )
            if await db.record(deferred):
                report.deferred += 1
            else:
                report.lost += 1
            return
        reason = "quiet hours last until the visit"
    if reason is not None:
        cancelled = _finish(reminder_id, lease_until).values(
            state=ReminderState.CANCELLED, lease_until=None, last_error=reason, **settled
        )
        if await db.record(cancelled):
            report.cancelled += 1
        else:
            report.lost += 1
        return
    assert phone is not None

    # Start: a fresh lease for this one send, counted from now, and the mark that its outcome
    # is unknown.
    async with db.session() as session:
        started = utcnow()
        renewed = started + lease
        attempts = await session.scalar(
            _finish(reminder_id, lease_until)
            .values(lease_until=renewed, send_started_at=started, attempts=Reminder.attempts + 1)
            .returning(Reminder.attempts)
        )
        await session.commit()
    if attempts is None:
        report.lost += 1  # a cancellation landed before the start
        return

    try:
        sent: Sent = await sender.send(phone, text)
    except TemporaryFailure as exc:
        final = attempts >= settings.reminder_max_attempts
        await db.record(
            _finish(reminder_id, renewed).values(
                state=ReminderState.FAILED if final else ReminderState.PENDING,
                next_attempt_at=None if final else utcnow() + backoff(attempts),
                lease_until=None,
                last_error=str(exc),
                # no answer: keep the mark, so the next attempt asks the provider first
                **({} if exc.maybe_accepted else {"send_started_at": None}),
            )
        )
        if final:
            report.failed += 1
            log.error("reminder_failed", reminder_id=str(reminder_id), attempts=attempts)
        else:
            report.retried += 1
        return
    except PermanentFailure as exc:
        async with db.session() as session:
            await session.execute(
                _finish(reminder_id, renewed).values(
                    state=ReminderState.UNDELIVERABLE,
                    lease_until=None,
                    last_error=str(exc),
                    send_started_at=None,
                )
            )
            if exc.code == OPTED_OUT and household is not None:
                await session.execute(
                    sa.update(Household)
                    .where(Household.id == household.id)
                    .values(sms_opted_out_at=utcnow())
                )
                await reminders.cancel_for_phone(session, phone)
            await session.commit()
        report.failed += 1
        log.warning(
            "reminder_undeliverable", reminder_id=str(reminder_id), code=exc.code, to=masked(phone)
        )
        return
    report.sent += 1
    try:
        recorded = await db.record(
            _finish(reminder_id, renewed).values(
                state=ReminderState.SENT,
                provider_message_id=sent.provider_id,
                provider_status=sent.status,
                sent_at=utcnow(),
                lease_until=None,
                last_error=None,
                send_started_at=None,
            )
        )
    except IntegrityError:
        # A sibling with the same text, reconciling, counted this very message as its own:
        # this row is then the one without a message. Its lease ends now, so the next claim
        # reconciles it (finding the sibling's message, if that was accepted) or sends again.
        await db.record(_finish(reminder_id, renewed).values(lease_until=utcnow()))
        log.info("reminder_message_taken_by_sibling", reminder_id=str(reminder_id))
        return
    if not recorded:  # frozen past the lease: the next claimer finds it by reconciling
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
    db = _Db(factory)
    gate = asyncio.Semaphore(PARALLEL_SENDS)

    async def guarded(reminder_id: uuid.UUID, lease_until: datetime) -> None:
        async with gate:
            try:
                await _send_one(db, sender, reminder_id, lease_until, lease, settings, report)
            except Exception as exc:  # one bad row must not stop the others
                log.exception("reminder_dispatch_error", reminder_id=str(reminder_id))
                report.errors.append(type(exc).__name__)

    for _ in range(max_batches):
        async with db.session() as session:
            ids, lease_until = await claim(session, batch, lease)
        if not ids:
            break
        report.claimed += len(ids)
        await asyncio.gather(*(guarded(i, lease_until) for i in ids))
    return report
