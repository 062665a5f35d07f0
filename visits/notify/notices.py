"""Notices to a household about its visit (staff decisions, cancellations), sent once the change
that causes them is committed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Facility, Household, Visit
from visits.db.transaction import EffectContext
from visits.enums import ContactChannel
from visits.notify.channels import NotificationChannel, OutgoingMessage

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
                await notify_household(session, context.notifier, visit, self.notice, self.reason)


_NOTICES = {
    "cancelled": {
        "de": (
            "Besuch abgesagt",
            "Ihr Besuch {reference} am {when} wurde von der Anstalt abgesagt: "
            "{reason}. Bitte buchen Sie einen neuen Termin oder rufen Sie uns an.",
        ),
        "en": (
            "Visit cancelled",
            "Your visit {reference} on {when} was cancelled by the facility: "
            "{reason}. Please book another time or call us.",
        ),
    },
    "rejected": {
        "de": (
            "Besuchsanfrage nicht bestätigt",
            "Ihre Anfrage {reference} für {when} konnte "
            "nicht bestätigt werden. Bitte wenden Sie sich an die Anstalt.",
        ),
        "en": (
            "Visit request not confirmed",
            "Your request {reference} for {when} could not be "
            "confirmed. Please contact the facility.",
        ),
    },
    "confirmed": {
        "de": ("Besuch bestätigt", "Ihr Besuch {reference} am {when} ist bestätigt."),
        "en": ("Visit confirmed", "Your visit {reference} on {when} is confirmed."),
    },
}


async def notify_household(
    session: AsyncSession, notifier: NotificationChannel, visit: Visit, notice: str, reason: str
) -> None:
    """Tell the household what staff decided; a failure is logged, never raised."""
    household = await session.get(Household, visit.household_id) if visit.household_id else None
    facility = await session.get(Facility, visit.facility_id)
    if household is None or facility is None:
        return
    language = household.language.value
    subject, text = _NOTICES[notice][language]
    when = visit.starts_at.astimezone(ZoneInfo(facility.timezone)).strftime("%d.%m.%Y %H:%M")
    channel, to = (
        (ContactChannel.EMAIL, household.email)
        if household.email
        else (ContactChannel.SMS, household.phone_e164)
    )
    if to is None:
        return
    message: dict[str, Any] = {"reference": visit.reference, "when": when, "reason": reason}
    try:
        await notifier.send(
            OutgoingMessage(
                channel=channel,
                to=to,
                subject=subject,
                text=text.format(**message),
                purpose=f"visit_{notice}",
            )
        )
    except Exception:
        log.exception("household_notice_failed", visit_id=str(visit.id), notice=notice)
