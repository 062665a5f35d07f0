"""Staff steps shared by the staff API and the staff console, so both behave the same."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import ALL_ROLES, StaffPrincipal
from visits.booking import service
from visits.booking.dependencies import staff_caller
from visits.booking.roles import results_of
from visits.booking.schemas import StaffBookIn
from visits.db.models import Visit
from visits.enums import Channel
from visits.settings import Settings


async def override_rule(
    session: AsyncSession,
    staff: StaffPrincipal,
    visit: Visit,
    rule_id: str,
    reason: str,
    *,
    language: str,
) -> service.Caller:
    """Override a failed HARD rule in whichever of the person's roles the rule names
    (``booking.roles.acting_role``).

    Returns the caller (with that role) for the answer; ``Forbidden`` when none of the roles
    may.
    """
    failed = [r for r in results_of(visit) if r.rule_id == rule_id and not r.passed]
    caller = staff_caller(staff, visit.facility_id, ALL_ROLES, language, failed)
    await service.add_override(session, caller, visit, rule_id, reason)
    return caller


async def book_for_household(
    session: AsyncSession, caller: service.Caller, booking: StaffBookIn, settings: Settings
) -> Visit:
    """Hold and confirm in one step (a phone booking): confirmed, or a request for review.

    Nothing is committed; a refusal raises with every reason. The household gets the invite
    once the booking is committed (``service.confirm`` registers it).
    """
    visit, _ = await service.hold(
        session,
        caller,
        household_id=booking.household_id,
        prisoner_id=booking.prisoner_id,
        slot_id=booking.slot_id,
        visitor_ids=booking.visitor_ids,
        support_needs=booking.support_needs,
        hold_minutes=settings.hold_minutes,
        channel=Channel(booking.channel),
        overrides=[(o.rule_id, o.reason) for o in booking.overrides],
    )
    visit, _ = await service.confirm(session, caller, visit, settings=settings)
    return visit
