"""The demo family signed in, with the demo prisoner and a bookable family slot."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, bearer, logged_codes
from visits.db.base import utcnow
from visits.db.models import Facility, Prisoner, Slot, Visitor
from visits.demo import seed_demo
from visits.enums import VisitType

DEMO_EMAIL = "anna.beispiel@example.org"


@dataclass(frozen=True)
class Family:
    headers: dict[str, str]
    facility_id: uuid.UUID
    prisoner_id: uuid.UUID
    adult: uuid.UUID
    children: tuple[uuid.UUID, uuid.UUID]
    family_slots: tuple[uuid.UUID, ...]  # child/family slots at least 3 days ahead, in order

    @property
    def everyone(self) -> list[str]:
        return [str(self.adult), *map(str, self.children)]


async def sign_in(client: Client, caplog: pytest.LogCaptureFixture, email: str) -> dict[str, str]:
    challenge = await client.post("/api/v1/auth/household/code", json={"email": email})
    code = logged_codes(caplog, email)[-1]
    verified = await client.post(
        "/api/v1/auth/household/verify",
        json={"challenge_id": challenge.json()["challenge_id"], "code": code},
    )
    assert verified.status_code == 200, verified.text
    return bearer(verified.json()["token"])


async def demo_family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    await seed_demo(db)
    facility = await db.scalar(sa.select(Facility))
    prisoner = await db.scalar(sa.select(Prisoner))
    visitors = list(await db.scalars(sa.select(Visitor).order_by(Visitor.birth_date)))
    slots = list(
        await db.scalars(
            sa.select(Slot.id)
            .where(
                Slot.visit_type == VisitType.CHILD_FAMILY,
                Slot.starts_at > utcnow() + timedelta(days=3),
            )
            .order_by(Slot.starts_at)
        )
    )
    assert facility is not None
    assert prisoner is not None
    ids = (facility.id, prisoner.id, visitors[0].id, visitors[1].id, visitors[2].id)
    await db.commit()
    headers = await sign_in(client, caplog, DEMO_EMAIL)
    return Family(headers, ids[0], ids[1], ids[2], (ids[4], ids[3]), tuple(slots))


def hold_body(family: Family, slot: uuid.UUID, visitors: list[str] | None = None) -> dict:
    return {
        "prisoner_id": str(family.prisoner_id),
        "slot_id": str(slot),
        "visitor_ids": visitors if visitors is not None else family.everyone,
    }


async def book(client: Client, family: Family, slot: uuid.UUID, **headers: str) -> dict:
    held = await client.post(
        "/api/v1/household/holds", headers=family.headers | headers, json=hold_body(family, slot)
    )
    assert held.status_code == 201, held.text
    confirmed = await client.post(
        f"/api/v1/household/visits/{held.json()['id']}/confirm", headers=family.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    return dict(confirmed.json())
