"""The notice outbox: what a family is told, written with the change that causes it.

A service that changes something a family must hear about calls ``tell_household`` (about a
visit), ``tell_household_of`` (about no visit, e.g. an approval) or, for a sign-in code,
``send_code``, in its own transaction: the notice rows commit or roll back with
the change, so a family is never told about a change that did not happen, nor left untold about
one that did. After the commit, ``SendNotices`` hands the new rows to the dispatcher at once (a
code must not wait for the scheduler's next tick); a row that could not be sent then is retried
by the scheduled dispatcher (``notice_dispatch``).

Rows are stored language-neutral (a kind and its values) and rendered in the household's
language when sent (``notice_texts``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.models import Facility, Household, Notice, Visit
from visits.db.transaction import after_commit
from visits.enums import ContactChannel, NoticeKind, NotifyBy
from visits.notify.notice_dispatch import SendNotices


def contacts(household: Household) -> list[tuple[ContactChannel, str]]:
    """Where the household is told: by the medium it chose (``notify_by``), else by the one it
    has. SMS only to a confirmed mobile number, with consent and not opted out."""
    by_email = (ContactChannel.EMAIL, household.email) if household.email else None
    texts = (
        household.phone_e164
        and household.phone_confirmed_at is not None
        and household.sms_consent
        and household.sms_opted_out_at is None
    )
    by_sms = (ContactChannel.SMS, household.phone_e164) if texts and household.phone_e164 else None
    chosen = {
        NotifyBy.EMAIL: [by_email],
        NotifyBy.SMS: [by_sms],
        NotifyBy.BOTH: [by_email, by_sms],
    }[household.notify_by]
    found = [contact for contact in chosen if contact is not None]
    return found or [contact for contact in (by_email, by_sms) if contact is not None][:1]


def _queue(
    session: AsyncSession,
    household: Household,
    kind: NoticeKind,
    contacts: Sequence[tuple[ContactChannel, str]],
    params: dict[str, Any],
    visit_id: uuid.UUID | None = None,
) -> list[Notice]:
    notices = [
        Notice(
            id=uuid.uuid4(),
            household_id=household.id,
            visit_id=visit_id,
            kind=kind,
            channel=channel,
            address=address,
            language=household.language,
            params=params,
        )
        for channel, address in contacts
    ]
    session.add_all(notices)
    if notices:
        after_commit(session, SendNotices(tuple(notice.id for notice in notices)))
    return notices


async def tell_household(
    session: AsyncSession,
    visit: Visit,
    kind: NoticeKind,
    reason: str = "",
    *,
    by: ContactChannel | None = None,
) -> list[Notice]:
    """Queue ``kind`` about ``visit`` for its household (nothing for a visit without one), by
    the household's channels, or only ``by`` one of them when it is among them."""
    household = await session.get(Household, visit.household_id) if visit.household_id else None
    facility = await session.get(Facility, visit.facility_id)
    if household is None or household.erased_at is not None or facility is None:
        return []
    params = {
        "reference": visit.reference,
        "starts_at": visit.starts_at.isoformat(),
        "timezone": facility.timezone,
        "reason": reason,
    }
    reach = [c for c in contacts(household) if by is None or c[0] is by]
    return _queue(session, household, kind, reach, params, visit.id)


def tell_household_of(
    session: AsyncSession, household: Household, kind: NoticeKind, params: dict[str, Any]
) -> list[Notice]:
    """Queue ``kind``, about no visit (e.g. a decided visitor approval), for the household by
    its channels; nothing for an erased household. ``params`` are language-neutral values."""
    if household.erased_at is not None:
        return []
    return _queue(session, household, kind, contacts(household), params)


def send_code(
    session: AsyncSession,
    household: Household,
    channel: ContactChannel,
    address: str,
    code: str,
    minutes: int,
    kind: NoticeKind = NoticeKind.SIGN_IN_CODE,
) -> list[Notice]:
    """Queue a one-time code (``kind``: to sign in, or to confirm a mobile number) to the
    address it was asked for; it is sent right after the commit."""
    params = {"code": code, "minutes": minutes}
    return _queue(session, household, kind, [(channel, address)], params)
