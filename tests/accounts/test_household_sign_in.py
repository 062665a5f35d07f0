"""Household sign-up and passwordless sign-in: codes, tokens, no enumeration, rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client, bearer, logged_codes, sign_up
from visits.db.base import utcnow
from visits.db.models import AuditEvent, AuthToken, Household, SignInChallenge

pytestmark = pytest.mark.usefixtures("caplog")


async def ask_code(client: Client, **contact: str) -> dict:
    response = await client.post("/api/v1/auth/household/code", json=contact)
    assert response.status_code == 202, response.text
    return response.json()


async def verify(client: Client, challenge_id: str, code: str) -> tuple[int, dict]:
    response = await client.post(
        "/api/v1/auth/household/verify", json={"challenge_id": challenge_id, "code": code}
    )
    return response.status_code, response.json()


async def test_sign_up_then_sign_in_with_a_code(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "mara@example.org", name="Mara Muster")
    assert token.startswith("vh_")
    assert len(token) >= 3 + 43  # 32 random bytes, URL-safe base64
    profile = await client.get("/api/v1/household", headers=bearer(token))
    assert profile.status_code == 200
    assert profile.json()["guardian_name"] == "Mara Muster"
    assert profile.json()["language"] == "de"
    # Only the hash is stored.
    hashes = list(await db.scalars(sa.select(AuthToken.token_hash)))
    assert len(hashes) == 1
    assert token not in hashes[0]
    actions = set(await db.scalars(sa.select(AuditEvent.action)))
    assert {"household.sign_up", "household.sign_in"} <= actions


async def test_phone_numbers_are_stored_in_e164(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post(
        "/api/v1/auth/households",
        json={"guardian_name": "Ali", "phone": "0151 2345 6789", "language": "en"},
    )
    assert response.status_code == 202
    assert response.json()["channel"] == "sms"
    assert await db.scalar(sa.select(Household.phone_e164)) == "+4915123456789"
    assert logged_codes(caplog, "+4915123456789")


async def test_invalid_sign_up_lists_every_problem(client: Client, db: AsyncSession) -> None:
    response = await client.post(
        "/api/v1/auth/households",
        json={"guardian_name": "", "language": "fr", "colour": "blue"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    names = {e["name"] for e in response.json()["errors"]}
    assert names == {"guardian_name", "language", "colour"}
    bad_contact = await client.post(
        "/api/v1/auth/households?lang=en",
        json={"guardian_name": "X", "language": "de", "email": "not-mail", "phone": "030 1234567"},
    )
    assert bad_contact.status_code == 422
    assert {e["name"] for e in bad_contact.json()["errors"]} == {"email", "phone"}
    assert "mobile" in str(bad_contact.json()["errors"])
    assert await db.scalar(sa.select(sa.func.count()).select_from(Household)) == 0


async def test_no_enumeration_known_and_unknown_addresses_answer_alike(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_up(client, caplog, "known@example.org")
    known = await ask_code(client, email="known@example.org")
    unknown = await ask_code(client, email="nobody@example.org")
    assert set(known) == set(unknown)
    assert known["message"] == unknown["message"]
    assert known["channel"] == unknown["channel"]
    assert logged_codes(caplog, "nobody@example.org") == []
    # A challenge for nobody can never be satisfied, whatever the code.
    for code in ("000000", "123456"):
        status, problem = await verify(client, unknown["challenge_id"], code)
        assert (status, problem["type"]) == (401, "urn:visits:problem:invalid-code")
    # Signing up again with a taken address answers like a new sign-up, and creates nothing.
    again = await client.post(
        "/api/v1/auth/households",
        json={"guardian_name": "Impostor", "email": "known@example.org", "language": "en"},
    )
    assert again.status_code == 202
    assert set(again.json()) == set(known)
    assert await db.scalar(sa.select(sa.func.count()).select_from(Household)) == 1
    assert await db.scalar(sa.select(Household.guardian_name)) == "Guardian"


async def test_codes_are_single_use(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    await sign_up(client, caplog, "once@example.org")
    challenge = await ask_code(client, email="once@example.org")
    code = logged_codes(caplog, "once@example.org")[-1]
    assert (await verify(client, challenge["challenge_id"], code))[0] == 200
    status, problem = await verify(client, challenge["challenge_id"], code)
    assert status == 401
    assert problem["type"] == "urn:visits:problem:invalid-code"


async def test_expired_codes_fail(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_up(client, caplog, "late@example.org")
    challenge = await ask_code(client, email="late@example.org")
    code = logged_codes(caplog, "late@example.org")[-1]
    await db.execute(sa.update(SignInChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    assert (await verify(client, challenge["challenge_id"], code))[0] == 401


async def test_five_wrong_codes_burn_the_challenge(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_up(client, caplog, "guess@example.org")
    challenge = await ask_code(client, email="guess@example.org")
    code = logged_codes(caplog, "guess@example.org")[-1]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await verify(client, challenge["challenge_id"], wrong))[0] == 401
    assert (await verify(client, challenge["challenge_id"], code))[0] == 401


async def test_code_requests_are_rate_limited_per_address(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        await ask_code(client, email="busy@example.org")
    limited = await client.post("/api/v1/auth/household/code", json={"email": "busy@example.org"})
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert int(limited.headers["retry-after"]) > 0
    assert limited.json()["type"] == "urn:visits:problem:rate-limited"
    # Another address is not affected by this one.
    assert (
        await client.post("/api/v1/auth/household/code", json={"email": "calm@example.org"})
    ).status_code == 202


async def test_code_verification_is_rate_limited_per_client(client: Client) -> None:
    statuses = []
    for _ in range(21):
        response = await client.post(
            "/api/v1/auth/household/verify",
            json={"challenge_id": "00000000-0000-0000-0000-000000000000", "code": "123456"},
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


async def test_sign_out_revokes_and_expired_tokens_fail(
    client: Client, db: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "bye@example.org")
    assert (await client.post("/api/v1/auth/sign-out", headers=bearer(token))).status_code == 204
    gone = await client.get("/api/v1/household", headers=bearer(token))
    assert gone.status_code == 401
    assert gone.headers["www-authenticate"].startswith("Bearer")
    assert gone.json()["type"] == "urn:visits:problem:unauthenticated"
    assert "sign_out" in set(await db.scalars(sa.select(AuditEvent.action)))
    await db.commit()  # end the read: on SQLite an open transaction holds the write lock

    second = await sign_up(client, caplog, "bye2@example.org")
    await db.execute(sa.update(AuthToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await db.commit()
    assert (await client.get("/api/v1/household", headers=bearer(second))).status_code == 401


async def test_me_and_missing_or_malformed_tokens(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    token = await sign_up(client, caplog, "me@example.org", name="Me")
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert me.json()["kind"] == "household"
    for headers in ({}, {"Authorization": "Basic abc"}, bearer("vh_forged")):
        response = await client.get("/api/v1/household", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
