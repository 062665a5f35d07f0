"""The console's household page in process, on SQLite and PostgreSQL: the safeguarding lead
records the safeguarding facts the booking rules read through its forms (a flag here), other
staff read the facts without reasons and without forms, a form with a mistake comes back with
the mistake named at its field, and the German page reads German throughout. The visit page
shows the party's facts beside the rule results and links here."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.web.console_helpers import LEAD, OFFICER, demo_facility, staff_signs_in
from visits.db.models import AuditEvent, GuardianConsent, Household, Visit, Visitor

DEMO_EMAIL = "anna.beispiel@example.org"
REASON = "Jugendamt, Schreiben vom 12. November: Prüfung läuft."


async def _household(db: AsyncSession) -> tuple[uuid.UUID, uuid.UUID]:
    """The demo household (Anna Beispiel) and Anna, its adult."""
    household_id = await db.scalar(sa.select(Household.id).where(Household.email == DEMO_EMAIL))
    assert household_id is not None
    anna = await db.scalar(
        sa.select(Visitor.id).where(
            Visitor.household_id == household_id, Visitor.given_name == "Anna"
        )
    )
    assert anna is not None
    await db.commit()
    return household_id, anna


async def _flags(db: AsyncSession, visitor_id: uuid.UUID) -> list[str]:
    flags = await db.scalar(sa.select(Visitor.safeguarding_flags).where(Visitor.id == visitor_id))
    await db.commit()
    return list(flags or [])


async def test_the_lead_sets_a_flag_through_the_page_and_others_read_it_without_reason(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    household_id, anna = await _household(db)
    page_path = f"/staff/facilities/{facility_id}/households/{household_id}"

    token = await staff_signs_in(client, LEAD)
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    assert "Anna Beispiel" in page.text
    assert "Mia Beispiel" in page.text
    assert f'action="{page_path}/visitors/{anna}/flags"' in page.text
    assert "No safeguarding flag." in page.text

    sent = await client.post(
        f"{page_path}/visitors/{anna}/flags",
        data={"csrf_token": token, "flag": "check_pending", "reason": REASON},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith(page_path)
    shown = await client.get(sent.headers["location"])
    assert "The flag was set. Bookings with this person now go to review." in shown.text
    assert "Background check pending" in shown.text
    assert REASON in shown.text
    assert f"{page_path}/visitors/{anna}/flags/check_pending/clearing" in shown.text
    event = await db.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "safeguarding.flag_set")
    )
    assert event is not None
    assert event.reason == REASON
    assert event.object_id == str(anna)
    assert await _flags(db, anna) == ["check_pending"]

    token = await staff_signs_in(client, OFFICER)
    # The phone booking links to the household's page.
    booking = await client.get(
        f"/staff/facilities/{facility_id}/phone-booking",
        params={"q": "Beispiel", "household": str(household_id)},
    )
    assert booking.status_code == 200
    assert f'href="{page_path}"' in booking.text
    seen = await client.get(page_path)
    assert seen.status_code == 200
    assert "Background check pending" in seen.text
    assert REASON not in seen.text
    assert "<form" not in seen.text.split('<main id="main"', 1)[1]
    assert 'id="lead-only"' in seen.text
    refused = await client.post(
        f"{page_path}/visitors/{anna}/flags/check_pending/clearing",
        data={"csrf_token": token, "reason": "Erledigt, Prüfung ohne Befund."},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert await _flags(db, anna) == ["check_pending"]


async def test_a_form_with_a_mistake_comes_back_naming_the_field(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    household_id, anna = await _household(db)
    page_path = f"/staff/facilities/{facility_id}/households/{household_id}"
    token = await staff_signs_in(client, LEAD)
    short = await client.post(
        f"{page_path}/visitors/{anna}/flags",
        data={"csrf_token": token, "flag": "court_order", "reason": "x"},
    )
    assert short.status_code == 422
    assert f'href="#flag-{anna}-reason"' in short.text
    assert "Please give a reason of at least 3 characters." in short.text
    assert f'id="flag-{anna}-reason-error"' in short.text
    # The form that was sent stays open with its choice.
    assert '<option value="court_order" selected>' in short.text
    no_flag = await client.post(
        f"{page_path}/visitors/{anna}/flags", data={"csrf_token": token, "reason": REASON}
    )
    assert no_flag.status_code == 422
    assert f'id="flag-{anna}-flag-error"' in no_flag.text
    assert REASON in no_flag.text  # what was typed comes back
    assert await _flags(db, anna) == []


async def test_the_german_page_has_no_english_fragments(client: Client, db: AsyncSession) -> None:
    facility_id = await demo_facility(db)
    household_id, anna = await _household(db)
    leon = await db.scalar(sa.select(Visitor.id).where(Visitor.given_name == "Leon"))
    assert leon is not None
    await db.execute(
        sa.update(Visitor).where(Visitor.id == anna).values(safeguarding_flags=["court_order"])
    )
    db.add(
        GuardianConsent(
            adult_visitor_id=anna,
            child_visitor_id=leon,
            reason="Formular gesehen.",
            recorded_by="Sabine Kraus",
            valid=True,
        )
    )
    await db.commit()
    await staff_signs_in(client, LEAD, language="de")
    page = await client.get(f"/staff/facilities/{facility_id}/households/{household_id}")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Ein Gerichtsbeschluss beschränkt den Kontakt" in text
    assert "Erfasst von Sabine Kraus" in text
    assert "Mit Anna Beispiel" in text
    for english in (
        "Household",
        "Safeguarding",
        "flag",
        "Reason",
        "consent",
        "Record",
        "child",
        "years",
        "Born",
        "People of",
        "Choose",
        "Withdraw",
        "Recorded",
        "wish",
    ):
        assert english not in text, english
    assert "Anna Beispiel" in page.text


async def test_the_visit_page_shows_the_partys_facts_and_links_the_household(
    client: Client, db: AsyncSession
) -> None:
    """The Kaya family's request with the uncle whose check is pending (demo data)."""
    facility_id = await demo_facility(db)
    uncle = await db.scalar(sa.select(Visitor).where(Visitor.given_name == "Can"))
    assert uncle is not None
    visit_id = await db.scalar(
        sa.select(Visit.id).where(Visit.household_id == uncle.household_id, Visit.needs_review)
    )
    assert visit_id is not None
    household_id = uncle.household_id
    await db.commit()
    await staff_signs_in(client, OFFICER)
    page = await client.get(f"/staff/facilities/{facility_id}/visits/{visit_id}")
    assert page.status_code == 200, page.text
    facts = page.text.split('id="party-safeguarding"', 1)[1].split("</ul>", 1)[0]
    assert "Can Kaya" in facts
    assert "Background check pending" in facts
    assert "Deniz Kaya" not in facts  # nothing is recorded about the mother
    assert f'href="/staff/facilities/{facility_id}/households/{household_id}"' in page.text
