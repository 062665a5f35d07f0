"""Notices to a household about its visit (staff decisions, cancellations), sent once the change
that causes them is committed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Facility, Household, Visit
from visits.db.transaction import EffectContext
from visits.enums import ContactChannel
from visits.i18n import N_, translate
from visits.notify.channels import NotificationChannel, OutgoingMessage
from visits.notify.formats import day_and_time

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class HouseholdNotice:
    """An after-commit effect: tell the visit's household about ``notice`` (``cancelled``,
    ``rejected`` or ``confirmed``)."""

    visit_id: uuid.UUID
    notice: str
    reason: str = ""

    async def deliver(self, context: EffectContext) -> None:
        async with context.session_factory() as session:
            visit = await session.get(Visit, self.visit_id)
            if visit is not None:
                await _notify_household(session, context.notifier, visit, self.notice, self.reason)


# notice: (subject, text); ``%(when)s`` is the visit's local date and time
_NOTICES = {
    "cancelled": (
        N_("Visit cancelled"),
        N_(
            "Your visit %(reference)s on %(when)s was cancelled by the facility: %(reason)s. "
            "Please book another time or call us."
        ),
    ),
    "rejected": (
        N_("Visit request not confirmed"),
        N_(
            "Your request %(reference)s for %(when)s could not be confirmed. "
            "Please contact the facility."
        ),
    ),
    "confirmed": (
        N_("Visit confirmed"),
        N_("Your visit %(reference)s on %(when)s is confirmed."),
    ),
}


async def _notify_household(
    session: AsyncSession, notifier: NotificationChannel, visit: Visit, notice: str, reason: str
) -> None:
    """Tell the household what staff decided; a failure is logged, never raised."""
    household = await session.get(Household, visit.household_id) if visit.household_id else None
    facility = await session.get(Facility, visit.facility_id)
    if household is None or facility is None:
        return
    language = household.language.value
    subject, text = _NOTICES[notice]
    when = day_and_time(visit.starts_at, facility.timezone, language)
    channel, to = (
        (ContactChannel.EMAIL, household.email)
        if household.email
        else (ContactChannel.SMS, household.phone_e164)
    )
    if to is None:
        return
    params: dict[str, Any] = {"reference": visit.reference, "when": when, "reason": reason}
    try:
        await notifier.send(
            OutgoingMessage(
                channel=channel,
                to=to,
                subject=translate(language, subject),
                text=translate(language, text, **params),
                purpose=f"visit_{notice}",
                language=language,
            )
        )
    except Exception:
        log.exception("household_notice_failed", visit_id=str(visit.id), notice=notice)
