"""Household self-service on the family pages, on SQLite and PostgreSQL: people, contact data
and language, confirming the mobile number, preferences, calendar subscriptions, the data
download and erasure; for a family that signed up a minute ago and for the demo family."""

from __future__ import annotations

import json
import re
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, logged_codes
from tests.booking_helpers import Family, book, demo_family
from visits.db.models import AuditEvent, AuthToken, Household, Visitor
from visits.enums import NotifyBy, TokenKind
from visits.web.security import SESSION_COOKIE

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE_STEP = re.compile(r"^/sign-in/code\?challenge=([0-9a-f-]{36})$")
SUMMARY = re.compile(r'<li><a href="#(\w+)">')
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
EMAIL = "neu.familie@example.org"
PHONE = "+4915123456789"


async def _form_token(client: Client, path: str = "/sign-in") -> str:
    page = await client.get(path)
    found = TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def _post(client: Client, path: str, token: str, **fields: str) -> tuple[int, str, str]:
    """Post a form: status, location, page text."""
    answer = await client.post(
        path, data={"csrf_token": token, **fields}, follow_redirects=False, headers=ENGLISH
    )
    return answer.status_code, answer.headers.get("location", ""), answer.text


async def _new_family(
    client: Client, caplog: pytest.LogCaptureFixture, *, email: str = EMAIL, language: str = "en"
) -> str:
    """A family signs up on the page a minute ago and signs in with its code; its CSRF token."""
    token = await _form_token(client, "/sign-up")
    signed_up = await client.post(
        "/sign-up",
        data={
            "csrf_token": token,
            "guardian_name": "Nora Neu",
            "email": email,
            "language": language,
        },
        follow_redirects=False,
    )
    step = CODE_STEP.match(signed_up.headers["location"])
    assert step is not None, signed_up.text
    verified = await client.post(
        "/sign-in/code",
        data={
            "csrf_token": token,
            "challenge_id": step.group(1),
            "code": logged_codes(caplog, email)[-1],
        },
        follow_redirects=False,
    )
    assert verified.headers["location"] == "/household"
    return token


async def _fresh(db: AsyncSession, model: type, *where: sa.ColumnElement[bool]) -> list:
    rows = list(
        await db.scalars(sa.select(model).where(*where).execution_options(populate_existing=True))
    )
    await db.commit()
    return rows


async def _signed_in_demo(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> Family:
    family = await demo_family(client, db, caplog)
    client.cookies.set(SESSION_COOKIE, family.headers["Authorization"].split(" ", 1)[1])
    return family


async def test_the_household_page_links_every_self_service_page_in_both_languages(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    for path in ("/household/manage", "/household/contact", "/household/erase"):
        answer = await client.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/sign-in")
    await _new_family(client, caplog, language="de")
    household = await client.get("/household")
    for path in (
        "/household/manage",
        "/household/contact",
        "/household/phone",
        "/household/preferences",
        "/household/calendars",
        "/household/data",
    ):
        assert f'href="{path}"' in household.text
    german = await client.get("/household/manage")
    assert '<html lang="de">' in german.text
    assert "<h1>Haushalt verwalten</h1>" in german.text
    english = await client.get("/household/manage?lang=en")
    assert "<h1>Manage my household</h1>" in english.text
    assert "Nora Neu" in english.text


async def test_a_new_family_edits_a_person_and_removes_one(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await _new_family(client, caplog)
    for given, born in (("Lina", "2018-04-02"), ("Ben", "2016-09-15")):
        added = await _post(
            client,
            "/household/visitors",
            token,
            given_name=given,
            family_name="Neu",
            birth_date=born,
            relationship="child",
        )
        assert added[0] == 303
    lina, ben = await _fresh(db, Visitor, Visitor.given_name.in_(["Lina", "Ben"]))
    if lina.given_name != "Lina":
        lina, ben = ben, lina
    household = await client.get("/household")
    assert f'href="/household/people/{lina.id}"' in household.text

    form = await client.get(f"/household/people/{lina.id}", headers=ENGLISH)
    assert form.status_code == 200
    assert 'value="2018-04-02"' in form.text
    assert '<option value="child" selected>' in form.text

    status, _, text = await _post(
        client,
        f"/household/people/{lina.id}",
        token,
        given_name=" ",
        family_name="Neu",
        birth_date="2999-01-01",
        relationship="cousin",
    )
    assert status == 422
    assert SUMMARY.findall(text) == ["given_name", "birth_date", "relationship"]
    assert (await _fresh(db, Visitor, Visitor.id == lina.id))[0].given_name == "Lina"

    status, location, _ = await _post(
        client,
        f"/household/people/{lina.id}",
        token,
        given_name="Carolina",
        family_name="Neu-Berg",
        birth_date="2018-04-03",
        relationship="stepchild",
        is_guardian="",
    )
    assert (status, location) == (303, "/household/manage?done=person_saved")
    changed = (await _fresh(db, Visitor, Visitor.id == lina.id))[0]
    assert (changed.given_name, changed.family_name, changed.birth_date.isoformat()) == (
        "Carolina",
        "Neu-Berg",
        "2018-04-03",
    )
    assert changed.relationship.value == "stepchild"
    overview = await client.get(location, headers=ENGLISH)
    assert "The changes were saved." in overview.text

    unconfirmed = await _post(client, f"/household/people/{ben.id}/remove", token)
    assert unconfirmed[0] == 422
    assert "Please tick the box to confirm." in unconfirmed[2]
    assert await _fresh(db, Visitor, Visitor.id == ben.id) != []
    status, location, _ = await _post(
        client, f"/household/people/{ben.id}/remove", token, confirm="yes"
    )
    assert (status, location) == (303, "/household/manage?done=person_removed")
    assert await _fresh(db, Visitor, Visitor.id == ben.id) == []
    actions = await _fresh(db, AuditEvent, AuditEvent.object_id == str(ben.id))
    assert [a.action for a in actions] == ["visitor.create", "visitor.delete"]


async def test_another_households_person_is_a_missing_page(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await demo_family(client, db, caplog)  # seeds the demo households
    demo_person = (await _fresh(db, Visitor))[0]
    token = await _new_family(client, caplog)
    assert (await client.get(f"/household/people/{demo_person.id}")).status_code == 404
    for path in (f"/household/people/{demo_person.id}", f"/household/people/{uuid.uuid4()}"):
        status, _, _ = await _post(
            client,
            path,
            token,
            given_name="Taken",
            family_name="Over",
            birth_date="2010-01-01",
            relationship="child",
        )
        assert status == 404
        assert (await _post(client, f"{path}/remove", token, confirm="yes"))[0] == 404
    assert (await _fresh(db, Visitor, Visitor.id == demo_person.id))[0].given_name != "Taken"


async def test_a_person_booked_for_an_upcoming_visit_is_not_removed(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in_demo(client, db, caplog)
    await book(client, family, family.family_slots[0])
    token = await _form_token(client, "/household/manage")
    child = family.children[0]
    status, _, text = await _post(
        client, f"/household/people/{child}/remove?lang=en", token, confirm="yes"
    )
    assert status == 409
    assert "is booked for an upcoming visit, so we cannot remove them now" in text
    assert await _fresh(db, Visitor, Visitor.id == child) != []
    german = await client.post(
        f"/household/people/{child}/remove?lang=de", data={"csrf_token": token, "confirm": "yes"}
    )
    assert german.status_code == 409
    assert "ist für einen kommenden Besuch gebucht" in german.text


async def test_a_family_changes_its_contact_data_and_language(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await _new_family(client, caplog)
    form = await client.get("/household/contact")
    assert f'value="{EMAIL}"' in form.text
    assert 'autocomplete="tel"' in form.text

    status, _, text = await _post(
        client, "/household/contact", token, guardian_name="", email="", phone="", language="xx"
    )
    assert status == 422
    assert SUMMARY.findall(text) == ["guardian_name", "email", "language"]
    assert "Please keep an e-mail address or a mobile number, or both." in text
    status, _, text = await _post(
        client, "/household/contact", token, guardian_name="N", email="nora@", phone="12"
    )
    assert status == 422
    assert SUMMARY.findall(text) == ["email", "phone", "language"]
    assert 'value="nora@"' in text  # what was typed stays in the form
    assert (await _fresh(db, Household))[0].email == EMAIL

    status, location, _ = await _post(
        client,
        "/household/contact",
        token,
        guardian_name="Nora Neu-Berg",
        email="Nora@Example.ORG",
        phone="0151 2345 6789",
        language="de",
    )
    assert (status, location) == (303, "/household/phone?done=phone_changed")
    household = (await _fresh(db, Household))[0]
    assert (household.guardian_name, household.email, household.phone_e164) == (
        "Nora Neu-Berg",
        "Nora@example.org",
        PHONE,
    )
    assert household.language.value == "de"
    assert household.phone_confirmed_at is None
    update = (await _fresh(db, AuditEvent, AuditEvent.action == "household.update"))[0]
    assert update.changes == {"email": True, "phone": True, "guardian_name": True, "language": True}
    next_step = await client.get(location)
    assert "Bitte bestätigen Sie Ihre neue Handynummer." in next_step.text  # now in German

    status, location, _ = await _post(
        client, "/household/contact", token, guardian_name="Nora", email="", phone=PHONE
    )
    assert status == 422  # the language is missing
    status, location, _ = await _post(
        client,
        "/household/contact",
        token,
        guardian_name="Nora",
        email="",
        phone=PHONE,
        language="en",
    )
    assert (status, location) == (303, "/household/contact?done=contact_saved")
    household = (await _fresh(db, Household))[0]
    assert (household.email, household.phone_e164) == (None, PHONE)
    assert "Your details were saved." in (await client.get(location)).text


async def test_an_address_of_another_household_gets_a_neutral_answer(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await demo_family(client, db, caplog)
    client.cookies.clear()
    token = await _new_family(client, caplog)
    answers = []
    for field, value in (("email", "anna.beispiel@example.org"), ("phone", "0151 12345678")):
        fields = {"guardian_name": "Nora Neu", "email": EMAIL, "phone": "", "language": "en"}
        status, _, text = await _post(
            client, "/household/contact", token, **(fields | {field: value})
        )
        assert status == 422
        assert SUMMARY.findall(text) == [field]
        assert "Anna" not in text
        answers.append(text)
    assert "This e-mail address cannot be used. Please choose another." in answers[0]
    assert "This mobile number cannot be used. Please choose another." in answers[1]
    household = (await _fresh(db, Household, Household.guardian_name == "Nora Neu"))[0]
    assert (household.email, household.phone_e164) == (EMAIL, None)


async def test_a_family_confirms_its_new_mobile_number_on_the_page(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await _new_family(client, caplog)
    empty = await client.get("/household/phone")
    assert "You have not given a mobile number." in empty.text
    await _post(
        client,
        "/household/contact",
        token,
        guardian_name="Nora Neu",
        email=EMAIL,
        phone="0151 23456789",
        language="en",
    )
    start = await client.get("/household/phone")
    assert 'action="/household/phone/code"' in start.text
    status, location, _ = await _post(client, "/household/phone/code", token)
    assert status == 303
    found = re.match(r"^/household/phone\?challenge=([0-9a-f-]{36})&done=code_sent$", location)
    assert found is not None, location
    step = await client.get(location)
    assert "We have sent you a code by text message." in step.text
    assert 'autocomplete="one-time-code"' in step.text
    code = logged_codes(caplog, PHONE, "phone_code")[-1]

    status, _, text = await _post(
        client, "/household/phone/confirm", token, challenge_id=found.group(1), code="12"
    )
    assert status == 422
    assert "Please enter the 6-digit code from the text message." in text
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    status, _, text = await _post(
        client, "/household/phone/confirm", token, challenge_id=found.group(1), code=wrong
    )
    assert status == 422
    assert "This code did not work." in text
    assert (await _fresh(db, Household))[0].phone_confirmed_at is None

    status, location, _ = await _post(
        client, "/household/phone/confirm", token, challenge_id=found.group(1), code=code
    )
    assert (status, location) == (303, "/household/phone?done=phone_confirmed")
    assert (await _fresh(db, Household))[0].phone_confirmed_at is not None
    done = await client.get(location)
    assert f"Your mobile number {PHONE} is confirmed." in done.text
    assert 'action="/household/phone/code"' not in done.text


async def test_preferences_explain_that_texts_need_a_confirmed_number(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await _new_family(client, caplog)
    no_phone = await client.get("/household/preferences")
    assert "We write to you by e-mail." in no_phone.text
    assert 'name="notify_by"' not in no_phone.text
    refused = await _post(
        client, "/household/preferences", token, notify_by="sms", sms_consent="yes"
    )
    assert refused[0] == 422

    household = (await _fresh(db, Household))[0]
    household.phone_e164 = PHONE
    await db.commit()
    unconfirmed = await client.get("/household/preferences")
    assert "Your mobile number is not confirmed yet." in unconfirmed.text
    assert 'href="/household/phone"' in unconfirmed.text

    status, _, text = await _post(client, "/household/preferences", token, notify_by="fax")
    assert status == 422
    assert SUMMARY.findall(text) == ["notify_by", "sms_consent"]
    status, location, _ = await _post(
        client, "/household/preferences", token, notify_by="both", sms_consent="yes"
    )
    assert (status, location) == (303, "/household/preferences?done=preferences_saved")
    household = (await _fresh(db, Household))[0]
    assert (household.notify_by, household.sms_consent) == (NotifyBy.BOTH, True)
    saved = await client.get(location)
    assert "Your choices were saved." in saved.text
    assert re.search(r'value="both"\s+checked', saved.text)


async def test_a_family_sees_and_ends_its_calendar_subscriptions(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in_demo(client, db, caplog)
    other = await client.post("/api/v1/household/feeds", headers=family.headers, json={})
    client.cookies.clear()
    token = await _new_family(client, caplog)
    assert (
        "You have no active calendar subscription."
        in (await client.get("/household/calendars")).text
    )
    created = await _post(client, "/my-visits/calendar", token)
    url = re.search(r"<code>(http[^<]+\.ics)</code>", created[2])
    assert url is not None
    feed_path = url.group(1).split("://", 1)[1].split("/", 1)[1]
    assert (await client.get(f"/{feed_path}")).status_code == 200
    feed_id = await _fresh(db, AuthToken, AuthToken.kind == TokenKind.FEED)
    mine = next(f.id for f in feed_id if str(f.id) != other.json()["id"])

    listed = await client.get("/household/calendars")
    assert f'action="/household/calendars/{mine}/revoke"' in listed.text
    assert other.json()["id"] not in listed.text  # another household's subscription
    foreign = await _post(client, f"/household/calendars/{other.json()['id']}/revoke", token)
    assert foreign[0] == 404
    status, location, _ = await _post(client, f"/household/calendars/{mine}/revoke", token)
    assert (status, location) == (303, "/household/calendars?done=feed_revoked")
    assert (await client.get(f"/{feed_path}")).status_code == 404
    after = await client.get(location)
    assert "The calendar subscription has ended." in after.text
    assert f'action="/household/calendars/{mine}/revoke"' not in after.text
    revoked = await _fresh(db, AuthToken, AuthToken.revoked_at.is_not(None))
    assert [r.id for r in revoked] == [mine]


async def test_a_family_downloads_its_data_and_erases_its_household(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await demo_family(client, db, caplog)
    client.cookies.clear()
    token = await _new_family(client, caplog)
    await _post(
        client,
        "/household/visitors",
        token,
        given_name="Lina",
        family_name="Neu",
        birth_date="2018-04-02",
        relationship="child",
    )
    download = await client.get("/household/data/export.json")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/json")
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="household-data-'
    )
    exported = json.loads(download.content)
    assert exported["household"]["email"] == EMAIL
    assert [v["given_name"] for v in exported["visitors"]] == ["Lina"]
    assert "anna.beispiel" not in download.text

    unconfirmed = await _post(client, "/household/erase", token)
    assert unconfirmed[0] == 422
    assert await _fresh(db, Household, Household.email == EMAIL) != []
    before = len(await _fresh(db, Household))
    status, location, _ = await _post(client, "/household/erase", token, confirm="yes")
    assert (status, location) == (303, "/household/erased")
    assert await _fresh(db, Household, Household.email == EMAIL) == []
    assert await _fresh(db, Visitor, Visitor.given_name == "Lina") == []
    assert len(await _fresh(db, Household)) == before - 1  # the demo household stays
    assert client.cookies.get(SESSION_COOKIE) is None  # signed out
    goodbye = await client.get(location, headers=ENGLISH)
    assert "We have deleted your household" in goodbye.text
    gone = await client.get("/household/manage", follow_redirects=False)
    assert gone.headers["location"] == "/sign-in"


async def test_a_household_with_an_upcoming_visit_is_not_erased(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family = await _signed_in_demo(client, db, caplog)
    await book(client, family, family.family_slots[0])
    page = await client.get("/household/erase?lang=en")  # the demo household reads German
    assert "You have 1 upcoming visit. Please cancel it first." in page.text
    assert 'action="/household/erase"' not in page.text
    token = await _form_token(client, "/household/erase")
    status, _, text = await _post(client, "/household/erase", token, confirm="yes")
    assert status == 409
    assert "You have upcoming visits. Please cancel them first" in text
    assert await _fresh(db, Household, Household.email == "anna.beispiel@example.org") != []
    assert (await client.get("/household/manage")).status_code == 200  # still signed in


async def test_hostile_form_input_is_refused_field_by_field_never_with_a_500(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await _new_family(client, caplog)
    status, _, text = await _post(
        client,
        "/household/contact",
        token,
        guardian_name="Nora\x00Neu",
        email="nora\x01@example.org",
        phone="0151\x00 23456789",
        language="en",
    )
    assert status == 422
    assert {"guardian_name", "email"} <= set(SUMMARY.findall(text))
    await _post(
        client,
        "/household/visitors",
        token,
        given_name="Lina",
        family_name="Neu",
        birth_date="2018-04-02",
        relationship="child",
    )
    lina = (await _fresh(db, Visitor))[0]
    status, _, text = await _post(
        client,
        f"/household/people/{lina.id}",
        token,
        given_name="Li\x00na",
        family_name="N" * 101,
        birth_date="2018-02-30",
        relationship="child",
    )
    assert status == 422
    assert SUMMARY.findall(text) == ["given_name", "family_name", "birth_date"]
    status, _, _ = await _post(
        client, "/household/phone/confirm", token, challenge_id="not-a-uuid", code="123456"
    )
    assert status == 303
    assert (await client.get("/household/phone?challenge=nope")).status_code == 400
    household = (await _fresh(db, Household))[0]
    assert (household.guardian_name, household.email) == ("Nora Neu", EMAIL)
