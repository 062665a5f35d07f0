"""The retention review in the console (issue 17 point 9), on SQLite and PostgreSQL: the visits
manager sees the households of the facility that the next nightly run erases, in German and
English; an administrator also sees the sign-ups linked to no facility; other roles and other
facilities' staff do not; and the list is exactly what the job then erases.

The facility, its staff and the families are made here, not taken from the demo."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client, add_staff
from tests.people.retention_helpers import LONG_AGO, new_household, new_place, visit_at
from tests.web.console_helpers import staff_signs_in
from visits.db.base import utcnow
from visits.db.engine import create_session_factory
from visits.db.models import Household
from visits.enums import StaffRole
from visits.people import retention
from visits.scheduler.retention import apply_retention
from visits.settings import Settings

MANAGER = "leitung@jva-retention.example"
OFFICER = "besuch@jva-retention.example"
ADMIN = "admin@visits.example"
ELSEWHERE = "leitung@jva-anderswo.example"


async def _world(db: AsyncSession) -> str:
    """Returns the page's path. Families: one due here, one kept here (a recent visit), one due
    at another facility, one due that never asked or visited anywhere."""
    now = utcnow()
    here = await new_place(db)
    there = await new_place(db, "jva-anderswo")
    due_here = await new_household(db, "Greta Gone", changed_at=now - LONG_AGO, people=3)
    kept = await new_household(db, "Karl Kept", changed_at=now - LONG_AGO)
    due_there = await new_household(db, "Olga Other", changed_at=now - LONG_AGO)
    await new_household(db, "Norbert Nowhere", changed_at=now - LONG_AGO, people=1)
    await visit_at(db, here, due_here, now - timedelta(days=800))
    await visit_at(db, here, kept, now - timedelta(days=20))
    await visit_at(db, there, due_there, now - timedelta(days=900))
    await db.commit()
    await add_staff(db, MANAGER, [(StaffRole.VISITS_MANAGER, here.facility.id)])
    await add_staff(db, OFFICER, [(StaffRole.VISITS_OFFICER, here.facility.id)])
    await add_staff(db, ADMIN, [(StaffRole.ADMIN, None)])
    await add_staff(db, ELSEWHERE, [(StaffRole.VISITS_MANAGER, there.facility.id)])
    return f"/staff/facilities/{here.facility.id}/retention"


async def test_the_manager_reviews_what_the_next_run_erases(
    client: Client, db: AsyncSession, engine: AsyncEngine, settings: Settings
) -> None:
    path = await _world(db)

    await staff_signs_in(client, MANAGER, password=STAFF_PASSWORD)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert "Households the next run erases" in page.text
    assert f'href="{path}" aria-current="page">Data retention</a>' in page.text
    assert "1 household of this facility will be erased" in page.text
    assert '<th scope="row">Greta Gone</th>' in page.text
    assert '<td class="num">3</td>' in page.text
    assert "in the last 365 days" in page.text
    for absent in ("Karl Kept", "Olga Other", "Norbert Nowhere", "linked to no facility"):
        assert absent not in page.text

    await staff_signs_in(client, MANAGER, password=STAFF_PASSWORD, language="de")
    german = await client.get(path)
    assert german.status_code == 200
    for text in (
        "Haushalte, die der nächste Lauf löscht",
        ">Löschfristen</a>",
        "1 Haushalt dieser Anstalt wird gelöscht",
        "in den letzten 365 Tagen",
        "Letzter Besuch",
        "Letzter Kontakt",
    ):
        assert text in german.text, text
    for english in ("Households the next run", "Last visit", "Data retention", "People<"):
        assert english not in german.text, english

    # What the page listed is what the run erases (the run at the time the page names).
    run_at = retention.next_run(utcnow())
    session_factory = create_session_factory(engine)
    await db.rollback()
    assert await apply_retention(session_factory, settings, run_at) == 3
    db.expire_all()
    assert set(await db.scalars(sa.select(Household.guardian_name))) == {"Karl Kept"}
    await db.rollback()
    await staff_signs_in(client, MANAGER, password=STAFF_PASSWORD)
    after = await client.get(path)
    assert "The next run erases no household of this facility." in after.text


async def test_the_administrator_also_sees_households_of_no_facility(
    client: Client, db: AsyncSession
) -> None:
    path = await _world(db)
    await staff_signs_in(client, ADMIN, password=STAFF_PASSWORD)
    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert "Greta Gone" in page.text
    assert "1 household linked to no facility will be erased" in page.text
    assert '<th scope="row">Norbert Nowhere</th>' in page.text
    assert "Olga Other" not in page.text


async def test_other_roles_and_facilities_see_no_list(client: Client, db: AsyncSession) -> None:
    path = await _world(db)
    await staff_signs_in(client, OFFICER, password=STAFF_PASSWORD)
    refused = await client.get(path)
    assert refused.status_code == 403
    assert "Greta Gone" not in refused.text
    overview = await client.get(path.removesuffix("/retention"))
    assert overview.status_code == 200
    assert "/retention" not in overview.text  # no menu item either

    await staff_signs_in(client, ELSEWHERE, password=STAFF_PASSWORD)
    other = await client.get(path)
    assert other.status_code == 403
    assert "Greta Gone" not in other.text
