"""A facility's rule profile and its parameter overrides, changed by managers (audited).

The booking window lives on the facility itself (``min_notice_hours``, ``max_days_ahead``) and
is edited with the facility; overrides here may not set it, so there is one source of truth.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import StaffPrincipal
from visits.audit import record
from visits.facilities import queries
from visits.facilities.schemas.rule_parameters import RuleParametersIn, RuleParametersOut
from visits.facilities.service.access import MANAGE_ROLES, READ_ROLES
from visits.facilities.service.facilities import profile_problems
from visits.i18n import N_
from visits.rules.profiles import available_profiles, validate_overrides
from visits.validation import field_error, invalid_body

FACILITY_OWNED = frozenset({"min_notice_hours", "max_days_ahead"})


def _flat(overrides: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        else:
            flat[name] = value
    return flat


async def get_parameters(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID
) -> RuleParametersOut:
    staff.role_for(facility_id, READ_ROLES)
    facility = await queries.facility_or_404(session, facility_id)
    return RuleParametersOut(
        profile=facility.rule_profile,
        available_profiles=available_profiles(),
        overrides=dict(facility.rule_overrides),
        effective=msgspec.to_builtins(facility.profile()),
    )


async def set_parameters(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: RuleParametersIn
) -> RuleParametersOut:
    """Replace the overrides (and optionally the profile); every problem is listed at once."""
    role = staff.role_for(facility_id, MANAGE_ROLES)
    facility = await queries.facility_or_404(session, facility_id)
    profile = data.profile or facility.rule_profile
    problems = profile_problems(profile, "profile")
    flat = _flat(data.overrides)
    problems += [
        field_error(f"overrides.{name}", N_("is set on the facility (booking window), not here"))
        for name in sorted(FACILITY_OWNED & set(flat))
    ]
    if not problems:
        problems += [
            field_error(f"overrides.{name}", problem)
            for name, problem in validate_overrides(data.overrides, profile)
        ]
    if problems:
        raise invalid_body(problems)
    before = {"profile": facility.rule_profile, "overrides": dict(facility.rule_overrides)}
    facility.rule_profile, facility.rule_overrides = profile, dict(data.overrides)
    record(
        session,
        staff.actor(role),
        "rule_parameters.update",
        "facility",
        facility.id,
        facility_id=facility.id,
        reason=data.reason,
        changes={"before": before, "after": {"profile": profile, "overrides": flat}},
    )
    await session.flush()
    return await get_parameters(session, staff, facility_id)
