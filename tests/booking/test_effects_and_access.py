"""The booking service writes what the household is told into the notice outbox, in the
transaction of the change, and registers the invite e-mail; the one loader of a visit decides
who sees it."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.booking_helpers import DEMO_EMAIL, Family, book, demo_family
from visits.accounts.principals import ALL_ROLES, HouseholdPrincipal, StaffPrincipal
from visits.booking import service
from visits.booking.dependencies import (
    ForHousehold,
    ForStaff,
    caller_in_role,
    household_caller,
    visit_for,
)
from visits.calendar.mail import InviteMail
from visits.db import transaction
from visits.db.models import Facility, Household, Notice
from visits.enums import ContactChannel, NoticeKind, StaffRole
from visits.errors import Forbidden, NotFound
from visits.notify.notice_dispatch import SendNotices
from visits.settings import Settings


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def _household(db: AsyncSession) -> HouseholdPrincipal:
    found = await db.scalar(sa.select(Household.id).where(Household.email == DEMO_EMAIL))
    assert found is not None
    return HouseholdPrincipal(household_id=found, token_id=uuid.uuid4())


def _staff(facility_id: uuid.UUID, role: StaffRole) -> StaffPrincipal:
    return StaffPrincipal(
        staff_id=uuid.uuid4(),
        token_id=uuid.uuid4(),
        name="Officer",
        grants=frozenset({(role, facility_id)}),
    )


async def test_a_cancellation_tells_the_household_only_when_staff_cancel(
    client: Client, db: AsyncSession, family: Family
) -> None:
    mine = uuid.UUID((await book(client, family, family.family_slots[0]))["id"])
    household = await _household(db)
    visit = await visit_for(db, mine, ForHousehold(household.household_id), lock=True)
    await service.cancel(
        db,
        household_caller(household, "en"),
        visit,
        reason=None,
        cutoff_hours=0,
        settings=Settings(),
    )
    assert await transaction.commit(db) == [InviteMail(mine)]
    assert (await db.scalars(sa.select(Notice).where(Notice.visit_id.is_not(None)))).all() == []
    await db.commit()  # SQLite: a reading session would otherwise keep the write lock

    theirs = uuid.UUID((await book(client, family, family.family_slots[0]))["id"])
    officer = _staff(family.facility_id, StaffRole.VISITS_OFFICER)
    visit = await visit_for(db, theirs, ForStaff(officer, ALL_ROLES), lock=True)
    caller = caller_in_role(officer, StaffRole.VISITS_OFFICER, "en")
    await service.cancel(
        db, caller, visit, reason="Room closed", cutoff_hours=0, settings=Settings()
    )
    [notice] = (await db.scalars(sa.select(Notice).where(Notice.visit_id.is_not(None)))).all()
    assert await transaction.commit(db) == [InviteMail(theirs), SendNotices((notice.id,))]
    assert (notice.visit_id, notice.kind) == (theirs, NoticeKind.VISIT_CANCELLED)
    assert (notice.channel, notice.address) == (ContactChannel.EMAIL, DEMO_EMAIL)
    assert notice.params["reason"] == "Room closed"


async def test_stale_requests_are_rejected_with_a_notice_and_a_cancelled_invite(
    client: Client, db: AsyncSession, family: Family
) -> None:
    await db.execute(sa.update(Facility).values(request_mode=True))
    await db.commit()
    pending = uuid.UUID((await book(client, family, family.family_slots[0]))["id"])
    await service.reject_stale_requests(db, cutoff_hours=24 * 60)
    [notice] = (await db.scalars(sa.select(Notice).where(Notice.visit_id.is_not(None)))).all()
    assert await transaction.commit(db) == [SendNotices((notice.id,)), InviteMail(pending)]
    assert (notice.visit_id, notice.kind) == (pending, NoticeKind.REQUEST_EXPIRED)
    assert notice.params["reason"] == ""  # the staff's (here: the system's) reason is not told


async def test_a_visit_is_missing_for_whoever_may_not_see_it(
    client: Client, db: AsyncSession, family: Family
) -> None:
    visit_id = uuid.UUID((await book(client, family, family.family_slots[0]))["id"])
    household = await _household(db)
    assert (await visit_for(db, visit_id, ForHousehold(household.household_id))).id == visit_id
    with pytest.raises(NotFound):
        await visit_for(db, visit_id, ForHousehold(uuid.uuid4()))
    with pytest.raises(NotFound):
        await visit_for(db, uuid.uuid4(), ForHousehold(household.household_id))
    lead = _staff(family.facility_id, StaffRole.SAFEGUARDING_LEAD)
    with pytest.raises(NotFound):  # a page of another facility
        await visit_for(db, visit_id, ForStaff(lead, ALL_ROLES, facility_id=uuid.uuid4()))
    with pytest.raises(Forbidden):  # at the facility, but not in a role the operation allows
        await visit_for(db, visit_id, ForStaff(lead, frozenset({StaffRole.VISITS_OFFICER})))
    elsewhere = _staff(uuid.uuid4(), StaffRole.VISITS_OFFICER)
    with pytest.raises(Forbidden):
        await visit_for(db, visit_id, ForStaff(elsewhere, ALL_ROLES))
