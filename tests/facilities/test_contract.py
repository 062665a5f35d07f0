"""The contract of the facility operations (public and staff): every operation described, with
its problem types declared and typed schemas; and hostile input answered with a problem
document, never a 5xx, nor stored where it could break a feed, an e-mail or a CSV file."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.openapi_helpers import served_document
from tests.visit_helpers import book_directly
from visits.booking.controllers import SlotController
from visits.csv_files import read_document
from visits.db.base import utcnow
from visits.db.models import Facility, Room, Slot
from visits.demo import seed_demo
from visits.enums import StaffRole, VisitStatus, VisitType
from visits.facilities.controllers.public import FacilityController
from visits.facilities.controllers.staff import StaffFacilityController
from visits.facilities.reports import DaySheet, DaySheetVisit, PartyMemberOut, day_sheet_csv
from visits.openapi import PROBLEM_TYPES

FACILITY = {
    "slug": "jva-nord",
    "name": "JVA Nord",
    "timezone": "Europe/Berlin",
    "street": "Weg 2",
    "postal_code": "20000",
    "city": "Nordstadt",
    "country": "DE",
    "email": "besuch@nord.example",
}
ROOM = {"name": "Raum", "capacity_tables": 2, "capacity_seats": 6, "capacity_children": 4}

# Every operation of the facility controllers and the problem types it must declare beyond
# the common ones (400 invalid-parameters, 401, 403, a generic 404 for path parameters).
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/v1/facilities"): set(),
    ("GET", "/api/v1/facilities/{facility_id}"): {"facility-not-found"},
    ("GET", "/api/v1/facilities/{facility_id}/rooms"): {"facility-not-found"},
    ("GET", "/api/v1/facilities/{facility_id}/information"): {"facility-not-found"},
    ("GET", "/api/v1/slots"): {"facility-not-found"},
    ("POST", "/api/v1/staff/facilities"): {"invalid-body", "facility-exists"},
    ("PATCH", "/api/v1/staff/facilities/{facility_id}"): {
        "facility-not-found",
        "invalid-body",
        "timezone-in-use",
    },
    ("PUT", "/api/v1/staff/facilities/{facility_id}/information"): {
        "facility-not-found",
        "invalid-body",
    },
    ("DELETE", "/api/v1/staff/information/{information_id}"): {"information-not-found"},
    ("POST", "/api/v1/staff/facilities/{facility_id}/rooms"): {
        "facility-not-found",
        "invalid-body",
        "room-exists",
    },
    ("PATCH", "/api/v1/staff/rooms/{room_id}"): {"room-not-found", "invalid-body", "room-exists"},
    ("GET", "/api/v1/staff/facilities/{facility_id}/slot-templates"): {"facility-not-found"},
    ("POST", "/api/v1/staff/facilities/{facility_id}/slot-templates"): {
        "facility-not-found",
        "invalid-body",
        "template-overlap",
    },
    ("PATCH", "/api/v1/staff/slot-templates/{template_id}"): {
        "template-not-found",
        "invalid-body",
        "template-overlap",
    },
    ("POST", "/api/v1/staff/facilities/{facility_id}/slots/generate"): {"facility-not-found"},
    ("GET", "/api/v1/staff/facilities/{facility_id}/closures"): {"facility-not-found"},
    ("POST", "/api/v1/staff/facilities/{facility_id}/closures/preview"): {
        "facility-not-found",
        "invalid-body",
    },
    ("POST", "/api/v1/staff/facilities/{facility_id}/closures"): {
        "facility-not-found",
        "invalid-body",
    },
    ("DELETE", "/api/v1/staff/closures/{closure_id}"): {"closure-not-found"},
    ("GET", "/api/v1/staff/facilities/{facility_id}/day-sheet"): {"facility-not-found"},
    ("GET", "/api/v1/staff/facilities/{facility_id}/figures"): {"facility-not-found"},
    ("GET", "/api/v1/staff/facilities/{facility_id}/rule-parameters"): {"facility-not-found"},
    ("PUT", "/api/v1/staff/facilities/{facility_id}/rule-parameters"): {
        "facility-not-found",
        "invalid-body",
    },
}
# The public slot listing is served by booking (it releases expired holds first).
CONTROLLERS = {c.__name__ for c in (FacilityController, SlotController, StaffFacilityController)}


# ------------------------------------------------------------------ the document


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The OpenAPI document of an application that is never started (no database needed)."""
    operations, served = served_document(
        tmp_path_factory.mktemp("contract"), set(CONTROLLERS), "visits."
    )
    assert operations == set(EXPECTED), "a new operation needs its expected problem types here"
    return served


def declared_slugs(operation: dict[str, Any]) -> set[str]:
    slugs = set()
    for answer in operation["responses"].values():
        for media in (answer.get("content") or {}).values():
            for example in (media.get("examples") or {}).values():
                slugs.add(example["value"]["type"].rsplit(":", 1)[1])
        for slug in PROBLEM_TYPES:
            if f"`urn:visits:problem:{slug}`" in answer.get("description", ""):
                slugs.add(slug)
    return slugs


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def empty_schemas(document: dict[str, Any], schema: Any, seen: set[str]) -> list[str]:
    """Places where a schema says nothing (``{}``) about a value, following references."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return empty_schemas(document, resolve(document, schema), seen)
    if not schema:
        return ["{}"]
    found = []
    for key in ("items", "additionalProperties"):
        if key in schema:
            found += [f"{key}/{p}" for p in empty_schemas(document, schema[key], seen)]
    for key in ("oneOf", "anyOf", "allOf"):
        for option in schema.get(key, []):
            found += [f"{key}/{p}" for p in empty_schemas(document, option, seen)]
    for name, value in (schema.get("properties") or {}).items():
        found += [f"{name}/{p}" for p in empty_schemas(document, value, seen)]
    return found


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_each_operation_is_described_with_its_problems_and_typed_schemas(
    document: dict[str, Any], method: str, path: str
) -> None:
    operation = document["paths"][path][method.lower()]
    assert operation.get("summary")
    assert len(operation.get("description", "")) > 40, "integrators need more than a title"
    declared = declared_slugs(operation)
    missing = EXPECTED[(method, path)] - declared
    assert not missing, f"undeclared problem types: {missing}"
    for status, answer in operation["responses"].items():
        if status.startswith("2"):
            for media in (answer.get("content") or {}).values():
                assert empty_schemas(document, media["schema"], set()) == [], status
    body = operation.get("requestBody")
    if body is not None:
        for media in body["content"].values():
            assert empty_schemas(document, media["schema"], set()) == []
    for parameter in operation.get("parameters", []):
        assert parameter.get("schema"), parameter["name"]


def test_schemas_have_clean_names_times_of_day_and_formats(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for page in ("FacilityPage", "RoomPage", "SlotPage", "TemplatePage", "ClosurePage"):
        assert page in schemas
    assert not [name for name in schemas if name.startswith("Page_visits.facilities")]
    # A time of day, not an ISO duration, in answers and bodies.
    assert schemas["TemplateOut"]["properties"]["start_time"]["format"] == "partial-time"
    assert schemas["TemplateIn"]["properties"]["start_time"]["format"] == "partial-time"
    options = schemas["TemplateUpdateIn"]["properties"]["start_time"]["anyOf"]
    assert {option.get("format") for option in options} == {"partial-time", None}
    assert '"format": "duration"' not in json.dumps(schemas["TemplateUpdateIn"])
    assert schemas["FacilityIn"]["properties"]["email"]["format"] == "email"
    assert schemas["FacilityOut"]["properties"]["email"]["format"] == "email"
    zone = schemas["FacilityIn"]["properties"]["timezone"]
    assert zone["maxLength"] == 64
    assert "pattern" in zone
    for struct, field in (("FacilityIn", "name"), ("RoomIn", "name"), ("InformationIn", "title")):
        assert "\\x00-\\x1f" in schemas[struct]["properties"][field]["pattern"], struct
    sheet = document["paths"]["/api/v1/staff/facilities/{facility_id}/day-sheet"]["get"]
    assert set(sheet["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    examples = document["paths"]["/api/v1/staff/facilities"]["post"]["requestBody"]["content"]
    assert examples["application/json"]["schema"]["examples"]


# ------------------------------------------------------------------ hostile input


@pytest.fixture
async def staff(client: Client, db: AsyncSession) -> tuple[uuid.UUID, dict[str, str]]:
    """The demo facility and an administrator's headers."""
    await seed_demo(db)
    facility = await db.scalar(sa.select(Facility.id))
    assert facility is not None
    await db.commit()
    await add_staff(db, "admin@example.org", [(StaffRole.ADMIN, None)])
    return facility, bearer(await staff_token(client, "admin@example.org"))


def problem(response: Any, status: int, slug: str) -> list[str]:
    """Asserts a problem document; returns the names of the fields or parameters it lists."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == f"urn:visits:problem:{slug}"
    return [e["name"] for e in response.json().get("errors", [])]


async def test_months_and_dates_out_of_range_are_400_problems_naming_the_parameter(
    client: Client, staff: tuple[uuid.UUID, dict[str, str]]
) -> None:
    facility, admin = staff
    figures = f"/api/v1/staff/facilities/{facility}/figures"
    for month in ("0000-01", "9999-12", "1999-12", "2101-01", "2026-13", "2026-1", ""):
        answer = await client.get(figures, headers=admin, params={"month": month})
        assert problem(answer, 400, "invalid-parameters") == ["month"], month
    assert (
        await client.get(figures, headers=admin, params={"month": "2100-12"})
    ).status_code == 200

    for params, named in (
        ({"from": "9999-12-31"}, ["from"]),
        ({"from": "0001-01-01"}, ["from"]),
        ({"to": "9999-12-31"}, ["to"]),
        ({"from": "9999-12-31", "to": "9999-12-31"}, ["from", "to"]),
        ({"from": "2027-05-10", "to": "2027-05-01"}, ["to"]),
        ({"from": "2027-01-01", "to": "2027-12-31"}, ["to"]),
    ):
        answer = await client.get("/api/v1/slots", params=params)
        assert problem(answer, 400, "invalid-parameters") == named, params
    edge = await client.get("/api/v1/slots", params={"from": "2100-12-31"})
    assert edge.status_code == 200  # the default end lies after it, harmlessly
    assert (await client.get("/api/v1/slots", params={"from": "2100-12-01"})).status_code == 200

    sheet = f"/api/v1/staff/facilities/{facility}/day-sheet"
    for day in ("9999-12-31", "0001-01-01"):
        answer = await client.get(sheet, headers=admin, params={"date": day})
        assert problem(answer, 400, "invalid-parameters") == ["date"]
    wrong = await client.get(sheet, headers=admin, params={"date": "2027-01-01", "format": "xml"})
    assert problem(wrong, 400, "invalid-parameters") == ["format"]


async def test_time_zones_must_be_iana_names(
    client: Client, staff: tuple[uuid.UUID, dict[str, str]]
) -> None:
    facility, admin = staff
    for zone in ("E" * 300, "Mars/Olympus", "../../etc/passwd", "Europe/Berlin\n", "", "Local"):
        created = await client.post(
            "/api/v1/staff/facilities", headers=admin, json=FACILITY | {"timezone": zone}
        )
        assert problem(created, 422, "invalid-body") == ["timezone"], zone
        changed = await client.patch(
            f"/api/v1/staff/facilities/{facility}", headers=admin, json={"timezone": zone}
        )
        assert problem(changed, 422, "invalid-body") == ["timezone"], zone
    fine = await client.post(
        "/api/v1/staff/facilities", headers=admin, json=FACILITY | {"timezone": "America/New_York"}
    )
    assert fine.status_code == 201, fine.text


async def test_names_and_texts_with_control_characters_are_refused(
    client: Client, staff: tuple[uuid.UUID, dict[str, str]]
) -> None:
    facility, admin = staff
    rooms = f"/api/v1/staff/facilities/{facility}/rooms"
    for name in ("Familien\r\nzimmer", "Familien\rzimmer", "Familien\nzimmer", "A\x00B", "A\tB"):
        assert problem(
            await client.post(rooms, headers=admin, json=ROOM | {"name": name}), 422, "invalid-body"
        ) == ["name"], repr(name)
        assert problem(
            await client.post(
                "/api/v1/staff/facilities", headers=admin, json=FACILITY | {"name": name}
            ),
            422,
            "invalid-body",
        ) == ["name"]
    room = await client.post(rooms, headers=admin, json=ROOM)
    assert room.status_code == 201
    renamed = await client.patch(
        f"/api/v1/staff/rooms/{room.json()['id']}", headers=admin, json={"name": "X\r\nY"}
    )
    assert problem(renamed, 422, "invalid-body") == ["name"]
    information = f"/api/v1/staff/facilities/{facility}/information"
    text = {"language": "de", "topic": "gate", "title": "Am Tor", "body": "Zwei\nZeilen"}
    assert (await client.put(information, headers=admin, json=text)).status_code == 200
    for bad in ({"title": "Am\nTor"}, {"body": "Zwei\r\nZeilen"}, {"body": "\x1b[31m"}):
        answer = await client.put(information, headers=admin, json=text | bad)
        assert problem(answer, 422, "invalid-body") == list(bad), bad
    # Descriptions may have line breaks (LF), nothing else.
    described = await client.post(
        rooms, headers=admin, json=ROOM | {"name": "Mit Text", "description": "Eins\nZwei"}
    )
    assert described.status_code == 201
    closure = {"starts_on": "2031-01-01", "ends_on": "2031-01-01", "reason": "Heizung\x07kaputt"}
    answer = await client.post(
        f"/api/v1/staff/facilities/{facility}/closures", headers=admin, json=closure
    )
    assert problem(answer, 422, "invalid-body") == ["reason"]


async def test_hostile_bodies_are_problems_never_errors(
    client: Client, db: AsyncSession, staff: tuple[uuid.UUID, dict[str, str]]
) -> None:
    facility, admin = staff
    base = f"/api/v1/staff/facilities/{facility}"
    room_id = await db.scalar(sa.select(Room.id).where(Room.facility_id == facility))
    await db.commit()
    template = {
        "room_id": str(room_id),
        "visit_type": "regular",
        "weekday": 6,
        "start_time": "07:00:00",
        "duration_minutes": 30,
        "valid_from": "2030-01-06",
    }
    cases: list[tuple[str, str, Any, int]] = [
        ("POST", f"{base}/rooms", ROOM | {"name": "x" * 10_000}, 422),
        ("POST", f"{base}/rooms", ROOM | {"name": ""}, 422),
        ("POST", f"{base}/rooms", ROOM | {"name": "   "}, 422),
        ("POST", f"{base}/rooms", ROOM | {"capacity_tables": 10**30}, 422),
        ("POST", f"{base}/rooms", ROOM | {"capacity_tables": -1}, 422),
        ("POST", f"{base}/rooms", ROOM | {"capacity_tables": "1; DROP TABLE room"}, 422),
        ("POST", f"{base}/rooms", ROOM | {"features": ["pool"]}, 422),
        ("POST", f"{base}/rooms", ROOM | {"features": ["outdoor"] * 50}, 422),
        ("POST", f"{base}/rooms", [ROOM], 422),
        ("POST", f"{base}/rooms", "Raum", 422),
        ("POST", "/api/v1/staff/facilities", FACILITY | {"languages": ["de", "de"]}, 422),
        ("POST", "/api/v1/staff/facilities", FACILITY | {"languages": []}, 422),
        ("POST", "/api/v1/staff/facilities", FACILITY | {"email": "a@b\r\nBcc: x@y.z"}, 422),
        ("POST", "/api/v1/staff/facilities", FACILITY | {"phone": "+49 30\n123"}, 422),
        ("POST", "/api/v1/staff/facilities", FACILITY | {"rule_profile": "x" * 300}, 422),
        ("POST", "/api/v1/staff/facilities", FACILITY | {"slug": "\u00e4\u00f6\u00fc"}, 422),
        ("POST", f"{base}/slot-templates", template | {"valid_from": "9999-12-31"}, 422),
        ("POST", f"{base}/slot-templates", template | {"valid_to": "0001-01-01"}, 422),
        ("POST", f"{base}/slot-templates", template | {"start_time": "24:00:00"}, 422),
        ("POST", f"{base}/slot-templates", template | {"start_time": "10:00:00+05:00"}, 422),
        ("POST", f"{base}/slot-templates", template | {"weekday": 10**20}, 422),
        ("POST", f"{base}/slot-templates", template | {"room_id": "not-a-uuid"}, 422),
        ("POST", f"{base}/slot-templates", template | {"room_id": str(uuid.uuid4())}, 422),
        (
            "POST",
            f"{base}/closures",
            {"starts_on": "9999-12-30", "ends_on": "9999-12-31", "reason": "Ende"},
            422,
        ),
        (
            "POST",
            f"{base}/closures/preview",
            {"starts_on": "0001-01-01", "ends_on": "0001-01-02", "reason": "Anfang"},
            422,
        ),
        (
            "PUT",
            f"{base}/rule-parameters",
            {"overrides": {"max_children": 10**30}, "reason": "x" * 3},
            422,
        ),
        (
            "PUT",
            f"{base}/rule-parameters",
            {"overrides": {"max_children": "\x00"}, "reason": "abc"},
            422,
        ),
        (
            "PUT",
            f"{base}/rule-parameters",
            {"overrides": {"a": {"b": {"c": {}}}}, "reason": "abc"},
            422,
        ),
        ("PUT", f"{base}/rule-parameters", {"overrides": {"nonsense": 1}, "reason": "abc"}, 422),
        ("PUT", f"{base}/rule-parameters", {"overrides": [], "reason": "abc"}, 422),
        ("PUT", f"{base}/information", {"language": "xx", "topic": "a b"}, 422),
        ("POST", f"{base}/slots/generate?days=100000000000000000000", None, 400),
        ("GET", f"{base}/slot-templates?limit=0", None, 400),
        ("GET", f"{base}/closures?offset=-1", None, 400),
        ("GET", f"{base}/closures?offset=99999999999999999999", None, 400),
    ]
    for method, url, body, status in cases:
        answer = await client.request(method, url, headers=admin, json=body)
        assert answer.status_code == status, (method, url, body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    # Unicode that is not a control character is a name like any other.
    emoji = await client.post(
        f"{base}/rooms", headers=admin, json=ROOM | {"name": "Zimmer \U0001f3e0 ß"}
    )
    assert emoji.status_code == 201, emoji.text
    # Repeated features are taken once.
    twice = await client.post(
        f"{base}/rooms", headers=admin, json=ROOM | {"name": "Zwei", "features": ["outdoor"] * 2}
    )
    assert twice.json()["features"] == ["outdoor"]


async def test_renaming_a_room_to_a_taken_name_is_a_conflict(
    client: Client, staff: tuple[uuid.UUID, dict[str, str]]
) -> None:
    facility, admin = staff
    rooms = f"/api/v1/staff/facilities/{facility}/rooms"
    first = await client.post(rooms, headers=admin, json=ROOM | {"name": "Eins"})
    second = await client.post(rooms, headers=admin, json=ROOM | {"name": "Zwei"})
    assert (first.status_code, second.status_code) == (201, 201)
    clash = await client.patch(
        f"/api/v1/staff/rooms/{second.json()['id']}", headers=admin, json={"name": "Eins"}
    )
    assert problem(clash, 409, "room-exists") == []
    same = await client.patch(
        f"/api/v1/staff/rooms/{second.json()['id']}", headers=admin, json={"name": "Zwei"}
    )
    assert same.status_code == 200


async def test_unknown_facilities_are_404_for_lists_too(
    client: Client, staff: tuple[uuid.UUID, dict[str, str]]
) -> None:
    _, admin = staff
    unknown = uuid.uuid4()
    for path in (
        "slot-templates",
        "closures",
        "rule-parameters",
        "alerts",
        "figures?month=2027-01",
    ):
        answer = await client.get(f"/api/v1/staff/facilities/{unknown}/{path}", headers=admin)
        problem(answer, 404, "facility-not-found")
    answer = await client.get("/api/v1/slots", params={"facility_id": str(unknown)})
    problem(answer, 404, "facility-not-found")


# ------------------------------------------------------------------ stored text on output


def test_the_csv_writer_flattens_controls_and_defuses_formulas() -> None:
    visit = DaySheetVisit(
        visit_id=uuid.uuid4(),
        reference='=HYPERLINK("http://x")',
        status=VisitStatus.CONFIRMED,
        visit_type=VisitType.REGULAR,
        local_start=utcnow(),
        local_end=utcnow(),
        room_id=uuid.uuid4(),
        room_name="Familien\r\nzimmer\x00",
        prisoner_name="-Jonas Beispiel",
        prison_number="\t=1+1",
        adults=1,
        children=1,
        child_in_party=True,
        party=[PartyMemberOut("+Anna\rBeispiel", 40, False), PartyMemberOut(None, 7, True)],
        support_needs="@SUM(A1)\nRollstuhl\u2028Platz",
        needs_review=False,
        review_reason=None,
    )
    sheet = DaySheet(uuid.uuid4(), utcnow().date(), "Europe/Berlin", [visit])
    text = day_sheet_csv(sheet, "en")
    lines = text.split("\r\n")
    assert len(lines) == 3  # header, one row, and after the final line end nothing
    assert lines[-1] == ""
    for character in "\x00\r\n\u2028":
        assert character not in "".join(lines)
    [row] = read_document(text)
    assert row["Room"] == "Familien zimmer"
    assert row["Reference"] == '\'=HYPERLINK("http://x")'
    assert row["Names"] == "'+Anna Beispiel; (erased)"
    assert row["Support needs"] == "'@SUM(A1) Rollstuhl Platz"
    assert (row["Prisoner"], row["Prison number"]) == ("'-Jonas Beispiel", "' =1+1")
    assert (row["Status"], row["Visit type"], row["Child in party"]) == (
        "Booked",
        "Regular visit",
        "Yes",
    )
    [german] = read_document(day_sheet_csv(sheet, "de"))
    assert german["Buchungsnummer"] == row["Reference"]
    assert german["Namen"] == "'+Anna Beispiel; (gelöscht)"
    assert (german["Status"], german["Besuchsart"], german["Zu prüfen"]) == (
        "Gebucht",
        "Regulärer Besuch",
        "Nein",
    )


async def test_a_day_sheet_of_stored_bad_names_is_one_row_per_visit(
    client: Client, db: AsyncSession, staff: tuple[uuid.UUID, dict[str, str]]
) -> None:
    """Texts stored before names were checked (or by other means) cannot break the CSV."""
    facility, admin = staff
    slot = await db.scalar(
        sa.select(Slot).where(Slot.starts_at > utcnow()).order_by(Slot.starts_at)
    )
    assert slot is not None
    visit = await book_directly(db, slot, [38, 6], support_needs="Kinderwagen\r\n-2 Stufen")
    await db.execute(
        sa.update(Room).where(Room.id == slot.room_id).values(name="Familien\r\nzimmer\x0b")
    )
    day, reference = slot.local_date, visit.reference
    await db.commit()
    answer = await client.get(
        f"/api/v1/staff/facilities/{facility}/day-sheet",
        headers=admin,
        params={"date": day.isoformat(), "format": "csv", "lang": "en"},
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    rows = read_document(answer.text)
    mine = [row for row in rows if row["Reference"] == reference]
    assert len(mine) == 1
    assert mine[0]["Room"] == "Familien zimmer "
    assert mine[0]["Support needs"] == "Kinderwagen -2 Stufen"
    assert answer.text.count("\r\n") == len(rows) + 1
    await db.commit()
