"""Visits as the API shows them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.booking.schemas import PartyOut, VisitOut, family_view, staff_view
from visits.booking.service import family_status_reason, shown_status_reason
from visits.calendar.content import manage_url
from visits.db.models import Facility, Visit, VisitParty
from visits.rules.model import RuleResult
from visits.rules.review import shown_reason


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
        review_reason=shown_reason(visit.review_reason, results, language) if staff else None,
        status_reason=shown_status_reason(visit.status_reason, language)
        if staff
        else family_status_reason(visit, language),
    )
