"""Staff accounts: created by admins (API) or operators (``visits staff create``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts import tokens
from visits.accounts.schemas import GrantIO, StaffCreateIn, StaffOut, StaffUpdateIn
from visits.accounts.secrets import hash_password
from visits.accounts.service.sign_in import email_address
from visits.audit import Actor, record
from visits.db.models import Facility, StaffGrant, StaffMember
from visits.errors import Conflict, NotFound
from visits.i18n import N_
from visits.validation import field_error, invalid_body


def staff_out(staff: StaffMember) -> StaffOut:
    return StaffOut(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        is_active=staff.is_active,
        grants=[GrantIO(role=g.role, facility_id=g.facility_id) for g in staff.grants],
        last_sign_in_at=staff.last_sign_in_at,
    )


async def _check_facilities(session: AsyncSession, grants: list[GrantIO]) -> None:
    wanted = {g.facility_id for g in grants if g.facility_id is not None}
    if not wanted:
        return
    found = set(await session.scalars(sa.select(Facility.id).where(Facility.id.in_(wanted))))
    missing = [
        field_error(f"grants[{i}].facility_id", N_("no such facility"))
        for i, g in enumerate(grants)
        if g.facility_id is not None and g.facility_id not in found
    ]
    if missing:
        raise invalid_body(missing)


def _grant_rows(grants: list[GrantIO]) -> list[StaffGrant]:
    unique = {(g.role, g.facility_id) for g in grants}
    return [
        StaffGrant(role=role, facility_id=facility) for role, facility in sorted(unique, key=str)
    ]


def _changed_grants(current: list[StaffGrant], wanted: list[GrantIO]) -> list[StaffGrant]:
    """Grants that stay keep their rows: a new row equal to one still present would break the
    unique constraint (the unit of work inserts before it deletes)."""
    keys = {(g.role, g.facility_id) for g in wanted}
    kept = [g for g in current if (g.role, g.facility_id) in keys]
    held = {(g.role, g.facility_id) for g in kept}
    return kept + _grant_rows([g for g in wanted if (g.role, g.facility_id) not in held])


def _grants_summary(grants: list[GrantIO]) -> list[str]:
    return sorted(f"{g.role.value}@{g.facility_id or '*'}" for g in grants)


def _staff_exists() -> Conflict:
    return Conflict("staff-exists", "A staff account with this e-mail exists.")


async def _staff_id(session: AsyncSession, email: str) -> uuid.UUID | None:
    return await session.scalar(sa.select(StaffMember.id).where(StaffMember.email == email))


async def create_staff(session: AsyncSession, data: StaffCreateIn, actor: Actor) -> StaffMember:
    try:
        email = email_address(data.email).lower()
    except ValueError as exc:
        raise invalid_body([field_error("email", str(exc))]) from exc
    await _check_facilities(session, data.grants)
    if await _staff_id(session, email):
        raise _staff_exists()
    staff = StaffMember(
        email=email,
        name=data.name,
        password_hash=hash_password(data.password),
        grants=_grant_rows(data.grants),
    )
    try:
        async with session.begin_nested():
            session.add(staff)
    except IntegrityError:
        # Created by a parallel request since the check above (the unique constraint saw it).
        if await _staff_id(session, email):
            raise _staff_exists() from None
        raise
    record(
        session,
        actor,
        "staff.create",
        "staff_member",
        staff.id,
        changes={"email": email, "name": data.name, "grants": _grants_summary(data.grants)},
    )
    return staff


async def get_staff(session: AsyncSession, staff_id: uuid.UUID) -> StaffMember:
    staff = await session.get(StaffMember, staff_id)
    if staff is None:
        raise NotFound("staff-not-found", "There is no such staff account.")
    return staff


async def update_staff(
    session: AsyncSession, staff_id: uuid.UUID, data: StaffUpdateIn, actor: Actor
) -> StaffMember:
    staff = await get_staff(session, staff_id)
    changes: dict[str, object] = {}
    if data.name is not None and data.name != staff.name:
        changes["name"] = [staff.name, data.name]
        staff.name = data.name
    if data.grants is not None:
        await _check_facilities(session, data.grants)
        before = _grants_summary([GrantIO(g.role, g.facility_id) for g in staff.grants])
        after = _grants_summary(data.grants)
        if before != after:
            changes["grants"] = [before, after]
            staff.grants = _changed_grants(staff.grants, data.grants)
            await tokens.revoke_all(session, staff_id=staff.id)  # new rights, new sign-in
    if data.is_active is not None and data.is_active != staff.is_active:
        changes["is_active"] = [staff.is_active, data.is_active]
        staff.is_active = data.is_active
        if not data.is_active:
            await tokens.revoke_all(session, staff_id=staff.id)
    if changes:
        record(
            session,
            actor,
            "staff.update",
            "staff_member",
            staff.id,
            changes=changes,
            reason=data.reason,
        )
    await session.flush()
    await session.refresh(staff, ["grants"])
    return staff


async def list_staff(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[StaffMember], int]:
    total = await session.scalar(sa.select(sa.func.count()).select_from(StaffMember)) or 0
    rows = await session.scalars(
        sa.select(StaffMember).order_by(StaffMember.email).limit(limit).offset(offset)
    )
    return list(rows), total
