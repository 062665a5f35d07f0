"""The console's prisoner casework in process, on SQLite and PostgreSQL: registering, the list
and its search, a CSV import (a preview with a report by line, then all or nothing), the
safeguarding facts only the safeguarding lead records, release (which cancels visits and tells
the household through the outbox), and the pages in German."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.people.retention_helpers import Place, new_household, visit_at
from tests.web.console_helpers import LEAD, MANAGER, OFFICER, demo_facility, staff_signs_in
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Facility,
    Notice,
    Prisoner,
    PrisonerRestriction,
    Room,
    Visit,
)
from visits.enums import NoticeKind, VisitStatus

ROW = re.compile(r'<tr>\s*<th scope="row"><a href="[^"]+/prisoners/([0-9a-f-]{36})">([^<]+)</a>')


def _base(facility_id: uuid.UUID) -> str:
    return f"/staff/facilities/{facility_id}/prisoners"


async def _prisoner(db: AsyncSession, number: str) -> Prisoner | None:
    found = await db.scalar(
        sa.select(Prisoner).where(Prisoner.prison_number == number),
        execution_options={"populate_existing": True},
    )
    await db.commit()
    return found


async def _demo_prisoner(db: AsyncSession, number: str = "MS-2026-0042") -> Prisoner:
    prisoner = await _prisoner(db, number)
    assert prisoner is not None
    return prisoner


async def test_an_officer_registers_finds_and_opens_a_prisoner(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    token = await staff_signs_in(client, OFFICER)
    base = _base(facility_id)
    listed = await client.get(base)
    assert listed.status_code == 200
    assert {name for _, name in ROW.findall(listed.text)} == {"Beispiel, Jonas", "Kaya, Murat"}
    assert f'href="{base}/import"' in listed.text

    form = {
        "csrf_token": token,
        "prison_number": "MS-2026-0500",
        "given_name": "Karl",
        "family_name": "Brandt",
        "admission_date": (utcnow().date() + timedelta(days=5)).isoformat(),
        "custody_status": "",
    }
    wrong = await client.post(base, data=form)
    assert wrong.status_code == 422
    assert "Please choose the custody status." in wrong.text
    assert 'value="Brandt"' in wrong.text  # the form keeps what was typed
    future = await client.post(base, data=form | {"custody_status": "sentenced"})
    assert future.status_code == 422
    assert "Please enter the admission date, today or earlier." in future.text
    assert 'aria-invalid="true"' in future.text
    assert await _prisoner(db, "MS-2026-0500") is None

    form |= {"admission_date": "2026-01-15", "custody_status": "remand"}
    answer = await client.post(base, data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    prisoner = await _prisoner(db, "MS-2026-0500")
    assert prisoner is not None
    assert prisoner.facility_id == facility_id
    assert answer.headers["location"] == f"{base}/{prisoner.id}?done=registered"
    page = await client.get(answer.headers["location"])
    assert "The prisoner was registered." in page.text
    assert "Karl Brandt" in page.text
    assert "On remand" in page.text
    assert 'id="upcoming-visits">0<' in page.text
    # Not the safeguarding lead: the page says who records restrictions, and has no form.
    assert 'action="' + f"{base}/{prisoner.id}/restrictions" not in page.text
    assert "Only the facility&#39;s safeguarding lead" in page.text

    again = await client.post(base, data=form)
    assert again.status_code == 409
    assert "This prison number is already registered here." in again.text

    for query, expected in (
        ("brandt", {"Brandt, Karl"}),
        ("0107", {"Kaya, Murat"}),
        ("jonas bei", {"Beispiel, Jonas"}),
        ("nobody", set()),
    ):
        found = await client.get(base, params={"q": query})
        assert {name for _, name in ROW.findall(found.text)} == expected, query
    empty = await client.get(base, params={"q": "nobody"})
    assert "No prisoner matches this search." in empty.text
    paged = await client.get(base, params={"limit": 2})
    assert len(ROW.findall(paged.text)) == 2
    assert "1 to 2 of 3" in paged.text
    assert "offset=2" in paged.text

    # The safeguarding lead may read the list but not register.
    lead_token = await staff_signs_in(client, LEAD)
    assert (await client.get(base)).status_code == 200
    refused = await client.post(
        base, data=form | {"csrf_token": lead_token, "prison_number": "MS-2026-0501"}
    )
    assert refused.status_code == 403
    assert await _prisoner(db, "MS-2026-0501") is None


async def test_an_import_is_checked_line_by_line_then_stored_all_or_nothing(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    token = await staff_signs_in(client, MANAGER)
    url = f"{_base(facility_id)}/import"
    assert (await client.get(url)).status_code == 200
    bad = (
        "prison_number;given_name;family_name;admission_date;custody_status\n"
        "MS-2026-0601;Lena;Hartmann;01.03.2026;sentenced\n"
        "MS-2026-0042;Jonas;Beispiel;2026-01-01;sentenced\n"
        "MS-2026-0602;Tim;Roth;2026-02-30;sentenced\n"
    )
    preview = await client.post(
        url, data={"csrf_token": token, "document": bad, "action": "preview"}
    )
    assert preview.status_code == 200
    text = html.unescape(preview.text)
    assert "2 problems: nothing can be imported until they are corrected." in text
    problems = preview.text[preview.text.index('id="import-problems"') :].split("</table>")[0]
    assert re.search(r"<th scope=\"row\">3</th><td>prison_number</td><td>is registered", problems)
    assert re.search(
        r"<th scope=\"row\">4</th><td>admission_date</td><td>a date such as 2026-03-01 or "
        r"01.03.2026, today or earlier, is needed</td>",
        problems,
    )
    assert "Hartmann" in preview.text  # the good line is shown
    assert 'value="store"' not in preview.text  # no import while a line has a problem
    stored = await client.post(url, data={"csrf_token": token, "document": bad, "action": "store"})
    assert stored.status_code == 422
    assert await _prisoner(db, "MS-2026-0601") is None  # all or nothing

    good = "\n".join(bad.splitlines()[:2]) + "\nMS-2026-0602;Tim;Roth;2026-02-28;remand\n"
    checked = await client.post(
        url, data={"csrf_token": token, "document": good, "action": "preview"}
    )
    assert checked.status_code == 200
    assert "2 prisoners can be imported." in checked.text
    assert 'value="store"' in checked.text
    assert await _prisoner(db, "MS-2026-0601") is None  # a preview stores nothing
    upload = await client.post(
        url,
        data={"csrf_token": token, "document": "", "action": "store"},
        files={"file": ("prisoners.csv", good.encode("utf-8-sig"), "text/csv")},
        follow_redirects=False,
    )
    assert upload.status_code == 303, upload.text
    assert upload.headers["location"] == f"{_base(facility_id)}?done=imported"
    for number in ("MS-2026-0601", "MS-2026-0602"):
        assert await _prisoner(db, number) is not None
    events = await db.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "prisoner.create")
    )
    await db.commit()
    assert events == 2

    empty = await client.post(url, data={"csrf_token": token, "document": " ", "action": "store"})
    assert empty.status_code == 422
    assert "Please choose a CSV file or paste its text." in empty.text


async def test_only_the_safeguarding_lead_records_and_lifts_a_restriction(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    prisoner = await _demo_prisoner(db)
    page_url = f"{_base(facility_id)}/{prisoner.id}"
    until = (utcnow().date() + timedelta(days=90)).isoformat()
    body = {
        "restriction_code": "no_child_contact",
        "valid_until": until,
        "restriction_reason": "Beschluss des Familiengerichts vom 2. November",
    }
    for email in (OFFICER, MANAGER):
        token = await staff_signs_in(client, email)
        refused = await client.post(f"{page_url}/restrictions", data=body | {"csrf_token": token})
        assert refused.status_code == 403, email
        closed = await client.post(
            f"{page_url}/closed-visits",
            data={"csrf_token": token, "closed_visits_only": "true", "closed_reason": "Risiko"},
        )
        assert closed.status_code == 403, email
    assert await db.scalar(sa.select(sa.func.count()).select_from(PrisonerRestriction)) == 0
    await db.commit()

    token = await staff_signs_in(client, LEAD)
    page = await client.get(page_url)
    assert f'action="{page_url}/restrictions"' in page.text
    short = await client.post(
        f"{page_url}/restrictions",
        data=body | {"csrf_token": token, "restriction_reason": "x", "restriction_code": ""},
    )
    assert short.status_code == 422
    assert "Please choose a restriction." in short.text
    assert 'id="restriction_reason-error"' in short.text
    answer = await client.post(
        f"{page_url}/restrictions", data=body | {"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"{page_url}?done=restriction_added"
    shown = await client.get(answer.headers["location"])
    table = shown.text[shown.text.index('id="restrictions"') :].split("</table>")[0]
    assert "No contact with children" in table
    assert "Beschluss des Familiengerichts" in table
    assert "In force" in table
    restriction = await db.scalar(sa.select(PrisonerRestriction))
    assert restriction is not None
    assert (
        restriction.code,
        restriction.valid_until.isoformat() if restriction.valid_until else None,
    ) == (
        "no_child_contact",
        until,
    )
    await db.commit()

    closed = await client.post(
        f"{page_url}/closed-visits",
        data={"csrf_token": token, "closed_visits_only": "true", "closed_reason": "Risikoprüfung"},
        follow_redirects=False,
    )
    assert closed.status_code == 303, closed.text
    assert (await _demo_prisoner(db)).closed_visits_only is True

    lift = f"lift_reason_{restriction.id.hex}"
    lifted = await client.post(
        f"{page_url}/restrictions/{restriction.id}/lift",
        data={"csrf_token": token, lift: "Beschluss aufgehoben"},
        follow_redirects=False,
    )
    assert lifted.status_code == 303, lifted.text
    after = await client.get(lifted.headers["location"])
    assert "The restriction was lifted. It stays on record." in after.text
    assert "Beschluss aufgehoben" in after.text
    again = await client.post(
        f"{page_url}/restrictions/{restriction.id}/lift",
        data={"csrf_token": token, lift: "noch einmal"},
    )
    assert again.status_code == 409
    assert "The restriction was lifted already." in again.text


async def test_a_release_shows_what_it_cancels_then_cancels_and_tells_the_household(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    prisoner = await _demo_prisoner(db)
    room = await db.scalar(sa.select(Room).where(Room.facility_id == facility_id))
    facility = await db.get(Facility, facility_id)
    assert facility is not None
    assert room is not None
    now = utcnow()
    household = await new_household(db, "Mara Brenner", changed_at=now)
    place = Place(facility, room, prisoner)
    kept = await visit_at(db, place, household, now + timedelta(days=2), VisitStatus.CONFIRMED)
    ended = await visit_at(db, place, household, now + timedelta(days=20), VisitStatus.CONFIRMED)
    kept_id, ended_id, address = kept.id, ended.id, household.email
    await db.commit()
    page_url = f"{_base(facility_id)}/{prisoner.id}"
    released_on = (now + timedelta(days=10)).date().isoformat()

    token = await staff_signs_in(client, OFFICER)
    page = await client.get(page_url)
    before_upcoming = int(re.search(r'id="upcoming-visits">(\d+)<', page.text).group(1))  # type: ignore[union-attr]
    assert before_upcoming >= 2
    form = {"csrf_token": token, "released_on": released_on, "release_reason": "Strafende"}
    early = await client.post(f"{page_url}/release", data=form | {"released_on": "2019-01-01"})
    assert early.status_code == 200  # the check comes at the confirmation
    confirm = await client.post(f"{page_url}/release", data=form)
    assert confirm.status_code == 200
    step = confirm.text[confirm.text.index('id="confirm-heading"') :].split("</section>")[0]
    count = await db.scalar(
        sa.select(sa.func.count())
        .select_from(Visit)
        .where(
            Visit.prisoner_id == prisoner.id,
            Visit.status.in_((VisitStatus.CONFIRMED, VisitStatus.REQUESTED, VisitStatus.HELD)),
            Visit.starts_at >= now + timedelta(days=10),
        )
    )
    await db.commit()
    assert count
    assert f"{count} upcoming visit" in step
    assert 'name="confirmed" value="yes"' in step
    assert (await db.get(Visit, ended_id, populate_existing=True)).status is VisitStatus.CONFIRMED  # type: ignore[union-attr]
    await db.commit()

    lead_token = await staff_signs_in(client, LEAD)
    refused = await client.post(
        f"{page_url}/release", data=form | {"csrf_token": lead_token, "confirmed": "yes"}
    )
    assert refused.status_code == 403
    token = await staff_signs_in(client, OFFICER)
    form["csrf_token"] = token
    too_early = await client.post(
        f"{page_url}/release", data=form | {"released_on": "2019-01-01", "confirmed": "yes"}
    )
    assert too_early.status_code == 422
    assert "Please enter the day of release, not before the admission." in too_early.text
    done = await client.post(
        f"{page_url}/release", data=form | {"confirmed": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{page_url}?done=released"
    states = {
        v.id: v.status
        for v in await db.scalars(
            sa.select(Visit).where(Visit.id.in_((kept_id, ended_id))),
            execution_options={"populate_existing": True},
        )
    }
    notices = list(
        await db.scalars(
            sa.select(Notice).where(
                Notice.address == address, Notice.kind == NoticeKind.VISIT_CANCELLED
            )
        )
    )
    await db.commit()
    assert states == {kept_id: VisitStatus.CONFIRMED, ended_id: VisitStatus.CANCELLED}
    assert len(notices) == 1
    assert "Strafende" not in str(notices[0].params)
    released = await _demo_prisoner(db)
    assert released.released_on is not None
    after = await client.get(done.headers["location"])
    assert "The release was recorded." in after.text
    assert f'action="{page_url}/release"' not in after.text  # released: no more moves


async def test_the_german_pages_have_no_english_words(client: Client, db: AsyncSession) -> None:
    facility_id = await demo_facility(db)
    prisoner = await _demo_prisoner(db)
    db.add(
        PrisonerRestriction(
            prisoner_id=prisoner.id,
            code="no_child_contact",
            reason="Kinderschutz",
            recorded_by="Sabine Kraus",
        )
    )
    await db.commit()
    base = _base(facility_id)
    english = (
        "Prisoner",
        "Register",
        "Prison number",
        "Custody",
        "Admitted",
        "Restriction",
        "Reason",
        "Release",
        "Transfer",
        "Visiting arrangement",
        "Upcoming",
        "Valid until",
        "In force",
        "Closed visits",
        "Please choose",
        "Search",
        "CSV file",
        "Check the file",
        "Sentenced",
        "No contact with children",
    )
    for email, paths in (
        (OFFICER, [base, f"{base}/{prisoner.id}", f"{base}/import"]),
        (LEAD, [f"{base}/{prisoner.id}"]),
    ):
        await staff_signs_in(client, email, language="de")
        for path in paths:
            page = await client.get(path)
            assert page.status_code == 200, path
            main = html.unescape(page.text.split('<main id="main"')[1])
            for word in english:
                assert word not in main, (path, word)
    page = await client.get(f"{base}/{prisoner.id}")
    assert "Kein Kontakt zu Kindern" in page.text
    assert "Gefangene" in page.text


async def test_a_transfer_names_the_visits_it_cancels_then_moves_the_prisoner(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    prisoner = await _demo_prisoner(db, "MS-2026-0107")
    elsewhere = Facility(
        slug="jva-anderswo",
        name="JVA Anderswo",
        timezone="Europe/Berlin",
        street="Weg 1",
        postal_code="12345",
        city="Anderswo",
        country="DE",
        email="besuch@jva-anderswo.example",
        rule_profile="de-nw",
    )
    db.add(elsewhere)
    await db.commit()
    target_id = elsewhere.id
    upcoming = await db.scalar(
        sa.select(sa.func.count())
        .select_from(Visit)
        .where(
            Visit.prisoner_id == prisoner.id,
            Visit.status.in_((VisitStatus.CONFIRMED, VisitStatus.REQUESTED, VisitStatus.HELD)),
            Visit.starts_at >= utcnow(),
        )
    )
    await db.commit()
    assert upcoming  # the demo's Kaya family has visits booked
    page_url = f"{_base(facility_id)}/{prisoner.id}"
    token = await staff_signs_in(client, MANAGER)
    page = await client.get(page_url)
    assert f'id="upcoming-visits">{upcoming}<' in page.text
    assert f'<option value="{target_id}"' in page.text
    form = {"csrf_token": token, "facility_id": str(target_id), "transfer_reason": "Verlegt"}
    missing = await client.post(f"{page_url}/transfer", data=form | {"facility_id": ""})
    assert missing.status_code == 422
    assert "Please choose another facility that takes visits." in missing.text
    step = await client.post(f"{page_url}/transfer", data=form)
    assert step.status_code == 200
    assert "Transferred to JVA Anderswo." in step.text
    assert f"{upcoming} upcoming visit" in step.text
    assert (await _demo_prisoner(db, "MS-2026-0107")).facility_id == facility_id
    done = await client.post(
        f"{page_url}/transfer", data=form | {"confirmed": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"{_base(facility_id)}?done=transferred"
    moved = await _demo_prisoner(db, "MS-2026-0107")
    assert moved.facility_id == target_id
    left = await db.scalar(
        sa.select(sa.func.count())
        .select_from(Visit)
        .where(Visit.prisoner_id == prisoner.id, Visit.status == VisitStatus.CANCELLED)
    )
    await db.commit()
    assert left == upcoming
    assert (await client.get(page_url)).status_code == 404  # no longer held here


async def test_the_german_import_report_names_each_problem_in_german(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    token = await staff_signs_in(client, OFFICER, language="de")
    document = (
        "prison_number;given_name;family_name;admission_date;custody_status\n"
        "MS-2026-0042;Jonas;Beispiel;2026-01-01;sentenced\n"
        "MS-2026-0700;Eva;Lang;2026-01-02;sentenced\n"
        "MS-2026-0700;Eva;Lang;2026-01-02;sentenced\n"
    )
    preview = await client.post(
        f"{_base(facility_id)}/import",
        data={"csrf_token": token, "document": document, "action": "preview"},
    )
    assert preview.status_code == 200
    text = html.unescape(preview.text)
    assert "2 Probleme: Es kann nichts importiert werden, bis sie behoben sind." in text
    assert "ist bereits erfasst" in text
    assert "auch in Zeile 3" in text
    shown = re.sub(r"<[^>]+>", " ", text.split('<main id="main"')[1])  # the words, no markup
    for english in ("registered", "also on line", "problem", "Line", "Check"):
        assert english not in shown, english
