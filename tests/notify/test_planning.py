"""Reminder planning: absolute offsets across DST, quiet hours, and every visit change."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.booking_helpers import Family, book, demo_family
from visits.db.models import Household, Reminder
from visits.enums import ReminderState
from visits.notify.reminders import due_time, in_quiet_hours

BERLIN = ZoneInfo("Europe/Berlin")
QUIET = (time(21, 0), time(8, 0))


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_offsets_are_real_hours_across_the_spring_change() -> None:
    visit = berlin(2026, 3, 30, 15, 0)  # Monday after the clocks went forward
    due = due_time(visit.astimezone(UTC), 48, BERLIN, *QUIET)
    assert visit.astimezone(UTC) - due == timedelta(hours=48)
    assert due.astimezone(BERLIN) == berlin(2026, 3, 28, 14, 0)  # 14:00 CET, not 15:00


def test_offsets_are_real_hours_across_the_autumn_change() -> None:
    visit = berlin(2026, 10, 26, 15, 0)
    due = due_time(visit.astimezone(UTC), 48, BERLIN, *QUIET)
    assert due.astimezone(BERLIN) == berlin(2026, 10, 24, 16, 0)


@pytest.mark.parametrize(
    ("visit", "hours", "expected"),
    [
        (berlin(2026, 11, 25, 9, 0), 2, berlin(2026, 11, 24, 20, 59)),  # 07:00 is quiet
        (berlin(2026, 11, 25, 23, 30), 2, berlin(2026, 11, 25, 20, 59)),  # 21:30 is quiet
        (berlin(2026, 11, 25, 15, 30), 2, berlin(2026, 11, 25, 13, 30)),  # fine as it is
        (berlin(2026, 11, 25, 10, 0), 2, berlin(2026, 11, 25, 8, 0)),  # 08:00 is allowed
    ],
)
def test_quiet_hours_move_reminders_earlier(
    visit: datetime, hours: int, expected: datetime
) -> None:
    assert due_time(visit.astimezone(UTC), hours, BERLIN, *QUIET).astimezone(BERLIN) == expected


def test_quiet_hours_within_one_day() -> None:
    assert in_quiet_hours(berlin(2026, 1, 1, 13, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(berlin(2026, 1, 1, 14, 0), time(12, 0), time(14, 0))


@pytest.fixture
async def family(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    return await demo_family(client, db, caplog)


async def reminder_rows(db: AsyncSession) -> list[tuple[int, ReminderState, datetime]]:
    rows = (
        await db.execute(
            sa.select(Reminder.offset_minutes, Reminder.state, Reminder.due_at).order_by(
                Reminder.offset_minutes.desc()
            )
        )
    ).all()
    await db.commit()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_confirm_plans_cancel_cancels_reschedule_replans(
    client: Client, db: AsyncSession, family: Family
) -> None:
    visit = await book(client, family, family.family_slots[0])
    planned = await reminder_rows(db)
    assert [(o, s) for o, s, _ in planned] == [
        (2880, ReminderState.PENDING),
        (120, ReminderState.PENDING),
    ]
    starts = datetime.fromisoformat(visit["starts_at"])
    assert all(due < starts for _, _, due in planned)
    moved = await client.post(
        f"/api/v1/household/visits/{visit['id']}/reschedule",
        headers=family.headers,
        json={"slot_id": str(family.family_slots[1])},
    )
    assert moved.status_code == 200
    replanned = await reminder_rows(db)
    new_start = datetime.fromisoformat(moved.json()["starts_at"])
    assert [s for _, s, _ in replanned] == [ReminderState.PENDING] * 2
    assert all(due < new_start and due > starts for _, _, due in replanned)
    cancelled = await client.post(
        f"/api/v1/household/visits/{visit['id']}/cancel", headers=family.headers, json={}
    )
    assert cancelled.status_code == 200
    assert [s for _, s, _ in await reminder_rows(db)] == [ReminderState.CANCELLED] * 2


async def test_no_reminders_without_consent(
    client: Client, db: AsyncSession, family: Family
) -> None:
    await db.execute(sa.update(Household).values(sms_consent=False))
    await db.commit()
    await book(client, family, family.family_slots[0])
    assert await reminder_rows(db) == []


async def test_a_facility_sets_its_own_offsets(
    client: Client, db: AsyncSession, family: Family
) -> None:
    from tests.accounts_helpers import add_staff, bearer, staff_token
    from visits.enums import StaffRole

    await add_staff(db, "m@example.org", [(StaffRole.VISITS_MANAGER, family.facility_id)])
    manager = bearer(await staff_token(client, "m@example.org"))
    changed = await client.patch(
        f"/api/v1/staff/facilities/{family.facility_id}",
        headers=manager,
        json={"reminder_offsets_hours": [24, 72, 24]},
    )
    assert changed.json()["reminder_offsets_hours"] == [72, 24]
    bad = await client.patch(
        f"/api/v1/staff/facilities/{family.facility_id}",
        headers=manager,
        json={"reminder_offsets_hours": [0]},
    )
    assert bad.status_code == 422
    await book(client, family, family.family_slots[0])
    assert [o for o, _, _ in await reminder_rows(db)] == [72 * 60, 24 * 60]


async def test_withdrawing_sms_consent_cancels_and_giving_it_plans_again(
    client: Client, db: AsyncSession, family: Family
) -> None:
    await book(client, family, family.family_slots[0])
    off = await client.patch(
        "/api/v1/household", headers=family.headers, json={"sms_consent": False}
    )
    assert off.json()["sms_consent"] is False
    assert {s for _, s, _ in await reminder_rows(db)} == {ReminderState.CANCELLED}
    on = await client.patch("/api/v1/household", headers=family.headers, json={"sms_consent": True})
    assert on.json()["sms_consent"] is True
    assert {s for _, s, _ in await reminder_rows(db)} == {ReminderState.PENDING}
