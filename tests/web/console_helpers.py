"""Signing staff in to the console in process, and reading its forms."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from tests.accounts_helpers import Client
from visits.db.models import Facility
from visits.demo import seed_demo

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "console test password"
MANAGER = "leitung@jva-musterstadt.example"
OFFICER = "besuchsdienst@jva-musterstadt.example"
LEAD = "sozialdienst@jva-musterstadt.example"


async def demo_facility(db: AsyncSession) -> uuid.UUID:
    """The demo with both families and its three staff accounts; returns the facility."""
    await seed_demo(db, staff_password=PASSWORD, second_family=True)
    facility_id = await db.scalar(sa.select(Facility.id))
    assert facility_id is not None
    await db.commit()
    return facility_id


async def form_token(client: Client, path: str = "/staff/sign-in") -> str:
    page = await client.get(path)
    found = TOKEN.search(page.text)
    assert found is not None, page.text
    return found.group(1)


async def staff_signs_in(
    client: Client, email: str, password: str = PASSWORD, language: str = "en"
) -> str:
    """Signs in through the form (pages in ``language``); returns the CSRF token."""
    client.cookies.clear()
    client.headers["accept-language"] = language
    token = await form_token(client)
    answer = await client.post(
        "/staff/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return token
