"""A household changes its e-mail address and mobile number through the API, and confirms the
number with a code sent by SMS; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, bearer, logged_codes, sign_up
from tests.booking_helpers import Family, book, demo_family
from visits.db.base import utcnow
from visits.db.models import AuditEvent, Household, Reminder, SignInChallenge
from visits.enums import ReminderState

PHONE = "+4915123456789"  # 0151 23456789, as a family types it
OTHER_PHONE = "+4915198765432"  # the second demo household's number
CONFIRM = "/api/v1/household/phone-confirmation"


async def _household(db: AsyncSession, email: str | None = None, **where: str) -> Household:
    condition = Household.email == email if email else sa.true()
    for name, value in where.items():
        condition = sa.and_(condition, getattr(Household, name) == value)
    found = await db.scalar(
        sa.select(Household).where(condition).execution_options(populate_existing=True)
    )
    assert found is not None
    await db.commit()
    return found


async def _patch(client: Client, token: str, **body: object) -> tuple[int, dict]:
    answer = await client.patch("/api/v1/household", headers=bearer(token), json=body)
    return answer.status_code, answer.json()


async def _send_code(client: Client, token: str) -> tuple[int, dict]:
    answer = await client.post(CONFIRM, headers=bearer(token))
    return answer.status_code, answer.json()


async def _verify(client: Client, token: str, challenge_id: str, code: str) -> tuple[int, dict]:
    answer = await client.post(
        f"{CONFIRM}/verify",
        headers=bearer(token),
        json={"challenge_id": challenge_id, "code": code},
    )
    return answer.status_code, answer.json()


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_contacts_are_normalised_audited_without_values_and_one_must_stay(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "mara@example.org", "Mara")
    status, out = await _patch(
        client, token, email="Mara.Neu@Example.ORG", phone="0151 2345 6789", sms_consent=True
    )
    assert status == 200, out
    assert (out["email"], out["phone"], out["phone_confirmed"]) == (
        "Mara.Neu@example.org",
        PHONE,
        False,
    )
    household = await _household(db, "Mara.Neu@example.org")
    assert household.phone_confirmed_at is None

    events = list(
        await db.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "household.update")
            .order_by(AuditEvent.occurred_at)
        )
    )
    await db.commit()
    assert [e.changes for e in events] == [{"email": True, "phone": True, "sms_consent": True}]
    assert "Mara.Neu" not in str(events[0].changes)
    assert PHONE not in str(events[0].changes)

    both_gone = await client.patch(
        "/api/v1/household", headers=bearer(token), json={"email": "", "phone": ""}
    )
    assert both_gone.status_code == 422
    assert [e["name"] for e in both_gone.json()["errors"]] == ["email"]
    bad = await client.patch(
        "/api/v1/household", headers=bearer(token), json={"email": "nope", "phone": "030 1234567"}
    )
    assert bad.status_code == 422
    assert bad.json()["type"] == "urn:visits:problem:invalid-body"
    assert {e["name"] for e in bad.json()["errors"]} == {"email", "phone"}

    status, out = await _patch(client, token, phone="")  # removing the number
    assert status == 200
    assert (out["phone"], out["sms_consent"], out["email"]) == (None, False, "Mara.Neu@example.org")
    status, out = await _patch(client, token, email="", phone=PHONE)  # only the number stays
    assert status == 200
    assert (out["email"], out["phone"]) == (None, PHONE)
    household = await _household(db, phone_e164=PHONE)
    assert household.email is None


async def test_a_taken_address_gets_one_neutral_answer_that_reveals_nothing(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_up(client, caplog, "owner@example.org", "Olga Owner")
    owner = await _household(db, "owner@example.org")
    owner.phone_e164 = OTHER_PHONE
    await db.commit()
    token = await sign_up(client, caplog, "asker@example.org", "Asker")

    english = bearer(token) | {"Accept-Language": "en"}
    email_taken = await client.patch(
        "/api/v1/household", headers=english, json={"email": "owner@example.org"}
    )
    phone_taken = await client.patch(
        "/api/v1/household", headers=english, json={"phone": "0151 98765432"}
    )
    for answer, field in ((email_taken, "email"), (phone_taken, "phone")):
        assert answer.status_code == 422
        problem = answer.json()
        assert problem["type"] == "urn:visits:problem:contact-unavailable"
        assert problem["errors"] == [
            {"name": field, "in": "body", "detail": "cannot be used; please choose another"}
        ]
        assert "Olga" not in answer.text
        assert str(owner.id) not in answer.text
    assert {k: v for k, v in email_taken.json().items() if k != "errors"} == {
        k: v for k, v in phone_taken.json().items() if k != "errors"
    }
    german = await client.patch(
        "/api/v1/household?lang=de", headers=bearer(token), json={"email": "owner@example.org"}
    )
    assert german.json()["detail"] == (
        "Diese Adresse kann nicht verwendet werden. Bitte wählen Sie eine andere."
    )
    asker = await _household(db, "asker@example.org")
    assert asker.phone_e164 is None  # nothing changed
    owner_now = await _household(db, "owner@example.org")
    assert owner_now.phone_e164 == OTHER_PHONE

    own = await client.patch(
        "/api/v1/household", headers=bearer(token), json={"email": "asker@example.org"}
    )
    assert own.status_code == 200  # its own address is no change and no refusal


async def test_contact_changes_are_rate_limited_per_household(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "probe@example.org")
    for number in range(10):
        status, _ = await _patch(client, token, email=f"probe{number}@example.org")
        assert status == 200
    status, problem = await _patch(client, token, email="probe-more@example.org")
    assert status == 429
    assert problem["type"] == "urn:visits:problem:rate-limited"
    assert (await _household(db, "probe9@example.org")).guardian_name == "Guardian"
    status, _ = await _patch(client, token, guardian_name="Still Fine")  # no contact change
    assert status == 200


async def test_a_new_number_is_confirmed_with_a_code_by_sms(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "lena@example.org", "Lena")
    status, problem = await _send_code(client, token)
    assert (status, problem["type"]) == (409, "urn:visits:problem:no-phone")
    await _patch(client, token, phone="0151 23456789")

    status, sent = await _send_code(client, token)
    assert status == 202, sent
    assert set(sent) == {"challenge_id", "expires_at"}
    code = logged_codes(caplog, PHONE, "phone_code")[-1]
    status, problem = await _verify(client, token, sent["challenge_id"], _wrong(code))
    assert (status, problem["type"]) == (422, "urn:visits:problem:invalid-phone-code")
    assert (await _household(db, "lena@example.org")).phone_confirmed_at is None

    other = await sign_up(client, caplog, "other@example.org")
    status, _ = await _verify(client, other, sent["challenge_id"], code)
    assert status == 422  # another household's challenge is unknown to it

    status, out = await _verify(client, token, sent["challenge_id"], code)
    assert status == 200, out
    assert out["phone_confirmed"] is True
    assert (await _household(db, "lena@example.org")).phone_confirmed_at is not None
    status, _ = await _verify(client, token, sent["challenge_id"], code)
    assert status == 422  # single use
    status, problem = await _send_code(client, token)
    assert (status, problem["type"]) == (409, "urn:visits:problem:phone-confirmed")
    actions = list(
        await db.scalars(
            sa.select(AuditEvent.changes).where(AuditEvent.action == "household.phone_confirm")
        )
    )
    await db.commit()
    assert actions == [{"phone_confirmed": True}]

    status, out = await _patch(client, token, phone="0151 11223344")
    assert (status, out["phone_confirmed"]) == (200, False)  # a new number starts unconfirmed


async def test_a_code_confirms_only_the_number_it_was_sent_to_and_never_signs_in(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "kim@example.org")
    await _patch(client, token, phone=PHONE)
    _, sent = await _send_code(client, token)
    code = logged_codes(caplog, PHONE, "phone_code")[-1]

    sign_in = await client.post(
        "/api/v1/auth/household/verify",
        json={"challenge_id": sent["challenge_id"], "code": code},
    )
    assert sign_in.status_code == 401  # a confirmation code is no sign-in code

    # A sign-in code sent by SMS is not taken as a confirmation code either.
    asked = await client.post("/api/v1/auth/household/code", json={"phone": PHONE})
    sign_in_code = logged_codes(caplog, PHONE)[-1]
    status, _ = await _verify(client, token, asked.json()["challenge_id"], sign_in_code)
    assert status == 422

    await _patch(client, token, phone="0151 11223344")  # the number changes meanwhile
    status, _ = await _verify(client, token, sent["challenge_id"], code)
    assert status == 422
    late = await client.post(
        "/api/v1/auth/household/verify",
        json={"challenge_id": asked.json()["challenge_id"], "code": sign_in_code},
    )
    assert late.status_code == 401  # codes sent to the old number stop working
    household = await _household(db, "kim@example.org")
    assert household.phone_confirmed_at is None


async def test_a_code_allows_five_tries(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "tries@example.org")
    await _patch(client, token, phone=PHONE)
    _, sent = await _send_code(client, token)
    code = logged_codes(caplog, PHONE, "phone_code")[-1]
    for _ in range(5):
        status, _ = await _verify(client, token, sent["challenge_id"], _wrong(code))
        assert status == 422
    status, _ = await _verify(client, token, sent["challenge_id"], code)
    assert status == 422
    attempts = await db.scalar(
        sa.select(SignInChallenge.attempts).where(
            SignInChallenge.id == uuid.UUID(sent["challenge_id"])
        )
    )
    await db.commit()
    assert attempts == 5
    assert (await _household(db, "tries@example.org")).phone_confirmed_at is None


async def test_sending_codes_is_rate_limited_like_sign_in_codes(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "many@example.org")
    await _patch(client, token, phone=PHONE)
    for _ in range(5):
        status, _ = await _send_code(client, token)
        assert status == 202
    answer = await client.post(CONFIRM, headers=bearer(token))
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) >= 1
    assert len(logged_codes(caplog, PHONE, "phone_code")) == 5


async def _reminder_states(db: AsyncSession) -> set[ReminderState]:
    states = set(await db.scalars(sa.select(Reminder.state)))
    await db.commit()
    return states


async def test_changing_the_number_stops_reminders_until_it_is_confirmed(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    family: Family = await demo_family(client, db, caplog)
    await book(client, family, family.family_slots[0])
    assert await _reminder_states(db) == {ReminderState.PENDING}
    token = family.headers["Authorization"].split(" ", 1)[1]

    status, out = await _patch(client, token, phone="0151 23456789")
    assert (status, out["phone_confirmed"], out["sms_consent"]) == (200, False, True)
    assert await _reminder_states(db) == {ReminderState.CANCELLED}

    _, sent = await _send_code(client, token)
    status, out = await _verify(
        client, token, sent["challenge_id"], logged_codes(caplog, PHONE, "phone_code")[-1]
    )
    assert (status, out["phone_confirmed"]) == (200, True)
    assert await _reminder_states(db) == {ReminderState.PENDING}


async def test_an_expired_code_does_not_confirm(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "late@example.org")
    await _patch(client, token, phone=PHONE)
    _, sent = await _send_code(client, token)
    await db.execute(
        sa.update(SignInChallenge)
        .where(SignInChallenge.id == uuid.UUID(sent["challenge_id"]))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await db.commit()
    status, problem = await _verify(
        client, token, sent["challenge_id"], logged_codes(caplog, PHONE, "phone_code")[-1]
    )
    assert (status, problem["type"]) == (422, "urn:visits:problem:invalid-phone-code")
