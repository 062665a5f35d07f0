"""The contract of the staff API for prisoners, visitor approvals and audit trails.

Each operation says what it does and which problems it can answer; lists have clean page
names; audit events and alerts are typed to the last field. Hostile input (control
characters, texts beyond their bound, unknown states, impossible dates, query parameters with
a NUL) gets a 422 naming the field or a 400 naming the parameter, never a 500. A facility that
does not exist is 404 for an admin and 403 for everyone else (no hint that it exists), and one
prison number registered from several processes at once ends in one prisoner.
"""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from typing import Any

import msgspec
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts.test_contract import (
    CONTROL_TEXTS,
    arms,
    declared_slugs,
    field_names,
    operation,
    resolve,
    string_fields,
    untyped,
)
from tests.accounts.test_contract import spec as spec  # the served document, once per module
from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from visits.accounts.principals import StaffPrincipal
from visits.db.base import utcnow
from visits.db.engine import create_engine, create_session_factory
from visits.db.models import Facility, Prisoner, VisitorApproval
from visits.demo import seed_demo
from visits.enums import ActorType, Channel, CustodyStatus, StaffRole
from visits.errors import DomainError
from visits.pagination import Page
from visits.people.alerts import AlertOut, facility_alerts
from visits.people.schemas import AuditEventOut, PrisonerIn
from visits.people.service import prisoners

STAFF_COMMON = {400: {"invalid-parameters"}, 401: {"unauthenticated"}, 403: {"forbidden"}}
STAFF_BODY = STAFF_COMMON | {400: {"invalid-parameters", "invalid-request"}}
DECLARED: dict[tuple[str, str], dict[int, set[str]]] = {
    ("get", "/api/v1/staff/facilities/{facility_id}/prisoners"): STAFF_COMMON
    | {404: {"facility-not-found"}},
    ("post", "/api/v1/staff/facilities/{facility_id}/prisoners"): STAFF_BODY
    | {404: {"facility-not-found"}, 409: {"prisoner-exists"}, 422: {"invalid-body"}},
    ("get", "/api/v1/staff/facilities/{facility_id}/approvals"): STAFF_COMMON
    | {404: {"facility-not-found"}},
    ("post", "/api/v1/staff/approvals/{approval_id}/decision"): STAFF_BODY
    | {404: {"approval-not-found"}, 422: {"invalid-body"}},
    ("get", "/api/v1/staff/audit"): STAFF_COMMON,
}
PAGES = {
    "/api/v1/staff/facilities/{facility_id}/prisoners": "PrisonerPage",
    "/api/v1/staff/facilities/{facility_id}/approvals": "StaffApprovalPage",
    "/api/v1/staff/audit": "AuditEventPage",
}


def test_each_operation_is_described_and_declares_its_problems(spec: dict[str, Any]) -> None:
    for (method, path), expected in DECLARED.items():
        op = operation(spec, method, path)
        assert len(op.get("description", "")) >= 60, f"{method} {path}"
        assert op.get("summary")
        assert declared_slugs(op) == expected, f"{method} {path}"
        assert untyped(spec, op, f"{method} {path}", set()) == []


def test_lists_have_clean_page_names_and_typed_items(spec: dict[str, Any]) -> None:
    for path, name in PAGES.items():
        ok = operation(spec, "get", path)["responses"]["200"]["content"]["application/json"]
        assert ok["schema"] == {"$ref": f"#/components/schemas/{name}"}
    schemas = spec["components"]["schemas"]
    event = schemas["AuditEventOut"]["properties"]
    assert event["actor_type"] == {"$ref": "#/components/schemas/ActorType"}
    assert event["channel"] == {"$ref": "#/components/schemas/Channel"}
    assert event["changes"]["additionalProperties"]["description"]
    params = schemas["AlertOut"]["properties"]["params"]["additionalProperties"]
    assert {arm["type"] for arm in arms(params)} == {
        "string",
        "integer",
        "number",
        "boolean",
        "null",
    }


def test_request_texts_are_bounded_one_line_and_exemplified(spec: dict[str, Any]) -> None:
    for method, path in DECLARED:
        body = operation(spec, method, path).get("requestBody")
        if body is None:
            continue
        schema = body["content"]["application/json"]["schema"]
        assert schema.get("examples"), path
        for name, field in string_fields(resolve(spec, schema)):
            if "format" in field:
                continue
            assert "maxLength" in field, (path, name)
            assert field["pattern"].startswith("^"), (path, name)
    audit = {p["name"]: p for p in operation(spec, "get", "/api/v1/staff/audit")["parameters"]}
    for name in ("object_type", "object_id"):
        assert audit[name]["schema"]["maxLength"] <= 64
        assert audit[name]["schema"]["pattern"].startswith("^")


@pytest.fixture
async def facility(db: AsyncSession) -> uuid.UUID:
    await seed_demo(db)
    found = await db.scalar(sa.select(Facility.id))
    assert isinstance(found, uuid.UUID)
    await db.commit()
    return found


async def test_an_unknown_facility_is_404_for_admins_and_403_for_others(
    client: Client, db: AsyncSession, facility: uuid.UUID
) -> None:
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, facility)])
    admin = bearer(await staff_token(client, "root@example.org"))
    officer = bearer(await staff_token(client, "officer@example.org"))
    nowhere = f"/api/v1/staff/facilities/{uuid.uuid4()}"
    prisoner = {
        "prison_number": "X-1",
        "given_name": "A",
        "family_name": "B",
        "admission_date": "2026-01-05",
        "custody_status": "remand",
    }
    for method, path, body in (
        ("GET", f"{nowhere}/prisoners", None),
        ("GET", f"{nowhere}/approvals", None),
        ("POST", f"{nowhere}/prisoners", prisoner),
    ):
        as_admin = await client.request(method, path, headers=admin, json=body)
        assert as_admin.status_code == 404, as_admin.text
        assert as_admin.json()["type"] == "urn:visits:problem:facility-not-found"
        as_officer = await client.request(method, path, headers=officer, json=body)
        assert as_officer.status_code == 403
        assert as_officer.json()["type"] == "urn:visits:problem:forbidden"
    listed = await client.get(f"/api/v1/staff/facilities/{facility}/prisoners", headers=officer)
    assert listed.status_code == 200
    held = await db.scalar(
        sa.select(sa.func.count()).select_from(Prisoner).where(Prisoner.facility_id == facility)
    )
    assert held
    assert listed.json()["total"] == held


async def test_prisoner_and_decision_bodies_refuse_hostile_values(
    client: Client, db: AsyncSession, facility: uuid.UUID
) -> None:
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, facility)])
    officer = bearer(await staff_token(client, "officer@example.org"))
    prisoners = f"/api/v1/staff/facilities/{facility}/prisoners"
    body = {
        "prison_number": "X-1",
        "given_name": "Jonas",
        "family_name": "Muster",
        "admission_date": "2026-01-05",
        "custody_status": "remand",
    }
    for field, values in (
        ("prison_number", [*CONTROL_TEXTS, "x" * 33]),
        ("given_name", [*CONTROL_TEXTS, "x" * 101]),
        ("family_name", [*CONTROL_TEXTS, "x" * 101]),
        ("admission_date", ["9999-12-31", "2026-02-30", "", "01.01.2026", 2026]),
        ("custody_status", ["free", "", None, "REMAND"]),
    ):
        for value in values:
            response = await client.post(prisoners, headers=officer, json=body | {field: value})
            assert field_names(response) == {field}, (field, repr(value))
    tomorrow = (utcnow().date() + timedelta(days=2)).isoformat()
    future = await client.post(prisoners, headers=officer, json=body | {"admission_date": tomorrow})
    # German, the default language when the request names none
    assert future.json()["errors"][0]["detail"] == "darf nicht in der Zukunft liegen"

    approval = await db.scalar(sa.select(VisitorApproval.id))
    await db.commit()
    decision = f"/api/v1/staff/approvals/{approval}/decision"
    verdict = {"status": "approved", "reason": "Birth certificate seen."}
    yesterday = (utcnow().date() - timedelta(days=2)).isoformat()
    for field, values in (
        ("status", ["pending", "maybe", "", None]),
        ("reason", [*CONTROL_TEXTS, "ok", "x" * 2001]),
        ("court_permit_until", [yesterday, "9999-13-01", "tomorrow"]),
    ):
        for value in values:
            response = await client.post(decision, headers=officer, json=verdict | {field: value})
            assert field_names(response) == {field}, (field, repr(value))
    missing = await client.post(decision, headers=officer, json={"status": "approved"})
    assert field_names(missing) == {"reason"}
    decided = await client.post(decision, headers=officer, json=verdict)
    assert decided.status_code == 200, decided.text


async def test_query_parameters_with_hostile_values_are_named_in_a_400(
    client: Client, db: AsyncSession, facility: uuid.UUID
) -> None:
    await add_staff(db, "root@example.org", [(StaffRole.ADMIN, None)])
    admin = bearer(await staff_token(client, "root@example.org"))
    good = {"object_type": "visitor_approval", "object_id": str(uuid.uuid4())}
    for name, value in (
        ("object_id", "a\x00b"),
        ("object_id", "a b"),
        ("object_id", "abc\n"),
        ("object_id", "x" * 65),
        ("object_id", ""),
        ("object_type", "Visit"),
        ("object_type", "visit\x00"),
        ("object_type", "x" * 33),
        ("limit", "1e9"),
        ("offset", str(2**63)),
    ):
        response = await client.get(
            "/api/v1/staff/audit", headers=admin, params=good | {name: value}
        )
        assert response.status_code == 400, (name, repr(value), response.text)
        assert [e["name"] for e in response.json()["errors"]] == [name]
    missing = await client.get(
        "/api/v1/staff/audit", headers=admin, params={"object_type": "visit", "lang": "en"}
    )
    assert missing.status_code == 400
    assert missing.json()["errors"] == [
        {"name": "object_id", "in": "query", "detail": "is required"}
    ]
    approvals = f"/api/v1/staff/facilities/{facility}/approvals"
    for value in ("maybe", "", "PENDING"):
        response = await client.get(approvals, headers=admin, params={"status": value})
        assert response.status_code == 400, repr(value)
        assert [e["name"] for e in response.json()["errors"]] == ["status"]


async def test_audit_events_and_alerts_are_the_declared_schemas(
    client: Client, db: AsyncSession, facility: uuid.UUID
) -> None:
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, facility)])
    officer = bearer(await staff_token(client, "officer@example.org"))
    approval = await db.scalar(sa.select(VisitorApproval.id))
    place = await db.get(Facility, facility)
    assert place is not None
    alerts = await facility_alerts(db, place, "en")
    await db.commit()
    decided = await client.post(
        f"/api/v1/staff/approvals/{approval}/decision",
        headers=officer,
        json={"status": "rejected", "reason": "Not the listed guardian."},
    )
    assert decided.status_code == 200
    trail = await client.get(
        "/api/v1/staff/audit",
        headers=officer,
        params={"object_type": "visitor_approval", "object_id": str(approval)},
    )
    page = msgspec.json.decode(trail.content, type=Page[AuditEventOut], strict=True)
    last = page.items[-1]
    assert (last.actor_type, last.channel, last.action) == (
        ActorType.STAFF,
        Channel.ONLINE,
        "approval.decide",
    )
    assert last.changes["status"][1] == "rejected"
    # Alerts travel as JSON with scalar parameters only (a date becomes its ISO text).
    assert alerts, "the demo has a prisoner without a child visit (CF-15)"
    again = msgspec.json.decode(msgspec.json.encode(alerts), type=list[AlertOut], strict=True)
    assert again == alerts
    assert all(
        value is None or isinstance(value, str | int | float | bool)
        for alert in alerts
        for value in alert.params.values()
    )


# ---------------------------------------------------------------------------------------------
# One prison number registered from several processes at once

PROCESSES = 2
ATTEMPTS_PER_PROCESS = 3


async def _register_attempts(url: str, facility: uuid.UUID, count: int) -> list[str]:
    engine = create_engine(url)
    try:
        sessions = create_session_factory(engine)
        admin = StaffPrincipal(
            uuid.uuid4(), uuid.uuid4(), "Race", frozenset({(StaffRole.ADMIN, None)})
        )
        body = PrisonerIn("RACE-1", "Jonas", "Muster", date(2026, 1, 5), CustodyStatus.REMAND)

        async def one() -> str:
            async with sessions() as session:
                try:
                    await prisoners.create_prisoner(session, admin, facility, body)
                except DomainError as exc:
                    return exc.slug
                await session.commit()
                return "created"

        return list(await asyncio.gather(*(one() for _ in range(count))))
    finally:
        await engine.dispose()


def race_registration(url: str, facility: uuid.UUID, count: int) -> list[str]:
    """Runs in its own process: ``count`` concurrent registrations on separate connections."""
    return asyncio.run(_register_attempts(url, facility, count))


async def test_one_prisoner_per_number_when_many_register_it_at_once(
    db: AsyncSession, database_url: str, facility: uuid.UUID
) -> None:
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=PROCESSES) as pool:
        outcomes = await asyncio.gather(
            *(
                loop.run_in_executor(
                    pool, race_registration, database_url, facility, ATTEMPTS_PER_PROCESS
                )
                for _ in range(PROCESSES)
            )
        )
    flat = sorted(o for batch in outcomes for o in batch)
    assert flat == ["created"] + ["prisoner-exists"] * (PROCESSES * ATTEMPTS_PER_PROCESS - 1)
    stored = await db.scalar(
        sa.select(sa.func.count()).select_from(Prisoner).where(Prisoner.prison_number == "RACE-1")
    )
    assert stored == 1
