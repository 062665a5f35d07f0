"""A large sibling group not in the demo: Amal Haddad and her four children, all approved to
visit their father Samir at the demo facility (profile de-nw: at most 3 children per visit,
CF-07), and staff of that facility made here (a visits manager and a visits officer)."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff
from tests.booking_helpers import sign_in
from tests.web.console_helpers import demo_facility
from visits.db.base import utcnow
from visits.db.models import Household, Prisoner, Slot, Visitor, VisitorApproval
from visits.enums import (
    ApprovalStatus,
    CustodyStatus,
    Language,
    Relationship,
    StaffRole,
    VisitType,
)

EMAIL = "amal.haddad@example.net"
MANAGER = "leitung.haddad-test@example.org"
OFFICER = "besuchsdienst.haddad-test@example.org"
CHILD_AGES = (12, 9, 6, 4)


@dataclass(frozen=True)
class LargeFamily:
    headers: dict[str, str]
    facility_id: uuid.UUID
    prisoner_id: uuid.UUID
    household_id: uuid.UUID
    mother: uuid.UUID
    children: tuple[uuid.UUID, ...]
    slots: tuple[uuid.UUID, ...]  # child and family slots from three days ahead, soonest first
    day: date  # the local day of the first slot

    @property
    def everyone(self) -> list[str]:
        return [str(self.mother), *map(str, self.children)]

    def body(
        self, slot: uuid.UUID, visitors: list[str] | None = None, **extra: object
    ) -> dict[str, object]:
        return {
            "prisoner_id": str(self.prisoner_id),
            "slot_id": str(slot),
            "visitor_ids": visitors if visitors is not None else self.everyone,
            **extra,
        }


async def add_large_family(
    db: AsyncSession, facility_id: uuid.UUID, language: str = "en"
) -> LargeFamily:
    """The Haddad household, its prisoner and their approvals at ``facility_id`` (committed;
    not signed in: ``headers`` is empty)."""
    slots = list(
        await db.scalars(
            sa.select(Slot)
            .where(
                Slot.facility_id == facility_id,
                Slot.visit_type == VisitType.CHILD_FAMILY,
                Slot.starts_at > utcnow() + timedelta(days=3),
            )
            .order_by(Slot.starts_at)
        )
    )
    day = slots[0].local_date
    prisoner = Prisoner(
        facility_id=facility_id,
        prison_number="H-2026-0417",
        given_name="Samir",
        family_name="Haddad",
        admission_date=day - timedelta(days=300),
        custody_status=CustodyStatus.SENTENCED,
    )
    household = Household(
        guardian_name="Amal Haddad",
        email=EMAIL,
        language=Language(language),
        sms_consent=False,
    )
    mother = Visitor(
        household=household,
        given_name="Amal",
        family_name="Haddad",
        birth_date=day - relativedelta(years=36, days=50),
        relationship=Relationship.PARTNER,
        is_guardian=True,
    )
    names = ("Yara", "Omar", "Lina", "Sami")
    children = [
        Visitor(
            household=household,
            given_name=name,
            family_name="Haddad",
            birth_date=day - relativedelta(years=age, days=30),
            relationship=Relationship.CHILD,
        )
        for name, age in zip(names, CHILD_AGES, strict=True)
    ]
    db.add_all([prisoner, household, mother, *children])
    await db.flush()
    db.add_all(
        VisitorApproval(
            visitor_id=person.id,
            prisoner_id=prisoner.id,
            status=ApprovalStatus.APPROVED,
            decided_at=utcnow(),
            decided_by="test",
            reason="approved for the test",
        )
        for person in [mother, *children]
    )
    family = LargeFamily(
        headers={},
        facility_id=facility_id,
        prisoner_id=prisoner.id,
        household_id=household.id,
        mother=mother.id,
        children=tuple(c.id for c in children),
        slots=tuple(s.id for s in slots),
        day=day,
    )
    await db.commit()
    return family


async def large_family(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture, language: str = "en"
) -> LargeFamily:
    """The Haddad household at the demo facility, signed in through the API (headers in
    ``language``), and the facility's new staff."""
    facility_id = await demo_facility(db)
    family = await add_large_family(db, facility_id, language)
    await add_staff(db, MANAGER, [(StaffRole.VISITS_MANAGER, facility_id)])
    await add_staff(db, OFFICER, [(StaffRole.VISITS_OFFICER, facility_id)])
    headers = await sign_in(client, caplog, EMAIL) | {"Accept-Language": language}
    return dataclasses.replace(family, headers=headers)
