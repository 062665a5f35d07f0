"""Idempotency-Key under real concurrency: one change, one answer, replayed to every retry.

Litestar's AsyncTestClient runs the application in a portal thread and answers one request at a
time, so it cannot show a race. The concurrent requests here go through ``httpx.ASGITransport``
into the application on the test's own event loop, where they interleave at every database
call, each on its own connection; on PostgreSQL they are also sent to two server processes.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from litestar.testing import RequestFactory
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bench.harness import Booker, populate, servers
from tests.accounts_helpers import Client
from tests.booking_helpers import Family, demo_family, hold_body
from tests.databases import fresh_database, in_thread, postgres_admin_url
from visits.app import create_app
from visits.audit import Actor, record
from visits.booking import idempotency
from visits.db.engine import create_engine, create_session_factory
from visits.db.migrate import upgrade
from visits.db.models import AuditEvent, Facility, IdempotencyRecord, Slot, Visit, VisitorApproval
from visits.enums import ApprovalStatus
from visits.errors import Conflict, Unprocessable
from visits.settings import Settings

CONCURRENT = 10
HOLDS = "/api/v1/household/holds"


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


@asynccontextmanager
async def concurrent_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests run concurrently inside the application on this event loop."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as client,
    ):
        yield client


async def count(db: AsyncSession, statement: sa.Select[tuple[int]]) -> int:
    found = await db.scalar(statement)
    await db.commit()
    return found or 0


def check_one_answer(answers: list[httpx.Response], status: int) -> None:
    """Every request got the first answer; exactly one request did the work."""
    assert [a.status_code for a in answers] == [status] * len(answers), [a.text for a in answers]
    assert all(a.json() == answers[0].json() for a in answers)
    replayed = [a.headers.get(idempotency.REPLAYED_HEADER) for a in answers]
    assert replayed.count(None) == 1, replayed
    assert replayed.count("true") == len(answers) - 1


@pytest.mark.parametrize("refused", [False, True], ids=["held", "refused"])
async def test_concurrent_holds_with_one_key_change_once_and_answer_alike(
    settings: Settings, db: AsyncSession, family: Family, refused: bool
) -> None:
    """Ten holds with one key at once: one visit (or one refusal), ten equal answers, no 500."""
    slot = family.family_slots[0]
    children_alone = [str(c) for c in family.children]  # no adult: CF-01 refuses
    body = hold_body(family, slot, children_alone if refused else None)
    headers = family.headers | {"Idempotency-Key": f"concurrent-{uuid.uuid4()}"}
    async with concurrent_client(settings) as client:
        answers = list(
            await asyncio.gather(
                *(client.post(HOLDS, headers=headers, json=body) for _ in range(CONCURRENT))
            )
        )
    check_one_answer(answers, 422 if refused else 201)
    visits = await count(db, sa.select(sa.func.count()).select_from(Visit))
    holds = await count(
        db,
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "visit.hold"),
    )
    assert (visits, holds) == ((0, 0) if refused else (1, 1))
    taken = await db.get(Slot, slot, populate_existing=True)
    assert taken is not None
    assert taken.booked_tables == (0 if refused else 1)
    records = list(await db.scalars(sa.select(IdempotencyRecord)))
    assert [r.status_code for r in records] == [422 if refused else 201]
    await db.commit()
    if refused:
        assert answers[0].json()["type"] == "urn:visits:problem:booking-refused"


async def test_concurrent_holds_with_different_keys_are_separate_requests(
    settings: Settings, db: AsyncSession, family: Family
) -> None:
    """The same body under two keys is two requests: the second hold finds the prisoner busy."""
    body = hold_body(family, family.family_slots[0])
    async with concurrent_client(settings) as client:
        answers = await asyncio.gather(
            *(
                client.post(HOLDS, headers=family.headers | {"Idempotency-Key": key}, json=body)
                for key in ("first", "second")
            )
        )
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert await count(db, sa.select(sa.func.count()).select_from(Visit)) == 1


async def _facility(db: AsyncSession, slug: str) -> None:
    db.add(
        Facility(
            slug=slug,
            name="Idempotency",
            timezone="Europe/Berlin",
            street="s",
            postal_code="1",
            city="c",
            country="DE",
            email="facility@example.org",
        )
    )
    await db.flush()


async def test_a_refusal_after_a_failed_statement_is_stored_and_the_change_undone(
    db: AsyncSession,
) -> None:
    """The operation runs in a SAVEPOINT: a refusal after a constraint error (PostgreSQL then
    aborts the statement's transaction) still stores its answer, and nothing of the change."""
    await _facility(db, "taken")
    await db.commit()
    request = RequestFactory().post("/api/v1/things", headers={"Idempotency-Key": "k-1"})

    async def operation() -> tuple[int, object]:
        record(db, Actor.system(), "thing.create", "thing", None)
        try:
            await _facility(db, "taken")
        except IntegrityError as exc:
            raise Conflict("facility-exists", "The slug is taken.") from exc
        return 201, {}

    with pytest.raises(Conflict):
        await idempotency.run(request, db, "test:1", "k-1", {"slug": "taken"}, operation)
    stored = await db.scalar(sa.select(IdempotencyRecord))
    assert stored is not None
    assert stored.response is not None
    assert (stored.status_code, stored.response["type"]) == (
        409,
        "urn:visits:problem:facility-exists",
    )
    assert await db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0
    assert await db.scalar(sa.select(sa.func.count()).select_from(Facility)) == 1
    await db.commit()
    replay = await idempotency.run(request, db, "test:1", "k-1", {"slug": "taken"}, operation)
    assert (replay.status_code, replay.headers[idempotency.REPLAYED_HEADER]) == (409, "true")


async def test_a_server_error_keeps_no_record_so_the_key_can_be_retried(db: AsyncSession) -> None:
    request = RequestFactory().post("/api/v1/things", headers={"Idempotency-Key": "k-2"})
    attempts: list[int] = []

    async def operation() -> tuple[int, object]:
        attempts.append(1)
        await _facility(db, f"f{len(attempts)}")
        if len(attempts) == 1:
            raise RuntimeError("the database went away")
        return 201, {"created": True}

    with pytest.raises(RuntimeError):
        await idempotency.run(request, db, "test:2", "k-2", {}, operation)
    assert await db.scalar(sa.select(sa.func.count()).select_from(IdempotencyRecord)) == 0
    await db.commit()
    retried = await idempotency.run(request, db, "test:2", "k-2", {}, operation)
    assert retried.status_code == 201
    assert await db.scalar(sa.select(Facility.slug)) == "f2"
    await db.commit()


async def test_a_record_without_an_answer_is_a_conflict_not_a_crash(db: AsyncSession) -> None:
    """Records are committed with their answer; one without (never written so) is reported as
    a request in progress, not as a server error."""
    request = RequestFactory().post("/api/v1/things", headers={"Idempotency-Key": "k-3"})
    db.add(
        IdempotencyRecord(
            caller="test:3", key="k-3", fingerprint=idempotency.fingerprint(request, {})
        )
    )
    await db.commit()

    async def operation() -> tuple[int, object]:
        raise AssertionError("must not run")

    with pytest.raises(Conflict) as raised:
        await idempotency.run(request, db, "test:3", "k-3", {}, operation)
    assert raised.value.slug == "request-in-progress"
    with pytest.raises(Unprocessable) as other:
        await idempotency.run(request, db, "test:3", "k-3", {"other": 1}, operation)
    assert other.value.slug == "idempotency-key-reused"


async def test_one_key_sent_to_two_server_processes_on_postgres(tmp_path: Path) -> None:
    """Ten requests with one key, spread over two `visits serve` processes (many connections):
    one hold is made, and one refusal stored, each answered alike to all ten."""
    if postgres_admin_url() is None:
        pytest.skip("needs VISITS_TEST_POSTGRES_URL")  # CI sets it and fails on any skip
    with fresh_database("postgresql", tmp_path) as url:
        in_thread(upgrade, url)
        engine = create_engine(url)
        try:
            scenario = await populate(engine, bookers=2, slots=1, capacity=3)
            booker, refused = scenario.bookers
            async with engine.begin() as connection:  # CF-04: no approval, no visit
                await connection.execute(
                    sa.update(VisitorApproval)
                    .where(VisitorApproval.visitor_id == refused.visitor_id)
                    .values(status=ApprovalStatus.PENDING)
                )
            with servers(url, 2, tmp_path) as urls:
                async with httpx.AsyncClient(timeout=60) as client:

                    async def hold(index: int, who: Booker, key: str) -> httpx.Response:
                        return await client.post(
                            f"{urls[index % 2]}{HOLDS}",
                            headers={
                                "Authorization": f"Bearer {who.token}",
                                "Idempotency-Key": key,
                            },
                            json={
                                "prisoner_id": str(who.prisoner_id),
                                "slot_id": str(scenario.slot_ids[0]),
                                "visitor_ids": [str(who.visitor_id)],
                            },
                        )

                    held, refusals = await asyncio.gather(
                        asyncio.gather(*(hold(i, booker, "held") for i in range(CONCURRENT))),
                        asyncio.gather(*(hold(i, refused, "no") for i in range(CONCURRENT))),
                    )
            check_one_answer(list(held), 201)
            check_one_answer(list(refusals), 422)
            async with create_session_factory(engine)() as db:
                assert await count(db, sa.select(sa.func.count()).select_from(Visit)) == 1
                slot = await db.get(Slot, scenario.slot_ids[0])
                assert slot is not None
                assert slot.booked_tables == 1
                statuses = await db.scalars(
                    sa.select(IdempotencyRecord.status_code).order_by(IdempotencyRecord.key)
                )
                assert list(statuses) == [201, 422]
        finally:
            await engine.dispose()
