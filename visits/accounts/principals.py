"""Who is calling: bearer tokens → a staff or household principal, and what staff may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import SkipValidation
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from visits.accounts.secrets import token_digest
from visits.audit import Actor
from visits.db.base import utcnow
from visits.db.models import AuthToken, StaffMember
from visits.enums import ActorType, Channel, StaffRole, TokenKind
from visits.errors import Forbidden, Unauthenticated
from visits.i18n import N_

LAST_USED_RESOLUTION = timedelta(minutes=5)  # fewer writes: record use at most this often
ALL_ROLES = frozenset(StaffRole)
ADMIN_ONLY = frozenset({StaffRole.ADMIN})


@dataclass(frozen=True)
class HouseholdPrincipal:
    household_id: uuid.UUID
    token_id: uuid.UUID

    @property
    def actor(self) -> Actor:
        return Actor(ActorType.HOUSEHOLD, str(self.household_id), None, Channel.ONLINE)


@dataclass(frozen=True)
class StaffPrincipal:
    staff_id: uuid.UUID
    token_id: uuid.UUID
    name: str
    grants: frozenset[tuple[StaffRole, uuid.UUID | None]] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return (StaffRole.ADMIN, None) in self.grants

    def roles_at(self, facility_id: uuid.UUID) -> set[StaffRole]:
        return {role for role, where in self.grants if where == facility_id}

    def facility_ids(self) -> set[uuid.UUID]:
        return {where for _, where in self.grants if where is not None}

    def role_for(self, facility_id: uuid.UUID | None, allowed: frozenset[StaffRole]) -> StaffRole:
        """The role that allows an action at ``facility_id``, or a 403 problem.

        Admins may act everywhere. ``facility_id`` None means an action outside any facility,
        which only admins may take.
        """
        if self.is_admin:
            return StaffRole.ADMIN
        if facility_id is not None:
            held = self.roles_at(facility_id) & allowed
            if held:
                return sorted(held)[0]
        raise Forbidden(
            "forbidden",
            "Your role does not allow this here. Allowed: %(roles)s.",
            roles=", ".join(sorted(r.value for r in allowed)),
        )

    def actor(self, role: StaffRole) -> Actor:
        return Actor(ActorType.STAFF, str(self.staff_id), role.value, Channel.ONLINE)


def _unauthenticated(detail: str) -> Unauthenticated:
    return Unauthenticated(
        "unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="visits"'}
    )


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated(N_("Send a bearer token in the Authorization header."))
    return token.strip()


async def load_token(session: AsyncSession, token: str, kind: TokenKind) -> AuthToken:
    """The live token of ``kind``, or a 401 problem (the same one for every reason).

    Its use is recorded (``last_used_at``, at most every ``LAST_USED_RESOLUTION``) in the
    caller's transaction: a guard commits its own session, a handler's boundary commits it."""
    row = await session.scalar(
        sa.select(AuthToken).where(AuthToken.token_hash == token_digest(token))
    )
    now = utcnow()
    if (
        row is None
        or row.kind != kind
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
    ):
        raise _unauthenticated(
            N_("The token is unknown, expired or revoked. Please sign in again.")
        )
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row


async def _household(session: AsyncSession, token: str) -> HouseholdPrincipal:
    row = await load_token(session, token, TokenKind.HOUSEHOLD)
    assert row.household_id is not None  # the CHECK constraint guarantees a subject
    return HouseholdPrincipal(household_id=row.household_id, token_id=row.id)


async def _staff(session: AsyncSession, token: str) -> StaffPrincipal:
    return await staff_principal(session, await load_token(session, token, TokenKind.STAFF))


async def staff_principal(session: AsyncSession, row: AuthToken) -> StaffPrincipal:
    """The member of staff a live staff token belongs to, with their grants (401 if disabled)."""
    staff = await session.get(StaffMember, row.staff_id)
    if staff is None or not staff.is_active:
        raise _unauthenticated(N_("This account is disabled."))
    return StaffPrincipal(
        staff_id=staff.id,
        token_id=row.id,
        name=staff.name,
        grants=frozenset((g.role, g.facility_id) for g in staff.grants),
    )


def _session_factory(
    connection: ASGIConnection[Any, Any, Any, Any],
) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = connection.app.state.session_factory
    return factory


async def household_guard(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Authenticate before anything else is read from the request (no hints to strangers).

    A guard runs before the request's transaction begins, in a short session of its own, and
    commits the token's use there (its own boundary, whatever the request then does)."""
    async with _session_factory(connection)() as session:
        connection.state.principal = await _household(session, bearer_token(connection))
        await session.commit()  # the guard's own session: its own boundary


async def staff_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    async with _session_factory(connection)() as session:
        connection.state.principal = await _staff(session, bearer_token(connection))
        await session.commit()  # the guard's own session: its own boundary


async def admin_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """After ``staff_guard``: the whole route is for admins."""
    principal: StaffPrincipal = connection.state.principal
    principal.role_for(None, frozenset({StaffRole.ADMIN}))


def provide_household(request: Request[Any, Any, Any]) -> HouseholdPrincipal:
    principal: HouseholdPrincipal = request.state.principal
    return principal


def provide_staff(request: Request[Any, Any, Any]) -> StaffPrincipal:
    principal: StaffPrincipal = request.state.principal
    return principal


# How handlers declare the signed-in caller (a principal is not data to validate).
HouseholdUser = NamedDependency[SkipValidation[HouseholdPrincipal]]
StaffUser = NamedDependency[SkipValidation[StaffPrincipal]]

HOUSEHOLD_DEPENDENCIES = {"household": Provide(provide_household, sync_to_thread=False)}
STAFF_DEPENDENCIES = {"staff": Provide(provide_staff, sync_to_thread=False)}
BEARER_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
