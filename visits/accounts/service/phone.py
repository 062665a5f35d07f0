"""Confirming a household's mobile number: a 6-digit code by SMS, sent back by the household.

SMS (reminders and notices) go only to a confirmed number (``notify.outbox.contacts``,
``notify.reminders.plan``). Signing in with a code sent by SMS confirms the number too
(``sign_in.verify_code``); this is the way for a household that is signed in already, e.g.
after changing its number.

A code proves that the household holds the number it has *now*: its digest is salted with the
challenge and the number, so a code sent before the number changed never confirms the new one.
The salt also keeps the two kinds of challenge apart: a confirmation code never signs anyone in
(sign-in digests carry no number), and a sign-in code is never taken here.

The limits are those of sign-in codes: sending counts per client and per number
(``rate_limit.CODE_PER_CLIENT``, ``CODE_PER_ADDRESS``), checking per client
(``VERIFY_PER_CLIENT``), and a code allows ``sign_in.MAX_CODE_ATTEMPTS`` tries; each attempt is
committed at once (a named exception to "the boundary commits"), so that it survives the
rollback of the refusal it leads to.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts import rate_limit
from visits.accounts.principals import HouseholdPrincipal
from visits.accounts.schemas import PhoneConfirmationOut
from visits.accounts.secrets import code_digest, new_code, same_digest
from visits.accounts.service.households import get_household
from visits.accounts.service.sign_in import MAX_CODE_ATTEMPTS
from visits.audit import record
from visits.db.base import utcnow
from visits.db.models import Household, SignInChallenge
from visits.enums import ContactChannel, NoticeKind
from visits.errors import Conflict, Unprocessable
from visits.i18n import N_
from visits.notify import outbox, reminders
from visits.settings import Settings


class NoPhone(Conflict):
    """The household has no mobile number to confirm (409)."""


class PhoneConfirmed(Conflict):
    """The household's mobile number is confirmed already (409)."""


class WrongPhoneCode(Unprocessable):
    """The code is wrong, expired, used up, or was sent to another number (422)."""


def _digest(challenge_id: uuid.UUID, phone: str, code: str) -> str:
    return code_digest(f"{challenge_id}:{phone}", code)


def _wrong_code() -> WrongPhoneCode:
    return WrongPhoneCode(
        "invalid-phone-code",
        N_("The code is wrong, expired or already used. Ask for a new code."),
    )


async def send_code(
    session: AsyncSession, who: HouseholdPrincipal, client: str, minutes: int
) -> PhoneConfirmationOut:
    """Queue a confirmation code by SMS to the household's number (sent after the commit)."""
    household = await get_household(session, who)
    phone = household.phone_e164
    if phone is None:
        raise NoPhone("no-phone", N_("The household has no mobile number. Please add one first."))
    if household.phone_confirmed_at is not None:
        raise PhoneConfirmed("phone-confirmed", N_("The mobile number is confirmed already."))
    await rate_limit.hit(session, rate_limit.CODE_PER_CLIENT, client)
    await rate_limit.hit(session, rate_limit.CODE_PER_ADDRESS, phone)
    challenge_id = uuid.uuid4()
    code = new_code()
    challenge = SignInChallenge(
        id=challenge_id,
        household_id=household.id,
        channel=ContactChannel.SMS,
        code_hash=_digest(challenge_id, phone, code),
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    session.add(challenge)
    outbox.send_code(
        session, household, ContactChannel.SMS, phone, code, minutes, NoticeKind.PHONE_CODE
    )
    return PhoneConfirmationOut(challenge_id=challenge_id, expires_at=challenge.expires_at)


async def confirm(
    session: AsyncSession,
    who: HouseholdPrincipal,
    challenge_id: uuid.UUID,
    code: str,
    client: str,
    settings: Settings,
) -> Household:
    """Check the code of a confirmation challenge of this household; a right one confirms the
    number (audited) and plans reminders of upcoming visits. Every failure answers alike."""
    await rate_limit.hit(session, rate_limit.VERIFY_PER_CLIENT, client)
    household = await get_household(session, who)
    now = utcnow()
    # Count the attempt first and atomically, so parallel guesses cannot exceed the limit.
    claimed = await session.execute(
        sa.update(SignInChallenge)
        .where(
            SignInChallenge.id == challenge_id,
            SignInChallenge.household_id == household.id,
            SignInChallenge.channel == ContactChannel.SMS,
            SignInChallenge.consumed_at.is_(None),
            SignInChallenge.expires_at > now,
            SignInChallenge.attempts < MAX_CODE_ATTEMPTS,
        )
        .values(attempts=SignInChallenge.attempts + 1)
        .returning(SignInChallenge.code_hash)
        .execution_options(synchronize_session=False)
    )
    row = claimed.first()
    await session.commit()  # named exception: the attempt counts even when the code is wrong
    await session.refresh(household)  # the number as it is now
    phone = household.phone_e164
    if row is None or phone is None:
        raise _wrong_code()
    if not same_digest(row.code_hash, _digest(challenge_id, phone, code)):
        raise _wrong_code()
    used = await session.execute(
        sa.update(SignInChallenge)
        .where(SignInChallenge.id == challenge_id, SignInChallenge.consumed_at.is_(None))
        .values(consumed_at=now)
        .returning(SignInChallenge.id)
        .execution_options(synchronize_session=False)
    )
    if used.first() is None:  # a parallel request used it a moment ago
        raise _wrong_code()
    if household.phone_confirmed_at is None:
        household.phone_confirmed_at = now
        record(
            session,
            who.actor,
            "household.phone_confirm",
            "household",
            household.id,
            changes={"phone_confirmed": True},
        )
        await reminders.replan_household(session, household.id, settings)
    return household
