"""Visits as the API shows them, and the family notices about them."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from visits.booking.schemas import PartyOut, VisitOut, family_view, staff_view
from visits.calendar.content import manage_url
from visits.db.models import Facility, Household, Visit, VisitParty
from visits.enums import ContactChannel
from visits.notify.channels import NotificationChannel, OutgoingMessage
from visits.rules.model import RuleResult

log = structlog.get_logger(__name__)


async def visit_out(
    session: AsyncSession, visit: Visit, *, staff: bool, language: str, public_url: str
) -> VisitOut:
    facility = await session.get(Facility, visit.facility_id)
    assert facility is not None
    zone = ZoneInfo(facility.timezone)
    party = list(
        await session.scalars(
            sa.select(VisitParty)
            .where(VisitParty.visit_id == visit.id)
            .order_by(VisitParty.age_years.desc())
        )
    )
    results = [msgspec.convert(r, RuleResult) for r in visit.rule_results]
    view = staff_view if staff else family_view
    shown = [view(r, language) for r in results if staff or not r.passed or r.in_confirmation]
    return VisitOut(
        id=visit.id,
        reference=visit.reference,
        status=visit.status,
        visit_type=visit.visit_type,
        channel=visit.channel,
        facility_id=visit.facility_id,
        prisoner_id=visit.prisoner_id,
        slot_id=visit.slot_id,
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        local_start=visit.starts_at.astimezone(zone),
        local_end=visit.ends_at.astimezone(zone),
        timezone=facility.timezone,
        hold_expires_at=visit.hold_expires_at,
        party=[PartyOut(p.visitor_id, p.age_years, p.is_child) for p in party],
        support_needs=visit.support_needs,
        ical_uid=visit.ical_uid,
        ical_sequence=visit.ical_sequence,
        manage_url=manage_url(public_url, visit.id),
        results=shown,
        needs_review=visit.needs_review if staff else False,
        review_reason=visit.review_reason if staff else None,
        status_reason=visit.status_reason,
    )


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
