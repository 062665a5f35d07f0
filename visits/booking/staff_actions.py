"""Staff steps shared by the staff API and the staff console, so both behave the same."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.booking import service
from visits.db.models import Visit
from visits.enums import Channel, StaffRole
from visits.errors import ProblemError
from visits.settings import Settings

REQUEST_MODE_REASON = "facility takes requests only"


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

    Returns the caller (with that role) for the answer; a 403 problem when none of the roles
    may. The caller commits.
    """
    roles = sorted(staff.roles_at(visit.facility_id)) or [StaffRole.ADMIN]
    refusal: ProblemError | None = None
    for role in roles:
        caller = service.Caller(
            actor=staff.actor(role), staff_role=role, staff_name=staff.name, language=language
        )
        try:
            await service.add_override(session, caller, visit, rule_id, reason)
        except ProblemError as problem:
            if problem.status_code != 403:
                raise
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

    Nothing is committed; a refusal raises with every reason.
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
    visit, _ = await service.confirm(
        session, caller, visit.id, request_mode_reason=REQUEST_MODE_REASON, settings=settings
    )
    await session.flush()
    return visit
