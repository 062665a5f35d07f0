"""The booking API's contract: what each operation documents, and that hostile input gets a
declared problem, never a server error.

Every answer a test provokes here is checked against the OpenAPI document: its problem type
must be declared by the operation that gave it.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.booking_helpers import DEMO_EMAIL, Family, book, demo_family, hold_body
from visits.app import create_app
from visits.csv_files import read_document
from visits.db.models import (
    Facility,
    Household,
    Prisoner,
    Room,
    Slot,
    Visit,
    VisitorApproval,
)
from visits.enums import ApprovalStatus, BookableBy, CustodyStatus, StaffRole, VisitType
from visits.settings import Settings

CONTROLLERS = {"HouseholdVisitController", "StaffVisitController"}
KEYED = {
    ("post", "/api/v1/household/holds"),
    ("post", "/api/v1/household/visits/{visit_id}/confirm"),
    ("post", "/api/v1/household/visits/{visit_id}/cancel"),
    ("post", "/api/v1/household/visits/{visit_id}/reschedule"),
    ("post", "/api/v1/staff/visits"),
    ("post", "/api/v1/staff/visits/{visit_id}/decision"),
    ("post", "/api/v1/staff/visits/{visit_id}/cancel"),
    ("post", "/api/v1/staff/visits/{visit_id}/reschedule"),
}
SLOTS = "/api/v1/household/slots"


def booking_operations(settings: Settings) -> set[tuple[str, str]]:
    """(method, path) of every operation of the two booking controllers."""
    found = set()
    for route in create_app(settings).routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.fn.__qualname__.split(".")[0] in CONTROLLERS:
                path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
                found |= {(m.lower(), path) for m in handler.http_methods}
    return found


class Contract:
    """The OpenAPI document, asked what an operation declares."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def operation(self, method: str, path: str) -> dict[str, Any]:
        operation: dict[str, Any] = self.document["paths"][path][method]
        return operation

    def problems(self, method: str, path: str) -> dict[str, int]:
        """Each declared problem slug with the status it is declared under."""
        declared = {}
        for status, response in self.operation(method, path)["responses"].items():
            for slug in re.findall(r"urn:visits:problem:([a-z-]+)", response["description"]):
                declared[slug] = int(status)
        return declared

    def check(self, response: httpx.Response, method: str, path: str) -> None:
        """The answer is no server error, and a problem is one the operation declares."""
        assert response.status_code < 500, response.text
        if response.status_code < 400:
            return
        slug = response.json()["type"].removeprefix("urn:visits:problem:")
        declared = self.problems(method, path)
        assert declared.get(slug) == response.status_code, (method, path, slug, declared)

    def schema(self, reference: dict[str, Any]) -> dict[str, Any]:
        name = reference["$ref"].rsplit("/", 1)[-1]
        schema: dict[str, Any] = self.document["components"]["schemas"][name]
        return schema


async def contract(client: Client) -> Contract:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return Contract(response.json())


def empty_schemas(node: Any, contract: Contract, seen: set[str], where: str) -> list[str]:
    """Where a schema (followed through $ref) is ``{}``: a value of any type, undocumented."""
    if isinstance(node, list):
        return [
            e for i, item in enumerate(node) for e in empty_schemas(item, contract, seen, where)
        ]
    if not isinstance(node, dict):
        return []
    if node == {}:
        return [where]
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return empty_schemas(contract.schema(node), contract, seen, name)
    found = []
    for key, value in node.items():
        if key in ("examples", "example", "default", "enum"):
            continue
        if key in ("properties",):
            for name, item in value.items():
                found += empty_schemas(item, contract, seen, f"{where}.{name}")
        elif isinstance(value, dict | list):
            found += empty_schemas(value, contract, seen, f"{where}.{key}")
    return found


# --- what the document says ------------------------------------------------------------------


async def test_every_booking_operation_is_described_and_typed(
    client: Client, settings: Settings
) -> None:
    spec = await contract(client)
    operations = booking_operations(settings)
    assert len(operations) == 17
    for method, path in sorted(operations):
        operation = spec.operation(method, path)
        assert operation.get("summary"), (method, path)
        assert len(operation.get("description", "")) > 80, (method, path)
        for status, response in operation["responses"].items():
            for media, content in response.get("content", {}).items():
                where = f"{method} {path} {status} {media}"
                assert content.get("schema"), where
                assert empty_schemas(content["schema"], spec, set(), where) == []
        body = operation.get("requestBody")
        if body is not None:
            content = body["content"]["application/json"]
            assert empty_schemas(content["schema"], spec, set(), f"{method} {path}") == []
            examples = content.get("examples") or content["schema"].get("examples")
            assert examples, f"{method} {path} has no body example"
        keyed = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        if (method, path) in KEYED:
            assert keyed[0]["in"] == "header"
            assert keyed[0]["schema"]["maxLength"] == 255
            assert {"invalid-idempotency-key", "idempotency-key-reused"} <= set(
                spec.problems(method, path)
            )
        else:
            assert keyed == []
    pages = spec.document["components"]["schemas"]
    assert {"AnnotatedSlotPage", "VisitPage"} <= set(pages)
    assert not [name for name in pages if name.startswith("Page_visits.booking")]
    listing = spec.operation("get", SLOTS)["responses"]["200"]["content"]["application/json"]
    assert listing["schema"] == {"$ref": "#/components/schemas/AnnotatedSlotPage"}


async def test_bodies_are_bounded_texts_without_control_characters(client: Client) -> None:
    schemas = (await contract(client)).document["components"]["schemas"]
    for name in ("HoldIn", "StaffBookIn", "CancelIn", "StaffCancelIn", "ReviewDecisionIn"):
        for field, schema in schemas[name]["properties"].items():
            # An optional text carries its constraints beside "oneOf": [string, null].
            branches = schema.get("oneOf", [{}])
            for text in ({k: v for k, v in schema.items() if k != "oneOf"} | b for b in branches):
                if text.get("type") != "string" or "enum" in text or "format" in text:
                    continue
                assert text.get("maxLength"), (name, field)
                assert "\\x00-" in text.get("pattern", ""), (name, field)
    outcome = schemas["CheckOut"]["properties"]["outcome"]
    assert schemas[outcome["$ref"].rsplit("/", 1)[-1]]["enum"] == ["bookable", "review", "refused"]


# --- the household slot listing ------------------------------------------------------------


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def second_facility(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Another facility with a public child/family slot next week and a prisoner of its own.

    Returns the facility's, the slot's and the prisoner's ids."""
    facility = Facility(
        slug="jva-zweitstadt",
        name="JVA Zweitstadt",
        timezone="Europe/London",
        street="Gate 2",
        postal_code="2",
        city="Zweitstadt",
        country="DE",
        email="besuch@jva-zweitstadt.example",
        min_notice_hours=0,
        max_days_ahead=60,
    )
    db.add(facility)
    await db.flush()
    room = Room(
        facility_id=facility.id,
        name="Family room",
        capacity_tables=4,
        capacity_seats=16,
        capacity_children=8,
    )
    prisoner = Prisoner(
        facility_id=facility.id,
        prison_number="Z-1",
        given_name="Paul",
        family_name="Zweit",
        admission_date=date(2025, 1, 1),
        custody_status=CustodyStatus.SENTENCED,
    )
    db.add_all([room, prisoner])
    await db.flush()
    day = datetime.now(UTC).date() + timedelta(days=5)
    starts = datetime.combine(day, time(14), ZoneInfo("Europe/London"))
    slot = Slot(
        facility_id=facility.id,
        room_id=room.id,
        visit_type=VisitType.CHILD_FAMILY,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        local_date=day,
        capacity_tables=4,
        capacity_seats=16,
        capacity_children=8,
        bookable_by=BookableBy.PUBLIC,
    )
    db.add(slot)
    await db.commit()
    return facility.id, slot.id, prisoner.id


def slot_query(family: Family, prisoner: uuid.UUID, **extra: str) -> dict[str, Any]:
    return {"prisoner_id": str(prisoner), "visitor_id": family.everyone, "limit": 200} | extra


async def test_household_slots_are_those_of_the_prisoners_facility(
    client: Client, db: AsyncSession, family: Family
) -> None:
    """With two facilities the listing takes the facility from the prisoner (it answered 422:
    slots of the other facility were judged for a prisoner not held there)."""
    spec = await contract(client)
    other_facility, other_slot, other_prisoner = await second_facility(db)
    mine = await client.get(
        SLOTS, headers=family.headers, params=slot_query(family, family.prisoner_id)
    )
    spec.check(mine, "get", SLOTS)
    assert mine.status_code == 200, mine.text
    slot_ids = {item["slot_id"] for item in mine.json()["items"]}
    assert set(map(str, family.family_slots)) & slot_ids
    assert str(other_slot) not in slot_ids
    assert mine.json()["total"] == len(slot_ids)
    # Naming the prisoner's own facility is allowed; another facility is a bad parameter.
    same = await client.get(
        SLOTS,
        headers=family.headers,
        params=slot_query(family, family.prisoner_id, facility_id=str(family.facility_id)),
    )
    assert same.json()["total"] == mine.json()["total"]
    other = await client.get(
        SLOTS,
        headers=family.headers,
        params=slot_query(family, family.prisoner_id, facility_id=str(other_facility)),
    )
    spec.check(other, "get", SLOTS)
    assert other.status_code == 400
    assert [e["name"] for e in other.json()["errors"]] == ["facility_id"]
    # A prisoner nobody in the household is approved to visit, or none at all: not found.
    for prisoner in (other_prisoner, uuid.uuid4()):
        hidden = await client.get(
            SLOTS, headers=family.headers, params=slot_query(family, prisoner)
        )
        spec.check(hidden, "get", SLOTS)
        assert hidden.json()["type"] == "urn:visits:problem:prisoner-not-found"
    # Once approved, the other prisoner's listing holds the other facility's slot only.
    db.add(
        VisitorApproval(
            visitor_id=family.adult, prisoner_id=other_prisoner, status=ApprovalStatus.APPROVED
        )
    )
    await db.commit()
    theirs = await client.get(
        SLOTS, headers=family.headers, params=slot_query(family, other_prisoner)
    )
    assert theirs.status_code == 200, theirs.text
    assert [item["slot_id"] for item in theirs.json()["items"]] == [str(other_slot)]


@pytest.mark.parametrize(
    ("dates", "named"),
    [
        ({"from": "9999-12-31"}, ["from"]),
        ({"to": "9999-12-31"}, ["to"]),
        ({"from": "9999-12-31", "to": "0001-01-01"}, ["from", "to"]),
        ({"from": "0000-01-01"}, ["from"]),
        ({"from": "2027-02-30"}, ["from"]),
        ({"from": "tomorrow"}, ["from"]),
        ({"from": "2030-01-10", "to": "2030-01-09"}, ["to"]),
        ({"from": "2030-01-01", "to": "2030-04-03"}, ["to"]),  # 93 days
    ],
)
async def test_household_slot_dates_are_bounded(
    client: Client, family: Family, dates: dict[str, str], named: list[str]
) -> None:
    spec = await contract(client)
    response = await client.get(
        SLOTS, headers=family.headers, params=slot_query(family, family.prisoner_id) | dates
    )
    spec.check(response, "get", SLOTS)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "urn:visits:problem:invalid-parameters"
    assert sorted(e["name"] for e in response.json()["errors"]) == named


async def test_household_slot_dates_at_the_bounds_are_answered(
    client: Client, family: Family
) -> None:
    for dates in (
        {"from": "2100-12-31"},  # the default end runs past the last date: still no overflow
        {"from": "2000-01-01", "to": "2000-04-01"},  # 92 days
        {"from": str(datetime.now(UTC).date())},
    ):
        response = await client.get(
            SLOTS, headers=family.headers, params=slot_query(family, family.prisoner_id) | dates
        )
        assert response.status_code == 200, (dates, response.text)


@pytest.mark.parametrize(
    ("params", "status", "slug"),
    [
        ({"visitor_id": ["{adult}", "{adult}"]}, 422, "invalid-party"),
        ({"visitor_id": [str(uuid.uuid4())]}, 404, "visitor-not-found"),
        ({"visitor_id": [str(uuid.uuid4()) for _ in range(13)]}, 400, "invalid-parameters"),
        ({"visitor_id": ["not-a-uuid"]}, 400, "invalid-parameters"),
        ({"prisoner_id": "\x00"}, 400, "invalid-parameters"),
        ({"feature": "jacuzzi"}, 400, "invalid-parameters"),
        ({"visit_type": ""}, 400, "invalid-parameters"),
        ({"limit": str(10**30)}, 400, "invalid-parameters"),
        ({"offset": "-1"}, 400, "invalid-parameters"),
    ],
)
async def test_hostile_slot_queries_get_declared_problems(
    client: Client, family: Family, params: dict[str, Any], status: int, slug: str
) -> None:
    spec = await contract(client)
    query = slot_query(family, family.prisoner_id)
    for name, value in params.items():
        query[name] = (
            [v.format(adult=family.adult) for v in value] if isinstance(value, list) else value
        )
    response = await client.get(SLOTS, headers=family.headers, params=query)
    spec.check(response, "get", SLOTS)
    assert (response.status_code, response.json()["type"]) == (
        status,
        f"urn:visits:problem:{slug}",
    )


# --- hostile bodies ------------------------------------------------------------------------

LONG = "x" * 2001
HOSTILE_REASONS = ["", "  ", " \n ", "ab", "cr\rreturn", "nul\x00", "tab\there", LONG]


async def test_hostile_household_bodies_are_refused_field_by_field(
    client: Client, db: AsyncSession, family: Family
) -> None:
    spec = await contract(client)
    holds = "/api/v1/household/holds"
    good = hold_body(family, family.family_slots[0])
    for body, field in (
        (good | {"support_needs": "a\x00b"}, "support_needs"),
        (good | {"support_needs": "carriage\rreturn"}, "support_needs"),
        (good | {"support_needs": "y" * 1001}, "support_needs"),
        (good | {"visitor_ids": []}, "visitor_ids"),
        (good | {"visitor_ids": [str(uuid.uuid4()) for _ in range(13)]}, "visitor_ids"),
        (good | {"slot_id": 10**40}, "slot_id"),
        (good | {"prisoner_id": ""}, "prisoner_id"),
        (good | {"extra": True}, "extra"),
        ({}, "prisoner_id"),
    ):
        response = await client.post(holds, headers=family.headers, json=body)
        spec.check(response, "post", holds)
        assert response.status_code == 422, (body, response.text)
        assert field in [e["name"] for e in response.json()["errors"]], response.text
    listed = await client.post(holds, headers=family.headers, json=[good])
    spec.check(listed, "post", holds)
    assert listed.json()["type"] == "urn:visits:problem:invalid-body"
    twice = await client.post(
        holds, headers=family.headers, json=good | {"visitor_ids": [str(family.adult)] * 2}
    )
    spec.check(twice, "post", holds)
    assert twice.json()["type"] == "urn:visits:problem:invalid-party"
    # A multi-line support need is fine (it is no header, calendar line or SMS).
    held = await client.post(
        holds, headers=family.headers, json=good | {"support_needs": "Wheelchair.\nQuiet table."}
    )
    assert held.status_code == 201, held.text
    cancel = f"/api/v1/household/visits/{held.json()['id']}/cancel"
    for reason in HOSTILE_REASONS:
        refused = await client.post(cancel, headers=family.headers, json={"reason": reason})
        spec.check(refused, "post", "/api/v1/household/visits/{visit_id}/cancel")
        assert refused.status_code == 422, (reason, refused.text)
        assert [e["name"] for e in refused.json()["errors"]] == ["reason"], (reason, refused.text)
    assert await db.scalar(sa.select(Visit.status)) == "held"
    await db.commit()


async def test_a_malformed_idempotency_key_is_a_bad_parameter(
    client: Client, family: Family
) -> None:
    spec = await contract(client)
    holds = "/api/v1/household/holds"
    body = hold_body(family, family.family_slots[0])
    for key, slug in (
        ("k" * 256, "invalid-parameters"),
        ("   ", "invalid-idempotency-key"),
        ("tab\tkey", "invalid-idempotency-key"),
    ):
        response = await client.post(
            holds, headers=family.headers | {"Idempotency-Key": key}, json=body
        )
        spec.check(response, "post", holds)
        assert response.json()["type"] == f"urn:visits:problem:{slug}", (key, response.text)
    accepted = await client.post(
        holds, headers=family.headers | {"Idempotency-Key": "k" * 255}, json=body
    )
    assert accepted.status_code == 201, accepted.text


async def staff(
    client: Client, db: AsyncSession, family: Family, role: StaffRole
) -> dict[str, str]:
    email = f"{role.value}.contract@example.org"
    facility = None if role is StaffRole.ADMIN else family.facility_id
    await add_staff(db, email, [(role, facility)])
    return bearer(await staff_token(client, email))


async def test_hostile_staff_bodies_are_refused_field_by_field(
    client: Client, db: AsyncSession, family: Family
) -> None:
    spec = await contract(client)
    manager = await staff(client, db, family, StaffRole.VISITS_MANAGER)
    household_id = await db.scalar(sa.select(Household.id).where(Household.email == DEMO_EMAIL))
    await db.commit()
    visit = await book(client, family, family.family_slots[0])
    base = f"/api/v1/staff/visits/{visit['id']}"
    booking = {
        "household_id": str(household_id),
        "prisoner_id": str(family.prisoner_id),
        "slot_id": str(family.family_slots[1]),
        "visitor_ids": family.everyone,
    }
    override = {"rule_id": "CF-01", "reason": "Escorted by the youth office."}
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("post", "/api/v1/staff/visits", booking | {"channel": "fax"}, "channel"),
        (
            "post",
            "/api/v1/staff/visits",
            booking | {"overrides": [override] * 2},
            "overrides[1].rule_id",
        ),
        ("post", "/api/v1/staff/visits", booking | {"overrides": [override] * 17}, "overrides"),
        (
            "post",
            "/api/v1/staff/visits",
            booking | {"overrides": [override | {"reason": "escape\x1b[31m"}]},
            "overrides",
        ),
        ("post", "/api/v1/staff/visits", booking | {"support_needs": "\x1b[31m"}, "support_needs"),
        ("post", "/api/v1/staff/checks", {"slot_id": "x"}, "slot_id"),
        ("post", "/{visit}/decision", {"decision": "maybe", "reason": "Because."}, "decision"),
        ("post", "/{visit}/overrides", {"rule_id": "CF-01\n", "reason": "ok, fine"}, "rule_id"),
        ("post", "/{visit}/overrides", {"rule_id": "CF-99", "reason": "ok, fine"}, "rule_id"),
        ("post", "/{visit}/overrides", {"rule_id": "DROP TABLE", "reason": "ok, fine"}, "rule_id"),
        ("post", "/{visit}/attendance", {"outcome": "absent"}, "outcome"),
    ]
    for reason in HOSTILE_REASONS:
        cases.append(("post", "/{visit}/cancel", {"reason": reason}, "reason"))
        cases.append(
            ("post", "/{visit}/decision", {"decision": "reject", "reason": reason}, "reason")
        )
    for method, path, body, field in cases:
        url = path.replace("/{visit}", base)
        template = path.replace("/{visit}", "/api/v1/staff/visits/{visit_id}")
        response = await client.request(method, url, headers=manager, json=body)
        spec.check(response, method, template)
        assert response.status_code == 422, (path, body, response.text)
        names = [e["name"] for e in response.json()["errors"]]
        assert field in names, (path, body, names)
    assert await db.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1
    await db.commit()


async def test_staff_answers_are_the_declared_ones(
    client: Client, db: AsyncSession, family: Family
) -> None:
    """The problems staff operations answer in their ordinary refusals are all declared."""
    spec = await contract(client)
    officer = await staff(client, db, family, StaffRole.VISITS_OFFICER)
    admin = await staff(client, db, family, StaffRole.ADMIN)
    visit = await book(client, family, family.family_slots[0])
    base = "/api/v1/staff/visits/{visit_id}"
    url = base.replace("{visit_id}", visit["id"])
    unknown = base.replace("{visit_id}", str(uuid.uuid4()))
    listing = "/api/v1/staff/facilities/{facility_id}/visits"
    answers = [
        ("get", listing, listing.replace("{facility_id}", str(uuid.uuid4())), admin, None, 404),
        ("get", listing, listing.replace("{facility_id}", str(uuid.uuid4())), officer, None, 403),
        (
            "get",
            listing,
            listing.replace("{facility_id}", str(family.facility_id)) + "?status=lost",
            officer,
            None,
            400,
        ),
        ("get", base, unknown, officer, None, 404),
        ("post", f"{base}/attendance", f"{url}/attendance", officer, {"outcome": "attended"}, 409),
        (
            "post",
            f"{base}/decision",
            f"{url}/decision",
            officer,
            {"decision": "approve", "reason": "All fine."},
            409,
        ),
        (
            "post",
            f"{base}/overrides",
            f"{url}/overrides",
            officer,
            {"rule_id": "CF-01", "reason": "Nothing failed."},
            422,
        ),
        ("post", f"{base}/cancel", f"{unknown}/cancel", officer, {"reason": "Closed."}, 404),
        (
            "post",
            "/api/v1/staff/visits",
            "/api/v1/staff/visits",
            officer,
            {
                "household_id": str(uuid.uuid4()),
                "prisoner_id": str(family.prisoner_id),
                "slot_id": str(family.family_slots[1]),
                "visitor_ids": family.everyone,
            },
            404,
        ),
    ]
    for method, template, target, who, body, status in answers:
        response = await client.request(method, target, headers=who, json=body)
        spec.check(response, method, template)
        assert response.status_code == status, (target, response.text)


async def test_a_multi_line_support_need_stays_one_row_of_the_day_sheet(
    client: Client, db: AsyncSession, family: Family
) -> None:
    """Support needs may have line breaks; the day sheet's CSV still has one row per visit."""
    manager = await staff(client, db, family, StaffRole.VISITS_MANAGER)
    held = await client.post(
        "/api/v1/household/holds",
        headers=family.headers,
        json=hold_body(family, family.family_slots[0])
        | {"support_needs": 'Wheelchair access.\n=HYPERLINK("x")'},
    )
    assert held.status_code == 201, held.text
    confirmed = await client.post(
        f"/api/v1/household/visits/{held.json()['id']}/confirm", headers=family.headers
    )
    assert confirmed.json()["status"] == "confirmed", confirmed.text
    day = datetime.fromisoformat(held.json()["local_start"]).date()
    sheet = await client.get(
        f"/api/v1/staff/facilities/{family.facility_id}/day-sheet",
        headers=manager,
        params={"date": str(day), "format": "csv", "lang": "en"},
    )
    assert sheet.status_code == 200, sheet.text
    rows = read_document(sheet.text)
    assert len(rows) == 1
    assert "Wheelchair access." in rows[0]["Support needs"]
    assert "\n" not in rows[0]["Support needs"]
