"""Large sibling groups on the family pages and in the console (issue 17, point 4; CF-07), in
process on SQLite and PostgreSQL: the week's times offer "ask the facility for this time" where
a time is not possible only because the group is larger than the usual limit (German and
English, the hint linked to the button), the refusal page offers the same, the request waits in
the console's review queue with its reason, only a visits manager may approve it, and the
family's visit page then reads as booked.

The family (a mother with four children) and the staff are made here, not the demo's."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import STAFF_PASSWORD, Client
from tests.large_group_helpers import MANAGER, OFFICER, LargeFamily, large_family
from tests.web.console_helpers import staff_signs_in
from tests.web.test_family_edges import cards
from tests.web.test_pages import _form_token
from visits.db.models import Slot, Visit, VisitOverride
from visits.enums import VisitStatus
from visits.web.security import SESSION_COOKIE

ASK = {"en": "Ask the facility for this time", "de": "Diese Zeit bei der Anstalt anfragen"}
REASON = {
    "en": "The family asks to come together as a group larger than the usual limit per visit.",
    "de": "Die Familie möchte gemeinsam kommen, als Gruppe größer als die übliche Grenze pro "
    "Besuch.",
}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _signed_in(client: Client, family: LargeFamily) -> None:
    client.cookies.set(SESSION_COOKIE, family.headers["Authorization"].split(" ", 1)[1])


async def _visit(db: AsyncSession, visit_id: uuid.UUID) -> Visit:
    db.expire_all()
    visit = await db.get(Visit, visit_id)
    assert visit is not None
    await db.commit()
    return visit


@pytest.mark.parametrize("language", ["en", "de"])
async def test_the_week_offers_to_ask_only_where_the_group_limit_is_the_reason(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture, language: str
) -> None:
    family = await large_family(client, db, caplog, language)
    _signed_in(client, family)
    week = _monday(family.day).isoformat()
    slot = str(family.slots[0])

    # Everyone (the default): the time is not possible, and the whole group may ask for it.
    page = await client.get(f"/book/{family.prisoner_id}", params={"week": week, "lang": language})
    assert page.status_code == 200, page.text
    card = cards(page.text)[slot]
    assert card.startswith("verdict-not_possible")
    assert ASK[language] in card
    assert 'name="request_review" value="1"' in card
    hint = re.search(r'<p class="hint" id="(ask-[0-9a-f-]+)">', card)
    assert hint is not None
    assert f'aria-describedby="{hint.group(1)}"' in card
    assert ASK["de" if language == "en" else "en"] not in page.text  # one language a page

    # The mother with three children fits: no request is offered anywhere in the week.
    smaller = await client.get(
        f"/book/{family.prisoner_id}",
        params={
            "week": week,
            "lang": language,
            "party": "1",
            "visitor": family.everyone[:4],
        },
    )
    assert smaller.status_code == 200
    assert ASK[language] not in smaller.text
    assert cards(smaller.text)[slot].startswith("verdict-fits")


async def test_a_family_asks_and_a_visits_manager_approves_in_the_console(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await large_family(client, db, caplog, "en")
    _signed_in(client, family)
    token = await _form_token(client, f"/book/{family.prisoner_id}")
    form = {
        "slot_id": str(family.slots[0]),
        "visitors": ",".join(family.everyone),
        "csrf_token": token,
    }

    # Reserving as usual is refused, kindly, with the way to ask on the same page.
    refused = await client.post(f"/book/{family.prisoner_id}/hold", data=form)
    assert refused.status_code == 422
    assert ASK["en"] in refused.text
    assert "Nobody has to stay at home" in refused.text
    assert 'name="request_review" value="1"' in refused.text
    assert 'aria-describedby="ask-hint"' in refused.text

    asked = await client.post(
        f"/book/{family.prisoner_id}/hold",
        data=form | {"request_review": "1"},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    location = asked.headers["location"]
    assert location.endswith("done=requested")
    visit_id = uuid.UUID(location.split("?")[0].rsplit("/", 1)[1])
    assert (await _visit(db, visit_id)).status is VisitStatus.REQUESTED
    mine = await client.get(location.split("?")[0], params={"done": "requested"})
    assert "Your request was sent. The visits team will get back to you." in mine.text

    # The console's review queue shows the request with its reason, in German and English.
    client.cookies.clear()
    for language in ("de", "en"):
        await staff_signs_in(client, OFFICER, STAFF_PASSWORD, language)
        queue = await client.get(f"/staff/facilities/{family.facility_id}/review")
        assert queue.status_code == 200
        row = queue.text.split(str(visit_id), 1)[1].split("</tr>", 1)[0]
        assert REASON[language] in row

    # The visits officer (signed in last) is not offered the approval, and cannot force it.
    officer_token = await staff_signs_in(client, OFFICER, STAFF_PASSWORD, "en")
    seen = await client.get(f"/staff/facilities/{family.facility_id}/visits/{visit_id}")
    assert 'value="approve"' not in seen.text
    assert 'value="reject"' in seen.text
    forced = await client.post(
        f"/staff/facilities/{family.facility_id}/visits/{visit_id}/decision",
        data={"decision": "approve", "reason": "Siblings", "csrf_token": officer_token},
        follow_redirects=False,
    )
    assert forced.status_code == 403
    assert (await _visit(db, visit_id)).status is VisitStatus.REQUESTED

    manager_token = await staff_signs_in(client, MANAGER, STAFF_PASSWORD, "en")
    seen = await client.get(f"/staff/facilities/{family.facility_id}/visits/{visit_id}")
    assert 'value="approve"' in seen.text
    decided = await client.post(
        f"/staff/facilities/{family.facility_id}/visits/{visit_id}/decision",
        data={
            "decision": "approve",
            "reason": "All four children together.",
            "csrf_token": manager_token,
        },
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text
    assert (await _visit(db, visit_id)).status is VisitStatus.CONFIRMED
    roles = list(
        await db.scalars(sa.select(VisitOverride.role).where(VisitOverride.visit_id == visit_id))
    )
    await db.commit()
    assert roles == ["visits_manager"]

    # The family's page reads as booked; the limit reads as set aside, without staff words.
    client.cookies.clear()
    _signed_in(client, family)
    booked = await client.get(f"/my-visits/{visit_id}", params={"lang": "en"})
    assert booked.status_code == 200
    assert "The number of visitors" in booked.text
    assert "All four children together." not in booked.text


async def test_a_request_moves_on_the_pages_and_stays_a_request(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await large_family(client, db, caplog, "en")
    _signed_in(client, family)
    token = await _form_token(client, f"/book/{family.prisoner_id}")
    asked = await client.post(
        f"/book/{family.prisoner_id}/hold",
        data={
            "slot_id": str(family.slots[0]),
            "visitors": ",".join(family.everyone),
            "request_review": "1",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    visit_id = uuid.UUID(asked.headers["location"].split("?")[0].rsplit("/", 1)[1])

    # Choosing a new time: each other time reads as a request the visits team checks.
    target = await db.get(Slot, family.slots[1])
    assert target is not None
    target_day = target.local_date
    await db.commit()
    week = await client.get(
        f"/book/{family.prisoner_id}",
        params={"move": str(visit_id), "lang": "en", "week": _monday(target_day).isoformat()},
    )
    assert week.status_code == 200
    other = cards(week.text)[str(family.slots[1])]
    assert other.startswith("verdict-review")
    assert "Move my visit to this time" in other
    assert ASK["en"] not in week.text  # a move keeps its request; nothing more to ask

    moved = await client.post(
        f"/my-visits/{visit_id}/reschedule",
        data={"slot_id": str(family.slots[1]), "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303, moved.text
    visit = await _visit(db, visit_id)
    assert (visit.status, visit.slot_id) == (VisitStatus.REQUESTED, family.slots[1])
