"""The family pages' rough edges, as a new family meets them, on SQLite and PostgreSQL: moving a
child-and-family visit, cancelling in two steps, a reservation that ran out, the week narrowed
to the times that fit, one clock and right plurals, and rules staff set aside."""

from __future__ import annotations

import html
import itertools
import re
import uuid
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, add_staff, bearer, staff_token
from tests.booking_helpers import DEMO_EMAIL, Family
from tests.web.test_pages import _form_token, _signed_in
from visits.db.base import utcnow
from visits.db.models import (
    Facility,
    Household,
    Room,
    Slot,
    Visit,
    Visitor,
    VisitorApproval,
)
from visits.enums import ApprovalStatus, Relationship, StaffRole
from visits.facilities.presenters import CHILD_FRIENDLY_FEATURES

CARD = re.compile(r'<li class="card slot (?P<classes>[^"]*)" id="slot-(?P<slot>[0-9a-f-]+)">')
MAIN_MENU = 'class="main-nav"'
TWELVE_HOUR_CLOCK = re.compile(r"\b[AP]M\b")


def cards(page: str) -> dict[str, str]:
    """Each slot card of a week's page by slot id: its classes and its inner HTML."""
    found = list(CARD.finditer(page))
    result = {}
    for number, match in enumerate(found):
        end = found[number + 1].start() if number + 1 < len(found) else len(page)
        result[match["slot"]] = match["classes"] + "\n" + page[match.end() : end]
    return result


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def _slot(db: AsyncSession, slot_id: uuid.UUID) -> Slot:
    slot = await db.get(Slot, slot_id)
    assert slot is not None
    await db.commit()
    return slot


async def _book_on_the_pages(
    client: Client, family: Family, slot_id: uuid.UUID, token: str, visitors: list[str]
) -> str:
    """Hold and confirm through the pages; the visit's page path."""
    held = await client.post(
        f"/book/{family.prisoner_id}/hold",
        data={"slot_id": str(slot_id), "visitors": ",".join(visitors), "csrf_token": token},
        follow_redirects=False,
    )
    assert held.status_code == 303, held.text
    visit_path = held.headers["location"].split("?")[0]
    confirmed = await client.post(
        f"{visit_path}/confirm", data={"csrf_token": token}, follow_redirects=False
    )
    assert confirmed.status_code == 303, confirmed.text
    assert "done=confirmed" in confirmed.headers["location"]
    return str(visit_path)


async def _same_month_pair(db: AsyncSession, family: Family) -> tuple[Slot, Slot]:
    """Two child-and-family slots in one local month: the child contingent of that month
    (120 minutes in the demo) is used up by a visit in one of them."""
    slots = [await _slot(db, s) for s in family.family_slots]
    for first, second in itertools.pairwise(slots):
        if (first.local_date.year, first.local_date.month) == (
            second.local_date.year,
            second.local_date.month,
        ):
            return first, second
    raise AssertionError("the demo has no two child-and-family slots in one month")


# 1. Moving a booked child-and-family visit -------------------------------------------------


async def test_the_move_page_judges_each_time_as_the_move_itself_is_judged(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    booked, other = await _same_month_pair(db, family)
    visit_path = await _book_on_the_pages(client, family, booked.id, token, family.everyone)
    visit_id = visit_path.rsplit("/", 1)[1]

    # A new booking for the same group in that month: the contingent is used up.
    new = await client.get(
        f"/book/{family.prisoner_id}",
        params={"week": other.local_date.isoformat(), "lang": "en"},
    )
    assert "verdict-not_possible" in cards(new.text)[str(other.id)]
    assert "0 minutes left" in cards(new.text)[str(other.id)]

    # Moving the booked visit gives its own minutes back: the other time is possible.
    move = await client.get(
        f"/book/{family.prisoner_id}",
        params={"move": visit_id, "week": other.local_date.isoformat(), "lang": "en"},
    )
    assert move.status_code == 200
    card = cards(move.text)[str(other.id)]
    assert "verdict-not_possible" not in card
    assert "0 minutes left" not in card
    assert f'action="/my-visits/{visit_id}/reschedule"' in card
    # The visit's own time is marked, without a button to move onto itself.
    own_week = await client.get(
        f"/book/{family.prisoner_id}",
        params={"move": visit_id, "week": booked.local_date.isoformat(), "lang": "en"},
    )
    own = cards(own_week.text)[str(booked.id)]
    assert "Your current time" in own
    assert "<button" not in own
    assert "Your current time" not in card
    onto_itself = await client.post(
        f"{visit_path}/reschedule", data={"slot_id": str(booked.id), "csrf_token": token}
    )
    assert onto_itself.status_code == 422
    assert MAIN_MENU in onto_itself.text
    assert "Your visit is already at this time." in onto_itself.text

    # The API judges the same move alike and accepts it.
    moved = await client.post(
        f"/api/v1/household/visits/{visit_id}/reschedule",
        headers=family.headers,
        json={"slot_id": str(other.id)},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["slot_id"] == str(other.id)


# 2. Cancelling asks first ------------------------------------------------------------------


async def test_cancelling_asks_for_confirmation_and_a_cancelled_visit_has_no_calendar_button(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    visit_path = await _book_on_the_pages(
        client, family, family.family_slots[0], token, family.everyone
    )
    visit_id = visit_path.rsplit("/", 1)[1]
    booked = await client.get(visit_path, params={"lang": "en"})
    assert 'href="/my-visits/' + visit_id + '/invite.ics"' in booked.text
    assert f'action="{visit_path}/cancel"' not in booked.text  # no one-click cancel
    assert f'href="{visit_path}/cancel"' in booked.text

    step = await client.get(f"{visit_path}/cancel", params={"lang": "en"})
    assert step.status_code == 200
    assert "Cancel your visit?" in step.text
    assert f'action="{visit_path}/cancel"' in step.text
    assert '<label for="reason">' in step.text
    assert "Yes, cancel this visit" in step.text
    assert f'href="{visit_path}">No, keep my visit' in step.text
    assert MAIN_MENU in step.text
    api = await client.get(f"/api/v1/household/visits/{visit_id}", headers=family.headers)
    assert api.json()["status"] == "confirmed"  # opening the step changes nothing

    cancelled = await client.post(
        f"{visit_path}/cancel",
        data={"csrf_token": token, "reason": "Leon is ill"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    after = await client.get(visit_path, params={"lang": "en"})
    assert "Cancelled" in after.text
    assert "invite.ics" not in after.text
    assert "Add to my calendar" not in after.text
    assert f'href="{visit_path}/cancel"' not in after.text
    again = await client.get(f"{visit_path}/cancel", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == visit_path
    no_move = await client.get(
        f"/book/{family.prisoner_id}", params={"move": visit_id}, follow_redirects=False
    )
    assert no_move.status_code == 303
    assert no_move.headers["location"] == visit_path


async def test_a_cancellation_too_late_ends_on_a_page_with_the_menu(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    visit_path = await _book_on_the_pages(
        client, family, family.family_slots[0], token, family.everyone
    )
    visit = await db.get(Visit, uuid.UUID(visit_path.rsplit("/", 1)[1]))
    assert visit is not None
    visit.starts_at = utcnow() + timedelta(hours=2)  # inside the cut-off
    await db.commit()
    page = await client.get(visit_path, params={"lang": "en"})
    assert "can no longer be cancelled online" in page.text
    assert f'href="{visit_path}/cancel"' not in page.text
    refused = await client.post(f"{visit_path}/cancel", data={"csrf_token": token})
    assert refused.status_code == 409
    assert MAIN_MENU in refused.text
    assert f'href="{visit_path}"' in refused.text


# 3. A reservation that ran out ---------------------------------------------------------------


async def test_a_reservation_that_ran_out_says_so_and_confirming_it_keeps_the_menu(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    slot = await _slot(db, family.family_slots[0])
    held = await client.post(
        f"/book/{family.prisoner_id}/hold",
        data={"slot_id": str(slot.id), "visitors": ",".join(family.everyone), "csrf_token": token},
        follow_redirects=False,
    )
    visit_path = held.headers["location"].split("?")[0]
    visit = await db.get(Visit, uuid.UUID(visit_path.rsplit("/", 1)[1]))
    assert visit is not None
    visit.hold_expires_at = utcnow() - timedelta(minutes=1)
    await db.commit()

    page = await client.get(visit_path, params={"lang": "en"})
    assert "The reservation ran out" in page.text
    assert "Book this visit" not in page.text
    assert _links_to_times(page.text, family, slot.local_date)
    assert f'href="{visit_path}/cancel"' not in page.text

    confirm = await client.post(f"{visit_path}/confirm", data={"csrf_token": token})
    assert confirm.status_code == 409
    assert MAIN_MENU in confirm.text  # the family's layout and menu, not a bare error page
    assert '<html lang="en">' in confirm.text  # the language the family chose
    assert "The reservation ran out before it was confirmed." in confirm.text
    assert _links_to_times(confirm.text, family, slot.local_date)

    times = await client.get(
        f"/book/{family.prisoner_id}",
        params=[("party", "1"), ("week", slot.local_date.isoformat())]
        + [("visitor", v) for v in family.everyone],
    )
    assert str(slot.id) in cards(times.text)  # the week's times, the same time among them


def _links_to_times(page: str, family: Family, day: date) -> bool:
    """The page links to the week's times of ``day`` for the whole party."""
    for href in re.findall(r'href="(/book/[^"]+)"', page):
        address = html.unescape(href)
        if (
            address.startswith(f"/book/{family.prisoner_id}?party=1&week={day.isoformat()}")
            and sorted(re.findall(r"visitor=([0-9a-f-]+)", address)) == sorted(family.everyone)
            and "move=" not in address
        ):
            return True
    return False


# 4. Only the times that fit, and child-friendly rooms ---------------------------------------


async def test_the_week_can_show_only_the_times_that_fit_and_marks_child_friendly_rooms(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    """The week after next: every time in it is past the notice period and inside the booking
    window whenever the test runs, so no answer changes while the test compares two of them.
    The adult alone fits the regular times and not the child-and-family ones (CF-08)."""
    family = await _signed_in(client, db, caplog)
    facility = await db.get(Facility, family.facility_id)
    assert facility is not None
    today = utcnow().astimezone(ZoneInfo(facility.timezone)).date()
    await db.commit()
    week = monday_of(today) + timedelta(weeks=2)
    base = [("party", "1"), ("week", week.isoformat()), ("lang", "en")]
    group = [str(family.adult)]
    everyone = [("visitor", v) for v in group]

    everything = await client.get(f"/book/{family.prisoner_id}", params=base + everyone)
    all_cards = cards(everything.text)
    refused = {s for s, c in all_cards.items() if "verdict-not_possible" in c}
    assert refused
    assert set(all_cards) - refused  # a week with both: times that fit and times that do not
    assert "Show only the times that are possible" in everything.text
    assert "are not shown" not in everything.text

    narrowed = await client.get(
        f"/book/{family.prisoner_id}", params=[*base, ("fits", "1"), *everyone]
    )
    assert narrowed.status_code == 200
    assert set(cards(narrowed.text)) == set(all_cards) - refused
    assert f"{len(refused)} times that are not possible for this group are not shown." in (
        narrowed.text
    )
    assert "Show all times" in narrowed.text
    # The week navigation keeps the choice and the group; the toggle leads back to all times.
    nav = re.search(r'<nav aria-label="Weeks" class="week-nav">(.*?)</nav>', narrowed.text, re.S)
    assert nav is not None
    week_links = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', nav.group(1))]
    assert week_links
    for link in week_links:
        assert "fits=1" in link
        assert all(f"visitor={v}" in link for v in group)
    toggle = re.search(r'<a href="([^"]+)" class="filter-link">Show all times</a>', narrowed.text)
    assert toggle is not None
    back = await client.get(html.unescape(toggle.group(1)))
    assert set(cards(back.text)) == set(all_cards)

    # Children alone (CF-01): nothing fits, and the page says so instead of an empty list.
    children = [("visitor", str(c)) for c in family.children]
    nothing = await client.get(
        f"/book/{family.prisoner_id}", params=[*base, ("fits", "1"), *children]
    )
    assert cards(nothing.text) == {}
    assert "No time in this week is possible for this group." in nothing.text
    assert "Show all times" in nothing.text

    # Times in child-friendly rooms are marked, as the reasons promise.
    rooms = {
        r.name: r
        for r in await db.scalars(sa.select(Room).where(Room.facility_id == family.facility_id))
    }
    await db.commit()
    friendly_names = {
        name for name, room in rooms.items() if CHILD_FRIENDLY_FEATURES.intersection(room.features)
    }
    plain_names = set(rooms) - friendly_names
    assert friendly_names
    assert plain_names
    marked = unmarked = 0
    for card in all_cards.values():
        room_line = re.search(r"<p>([^<·]+?)(?: <span[^>]*>([^<]+)</span>)? ·", card)
        assert room_line is not None, card
        name = room_line.group(1).strip()
        if name in friendly_names:
            assert room_line.group(2) == "Child-friendly room"
            marked += 1
        else:
            assert name in plain_names
            assert room_line.group(2) is None
            unmarked += 1
    assert marked
    assert unmarked


# 5. One clock per language, and plural forms -------------------------------------------------


async def test_times_use_one_clock_per_language_and_plurals_are_right(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    # A baby of one year on the visit day, approved: "1 year", never "1 years".
    household = await db.scalar(sa.select(Household).where(Household.email == DEMO_EMAIL))
    assert household is not None
    slot = await _slot(db, family.family_slots[0])
    baby = Visitor(
        household_id=household.id,
        given_name="Lea",
        family_name="Beispiel",
        birth_date=slot.local_date.replace(year=slot.local_date.year - 1) - timedelta(days=40),
        relationship=Relationship.CHILD,
    )
    db.add(baby)
    await db.flush()
    db.add(
        VisitorApproval(
            visitor_id=baby.id,
            prisoner_id=family.prisoner_id,
            status=ApprovalStatus.APPROVED,
            decided_at=utcnow(),
            decided_by="test",
        )
    )
    await db.commit()

    # Times on every family page: one clock in English as in German, as in the reasons.
    facility = await db.get(Facility, family.facility_id)
    assert facility is not None
    zone = ZoneInfo(facility.timezone)
    await db.commit()
    start = slot.starts_at.astimezone(zone).strftime("%H:%M")
    with_baby = [*family.everyone, str(baby.id)]
    visit_path = await _book_on_the_pages(client, family, slot.id, token, with_baby)
    pages = {
        "week": await client.get(
            f"/book/{family.prisoner_id}",
            params={"week": slot.local_date.isoformat(), "lang": "en"},
        ),
        "visit": await client.get(visit_path, params={"lang": "en"}),
        "my visits": await client.get("/my-visits", params={"lang": "en"}),
        "cancel": await client.get(f"{visit_path}/cancel", params={"lang": "en"}),
    }
    for name, page in pages.items():
        assert page.status_code == 200, name
        assert '<html lang="en">' in page.text
        assert TWELVE_HOUR_CLOCK.search(page.text) is None, name
        assert start in page.text, name
    assert "Lea (1 year)" in pages["visit"].text  # the party's ages, in the right form
    assert "(1 years)" not in pages["visit"].text


# 6. A rule staff set aside --------------------------------------------------------------------


async def test_a_rule_staff_set_aside_reads_as_set_aside_without_names_or_reasons(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    email = "leitung@example.org"
    await add_staff(db, email, [(StaffRole.VISITS_MANAGER, family.facility_id)])
    manager = bearer(await staff_token(client, email))
    household = await db.scalar(sa.select(Household.id).where(Household.email == DEMO_EMAIL))
    await db.commit()
    reason = "Escort from the youth office, accredited"
    booked = await client.post(
        "/api/v1/staff/visits",
        headers=manager,
        json={
            "household_id": str(household),
            "prisoner_id": str(family.prisoner_id),
            "slot_id": str(family.family_slots[0]),
            "visitor_ids": [str(c) for c in family.children],
            "overrides": [{"rule_id": "CF-01", "reason": reason}],
        },
    )
    assert booked.status_code == 201, booked.text
    visit = booked.json()
    assert visit["status"] == "confirmed"
    assert "CF-01" in {r["rule_id"] for r in visit["results"] if not r["passed"]}

    page = await client.get(f"/my-visits/{visit['id']}", params={"lang": "en"})
    assert page.status_code == 200
    assert "Please add an adult to this booking" not in page.text  # the failure text
    assert "Agreed by the facility" in page.text
    assert "Who comes with the children: " in page.text
    assert "set aside by the facility" in page.text
    assert reason not in page.text
    assert "Leitung" not in page.text  # the staff member's name
    assert "visits_manager" not in page.text
    assert "Booked" in page.text
    german = await client.get(f"/my-visits/{visit['id']}", params={"lang": "de"})
    assert "Von der Anstalt vereinbart" in german.text


async def test_a_set_aside_safeguarding_rule_stays_neutral(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    await add_staff(db, "leitung@example.org", [(StaffRole.VISITS_MANAGER, family.facility_id)])
    await add_staff(
        db, "sozialdienst@example.org", [(StaffRole.SAFEGUARDING_LEAD, family.facility_id)]
    )
    manager = bearer(await staff_token(client, "leitung@example.org"))
    lead = bearer(await staff_token(client, "sozialdienst@example.org"))
    child = await db.get(Visitor, family.children[0])
    assert child is not None
    child.safeguarding_flags = ["no_child_contact"]
    household = child.household_id
    await db.commit()
    booked = await client.post(
        "/api/v1/staff/visits",
        headers=manager,
        json={
            "household_id": str(household),
            "prisoner_id": str(family.prisoner_id),
            "slot_id": str(family.family_slots[0]),
            "visitor_ids": family.everyone,
        },
    )
    assert booked.status_code == 201, booked.text
    visit_id = booked.json()["id"]
    before = await client.get(f"/my-visits/{visit_id}", params={"lang": "en"})
    assert "Please contact the prison's visits team" in html.unescape(before.text)  # CF-05
    overridden = await client.post(
        f"/api/v1/staff/visits/{visit_id}/overrides",
        headers=lead,
        json={"rule_id": "CF-05", "reason": "best interests: supervised contact"},
    )
    assert overridden.status_code in (200, 201), overridden.text
    page = await client.get(f"/my-visits/{visit_id}", params={"lang": "en"})
    assert "A check by the facility: " in page.text
    assert "Please contact the prison's visits team" not in html.unescape(page.text)
    assert "no_child_contact" not in page.text
    assert "Safeguarding" not in page.text
    assert "supervised contact" not in page.text
