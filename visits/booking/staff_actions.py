"""Staff steps shared by the staff API and the staff console, so both behave the same."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.booking import service
from visits.booking.dependencies import caller_in_role
from visits.db.models import Visit
from visits.enums import Channel, StaffRole
from visits.errors import Forbidden
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
    """Override a failed HARD rule in whichever of the person's roles the rule names.

    Returns the caller (with that role) for the answer; ``Forbidden`` when none of the roles
    may.
    """
    roles = sorted(staff.roles_at(visit.facility_id)) or [StaffRole.ADMIN]
    refusal: Forbidden | None = None
    for role in roles:
        caller = caller_in_role(staff, role, language)
        try:
            await service.add_override(session, caller, visit, rule_id, reason)
        except Forbidden as problem:
            refusal = problem
            continue
        return caller
    assert refusal is not None
    raise refusal


async def book_for_household(
    session: AsyncSession,
    caller: service.Caller,
    *,
    household_id: uuid.UUID,
    prisoner_id: uuid.UUID,
    slot_id: uuid.UUID,
    visitor_ids: Sequence[uuid.UUID],
    support_needs: str | None,
    channel: Channel,
    overrides: Sequence[tuple[str, str]],
    settings: Settings,
) -> Visit:
    """Hold and confirm in one step (a phone booking): confirmed, or a request for review.

    Nothing is committed; a refusal raises with every reason. The household gets the invite
    once the booking is committed (``service.confirm`` registers it).
    """
    visit, _ = await service.hold(
        session,
        caller,
        household_id=household_id,
        prisoner_id=prisoner_id,
        slot_id=slot_id,
        visitor_ids=visitor_ids,
        support_needs=support_needs,
        hold_minutes=settings.hold_minutes,
        channel=channel,
        overrides=overrides,
    )
    await session.flush()
    visit, _ = await service.confirm(session, caller, visit, settings=settings)
    await session.flush()
    return visit
