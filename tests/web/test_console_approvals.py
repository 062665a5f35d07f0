"""The console's visitor approvals (CF-04) in process, on SQLite and PostgreSQL: the queue and
its count on the overview, approving (with the court permit's last day for a prisoner on
remand), rejecting with or without telling the family the reason, the roles and facilities
that may decide, and the notice each household gets through the outbox.

Every family here is new (not in the demo): it signs up and asks through the API, as a family
would.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client, add_staff, bearer, sign_up
from tests.web.console_helpers import LEAD, OFFICER, demo_facility, staff_signs_in
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Facility,
    Notice,
    Prisoner,
    StaffMember,
    VisitorApproval,
)
from visits.enums import ApprovalStatus, CustodyStatus, NoticeKind, StaffRole

FIGURE = re.compile(r'<p class="figure">(\d+)</p>\s*<p><a href="[^"]+/approvals">')


@dataclass(frozen=True)
class Request:
    facility_id: uuid.UUID
    approval_id: uuid.UUID
    household_email: str
    headers: dict[str, str]
    visitor_id: str


async def _remand_prisoner(db: AsyncSession, facility_id: uuid.UUID) -> Prisoner:
    """A prisoner on remand at the demo facility (profile de-nw: visitors need a court
    permit)."""
    prisoner = Prisoner(
        facility_id=facility_id,
        prison_number="MS-2026-0999",
        given_name="Tarek",
        family_name="Vogel",
        admission_date=utcnow().date() - timedelta(days=3),
        custody_status=CustodyStatus.REMAND,
    )
    db.add(prisoner)
    await db.commit()
    return prisoner


async def _family_asks(
    client: Client,
    db: AsyncSession,
    caplog: pytest.LogCaptureFixture,
    facility_id: uuid.UUID,
    *,
    email: str,
    prisoner_family_name: str,
    language: str = "de",
) -> Request:
    """A new household signs up, adds a child and asks for approval to visit the prisoner."""
    token = await sign_up(client, caplog, email, "Sara Lindqvist")
    headers = bearer(token)
    if language != "de":
        changed = await client.patch(
            "/api/v1/household", headers=headers, json={"language": language}
        )
        assert changed.status_code == 200, changed.text
    child = await client.post(
        "/api/v1/household/visitors",
        headers=headers,
        json={
            "given_name": "Ilva",
            "family_name": "Lindqvist",
            "birth_date": "2017-05-09",
            "relationship": "child",
        },
    )
    assert child.status_code == 201, child.text
    prisoner = await db.scalar(
        sa.select(Prisoner).where(
            Prisoner.facility_id == facility_id, Prisoner.family_name == prisoner_family_name
        )
    )
    assert prisoner is not None
    number = prisoner.prison_number
    await db.commit()
    asked = await client.post(
        f"/api/v1/household/visitors/{child.json()['id']}/approval-requests",
        headers=headers,
        json={
            "facility_id": str(facility_id),
            "prison_number": number,
            "prisoner_family_name": prisoner_family_name,
        },
    )
    assert asked.status_code == 200, asked.text
    return Request(facility_id, uuid.UUID(asked.json()["id"]), email, headers, child.json()["id"])


async def _approval(db: AsyncSession, approval_id: uuid.UUID) -> VisitorApproval:
    approval = await db.get(VisitorApproval, approval_id, populate_existing=True)
    assert approval is not None
    await db.commit()
    return approval


def _sent(caplog: pytest.LogCaptureFixture, to: str) -> list[dict[str, str]]:
    """The approval notices the log channel 'sent' to ``to`` (after the commit), oldest first:
    purpose, subject and text (the row keeps no text once sent)."""
    return [
        {key: str(r.msg.get(key)) for key in ("purpose", "subject", "text")}
        for r in caplog.records
        if isinstance(r.msg, dict)
        and r.msg.get("event") == "message_logged_not_sent"
        and r.msg.get("to") == to
        and str(r.msg.get("purpose", "")).startswith("approval_")
    ]


async def _notice_kinds(db: AsyncSession, email: str) -> list[NoticeKind]:
    """The kinds of the approval notices written to the outbox for ``email``."""
    kinds = list(
        await db.scalars(
            sa.select(Notice.kind).where(Notice.address == email).order_by(Notice.created_at)
        )
    )
    await db.commit()
    return [k for k in kinds if k in (NoticeKind.APPROVAL_GIVEN, NoticeKind.APPROVAL_DENIED)]


async def _waiting_on_overview(client: Client, facility_id: uuid.UUID) -> int:
    page = await client.get(f"/staff/facilities/{facility_id}")
    assert page.status_code == 200
    found = FIGURE.search(page.text)
    assert found is not None, page.text
    return int(found.group(1))


async def test_an_officer_approves_a_new_familys_request_from_the_queue(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    token = await staff_signs_in(client, OFFICER)
    before = await _waiting_on_overview(client, facility_id)
    request = await _family_asks(
        client,
        db,
        caplog,
        facility_id,
        email="sara.lindqvist@example.org",
        prisoner_family_name="Beispiel",
        language="en",
    )
    client.headers["accept-language"] = "en"
    assert await _waiting_on_overview(client, facility_id) == before + 1

    queue = await client.get(f"/staff/facilities/{facility_id}/approvals")
    assert queue.status_code == 200
    link = f"/staff/facilities/{facility_id}/approvals/{request.approval_id}"
    assert link in queue.text
    row = queue.text[queue.text.index(link) :].split("</tr>")[0]
    for shown in ("Ilva Lindqvist", "Child", "Sara Lindqvist", "Jonas Beispiel (MS-2026-0042)"):
        assert shown in row, shown
    assert "court permit needed" not in row  # sentenced: no court permit

    page = await client.get(link)
    assert page.status_code == 200
    assert 'id="decision-approve"' in page.text
    assert 'id="court_permit_until"' not in page.text  # not needed for him
    decided = await client.post(
        f"{link}/decision",
        data={
            "csrf_token": token,
            "decision": "approve",
            "reason": "Geburtsurkunde und Ausweis der Mutter gesehen.",
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text
    assert decided.headers["location"] == (
        f"/staff/facilities/{facility_id}/approvals?done=approved"
    )

    approval = await _approval(db, request.approval_id)
    officer = await db.scalar(sa.select(StaffMember.name).where(StaffMember.email == OFFICER))
    assert (approval.status, approval.decided_by) == (ApprovalStatus.APPROVED, officer)
    event = await db.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "approval.decide",
            AuditEvent.object_id == str(request.approval_id),
        )
    )
    assert event is not None
    assert (event.actor_role, event.reason) == (
        "visits_officer",
        "Geburtsurkunde und Ausweis der Mutter gesehen.",
    )
    assert event.changes["status"] == ["pending", "approved"]
    await db.commit()
    assert await _notice_kinds(db, request.household_email) == [NoticeKind.APPROVAL_GIVEN]
    [message] = _sent(caplog, request.household_email)  # sent after the commit
    assert message["subject"] == "Visitor approved"  # the household's language: English
    assert "JVA Musterstadt approved your household's request" in message["text"]
    assert "Geburtsurkunde" not in message["text"]

    assert await _waiting_on_overview(client, facility_id) == before
    listed = await client.get(f"/staff/facilities/{facility_id}/approvals?status=approved")
    assert link in listed.text
    waiting = await client.get(f"/staff/facilities/{facility_id}/approvals")
    assert link not in waiting.text
    # The family now sees whom it may visit.
    seen = await client.get(
        f"/api/v1/household/visitors/{request.visitor_id}", headers=request.headers
    )
    assert seen.json()["approvals"][0]["prisoner_id"] == str(approval.prisoner_id)


async def test_a_remand_prisoners_visitor_needs_the_court_permits_last_day(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    await _remand_prisoner(db, facility_id)
    request = await _family_asks(
        client,
        db,
        caplog,
        facility_id,
        email="remand.family@example.org",
        prisoner_family_name="Vogel",
    )
    token = await staff_signs_in(client, LEAD, language="de")
    link = f"/staff/facilities/{facility_id}/approvals/{request.approval_id}"
    queue = await client.get(f"/staff/facilities/{facility_id}/approvals")
    assert "In Untersuchungshaft · gerichtliche Besuchserlaubnis nötig" in queue.text
    page = await client.get(link)
    assert 'id="court_permit_until"' in page.text
    missing = await client.post(
        f"{link}/decision",
        data={"csrf_token": token, "decision": "approve", "reason": "Beschluss gesehen."},
    )
    assert missing.status_code == 422
    assert (
        "Bitte geben Sie den letzten Gültigkeitstag der gerichtlichen Besuchserlaubnis an"
        in missing.text
    )
    assert 'aria-invalid="true"' in missing.text
    assert (await _approval(db, request.approval_id)).status is ApprovalStatus.PENDING
    past = await client.post(
        f"{link}/decision",
        data={
            "csrf_token": token,
            "decision": "approve",
            "reason": "Beschluss gesehen.",
            "court_permit_until": (date.today() - timedelta(days=3)).isoformat(),  # noqa: DTZ011
        },
    )
    assert past.status_code == 422
    assert (await _approval(db, request.approval_id)).status is ApprovalStatus.PENDING
    assert await _notice_kinds(db, request.household_email) == []

    last_day = date.today() + timedelta(days=60)  # noqa: DTZ011
    approved = await client.post(
        f"{link}/decision",
        data={
            "csrf_token": token,
            "decision": "approve",
            "reason": "Beschluss des Amtsgerichts gesehen.",
            "court_permit_until": last_day.isoformat(),
        },
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text
    approval = await _approval(db, request.approval_id)
    assert (approval.status, approval.court_permit_until) == (ApprovalStatus.APPROVED, last_day)
    assert await _notice_kinds(db, request.household_email) == [NoticeKind.APPROVAL_GIVEN]
    [message] = _sent(caplog, request.household_email)
    assert message["subject"] == "Besuchszulassung erteilt"  # the household's language
    day = f"{last_day.day:02d}.{last_day.month:02d}.{last_day.year}"
    assert f"gerichtlichen Besuchserlaubnis bis {day}." in message["text"]
    assert "Beschluss" not in message["text"]


async def test_a_rejection_tells_the_reason_only_where_staff_chose_to(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    shared = await _family_asks(
        client,
        db,
        caplog,
        facility_id,
        email="told.family@example.org",
        prisoner_family_name="Kaya",
    )
    withheld = await _family_asks(
        client,
        db,
        caplog,
        facility_id,
        email="safe.family@example.org",
        prisoner_family_name="Kaya",
    )
    token = await staff_signs_in(client, OFFICER)
    base = f"/staff/facilities/{facility_id}/approvals"

    incomplete = await client.post(
        f"{base}/{shared.approval_id}/decision",
        data={"csrf_token": token, "decision": "reject", "reason": "x"},
    )
    assert incomplete.status_code == 422
    assert "Please give a reason of at least 3 characters." in incomplete.text
    assert "Please choose whether the family may read the reason." in incomplete.text
    undecided = await client.post(
        f"{base}/{shared.approval_id}/decision",
        data={"csrf_token": token, "reason": "Some reason"},
    )
    assert undecided.status_code == 422
    assert "Please choose a decision." in undecided.text
    assert (await _approval(db, shared.approval_id)).status is ApprovalStatus.PENDING

    for request, telling, reason in (
        (shared, "share", "Der Gefangene hat diese Person nicht als Besuch angegeben"),
        (withheld, "withhold", "Kinderschutz: Kontaktverbot laut Jugendamt"),
    ):
        answer = await client.post(
            f"{base}/{request.approval_id}/decision",
            data={
                "csrf_token": token,
                "decision": "reject",
                "reason": reason,
                "tell_family": telling,
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"{base}?done=rejected"
        assert (await _approval(db, request.approval_id)).reason == reason

    for request in (shared, withheld):
        assert await _notice_kinds(db, request.household_email) == [NoticeKind.APPROVAL_DENIED]
    [told] = _sent(caplog, shared.household_email)
    assert told["subject"] == "Besuchszulassung nicht erteilt"
    assert (
        "nicht genehmigt: Der Gefangene hat diese Person nicht als Besuch angegeben."
        in (told["text"])
    )
    [safe] = _sent(caplog, withheld.household_email)
    assert "Kinderschutz" not in safe["text"]
    assert "Jugendamt" not in safe["text"]
    assert safe["text"].endswith("nicht genehmigt. Bitte wenden Sie sich an die Anstalt.")
    events = list(
        await db.scalars(
            sa.select(AuditEvent.changes).where(AuditEvent.action == "approval.decide")
        )
    )
    await db.commit()
    assert sorted(e["reason_told"] for e in events) == [False, True]
    # The family never reads the staff reason in its own view either.
    seen = await client.get(
        f"/api/v1/household/visitors/{withheld.visitor_id}", headers=withheld.headers
    )
    assert "Kinderschutz" not in seen.text


async def test_only_staff_of_the_facility_decide_and_a_form_needs_its_token(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    request = await _family_asks(
        client,
        db,
        caplog,
        facility_id,
        email="other.family@example.org",
        prisoner_family_name="Kaya",
    )
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
    await add_staff(db, "fremd@example.org", [(StaffRole.VISITS_OFFICER, elsewhere.id)])
    own_link = f"/staff/facilities/{facility_id}/approvals/{request.approval_id}"
    other_link = f"/staff/facilities/{elsewhere.id}/approvals/{request.approval_id}"
    token = await staff_signs_in(client, "fremd@example.org", password=STAFF_PASSWORD)
    decision = {"csrf_token": token, "decision": "approve", "reason": "Passt schon."}
    assert (await client.get(own_link)).status_code == 403
    assert (await client.post(f"{own_link}/decision", data=decision)).status_code == 403
    assert (await client.get(other_link)).status_code == 404  # not an approval of that facility
    assert (await client.post(f"{other_link}/decision", data=decision)).status_code == 404
    assert (await client.get(f"/staff/facilities/{facility_id}/approvals")).status_code == 403

    officer_token = await staff_signs_in(client, OFFICER)
    no_token = await client.post(
        f"{own_link}/decision", data={"decision": "approve", "reason": "Passt schon."}
    )
    assert no_token.status_code == 403
    assert officer_token
    assert (await _approval(db, request.approval_id)).status is ApprovalStatus.PENDING
    assert (
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "approval.decide")
        )
        == 0
    )
    await db.commit()
