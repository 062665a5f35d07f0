"""The public read API over the demo data: facilities, rooms, slots, pagination and errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from visits.db.migrate import alembic_config
from visits.demo import seed_demo

Client = AsyncTestClient[Any]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def demo(db: AsyncSession) -> None:
    assert await seed_demo(db)


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head())


def today() -> date:
    return datetime.now(UTC).astimezone(BERLIN).date()


async def facility_id(client: Client) -> str:
    response = await client.get("/api/v1/facilities")
    return str(response.json()["items"][0]["id"])


async def test_facilities_list_and_detail(client: Client, demo: None) -> None:
    response = await client.get("/api/v1/facilities")
    assert response.status_code == 200
    page = response.json()
    assert (page["total"], page["limit"], page["offset"]) == (1, 50, 0)
    facility = page["items"][0]
    assert facility["timezone"] == "Europe/Berlin"
    assert facility["address"]["city"] == "Musterstadt"
    detail = await client.get(f"/api/v1/facilities/{facility['id']}")
    assert detail.json() == facility


async def test_rooms_show_child_friendly_features(client: Client, demo: None) -> None:
    response = await client.get(f"/api/v1/facilities/{await facility_id(client)}/rooms")
    rooms = {room["name"]: room for room in response.json()["items"]}
    assert set(rooms) == {"Familienzimmer", "Spielzimmer", "Besuchssaal"}
    assert rooms["Familienzimmer"]["child_friendly"] is True
    assert "baby_changing" in rooms["Familienzimmer"]["features"]
    assert rooms["Familienzimmer"]["age_bands"] == ["0-2", "3-5", "6-11", "12-17"]
    assert rooms["Besuchssaal"]["child_friendly"] is False
    assert rooms["Besuchssaal"]["capacity"] == {"tables": 10, "seats": 30, "children": 6}


async def test_slots_default_to_four_weeks_from_today_in_local_time(
    client: Client, demo: None
) -> None:
    response = await client.get("/api/v1/slots", params={"limit": 200})
    assert response.status_code == 200
    items = response.json()["items"]
    assert items, "the demo has slots"
    now = datetime.now(UTC)
    for slot in items:
        starts = datetime.fromisoformat(slot["starts_at"])
        assert starts > now
        assert today() <= date.fromisoformat(slot["local_date"]) <= today() + timedelta(days=27)
        assert datetime.fromisoformat(slot["local_start"]) == starts
        assert datetime.fromisoformat(slot["local_start"]).utcoffset() in {
            timedelta(hours=1),
            timedelta(hours=2),
        }
        assert slot["remaining"] == slot["capacity"]
    assert [s["starts_at"] for s in items] == sorted(s["starts_at"] for s in items)


async def test_slot_filters(client: Client, demo: None) -> None:
    fid = await facility_id(client)
    every = (await client.get("/api/v1/slots", params={"facility_id": fid, "limit": 200})).json()
    family = (
        await client.get("/api/v1/slots", params={"visit_type": "child_family", "limit": 200})
    ).json()
    outdoor = (
        await client.get("/api/v1/slots", params={"feature": "outdoor", "limit": 200})
    ).json()
    assert family["total"] > 0
    assert outdoor["total"] > 0
    assert {s["visit_type"] for s in family["items"]} == {"child_family"}
    assert {s["room_name"] for s in outdoor["items"]} == {"Spielzimmer"}
    assert family["total"] + outdoor["total"] < every["total"]
    room_id = family["items"][0]["room_id"]
    by_room = (await client.get("/api/v1/slots", params={"room_id": room_id, "limit": 200})).json()
    assert {s["room_id"] for s in by_room["items"]} == {room_id}
    one_day = today() + timedelta(days=8)
    narrow = (
        await client.get(
            "/api/v1/slots", params={"from": one_day.isoformat(), "to": one_day.isoformat()}
        )
    ).json()
    assert {s["local_date"] for s in narrow["items"]} <= {one_day.isoformat()}


async def test_pagination_walks_every_slot_once(client: Client, demo: None) -> None:
    first = (await client.get("/api/v1/slots", params={"limit": 200})).json()
    seen: list[str] = []
    offset = 0
    while True:
        page = (await client.get("/api/v1/slots", params={"limit": 5, "offset": offset})).json()
        assert page["total"] == first["total"]
        if not page["items"]:
            break
        assert len(page["items"]) <= 5
        seen += [s["id"] for s in page["items"]]
        offset += 5
    assert seen == [s["id"] for s in first["items"]]


async def test_bad_parameters_are_all_listed_in_one_problem(client: Client) -> None:
    response = await client.get(
        "/api/v1/slots",
        params={
            "limit": "0",
            "offset": "-1",
            "from": "tomorrow",
            "visit_type": "picnic",
            "facility_id": "x",
        },
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:visits:problem:invalid-parameters"
    assert problem["status"] == 400
    assert {e["name"] for e in problem["errors"]} == {
        "limit",
        "offset",
        "from",
        "visit_type",
        "facility_id",
    }
    assert all(e["in"] == "query" and e["detail"] for e in problem["errors"])


async def test_date_range_problems(client: Client) -> None:
    backwards = await client.get("/api/v1/slots", params={"from": "2026-05-10", "to": "2026-05-01"})
    too_long = await client.get("/api/v1/slots", params={"from": "2026-01-01", "to": "2026-12-31"})
    for response in (backwards, too_long):
        assert response.status_code == 400
        assert response.json()["errors"][0]["name"] == "to"


async def test_unknown_things_are_404_problems_in_the_request_language(client: Client) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    for path in (
        f"/api/v1/facilities/{missing}",
        f"/api/v1/facilities/{missing}/rooms",
        "/nowhere",
    ):
        response = await client.get(path, headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["title"] == "Nicht gefunden"
    english = await client.get(
        f"/api/v1/slots?facility_id={missing}", headers={"Accept-Language": "en"}
    )
    assert english.json()["type"] == "urn:visits:problem:facility-not-found"
    assert english.json()["title"] == "Not found"


async def test_wrong_method_is_a_problem(client: Client) -> None:
    response = await client.post("/api/v1/facilities", json={})
    assert response.status_code == 405
    assert response.json()["type"] == "urn:visits:problem:method-not-allowed"


async def test_health_ready_and_openapi(client: Client) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["schema_revision"] == head_revision()
    spec = (await client.get("/schema/openapi.json")).json()
    assert {"/health", "/ready", "/api/v1/facilities", "/api/v1/slots"} <= set(spec["paths"])
    assert (await client.get("/schema")).status_code == 200
