"""Staff management of facilities, rooms, templates and closures; day sheet and figures."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.visit_helpers import book_directly
from visits.csv_files import read_document
from visits.db.base import utcnow
from visits.db.models import Facility, Slot, SlotTemplate, Visit
from visits.demo import seed_demo
from visits.enums import SlotStatus, StaffRole, VisitStatus

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class FacilityRef:
    """Plain ids: tests expire the session's objects, and these must survive that."""

    id: uuid.UUID


@dataclass
class Staff:
    facility: FacilityRef
    admin: dict[str, str]
    manager: dict[str, str]
    officer: dict[str, str]


@pytest.fixture
async def staff(client: Client, db: AsyncSession) -> Staff:
    await seed_demo(db)
    facility = await db.scalar(sa.select(Facility))
    assert facility is not None
    await db.commit()
    await add_staff(db, "admin@example.org", [(StaffRole.ADMIN, None)])
    await add_staff(db, "manager@example.org", [(StaffRole.VISITS_MANAGER, facility.id)])
    await add_staff(db, "officer@example.org", [(StaffRole.VISITS_OFFICER, facility.id)])
    return Staff(
        FacilityRef(facility.id),
        bearer(await staff_token(client, "admin@example.org")),
        bearer(await staff_token(client, "manager@example.org")),
        bearer(await staff_token(client, "officer@example.org")),
    )


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


async def test_facilities_are_created_by_admins_with_every_problem_listed(
    client: Client, staff: Staff
) -> None:
    bad = await client.post(
        "/api/v1/staff/facilities",
        headers=staff.admin,
        json=FACILITY | {"timezone": "Mars/Olympus", "slug": "No Spaces", "country": "Germany"},
    )
    assert bad.status_code == 422
    assert {e["name"] for e in bad.json()["errors"]} == {"slug", "country"}
    zone = await client.post(
        "/api/v1/staff/facilities",
        headers=staff.admin,
        json=FACILITY | {"timezone": "Mars/Olympus"},
    )
    assert zone.json()["errors"][0]["name"] == "timezone"
    assert "IANA" in zone.json()["errors"][0]["detail"]
    profile = await client.post(
        "/api/v1/staff/facilities", headers=staff.admin, json=FACILITY | {"rule_profile": "xx"}
    )
    assert profile.json()["errors"][0]["name"] == "rule_profile"
    assert (
        await client.post("/api/v1/staff/facilities", headers=staff.manager, json=FACILITY)
    ).status_code == 403
    created = await client.post("/api/v1/staff/facilities", headers=staff.admin, json=FACILITY)
    assert created.status_code == 201
    assert created.json()["timezone"] == "Europe/Berlin"
    public = await client.get("/api/v1/facilities")
    assert public.json()["total"] == 2


async def test_managers_change_their_facility_but_not_a_time_zone_in_use(
    client: Client, staff: Staff
) -> None:
    url = f"/api/v1/staff/facilities/{staff.facility.id}"
    changed = await client.patch(
        url, headers=staff.manager, json={"max_days_ahead": 42, "rule_profile": "en-gb"}
    )
    assert changed.status_code == 200
    assert changed.json()["booking_window"]["max_days_ahead"] == 42
    assert changed.json()["rule_profile"] == "en-gb"
    moved = await client.patch(url, headers=staff.manager, json={"timezone": "Europe/London"})
    assert moved.status_code == 409
    assert moved.json()["type"] == "urn:visits:problem:timezone-in-use"
    assert (await client.patch(url, headers=staff.officer, json={"name": "X"})).status_code == 403


async def test_family_information_by_language_and_age_band(client: Client, staff: Staff) -> None:
    url = f"/api/v1/staff/facilities/{staff.facility.id}/information"
    teen = {
        "language": "de",
        "age_band": "12-17",
        "topic": "gate",
        "title": "Für dich",
        "body": "Am Eingang zeigst du deinen Ausweis.",
    }
    assert (await client.put(url, headers=staff.manager, json=teen)).status_code == 200
    replaced = await client.put(
        url, headers=staff.manager, json=teen | {"title": "Für Jugendliche"}
    )
    assert replaced.json()["title"] == "Für Jugendliche"
    public = f"/api/v1/facilities/{staff.facility.id}/information"
    teens = (await client.get(public, params={"lang": "de", "age_band": "12-17"})).json()
    assert [i["topic"] for i in teens] == ["arrival", "gate"]
    assert teens[1]["title"] == "Für Jugendliche"
    small = (await client.get(public, params={"lang": "de", "age_band": "3-5"})).json()
    assert "Für Jugendliche" not in str(small)
    english = (await client.get(public, params={"lang": "en"})).json()
    assert [i["language"] for i in english] == ["en"]
    asked = (await client.get(public, headers={"Accept-Language": "en-GB, de;q=0.5"})).json()
    assert asked == english  # without ?lang=, the request's Accept-Language
    bad = await client.put(url, headers=staff.manager, json={"language": "fr", "topic": "x y"})
    assert {e["name"] for e in bad.json()["errors"]} == {"language", "topic", "title", "body"}


async def test_rooms_with_features_and_age_bands(client: Client, staff: Staff) -> None:
    url = f"/api/v1/staff/facilities/{staff.facility.id}/rooms"
    room = {
        "name": "Jugendraum",
        "capacity_tables": 3,
        "capacity_seats": 9,
        "capacity_children": 6,
        "features": ["teen_zone", "books_games"],
        "age_bands": ["12-17"],
    }
    created = await client.post(url, headers=staff.manager, json=room)
    assert created.status_code == 201
    assert created.json()["child_friendly"] is True
    assert (await client.post(url, headers=staff.manager, json=room)).status_code == 409
    bad = await client.post(
        url,
        headers=staff.manager,
        json=room
        | {"name": "B", "features": ["pool"], "capacity_tables": 0, "age_bands": ["0-99"]},
    )
    assert {e["name"] for e in bad.json()["errors"]} == {"features", "capacity_tables", "age_bands"}
    assert (
        await client.post(url, headers=staff.officer, json=room | {"name": "C"})
    ).status_code == 403
    patched = await client.patch(
        f"/api/v1/staff/rooms/{created.json()['id']}",
        headers=staff.manager,
        json={"features": ["teen_zone", "step_free"]},
    )
    assert patched.json()["features"] == ["step_free", "teen_zone"] or patched.json()[
        "features"
    ] == ["teen_zone", "step_free"]


async def _room_id(client: Client, staff: Staff, name: str) -> str:
    rooms = (await client.get(f"/api/v1/facilities/{staff.facility.id}/rooms")).json()["items"]
    return next(r["id"] for r in rooms if r["name"] == name)


def template(room_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "room_id": room_id,
        "visit_type": "child_family",
        "weekday": 0,
        "start_time": "16:00:00",
        "duration_minutes": 90,
        "valid_from": "2026-01-05",
    } | overrides


async def test_template_validation_and_overlaps(client: Client, staff: Staff) -> None:
    url = f"/api/v1/staff/facilities/{staff.facility.id}/slot-templates"
    room = await _room_id(client, staff, "Familienzimmer")
    first = await client.post(url, headers=staff.manager, json=template(room))
    assert first.status_code == 201, first.text
    clash = await client.post(
        url, headers=staff.manager, json=template(room, start_time="17:00:00")
    )
    assert clash.status_code == 409
    assert clash.json()["type"] == "urn:visits:problem:template-overlap"
    item = clash.json()["errors"][0]
    assert first.json()["id"] in item["detail"]
    assert item["name"] == "start_time"
    assert item["code"] == "overlap"
    assert item["template_id"] == first.json()["id"]
    assert date.fromisoformat(item["day"]).weekday() == first.json()["weekday"]
    touching = await client.post(
        url, headers=staff.manager, json=template(room, start_time="17:30:00")
    )
    assert touching.status_code == 201  # back to back is fine
    other_room = await _room_id(client, staff, "Besuchssaal")
    assert (
        await client.post(url, headers=staff.manager, json=template(other_room))
    ).status_code == 201
    # Two fortnightly templates in alternate weeks share a time without ever meeting.
    weekly_a = template(room, weekday=3, interval_weeks=2, valid_from="2026-01-05")
    weekly_b = template(room, weekday=3, interval_weeks=2, valid_from="2026-01-12")
    assert (await client.post(url, headers=staff.manager, json=weekly_a)).status_code == 201
    assert (await client.post(url, headers=staff.manager, json=weekly_b)).status_code == 201
    third = template(room, weekday=3, interval_weeks=1, valid_from="2026-01-05")
    assert (await client.post(url, headers=staff.manager, json=third)).status_code == 409
    bad = await client.post(
        url,
        headers=staff.manager,
        json=template(
            room, duration_minutes=0, weekday=7, start_time="25:00", valid_to="2025-01-01"
        ),
    )
    assert bad.status_code == 422
    assert {e["name"] for e in bad.json()["errors"]} == {
        "duration_minutes",
        "weekday",
        "start_time",
    }
    backwards = await client.post(
        url, headers=staff.manager, json=template(room, valid_to="2025-01-01", weekday=6)
    )
    assert backwards.json()["errors"][0]["name"] == "valid_to"
    foreign = await client.post(
        url, headers=staff.manager, json=template("00000000-0000-0000-0000-000000000000", weekday=6)
    )
    assert foreign.json()["errors"][0]["name"] == "room_id"
    assert (
        await client.post(url, headers=staff.officer, json=template(room, weekday=6))
    ).status_code == 403


async def test_generation_is_idempotent_through_the_api(client: Client, staff: Staff) -> None:
    url = f"/api/v1/staff/facilities/{staff.facility.id}/slots/generate"
    first = await client.post(url, headers=staff.manager, params={"days": 70})
    assert first.status_code == 200
    assert first.json()["slots_created"] > 0
    again = await client.post(url, headers=staff.manager, params={"days": 70})
    assert again.json()["slots_created"] == 0
    assert (await client.post(url, headers=staff.officer)).status_code == 403
    bad = await client.post(url, headers=staff.manager, params={"days": 0})
    assert bad.json()["errors"][0]["name"] == "days"


async def _future_slots(db: AsyncSession, template_id: Any) -> list[Slot]:
    rows = await db.scalars(
        sa.select(Slot)
        .where(Slot.template_id == template_id, Slot.starts_at > utcnow())
        .order_by(Slot.starts_at)
    )
    return list(rows)


async def test_editing_a_template_moves_free_slots_and_flags_booked_visits(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    template_id = await db.scalar(
        sa.select(SlotTemplate.id).where(
            SlotTemplate.weekday == 2, SlotTemplate.start_time == sa.text("'15:30:00'")
        )
    ) or await db.scalar(sa.select(SlotTemplate.id).where(SlotTemplate.weekday == 2))
    slots = await _future_slots(db, template_id)
    assert len(slots) >= 3
    visit = await book_directly(db, slots[1], [35, 7])
    visit_id, booked_slot_id = visit.id, slots[1].id
    await db.commit()

    capacity_only = await client.patch(
        f"/api/v1/staff/slot-templates/{template_id}",
        headers=staff.manager,
        json={"capacity_tables": 5, "reason": "one more table"},
    )
    assert capacity_only.status_code == 200, capacity_only.text
    assert capacity_only.json()["slots_removed"] == 0
    assert capacity_only.json()["visits_flagged"] == []
    db.expire_all()
    current = await _future_slots(db, template_id)
    assert {s.capacity_tables for s in current} == {5}
    await db.commit()

    moved = await client.patch(
        f"/api/v1/staff/slot-templates/{template_id}",
        headers=staff.manager,
        json={"start_time": "16:00:00", "reason": "school ends later"},
    )
    body = moved.json()
    assert moved.status_code == 200, moved.text
    assert body["visits_flagged"] == [str(visit_id)]
    assert body["slots_removed"] == len(current) - 1
    assert body["slots_created"] >= len(current) - 1
    db.expire_all()
    kept = await db.get(Slot, booked_slot_id)
    assert kept is not None
    assert kept.status == SlotStatus.CLOSED
    flagged = await db.get(Visit, visit_id)
    assert flagged is not None
    assert flagged.status == VisitStatus.CONFIRMED  # never cancelled silently
    assert flagged.needs_review
    assert flagged.review_reason == "template-changed:school ends later"
    new_times = {
        s.starts_at.astimezone(BERLIN).time().isoformat()
        for s in await _future_slots(db, template_id)
    }
    assert new_times == {"16:00:00"}
    await db.commit()


async def test_a_slot_that_a_cancelled_visit_remembers_is_closed_not_deleted(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    """Moving a template must not try to delete a slot that a cancelled visit still points at
    (a FOREIGN KEY violation, which the fuzzer found as a 500)."""
    template_id = await db.scalar(sa.select(SlotTemplate.id).where(SlotTemplate.weekday == 2))
    slots = await _future_slots(db, template_id)
    visit = await book_directly(db, slots[0], [35, 7])
    visit.status = VisitStatus.CANCELLED
    slots[0].booked_tables = slots[0].booked_seats = slots[0].booked_children = 0
    remembered_id = slots[0].id
    await db.commit()
    moved = await client.patch(
        f"/api/v1/staff/slot-templates/{template_id}",
        headers=staff.manager,
        json={"start_time": "17:00:00", "reason": "later"},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["visits_flagged"] == []
    db.expire_all()
    remembered = await db.get(Slot, remembered_id)
    assert remembered is not None
    assert remembered.status == SlotStatus.CLOSED
    assert remembered.template_id is None
    await db.commit()


async def test_closures_close_slots_flag_visits_and_reopen(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    slot = await db.scalar(
        sa.select(Slot)
        .where(Slot.starts_at > utcnow() + timedelta(days=2))
        .order_by(Slot.starts_at)
    )
    assert slot is not None
    visit = await book_directly(db, slot, [40, 9, 2], support_needs="Kinderwagen")
    visit_id, slot_id, day = visit.id, slot.id, slot.local_date
    await db.commit()
    body = {
        "starts_on": day.isoformat(),
        "ends_on": day.isoformat(),
        "reason": "Personalversammlung",
    }
    url = f"/api/v1/staff/facilities/{staff.facility.id}/closures"
    preview = await client.post(f"{url}/preview", headers=staff.officer, json=body)
    assert [v["visit_id"] for v in preview.json()] == [str(visit_id)]
    assert (await client.post(url, headers=staff.officer, json=body)).status_code == 403
    created = await client.post(url, headers=staff.manager, json=body)
    assert created.status_code == 201
    assert created.json()["slots_closed"] >= 1
    assert [v["visit_id"] for v in created.json()["visits_flagged"]] == [str(visit_id)]
    db.expire_all()
    closed = await db.get(Slot, slot_id)
    flagged = await db.get(Visit, visit_id)
    assert closed is not None
    assert flagged is not None
    assert closed.status == SlotStatus.CLOSED
    assert flagged.status == VisitStatus.CONFIRMED
    assert flagged.review_reason == "closure:Personalversammlung"  # the words, no language
    await db.commit()
    shown = f"/api/v1/staff/visits/{visit_id}"
    for lang, words in (("en", "Closure: "), ("de", "Schließung: ")):
        read = await client.get(shown, params={"lang": lang}, headers=staff.officer)
        assert read.json()["review_reason"] == f"{words}Personalversammlung"
    public = (
        await client.get("/api/v1/slots", params={"from": day.isoformat(), "to": day.isoformat()})
    ).json()
    assert public["total"] == 0
    bad = await client.post(
        url,
        headers=staff.manager,
        json={"starts_on": "2026-05-02", "ends_on": "2026-05-01", "reason": "x"},
    )
    assert {e["name"] for e in bad.json()["errors"]} == {"reason"} or bad.json()["errors"][0][
        "name"
    ] == "reason"
    listed = await client.get(url, headers=staff.officer)
    closure_id = listed.json()["items"][0]["id"]
    assert (
        await client.delete(f"/api/v1/staff/closures/{closure_id}", headers=staff.manager)
    ).status_code == 204
    db.expire_all()
    reopened = await db.get(Slot, slot_id)
    assert reopened is not None
    assert reopened.status == SlotStatus.OPEN
    await db.commit()

    sheet = await client.get(
        f"/api/v1/staff/facilities/{staff.facility.id}/day-sheet",
        headers=staff.officer,
        params={"date": day.isoformat()},
    )
    assert sheet.status_code == 200
    entry = sheet.json()["visits"][0]
    assert (entry["adults"], entry["children"], entry["child_in_party"]) == (1, 2, True)
    assert [m["age"] for m in entry["party"]] == [40, 9, 2]
    assert entry["support_needs"] == "Kinderwagen"
    as_csv = await client.get(
        f"/api/v1/staff/facilities/{staff.facility.id}/day-sheet",
        headers=staff.officer,
        params={"date": day.isoformat(), "format": "csv"},
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = read_document(as_csv.text)  # German, the default language
    assert rows[0]["Alter"] == "40 9 2"
    assert rows[0]["Kind in der Besuchsgruppe"] == "Ja"
    english = await client.get(
        f"/api/v1/staff/facilities/{staff.facility.id}/day-sheet",
        headers=staff.officer | {"Accept-Language": "en"},
        params={"date": day.isoformat(), "format": "csv"},
    )
    row = read_document(english.text)[0]
    assert (row["Ages"], row["Child in party"], row["Needs review"]) == ("40 9 2", "Yes", "Yes")


async def test_monthly_figures_count_child_friendly_slots_outside_school_hours(
    client: Client, db: AsyncSession, staff: Staff
) -> None:
    facility = (
        await client.post("/api/v1/staff/facilities", headers=staff.admin, json=FACILITY)
    ).json()
    room = (
        await client.post(
            f"/api/v1/staff/facilities/{facility['id']}/rooms",
            headers=staff.admin,
            json={
                "name": "Familie",
                "capacity_tables": 2,
                "capacity_seats": 6,
                "capacity_children": 4,
                "features": ["play_corner"],
                "age_bands": ["0-2", "3-5"],
            },
        )
    ).json()
    url = f"/api/v1/staff/facilities/{facility['id']}/slot-templates"
    for weekday, start in ((0, "10:00:00"), (0, "15:30:00"), (5, "10:00:00")):
        made = await client.post(
            url,
            headers=staff.admin,
            json=template(room["id"], weekday=weekday, start_time=start, valid_from="2026-01-01"),
        )
        assert made.status_code == 201
    today = utcnow().astimezone(BERLIN).date()
    month = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    from visits.facilities.slot_generation import generate_slots

    target = await db.get(Facility, uuid.UUID(facility["id"]))
    assert target is not None
    await generate_slots(db, target, month, month + timedelta(days=40))
    await db.commit()
    figures = await client.get(
        f"/api/v1/staff/facilities/{facility['id']}/figures",
        headers=staff.admin,
        params={"month": month.strftime("%Y-%m")},
    )
    assert figures.status_code == 200, figures.text
    data = figures.json()
    mondays = sum(
        1
        for d in range(40)
        if (month + timedelta(days=d)).month == month.month
        and (month + timedelta(days=d)).weekday() == 0
    )
    saturdays = sum(
        1
        for d in range(40)
        if (month + timedelta(days=d)).month == month.month
        and (month + timedelta(days=d)).weekday() == 5
    )
    assert data["slots_offered"] == 2 * mondays + saturdays
    assert data["child_friendly_slots"] == data["slots_offered"]
    assert data["child_friendly_outside_school_hours"] == mondays + saturdays
    assert data["school_window"] == "08:00-15:00"
    assert data["rooms"][0]["tables_offered"] == 2 * data["slots_offered"]
    bad = await client.get(
        f"/api/v1/staff/facilities/{facility['id']}/figures",
        headers=staff.admin,
        params={"month": "2026-13"},
    )
    assert bad.status_code == 400
