"""The staff console in process, on SQLite and PostgreSQL: sign-in, what each role may see and
do, the template preview across a DST change, closures, reviews, phone bookings and reports."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.visit_helpers import book_directly
from tests.web.console_helpers import (
    LEAD,
    MANAGER,
    OFFICER,
    demo_facility,
    form_token,
    staff_signs_in,
)
from visits.db.base import utcnow
from visits.db.models import (
    AuditEvent,
    Closure,
    Household,
    Room,
    Slot,
    SlotTemplate,
    Visit,
    Visitor,
)
from visits.enums import Channel, SlotStatus, VisitStatus, VisitType
from visits.web.console.session import STAFF_SESSION_COOKIE


def _notices(caplog: pytest.LogCaptureFixture, to: str) -> list[dict[str, str]]:
    return [
        r.msg
        for r in caplog.records
        if isinstance(r.msg, dict)
        and r.msg.get("event") == "message_logged_not_sent"
        and r.msg.get("to") == to
        and str(r.msg.get("purpose", "")).startswith("visit_")
    ]


async def test_staff_sign_in_uses_its_own_cookie_and_sign_out_revokes_it(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    overview = f"/staff/facilities/{facility_id}"
    client.headers["accept-language"] = "en"
    assert (await client.get(overview, follow_redirects=False)).headers[
        "location"
    ] == "/staff/sign-in"
    token = await form_token(client)
    wrong = await client.post(
        "/staff/sign-in",
        data={"email": MANAGER, "password": "not the password", "csrf_token": token},
    )
    assert wrong.status_code == 422
    assert "The e-mail address or password is wrong." in wrong.text
    signed = await client.post(
        "/staff/sign-in",
        data={"email": MANAGER, "password": "console test password", "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"].lower()
    assert STAFF_SESSION_COOKIE in cookie
    assert "httponly" in cookie
    assert "path=/staff" in cookie
    home = await client.get("/staff", follow_redirects=False)
    assert home.headers["location"] == overview  # one facility: straight to it
    page = await client.get(overview)
    assert page.status_code == 200
    assert "Petra Leitner" in page.text
    stolen = client.cookies.get(STAFF_SESSION_COOKIE)
    out = await client.post("/staff/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set(STAFF_SESSION_COOKIE, stolen or "", path="/staff")
    assert (await client.get(overview, follow_redirects=False)).status_code == 303
    events = set(await db.scalars(sa.select(AuditEvent.action)))
    assert {"staff.sign_in", "staff.sign_in_failed", "sign_out"} <= events


async def test_a_family_session_does_not_open_the_console(client: Client, db: AsyncSession) -> None:
    facility_id = await demo_facility(db)
    client.cookies.set("visits_session", "vh_not_a_staff_token")
    answer = await client.get(f"/staff/facilities/{facility_id}/review", follow_redirects=False)
    assert answer.headers["location"] == "/staff/sign-in"


async def test_an_officer_sees_no_planning_forms_and_cannot_post_them(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    rooms_before = await db.scalar(sa.select(sa.func.count()).select_from(Room))
    await db.commit()
    token = await staff_signs_in(client, OFFICER)
    templates = await client.get(f"/staff/facilities/{facility_id}/templates")
    assert templates.status_code == 200
    assert 'id="new-template"' not in templates.text
    assert "Publish slots" not in templates.text
    rooms = await client.get(f"/staff/facilities/{facility_id}/rooms")
    assert 'id="add-room"' not in rooms.text
    refused = await client.post(
        f"/staff/facilities/{facility_id}/rooms",
        data={"csrf_token": token, "name": "Neu", "capacity_tables": "2"},
    )
    assert refused.status_code == 403
    published = await client.post(
        f"/staff/facilities/{facility_id}/slots/publish", data={"csrf_token": token}
    )
    assert published.status_code == 403
    assert await db.scalar(sa.select(sa.func.count()).select_from(Room)) == rooms_before


async def test_staff_of_another_facility_get_a_403_page(client: Client, db: AsyncSession) -> None:
    await demo_facility(db)
    await staff_signs_in(client, MANAGER)
    answer = await client.get(f"/staff/facilities/{uuid.uuid4()}/review")
    assert answer.status_code == 403
    assert "Your role does not allow this here." in answer.text


async def test_bad_room_form_lists_every_problem_and_changes_nothing(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    before = await db.scalar(sa.select(sa.func.count()).select_from(Room))
    await db.commit()
    token = await staff_signs_in(client, MANAGER)
    answer = await client.post(
        f"/staff/facilities/{facility_id}/rooms",
        data={
            "csrf_token": token,
            "name": "",
            "capacity_tables": "many",
            "capacity_seats": "0",
            "capacity_children": "4",
            "features": ["play_corner", "trampoline"],
        },
    )
    assert answer.status_code == 422
    for field in ("name", "capacity_tables", "capacity_seats", "features"):
        assert f'href="#{field}"' in answer.text, field
    assert await db.scalar(sa.select(sa.func.count()).select_from(Room)) == before


async def test_a_manager_previews_a_template_across_a_dst_change_then_saves_and_publishes(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    room_id = await db.scalar(sa.select(Room.id).where(Room.name == "Familienzimmer"))
    play_room = await db.scalar(sa.select(Room.id).where(Room.name == "Spielzimmer"))
    await db.commit()
    token = await staff_signs_in(client, MANAGER)
    # EU clocks go forward on 28 March 2027: Fridays at 15:30 stay at 15:30 local time.
    form = {
        "csrf_token": token,
        "room_id": str(room_id),
        "visit_type": "child_family",
        "weekday": "4",
        "start_time": "15:30",
        "duration_minutes": "90",
        "interval_weeks": "1",
        "valid_from": "2027-03-15",
        "bookable_by": "public",
    }
    preview = await client.post(
        f"/staff/facilities/{facility_id}/templates", data=form | {"action": "preview"}
    )
    assert preview.status_code == 200, preview.text
    assert "Week of Monday, March 15, 2027" in preview.text
    assert "3:30\u202fPM\u20135:00\u202fPM" in preview.text  # in the page's language
    assert "UTC+01:00" in preview.text
    assert "UTC+02:00" in preview.text
    assert "overlaps" not in preview.text
    assert await db.scalar(sa.select(sa.func.count()).select_from(SlotTemplate)) == 7
    await db.commit()
    # The play room has a parent-and-child group on Fridays at 15:00: the preview says so.
    clash = await client.post(
        f"/staff/facilities/{facility_id}/templates",
        data=form | {"room_id": str(play_room), "action": "preview"},
    )
    assert clash.status_code == 422
    assert "This overlaps another template in the same room (first on Mar 26, 2027)" in clash.text
    assert "3:30\u202fPM\u20135:00\u202fPM" in clash.text
    saved = await client.post(
        f"/staff/facilities/{facility_id}/templates",
        data=form | {"action": "save"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "done=template_added" in saved.headers["location"]
    again = await client.post(
        f"/staff/facilities/{facility_id}/templates", data=form | {"action": "save"}
    )
    assert again.status_code == 422
    assert "overlaps another template in the same room" in again.text
    template = await db.scalar(
        sa.select(SlotTemplate).where(SlotTemplate.valid_from == date(2027, 3, 15))
    )
    assert template is not None
    assert template.start_time.isoformat() == "15:30:00"
    await db.commit()
    published = await client.post(
        f"/staff/facilities/{facility_id}/slots/publish",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert published.status_code == 303
    assert "done=published" in published.headers["location"]
    assert (
        await db.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "slots.generate")
        )
        == 1
    )


async def test_a_closure_preview_lists_the_visits_it_will_flag_and_saving_flags_them(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    slot = await db.scalar(
        sa.select(Slot)
        .where(Slot.visit_type == VisitType.FAMILY_DAY, Slot.starts_at > utcnow())
        .order_by(Slot.starts_at)
    )
    assert slot is not None
    visit = await book_directly(db, slot, [38, 6, 2], support_needs="wheelchair")
    day, reference, visit_id = slot.local_date, visit.reference, visit.id
    await db.commit()
    token = await staff_signs_in(client, MANAGER)
    form = {
        "csrf_token": token,
        "starts_on": day.isoformat(),
        "ends_on": day.isoformat(),
        "room_id": "",
        "reason": "Staff training",
    }
    preview = await client.post(
        f"/staff/facilities/{facility_id}/closures", data=form | {"action": "preview"}
    )
    assert preview.status_code == 200
    assert "Saving this closure flags 1 booked visit" in preview.text
    assert reference in preview.text
    assert await db.scalar(sa.select(sa.func.count()).select_from(Closure)) == 0
    await db.commit()
    saved = await client.post(
        f"/staff/facilities/{facility_id}/closures",
        data=form | {"action": "save"},
        follow_redirects=False,
    )
    assert saved.headers["location"].startswith(f"/staff/facilities/{facility_id}/review")
    flagged = await db.get(Visit, visit_id, populate_existing=True)
    assert flagged is not None
    assert flagged.needs_review
    closed = await db.get(Slot, slot.id, populate_existing=True)
    assert closed is not None
    assert closed.status is SlotStatus.CLOSED
    await db.commit()
    queue = await client.get(saved.headers["location"])
    assert reference in queue.text
    assert "Staff training" in queue.text


async def test_only_the_role_a_review_result_names_may_approve_and_the_family_is_told(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    request = await db.scalar(sa.select(Visit).where(Visit.status == VisitStatus.REQUESTED))
    assert request is not None
    visit_path = f"/staff/facilities/{facility_id}/visits/{request.id}"
    await db.commit()

    token = await staff_signs_in(client, OFFICER)
    queue = await client.get(f"/staff/facilities/{facility_id}/review")
    assert request.reference in queue.text
    page = await client.get(visit_path)
    assert "CF-05" in page.text
    assert 'value="approve"' not in page.text
    assert "Only these roles may approve this visit:" in page.text
    assert "Safeguarding lead" in page.text
    refused = await client.post(
        f"{visit_path}/decision",
        data={"csrf_token": token, "decision": "approve", "reason": "looks fine"},
    )
    assert refused.status_code == 403
    still = await db.get(Visit, request.id, populate_existing=True)
    assert still is not None
    assert still.status is VisitStatus.REQUESTED
    await db.commit()

    token = await staff_signs_in(client, LEAD)
    page = await client.get(visit_path)
    assert 'value="approve"' in page.text
    missing = await client.post(
        f"{visit_path}/decision", data={"csrf_token": token, "decision": "approve", "reason": ""}
    )
    assert missing.status_code == 422
    assert 'href="#reason"' in missing.text
    approved = await client.post(
        f"{visit_path}/decision",
        data={
            "csrf_token": token,
            "decision": "approve",
            "reason": "Uncle's check cleared with the youth office",
        },
        follow_redirects=False,
    )
    assert approved.status_code == 303
    assert "done=approved" in approved.headers["location"]
    decided = await db.get(Visit, request.id, populate_existing=True)
    assert decided is not None
    assert decided.status is VisitStatus.CONFIRMED
    assert not decided.needs_review
    assert [n["purpose"] for n in _notices(caplog, "deniz.kaya@example.org")] == ["visit_confirmed"]
    assert (
        await db.scalar(
            sa.select(AuditEvent.actor_role).where(
                AuditEvent.action == "visit.approve", AuditEvent.object_id == str(request.id)
            )
        )
        == "safeguarding_lead"
    )


async def test_a_phone_booking_shows_what_the_family_is_told_and_books(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    facility_id = await demo_facility(db)
    household = await db.scalar(
        sa.select(Household).where(Household.email == "anna.beispiel@example.org")
    )
    assert household is not None
    visitors = {
        v.given_name: str(v.id)
        for v in await db.scalars(sa.select(Visitor).where(Visitor.household_id == household.id))
    }
    slot = await db.scalar(
        sa.select(Slot)
        .where(
            Slot.visit_type == VisitType.CHILD_FAMILY, Slot.starts_at > utcnow() + timedelta(days=9)
        )
        .order_by(Slot.starts_at)
    )
    assert slot is not None
    household_id, slot_id = str(household.id), str(slot.id)
    await db.commit()
    token = await staff_signs_in(client, OFFICER)
    base = f"/staff/facilities/{facility_id}/phone-booking"
    unknown = await client.get(base, params={"household": "nobody@example.org"})
    assert "No household has this e-mail address or mobile number." in unknown.text
    found = await client.get(base, params={"household": "+49 151 12345678"})
    assert "Anna Beispiel" in found.text
    assert "Jonas Beispiel" in found.text
    prisoner_id = found.text.split('name="prisoner_id"', 1)[1].split('<option value="', 1)[1][:36]
    form = {
        "csrf_token": token,
        "lookup": "+49 151 12345678",
        "household_id": household_id,
        "prisoner_id": prisoner_id,
        "slot_id": slot_id,
        "channel": "phone",
    }
    children_alone = await client.post(
        base, data=form | {"visitor_ids": [visitors["Mia"], visitors["Leon"]], "action": "check"}
    )
    assert children_alone.status_code == 200
    assert "The rules do not allow this booking as it is." in children_alone.text
    assert "CF-01" in children_alone.text
    assert 'name="override_rules"' not in children_alone.text  # CF-01 is the manager's
    refused = await client.post(
        base, data=form | {"visitor_ids": [visitors["Mia"], visitors["Leon"]], "action": "book"}
    )
    assert refused.status_code == 422
    assert "CF-01" in refused.text
    assert await db.scalar(sa.select(sa.func.count()).select_from(Visit)) == 2  # the demo's
    await db.commit()
    everyone = list(visitors.values())
    checked = await client.post(base, data=form | {"visitor_ids": everyone, "action": "check"})
    assert "The rules allow this booking." in checked.text
    booked = await client.post(
        base, data=form | {"visitor_ids": everyone, "action": "book"}, follow_redirects=False
    )
    assert booked.status_code == 303, booked.text
    assert "done=booked" in booked.headers["location"]
    visit = await db.scalar(sa.select(Visit).where(Visit.household_id == household.id))
    assert visit is not None
    assert visit.status is VisitStatus.CONFIRMED
    assert visit.channel is Channel.PHONE


async def test_day_sheet_prints_and_downloads_and_figures_are_charts_with_tables(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    booked = await db.scalar(sa.select(Visit).where(Visit.status == VisitStatus.CONFIRMED))
    assert booked is not None
    slot = await db.get(Slot, booked.slot_id)
    assert slot is not None
    day, reference = slot.local_date, booked.reference
    await db.commit()
    await staff_signs_in(client, OFFICER)
    base = f"/staff/facilities/{facility_id}"
    sheet = await client.get(f"{base}/day-sheet", params={"date": day.isoformat()})
    assert sheet.status_code == 200
    assert reference in sheet.text
    assert "Emil Kaya" in sheet.text
    assert "a quiet table please" in sheet.text
    assert 'href="/static/print.css" media="print"' in sheet.text
    csv = await client.get(f"{base}/day-sheet.csv", params={"date": day.isoformat()})
    assert csv.headers["content-type"].startswith("text/csv")
    assert reference in csv.text
    figures = await client.get(f"{base}/figures", params={"month": f"{day:%Y-%m}"})
    assert figures.status_code == 200
    assert figures.text.count('<svg class="chart" role="img"') == 4
    assert figures.text.count('<table class="data">') == 4
    bad = await client.get(f"{base}/figures", params={"month": "2026-13"})
    assert bad.status_code == 400
    alerts = await client.get(f"{base}/alerts")
    assert alerts.status_code == 200
    assert "CF-15" in alerts.text


async def test_a_manager_sets_a_rule_aside_for_a_phone_booking_with_a_reason(
    client: Client, db: AsyncSession
) -> None:
    facility_id = await demo_facility(db)
    household = await db.scalar(
        sa.select(Household).where(Household.email == "anna.beispiel@example.org")
    )
    assert household is not None
    children = [
        str(v.id)
        for v in await db.scalars(
            sa.select(Visitor).where(
                Visitor.household_id == household.id, Visitor.given_name.in_(["Mia", "Leon"])
            )
        )
    ]
    slot = await db.scalar(
        sa.select(Slot)
        .where(
            Slot.visit_type == VisitType.CHILD_FAMILY,
            Slot.starts_at > utcnow() + timedelta(days=9),
        )
        .order_by(Slot.starts_at)
    )
    assert slot is not None
    household_id, slot_id = str(household.id), str(slot.id)
    await db.commit()
    token = await staff_signs_in(client, MANAGER)
    base = f"/staff/facilities/{facility_id}/phone-booking"
    found = await client.get(base, params={"household": "anna.beispiel@example.org"})
    prisoner_id = found.text.split('name="prisoner_id"', 1)[1].split('<option value="', 1)[1][:36]
    form = {
        "csrf_token": token,
        "lookup": "anna.beispiel@example.org",
        "household_id": household_id,
        "prisoner_id": prisoner_id,
        "slot_id": slot_id,
        "visitor_ids": children,
        "channel": "in_person",
    }
    checked = await client.post(base, data=form | {"action": "check"})
    assert 'name="override_rules" value="CF-01"' in checked.text
    no_reason = await client.post(
        base, data=form | {"action": "book", "override_rules": "CF-01", "override_reason": ""}
    )
    assert no_reason.status_code == 422
    assert await db.scalar(sa.select(sa.func.count()).select_from(Visit)) == 2
    await db.commit()
    booked = await client.post(
        base,
        data=form
        | {
            "action": "book",
            "override_rules": "CF-01",
            "override_reason": "The grandmother waits at the gate; the social worker agreed",
        },
        follow_redirects=False,
    )
    assert booked.status_code == 303, booked.text
    visit = await db.scalar(sa.select(Visit).where(Visit.household_id == household.id))
    assert visit is not None
    assert visit.status is VisitStatus.CONFIRMED
    assert visit.channel is Channel.IN_PERSON
    await db.commit()
    page = await client.get(booked.headers["location"])
    assert "The grandmother waits at the gate" in page.text
