"""Staff changes to facilities and their family information (CF-21)."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.principals import ADMIN_ONLY, StaffPrincipal
from visits.audit import Actor, record
from visits.db.base import utcnow
from visits.db.models import Facility, FacilityInformation, Slot
from visits.errors import Conflict, NotFound
from visits.facilities.queries import facility_or_404
from visits.facilities.schemas.staff import FacilityIn, FacilityUpdateIn, InformationIn
from visits.facilities.service.access import MANAGE_ROLES
from visits.facilities.service.changes import apply_changes, unique
from visits.i18n import Message
from visits.rules.profiles import available_profiles
from visits.validation import field_error, invalid_body, normalise_email


def profile_problems(name: str | None, field: str = "rule_profile") -> list[dict[str, Any]]:
    """``name`` is not one of the rule profiles (a problem on ``field``)."""
    if name is not None and name not in available_profiles():
        options = ", ".join(available_profiles())
        unknown = Message(
            "unknown profile '%(name)s'; choose one of %(options)s",
            {"name": name, "options": options},
        )
        return [field_error(field, unknown)]
    return []


def _check_email(value: str | None) -> list[dict[str, Any]]:
    if value is None:
        return []
    try:
        normalise_email(value)
    except ValueError as exc:
        return [field_error("email", str(exc))]
    return []


def _facility_exists(slug: str) -> Conflict:
    return Conflict("facility-exists", "The slug '%(taken)s' is taken.", taken=slug)


async def create_facility(
    session: AsyncSession, staff: StaffPrincipal, data: FacilityIn
) -> Facility:
    """A new facility, for administrators (API and console)."""
    role = staff.role_for(None, ADMIN_ONLY)
    return await add_facility(session, data, staff.actor(role))


async def add_facility(session: AsyncSession, data: FacilityIn, actor: Actor) -> Facility:
    """A new facility, recorded as ``actor``'s: an administrator's (``create_facility``) or
    the operator's (``visits facility create``, ``Actor.system()``)."""
    errors = profile_problems(data.rule_profile) + _check_email(data.email)
    if errors:
        raise invalid_body(errors)
    if await session.scalar(sa.select(Facility.id).where(Facility.slug == data.slug)):
        raise _facility_exists(data.slug)
    values = msgspec.structs.asdict(data)
    values["languages"] = [str(v) for v in data.languages]
    facility = Facility(**values)
    async with unique(session, _facility_exists(data.slug)):
        session.add(facility)
    record(
        session,
        actor,
        "facility.create",
        "facility",
        facility.id,
        facility_id=facility.id,
        changes={"slug": data.slug},
    )
    return facility


async def update_facility(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: FacilityUpdateIn
) -> Facility:
    role = staff.role_for(facility_id, MANAGE_ROLES)
    facility = await facility_or_404(session, facility_id)
    errors = profile_problems(data.rule_profile) + _check_email(data.email)
    if errors:
        raise invalid_body(errors)
    if data.timezone is not None and data.timezone != facility.timezone:
        has_future = await session.scalar(
            sa.select(Slot.id)
            .where(Slot.facility_id == facility.id, Slot.ends_at > utcnow())
            .limit(1)
        )
        if has_future:
            raise Conflict(
                "timezone-in-use",
                "The facility has upcoming slots in its current time zone. Close or remove them "
                "before changing the time zone.",
            )
    changes = apply_changes(facility, data)
    if changes:
        record(
            session,
            staff.actor(role),
            "facility.update",
            "facility",
            facility.id,
            facility_id=facility.id,
            changes=changes,
        )
    await session.flush()
    return facility


async def put_information(
    session: AsyncSession, staff: StaffPrincipal, facility_id: uuid.UUID, data: InformationIn
) -> FacilityInformation:
    """Create or replace the text for one language, age band and topic."""
    role = staff.role_for(facility_id, MANAGE_ROLES)
    await facility_or_404(session, facility_id)
    band = data.age_band.value if data.age_band else None
    item = await session.scalar(
        sa.select(FacilityInformation).where(
            FacilityInformation.facility_id == facility_id,
            FacilityInformation.language == data.language,
            FacilityInformation.topic == data.topic,
            FacilityInformation.age_band.is_(None)
            if band is None
            else FacilityInformation.age_band == band,
        )
    )
    if item is None:
        item = FacilityInformation(
            facility_id=facility_id,
            language=data.language,
            age_band=band,
            topic=data.topic,
            title=data.title,
            body=data.body,
        )
        session.add(item)
    else:
        item.title, item.body = data.title, data.body
    await session.flush()
    record(
        session,
        staff.actor(role),
        "information.put",
        "facility_information",
        item.id,
        facility_id=facility_id,
        changes={"language": data.language.value, "age_band": band, "topic": data.topic},
    )
    return item


async def delete_information(
    session: AsyncSession, staff: StaffPrincipal, information_id: uuid.UUID
) -> None:
    item = await session.get(FacilityInformation, information_id)
    if item is None:
        raise NotFound("information-not-found", "There is no such information text.")
    role = staff.role_for(item.facility_id, MANAGE_ROLES)
    record(
        session,
        staff.actor(role),
        "information.delete",
        "facility_information",
        item.id,
        facility_id=item.facility_id,
    )
    await session.delete(item)
    await session.flush()
