"""What an SMS provider tells us: delivery reports, and opting out of (or back into) SMS.

The webhook controllers verify and parse the provider's requests and call these; the changes
are audited and committed with the request.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from visits.audit import Actor, record
from visits.db.base import utcnow
from visits.db.models import Notice, Reminder
from visits.enums import ActorType, Channel, ReminderState
from visits.notify import reminders
from visits.notify.queries import (
    households_with_phone,
    notice_by_message_id,
    reminder_by_message_id,
)
from visits.notify.sms import OPTED_OUT, masked
from visits.settings import Settings

log = structlog.get_logger(__name__)

STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}
"""The provider's message states in the order they happen; a state never moves back."""


async def record_delivery_status(
    session: AsyncSession, message_id: str, status: str, error_code: str, to: str
) -> None:
    """A delivery report for the SMS ``message_id``, a reminder's or else a notice's: its state
    moves forward only (so repeated and reordered reports are harmless); unknown messages and
    states are ignored. The error "number opted out" stops SMS to ``to``, as STOP does."""
    status = status.lower()
    row: Reminder | Notice | None = await reminder_by_message_id(session, message_id)
    if row is None:
        row = await notice_by_message_id(session, message_id)
    if row is None or status not in STATUS_RANK:
        return
    if STATUS_RANK[status] > STATUS_RANK.get(row.provider_status or "accepted", 0):
        row.provider_status = status
        if status == "delivered":
            row.state = ReminderState.DELIVERED
        elif status in ("failed", "undelivered"):
            row.state = ReminderState.UNDELIVERABLE
            row.last_error = f"{status} {error_code}".strip()
    if error_code == str(OPTED_OUT):
        await opt_out(session, to)


def _actor(household_id: object) -> Actor:
    return Actor(ActorType.HOUSEHOLD, str(household_id), None, Channel.ONLINE)


async def opt_out(session: AsyncSession, phone: str) -> None:
    """STOP: no more SMS to ``phone`` for every household reached there; pending reminders to
    it are cancelled."""
    for household in await households_with_phone(session, phone):
        household.sms_opted_out_at = household.sms_opted_out_at or utcnow()
        record(session, _actor(household.id), "sms.opt_out", "household", household.id)
    cancelled = await reminders.cancel_for_phone(session, phone)
    log.info("sms_opt_out", to=masked(phone), reminders_cancelled=cancelled)


async def opt_in(session: AsyncSession, phone: str, settings: Settings) -> None:
    """START: SMS to ``phone`` again; reminders are planned again for households that
    consented."""
    for household in await households_with_phone(session, phone):
        household.sms_opted_out_at = None
        record(session, _actor(household.id), "sms.opt_in", "household", household.id)
        await reminders.replan_household(session, household.id, settings)
    log.info("sms_opt_in", to=masked(phone))
