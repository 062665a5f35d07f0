"""SMS reminders as an outbox: one row per visit and offset, planned with the visit change.

Due times are absolute: "48 hours before" is 48 real hours, computed in UTC. Quiet hours are
local wall-clock times of the facility (``zoneinfo``); a reminder that would fall inside them
moves earlier, to the last minute before they begin. Reminders already due when a visit is
booked are not planned (the confirmation tells the family instead).

A dispatcher owns a row from the moment it starts sending it (``send_started_at``): planning and
STOP change rows only through conditional updates that skip such a row, so a message the provider
accepted is always recorded as sent, even when the visit is cancelled meanwhile. A row that is
claimed but not yet started is still taken over (the dispatcher's own start is conditional too).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.base import utcnow
from visits.db.models import Facility, Household, Reminder, Visit
from visits.enums import ReminderState, VisitStatus
from visits.notify.queries import household_ids_with_phone
from visits.settings import Settings

log = structlog.get_logger(__name__)


# No dispatcher is sending the row: it is not ``sending``, or claimed but not yet started.
NOT_STARTED = sa.or_(Reminder.state != ReminderState.SENDING, Reminder.send_started_at.is_(None))
# What a cancellation may stop: waiting, failed, or claimed but not yet started.
STOPPABLE = sa.or_(
    Reminder.state.in_((ReminderState.PENDING, ReminderState.FAILED)),
    sa.and_(Reminder.state == ReminderState.SENDING, Reminder.send_started_at.is_(None)),
)


def in_quiet_hours(moment: datetime, start: time, end: time) -> bool:
    """Whether a local time lies in quiet hours; ``start`` after ``end`` spans midnight."""
    clock = moment.timetz().replace(tzinfo=None)
    if start <= end:
        return start <= clock < end
    return clock >= start or clock < end


def quiet_hours_end(moment: datetime, start: time, end: time) -> datetime:
    """When the quiet hours that the local ``moment`` lies in end (local, same zone)."""
    day = moment.date()
    if start > end and moment.timetz().replace(tzinfo=None) >= start:
        day += timedelta(days=1)  # evening part: they end the next morning
    return datetime.combine(day, end, moment.tzinfo)


def due_time(
    starts_at: datetime, offset_hours: int, zone: ZoneInfo, quiet_start: time, quiet_end: time
) -> datetime:
    """The UTC moment a reminder is sent: ``offset_hours`` before the visit, moved earlier out
    of quiet hours (to one minute before they begin, on the right local day)."""
    due = starts_at - timedelta(hours=offset_hours)
    local = due.astimezone(zone)
    if not in_quiet_hours(local, quiet_start, quiet_end):
        return due
    day = local.date()
    if quiet_start > quiet_end and local.timetz().replace(tzinfo=None) < quiet_end:
        day -= timedelta(days=1)  # after midnight: quiet hours began the evening before
    latest = datetime.combine(day, quiet_start, zone) - timedelta(minutes=1)
    return latest.astimezone(due.tzinfo)


async def plan(session: AsyncSession, visit: Visit, settings: Settings) -> list[Reminder]:
    """Make the visit's reminders match its state: planned (or re-planned) for a confirmed
    visit whose household accepts SMS, cancelled otherwise. Call it in the transaction that
    changes the visit."""
    existing = {
        r.offset_minutes: r
        for r in await session.scalars(sa.select(Reminder).where(Reminder.visit_id == visit.id))
    }
    household = await session.get(Household, visit.household_id) if visit.household_id else None
    wanted = (
        settings.sms_sender != "off"
        and visit.status is VisitStatus.CONFIRMED
        and household is not None
        and household.phone_e164 is not None
        and household.phone_confirmed_at is not None
        and household.sms_consent
        and household.sms_opted_out_at is None
    )
    now = utcnow()
    planned: list[Reminder] = []
    if wanted:
        assert household is not None
        facility = await session.get(Facility, visit.facility_id)
        assert facility is not None
        zone = ZoneInfo(facility.timezone)
        offsets = facility.reminder_offsets_hours or settings.reminder_offsets_hours
        for hours in offsets:
            due = due_time(
                visit.starts_at, hours, zone, settings.quiet_hours_start, settings.quiet_hours_end
            )
            row = existing.pop(hours * 60, None)
            if due <= now:
                if row is not None:
                    await _change(session, row, STOPPABLE, state=ReminderState.CANCELLED)
                continue
            if row is None:
                row = Reminder(
                    id=uuid.uuid4(),
                    visit_id=visit.id,
                    offset_minutes=hours * 60,
                    due_at=due,
                    language=household.language,
                    state=ReminderState.PENDING,
                    attempts=0,
                )
                session.add(row)
                planned.append(row)
                continue
            if (
                row.due_at == due
                and row.state is not ReminderState.CANCELLED
                and row.language == household.language
            ):
                planned.append(row)  # unchanged plan: keep its state (it may be sent already)
                continue
            replanned = await _change(
                session,
                row,
                NOT_STARTED,
                due_at=due,
                language=household.language,
                state=ReminderState.PENDING,
                attempts=0,
                next_attempt_at=None,
                last_error=None,
                send_started_at=None,
                provider_message_id=None,  # the old message's callbacks must not touch it
                provider_status=None,
                sent_at=None,
            )
            if replanned:
                planned.append(row)
    for row in existing.values():  # offsets no longer wanted, or the visit is not confirmed
        await _change(session, row, STOPPABLE, state=ReminderState.CANCELLED)
    return planned


async def _change(
    session: AsyncSession, row: Reminder, condition: sa.ColumnElement[bool], **values: object
) -> bool:
    """Update ``row`` only while ``condition`` holds in the database (decided there, so a
    dispatcher that starts the send at the same moment either wins or loses cleanly)."""
    result = await session.execute(
        sa.update(Reminder)
        .where(Reminder.id == row.id, condition)
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(row)
    changed = bool(result.rowcount)  # type: ignore[attr-defined]
    if not changed and row.state is ReminderState.SENDING:
        log.info("reminder_left_in_flight", reminder_id=str(row.id))
    return changed


async def cancel_for_phone(session: AsyncSession, phone: str) -> int:
    """STOP: cancel every reminder not yet sent (nor being sent) to this number."""
    result = await session.execute(
        sa.update(Reminder)
        .where(
            STOPPABLE,
            Reminder.visit_id.in_(
                sa.select(Visit.id).where(Visit.household_id.in_(household_ids_with_phone(phone)))
            ),
        )
        .values(state=ReminderState.CANCELLED, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def replan_household(
    session: AsyncSession, household_id: uuid.UUID, settings: Settings
) -> None:
    """START (or consent given again): plan reminders for the household's upcoming visits."""
    visits = await session.scalars(
        sa.select(Visit).where(
            Visit.household_id == household_id,
            Visit.status == VisitStatus.CONFIRMED,
            Visit.starts_at > utcnow(),
        )
    )
    for visit in visits:
        await plan(session, visit, settings)
