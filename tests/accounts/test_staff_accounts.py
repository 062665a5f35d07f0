"""Staff accounts: argon2 passwords, sign-in, admin API, revocation, audit, rate limits."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client, add_staff, bearer, staff_token
from visits.db.models import AuditEvent, Facility, StaffMember
from visits.demo import seed_demo
from visits.enums import StaffRole


async def facility_id(db: AsyncSession):  # type: ignore[no-untyped-def]
    await seed_demo(db)
    found = await db.scalar(sa.select(Facility.id))
    await db.commit()
    return found


async def test_passwords_are_argon2_hashes(db: AsyncSession) -> None:
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    stored = await db.scalar(sa.select(StaffMember.password_hash))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert STAFF_PASSWORD not in stored


async def test_wrong_password_and_unknown_account_answer_alike(
    client: Client, db: AsyncSession
) -> None:
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    wrong = await client.post(
        "/api/v1/auth/staff/sign-in", json={"email": "root@example.org", "password": "nope"}
    )
    unknown = await client.post(
        "/api/v1/auth/staff/sign-in", json={"email": "ghost@example.org", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["type"] == "urn:visits:problem:invalid-credentials"
    failed = await db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "staff.sign_in_failed")
    )
    assert failed == 1


async def test_staff_sign_in_is_rate_limited_per_email(client: Client, db: AsyncSession) -> None:
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    statuses = [
        (
            await client.post(
                "/api/v1/auth/staff/sign-in",
                json={"email": "root@example.org", "password": "wrong"},
            )
        ).status_code
        for _ in range(11)
    ]
    assert statuses == [401] * 10 + [429]


async def test_admin_creates_and_disables_staff_with_audit(
    client: Client, db: AsyncSession
) -> None:
    where = await facility_id(db)
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    admin = bearer(await staff_token(client, "root@example.org"))
    created = await client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={
            "email": "Officer@Example.org",
            "name": "Olga Officer",
            "password": "a long enough password",
            "grants": [{"role": "visits_officer", "facility_id": str(where)}],
        },
    )
    assert created.status_code == 201, created.text
    officer_id = created.json()["id"]
    assert created.json()["email"] == "officer@example.org"
    listed = await client.get("/api/v1/admin/staff", headers=admin)
    assert listed.json()["total"] == 2

    officer = await client.post(
        "/api/v1/auth/staff/sign-in",
        json={"email": "officer@example.org", "password": "a long enough password"},
    )
    officer_token = officer.json()["token"]
    assert (await client.get("/api/v1/auth/me", headers=bearer(officer_token))).json()[
        "kind"
    ] == "staff"

    disabled = await client.patch(
        f"/api/v1/admin/staff/{officer_id}",
        headers=admin,
        json={"is_active": False, "reason": "left the service"},
    )
    assert disabled.status_code == 200
    assert disabled.json()["is_active"] is False
    assert (await client.get("/api/v1/auth/me", headers=bearer(officer_token))).status_code == 401

    trail = await client.get(
        "/api/v1/staff/audit",
        headers=admin,
        params={"object_type": "staff_member", "object_id": officer_id},
    )
    actions = [e["action"] for e in trail.json()["items"]]
    assert actions[0] == "staff.create"
    assert "staff.sign_in" in actions
    assert actions[-1] == "staff.update"
    last = trail.json()["items"][-1]
    assert last["reason"] == "left the service"
    assert last["actor_role"] == "admin"
    assert last["changes"]["is_active"] == [True, False]


async def test_invalid_staff_bodies_list_every_problem(client: Client, db: AsyncSession) -> None:
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    admin = bearer(await staff_token(client, "root@example.org"))
    response = await client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={
            "email": "x",
            "name": "",
            "password": "short",
            "grants": [{"role": "visits_officer"}, {"role": "jailer"}],
        },
    )
    assert response.status_code == 422
    names = {e["name"] for e in response.json()["errors"]}
    assert {"name", "password", "grants"} <= names
    officer_without_facility = await client.post(
        "/api/v1/admin/staff",
        headers=admin,
        json={
            "email": "o@example.org",
            "name": "O",
            "password": "long enough pass",
            "grants": [{"role": "visits_officer"}],
        },
    )
    assert officer_without_facility.status_code == 422
    assert officer_without_facility.json()["errors"][0]["name"] == "grants[0]"
