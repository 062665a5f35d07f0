"""Rule parameters per facility (validated, audited) and the staff alerts CF-09/14/15/23."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.booking_helpers import Family, book, demo_family, hold_body
from tests.visit_helpers import book_directly
from visits.db.base import utcnow
from visits.db.models import AuditEvent, Prisoner, PrisonerRestriction, Slot, Visit
from visits.enums import StaffRole


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def headers_for(
    client: Client, db: AsyncSession, family: Family, role: StaffRole
) -> dict[str, str]:
    email = f"{role.value}@example.org"
    await add_staff(db, email, [(role, family.facility_id)])
    return bearer(await staff_token(client, email))


async def test_managers_tune_parameters_and_bookings_follow(
    client: Client, db: AsyncSession, family: Family
) -> None:
    manager = await headers_for(client, db, family, StaffRole.VISITS_MANAGER)
    url = f"/api/v1/staff/facilities/{family.facility_id}/rule-parameters"
    current = (await client.get(url, headers=manager)).json()
    assert current["profile"] == "de-nw"
    assert set(current["available_profiles"]) >= {"de-nw", "en-gb", "generic"}
    assert current["effective"]["lead_min_age"] == 18
    bad = await client.put(
        url,
        headers=manager,
        json={"reason": "try", "profile": "xx-yy", "overrides": {"max_children": -1}},
    )
    assert bad.status_code == 422
    assert [e["name"] for e in bad.json()["errors"]] == ["profile"]
    bad_values = await client.put(
        url,
        headers=manager,
        json={
            "reason": "try",
            "overrides": {
                "max_children": -1,
                "lead_min_age": "old",
                "colour": 1,
                "min_notice_hours": 1,
            },
        },
    )
    assert bad_values.status_code == 422
    assert {e["name"] for e in bad_values.json()["errors"]} == {"overrides.min_notice_hours"}
    bad_values = await client.put(
        url,
        headers=manager,
        json={
            "reason": "try",
            "overrides": {"max_children": -1, "lead_min_age": "old", "colour": 1},
        },
    )
    names = {e["name"] for e in bad_values.json()["errors"]}
    assert {"overrides.max_children", "overrides.lead_min_age", "overrides.colour"} <= names
    tightened = await client.put(
        url,
        headers=manager,
        json={"reason": "small family room this winter", "overrides": {"max_children": 1}},
    )
    assert tightened.status_code == 200, tightened.text
    assert tightened.json()["effective"]["max_children"] == 1
    audit = (
        await db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "rule_parameters.update"))
    ).one()
    assert audit.reason == "small family room this winter"
    await db.commit()
    refused = await client.post(
        "/api/v1/household/holds",
        headers=family.headers,
        json=hold_body(family, family.family_slots[0]),
    )
    assert refused.status_code == 422
    assert "CF-07" in {r["rule_id"] for r in refused.json()["rule_results"]}
    officer = await headers_for(client, db, family, StaffRole.VISITS_OFFICER)
    assert (
        await client.put(url, headers=officer, json={"reason": "x y z", "overrides": {}})
    ).status_code == 403


async def test_alerts_for_a_new_parent_and_a_long_gap(
    client: Client, db: AsyncSession, family: Family
) -> None:
    officer = await headers_for(client, db, family, StaffRole.VISITS_OFFICER)
    url = f"/api/v1/staff/facilities/{family.facility_id}/alerts"
    # The demo parent was admitted 40 days ago and the children never came: CF-15 for both.
    gaps = (await client.get(url, headers=officer)).json()
    assert sorted(a["rule_id"] for a in gaps if a["rule_id"] == "CF-15") == ["CF-15", "CF-15"]
    assert all(a["prison_number"] == "MS-2026-0042" for a in gaps if a["rule_id"] == "CF-15")
    assert not any("Beispiel" in str(a) for a in gaps)  # no children's full names
    # Newly admitted six days ago, no child visit booked: CF-14.
    await db.execute(sa.update(Prisoner).values(admission_date=utcnow().date() - timedelta(days=6)))
    await db.commit()
    fresh = (await client.get(url, headers=officer)).json()
    assert "CF-14" in {a["rule_id"] for a in fresh}
    # A visit with the children booked clears CF-14; a visit yesterday clears CF-15.
    slot = await db.scalar(
        sa.select(Slot).where(Slot.starts_at > utcnow()).order_by(Slot.starts_at)
    )
    assert slot is not None
    await book_directly(db, slot, [30, 6])
    past = await db.scalar(sa.select(Slot).order_by(Slot.starts_at.desc()))
    assert past is not None
    await db.commit()
    after = (await client.get(url, headers=officer)).json()
    assert "CF-14" not in {a["rule_id"] for a in after}


async def test_a_review_reason_is_stored_as_rule_ids_and_read_in_the_callers_language(
    client: Client, db: AsyncSession, family: Family
) -> None:
    db.add(
        PrisonerRestriction(
            prisoner_id=family.prisoner_id, code="no_child_contact", reason="t", recorded_by="t"
        )
    )
    await db.commit()
    booked = await book(client, family, family.family_slots[0])
    assert booked["status"] == "requested"
    visit = await db.get(Visit, uuid.UUID(booked["id"]))
    assert visit is not None
    assert visit.review_reason == "CF-05"
    await db.commit()
    officer = await headers_for(client, db, family, StaffRole.VISITS_OFFICER)
    url = f"/api/v1/staff/visits/{booked['id']}"
    english = (await client.get(f"{url}?lang=en", headers=officer)).json()["review_reason"]
    german = (await client.get(f"{url}?lang=de", headers=officer)).json()["review_reason"]
    assert english.startswith("Safeguarding restriction (no_child_contact): self-booking is")
    assert german.startswith("Schutzauflage (no_child_contact): Die Selbstbuchung ist gesperrt.")
