"""The family pages in process, on SQLite and PostgreSQL: CSRF, cookies, languages, catalogs,
and the rule reasons a family sees."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from tests.booking_helpers import Family, demo_family
from visits.db.models import Slot
from visits.web.security import CSRF_COOKIE, SESSION_COOKIE

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _signed_in(client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture) -> Family:
    family = await demo_family(client, db, caplog)
    client.cookies.set(SESSION_COOKIE, family.headers["Authorization"].split(" ", 1)[1])
    return family


async def _form_token(client: Client, path: str = "/sign-in") -> str:
    page = await client.get(path)
    found = TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def test_language_follows_query_then_cookie_then_accept_language(
    client: Client, db: AsyncSession
) -> None:
    english = await client.get("/sign-in", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en">' in english.text
    assert "Send me a code" in english.text
    german = await client.get("/sign-in?lang=de", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in german.text
    assert "Code zusenden" in german.text
    assert "visits_lang=de" in german.headers["set-cookie"]
    remembered = await client.get("/sign-in", headers={"Accept-Language": "en"})
    assert '<html lang="de">' in remembered.text


async def test_a_post_without_the_form_token_or_from_another_site_is_refused(
    client: Client, db: AsyncSession
) -> None:
    token = await _form_token(client)
    assert client.cookies.get(CSRF_COOKIE) == token
    missing = await client.post(
        follow_redirects=False, url="/sign-in", data={"email": "a@example.org"}
    )
    assert missing.status_code == 403
    wrong = await client.post(
        follow_redirects=False,
        url="/sign-in",
        data={"email": "a@example.org", "csrf_token": "x" * 43},
    )
    assert wrong.status_code == 403
    foreign = await client.post(
        follow_redirects=False,
        url="/sign-in",
        data={"email": "a@example.org", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    fine = await client.post(
        follow_redirects=False, url="/sign-in", data={"email": "a@example.org", "csrf_token": token}
    )
    assert fine.status_code == 303
    assert fine.headers["location"].startswith("/sign-in/code?challenge=")


async def test_sign_in_sets_an_http_only_lax_cookie_and_pages_need_it(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await client.get("/household", follow_redirects=False)).headers[
        "location"
    ] == "/sign-in"
    await demo_family(client, db, caplog)
    token = await _form_token(client)
    sent = await client.post(
        follow_redirects=False,
        url="/sign-in",
        data={"email": "anna.beispiel@example.org", "csrf_token": token},
    )
    challenge = sent.headers["location"].split("=", 1)[1]
    wrong = await client.post(
        follow_redirects=False,
        url="/sign-in/code",
        data={"challenge_id": challenge, "code": "000000", "csrf_token": token},
    )
    assert wrong.status_code == 422
    from tests.accounts_helpers import logged_codes

    code = logged_codes(caplog, "anna.beispiel@example.org")[-1]
    verified = await client.post(
        follow_redirects=False,
        url="/sign-in/code",
        data={"challenge_id": challenge, "code": code, "csrf_token": token},
    )
    assert verified.status_code == 303
    cookie = verified.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http in tests; https turns Secure on
    household = await client.get("/household")
    assert household.status_code == 200
    assert "Mia" in household.text  # the demo household's language is German
    assert "Personen in Ihrem Haushalt" in household.text


async def test_children_without_an_adult_see_the_reason_kindly(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    children = ",".join(str(c) for c in family.children)
    refused = await client.post(
        follow_redirects=False,
        url=f"/book/{family.prisoner_id}/hold",
        data={"slot_id": str(family.family_slots[0]), "visitors": children, "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "Diese Buchung ist so noch nicht möglich" in refused.text
    assert "Begleitperson" in refused.text  # CF-01 in German, every reason listed


async def test_hold_confirm_invite_and_cancel_through_the_pages(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    everyone = ",".join(family.everyone)
    held = await client.post(
        follow_redirects=False,
        url=f"/book/{family.prisoner_id}/hold",
        data={"slot_id": str(family.family_slots[0]), "visitors": everyone, "csrf_token": token},
    )
    assert held.status_code == 303, held.text
    visit_path = held.headers["location"].split("?")[0]
    confirmed = await client.post(
        follow_redirects=False, url=f"{visit_path}/confirm", data={"csrf_token": token}
    )
    assert confirmed.status_code == 303
    page = await client.get(confirmed.headers["location"])
    assert "Gebucht" in page.text
    invite = await client.get(f"{visit_path}/invite.ics")
    assert invite.status_code == 200
    assert invite.headers["content-type"].startswith("text/calendar")
    assert b"METHOD:REQUEST" in invite.content
    cancelled = await client.post(
        follow_redirects=False, url=f"{visit_path}/cancel", data={"csrf_token": token}
    )
    assert cancelled.status_code == 303
    assert "Abgesagt" in (await client.get(visit_path)).text
    other = await client.get("/my-visits/00000000-0000-0000-0000-000000000000")
    assert other.status_code == 404


async def test_a_family_moves_a_visit_to_another_time(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in(client, db, caplog)
    token = await _form_token(client, "/book")
    held = await client.post(
        follow_redirects=False,
        url=f"/book/{family.prisoner_id}/hold",
        data={
            "slot_id": str(family.family_slots[0]),
            "visitors": ",".join(family.everyone),
            "csrf_token": token,
        },
    )
    visit_path = held.headers["location"].split("?")[0]
    await client.post(
        follow_redirects=False, url=f"{visit_path}/confirm", data={"csrf_token": token}
    )
    visit_id = visit_path.rsplit("/", 1)[1]
    page = await client.get(visit_path)
    assert f"?move={visit_id}" in page.text  # the "choose another time" link
    target = await db.get(Slot, family.family_slots[1])
    assert target is not None
    week = target.local_date.isoformat()
    await db.commit()
    choose = await client.get(
        f"/book/{family.prisoner_id}", params={"move": visit_id, "week": week}
    )
    assert choose.status_code == 200
    assert f'action="/my-visits/{visit_id}/reschedule"' in choose.text
    assert "bleibt gebucht" in choose.text
    moved = await client.post(
        follow_redirects=False,
        url=f"{visit_path}/reschedule",
        data={"slot_id": str(family.family_slots[1]), "csrf_token": token},
    )
    assert moved.status_code == 303
    after = await client.get(moved.headers["location"])
    assert "verlegt" in after.text
    api = await client.get(f"/api/v1/household/visits/{visit_id}", headers=family.headers)
    assert api.json()["slot_id"] == str(family.family_slots[1])
    assert api.json()["ical_sequence"] == 1
    strangers = await client.get(
        f"/book/{family.prisoner_id}", params={"move": "00000000-0000-0000-0000-000000000000"}
    )
    assert strangers.status_code == 404
