"""Helpers for tests that sign in: codes are read from the log, as an operator would."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession

from visits.accounts.schemas import GrantIO, StaffCreateIn
from visits.accounts.service.staff import create_staff
from visits.audit import Actor
from visits.enums import StaffRole

Client = AsyncTestClient[Any]
STAFF_PASSWORD = "correct horse battery staple"


def logged_codes(
    caplog: pytest.LogCaptureFixture, to: str, purpose: str = "sign_in_code"
) -> list[str]:
    """Every code (a sign-in code, or with ``purpose="phone_code"`` one that confirms a mobile
    number) the log channel 'sent' to ``to``, oldest first."""
    codes = []
    for record in caplog.records:
        event = record.msg
        if (
            isinstance(event, dict)
            and event.get("event") == "message_logged_not_sent"
            and event.get("to") == to
            and event.get("purpose") == purpose
        ):
            found = re.search(r"\b(\d{6})\b", str(event["text"]))
            assert found is not None
            codes.append(found.group(1))
    return codes


async def sign_up(
    client: Client, caplog: pytest.LogCaptureFixture, email: str, name: str = "Guardian"
) -> str:
    """Sign up a household by e-mail and return its bearer token."""
    response = await client.post(
        "/api/v1/auth/households",
        json={"guardian_name": name, "email": email, "language": "de"},
    )
    assert response.status_code == 202, response.text
    code = logged_codes(caplog, email)[-1]
    verified = await client.post(
        "/api/v1/auth/household/verify",
        json={"challenge_id": response.json()["challenge_id"], "code": code},
    )
    assert verified.status_code == 200, verified.text
    return str(verified.json()["token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def add_staff(
    db: AsyncSession, email: str, grants: list[tuple[StaffRole, uuid.UUID | None]]
) -> uuid.UUID:
    data = StaffCreateIn(
        email=email,
        name=email.split("@")[0].title(),
        password=STAFF_PASSWORD,
        grants=[GrantIO(role, facility) for role, facility in grants],
    )
    staff = await create_staff(db, data, Actor.system())
    await db.commit()  # the test is the boundary
    return staff.id


async def staff_token(client: Client, email: str) -> str:
    response = await client.post(
        "/api/v1/auth/staff/sign-in", json={"email": email, "password": STAFF_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])
