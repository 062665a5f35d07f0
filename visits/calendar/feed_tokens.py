"""Feed tokens: read-only, revocable calendar subscriptions (``AuthToken`` of kind FEED).

A token carries 256 random bits (``vf_…``) and lives in the feed's URL, because calendar apps
cannot send headers. Only its SHA-256 digest is stored, and a request is matched by looking the
digest up: timing can at most reveal a digest's prefix, never the token. Tokens do not expire;
they are revoked by their owner (or a visits manager of the facility), and with every other
token of the account (sign-out of all devices, changed grants, disabled account, erasure).
Requests are not rate-limited: guessing 256 bits is hopeless, and counting each poll in the
database would make every revalidation a write.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts import tokens
from visits.accounts.secrets import token_digest
from visits.audit import Actor, record
from visits.calendar.feeds import FeedScope
from visits.calendar.schemas import FeedCreatedOut, FeedOut
from visits.db.base import utcnow
from visits.db.models import AuthToken, StaffGrant, StaffMember
from visits.enums import StaffRole, TokenKind

LAST_USED_RESOLUTION = timedelta(minutes=5)
FEED_SUFFIX = ".ics"
MAX_TOKEN_LENGTH = 100


def links(public_url: str, token: str) -> tuple[str, str]:
    """The feed's URL under the public URL, and the same as ``webcal://`` for calendar apps."""
    url = f"{public_url.rstrip('/')}/feeds/{token}{FEED_SUFFIX}"
    return url, "webcal://" + url.split("://", 1)[1]


def feed_out(row: AuthToken, owner: str | None = None) -> FeedOut:
    scope = FeedScope.from_json(row.scope, row.household_id)
    return FeedOut(
        id=row.id,
        kind=scope.kind,
        label=row.label,
        facility_id=scope.facility_id,
        room_id=scope.room_id,
        language=scope.language,
        owner=owner,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


async def create(
    session: AsyncSession,
    scope: FeedScope,
    actor: Actor,
    *,
    label: str | None,
    public_url: str,
    staff_id: uuid.UUID | None = None,
    owner: str | None = None,
) -> FeedCreatedOut:
    """Issue a feed token (audited) and return it with its links."""
    token, row = tokens.issue(
        session,
        TokenKind.FEED,
        staff_id=staff_id,
        household_id=scope.household_id,
        lifetime=None,
        label=label,
        scope=scope.as_json(),
    )
    await session.flush()
    record(
        session,
        actor,
        "feed.create",
        "feed_token",
        row.id,
        facility_id=scope.facility_id,
        changes={"feed": scope.kind, "room_id": str(scope.room_id) if scope.room_id else None},
    )
    url, webcal = links(public_url, token)
    return FeedCreatedOut(
        **{f: getattr(feed_out(row, owner), f) for f in FeedOut.__struct_fields__},
        token=token,
        url=url,
        webcal_url=webcal,
    )


async def revoke(session: AsyncSession, row: AuthToken, actor: Actor) -> None:
    """Revoke (idempotent, audited)."""
    await tokens.revoke(session, row.id)
    record(
        session,
        actor,
        "feed.revoke",
        "feed_token",
        row.id,
        facility_id=FeedScope.from_json(row.scope, row.household_id).facility_id,
    )


def facility_condition(facility_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """Staff feeds of one facility (the facility id lives in the token's scope)."""
    return sa.and_(
        AuthToken.kind == TokenKind.FEED,
        AuthToken.staff_id.is_not(None),
        AuthToken.scope["facility_id"].as_string() == str(facility_id),
    )


async def resolve(session: AsyncSession, name: str) -> tuple[AuthToken, FeedScope] | None:
    """The live feed token named by the last URL segment (``<token>.ics``) and its scope.

    A staff feed also needs its owner to be active and still hold a role at the facility.
    The time of use is recorded (at most every :data:`LAST_USED_RESOLUTION`) and committed
    with the feed's answer by the request boundary.
    """
    token = name.removesuffix(FEED_SUFFIX)
    if token == name or not token.startswith("vf_") or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = await session.scalar(
        sa.select(AuthToken).where(AuthToken.token_hash == token_digest(token))
    )
    now = utcnow()
    if (
        row is None
        or row.kind is not TokenKind.FEED
        or row.revoked_at is not None
        or (row.expires_at is not None and row.expires_at <= now)
    ):
        return None
    scope = FeedScope.from_json(row.scope, row.household_id)
    if row.staff_id is not None:
        allowed = await session.scalar(
            sa.select(StaffGrant.id)
            .join(StaffMember, StaffMember.id == StaffGrant.staff_id)
            .where(
                StaffGrant.staff_id == row.staff_id,
                StaffMember.is_active.is_(True),
                sa.or_(
                    StaffGrant.role == StaffRole.ADMIN,
                    StaffGrant.facility_id == scope.facility_id,
                ),
            )
            .limit(1)
        )
        if allowed is None:
            return None
    elif scope.household_id is None:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    return row, scope
