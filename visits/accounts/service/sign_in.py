"""Household sign-up and passwordless sign-in with one-time codes; staff sign-in.

No enumeration: asking for a code, or signing up with an address that is taken, answers exactly
as for a new address. A code is sent only to an existing household: it is queued in the notice
outbox with the challenge it answers and sent as soon as both are committed (after the
response); for any other address a challenge is stored that no code can satisfy.

Failed attempts are counted in commits of their own (``rate_limit.hit``, a code's attempts, a
failed staff sign-in's audit record): they must survive the rollback of the refusal they lead
to. Everything else is committed by the request's boundary.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts import rate_limit, tokens
from visits.accounts.schemas import ChallengeOut, CodeRequestIn, SignUpIn, TokenOut
from visits.accounts.secrets import code_digest, new_code, same_digest, verify_password
from visits.audit import Actor, record
from visits.db.base import utcnow
from visits.db.models import Household, SignInChallenge, StaffMember
from visits.enums import ActorType, Channel, ContactChannel, NotifyBy, TokenKind
from visits.errors import Unauthenticated
from visits.i18n import N_, translate
from visits.notify import outbox
from visits.validation import field_error, invalid_body, normalise_email, normalise_mobile

MAX_CODE_ATTEMPTS = 5
# normalise_email lets control characters other than whitespace through; a NUL would reach
# the database (PostgreSQL refuses it: a 500) and other controls an e-mail header.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
BEARER: Final = "Bearer"  # the token type
_SENT = N_("If the address belongs to a household, a sign-in code is on its way.")


@dataclass(frozen=True)
class Contact:
    channel: ContactChannel
    address: str  # normalised e-mail or E.164


def has_controls(text: str) -> bool:
    return _CONTROLS.search(text) is not None


def email_address(value: str) -> str:
    """``normalise_email`` that also refuses control characters (ValueError)."""
    if has_controls(value):
        raise ValueError("is not a valid e-mail address")
    return normalise_email(value)


def contact_from(
    email: str | None, phone: str | None, default_region: str = "DE"
) -> tuple[str | None, str | None]:
    """Normalised e-mail and phone (national numbers read in ``default_region``), or a 422
    problem naming each bad one."""
    errors = []
    clean_email = clean_phone = None
    if email:
        try:
            clean_email = email_address(email)
        except ValueError as exc:
            errors.append(field_error("email", str(exc)))
    if phone:
        try:
            clean_phone = normalise_mobile(phone, default_region)
        except ValueError as exc:
            errors.append(field_error("phone", str(exc)))
    if errors:
        raise invalid_body(errors)
    return clean_email, clean_phone


async def _find_household(session: AsyncSession, contact: Contact) -> Household | None:
    column = Household.email if contact.channel == ContactChannel.EMAIL else Household.phone_e164
    return await session.scalar(sa.select(Household).where(column == contact.address))


def _challenge(
    session: AsyncSession,
    contact: Contact,
    household: Household | None,
    minutes: int,
    language: str,
) -> ChallengeOut:
    challenge_id = uuid.uuid4()
    code = new_code()
    challenge = SignInChallenge(
        id=challenge_id,
        household_id=household.id if household else None,
        channel=contact.channel,
        code_hash=code_digest(str(challenge_id), code),
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    session.add(challenge)
    if household is not None:
        outbox.send_code(session, household, contact.channel, contact.address, code, minutes)
    return ChallengeOut(
        challenge_id=challenge_id,
        channel=contact.channel,
        expires_at=challenge.expires_at,
        message=translate(language, _SENT),
    )


async def sign_up(
    session: AsyncSession,
    data: SignUpIn,
    client: str,
    minutes: int,
    default_region: str = "DE",
) -> ChallengeOut:
    """Create the household unless its address is taken; either way a code challenge follows.
    National mobile numbers are read in ``default_region`` (the pages pass the facilities'
    country)."""
    email, phone = contact_from(data.email, data.phone, default_region)
    contact = Contact(ContactChannel.SMS, phone) if phone and not email else None
    contact = contact or Contact(ContactChannel.EMAIL, email or "")
    await rate_limit.hit(session, rate_limit.CODE_PER_CLIENT, client)
    await rate_limit.hit(session, rate_limit.CODE_PER_ADDRESS, contact.address)
    household = await _find_household(session, contact)
    if household is None:
        household = Household(
            guardian_name=data.guardian_name,
            email=email,
            phone_e164=phone,
            language=data.language,
            sms_consent=data.sms_consent and phone is not None,
            notify_by=NotifyBy.SMS if phone and not email else NotifyBy.EMAIL,
        )
        try:
            async with session.begin_nested():
                session.add(household)
        except IntegrityError:
            # The other address is taken by another household: answer as if all went well.
            return _challenge(session, contact, None, minutes, data.language)
        record(
            session,
            Actor(ActorType.HOUSEHOLD, str(household.id), None, Channel.ONLINE),
            "household.sign_up",
            "household",
            household.id,
        )
    return _challenge(session, contact, household, minutes, data.language)


async def request_code(
    session: AsyncSession,
    data: CodeRequestIn,
    client: str,
    minutes: int,
    language: str,
) -> ChallengeOut:
    email, phone = contact_from(data.email, data.phone)
    contact = (
        Contact(ContactChannel.EMAIL, email) if email else Contact(ContactChannel.SMS, phone or "")
    )
    await rate_limit.hit(session, rate_limit.CODE_PER_CLIENT, client)
    await rate_limit.hit(session, rate_limit.CODE_PER_ADDRESS, contact.address)
    household = await _find_household(session, contact)
    return _challenge(session, contact, household, minutes, language)


def _invalid_code() -> Unauthenticated:
    return Unauthenticated(
        "invalid-code", "The code is wrong, expired or already used. Ask for a new code."
    )


async def verify_code(
    session: AsyncSession,
    challenge_id: uuid.UUID,
    code: str,
    client: str,
    lifetime: timedelta,
) -> TokenOut:
    """Exchange a code for a household token. Codes expire, are single-use and allow
    ``MAX_CODE_ATTEMPTS`` tries; every failure gets the same answer."""
    await rate_limit.hit(session, rate_limit.VERIFY_PER_CLIENT, client)
    now = utcnow()
    # Count the attempt first and atomically, so parallel guesses cannot exceed the limit.
    claimed = await session.execute(
        sa.update(SignInChallenge)
        .where(
            SignInChallenge.id == challenge_id,
            SignInChallenge.consumed_at.is_(None),
            SignInChallenge.expires_at > now,
            SignInChallenge.attempts < MAX_CODE_ATTEMPTS,
        )
        .values(attempts=SignInChallenge.attempts + 1)
        .returning(SignInChallenge.household_id, SignInChallenge.code_hash, SignInChallenge.channel)
    )
    row = claimed.first()
    await session.commit()  # named exception: the attempt counts even when the code is wrong
    if row is None or row.household_id is None:
        raise _invalid_code()
    if not same_digest(row.code_hash, code_digest(str(challenge_id), code)):
        raise _invalid_code()
    used = await session.execute(
        sa.update(SignInChallenge)
        .where(SignInChallenge.id == challenge_id, SignInChallenge.consumed_at.is_(None))
        .values(consumed_at=now)
        .returning(SignInChallenge.id)
    )
    if used.first() is None:  # a parallel request used it a moment ago
        raise _invalid_code()
    if row.channel == ContactChannel.SMS:  # the code came back from the household's phone
        await session.execute(
            sa.update(Household)
            .where(Household.id == row.household_id, Household.phone_confirmed_at.is_(None))
            .values(phone_confirmed_at=now)
        )
    token, token_row = tokens.issue(
        session, TokenKind.HOUSEHOLD, household_id=row.household_id, lifetime=lifetime
    )
    record(
        session,
        Actor(ActorType.HOUSEHOLD, str(row.household_id), None, Channel.ONLINE),
        "household.sign_in",
        "household",
        row.household_id,
    )
    assert token_row.expires_at is not None
    return TokenOut(token=token, token_type=BEARER, expires_at=token_row.expires_at)


async def staff_sign_in(
    session: AsyncSession, email: str, password: str, client: str, lifetime: timedelta
) -> TokenOut:
    address = email.strip().lower()
    await rate_limit.hit(session, rate_limit.STAFF_PER_CLIENT, client)
    await rate_limit.hit(session, rate_limit.STAFF_PER_EMAIL, address)
    staff = (
        None
        if has_controls(address)  # no such address can exist; PostgreSQL would refuse a NUL
        else await session.scalar(sa.select(StaffMember).where(StaffMember.email == address))
    )
    valid = verify_password(staff.password_hash if staff else None, password)
    if staff is None or not valid or not staff.is_active:
        if staff is not None:
            record(
                session,
                Actor(ActorType.STAFF, str(staff.id), None, Channel.ONLINE),
                "staff.sign_in_failed",
                "staff_member",
                staff.id,
            )
            await session.commit()  # named exception: the failed attempt stays audited
        raise Unauthenticated("invalid-credentials", "The e-mail address or password is wrong.")
    staff.last_sign_in_at = utcnow()
    token, row = tokens.issue(session, TokenKind.STAFF, staff_id=staff.id, lifetime=lifetime)
    record(
        session,
        Actor(ActorType.STAFF, str(staff.id), None, Channel.ONLINE),
        "staff.sign_in",
        "staff_member",
        staff.id,
    )
    assert row.expires_at is not None
    return TokenOut(token=token, token_type=BEARER, expires_at=row.expires_at)


async def sign_out(
    session: AsyncSession,
    token_id: uuid.UUID,
    *,
    staff_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
) -> None:
    """Revoke one token of a staff member (``staff_id``) or a household (``household_id``) and
    audit the sign-out; the account's other tokens stay valid."""
    await tokens.revoke(session, token_id)
    if staff_id is not None:
        actor = Actor(ActorType.STAFF, str(staff_id), None, Channel.ONLINE)
        record(session, actor, "sign_out", "staff_member", staff_id)
    else:
        actor = Actor(ActorType.HOUSEHOLD, str(household_id), None, Channel.ONLINE)
        record(session, actor, "sign_out", "household", household_id)
