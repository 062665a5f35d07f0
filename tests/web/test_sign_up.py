"""Signing up on the family pages, on SQLite and PostgreSQL: a new household, the code step,
every problem at once, and the same answer for an address that is taken."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, logged_codes
from visits.db.models import Facility, Household, SignInChallenge
from visits.demo import seed_demo
from visits.web.security import SESSION_COOKIE

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE_STEP = re.compile(r"^/sign-in/code\?challenge=([0-9a-f-]{36})$")
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}


async def _form_token(client: Client, path: str = "/sign-up") -> str:
    page = await client.get(path, headers=GERMAN)
    found = TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def _sign_up(client: Client, **fields: str) -> tuple[int, str, str]:
    """Post the sign-up form from a German browser: status, location, page text."""
    token = await _form_token(client)
    answer = await client.post(
        "/sign-up",
        data={"csrf_token": token, "language": "de", **fields},
        headers=GERMAN,
        follow_redirects=False,
    )
    return answer.status_code, answer.headers.get("location", ""), answer.text


async def _count(db: AsyncSession, model: type) -> int:
    return await db.scalar(sa.select(sa.func.count()).select_from(model)) or 0


async def test_a_new_family_signs_up_in_german_and_signs_in_with_the_code(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    form = await client.get("/sign-up", headers=GERMAN)
    assert form.status_code == 200
    assert '<html lang="de">' in form.text
    assert '<option value="de" lang="de" selected>' in form.text  # the page's language
    assert 'autocomplete="name"' in form.text
    assert 'type="tel" value="" autocomplete="tel"' in form.text
    assert "STOP" in form.text
    assert 'href="/sign-in"' in form.text
    status, location, _ = await _sign_up(
        client,
        guardian_name="Lena Neumann",
        email="lena.neumann@example.org",
        phone="0151 2345 6789",
        language="en",
        sms_consent="yes",
    )
    assert status == 303
    assert CODE_STEP.match(location), location
    household = await db.scalar(sa.select(Household))
    assert household is not None
    assert household.guardian_name == "Lena Neumann"
    assert household.email == "lena.neumann@example.org"
    assert household.phone_e164 == "+4915123456789"
    assert household.language.value == "en"
    assert household.sms_consent is True
    await db.commit()

    code_page = await client.get(location, headers=GERMAN)
    assert "Code eingeben" in code_page.text
    token = await _form_token(client, location)
    challenge = CODE_STEP.match(location)
    assert challenge is not None
    code = logged_codes(caplog, "lena.neumann@example.org")[-1]
    signed_in = await client.post(
        "/sign-in/code",
        data={"challenge_id": challenge.group(1), "code": code, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/household"
    assert client.cookies.get(SESSION_COOKIE)
    own = await client.get("/household")
    assert own.status_code == 200
    assert "Hello Lena Neumann." in own.text  # the household's chosen language


async def test_national_numbers_are_read_in_the_facilities_country(
    client: Client, db: AsyncSession
) -> None:
    await seed_demo(db)
    await db.execute(sa.update(Facility).values(country="AT"))
    await db.commit()
    status, location, _ = await _sign_up(client, guardian_name="Maria Gruber", phone="0664 1234567")
    assert (status, bool(CODE_STEP.match(location))) == (303, True)
    phone = await db.scalar(
        sa.select(Household.phone_e164).where(Household.guardian_name == "Maria Gruber")
    )
    assert phone == "+436641234567"


async def test_every_problem_is_listed_at_once_and_nothing_is_created(
    client: Client, db: AsyncSession
) -> None:
    status, _, empty = await _sign_up(client, guardian_name=" ", email="", phone="")
    assert status == 422
    assert '<html lang="de">' in empty
    assert 'href="#guardian_name">Bitte geben Sie Ihren Namen ein.</a>' in empty
    assert (
        'href="#email">Bitte geben Sie eine E-Mail-Adresse oder eine Handynummer ein, '
        "oder beides.</a>"
    ) in empty
    assert empty.count('aria-invalid="true"') == 2

    status, _, hostile = await _sign_up(
        client,
        guardian_name="Eva\x00Muster",
        email="eva\x01@example.org",
        phone="12",
        language="xx",
        sms_consent="yes",
    )
    assert status == 422
    summary = re.findall(r'<li><a href="#(\w+)">', hostile)
    assert summary == ["guardian_name", "email", "phone", "language"]
    assert "Bitte geben Sie eine Handynummer ein, zum Beispiel 0151 23456789." in hostile
    assert "Bitte wählen Sie eine Sprache." in hostile
    assert 'value="eva' in hostile  # what was typed stays in the form

    status, _, landline = await _sign_up(
        client, guardian_name="Eva Muster", phone="030 1234567", sms_consent="yes"
    )
    assert status == 422
    assert re.findall(r'<li><a href="#(\w+)">', landline) == ["phone"]

    status, _, no_mobile = await _sign_up(
        client, guardian_name="Eva Muster", email="eva@example.org", sms_consent="yes"
    )
    assert status == 422
    assert re.findall(r'<li><a href="#(\w+)">', no_mobile) == ["sms_consent"]
    assert "SMS brauchen eine Handynummer" in no_mobile

    assert await _count(db, Household) == 0
    assert await _count(db, SignInChallenge) == 0


async def test_an_address_that_is_taken_gets_the_same_answer_and_changes_nothing(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    first = await _sign_up(client, guardian_name="Jana Erst", email="jana@example.org")
    again = await _sign_up(
        client,
        guardian_name="Someone Else",
        email="jana@example.org",
        phone="0151 2345 6789",
        language="en",
        sms_consent="yes",
    )
    new = await _sign_up(client, guardian_name="Tom Neu", email="tom@example.org")
    for status, location, text in (first, again, new):
        assert status == 303
        assert CODE_STEP.match(location), location
        assert text == first[2]
    pages = [
        re.sub(r"[0-9a-f-]{36}", "ID", (await client.get(loc, headers=GERMAN)).text)
        for _, loc, _ in (again, new)
    ]
    pages = [TOKEN.sub("", page) for page in pages]
    assert pages[0] == pages[1]
    assert "Noch kein Konto?" in pages[0]  # tells how to go on, the same for everyone
    households = list(await db.scalars(sa.select(Household).order_by(Household.guardian_name)))
    assert [(h.guardian_name, h.phone_e164, h.language.value) for h in households] == [
        ("Jana Erst", None, "de"),
        ("Tom Neu", None, "de"),
    ]
    assert households[0].sms_consent is False
    assert len(logged_codes(caplog, "jana@example.org")) == 2  # the owner hears of it
    assert logged_codes(caplog, "+4915123456789") == []


async def test_too_many_sign_ups_for_one_address_are_refused_kindly(
    client: Client, db: AsyncSession
) -> None:
    answers = [
        await _sign_up(client, guardian_name="Ute Oft", email="oft@example.org") for _ in range(6)
    ]
    assert [status for status, _, _ in answers] == [303] * 5 + [429]
    refused = answers[-1][2]
    assert "Es gab viele Versuche in kurzer Zeit." in refused
    assert 'value="oft@example.org"' in refused  # the form is kept
    assert await _count(db, Household) == 1


async def test_sign_in_and_the_code_step_lead_to_sign_up(client: Client, db: AsyncSession) -> None:
    home = await client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/sign-in"
    sign_in = await client.get("/sign-in", headers=GERMAN)
    assert '<a href="/sign-up">Noch kein Konto? Jetzt registrieren</a>' in sign_in.text
    token = TOKEN.search(sign_in.text)
    assert token is not None
    sent = await client.post(
        "/sign-in",
        data={"email": "unknown@example.org", "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    code_page = await client.get(sent.headers["location"], headers=GERMAN)
    assert '<a href="/sign-up">Noch kein Konto? Jetzt registrieren</a>' in code_page.text
    assert 'href="/sign-in"' in code_page.text
