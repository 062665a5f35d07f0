"""Household booking: hold, confirm, cancel, reschedule, refusals, idempotency, ledgers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.booking_helpers import Family, book, demo_family, hold_body
from visits.db.base import utcnow
from visits.db.models import AllowanceEntry, AuditEvent, Slot, Visit
from visits.enums import Ledger, VisitStatus


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def slot_counts(db: AsyncSession, slot_id: uuid.UUID) -> tuple[int, int, int]:
    slot = await db.get(Slot, slot_id, populate_existing=True)
    assert slot is not None
    counts = (slot.booked_tables, slot.booked_seats, slot.booked_children)
    await db.commit()
    return counts


async def test_hold_then_confirm_books_takes_capacity_and_debits_the_child_ledger(
    client: Client, db: AsyncSession, family: Family
) -> None:
    slot = family.family_slots[0]
    held = await client.post(
        "/api/v1/household/holds", headers=family.headers, json=hold_body(family, slot)
    )
    assert held.status_code == 201, held.text
    visit = held.json()
    assert visit["status"] == "held"
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", visit["reference"])
    assert visit["ical_uid"] == f"visit-{visit['id']}@visits"
    assert visit["party"][0]["age"] >= 18
    assert await slot_counts(db, slot) == (1, 3, 2)
    confirmed = await client.post(
        f"/api/v1/household/visits/{visit['id']}/confirm", headers=family.headers
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["ical_sequence"] == 0
    assert {r["rule_id"] for r in confirmed.json()["results"]} >= {"CF-03", "CF-21"}
    entries = list(await db.scalars(sa.select(AllowanceEntry)))
    assert [(e.ledger, e.minutes, e.visits) for e in entries] == [(Ledger.CHILD, -120, -1)]
    await db.commit()
    mine = await client.get("/api/v1/household/visits", headers=family.headers)
    assert mine.json()["total"] == 1
    again = await client.post(
        f"/api/v1/household/visits/{visit['id']}/confirm", headers=family.headers
    )
    assert again.status_code == 409


async def test_a_hard_failure_refuses_with_every_reason_and_changes_nothing(
    client: Client, db: AsyncSession, family: Family
) -> None:
    children_only = [str(c) for c in family.children]
    soon = await db.scalar(
        sa.select(Slot.id).where(Slot.starts_at > utcnow()).order_by(Slot.starts_at)
    )
    await db.commit()
    response = await client.post(
        "/api/v1/household/holds",
        headers=family.headers | {"Accept-Language": "de"},
        json=hold_body(family, soon, children_only),
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["type"] == "urn:visits:problem:booking-refused"
    refused = {r["rule_id"] for r in problem["rule_results"]}
    assert {"CF-01", "CF-BW"} <= refused  # no adult, and too short notice: both at once
    assert all(not r["passed"] and r["message"] for r in problem["rule_results"])
    assert await db.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    assert await slot_counts(db, soon) == (0, 0, 0)


async def test_idempotency_key_replays_and_refuses_reuse_for_another_request(
    client: Client, db: AsyncSession, family: Family
) -> None:
    headers = family.headers | {"Idempotency-Key": "hold-1"}
    body = hold_body(family, family.family_slots[0])
    first = await client.post("/api/v1/household/holds", headers=headers, json=body)
    second = await client.post("/api/v1/household/holds", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await db.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1
    assert await slot_counts(db, family.family_slots[0]) == (1, 3, 2)
    other = await client.post(
        "/api/v1/household/holds", headers=headers, json=hold_body(family, family.family_slots[1])
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:visits:problem:idempotency-key-reused"
    # A refusal is replayed as well.
    bad = hold_body(family, family.family_slots[1], [str(c) for c in family.children])
    keyed = family.headers | {"Idempotency-Key": "refused-1"}
    refusals = [
        await client.post("/api/v1/household/holds", headers=keyed, json=bad) for _ in range(2)
    ]
    assert [r.status_code for r in refusals] == [422, 422]
    assert refusals[0].json() == refusals[1].json()


async def test_cancel_releases_capacity_and_credits_the_ledger(
    client: Client, db: AsyncSession, family: Family
) -> None:
    visit = await book(client, family, family.family_slots[0])
    cancelled = await client.post(
        f"/api/v1/household/visits/{visit['id']}/cancel",
        headers=family.headers,
        json={"reason": "child is ill"},
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["ical_sequence"] == 1
    assert await slot_counts(db, family.family_slots[0]) == (0, 0, 0)
    total = await db.scalar(sa.select(sa.func.sum(AllowanceEntry.minutes)))
    assert total == 0
    await db.commit()
    twice = await client.post(
        f"/api/v1/household/visits/{visit['id']}/cancel", headers=family.headers, json={}
    )
    assert twice.status_code == 409


async def test_cancel_after_the_cut_off_is_refused(
    client: Client, db: AsyncSession, family: Family
) -> None:
    visit = await book(client, family, family.family_slots[0])
    await db.execute(
        sa.update(Visit).values(
            starts_at=utcnow() + timedelta(hours=5), ends_at=utcnow() + timedelta(hours=7)
        )
    )
    await db.commit()
    late = await client.post(
        f"/api/v1/household/visits/{visit['id']}/cancel", headers=family.headers, json={}
    )
    assert late.status_code == 409
    assert late.json()["type"] == "urn:visits:problem:past-cancel-cutoff"


async def test_reschedule_secures_the_new_slot_first_and_keeps_the_uid(
    client: Client, db: AsyncSession, family: Family
) -> None:
    old, new = family.family_slots[0], family.family_slots[1]
    visit = await book(client, family, old)
    moved = await client.post(
        f"/api/v1/household/visits/{visit['id']}/reschedule",
        headers=family.headers,
        json={"slot_id": str(new)},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot_id"] == str(new)
    assert moved.json()["ical_uid"] == visit["ical_uid"]
    assert moved.json()["ical_sequence"] == 1
    assert await slot_counts(db, old) == (0, 0, 0)
    assert await slot_counts(db, new) == (1, 3, 2)
    # A full target keeps the visit where it is.
    await db.execute(
        sa.update(Slot).where(Slot.id == old).values(booked_tables=Slot.capacity_tables)
    )
    await db.commit()
    blocked = await client.post(
        f"/api/v1/household/visits/{visit['id']}/reschedule",
        headers=family.headers,
        json={"slot_id": str(old)},
    )
    assert blocked.status_code in (409, 422)
    assert await slot_counts(db, new) == (1, 3, 2)
    stayed = await client.get(f"/api/v1/household/visits/{visit['id']}", headers=family.headers)
    assert stayed.json()["slot_id"] == str(new)
    assert stayed.json()["ical_sequence"] == 1


async def test_expired_holds_release_capacity(
    client: Client, db: AsyncSession, family: Family
) -> None:
    slot = family.family_slots[0]
    held = (
        await client.post(
            "/api/v1/household/holds", headers=family.headers, json=hold_body(family, slot)
        )
    ).json()
    await db.execute(sa.update(Visit).values(hold_expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    late = await client.post(
        f"/api/v1/household/visits/{held['id']}/confirm", headers=family.headers
    )
    assert late.status_code == 409
    assert late.json()["type"] == "urn:visits:problem:hold-expired"
    # The next hold on the slot expires the old one lazily and takes its place.
    again = await client.post(
        "/api/v1/household/holds", headers=family.headers, json=hold_body(family, slot)
    )
    assert again.status_code == 201
    old = await db.get(Visit, uuid.UUID(held["id"]))
    assert old is not None
    assert old.status == VisitStatus.EXPIRED
    assert old.status_reason == "hold-expired"  # a code, in words when read
    assert await slot_counts(db, slot) == (1, 3, 2)
    await db.commit()
    for lang, words in (("en", "The hold ran out."), ("de", "Die Reservierung ist abgelaufen.")):
        shown = await client.get(
            f"/api/v1/household/visits/{held['id']}", headers=family.headers, params={"lang": lang}
        )
        assert shown.json()["status_reason"] == words


async def test_a_prisoner_cannot_have_two_visits_at_once(
    client: Client, db: AsyncSession, family: Family
) -> None:
    await book(client, family, family.family_slots[0])
    second = await client.post(
        "/api/v1/household/holds",
        headers=family.headers,
        json=hold_body(family, family.family_slots[0]),
    )
    assert second.status_code == 409
    assert second.json()["type"] == "urn:visits:problem:prisoner-busy"


async def test_annotated_slots_and_dry_run(client: Client, family: Family) -> None:
    listing = await client.get(
        "/api/v1/household/slots",
        headers=family.headers,
        params={"prisoner_id": str(family.prisoner_id), "visitor_id": family.everyone, "limit": 60},
    )
    assert listing.status_code == 200, listing.text
    verdicts = {item["verdict"] for item in listing.json()["items"]}
    assert "fits" in verdicts
    assert "not_possible" in verdicts or "warnings" in verdicts
    for item in listing.json()["items"]:
        if item["verdict"] == "fits":
            assert item["reasons"] == []
        else:
            assert item["reasons"]
    checked = await client.post(
        "/api/v1/household/checks",
        headers=family.headers | {"Accept-Language": "de"},
        json={
            "prisoner_id": str(family.prisoner_id),
            "slot_id": str(family.family_slots[0]),
            "visitor_ids": [str(c) for c in family.children],
        },
    )
    body = checked.json()
    assert body["outcome"] == "refused"
    assert "CF-01" in body["refused_by"]
    assert len(body["results"]) == 23
    assert all("overridable_by" not in r or r["overridable_by"] is None for r in body["results"])


async def test_another_households_visit_is_invisible(
    client: Client, db: AsyncSession, family: Family, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.accounts_helpers import bearer, sign_up

    visit = await book(client, family, family.family_slots[0])
    stranger = bearer(await sign_up(client, caplog, "stranger@example.org"))
    for method, path, body in (
        ("GET", f"/api/v1/household/visits/{visit['id']}", None),
        ("POST", f"/api/v1/household/visits/{visit['id']}/confirm", None),
        ("POST", f"/api/v1/household/visits/{visit['id']}/cancel", {}),
        (
            "POST",
            f"/api/v1/household/visits/{visit['id']}/reschedule",
            {"slot_id": str(family.family_slots[1])},
        ),
    ):
        response = await client.request(method, path, headers=stranger, json=body)
        assert response.status_code == 404, (path, response.text)
    hijack = await client.post(
        "/api/v1/household/holds", headers=stranger, json=hold_body(family, family.family_slots[1])
    )
    assert hijack.status_code == 404
    assert (
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "visit.cancel")
        )
        == 0
    )


async def test_a_full_slot_refuses_and_an_expired_hold_frees_it_when_slots_are_read(
    client: Client, db: AsyncSession, family: Family
) -> None:
    slot = family.family_slots[0]
    held = (
        await client.post(
            "/api/v1/household/holds", headers=family.headers, json=hold_body(family, slot)
        )
    ).json()
    await db.execute(sa.update(Slot).where(Slot.id == slot).values(capacity_tables=1))
    await db.commit()
    other_family_slot = hold_body(family, slot)
    full = await client.post(
        "/api/v1/household/holds", headers=family.headers, json=other_family_slot
    )
    assert full.status_code in (409, 422)
    await db.execute(sa.update(Visit).values(hold_expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    listing = await client.get("/api/v1/slots", params={"limit": 200})
    assert listing.status_code == 200
    assert await slot_counts(db, slot) == (0, 0, 0)  # freed by reading the slots
    expired = await db.get(Visit, uuid.UUID(held["id"]), populate_existing=True)
    assert expired is not None
    assert expired.status == VisitStatus.EXPIRED
    await db.commit()
