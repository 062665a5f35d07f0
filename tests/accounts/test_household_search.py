"""Staff finding a caller's household, and setting one up, through the staff API (the console's
phone booking uses the same service), on SQLite and PostgreSQL.

Staff find households connected to their facility by name or prison number, and any household
only by its exact e-mail address or mobile number; the booking roles only; erased households
never. Every family and facility here is made in the test, none from the demo.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from visits.db.base import utcnow
from visits.db.models import AuditEvent, Facility, Household, Prisoner, VisitorApproval
from visits.enums import ApprovalStatus, CustodyStatus, Language, StaffRole


async def _facility(db: AsyncSession, slug: str) -> uuid.UUID:
    facility = Facility(
        slug=slug,
        name=f"JVA {slug}",
        timezone="Europe/Berlin",
        street="Weg 1",
        postal_code="12345",
        city="Ort",
        country="DE",
        email=f"besuch@{slug}.example",
        rule_profile="de-nw",
    )
    db.add(facility)
    await db.flush()
    db.add(
        Prisoner(
            facility_id=facility.id,
            prison_number=f"{slug.upper()}-0001",
            given_name="Piet",
            family_name="Brandt",
            admission_date=utcnow().date() - timedelta(days=30),
            custody_status=CustodyStatus.SENTENCED,
        )
    )
    await db.commit()
    return facility.id


def _household(prison_number: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "guardian_name": "Jana Brandt",
        "language": "de",
        "phone": "0160 9876543",
        "email": "jana.brandt@example.org",
        "prison_number": prison_number,
        "people": [
            {
                "given_name": "Jana",
                "family_name": "Brandt",
                "birth_date": "1988-11-02",
                "relationship": "partner",
                "is_guardian": True,
            },
            {
                "given_name": "Tom",
                "family_name": "Brandt",
                "birth_date": "2018-05-20",
                "relationship": "child",
            },
        ],
    }
    return body | changes


async def test_staff_find_their_facilitys_families_and_others_only_by_exact_contact(
    client: Client, db: AsyncSession
) -> None:
    here = await _facility(db, "hier")
    there = await _facility(db, "dort")
    await add_staff(db, "officer@hier.example", [(StaffRole.VISITS_OFFICER, here)])
    await add_staff(db, "officer@dort.example", [(StaffRole.VISITS_MANAGER, there)])
    await add_staff(db, "lead@hier.example", [(StaffRole.SAFEGUARDING_LEAD, here)])
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    online = Household(
        guardian_name="Jana Online",
        email="online.family@example.org",
        language=Language("de"),
    )
    erased = Household(
        guardian_name="Jana Erased",
        email="erased.family@example.org",
        language=Language("de"),
        erased_at=utcnow(),
    )
    db.add_all([online, erased])
    await db.commit()
    officer = bearer(await staff_token(client, "officer@hier.example"))
    url = f"/api/v1/staff/facilities/{here}/households"

    created = await client.post(url, headers=officer, json=_household("hier-0001"))
    assert created.status_code == 201, created.text
    household = created.json()
    assert household["phone"] == "+491609876543"
    assert household["connected"] is True
    assert [p["given_name"] for p in household["people"]] == ["Jana", "Tom"]
    approvals = list(await db.scalars(sa.select(VisitorApproval)))
    assert [a.status for a in approvals] == [ApprovalStatus.PENDING] * 2
    await db.commit()

    def ids(answer: object) -> list[str]:
        return [item["id"] for item in answer.json()["items"]]  # type: ignore[attr-defined]

    for query in ("brandt", "TOM", "jana bra", "HIER-0001", "+49 (160) 987-65-43", "0160/9876543"):
        found = await client.get(url, headers=officer, params={"q": query})
        assert found.status_code == 200, found.text
        assert ids(found) == [household["id"]], query
    assert (await client.get(url, headers=officer, params={"q": "Jana"})).json()["total"] == 1
    for nobody in ("%", "_", "J", "dort-0001", "Jana Online", "erased.family@example.org"):
        assert ids(await client.get(url, headers=officer, params={"q": nobody})) == [], nobody
    by_address = await client.get(url, headers=officer, params={"q": " Online.Family@EXAMPLE.org "})
    assert [(i["id"], i["connected"]) for i in by_address.json()["items"]] == [
        (str(online.id), False)
    ]

    elsewhere = bearer(await staff_token(client, "officer@dort.example"))
    there_url = f"/api/v1/staff/facilities/{there}/households"
    for query in ("Brandt", "hier-0001", "Tom"):
        answer = await client.get(there_url, headers=elsewhere, params={"q": query})
        assert answer.json()["total"] == 0, query
    exact = await client.get(there_url, headers=elsewhere, params={"q": "+491609876543"})
    assert [(i["id"], i["connected"]) for i in exact.json()["items"]] == [(household["id"], False)]
    assert (await client.get(url, headers=elsewhere, params={"q": "Brandt"})).status_code == 403

    lead = bearer(await staff_token(client, "lead@hier.example"))
    assert (await client.get(url, headers=lead, params={"q": "Brandt"})).status_code == 403
    assert (await client.post(url, headers=lead, json=_household("hier-0001"))).status_code == 403
    root = bearer(await staff_token(client, "root@example.org"))
    missing = await client.get(
        f"/api/v1/staff/facilities/{uuid.uuid4()}/households", headers=root, params={"q": "x"}
    )
    assert missing.status_code == 404
    assert missing.json()["type"] == "urn:visits:problem:facility-not-found"
    assert (await client.get(url, headers=officer)).status_code == 400  # q is required


async def test_setting_up_a_household_checks_every_field_and_is_audited(
    client: Client, db: AsyncSession
) -> None:
    here = await _facility(db, "hier")
    await add_staff(db, "officer@hier.example", [(StaffRole.VISITS_OFFICER, here)])
    officer = bearer(await staff_token(client, "officer@hier.example"))
    url = f"/api/v1/staff/facilities/{here}/households"

    bad = _household("nobody-0000", email=None, phone=None, notify_by="sms")
    people = bad["people"]
    assert isinstance(people, list)
    people[1] = people[1] | {"birth_date": "2999-01-01"}
    refused = await client.post(url, headers=officer, json=bad)
    assert refused.status_code == 422
    assert {e["name"] for e in refused.json()["errors"]} == {"email", "people[1].birth_date"}
    unknown = await client.post(url, headers=officer, json=_household("nobody-0000"))
    assert unknown.status_code == 422
    assert [e["name"] for e in unknown.json()["errors"]] == ["prison_number"]
    no_people = await client.post(url, headers=officer, json=_household("hier-0001", people=[]))
    assert no_people.status_code == 422
    assert await db.scalar(sa.select(sa.func.count()).select_from(Household)) == 0
    await db.commit()

    created = await client.post(url, headers=officer, json=_household("hier-0001"))
    assert created.status_code == 201, created.text
    taken = await client.post(
        url,
        headers=officer,
        json=_household("hier-0001", email="other@example.org", phone="+49 160 9876543"),
    )
    assert taken.status_code == 422
    assert taken.json()["type"] == "urn:visits:problem:contact-unavailable"
    assert [e["name"] for e in taken.json()["errors"]] == ["phone"]
    events = list(
        await db.scalars(
            sa.select(AuditEvent).where(AuditEvent.facility_id == here).order_by(AuditEvent.action)
        )
    )
    assert sorted(e.action for e in events) == [
        "approval.request",
        "approval.request",
        "household.create",
        "visitor.create",
        "visitor.create",
    ]
    assert {(e.actor_role, e.channel.value) for e in events} == {("visits_officer", "phone")}
    assert all("Brandt" not in str(e.changes) for e in events)
