"""Issuing and revoking bearer tokens."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.secrets import new_token, token_digest
from visits.db.base import utcnow
from visits.db.models import AuthToken
from visits.enums import TokenKind

PREFIXES = {TokenKind.STAFF: "vs", TokenKind.HOUSEHOLD: "vh", TokenKind.FEED: "vf"}


def issue(
    session: AsyncSession,
    kind: TokenKind,
    *,
    staff_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
    lifetime: timedelta | None,
    label: str | None = None,
    scope: dict[str, Any] | None = None,
) -> tuple[str, AuthToken]:
    """A new token (shown once) and its row, added to the session; ``lifetime`` None = no expiry."""
    token = new_token(PREFIXES[kind])
    row = AuthToken(
        kind=kind,
        token_hash=token_digest(token),
        staff_id=staff_id,
        household_id=household_id,
        label=label,
        scope=scope or {},
        expires_at=utcnow() + lifetime if lifetime else None,
    )
    session.add(row)
    return token, row


async def revoke(session: AsyncSession, token_id: uuid.UUID) -> None:
    await session.execute(
        sa.update(AuthToken)
        .where(AuthToken.id == token_id, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


async def revoke_all(
    session: AsyncSession,
    *,
    staff_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
) -> None:
    """Revoke every live token of one subject (account disabled, erasure)."""
    condition = (
        AuthToken.staff_id == staff_id
        if staff_id is not None
        else AuthToken.household_id == household_id
    )
    await session.execute(
        sa.update(AuthToken)
        .where(condition, AuthToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def expiry(lifetime: timedelta) -> datetime:
    return utcnow() + lifetime
